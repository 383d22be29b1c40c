// One HTTP exchange with a registry, on Bun's fetch: https unless the registry is
// insecure, its own CA file on top of the system's, no automatic decompression, no
// automatic redirects (client.ts follows them itself so that credentials never go
// to another host), and every wait bounded: the response's headers within
// `headersMs`, then no more than `idleMs` between two chunks of its body.
// Errors are LiteErrors that say what to do; a TLS error that looks like a clock
// problem says the board's clock may be wrong.

import fs from 'node:fs'
import tls from 'node:tls'
import { LiteError } from '../../errors.ts'
import type { ImageSettings } from '../settings.ts'
import { registrySettings } from '../settings.ts'
import { DOCKER_HUB, apiHost } from '../reference.ts'

export interface Timeouts {
  /** From the request to the response's headers (connect, TLS, the server's think time). */
  headersMs: number
  /** The longest pause between two chunks of a body. */
  idleMs: number
  /**
   * The longest a small document's whole body may take (a manifest, a config, a
   * token, an error): a server that sends one byte just within idleMs would
   * otherwise hold a pull for days. Layer blobs have no such bound (they resume).
   */
  smallBodyMs: number
}
export const DEFAULT_TIMEOUTS: Timeouts = { headersMs: 30_000, idleMs: 60_000, smallBodyMs: 300_000 }

/** A place to pull from: the registry itself or one of its mirrors. */
export interface Endpoint {
  /** The name of the registry (or mirror) as settings and auth.json know it: "docker.io", "mirror:5000". */
  name: string
  /** The API's host[:port]: "registry-1.docker.io" for docker.io. */
  host: string
  scheme: 'https' | 'http'
  /** PEM text of extra CA certificates. */
  ca?: string
  mirror: boolean
}

/** An HTTP status lite did not expect; `status` 0 never happens here. */
export class RegistryHttpError extends LiteError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message)
    this.name = 'RegistryHttpError'
  }
}

/** The network failed (refused, reset, timed out, TLS): another try or another endpoint may do. */
export class NetworkError extends LiteError {
  constructor(
    message: string,
    /** false for failures that another try will not fix (TLS verification, a refused downgrade) */
    readonly retriable = true,
  ) {
    super(message)
    this.name = 'NetworkError'
  }
}

