// lite kill NAME [SIGNAL]: a signal to the container's init (by default SIGKILL), after
// checking that its pid still names it. The monitor sees the exit and applies the
// restart policy, as Docker does for docker kill.

import { observeNamed, stateWhenWritten } from './registry.ts'
import { signalContainer } from './signal-container.ts'
import type { LifecycleSystem } from './system.ts'

/** 0 sent; 1 no such container, or not running. */
export async function killContainer(name: string, signal: number, sys: LifecycleSystem): Promise<number> {
  const o = await observeNamed(name, sys)
  if (!o) return 1
  const state = o.alive ? await stateWhenWritten(o, sys) : o.state
  if (!o.alive || !state || signalContainer(state, signal, sys) === 'gone') {
    const why = o.alive && state?.status === 'restarting' ? ' (it is between restarts)' : ''
    sys.stderr(`lite: error: ${name} is not running${why}\n`)
    return 1
  }
  sys.stdout(`${name}\n`)
  return 0
}
