// `lite init-script`: validate the config (a service for a broken config would only
// fail at boot), build the service spec, render it for the init system, write it.

import { writeFileSync, renameSync, unlinkSync } from 'node:fs'
import { loadConfig } from '../config/validate.ts'
import { formatConfigErrors } from '../config/report.ts'
import { EXIT_LITE_FAILED } from '../errors.ts'
import { INIT_SYSTEMS, type InitSystem } from './index.ts'
import { type RestartPolicy, serviceSpec } from './service.ts'

export interface InitScriptRequest {
  config: string
  system: InitSystem
  output?: string
  configPath?: string
  lite?: string
  restart?: RestartPolicy
}

export function writeInitScript(req: InitScriptRequest): number {
  const { config, errors } = loadConfig(req.config)
  if (!config) {
    process.stderr.write(formatConfigErrors(errors, req.config).replace(/nothing was started/, 'no service written'))
    return EXIT_LITE_FAILED
  }
  let text: string
  const system = INIT_SYSTEMS[req.system]
  try {
    text = system.render(serviceSpec(config, { configPath: req.configPath, lite: req.lite, restart: req.restart }))
  } catch (e) {
    process.stderr.write(`lite: error: ${(e as Error).message}\n`)
    return EXIT_LITE_FAILED
  }
  if (!req.output) {
    process.stdout.write(text)
    return 0
  }
  // Beside it and renamed: an init system never reads half a script.
  const temp = `${req.output}.${process.pid}.tmp`
  try {
    writeFileSync(temp, text, { mode: system.mode, flag: 'wx' })
    renameSync(temp, req.output)
  } catch (e) {
    try {
      unlinkSync(temp)
    } catch {}
    process.stderr.write(`lite: error: cannot write ${req.output}: ${(e as Error).message}\n`)
    return EXIT_LITE_FAILED
  }
  return 0
}
