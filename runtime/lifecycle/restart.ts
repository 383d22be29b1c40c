// lite restart (and lite update): a restart request to the container's monitor. The
// monitor stops the container as for a stop request (stop_signal, SIGKILL after
// stop_timeout), then starts it again at once through its own restart path, whatever
// [start] restart says: the same pid execs lite run again, so an init system that
// started lite run sees no change, and the new run takes the image the store records
// for the name. A stop request meanwhile wins. Then a bounded wait until the state says
// running with a new container pid.

import { posix } from 'node:path'
import { LiteError } from '../errors.ts'
import { stopTimeoutMs } from './config-peek.ts'
import { isHeld, observe, readStateQuietly, stateWhenWritten } from './registry.ts'
import type { ContainerState } from './state-file.ts'
import type { LifecycleSystem } from './system.ts'

/**
 * The monitor's RESTART_REQUEST (native-rs/monitor/monitor.rs; early_signals.rs drops
 * one that comes before the monitor runs): SIGRTMIN+5 in the kernel's numbering
 * (glibc's SIGRTMIN is 34). Sent by number: it has no name.
 */
export const RESTART_REQUEST_SIGNAL = 39
/** how often the state is read while waiting for the container to come back */
export const RESTART_POLL_MS = 20
/** what a restart may take beyond the container's stop_timeout: the new run's set-up */
export const RESTART_SETUP_MS = 30_000

/** The state as an error message quotes it: "status=exited (exit code 125)". */
function described(s: ContainerState | null, oldPid: number): string {
  if (!s) return 'no state'
  let text = `status=${s.status}`
  if (s.status === 'exited') text += s.exitCode === null ? ' (exit code unknown)' : ` (exit code ${s.exitCode})`
  else if (s.status === 'running' && s.pid === oldPid) text += ` (still pid ${oldPid})`
  return text
}

/** The container's own init, alive and still the process its state names. */
function containerAlive(s: ContainerState, sys: LifecycleSystem): boolean {
  return s.pid !== null && s.pidStart !== null && sys.startTime(s.pid) === s.pidStart
}

/** How long `lite restart` waits by default: the container's stop_timeout + 30 s. */
export function restartTimeoutMs(name: string, sys: LifecycleSystem): number {
  const state = readStateQuietly(posix.join(sys.root, name))
  return stopTimeoutMs(state ?? { config: '' }) + RESTART_SETUP_MS
}

/**
 * Restarts a running container under the same monitor pid and waits (at most
 * opts.timeoutMs) until it runs again. Throws a LiteError with exit code 1 when there
 * is no such container or it is not running, and one with 125 when it did not come back.
 */
export async function restartContainer(name: string, sys: LifecycleSystem, opts: { timeoutMs: number }): Promise<{ oldPid: number; newPid: number }> {
  const o = await observe(name, sys)
  if (!o) throw new LiteError(`no such container: ${name}`, 1)
  // A run that is still starting names its monitor within moments.
  const state = o.alive ? await stateWhenWritten(o, sys) : o.state
  const notRunning = (why = '') => new LiteError(`${name} is not running${why}`, 1)
  if (!o.alive || !state) throw notRunning()
  if (state.status !== 'running') throw notRunning(state.status === 'exited' ? '' : ` (it is ${state.status})`)
  const monitorPid = state.monitorPid
  const oldPid = state.pid
  // The monitor: status=running is only written by it, and its lock is still held; its
  // container is still the process the state names (pid and start time).
  if (monitorPid === null || oldPid === null || !isHeld(o.dir, sys) || !containerAlive(state, sys) || sys.startTime(monitorPid) === undefined) throw notRunning()
  try {
    sys.signal(monitorPid, RESTART_REQUEST_SIGNAL)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') throw notRunning()
    throw new LiteError(`cannot send the restart request to the monitor of ${name} (pid ${monitorPid}): ${(e as Error).message}`)
  }

  const until = sys.now() + opts.timeoutMs
  let seen: ContainerState | null = state
  const maxPolls = Math.ceil(opts.timeoutMs / RESTART_POLL_MS) + 100
  for (let poll = 0; poll < maxPolls && sys.now() < until; poll++) {
    await sys.sleep(RESTART_POLL_MS)
    const held = isHeld(o.dir, sys)
    // Read after the lock: a monitor that ended wrote its last state before it let go.
    seen = readStateQuietly(o.dir) ?? seen
    if (!held) {
      const hint = seen?.detached ? `; see lite logs ${name}` : ''
      throw new LiteError(`${name} did not come back: its monitor ended (${described(seen, oldPid)})${hint}`)
    }
    if (seen?.status === 'running' && seen.pid !== null && seen.pid !== oldPid && containerAlive(seen, sys)) return { oldPid, newPid: seen.pid }
  }
  throw new LiteError(`${name} did not come back within ${+(opts.timeoutMs / 1000).toFixed(1)} s: ${described(seen, oldPid)}`)
}
