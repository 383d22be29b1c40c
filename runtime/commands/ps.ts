import type { Argv } from 'yargs'
import type { PlainCommand } from './plain-argv.ts'

interface PsArgs {
  all: boolean
  json: boolean
}

export const ps: PlainCommand<PsArgs> = {
  command: 'ps',
  options: {
    all: { alias: 'a', type: 'boolean', default: false, describe: 'include exited detached containers' },
    json: { type: 'boolean', default: false, describe: 'a JSON array, with the state file\'s key names' },
  },
  describe: 'list running containers (-a: exited ones too); exit 0',
  builder: (y: Argv) => y.options(ps.options) as Argv<PsArgs>,
  handler: async (args) => {
    const { runLifecycle } = await import('../lifecycle/entry.ts')
    const { listCommand } = await import('../lifecycle/ps.ts')
    process.exitCode = await runLifecycle('ps', (sys) => listCommand({ all: args.all, json: args.json }, sys))
  },
}
