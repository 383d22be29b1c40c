import type { Argv, CommandModule } from 'yargs'

export const logs: CommandModule<object, { name: string; follow: boolean }> = {
  command: 'logs <name>',
  describe: 'print a detached container\'s output (its ring log: log.1, then log); exit 1 when it has no log file',
  builder: (y: Argv) =>
    y
      .positional('name', { type: 'string', demandOption: true })
      .option('follow', { alias: 'f', type: 'boolean', default: false, describe: 'keep printing new output until the container exits' }) as Argv<{
      name: string
      follow: boolean
    }>,
  handler: async (args) => {
    const { runLifecycle } = await import('../lifecycle/entry.ts')
    const { showLogs } = await import('../lifecycle/logs.ts')
    const { requireName } = await import('../lifecycle/registry.ts')
    process.exitCode = await runLifecycle('logs', (sys) => showLogs(requireName(args.name), args.follow, sys))
  },
}
