// The containers under the state root, as the lifecycle commands see them. Alive iff
// the lock is held (by lite run, then its monitor): the kernel releases a flock when its
// holder dies, even by SIGKILL or a power cut (/run is a tmpfs), so a free lock with a
// status other than exited is dead state. Looking at a container settles such state
// while holding its lock: a detached one is marked exited (exit code unknown) and kept
// for lite ps -a and lite logs; a foreground one, or a dir with no state, is removed;
// an orphaned container process (same pid and start time) is killed and its cgroups
// removed. So a name is never blocked by a ghost.

import { closeSync, existsSync, fstatSync, readdirSync, rmSync, rmdirSync, statSync } from 'node:fs'
import { posix } from 'node:path'
import { parseContainerName } from '../config/container-name.ts'
import { LiteError } from '../errors.ts'
import { readState, writeState, type ContainerState } from './state-file.ts'
import type { LifecycleSystem } from './system.ts'

export interface Observation {
  name: string
  dir: string
  /** the lock is held: lite run or its monitor owns the container */
  alive: boolean
  /** null only while alive and the state is not written yet */
  state: ContainerState | null
}

const LOCK = 'lock'
const SIGKILL = 9

export function isContainerName(name: string): boolean {
  try {
    parseContainerName(name)
    return true
  } catch {
    return false
  }
}

/** 'Busy', 'ENOENT', or another code: the addon says code "Os" with "(os error N)" in the message. */
function errnoCode(e: unknown): string | undefined {
  if (/\(os error 2\)/.test((e as Error)?.message ?? '')) return 'ENOENT'
  return (e as { code?: string }).code
}

/** Takes the container's lock if nobody holds it: the fd, 'busy', or 'gone' (no dir). */
export function tryLock(dir: string, sys: Pick<LifecycleSystem, 'lockExclusive'>): number | 'busy' | 'gone' {
  try {
    return sys.lockExclusive(posix.join(dir, LOCK))
  } catch (e) {
    const code = errnoCode(e)
    if (code === 'Busy') return 'busy'
    if (code === 'ENOENT') return 'gone'
    throw new LiteError(`cannot lock ${posix.join(dir, LOCK)}: ${(e as Error).message}`)
  }
}

/** What isHeld needs: the lock, and a look at its holder where there is one (the addon alone has none). */
type LockProbe = Pick<LifecycleSystem, 'lockExclusive'> & Partial<Pick<LifecycleSystem, 'lockSeenHeld'>>

/** True while lite run or its monitor holds the container's lock. */
export function isHeld(dir: string, sys: LockProbe): boolean {
  if (sys.lockSeenHeld?.(posix.join(dir, LOCK), readStateQuietly(dir))) return true
  const fd = tryLock(dir, sys)
  if (fd === 'busy') return true
  if (fd !== 'gone') closeSync(fd)
  return false
}

/** Removes a state dir whose lock we hold: its files, then the lock, then the dir. */
export function removeStateDir(dir: string): void {
  // The state file last: until it goes, a run waiting on our lock sees "exited".
  for (const entry of readdirSync(dir)) if (entry !== LOCK && entry !== 'state') rmSync(posix.join(dir, entry), { recursive: true, force: true })
  rmSync(posix.join(dir, 'state'), { force: true })
  rmSync(posix.join(dir, LOCK), { force: true })
  try {
    rmdirSync(dir)
  } catch {} // a new run of the name already made something in it: it is its dir now
}

/** The lock we hold is still the file at its path (a remover may have unlinked it). */
function stillTheLock(fd: number, dir: string): boolean {
  try {
    const held = fstatSync(fd)
    const now = statSync(posix.join(dir, LOCK))
    return held.ino === now.ino && held.dev === now.dev
  } catch {
    return false
  }
}

/** The state in dir; null when there is none or it cannot be read. */
export function readStateQuietly(dir: string): ContainerState | null {
  try {
    return readState(dir)
  } catch {
    return null
  }
}

/**
 * Looks at one container, settling dead state (see the header). Undefined when there
 * is no such container (or there was only a ghost, now removed).
 */
