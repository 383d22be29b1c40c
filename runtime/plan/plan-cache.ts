// The compiled-plan cache. What `lite run`, `lite exec` and `lite-oci exec` derive from
// a config (the validated config and its launch plan, the seccomp rules resolved) is the
// same every time the same config runs on the same host with the same lite, and boards
// run the same configs over and over. One entry per request (at most four per config and
// purpose), under /run/lite/.lite-cache/, holds that result beside everything it was
// derived from:
//   - lite's build id (a hash of the bundle's sources and of the addon, set at build);
//   - the request: the config's absolute path, the command-line overrides, tty and
//     interactive, the state root, the arch and the kernel release;
//   - every host file that the validation and the plan looked at (inputs.ts), each with
//     its device, inode, mode, size, mtime and ctime (ns) and rdev, or its absence;
//   - the host facts the plan used (resolv.conf, localtime, host name, cgroup layout),
//     which the caller reads again at every run.
// A hit needs every one of them equal. Anything else (no entry, another build, a file
// touched, a corrupt or truncated entry) is a miss: the full path runs and rewrites the
// entry. An input changed within the last RACY_MS is not trusted to show a later change
// in its timestamps (they tick coarsely), so such a result is not stored.
//
// lite-oci exec keeps its entries in the container's own state dir instead (an OCI id
// may be any name, .lite-cache too), so that `lite-oci delete` removes them, not
// `lite cache clear`.
//
// [rootfs] image: the store's files that name and describe the image (images.ini, the
// tag's ref file, the image's config.json, passwd and group copies, its image file) are
// inputs like any other, so a moved tag or a removed image is a miss. The store's record
// of the container (an update in progress, one interrupted, a pinned image) moves
// without the config: `lite run` asks it at every run and hands the answer to `recheck`,
// which turns a hit compiled with another answer into a miss.
//
// Never stored: configs with parts that must be resolved at every run: a network joined
// from another container or a netns path. `lite check` never comes here; `lite run
// --no-cache` skips it, and `lite cache clear` empties it.

import { type BigIntStats, closeSync, fstatSync, mkdirSync, openSync, readSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, constants as fsc } from 'node:fs'
import { posix } from 'node:path'
import type { ContainerConfig } from '../config/types.ts'
import type { LaunchPlan } from './build.ts'
import type { HostFacts } from './etc-files.ts'
import { recordInputs } from './inputs.ts'
import { BUILD_ID } from '../build-info.ts'
import { fnv64 } from './fnv.ts'
import { cacheDir } from './cache-paths.ts'

export { cacheDir }

const MAGIC = 'lite-plan-cache 1'
/** An entry larger than this is not lite's: a miss. */
const ENTRY_LIMIT = 4 << 20
/** Inputs changed more recently than this at recording time are not trusted (see above). */
export const RACY_MS = 2000

export interface Compiled {
  config: ContainerConfig
  plan: LaunchPlan
  /** run, [rootfs] image: what the store's record chose when this was compiled ("pinned sha256:..."), absent when the config's tag decided */
  imageChoice?: string
}

export interface CacheRequest {
  /** 'run', 'exec' or 'oci-exec': begins the entry's name, beside the config's hash */
  purpose: string
  /** the config file as given */
  file: string
  /** whatever else the result depends on: overrides, tty, ... (JSON values) */
  options: Record<string, unknown>
  /** where the entry lives; cacheDir(stateRoot) by default (lite-oci: the container's own dir) */
  dir?: string
}

export type CacheOutcome<T = Compiled> = T & {
  /** 'hit', or why it missed (for LITE_TRACE and the tests) */
  outcome: string
  /** the inputs and their signatures, as the entry holds them: a hit's, or those just stored */
  inputs?: [string, string][]
}

interface Header {
  magic: string
  build: string
  key: string
  host: string
  inputs: [string, string][]
  length: number
  sum: string
}

const bunHash = (globalThis as { Bun?: { hash(text: string): number | bigint } }).Bun?.hash

/**
 * The payload's check sum: Bun's native wyhash (0.1 ms for an entry, where a hash in
 * JavaScript takes ~3 ms before the JIT warms up), or FNV where there is no Bun (tests
 * under Node). Tagged, so that one never reads as the other.
 */
export function payloadSum(text: string): string {
  return bunHash ? `wy:${bunHash(text).toString(16)}` : `fnv:${fnv64(text)}`
}

