// The state of a running container under /run/lite/<name>: a lock held by the lite
// process for the container's whole life, the pid, and the files lite mounts in.
// The lock (flock) is what says "running": it is released by the kernel when lite dies,
// even with SIGKILL, so a stale directory is recognised and cleaned by the next run.

import { closeSync, fstatSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { posix } from 'node:path'
import { LiteError } from '../errors.ts'
import { readState, type ContainerState } from './state-file.ts'
import { processStartTime } from './process-identity.ts'
import { readCgroupRecord } from './cgroup-record.ts'

/** lite runs as a user, not root (rootless): its containers are that user's own. */
export const ROOTLESS = (process.geteuid?.() ?? 0) !== 0

/**
 * /run/lite for root; a user's containers live in $XDG_RUNTIME_DIR/lite (a tmpfs of the
 * user's own that vanishes at logout, as /run does at reboot); LITE_STATE_ROOT wins
 * (tests keep their containers apart with it).
 */
export const STATE_ROOT =
  process.env.LITE_STATE_ROOT || (ROOTLESS && process.env.XDG_RUNTIME_DIR ? posix.join(process.env.XDG_RUNTIME_DIR, 'lite') : '/run/lite')

/** Why this user can't have containers of its own here; undefined: it can. */
export function rootlessProblem(): string | undefined {
  if (!ROOTLESS || process.env.LITE_STATE_ROOT || process.env.XDG_RUNTIME_DIR) return undefined
  return 'lite as a user keeps its containers in $XDG_RUNTIME_DIR/lite, and XDG_RUNTIME_DIR is not set (log in with a session, or set it to a directory of your own); root keeps them in /run/lite'
}

export interface StateLock {
  dir: string
  fd: number
  /** the cgroups a run of this name that died had recorded (cgroup-record.ts): the new
   * run removes them before it makes its own */
  leftCgroups: string[]
}

export interface Locker {
  lockExclusive(path: string): number
}

/** The container's pid from the state file (key=value lines), for a message. */
/** The state file, if there is a readable one (a message or a decision only). */
function stateQuietly(dir: string): ContainerState | null {
  try {
    return readState(dir)
  } catch {
    return null
  }
}

// A lite command that reads state (ps, stop, logs...) holds the lock for a moment to
// test it, and a little longer when it cleans up after a dead container (it writes
// status=exited first, removes the cgroups, and may remove the dir, state file last).
// A run that meets such a holder waits for it, within a bound, instead of calling a
// stopped container "already running". With no state at all the holder is a reader
// removing a ghost or a run that is just starting: a short wait tells them apart.
const READER_WAIT_MS = 4000
const NO_STATE_WAIT_MS = 200
const READER_POLL_MS = 20
const LIVE_STATUSES = ['starting', 'running', 'stopping', 'restarting']

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

function lockWhenNotRunning(lockPath: string, locker: Locker): number {
  const dir = posix.dirname(lockPath)
  for (let waited = 0; ; waited += READER_POLL_MS) {
    try {
      return locker.lockExclusive(lockPath)
    } catch (e) {
      const busy = (e as { code?: string }).code === 'Busy'
      const status = busy ? stateQuietly(dir)?.status : undefined
      const bound = status === undefined ? NO_STATE_WAIT_MS : LIVE_STATUSES.includes(status) ? 0 : READER_WAIT_MS
      if (!busy || waited >= bound) throw e
      sleepSync(READER_POLL_MS)
    }
  }
}

/** Kills a process if it is still the one named (pid + start time); injected in tests. */
export type OrphanKiller = (pid: number, startTime: number) => void

function killIfSame(pid: number, startTime: number): void {
  if (processStartTime(pid) !== startTime) return
  try {
    process.kill(pid, 'SIGKILL')
  } catch {}
}

/**
 * The lock was free, so whoever ran the container is dead. If its init still runs
 * (the same pid and start time: no PDEATHSIG reached it), nothing supervises it any
 * more: it goes before the name is reused. (The cgroup clean-up of lite run catches
 * the rest of its processes.)
 */
function killOrphan(dir: string, kill: OrphanKiller): void {
  const s = stateQuietly(dir)
  if (s && s.status !== 'exited' && s.pid !== null && s.pid > 0 && s.pidStart !== null) kill(s.pid, s.pidStart)
}

/** Files a restart keeps: the detached container's log goes on across restarts. */
const KEPT_ON_RESTART = new Set(['lock', 'log', 'log.1'])

export interface AcquireOptions {
  /** the lock a restarting monitor passed on (LITE_STATE_LOCK_FD): still held, so no
   * other run can take the name in between */
  adoptFd?: number
  orphanKiller?: OrphanKiller
}

/** Takes /run/lite/<name>, clearing what a dead run left behind. */
export function acquireState(name: string, locker: Locker, root = STATE_ROOT, options: AcquireOptions = {}): StateLock {
  const { adoptFd, orphanKiller = killIfSame } = options
  mkdirSync(root, { recursive: true, mode: 0o700 })
  const dir = posix.join(root, name)
  if (adoptFd !== undefined) {
    try {
      const held = fstatSync(adoptFd)
      const now = statSync(posix.join(dir, 'lock'))
      if (held.ino === now.ino && held.dev === now.dev) {
        const leftCgroups = readCgroupRecord(dir)
        for (const entry of readdirSync(dir)) if (!KEPT_ON_RESTART.has(entry)) rmSync(posix.join(dir, entry), { recursive: true, force: true })
        return { dir, fd: adoptFd, leftCgroups }
      }
    } catch {}
  }
  // Bounded: a retry is only needed when a releasing run unlinked the lock under us.
  for (let attempt = 0; attempt < 5; attempt++) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const lockPath = posix.join(dir, 'lock')
    let fd: number
    try {
      fd = lockWhenNotRunning(lockPath, locker)
    } catch (e) {
      if ((e as { code?: string }).code === 'Busy') {
        throw new LiteError(`container "${name}" is already running (pid ${stateQuietly(dir)?.pid ?? '?'}); choose another name with --name or [container] name`)
      }
      if ((e as { code?: string }).code === 'ENOENT' || /os error 2\b/.test((e as Error).message)) continue // a reader removed a dead dir under us
      throw new LiteError(`cannot lock ${lockPath}: ${(e as Error).message}`)
    }
    // The lock must still be the file at that path (a run that was releasing may
    // have unlinked it between our open and our flock).
    try {
      const held = fstatSync(fd)
      const now = statSync(lockPath)
      if (held.ino === now.ino && held.dev === now.dev) {
        killOrphan(dir, orphanKiller)
        const leftCgroups = readCgroupRecord(dir)
        for (const entry of readdirSync(dir)) if (entry !== 'lock') rmSync(posix.join(dir, entry), { recursive: true, force: true })
        return { dir, fd, leftCgroups }
      }
    } catch {}
    closeSync(fd)
  }
  throw new LiteError(`cannot take the state lock of "${name}" in ${dir}`)
}

/** Removes the state dir, then lets go of the lock. */
export function releaseState(lock: StateLock): void {
  rmSync(lock.dir, { recursive: true, force: true })
  closeSync(lock.fd)
}
