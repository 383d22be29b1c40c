import type { Argv, CommandModule } from 'yargs'

export const boot: CommandModule<object, { dir: string }> = {
  command: 'boot <dir>',
  describe: 'start (detached) every config in DIR with [start] auto = yes, by order, waiting each one\'s delay; exit 1 when one failed',
  builder: (y: Argv) => y.positional('dir', { type: 'string', demandOption: true }).example('$0 boot /etc/lite', 'from an init script') as Argv<{ dir: string }>,
  handler: async (args) => {
    const { runLifecycle } = await import('../lifecycle/entry.ts')
    const { bootDir } = await import('../lifecycle/boot.ts')
    const { runDetached } = await import('../lifecycle/detach.ts')
    process.exitCode = await runLifecycle('boot', (sys) => bootDir(String(args.dir), (opts) => runDetached(opts), sys))
  },
}
