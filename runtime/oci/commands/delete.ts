// `lite-oci delete [--force] ID`: a created (never started) or stopped container goes;
// a running one only with --force. Whatever is left in its cgroups is killed, the
// cgroups lite made are removed, the poststop hooks run, and the record goes.

import { existsSync, rmSync } from 'node:fs'
import { removeCgroupDirs } from '../../cgroup/manager.ts'
import { loadNative } from '../../native/index.ts'
import { NOT_EXIST, OciError, warn, type OciGlobal } from '../errors.ts'
import { stateOf } from '../launch.ts'
import { runHostHooks } from '../hooks.ts'
import { setFrozen } from './pause.ts'
import { containerDir, freezerOf, initAlive, lockContainer, ociStatus, readRecord, removeContainerDir, unlockContainer, type OciRecord } from '../state.ts'

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/** The init is gone (or a zombie its reaper has yet to collect): bounded wait. */
function awaitGone(rec: OciRecord, ms: number): boolean {
  const deadline = Date.now() + ms
  while (initAlive(rec)) {
    if (Date.now() > deadline) return false
    sleepMs(5)
  }
  return true
}

export async function ociDelete(a: { id: string; force: boolean }, g: OciGlobal): Promise<number> {
  let rec: OciRecord
  try {
    rec = readRecord(g.root, a.id)
  } catch (e) {
    // An aborted create can leave a directory without a record (runc does the same).
    if (e instanceof OciError && e.message === NOT_EXIST) {
      const dir = containerDir(g.root, a.id)
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true })
      if (a.force) return 0
    }
    throw e
  }
  // One delete at a time: the poststop hooks run once.
  let lock: number
  try {
    lock = await lockContainer(g.root, a.id, await loadNative())
  } catch (e) {
    if (a.force && e instanceof OciError && e.message === NOT_EXIST) return 0
    throw e
  }
  try {
    const status = ociStatus(g.root, rec)
    if ((status === 'running' || status === 'paused') && !a.force) {
      throw new OciError(`cannot delete container ${a.id} that is not stopped: ${status}`)
    }
    if (status !== 'stopped') {
      const freezer = status === 'paused' ? freezerOf(rec.cgroups) : undefined
      if (freezer) await setFrozen(freezer, false)
      try {
        process.kill(rec.pid, 'SIGKILL')
      } catch {}
      if (!awaitGone(rec, 10_000)) throw new OciError(`container ${a.id}: its init (pid ${rec.pid}) did not die after SIGKILL within 10 s`)
    }
    await removeCgroupDirs(rec.cgroupsMade)
    for (const failed of runHostHooks('poststop', rec.poststop, stateOf(rec, 'stopped', rec.ociVersion), { keepGoing: true })) warn(g, failed.message)
    removeContainerDir(g.root, a.id)
  } finally {
    unlockContainer(lock)
  }
  return 0
}
