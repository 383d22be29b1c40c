import type { Argv, CommandModule } from 'yargs'

export const shutdown: CommandModule<object, { dir: string }> = {
  command: 'shutdown <dir>',
  describe: 'stop the running containers of lite boot DIR, in reverse order, each with its stop_timeout; exit 1 when one failed',
  builder: (y: Argv) => y.positional('dir', { type: 'string', demandOption: true }) as Argv<{ dir: string }>,
  handler: async (args) => {
    const { runLifecycle } = await import('../lifecycle/entry.ts')
    const { shutdownDir } = await import('../lifecycle/boot.ts')
    process.exitCode = await runLifecycle('shutdown', (sys) => shutdownDir(String(args.dir), sys))
  },
}