const caCache = new Map<string, string>()
function readCa(file: string, registry: string): string {
  let pem = caCache.get(file)
  if (pem !== undefined) return pem
  try {
    const st = fs.statSync(file)
    if (st.size > 4 << 20) throw new Error(`${st.size} bytes, more than a CA file holds`)
    pem = fs.readFileSync(file, 'utf8')
  } catch (e) {
    throw new LiteError(`cannot read the CA file ${file} set for ${registry}: ${(e as Error).message}`)
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new LiteError(`the CA file ${file} set for ${registry} holds no PEM certificate`)
  caCache.set(file, pem)
  return pem
}

/**
 * Where to pull `registry` from, in order: its mirrors, then itself. Plain http
 * for a host only with --insecure or its own `insecure` setting; a mirror uses
 * its own settings when it has some, else the registry's.
 */
export function endpointsFor(registry: string, settings: ImageSettings, insecureFlag = false): Endpoint[] {
  const own = registrySettings(settings, registry)
  const make = (name: string, mirror: boolean, plain = false): Endpoint => {
    const s = mirror && settings.registries.has(name) ? registrySettings(settings, name) : own
    const ep: Endpoint = { name, host: name === DOCKER_HUB ? apiHost(name) : name, scheme: plain || insecureFlag || s.insecure ? 'http' : 'https', mirror }
    if (s.ca) ep.ca = readCa(s.ca, name)
    return ep
  }
  // A mirror written "http://host" is plain http: the setting says so itself.
  const out = own.mirrors
    .filter((m) => m && m !== registry)
    .map((m) => make(m.replace(/^https?:\/\//i, '').replace(/\/+$/, ''), true, /^http:\/\//i.test(m)))
  out.push(make(registry, false))
  return out
}

const CLOCK_CODES = new Set(['CERT_NOT_YET_VALID', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_NOT_YET_VALID', 'ERR_TLS_CERT_HAS_EXPIRED'])
const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|ISSUER|SIGNATURE|HANDSHAKE|ALTNAME/i

/** A fetch() failure as a NetworkError that names the host and, for TLS, what to check. */
export function describeFetchError(e: unknown, host: string, now: Date = new Date()): NetworkError {
  const err = e as { code?: string; message?: string; name?: string }
  const code = typeof err?.code === 'string' ? err.code : ''
  const message = String(err?.message ?? e)
  if (CLOCK_CODES.has(code) || /not yet valid|has expired|certificate expired/i.test(message)) {
    return new NetworkError(
      `${host}: TLS certificate check failed (${code || message}); this board's clock may be wrong: it says ${now.toISOString()} (set it, or start an NTP client, then pull again)`,
      false,
    )
  }
  if (TLS_CODE.test(code)) {
    return new NetworkError(`${host}: TLS certificate check failed (${code}: ${message}); if the registry uses its own CA, set its CA file in images.ini`, false)
  }
  if (code === 'EPROTO' || /wrong version number|packet length too long/i.test(message))
    return new NetworkError(`${host}: the TLS handshake failed (${code || message}); if it serves plain http, pull with --insecure or set the registry insecure in images.ini`, false)
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new NetworkError(`cannot resolve ${host} (${code}): check the board's DNS`)
  if (code) return new NetworkError(`cannot reach ${host} (${code})`)
  return new NetworkError(`cannot reach ${host}: ${message}`)
}

export interface SendInit {
  method?: 'GET' | 'HEAD'
  headers: Record<string, string>
}

/** The response of one exchange, with the controller that cuts it (body reads use it too). */
export interface Sent {
  res: Response
  abort: AbortController
}

/**
 * One request, one response: no redirects followed, no decompression. The headers
 * must come within `timeouts.headersMs`; the body is read with readChunks().
 */
export async function send(url: URL, init: SendInit, endpoint: Endpoint, timeouts: Timeouts): Promise<Sent> {
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(new NetworkError(`${url.host}: no response within ${timeouts.headersMs / 1000} s`)), timeouts.headersMs)
  const sameHost = url.host === endpoint.host
  const opts: BunFetchRequestInit = {
    method: init.method ?? 'GET',
    headers: { 'User-Agent': 'lite', 'Accept-Encoding': 'identity', ...init.headers },
    redirect: 'manual',
    decompress: false,
    signal: abort.signal,
  }
  // The registry's CA applies to the registry's own host; a redirect elsewhere (blob
  // storage) is checked against the system's CAs.
  if (url.protocol === 'https:' && endpoint.ca && sameHost) opts.tls = { ca: [...tls.rootCertificates, endpoint.ca] }
  try {
    const res = await fetch(url, opts)
    return { res, abort }
  } catch (e) {
    if (abort.signal.aborted && abort.signal.reason instanceof NetworkError) throw abort.signal.reason
    throw describeFetchError(e, url.host)
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The body's chunks, each within `idleMs` of the one before. A pause longer than
 * that aborts the exchange and throws a NetworkError (retriable).
 */
export async function* readChunks(sent: Sent, host: string, idleMs: number, deadline?: { at: number; what: string; ms: number }): AsyncGenerator<Uint8Array> {
  const body = sent.res.body
  if (!body) return
  const reader = body.getReader()
  try {
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined
      const left = deadline ? Math.max(0, deadline.at - Date.now()) : Infinity
      const idle = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => {
            const err = left < idleMs ? new NetworkError(`${host}: ${deadline!.what} took more than ${deadline!.ms / 1000} s`) : new NetworkError(`${host}: no data for ${idleMs / 1000} s`)
            sent.abort.abort(err)
            reject(err)
          },
          Math.min(idleMs, left),
        )
      })
      const read = reader.read()
      // After an idle abort the pending read rejects too, with no one awaiting it.
      read.catch(() => {})
      let r: Awaited<typeof read>
      try {
        r = await Promise.race([read, idle])
      } catch (e) {
        if (e instanceof NetworkError) throw e
        throw new NetworkError(`${host}: the connection broke: ${(e as Error)?.message ?? e}`)
      } finally {
        clearTimeout(timer)
      }
      if (r.done) return
      if (r.value.length) yield r.value
    }
  } finally {
    reader.releaseLock()
  }
}

/** A whole body, refused past `limit` bytes (Content-Length is checked first). */
export async function readLimited(sent: Sent, host: string, timeouts: Timeouts, limit: number, what: string): Promise<Uint8Array> {
  const declared = Number(sent.res.headers.get('content-length') ?? NaN)
  if (Number.isFinite(declared) && declared > limit) {
    sent.abort.abort()
    throw new LiteError(`${what} is ${declared} bytes, more than the ${limit} allowed`)
  }
  const parts: Uint8Array[] = []
  let total = 0
  const deadline = { at: Date.now() + timeouts.smallBodyMs, what, ms: timeouts.smallBodyMs }
  for await (const chunk of readChunks(sent, host, timeouts.idleMs, deadline)) {
    total += chunk.length
    if (total > limit) {
      sent.abort.abort()
      throw new LiteError(`${what} is more than the ${limit} bytes allowed`)
    }
    parts.push(chunk)
  }
  return Buffer.concat(parts, total)
}

/** Drops a response's body without reading it (the connection is closed). */
export function discard(sent: Sent): void {
  try {
    sent.abort.abort()
  } catch {}
}
