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
import type { Native } from '../native/index.ts'

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

/**
 * The plan with its seccomp rules compiled to BPF here, once, in place of the rules: the
 * compiled-plan cache then keeps the filter, and a start from the cache neither compiles
 * it nor hands ~400 rules to the addon (with the default profile, `clone` took 1.9 ms
 * against 1.5 ms unconfined). A rule set the addon refuses is a setup error, before
 * anything is made, told by `refused` in the words of the config it came from.
 */
export function withSeccompFilter(
  plan: LaunchPlan,
  native: Pick<Native, 'compileSeccomp'>,
  refused: (why: string) => Error = (why) => new LiteError(`[security] seccomp: ${why}`),
): LaunchPlan {
  const rules = plan.native.seccomp
  if (!rules) return plan
  let filter: number[]
  try {
    filter = native.compileSeccomp(rules)
  } catch (e) {
    throw refused((e as Error).message)
  }
  return { ...plan, native: { ...plan.native, seccomp: undefined, seccompFilter: filter } }
}
