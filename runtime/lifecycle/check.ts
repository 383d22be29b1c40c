// `lite check`: the same validation and planning as `lite run`, without root and
// without touching the system. Every error of every file, then exit 0 or 1.

import { existsSync } from 'node:fs'
import { loadConfig } from '../config/validate.ts'
import { formatConfigErrors } from '../config/report.ts'
import { buildPlan } from '../plan/build.ts'
import { readHostFacts } from '../host/facts.ts'

export function checkConfigs(files: string[], images: { store?: string; imagesConfig?: string } = {}): number {
  let failed = 0
  for (const file of files) {
    const { config, errors } = loadConfig(file, images)
    let all = errors
    if (config) {
      const planned = buildPlan(config, readHostFacts(), { stateDir: `/run/lite/${config.container.name}`, tty: false, interactive: false, exists: existsSync })
      all = planned.errors
    }
    if (all.length) {
      failed++
      process.stderr.write(formatConfigErrors(all, file).replace(/nothing was started/, 'not valid'))
    } else {
      process.stdout.write(`${file}: ok\n`)
    }
  }
  return failed ? 1 : 0
}
