// The record of one OCI container under --root (default /run/lite-oci): <root>/<id>/
// holds state.json (this record), exec.fifo while the container is created and not
// started (its init blocks reading it), and `lock`. lite-oci keeps no process, so every
// command starts from this record and asks the kernel the rest: whether the init still
// lives (pid + start time, so a reused pid reads as stopped), whether its freezer is
// frozen, what its cgroups hold.
//
// Concurrency. Readers (state, list, ps, kill) need nothing: the record is replaced
// atomically (a temp file renamed over it) and is written once by create (update does
// not rewrite it). Two writers of one container's life are serialised by a flock on
// <root>/<id>/lock (lockContainer): `delete` takes it before it reads the record, so
// that of two concurrent deletes one runs the poststop hooks and removes the cgroups,
// and the other finds no container; `create` takes it right after makeContainerDir and
// keeps it until the record is written, so that a delete meanwhile (which removes a
// directory without a record, as runc does) waits instead of removing a container in
// the making. The flock dies with its holder (kill -9 included), so nothing stale is
// ever left locked. pause, resume and update do not lock: each is one idempotent write
// to the kernel, as runc's are.

import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeSync, type Dirent } from 'node:fs'
import { posix } from 'node:path'
import { parseStartTime } from '../lifecycle/process-identity.ts'
import { writeAll, writeErr } from '../output.ts'
import { NOT_EXIST, OciError } from './errors.ts'
import type { OciHook, OciState } from './spec.ts'

export interface OciRecord {
  id: string
  /** absolute path of the bundle */
  bundle: string
  /** the config's ociVersion */
  ociVersion: string
  /** RFC 3339 */
  created: string
  /** the container's init on the host */
  pid: number
  /** field 22 of /proc/PID/stat of the init: tells a reused pid apart; null: unknown (reads as stopped) */
  pidStart: number | null
  annotations: Record<string, string>
  /** the container's cgroup directories, one per hierarchy (ps, pause, update, kill --all) */
  cgroups: string[]
  /** those lite created: delete removes exactly these */
  cgroupsMade: string[]
  /** delete runs them */
  poststop: OciHook[]
  /** start's hooks, kept from create: runc runs the config it was created with, whatever the bundle holds now */
  startContainer: OciHook[]
  poststart: OciHook[]
  terminal: boolean
  /** runc's field: '' */
  owner: string
  /** absolute path of the root filesystem, which runc's `state` and `list` print ('' when not recorded) */
  rootfs?: string
}

/** runc's `state` object: the runtime spec's state plus rootfs, created and owner, in runc's key order. */
export interface RuncState extends OciState {
  rootfs: string
  created: string
  owner: string
}

export const STATE_FILE = 'state.json'
export const FIFO_FILE = 'exec.fifo'
export const LOCK_FILE = 'lock'

/** runc's words (libcontainer/error.go, utils_linux.go). */
export const INVALID_ID = 'invalid container ID format'
export const EMPTY_ID = 'container id cannot be empty'
export const ID_EXISTS = 'container with given ID already exists'

// ------------------------------------------------------------------ ids and paths

/**
 * runc's rule: ASCII letters, digits, "_", "+", "-", "." only, and not a name that is
 * no file name ("." or ".."). So an id is always one path component under the root.
 */
export function checkId(id: string): void {
  if (id === '') throw new OciError(EMPTY_ID)
  if (!/^[A-Za-z0-9_+\-.]+$/.test(id) || id === '.' || id === '..') throw new OciError(INVALID_ID)
}

export function containerDir(root: string, id: string): string {
  checkId(id)
  return posix.join(root, id)
}

/** <root>/<id>/exec.fifo: the init blocks reading it until `start` writes a byte. */
export function fifoPath(root: string, id: string): string {
  return posix.join(containerDir(root, id), FIFO_FILE)
}

export function lockPath(root: string, id: string): string {
  return posix.join(containerDir(root, id), LOCK_FILE)
}

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code
}

/** Makes the root (0700) if needed and <root>/<id> (0711), which must not exist: the id is taken. */
export function makeContainerDir(root: string, id: string): string {
  const dir = containerDir(root, id)
  mkdirSync(root, { recursive: true, mode: 0o700 })
  try {
    mkdirSync(dir, { mode: 0o711 })
  } catch (e) {
    if (code(e) === 'EEXIST') throw new OciError(ID_EXISTS)
    throw new OciError(`cannot create ${dir}: ${(e as Error).message}`)
  }
  return dir
}

