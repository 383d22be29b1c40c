// `lite-oci pause ID` and `lite-oci resume ID`: the container's freezer. cgroup v1:
// freezer.state FROZEN / THAWED, then wait until it reads so (FREEZING in between);
// cgroup v2: cgroup.freeze 1 / 0, then wait for "frozen 1" / "frozen 0" in
// cgroup.events. The wait is bounded; a freeze that does not complete is undone, so
// that a failed pause leaves the container running, as runc does.

import { readFileSync, writeFileSync } from 'node:fs'
import { posix } from 'node:path'
import { NOT_RUNNING, OciError, type OciGlobal } from '../errors.ts'
import { freezerOf, ociStatus, readRecord, type Freezer, type OciRecord } from '../state.ts'

/** runc's words. */
export const NOT_PAUSED = 'container not paused'

export const FREEZE_TIMEOUT_MS = 5000
const POLL_MS = 10

function read(path: string): string {
  return readFileSync(path, 'utf8')
}

/** Whether the freezer has reached the wanted state (the kernel's view, not the request). */
function reached(f: Freezer, frozen: boolean): boolean {
  if (f.version === 1) return read(posix.join(f.dir, 'freezer.state')).trim() === (frozen ? 'FROZEN' : 'THAWED')
  const events = read(posix.join(f.dir, 'cgroup.events'))
  return new RegExp(`^frozen ${frozen ? 1 : 0}$`, 'm').test(events)
}

function request(f: Freezer, frozen: boolean): void {
  if (f.version === 1) writeFileSync(posix.join(f.dir, 'freezer.state'), frozen ? 'FROZEN' : 'THAWED')
  else writeFileSync(posix.join(f.dir, 'cgroup.freeze'), frozen ? '1' : '0')
}

function what(f: Freezer): string {
  return posix.join(f.dir, f.version === 1 ? 'freezer.state' : 'cgroup.events')
}

/**
 * Freezes or thaws, and waits (up to timeoutMs) until the kernel says it is done. A v1
 * request is repeated while waiting (a task that was forking can leave the cgroup
 * FREEZING; runc writes again too). A freeze that times out is undone (thawed) before
 * the error.
 */
export async function setFrozen(f: Freezer, frozen: boolean, timeoutMs = FREEZE_TIMEOUT_MS): Promise<void> {
  const verb = frozen ? 'freeze' : 'thaw'
  try {
    request(f, frozen)
  } catch (e) {
    throw new OciError(`cannot ${verb} the container: writing ${posix.join(f.dir, f.version === 1 ? 'freezer.state' : 'cgroup.freeze')}: ${(e as Error).message}`)
  }
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      if (reached(f, frozen)) return
    } catch (e) {
      throw new OciError(`cannot ${verb} the container: reading ${what(f)}: ${(e as Error).message}`)
    }
    if (Date.now() >= deadline) break
    await new Promise((r) => setTimeout(r, POLL_MS))
    if (f.version === 1) {
      try {
        request(f, frozen)
      } catch {}
    }
  }
  if (frozen) {
    try {
      request(f, false)
    } catch {}
  }
  throw new OciError(`cannot ${verb} the container: ${what(f)} did not say ${frozen ? 'frozen' : 'thawed'} within ${timeoutMs / 1000} s${frozen ? '; it was thawed again' : ''}`)
}

/** The record's freezer, or an error saying the container has none. */
export function requireFreezer(rec: OciRecord): Freezer {
  const f = freezerOf(rec.cgroups)
  if (!f) throw new OciError(`container ${rec.id} has no freezer: none of its cgroups (${rec.cgroups.join(', ') || 'none'}) has freezer.state (v1) or cgroup.freeze (v2)`)
  return f
}

/** runc pauses a running or a created container; anything else is "not running". */
export async function ociPause(a: { id: string }, g: OciGlobal): Promise<number> {
  const rec = readRecord(g.root, a.id)
  const status = ociStatus(g.root, rec)
  if (status !== 'running' && status !== 'created') throw new OciError(NOT_RUNNING)
  await setFrozen(requireFreezer(rec), true)
  return 0
}

export async function ociResume(a: { id: string }, g: OciGlobal): Promise<number> {
  const rec = readRecord(g.root, a.id)
  if (ociStatus(g.root, rec) !== 'paused') throw new OciError(NOT_PAUSED)
  await setFrozen(requireFreezer(rec), false)
  return 0
}
