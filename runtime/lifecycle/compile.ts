// A config's validation and its launch plan, with every error as one FILE:LINE report.
// Imported on demand: a run whose plan comes from the compiled-plan cache
// (plan/plan-cache.ts) never loads the config schema, the validator or the planner.

import { existsSync } from 'node:fs'
import { noteInput } from '../plan/inputs.ts'
import { formatConfigErrors } from '../config/report.ts'
import { loadConfig, type ConfigOverrides } from '../config/validate.ts'
import type { ContainerConfig } from '../config/types.ts'
import { EXIT_LITE_FAILED, LiteError } from '../errors.ts'
import type { HostFacts } from '../plan/etc-files.ts'
import { buildPlan, type LaunchPlan } from '../plan/build.ts'

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
export function planOrThrow(config: ContainerConfig, file: string, host: HostFacts, opts: { stateDir: string; tty: boolean; interactive: boolean; rootless?: boolean }): LaunchPlan {
  const exists = (path: string) => {
    noteInput(path)
    return existsSync(path)
  }
  const planned = buildPlan(config, host, { ...opts, exists })
  if (!planned.plan) throw configError(formatConfigErrors(planned.errors, file))
  return planned.plan
}
