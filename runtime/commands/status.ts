import type { Argv, CommandModule } from 'yargs'

export const status: CommandModule<object, { name: string }> = {
  command: 'status <name>',
  describe: 'print a container\'s state (key=value lines); exit 0 while it is alive, 1 when it has exited or is unknown',
  builder: (y: Argv) => y.positional('name', { type: 'string', demandOption: true }) as Argv<{ name: string }>,
  handler: async (args) => {
    const { runLifecycle } = await import('../lifecycle/entry.ts')
    const { statusCommand } = await import('../lifecycle/ps.ts')
    const { requireName } = await import('../lifecycle/registry.ts')
    process.exitCode = await runLifecycle('status', (sys) => statusCommand(requireName(args.name), sys))
  },
}