/** What a hit needs of a file: its identity, type, size and times, or its absence. */
export function fileSignature(path: string): string {
  const st = statOrError(path)
  return typeof st === 'string' ? st : signatureOf(st)
}

function signatureOf(st: BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.mode}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.rdev}`
}

/** stat with ns times, or what stands for its absence: '-' (ENOENT), '!ENOTDIR', '!EACCES'... */
function statOrError(path: string): BigIntStats | string {
  try {
    return statSync(path, { bigint: true, throwIfNoEntry: false }) ?? '-'
  } catch (e) {
    return `!${(e as NodeJS.ErrnoException).code ?? 'error'}`
  }
}

/**
 * The signature to store for an input, from one stat; undefined when it changed within
 * RACY_MS of `now`: a change right after the recording read it could then carry the
 * same timestamps as the state it read.
 */
function settledSignature(path: string, now: number): string | undefined {
  const st = statOrError(path)
  if (typeof st === 'string') return st
  const ns = st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs
  if (Number(ns / 1_000_000n) > now - RACY_MS) return undefined
  return signatureOf(st)
}

/** The host facts as they enter the plan (functions left out: their file checks are inputs). */
export function hostFingerprint(host: HostFacts): string {
  return JSON.stringify({ resolvConf: host.resolvConf, localtime: host.localtime, hostname: host.hostname, cgroups: host.cgroups?.layout ?? null })
}

function requestKey(req: CacheRequest, stateRoot: string, kernel: string): string {
  return JSON.stringify({ purpose: req.purpose, file: posix.resolve(req.file), options: req.options, stateRoot, arch: process.arch, kernel })
}

/** An entry's name begins with this: its purpose and config. */
function configPrefix(req: CacheRequest): string {
  return `${req.purpose}-${fnv64(posix.resolve(req.file))}-`
}

/**
 * One entry per request (its key's hash ends the name), and up to ENTRIES_PER_CONFIG per
 * purpose and config: a liveness and a readiness probe exec'ing two commands into one
 * container alternate, and one entry each keeps both hits.
 */
function entryPath(req: CacheRequest, stateRoot: string, key: string): string {
  return posix.join(req.dir ?? cacheDir(stateRoot), configPrefix(req) + fnv64(key))
}

const ENTRIES_PER_CONFIG = 4

/**
 * At most this many files in the shared cache directory, whatever their config: the
 * entries of configs that are gone (a test's, a renamed service's) would otherwise stay
 * in /run's RAM until reboot. About 3 MB at today's sizes; a board's own configs fit.
 */
export const CACHE_FILES_MAX = 128

/** Removes the oldest entries of `req`'s purpose and config beyond ENTRIES_PER_CONFIG. */
function evictOld(dir: string, req: CacheRequest): void {
  const prefix = configPrefix(req)
  removeOldest(dir, (name) => name.startsWith(prefix) && !name.endsWith('.tmp'), ENTRIES_PER_CONFIG)
  if (!req.dir) trimCacheDir(dir)
}

/**
 * Keeps the newest CACHE_FILES_MAX files of the shared cache directory (plan entries,
 * fast entries, and a writer's temp file left by a crash); a miss rewrites what went.
 */
export function trimCacheDir(dir: string, max = CACHE_FILES_MAX): void {
  removeOldest(dir, () => true, max)
}

/** Removes the files of `dir` that `pick` names, oldest first, beyond the newest `keep`. */
function removeOldest(dir: string, pick: (name: string) => boolean, keep: number): void {
  const names = readdirSync(dir).filter(pick)
  if (names.length <= keep) return
  const entries: { path: string; mtime: number }[] = []
  for (const name of names) {
    const path = posix.join(dir, name)
    const st = statSync(path, { throwIfNoEntry: false })
    if (st?.isFile()) entries.push({ path, mtime: st.mtimeMs })
  }
  entries.sort((a, b) => b.mtime - a.mtime)
  for (const e of entries.slice(keep)) rmSync(e.path, { force: true })
}

/**
 * Whether JSON gives `value` back as it is: no undefined in arrays, no NaN or Infinity,
 * no class instances, no functions (an object property that is undefined counts as absent).
 */
export function survivesJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  if (typeof value === 'number') return Number.isFinite(value)
  if (Array.isArray(value)) return value.every((v) => v !== undefined && survivesJson(v))
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) return false
    return Object.values(value as Record<string, unknown>).every((v) => v === undefined || survivesJson(v))
  }
  return false
}

/** Whether a result may be stored at all (see the top of this file). */
export function cacheable(config: ContainerConfig): boolean {
  return config.net.type !== 'container' && config.net.type !== 'netns'
}

/** What a result of the ini front end must be, to be stored and to be taken from an entry. */
const CONFIG_RESULT: ResultKind<Compiled> = {
  storable: (value) => cacheable(value.config),
  isResult: (value): value is Compiled => {
    const v = value as Partial<Compiled> | null
    return !!v && typeof v === 'object' && !!v.config && !!v.plan?.native
  },
}

/** How the cache tells a result of one kind: whether one may be stored, and the shape of one read back. */
export interface ResultKind<T> {
  storable: (value: T) => boolean
  isResult: (value: unknown) => value is T
}

/** The kind a caller names, or the ini front end's (T is then Compiled). */
function kindOr<T>(kind: ResultKind<T> | undefined): ResultKind<T> {
  return kind ?? (CONFIG_RESULT as unknown as ResultKind<T>)
}

function readEntry(path: string): string | undefined {
  let fd: number
  try {
    fd = openSync(path, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK)
  } catch {
    return undefined
  }
  try {
    const st = fstatSync(fd)
    // Only lite (root, or the rootless user) writes here; anything else is not trusted.
    if (!st.isFile() || st.uid !== (process.geteuid?.() ?? 0) || (st.mode & 0o077) !== 0 || st.size > ENTRY_LIMIT) return undefined
    const buf = Buffer.alloc(st.size)
    let n = 0
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, n)
      if (got === 0) break
      n += got
    }
    return buf.subarray(0, n).toString('utf8')
  } finally {
    closeSync(fd)
  }
}

/** The cached result when every input still matches; else why not. */
export function lookup(req: CacheRequest, host: HostFacts, stateRoot: string, kernel: string): Compiled | string
export function lookup<T>(req: CacheRequest, host: HostFacts, stateRoot: string, kernel: string, kind: ResultKind<T>): T | string
export function lookup<T>(req: CacheRequest, host: HostFacts, stateRoot: string, kernel: string, kind?: ResultKind<T>): T | string {
  const found = find(req, host, stateRoot, kernel, kindOr(kind))
  return typeof found === 'string' ? found : found.value
}

/** lookup, with the inputs and signatures the entry holds. */
function find<T>(req: CacheRequest, host: HostFacts, stateRoot: string, kernel: string, kind: ResultKind<T>): { value: T; inputs: [string, string][] } | string {
  if (!BUILD_ID) return 'no build id'
  const key = requestKey(req, stateRoot, kernel)
  const text = readEntry(entryPath(req, stateRoot, key))
  if (text === undefined) return 'no entry'
  const nl = text.indexOf('\n')
  let header: Header
  try {
    header = JSON.parse(text.slice(0, nl < 0 ? text.length : nl))
  } catch {
    return 'corrupt header'
  }
  if (!header || header.magic !== MAGIC) return 'not an entry'
  if (header.build !== BUILD_ID) return 'another build'
  // (another request whose key's hash is the same)
  if (header.key !== key) return 'another request'
  if (header.host !== hostFingerprint(host)) return 'host facts changed'
  if (!Array.isArray(header.inputs)) return 'corrupt header'
  for (const input of header.inputs) {
    if (!Array.isArray(input) || typeof input[0] !== 'string' || fileSignature(input[0]) !== input[1]) return `changed: ${input?.[0]}`
  }
  const payload = text.slice(nl + 1)
  if (payload.length !== header.length || payloadSum(payload) !== header.sum) return 'corrupt payload'
  try {
    const value: unknown = JSON.parse(payload)
    return kind.isResult(value) ? { value, inputs: header.inputs } : 'corrupt payload'
  } catch {
    return 'corrupt payload'
  }
}

/** Writes the entry atomically; a failure only costs the next run its hit. */
export function store(req: CacheRequest, host: HostFacts, stateRoot: string, kernel: string, result: Compiled, inputs: string[], now?: number): string
export function store<T>(req: CacheRequest, host: HostFacts, stateRoot: string, kernel: string, result: T, inputs: string[], now: number, kind: ResultKind<T>): string
export function store<T>(req: CacheRequest, host: HostFacts, stateRoot: string, kernel: string, result: T, inputs: string[], now = Date.now(), kind?: ResultKind<T>): string {
  return storeSigned(req, host, stateRoot, kernel, result, inputs, now, kindOr(kind)).text
}

/** store, with the signatures it stored (none when it stored nothing). */
function storeSigned<T>(req: CacheRequest, host: HostFacts, stateRoot: string, kernel: string, result: T, inputs: string[], now: number, kind: ResultKind<T>): { text: string; signed?: [string, string][] } {
  if (!BUILD_ID) return { text: 'no build id' }
  if (!kind.storable(result)) return { text: 'not cacheable' }
  if (!survivesJson(result)) return { text: 'not plain data' }
  const signed: [string, string][] = []
  for (const p of inputs) {
    const sig = settledSignature(p, now)
    if (sig === undefined) return { text: `${p} changed just now` }
    signed.push([p, sig])
  }
  const payload = JSON.stringify(result)
  const key = requestKey(req, stateRoot, kernel)
  const header: Header = {
    magic: MAGIC,
    build: BUILD_ID,
    key,
    host: hostFingerprint(host),
    inputs: signed,
    length: payload.length,
    sum: payloadSum(payload),
  }
  const path = entryPath(req, stateRoot, key)
  const temp = `${path}.${process.pid}.tmp`
  try {
    // A directory of the caller's (a container's own) is never made again: it may be gone.
    if (!req.dir) mkdirSync(cacheDir(stateRoot), { recursive: true, mode: 0o700 })
    writeFileSync(temp, `${JSON.stringify(header)}\n${payload}`, { mode: 0o600, flag: 'w' })
    renameSync(temp, path)
  } catch (e) {
    try {
      unlinkSync(temp)
    } catch {}
    return { text: `not stored: ${(e as Error).message}` }
  }
  try {
    evictOld(posix.dirname(path), req)
  } catch {
    // an older entry left behind costs only space; the next store tries again
  }
  return { text: 'stored', signed }
}

export interface CompileSteps<T = Compiled> {
  /** asynchronous work a miss needs before it compiles (run: the store's record of the image) */
  prepare?: () => Promise<void>
  /** validation and plan, synchronous so that its inputs can be recorded; throws the config's errors */
  compile: () => T
  /** a result other than the ini front end's config and plan (lite-oci exec's): required for one */
  kind?: ResultKind<T>
  /** a hit's last check against what moves outside its inputs (run: the store's record); a reason makes it a miss */
  recheck?: (hit: T) => Promise<string | undefined>
}

/**
 * The config and plan for `req`: from the cache when every input matches, otherwise
 * compiled as always, then stored (before the caller puts this run's fds into the plan).
 */
export async function compiled(req: CacheRequest, host: HostFacts, stateRoot: string, kernel: string, useCache: boolean, steps: CompileSteps<Compiled>, now?: () => number): Promise<CacheOutcome<Compiled>>
export async function compiled<T extends object>(req: CacheRequest, host: HostFacts, stateRoot: string, kernel: string, useCache: boolean, steps: CompileSteps<T> & { kind: ResultKind<T> }, now?: () => number): Promise<CacheOutcome<T>>
export async function compiled<T extends object>(req: CacheRequest, host: HostFacts, stateRoot: string, kernel: string, useCache: boolean, steps: CompileSteps<T>, now = Date.now): Promise<CacheOutcome<T>> {
  const kind = kindOr(steps.kind)
  let hit = useCache ? find(req, host, stateRoot, kernel, kind) : 'not used'
  if (typeof hit !== 'string') {
    const stale = await steps.recheck?.(hit.value)
    if (stale === undefined) return { ...hit.value, outcome: 'hit', inputs: hit.inputs }
    hit = stale
  }
  await steps.prepare?.()
  if (!useCache) return { ...steps.compile(), outcome: 'not used' }
  const { value, inputs } = recordInputs(steps.compile)
  const stored = storeSigned(req, host, stateRoot, kernel, value, inputs, now(), kind)
  return { ...value, outcome: `miss (${hit}; ${stored.text})`, ...(stored.signed ? { inputs: stored.signed } : {}) }
}

/** `lite cache clear`: removes every entry; returns how many there were. */
export function clearCache(stateRoot: string): number {
  const dir = cacheDir(stateRoot)
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return 0
  }
  for (const n of names) rmSync(posix.join(dir, n), { force: true })
  return names.filter((n) => !n.endsWith('.tmp')).length
}
