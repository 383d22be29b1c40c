// What lite run and lite exec share once they have a config: its plan (config errors
// as one FILE:LINE report), the monitor's image, and the GO / exec handshake with a
// failure told against the config line that asked for the step.

import { existsSync } from 'node:fs'
import { formatConfigErrors } from '../config/report.ts'
import { loadConfig, type ConfigOverrides } from '../config/validate.ts'
import type { ContainerConfig } from '../config/types.ts'
import { EXIT_LITE_FAILED, LiteError } from '../errors.ts'
import type { HostFacts } from '../plan/etc-files.ts'
import { addonDirectory, type Container, type Native } from '../native/index.ts'
import { buildPlan, type LaunchPlan } from '../plan/build.ts'
import { START_TIMEOUT_MS, failureError } from './failure.ts'

function configError(text: string): LiteError {
  return new LiteError(text.replace(/\n$/, ''), EXIT_LITE_FAILED, true)
}

/** The config, or all of its errors as one FILE:LINE report. */
export function configOrThrow(file: string, overrides: ConfigOverrides): ContainerConfig {
  const { config, errors } = loadConfig(file, overrides)
  if (!config) throw configError(formatConfigErrors(errors, file))
  return config
}

/** The launch plan, or all of its errors (against the config's lines) as one report. */
export function planOrThrow(config: ContainerConfig, file: string, host: HostFacts, opts: { stateDir: string; tty: boolean; interactive: boolean }): LaunchPlan {
  const planned = buildPlan(config, host, { ...opts, exists: existsSync })
  if (!planned.plan) throw configError(formatConfigErrors(planned.errors, file))
  return planned.plan
}

/** The monitor in a sealed memfd (or its O_TMPFILE fallback), before anything runs. */
export function monitorImage(native: Native): { fd: number } {
  try {
    return native.monitorImage(addonDirectory())
  } catch (e) {
    throw new LiteError(`cannot prepare the monitor: ${(e as Error).message}`)
  }
}

/** GO, then the app's exec; a set-up failure is reaped and explained. */
export function startContainer(native: Native, container: Container, plan: LaunchPlan, explain: typeof failureError = failureError): void {
  let started
  try {
    started = container.start(START_TIMEOUT_MS)
  } catch (e) {
    throw new LiteError(`the container did not start: ${(e as Error).message}`)
  }
  if (started.failure) {
    container.waitSync()
    throw explain(started.failure, plan, native.errnoText)
  }
}
