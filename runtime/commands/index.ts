// The command list, explicit (no commandDir: bundlers cannot follow it).
import type { CommandModule } from 'yargs'
import { check } from './check.ts'
import { helpConfig } from './help-config.ts'
import { info } from './info.ts'
import { initScript } from './init-script.ts'
import { run } from './run.ts'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each module has its own argument type
export const commands: CommandModule<any, any>[] = [run, check, info, helpConfig, initScript]
