// What the lifecycle commands do to the host, in one interface, so that their logic
// (stale detection, stop escalation, boot order, log following) is unit-tested with a
// fake clock, a fake signal sender and fake state dirs, and run for real with this.

import { writeSync } from 'node:fs'
import { STATE_ROOT } from './state.ts'
import { processStartTime } from './process-identity.ts'
import type { ContainerState } from './state-file.ts'

export interface LifecycleSystem {
  /** /run/lite, or LITE_STATE_ROOT */
  root: string
  /** a new open + flock(LOCK_EX|LOCK_NB): an fd, or throws with code 'Busy' */
  lockExclusive(path: string): number
  /** field 22 of /proc/PID/stat, or undefined when the pid is gone */
  startTime(pid: number): number | undefined
  /** kill(2); throws (ESRCH, EPERM) like process.kill */
  signal(pid: number, signal: number): void
  /** milliseconds, like Date.now() */
  now(): number
  sleep(ms: number): Promise<void>
  /** kills what is left in a dead container's cgroups and removes them */
  removeCgroups(state: ContainerState, name: string): Promise<void>
  /** removes what a dead container's network left (nf_tables rules, claim files); throws with the reason */
  releaseNetwork(state: ContainerState, name: string): Promise<void>
  /** log bytes may be any encoding: passed through as they are */
  stdout(data: string | Uint8Array): void
  stderr(text: string): void
}

/**
 * Writes everything before returning: cli.ts ends with process.exit, which would cut
 * an asynchronous write to a pipe short. A non-blocking stdout (EAGAIN) gets short,
 * bounded waits.
 */
function writeAllSync(fd: number, data: string | Uint8Array): void {
  let bytes = typeof data === 'string' ? Buffer.from(data) : data
  for (let stalls = 0; bytes.length > 0 && stalls < 2000; ) {
    try {
      const n = writeSync(fd, bytes)
      bytes = bytes.subarray(n)
      stalls = 0
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e
      stalls++
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5)
    }
  }
}

/** The real host: the addon's flock, /proc, kill(2) and the cgroup manager. */
export async function hostSystem(): Promise<LifecycleSystem> {
  const { loadNative } = await import('../native/index.ts')
  const native = await loadNative()
  const { removeDeadCgroups } = await import('./dead-cgroups.ts')
  return {
    root: STATE_ROOT,
    lockExclusive: (path) => native.lockExclusive(path),
    startTime: (pid) => processStartTime(pid),
    signal: (pid, signal) => process.kill(pid, signal),
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    removeCgroups: removeDeadCgroups,
    releaseNetwork: async (state, name) => {
      if (!state.extra.net || state.extra.net !== 'bridge') return
      const { releaseContainerNetwork } = await import('../net/release.ts')
      const problem = releaseContainerNetwork(native, STATE_ROOT, name, state.extra)
      if (problem) throw new Error(problem)
    },
    stdout: (data) => writeAllSync(1, data),
    stderr: (text) => writeAllSync(2, text),
  }
}
