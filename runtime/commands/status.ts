import type { Argv } from 'yargs'
import type { PlainCommand } from './plain-argv.ts'

export const status: PlainCommand<{ name: string; json: boolean }> = {
  command: 'status <name>',
  options: {
    json: { type: 'boolean', default: false, describe: 'one JSON object, as lite ps --json gives each' },
  },
  describe: 'print a container\'s state (key=value lines, or --json); exit 0 while it is alive, 1 when it has exited or is unknown',
  builder: (y: Argv) =>
    y
      .positional('name', { type: 'string', demandOption: true })
      .options(status.options) as Argv<{ name: string; json: boolean }>,
  handler: async (args) => {
    const { runLifecycle } = await import('../lifecycle/entry.ts')
    const { statusCommand } = await import('../lifecycle/ps.ts')
    const { requireName } = await import('../lifecycle/registry.ts')
    process.exitCode = await runLifecycle('status', (sys) => statusCommand(requireName(args.name), sys, { json: args.json }))
  },
}