/** Removes <root>/<id> and everything in it (the lock file too); a missing one is fine. */
export function removeContainerDir(root: string, id: string): void {
  // A `lite-oci exec` finishing beside a `delete --force` may still write its cache entry
  // here (plan/plan-cache.ts): a retry removes a directory that filled again meanwhile.
  rmSync(containerDir(root, id), { recursive: true, force: true, maxRetries: 3, retryDelay: 20 })
}

// ------------------------------------------------------------------ the record

/**
 * Replaces state.json atomically: written to a temp file beside it, flushed (a no-op
 * on tmpfs, a real barrier if --root is on a disk), then renamed over it. A reader sees
 * the old record or the new one, never a part.
 */
export function writeRecord(root: string, rec: OciRecord): void {
  const path = posix.join(containerDir(root, rec.id), STATE_FILE)
  const temp = posix.join(posix.dirname(path), `.${STATE_FILE}.${process.pid}.tmp`)
  const fd = openSync(temp, 'w', 0o600)
  try {
    const bytes = Buffer.from(JSON.stringify(rec) + '\n')
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off)
    fsyncSync(fd)
  } catch (e) {
    closeSync(fd)
    try {
      unlinkSync(temp)
    } catch {}
    throw e
  }
  closeSync(fd)
  try {
    renameSync(temp, path)
  } catch (e) {
    try {
      unlinkSync(temp)
    } catch {}
    throw e
  }
}

type Json = Record<string, unknown>

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string')

function checkRecord(v: unknown, id: string): OciRecord | string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object'
  const o = v as Json
  for (const k of ['id', 'bundle', 'ociVersion', 'created'] as const) if (typeof o[k] !== 'string') return `"${k}" is not a string`
  if (o.id !== id) return `it names the container "${String(o.id)}"`
  if (!Number.isSafeInteger(o.pid) || (o.pid as number) < 0) return '"pid" is not a pid'
  if (o.pidStart !== null && o.pidStart !== undefined && !Number.isSafeInteger(o.pidStart)) return '"pidStart" is not an integer or null'
  const annotations = o.annotations ?? {}
  if (typeof annotations !== 'object' || annotations === null || Array.isArray(annotations) || !Object.values(annotations).every((x) => typeof x === 'string')) {
    return '"annotations" is not an object of strings'
  }
  for (const k of ['cgroups', 'cgroupsMade'] as const) if (o[k] !== undefined && !isStrings(o[k])) return `"${k}" is not a list of paths`
  const isHooks = (v: unknown) => Array.isArray(v) && v.every((h) => typeof h === 'object' && h !== null && typeof (h as Json).path === 'string')
  for (const k of ['poststop', 'startContainer', 'poststart'] as const) if (o[k] !== undefined && !isHooks(o[k])) return `"${k}" is not a list of hooks`
  if (o.terminal !== undefined && typeof o.terminal !== 'boolean') return '"terminal" is not a boolean'
  for (const k of ['owner', 'rootfs'] as const) if (o[k] !== undefined && typeof o[k] !== 'string') return `"${k}" is not a string`
  // Fields a record of another lite version may lack read as empty.
  return {
    id: o.id as string,
    bundle: o.bundle as string,
    ociVersion: o.ociVersion as string,
    created: o.created as string,
    pid: o.pid as number,
    pidStart: (o.pidStart as number | null | undefined) ?? null,
    annotations: annotations as Record<string, string>,
    cgroups: (o.cgroups as string[] | undefined) ?? [],
    cgroupsMade: (o.cgroupsMade as string[] | undefined) ?? [],
    poststop: (o.poststop as OciHook[] | undefined) ?? [],
    startContainer: (o.startContainer as OciHook[] | undefined) ?? [],
    poststart: (o.poststart as OciHook[] | undefined) ?? [],
    terminal: (o.terminal as boolean | undefined) ?? false,
    owner: (o.owner as string | undefined) ?? '',
    ...(typeof o.rootfs === 'string' ? { rootfs: o.rootfs } : {}),
  }
}

