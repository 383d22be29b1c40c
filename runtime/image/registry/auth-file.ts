// Credentials from a Docker-style auth.json:
//   { "auths": { "registry.example:5000": { "auth": "<base64 user:pass>" },
//                "https://index.docker.io/v1/": { "username": "u", "password": "p" } } }
// A key may carry a scheme and a path (docker login writes "https://index.docker.io/v1/"
// for docker.io); "index.docker.io" and "registry-1.docker.io" stand for docker.io.
// A key "host/namespace" (as podman writes) applies to the repositories under it,
// and the longest key that applies wins. Credential helpers are not run.

import fs from 'node:fs'
import { LiteError } from '../../errors.ts'
import { DOCKER_HUB } from '../reference.ts'

export interface Credentials {
  username: string
  password: string
}

export type AuthEntries = Map<string, Credentials>

const MAX_AUTH_FILE = 1 << 20

/** "https://Index.Docker.io/v1/" -> "docker.io"; "https://h:5000/ns/" -> "h:5000/ns" */
export function normaliseAuthKey(key: string): string {
  let k = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
  k = k.replace(/\/+$/, '')
  const slash = k.indexOf('/')
  let host = (slash >= 0 ? k.slice(0, slash) : k).toLowerCase()
  let path = slash >= 0 ? k.slice(slash + 1) : ''
  if (host === 'index.docker.io' || host === 'registry-1.docker.io') host = DOCKER_HUB
  // docker login's legacy v1 path is not a namespace
  if (path === 'v1' || path === 'v2') path = ''
  return path ? `${host}/${path}` : host
}

function decodeEntry(v: unknown, key: string, file: string): Credentials | undefined {
  if (typeof v !== 'object' || v === null) return undefined
  const e = v as Record<string, unknown>
  if (typeof e.auth === 'string' && e.auth !== '') {
    const text = Buffer.from(e.auth, 'base64').toString('utf8')
    const colon = text.indexOf(':')
    if (colon <= 0) throw new LiteError(`${file}: the "auth" of ${JSON.stringify(key)} is not base64 of USER:PASSWORD`)
    return { username: text.slice(0, colon), password: text.slice(colon + 1) }
  }
  if (typeof e.username === 'string' && typeof e.password === 'string' && e.username !== '') return { username: e.username, password: e.password }
  return undefined
}

/** The "auths" of an auth.json text, keys normalised. */
export function parseAuthFile(text: string, file: string): AuthEntries {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch (e) {
    throw new LiteError(`${file} is not valid JSON (${(e as Error).message})`)
  }
  const out: AuthEntries = new Map()
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new LiteError(`${file} is not a JSON object`)
  const auths = (v as Record<string, unknown>).auths
  if (auths === undefined || auths === null) return out
  if (typeof auths !== 'object' || Array.isArray(auths)) throw new LiteError(`${file}: "auths" is not an object`)
  for (const [key, entry] of Object.entries(auths as Record<string, unknown>)) {
    const creds = decodeEntry(entry, key, file)
    if (creds) out.set(normaliseAuthKey(key), creds)
  }
  return out
}

/** The auth file's entries; none when it does not exist. */
export function readAuthFile(file: string): AuthEntries {
  let fd: number
  try {
    fd = fs.openSync(file, 'r')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map()
    throw new LiteError(`cannot read the auth file ${file}: ${(e as Error).message}`)
  }
  try {
    const size = fs.fstatSync(fd).size
    if (size > MAX_AUTH_FILE) throw new LiteError(`the auth file ${file} is ${size} bytes, more than the ${MAX_AUTH_FILE} allowed`)
    const buf = Buffer.alloc(size)
    let done = 0
    for (let n = 1; done < size && n > 0; done += n) n = fs.readSync(fd, buf, done, size - done, done)
    return parseAuthFile(buf.subarray(0, done).toString('utf8'), file)
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * The credentials for `host` ("docker.io", "127.0.0.1:5000": the registry's name,
 * or a mirror's) and `repository`: the longest key naming the host, or the host and
 * a namespace above the repository.
 */
export function lookupCredentials(entries: AuthEntries, host: string, repository = ''): Credentials | undefined {
  const h = normaliseAuthKey(host)
  const full = repository ? `${h}/${repository}` : h
  let best: Credentials | undefined
  let bestLen = -1
  for (const [key, creds] of entries) {
    if ((key === h || full === key || full.startsWith(`${key}/`)) && key.length > bestLen) {
      best = creds
      bestLen = key.length
    }
  }
  return best
}
