// What lite run and lite exec share once they have a plan (compile.ts makes it): the
// monitor's image, and the GO / exec handshake with a failure told against the config
// line that asked for the step.

import { LiteError } from '../errors.ts'
import { addonDirectory, type Container, type Native } from '../native/index.ts'
import type { LaunchPlan } from '../plan/build.ts'
import type { ChildFailure } from '../native/binding'

/** The monitor in a sealed memfd (or its O_TMPFILE fallback), before anything runs. */
export function monitorImage(native: Native): { fd: number } {
  try {
    return native.monitorImage(addonDirectory())
  } catch (e) {
    throw new LiteError(`cannot prepare the monitor: ${(e as Error).message}`)
  }
}

/** How long the child may take from GO to the app's exec. */
export const START_TIMEOUT_MS = 30_000

type Explain = (f: ChildFailure, plan: LaunchPlan, text?: (errno: number) => string) => LiteError

/**
 * GO, then the app's exec; a set-up failure is reaped and explained (by failure.ts, or
 * what `explainer` loads: imported only then, so that a run that starts does not
 * evaluate it).
 */
export async function startContainer(native: Native, container: Container, plan: LaunchPlan, explainer?: () => Promise<Explain>): Promise<void> {
  let started
  try {
    started = container.start(START_TIMEOUT_MS)
  } catch (e) {
    throw new LiteError(`the container did not start: ${(e as Error).message}`)
  }
  if (started.failure) {
    container.waitSync()
    const explain = explainer ? await explainer() : (await import('./failure.ts')).failureError
    throw explain(started.failure, plan, native.errnoText)
  }
}
