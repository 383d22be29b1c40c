// A small registry for the pull tests, on 127.0.0.1, with the misbehaviours that
// Debian's docker-registry cannot be made to show: Bearer challenges with a token
// server that checks Basic credentials and can expire its tokens, blobs behind a
// redirect to another host (127.0.0.2: "blob storage", which records whether an
// Authorization header arrives), a connection cut in the middle of a blob, a
// tampered blob, a stall, a throttled blob, a schema 1 manifest, and no
// Docker-Content-Digest. Every request is logged for the assertions.

import { createHash } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'

export const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`

export interface FakeImage {
  repo: string
  tag: string
  manifest: Buffer
  manifestType: string
  blobs: Map<string, Buffer>
}

export interface FakeOptions {
  /** Bearer challenges, tokens from /token with these Basic credentials (none: anonymous tokens). */
  bearer?: { user?: string; password?: string }
  /** Blob GETs are answered 307 to the storage server on 127.0.0.2. */
  redirectBlobs?: boolean
  /** The first GET of these blobs sends half of it, then the connection is destroyed. */
  cutOnce?: Set<string>
  /** With a cut, every token issued so far stops working (the resume meets a 401). */
  expireTokensOnCut?: boolean
  /** These blobs are served with one byte changed. */
  tamper?: Set<string>
  /** The first GET of these blobs sends half of it, then nothing more (the socket stays open). */
  stallOnce?: Set<string>
  /** Blobs are sent in chunks of `bytes` every `ms`. */
  throttle?: { bytes: number; ms: number }
  /** No Docker-Content-Digest header on manifests; or a wrong one. */
  digestHeader?: 'none' | 'wrong'
  /** Range requests are answered 200 with the whole blob. */
  ignoreRange?: boolean
}

export interface LoggedRequest {
  server: 'registry' | 'storage'
  method: string
  path: string
  authorization?: string
  range?: string
  status?: number
}

export interface FakeRegistry {
  host: string
  port: number
  log: LoggedRequest[]
  tokensIssued: () => number
  images: FakeImage[]
  options: FakeOptions
}

function listen(server: http.Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port))
  })
}

export async function startFakeRegistry(t: Test, images: FakeImage[], options: FakeOptions = {}): Promise<FakeRegistry> {
  const log: LoggedRequest[] = []
  const valid = new Set<string>()
  let issued = 0
  const cut = new Set<string>()
  const stalled = new Set<string>()
  const sockets = new Set<import('node:net').Socket>()
  const timers = new Set<ReturnType<typeof setTimeout>>()
  let storagePort = 0
  let registryPort = 0

  const findBlob = (digest: string) => {
    for (const img of images) {
      const b = img.blobs.get(digest)
      if (b) return b
    }
    return undefined
  }

  /** Sends a blob (or its range), with the cut/stall/tamper/throttle behaviours. */
  const sendBlob = (req: http.IncomingMessage, res: http.ServerResponse, digest: string, entry: LoggedRequest) => {
    let data = findBlob(digest)
    if (!data) {
      entry.status = 404
      res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }] }))
      return
    }
    if (options.tamper?.has(digest)) {
      data = Buffer.from(data)
      data[data.length >> 1] ^= 0xff
    }
    let start = 0
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '')
    if (m && !options.ignoreRange && Number(m[1]) < data.length) start = Number(m[1])
    const body = data.subarray(start)
    const headers: http.OutgoingHttpHeaders = { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length, 'Docker-Content-Digest': digest }
    if (start > 0) headers['Content-Range'] = `bytes ${start}-${data.length - 1}/${data.length}`
    entry.status = start > 0 ? 206 : 200
    res.writeHead(entry.status, headers)
    if (options.cutOnce?.has(digest) && !cut.has(digest)) {
      cut.add(digest)
      if (options.expireTokensOnCut) valid.clear()
      res.write(body.subarray(0, body.length >> 1), () => setTimeout(() => req.socket.destroy(), 50))
      return
    }
    if (options.stallOnce?.has(digest) && !stalled.has(digest)) {
      stalled.add(digest)
      res.write(body.subarray(0, body.length >> 1))
      return // and nothing more: the client's idle timeout must end it
    }
    if (!options.throttle) {
      res.end(body)
      return
    }
    const { bytes, ms } = options.throttle
    let off = 0
    const tick = () => {
      if (res.destroyed) return
      const chunk = body.subarray(off, off + bytes)
      off += chunk.length
      if (off >= body.length) return void res.end(chunk)
      res.write(chunk)
      const timer = setTimeout(() => {
        timers.delete(timer)
        tick()
      }, ms)
      timers.add(timer)
    }
    tick()
  }

  const storage = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const entry: LoggedRequest = { server: 'storage', method: req.method ?? '', path: url.pathname, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), ...(req.headers.range ? { range: req.headers.range } : {}) }
    log.push(entry)
    const m = /^\/storage\/(sha256:[0-9a-f]{64})$/.exec(url.pathname)
    if (!m || url.searchParams.get('sig') !== 'signed') {
      entry.status = 403
      return void res.writeHead(403).end()
    }
    sendBlob(req, res, m[1]!, entry)
  })

  const registry = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const entry: LoggedRequest = { server: 'registry', method: req.method ?? '', path: url.pathname + url.search, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), ...(req.headers.range ? { range: req.headers.range } : {}) }
    log.push(entry)
    if (url.pathname === '/token') {
      const want = options.bearer
      if (want?.user) {
        const expected = `Basic ${Buffer.from(`${want.user}:${want.password ?? ''}`).toString('base64')}`
        if (req.headers.authorization !== expected) {
          entry.status = 401
          return void res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"details":"wrong credentials"}')
        }
      }
      const token = `tok-${++issued}`
      valid.add(token)
      entry.status = 200
      return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token, expires_in: 60 }))
    }
    const repoMatch = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname)
    const img = repoMatch ? images.find((i) => i.repo === repoMatch[1]) : undefined
    if (options.bearer) {
      const auth = req.headers.authorization ?? ''
      if (!auth.startsWith('Bearer ') || !valid.has(auth.slice(7))) {
        entry.status = 401
        const scope = repoMatch ? `repository:${repoMatch[1]}:pull` : ''
        return void res
          .writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://127.0.0.1:${registryPort}/token",service="fake registry, for tests",scope="${scope}"`, 'Content-Type': 'application/json' })
          .end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }))
      }
    }
    if (url.pathname === '/v2/') {
      entry.status = 200
      return void res.writeHead(200).end('{}')
    }
    if (!repoMatch || !img) {
      entry.status = 404
      return void res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] }))
    }
    const [, , kind, ref] = repoMatch
    if (kind === 'manifests') {
      if (ref !== img.tag && ref !== sha(img.manifest)) {
        entry.status = 404
        return void res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }))
      }
      const headers: http.OutgoingHttpHeaders = { 'Content-Type': img.manifestType, 'Content-Length': img.manifest.length }
      if (options.digestHeader !== 'none') headers['Docker-Content-Digest'] = options.digestHeader === 'wrong' ? sha('something else') : sha(img.manifest)
      entry.status = 200
      return void res.writeHead(200, headers).end(img.manifest)
    }
    if (options.redirectBlobs) {
      entry.status = 307
      return void res.writeHead(307, { Location: `http://127.0.0.2:${storagePort}/storage/${ref}?sig=signed` }).end()
    }
    sendBlob(req, res, ref!, entry)
  })

  for (const s of [registry, storage]) s.on('connection', (c) => (sockets.add(c), c.on('close', () => sockets.delete(c))))
  registryPort = await listen(registry, '127.0.0.1')
  storagePort = await listen(storage, '127.0.0.2')
  t.teardown(async () => {
    for (const timer of timers) clearTimeout(timer)
    for (const c of sockets) c.destroy()
    await Promise.all([registry, storage].map((s) => new Promise((r) => s.close(r))))
  })
  return { host: `127.0.0.1:${registryPort}`, port: registryPort, log, tokensIssued: () => issued, images, options }
}

/** A tiny image for the fake registry: random "layers" (the client does not unpack), a config with their diff_ids. */
export function fakeImage(repo: string, tag: string, layerSizes: number[], seed = 1): FakeImage {
  const layers = layerSizes.map((n, i) => {
    const b = Buffer.alloc(n)
    let x = (seed * 7919 + i * 104729) >>> 0 || 1
    for (let j = 0; j < n; j++) {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      b[j] = x & 0xff
    }
    return b
  })
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => sha(Buffer.concat([l, Buffer.from('x')]))) } }),
  )
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(l), size: l.length })),
    }),
  )
  const blobs = new Map([[sha(config), config], ...layers.map((l) => [sha(l), l] as [string, Buffer])])
  return { repo, tag, manifest, manifestType: 'application/vnd.oci.image.manifest.v1+json', blobs }
}
