// lite stop: a stop request to the container's monitor (SIGTERM: it sends the
// configured stop_signal, SIGKILLs after stop_timeout and never restarts a stopped
// container), an optional earlier SIGKILL of our own (-t), and a bounded wait until the
// monitor lets go of the lock. If the monitor does not finish in time (it hung, or it
// is gone), lite kills the container itself; a monitor that still holds on is an error.

import { LiteError } from '../errors.ts'
import { isHeld, observe, observeNamed, stateWhenWritten, type Observation } from './registry.ts'
import { signalContainer } from './signal-container.ts'
import { readState, type ContainerState } from './state-file.ts'
import type { LifecycleSystem } from './system.ts'

const SIGKILL = 9
const SIGTERM = 15
/** how often the lock is tested while waiting */
export const STOP_POLL_MS = 50
/** how long the monitor gets, after its own stop_timeout, before lite kills the container itself */
export const MONITOR_GRACE_MS = 5000
/** how long a stop request may take to show as status=stopping before lite kills anyway */
const STOPPING_WAIT_MS = 2000

export interface StopOptions {
  /** seconds after the request at which lite SIGKILLs the container itself (lite stop -t) */
  timeout?: number
  /** SIGKILL the monitor too if it still holds the lock at the end (lite rm -f) */
  killMonitor?: boolean
}

/** The stop request; then waits until the monitor marks it (so a kill is not taken for a crash to restart). */
async function requestStop(o: Observation, state: ContainerState, sys: LifecycleSystem): Promise<void> {
  try {
    sys.signal(state.monitorPid!, SIGTERM)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw new LiteError(`cannot send the stop request to the monitor of ${o.name} (pid ${state.monitorPid}): ${(e as Error).message}`)
  }
}

async function untilStopping(o: Observation, sys: LifecycleSystem): Promise<ContainerState | null> {
  const until = sys.now() + STOPPING_WAIT_MS
  let state: ContainerState | null = null
  for (let i = 0; i < 1000; i++) {
    try {
      state = readState(o.dir)
    } catch {}
    if (!state || state.status === 'stopping' || state.status === 'exited' || sys.now() >= until || !isHeld(o.dir, sys)) return state
    await sys.sleep(STOP_POLL_MS)
  }
  return state
}

/**
 * Stops an alive container and waits for its monitor to finish. Returns when the lock
 * is free; throws a LiteError when it stays held past every bound.
 */
export async function stopAndWait(o: Observation, opts: StopOptions, sys: LifecycleSystem): Promise<void> {
  const state = await stateWhenWritten(o, sys)
  if (!isHeld(o.dir, sys)) return
  if (!state?.monitorPid) throw new LiteError(`cannot stop ${o.name}: its state names no monitor yet (still starting?); try again`)
  // The state carries it; only a state an older lite wrote sends us to the config (and
  // its key table, which a stop otherwise never loads).
  const stopTimeoutMs = state.stopTimeout !== undefined ? state.stopTimeout * 1000 : (await import('./config-peek.ts')).stopTimeoutMs(state)
  const start = sys.now()
  await requestStop(o, state, sys)
  const ourKillAt = opts.timeout !== undefined ? start + opts.timeout * 1000 : undefined
  // The monitor SIGKILLs at its stop_timeout; -t may come earlier.
  const monitorDeadline = start + Math.min(opts.timeout !== undefined ? opts.timeout * 1000 : Infinity, stopTimeoutMs)
  const lastResortAt = monitorDeadline + MONITOR_GRACE_MS
  const giveUpAt = lastResortAt + MONITOR_GRACE_MS
  let killed = false
  let lastResort = false
  let monitorKilled = false
  const maxPolls = Math.ceil((giveUpAt - start) / STOP_POLL_MS) + 100
  for (let poll = 0; poll < maxPolls; poll++) {
    if (!isHeld(o.dir, sys)) return
    const now = sys.now()
    if (ourKillAt !== undefined && now >= ourKillAt && !killed) {
      killed = true
      signalContainer((await untilStopping(o, sys)) ?? state, SIGKILL, sys)
    }
    if (now >= lastResortAt && !lastResort) {
      lastResort = true
      sys.stderr(`lite: ${o.name}: its monitor did not finish the stop; killing the container\n`)
      signalContainer(readStateOr(o, state), SIGKILL, sys)
    }
    if (now >= giveUpAt) {
      if (!opts.killMonitor || monitorKilled) break
      monitorKilled = true
      sys.stderr(`lite: ${o.name}: its monitor (pid ${state.monitorPid}) still holds the container; killing it\n`)
      try {
        sys.signal(state.monitorPid, SIGKILL)
      } catch {}
    }
    await sys.sleep(STOP_POLL_MS)
  }
  if (isHeld(o.dir, sys)) throw new LiteError(`${o.name} did not stop: its monitor (pid ${state.monitorPid}) still holds ${o.dir}/lock`)
}

function readStateOr(o: Observation, fallback: ContainerState): ContainerState {
  try {
    return readState(o.dir) ?? fallback
  } catch {
    return fallback
  }
}

/** lite stop NAME: 0 stopped (or was not running), 1 no such container; 125 did not stop. */
export async function stopContainer(name: string, opts: StopOptions, sys: LifecycleSystem): Promise<number> {
  const o = await observeNamed(name, sys)
  if (!o) return 1
  if (!o.alive) {
    sys.stderr(`lite: ${name} is not running\n`)
    sys.stdout(`${name}\n`)
    return 0
  }
  await stopAndWait(o, opts, sys)
  // Settles what a monitor that died meanwhile left (its cgroups, its status).
  await observe(name, sys)
  sys.stdout(`${name}\n`)
  return 0
}
