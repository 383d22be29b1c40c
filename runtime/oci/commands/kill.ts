// `lite-oci kill [--all] ID [SIGNAL]`: a signal (SIGTERM unless named: "KILL",
// "SIGKILL", "9") to the container's init, created or running, as runc allows. The
// init is signalled only while its pid still names it (the start time recorded at
// create matches /proc's, checked right before kill(2): what crun and LXC do without a
// pidfd); otherwise the container is not running. With --all, every process in the
// container's cgroups gets it, under a freeze so that none forks or exits meanwhile
// (runc's signalAllProcesses); SIGKILL goes through cgroup.kill where the kernel has
// it. As runc, --all of a container that is not running is no error.

import { existsSync, writeFileSync } from 'node:fs'
import { posix } from 'node:path'
import { parseSignal } from '../../config/signal.ts'
import { NOT_RUNNING, OciError, warn, type OciGlobal } from '../errors.ts'
import { containerPids, freezerOf, initAlive, isFrozen, ociStatus, readRecord, type OciRecord } from '../state.ts'
import { setFrozen } from './pause.ts'

const SIGKILL = 9
/** A freeze for --all is a courtesy: not worth more than this. */
const ALL_FREEZE_MS = 1000

export function signalNumber(raw: string): number {
  try {
    return parseSignal(raw)
  } catch (e) {
    throw new OciError((e as Error).message)
  }
}

function kill(pid: number, signal: number): 'sent' | 'gone' {
  try {
    process.kill(pid, signal)
    return 'sent'
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return 'gone'
    throw new OciError(`cannot signal pid ${pid}: ${(e as Error).message}`)
  }
}

/** Every process in the container's cgroups; the init alone when it has none. */
async function signalAll(rec: OciRecord, signal: number, g: OciGlobal): Promise<void> {
  if (signal === SIGKILL) {
    for (const dir of rec.cgroups) {
      const file = posix.join(dir, 'cgroup.kill')
      if (!existsSync(file)) continue
      try {
        writeFileSync(file, '1')
      } catch (e) {
        warn(g, `writing ${file}: ${(e as Error).message}`)
      }
    }
  }
  const freezer = freezerOf(rec.cgroups)
  const wasFrozen = isFrozen(rec.cgroups)
  let froze = false
  if (freezer && !wasFrozen) {
    try {
      await setFrozen(freezer, true, ALL_FREEZE_MS)
      froze = true
    } catch (e) {
      warn(g, (e as Error).message)
    }
  }
  try {
    const pids = rec.cgroups.length ? containerPids(rec.cgroups) : initAlive(rec) ? [rec.pid] : []
    for (const pid of pids) kill(pid, signal)
  } finally {
    // Thawed again if this froze it; a paused container stays paused, but not for
    // SIGKILL, which a v1 frozen task only acts on once thawed.
    if (freezer && (froze || (wasFrozen && signal === SIGKILL))) {
      try {
        await setFrozen(freezer, false)
      } catch (e) {
        warn(g, (e as Error).message)
      }
    }
  }
}

export async function ociKill(a: { id: string; signal?: string; all?: boolean }, g: OciGlobal): Promise<number> {
  const rec = readRecord(g.root, a.id)
  const signal = signalNumber(a.signal ?? 'SIGTERM')
  if (a.all) {
    await signalAll(rec, signal, g)
    return 0
  }
  const status = ociStatus(g.root, rec)
  if (status === 'stopped' || !initAlive(rec) || kill(rec.pid, signal) === 'gone') throw new OciError(NOT_RUNNING)
  if (signal === SIGKILL && status === 'paused') {
    const freezer = freezerOf(rec.cgroups)
    if (freezer) {
      try {
        await setFrozen(freezer, false)
      } catch (e) {
        warn(g, (e as Error).message)
      }
    }
  }
  return 0
}
