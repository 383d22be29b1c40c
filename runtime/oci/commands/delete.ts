// `lite-oci delete [--force] ID`: a created (never started) or stopped container goes;
// a running one only with --force. Whatever is left in its cgroups is killed, the
// cgroups lite made are removed, the poststop hooks run, and the record goes.

import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { removeCgroupDirs } from '../../cgroup/manager.ts'
import { processStartTime } from '../../lifecycle/process-identity.ts'
import { NOT_EXIST, OciError, warn, type OciGlobal } from '../errors.ts'
import { stateOf } from '../launch.ts'
import { runHostHooks } from '../hooks.ts'
import { containerDir, ociStatus, readRecord, removeContainerDir, type OciRecord } from '../state.ts'

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/** The init is gone (or a zombie its reaper has yet to collect): bounded wait. */
function awaitGone(rec: OciRecord, ms: number): boolean {
  const deadline = Date.now() + ms
  for (;;) {
    const start = processStartTime(rec.pid)
    if (start === undefined || start !== rec.pidStart) return true
    try {
      const stat = readFileSync(`/proc/${rec.pid}/stat`, 'utf8')
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return true
    } catch {
      return true
    }
    if (Date.now() > deadline) return false
    sleepMs(5)
  }
}

/** Thaws a frozen container, so that SIGKILL can take it. */
function thaw(rec: OciRecord): void {
  for (const dir of rec.cgroups) {
    for (const [file, value] of [['freezer.state', 'THAWED'], ['cgroup.freeze', '0']]) {
      if (existsSync(`${dir}/${file}`)) {
        try {
          writeFileSync(`${dir}/${file}`, value)
        } catch {}
      }
    }
  }
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
  const status = ociStatus(g.root, rec)
  if ((status === 'running' || status === 'paused') && !a.force) {
    throw new OciError(`cannot delete container ${a.id} that is not stopped: ${status}`)
  }
  if (status !== 'stopped') {
    if (status === 'paused') thaw(rec)
    try {
      process.kill(rec.pid, 'SIGKILL')
    } catch {}
    if (!awaitGone(rec, 10_000)) throw new OciError(`container ${a.id}: its init (pid ${rec.pid}) did not die after SIGKILL within 10 s`)
  }
  await removeCgroupDirs(rec.cgroupsMade)
  const failed = runHostHooks('poststop', rec.poststop, stateOf(rec, 'stopped', rec.ociVersion))
  if (failed) warn(g, failed.message)
  removeContainerDir(g.root, a.id)
  return 0
}
