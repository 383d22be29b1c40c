// What the lifecycle commands do to the host, in one interface, so that their logic
// (stale detection, stop escalation, boot order, log following) is unit-tested with a
// fake clock, a fake signal sender and fake state dirs, and run for real with this.

import { writeAll } from '../output.ts'
import { STATE_ROOT } from './state.ts'
import { processStartTime } from './process-identity.ts'
import { heldByItsMonitor } from './lock-holder.ts'
import type { ContainerState } from './state-file.ts'

export interface LifecycleSystem {
  /** /run/lite, or LITE_STATE_ROOT */
  root: string
  /** a new open + flock(LOCK_EX|LOCK_NB): an fd, or throws with code 'Busy' */
  lockExclusive(path: string): number
  /** whether the monitor the state names holds the lock (lock-holder.ts); false is no answer: try the lock */
  lockSeenHeld(lockPath: string, state: ContainerState | null): boolean
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
 * The real host: the addon's flock, /proc, kill(2) and the cgroup manager. The addon is
 * loaded at its first use: ps and status of running containers never need it.
 */
export async function hostSystem(): Promise<LifecycleSystem> {
  const { nativeNow: native } = await import('../native/index.ts')
  return {
    root: STATE_ROOT,
    lockExclusive: (path) => native().lockExclusive(path),
    lockSeenHeld: (lockPath, state) => heldByItsMonitor(lockPath, state),
    startTime: (pid) => processStartTime(pid),
    signal: (pid, signal) => process.kill(pid, signal),
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    removeCgroups: async (state, name) => (await import('./dead-cgroups.ts')).removeDeadCgroups(state, name),
    releaseNetwork: async (state, name) => {
      if (!state.extra.net || state.extra.net !== 'bridge') return
      const { releaseContainerNetwork } = await import('../net/release.ts')
      const problem = releaseContainerNetwork(native(), STATE_ROOT, name, state.extra)
      if (problem) throw new Error(problem)
    },
    stdout: (data) => writeAll(1, data),
    stderr: (text) => writeAll(2, text),
  }
}
