// A signal to the container's init, only if the pid still names it: the start time
// written beside the pid must match /proc's, so a pid reused after the container died
// is never signalled (the check crun and LXC make where there is no pidfd).

import type { ContainerState } from './state-file.ts'
import type { LifecycleSystem } from './system.ts'

/** 'sent', or 'gone' when the container's process is not there (or not the same one). */
export function signalContainer(state: ContainerState, signal: number, sys: LifecycleSystem): 'sent' | 'gone' {
  if (state.pid === null || state.pidStart === null) return 'gone'
  if (sys.startTime(state.pid) !== state.pidStart) return 'gone'
  try {
    sys.signal(state.pid, signal)
    return 'sent'
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return 'gone'
    throw e
  }
}
