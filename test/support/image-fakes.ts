// Unit-test doubles for the image store: the addon's unpackLayer, buildSquashfs and
// lockFile faked in TypeScript, and hand-made images (layers, OCI layouts, docker save
// archives) built in the test itself.

import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import type { Test } from 'tap'
import { filesTar, packTar } from '../../runtime/rootfs-build/outputs/layer-tar.ts'

export const sha = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`

export interface FakeNative {
  unpackLayer(blob: string, dir: string, o: { compression: string; allowDevices: boolean; maxBytes: number }): Promise<{ diffId: string; entries: number; bytes: number; skippedDevices: number }>
  buildSquashfs(src: string, out: string, o: object): Promise<{ bytes: number; inodes: number; files: number; dataBytes: number }>
  lockFile(path: string, exclusive: boolean): number
  calls: { unpack: { blob: string; compression: string }[]; squashfs: number }
  /** lock paths that answer Busy (as if another process held them) */
  busy: Map<string, number>
  /** make buildSquashfs fail with this errno code */
  failSquashfs?: string
  /** called inside unpackLayer (to observe the staging tree) */
  onUnpack?: (dir: string) => void
}

/**
 * unpackLayer: the diff_id is the sha256 of the decompressed blob, and the tree gets one
 * file named after it; buildSquashfs: a file listing the tree. lockFile: an fd of
 * /dev/null, or Busy for paths in `busy` (the count says how many tries stay busy).
 */
export function fakeNative(): FakeNative {
  const f: FakeNative = {
    calls: { unpack: [], squashfs: 0 },
    busy: new Map(),
    async unpackLayer(blob, dir, o) {
      f.calls.unpack.push({ blob, compression: o.compression })
      let data = fs.readFileSync(blob)
      if (o.compression === 'gzip' || (o.compression === 'auto' && data[0] === 0x1f)) data = gunzipSync(data)
      const diffId = sha(data)
      fs.writeFileSync(path.join(dir, `layer-${diffId.slice(7, 19)}`), data)
      f.onUnpack?.(dir)
      return { diffId, entries: 1, bytes: data.length, skippedDevices: 0 }
    },
    async buildSquashfs(src, out) {
      f.calls.squashfs++
      if (f.failSquashfs) {
        fs.writeFileSync(out, 'half')
        const e = new Error(`write ${out}: ${f.failSquashfs === 'ENOSPC' ? 'No space left on device' : 'Read-only file system'} (${f.failSquashfs})`) as Error & { code: string }
        e.code = 'Os'
        throw e
      }
      const list = fs.readdirSync(src).sort().join('\n')
      fs.writeFileSync(out, `hsqs\n${list}\n`)
      return { bytes: fs.statSync(out).size, inodes: 1, files: 1, dataBytes: list.length }
    },
    lockFile(p) {
      const left = f.busy.get(p)
      if (left !== undefined && left > 0) {
        f.busy.set(p, left - 1)
        const e = new Error('locked by another process') as Error & { code: string }
        e.code = 'Busy'
        throw e
      }
      return fs.openSync('/dev/null', 'r')
    },
  }
  return f
}

export interface Layer {
  tar: Buffer
  diffId: string
}

/** A layer tar holding `files` (name → content). */
export async function layer(files: Record<string, string>): Promise<Layer> {
  const tar = await packTar(Object.entries(files).map(([name, data]) => ({ header: { name, type: 'file' as const, mode: 0o644, size: Buffer.byteLength(data), mtime: new Date(0) }, data: Buffer.from(data) })))
  return { tar, diffId: sha(tar) }
}

export function imageConfig(diffIds: string[], arch = 'amd64'): Buffer {
  return Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', created: '2024-01-02T03:04:05Z', config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin'] }, rootfs: { type: 'layers', diff_ids: diffIds } }))
}

export interface OciFiles {
  /** archive path → bytes */
  files: Map<string, Buffer>
  manifestDigest: string
  configDigest: string
  layerDigests: string[]
}

/** An OCI layout's files: gzip layers, config, manifest, index.json with `annotations`. */
export function ociLayout(layers: Layer[], annotations: Record<string, string> = {}, arch = 'amd64'): OciFiles {
  const files = new Map<string, Buffer>()
  const put = (data: Buffer) => {
    const d = sha(data)
    files.set(`blobs/sha256/${d.slice(7)}`, data)
    return { digest: d, size: data.length }
  }
  const gz = layers.map((l) => put(gzipSync(l.tar)))
  const config = put(imageConfig(layers.map((l) => l.diffId), arch))
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: gz.map((g) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...g })) }))
  const m = put(manifest)
  files.set('oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'))
  files.set('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, platform: { architecture: arch, os: 'linux' }, annotations }] })))
  return { files, manifestDigest: m.digest, configDigest: config.digest, layerDigests: gz.map((g) => g.digest) }
}

/** A docker save archive's files (Docker 20.10's layout). */
export function dockerSave(layers: Layer[], repoTags: string[] = ['example/app:1']): Map<string, Buffer> {
  const files = new Map<string, Buffer>()
  const config = imageConfig(layers.map((l) => l.diffId))
  const configName = `${sha(config).slice(7)}.json`
  files.set(configName, config)
  const names = layers.map((l, i) => {
    const id = createHash('sha256').update(`layer${i}${l.diffId}`).digest('hex')
    files.set(`${id}/VERSION`, Buffer.from('1.0'))
    files.set(`${id}/json`, Buffer.from('{}'))
    files.set(`${id}/layer.tar`, l.tar)
    return `${id}/layer.tar`
  })
  files.set('manifest.json', Buffer.from(JSON.stringify([{ Config: configName, RepoTags: repoTags, Layers: names }])))
  files.set('repositories', Buffer.from('{}'))
  return files
}

export function writeDir(dir: string, files: Map<string, Buffer>): string {
  for (const [name, data] of files) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    fs.writeFileSync(path.join(dir, name), data)
  }
  return dir
}

export async function writeTar(file: string, files: Map<string, Buffer> | [string, Buffer][], opts: { gzip?: boolean } = {}): Promise<string> {
  const tar = await filesTar([...files])
  fs.writeFileSync(file, opts.gzip ? gzipSync(tar) : tar)
  return file
}

/** Every file under a dir, relative, sorted (what a store holds). */
export function listTree(dir: string): string[] {
  const out: string[] = []
  const walk = (rel: string) => {
    let names: string[]
    try {
      names = fs.readdirSync(path.join(dir, rel))
    } catch {
      return
    }
    for (const n of names.sort()) {
      const r = rel ? `${rel}/${n}` : n
      if (fs.lstatSync(path.join(dir, r)).isDirectory()) walk(r)
      else out.push(r)
    }
  }
  walk('')
  return out
}

/**
 * lite's CLI (runtime/main.ts) with the addon replaced by `native`, as a function that
 * runs one command line and returns its exit code, stdout and stderr. The store's locks
 * go under `dir`/run (LITE_STATE_ROOT) for the test's life.
 */
export async function cliWithFakeAddon(t: Test, dir: string, native: FakeNative = fakeNative()) {
  process.env.LITE_STATE_ROOT = path.join(dir, 'run')
  t.teardown(() => {
    delete process.env.LITE_STATE_ROOT
    process.exitCode = undefined
  })
  const { main } = await t.mockImport<typeof import('../../runtime/main.ts')>('../../runtime/main.ts', {
    '../../runtime/native/index.ts': { loadNative: async () => native, addonDirectory: () => '/' },
  })
  return async (...argv: string[]) => {
    const out: string[] = []
    const err: string[] = []
    const o = t.intercept(process.stdout, 'write', { value: (c: unknown) => (out.push(String(c)), true), writable: true })
    const e = t.intercept(process.stderr, 'write', { value: (c: unknown) => (err.push(String(c)), true), writable: true })
    process.exitCode = undefined
    try {
      return { code: await main(argv), stdout: out.join(''), stderr: err.join('') }
    } finally {
      o.restore()
      e.restore()
    }
  }
}