export async function observe(name: string, sys: LifecycleSystem): Promise<Observation | undefined> {
  const dir = posix.join(sys.root, name)
  // Bounded: a retry is only needed when a remover unlinked the lock under us.
  for (let attempt = 0; attempt < 3; attempt++) {
    if (!existsSync(dir)) return undefined
    // Running: its monitor's fd shows the lock, without the addon (lock-holder.ts).
    const seen = readStateQuietly(dir)
    if (sys.lockSeenHeld(posix.join(dir, LOCK), seen)) return { name, dir, alive: true, state: seen }
    // Exited and kept (lite run -d): nothing is left to settle, and the state says it all.
    // A new run of the name that holds the lock but has not written its state yet is
    // seen a moment early, as it was: exited.
    if (seen?.status === 'exited' && seen.detached) return { name, dir, alive: false, state: seen }
    const fd = tryLock(dir, sys)
    if (fd === 'gone') return undefined
    if (fd === 'busy') return { name, dir, alive: true, state: readStateQuietly(dir) }
    try {
      if (!stillTheLock(fd, dir)) continue
      return await settle(name, dir, sys)
    } finally {
      closeSync(fd)
    }
  }
  return undefined
}

/** Nobody owns the container and we hold its lock: what is left of it? */
async function settle(name: string, dir: string, sys: LifecycleSystem): Promise<Observation | undefined> {
  const state = readStateQuietly(dir)
  if (!state) {
    // lite died before it wrote any state: nothing ran under this name.
    removeStateDir(dir)
    return undefined
  }
  if (state.status === 'exited') {
    if (state.detached) return { name, dir, alive: false, state }
    removeStateDir(dir) // a foreground run that died between its last write and its clean-up
    return undefined
  }
  // Its owner died without saying how the container ended.
  let orphan = false
  if (state.pid !== null && state.pidStart !== null && sys.startTime(state.pid) === state.pidStart) {
    try {
      sys.signal(state.pid, SIGKILL)
      orphan = true
    } catch {}
  }
  const dead: ContainerState = { ...state, status: 'exited', exitCode: null, exitSignal: 0, finished: Math.floor(sys.now() / 1000) }
  // Written first: a lite run of the name waiting on our lock then sees an exited one.
  writeState(dir, dead)
  let note = `lite: ${name}: its monitor is gone (killed, or a crash); marked exited, exit code unknown`
  if (orphan) note += '; its orphaned processes were killed'
  try {
    await sys.removeCgroups(state, name)
  } catch (e) {
    note += `; ${(e as Error).message}`
  }
  try {
    await sys.releaseNetwork(state, name)
  } catch (e) {
    note += `; ${(e as Error).message}`
  }
  sys.stderr(note + '\n')
  if (!state.detached) {
    removeStateDir(dir)
    return undefined
  }
  return { name, dir, alive: false, state: dead }
}

/** observe(), saying "no such container" (the caller's exit code is then 1) when there is none. */
export async function observeNamed(name: string, sys: LifecycleSystem): Promise<Observation | undefined> {
  const o = await observe(name, sys)
  if (!o) sys.stderr(`lite: error: no such container: ${name}\n`)
  return o
}

/** Every container under the root, by name, each observed (and settled). */
export async function listContainers(sys: LifecycleSystem): Promise<Observation[]> {
  let names: string[]
  try {
    names = readdirSync(sys.root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && isContainerName(d.name))
      .map((d) => d.name)
      .sort()
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new LiteError(`cannot read ${sys.root}: ${(e as Error).message}${process.geteuid?.() !== 0 ? ' (lite needs root to see containers)' : ''}`)
  }
  const out: Observation[] = []
  for (const name of names) {
    const o = await observe(name, sys)
    if (o) out.push(o)
  }
  return out
}

/** A name from the command line, checked, or a usage error. */
export function requireName(name: string): string {
  if (!isContainerName(name)) throw new LiteError(`"${name}" is not a container name (1 to 63 of a-z 0-9 _ . -, starting with a letter or digit)`)
  return name
}

/** Waits (bounded) until an alive container's state is written and names its monitor. */
export async function stateWhenWritten(o: Observation, sys: LifecycleSystem, ms = 5000): Promise<ContainerState | null> {
  const until = sys.now() + ms
  for (let i = 0; i < 1000; i++) {
    const state = readStateQuietly(o.dir)
    if (state?.monitorPid) return state
    if (sys.now() >= until || !isHeld(o.dir, sys)) return state
    await sys.sleep(50)
  }
  return readStateQuietly(o.dir)
}