/**
 * The record of <root>/<id>. No directory, or a directory without a record (a create
 * in progress, or one that died before writing it): NOT_EXIST, as runc says. A record
 * that can't be read or parsed: an error that names the file.
 */
export function readRecord(root: string, id: string): OciRecord {
  const path = posix.join(containerDir(root, id), STATE_FILE)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    if (code(e) === 'ENOENT' || code(e) === 'ENOTDIR') throw new OciError(NOT_EXIST)
    throw new OciError(`cannot read ${path}: ${(e as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (e) {
    throw new OciError(`${path} is corrupt: not valid JSON (${(e as Error).message})`)
  }
  const rec = checkRecord(parsed, id)
  if (typeof rec === 'string') throw new OciError(`${path} is corrupt: ${rec}`)
  return rec
}

/**
 * Every container under the root, by id. A directory without a record (a create in
 * progress) is skipped quietly, a corrupt record with a warning; an absent root holds
 * none.
 */
export function listRecords(root: string, warn: (msg: string) => void = (msg) => writeErr(`lite-oci: warning: ${msg}\n`)): OciRecord[] {
  let names: string[]
  try {
    names = readdirSync(root)
  } catch (e) {
    if (code(e) === 'ENOENT') return []
    throw new OciError(`cannot read ${root}: ${(e as Error).message}`)
  }
  const records: OciRecord[] = []
  for (const name of names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    try {
      checkId(name)
      if (!statSync(posix.join(root, name)).isDirectory()) continue
    } catch {
      continue // not a container's directory (or gone meanwhile)
    }
    try {
      records.push(readRecord(root, name))
    } catch (e) {
      if (!(e instanceof OciError && e.message === NOT_EXIST)) warn(`skipping ${name}: ${(e as Error).message}`)
    }
  }
  return records
}

// ------------------------------------------------------------------ status

/**
 * Whether the record's init still lives: the same pid with the same start time, and
 * not a zombie (an init that exited and that its reaper, conmon or the shim, has yet
 * to collect is stopped, as runc says).
 */
export function initAlive(rec: Pick<OciRecord, 'pid' | 'pidStart'>, proc = '/proc'): boolean {
  if (rec.pid <= 0 || rec.pidStart === null) return false
  let stat: string
  try {
    stat = readFileSync(`${proc}/${rec.pid}/stat`, 'utf8')
  } catch {
    return false
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
  if (state === 'Z' || state === 'X') return false
  return parseStartTime(stat) === rec.pidStart
}

export interface Freezer {
  version: 1 | 2
  /** the container's cgroup directory that holds freezer.state (v1) or cgroup.freeze (v2) */
  dir: string
}

/**
 * The freezer of a container: its v1 freezer cgroup if it has one (on a hybrid host
 * too, as runc), else its v2 cgroup (cgroup.freeze: kernel 5.2 and later).
 */
export function freezerOf(cgroups: readonly string[]): Freezer | undefined {
  const v1 = cgroups.find((d) => existsSync(posix.join(d, 'freezer.state')))
  if (v1) return { version: 1, dir: v1 }
  const v2 = cgroups.find((d) => existsSync(posix.join(d, 'cgroup.freeze')))
  return v2 ? { version: 2, dir: v2 } : undefined
}

/** v1 freezer.state FROZEN, or v2 cgroup.freeze 1. */
export function isFrozen(cgroups: readonly string[]): boolean {
  const f = freezerOf(cgroups)
  if (!f) return false
  try {
    const text = readFileSync(posix.join(f.dir, f.version === 1 ? 'freezer.state' : 'cgroup.freeze'), 'utf8').trim()
    return f.version === 1 ? text === 'FROZEN' : text === '1'
  } catch {
    return false
  }
}

/**
 * runc's status: stopped unless the init lives (same pid, same start time); then
 * paused when its freezer is frozen (runc looks at that first: a created container can
 * be paused too), created while exec.fifo exists (start removes it), else running.
 */
export function ociStatus(root: string, rec: OciRecord, proc = '/proc'): OciState['status'] {
  if (!initAlive(rec, proc)) return 'stopped'
  if (isFrozen(rec.cgroups)) return 'paused'
  if (existsSync(fifoPath(root, rec.id))) return 'created'
  return 'running'
}

/** Go's RFC3339Nano of a time: the fraction without trailing zeros ("…:05.12Z", "…:05Z"). */
export function rfc3339Nano(text: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text)
  if (!m) return text
  const fraction = (m[2] ?? '').replace(/0+$/, '')
  return `${m[1]}${fraction ? `.${fraction}` : ''}${m[3]}`
}

/**
 * What `state` prints, as runc: the pid is 0 once stopped, annotations only when there
 * are some, and rootfs, created and owner ('') after the spec's fields.
 */
export function ociState(root: string, rec: OciRecord, proc = '/proc'): RuncState {
  const status = ociStatus(root, rec, proc)
  const state: RuncState = {
    ociVersion: rec.ociVersion,
    id: rec.id,
    pid: status === 'stopped' ? 0 : rec.pid,
    status,
    bundle: rec.bundle,
    rootfs: rec.rootfs ?? '',
    created: rfc3339Nano(rec.created),
    owner: rec.owner,
  }
  // runc's key order: annotations (omitted when empty) come between created and owner.
  const { owner, ...rest } = state
  return Object.keys(rec.annotations).length ? { ...rest, annotations: rec.annotations, owner } : { ...rest, owner }
}

// ------------------------------------------------------------------ processes

function procsOf(dir: string, into: Set<number>): void {
  let text = ''
  try {
    text = readFileSync(posix.join(dir, 'cgroup.procs'), 'utf8')
  } catch {
    return
  }
  for (const line of text.split('\n')) if (/^\d+$/.test(line.trim())) into.add(Number(line.trim()))
  let entries: Dirent[] = []
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {}
  for (const e of entries) if (e.isDirectory()) procsOf(posix.join(dir, e.name), into)
}

/**
 * Every process in the container's cgroups, sub-cgroups it made included (runc's
 * GetAllPids), over all its hierarchies (lite attaches the init to each), ascending.
 */
export function containerPids(cgroups: readonly string[]): number[] {
  const pids = new Set<number>()
  for (const dir of cgroups) procsOf(dir, pids)
  return [...pids].sort((a, b) => a - b)
}

// ------------------------------------------------------------------ the lock

/** The addon's lockFile (open O_CREAT + flock LOCK_NB; throws code "Busy"). */
export interface OciLocker {
  lockFile(path: string, exclusive: boolean): number
}

export const LOCK_WAIT_MS = 10_000
const LOCK_POLL_MS = 20

/**
 * Takes <root>/<id>/lock exclusively, waiting for another holder up to `waitMs`; the fd
 * holds it (close it, or exit, to let go). NOT_EXIST when the container's directory is
 * gone, before or while waiting (the holder deleted it): then there is nothing to do.
 */
export async function lockContainer(root: string, id: string, locker: OciLocker, waitMs = LOCK_WAIT_MS): Promise<number> {
  const dir = containerDir(root, id)
  const path = posix.join(dir, LOCK_FILE)
  const deadline = Date.now() + waitMs
  for (;;) {
    if (!existsSync(dir)) throw new OciError(NOT_EXIST)
    let fd: number
    try {
      fd = locker.lockFile(path, true)
    } catch (e) {
      if (!existsSync(dir)) throw new OciError(NOT_EXIST)
      if (code(e) !== 'Busy') throw new OciError(`cannot lock ${path}: ${(e as Error).message}`)
      if (Date.now() >= deadline) throw new OciError(`container ${id} is busy: another lite-oci command holds ${path} (waited ${Math.round(waitMs / 1000)} s)`)
      await new Promise((r) => setTimeout(r, LOCK_POLL_MS))
      continue
    }
    // A delete that held it removed the directory before letting go: the file we
    // locked is no longer the one at the path (or there is none).
    try {
      const held = fstatSync(fd)
      const now = statSync(path)
      if (held.ino === now.ino && held.dev === now.dev) return fd
    } catch {}
    closeSync(fd)
  }
}

export function unlockContainer(fd: number): void {
  try {
    closeSync(fd)
  } catch {}
}

// ------------------------------------------------------------------ output

/** Where the commands write; tests pass their own. */
export interface OciIo {
  stdout(text: string): void
  /** all of standard input (update --resources -) */
  readStdin(): string
}

export const processIo: OciIo = {
  stdout: (text) => writeAll(1, text),
  readStdin: () => readFileSync(0, 'utf8'),
}
