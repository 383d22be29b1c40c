import type { Argv, CommandModule } from 'yargs'

export const rm: CommandModule<object, { names: string[]; force: boolean }> = {
  command: 'rm <names..>',
  describe: 'remove the state (status, logs) of stopped containers; exit 1 when one is unknown or running (-f stops it first)',
  builder: (y: Argv) =>
    y
      .positional('names', { type: 'string', array: true, demandOption: true })
      .option('force', { alias: 'f', type: 'boolean', default: false, describe: 'stop a running container at once (SIGKILL), then remove it' }) as Argv<{
      names: string[]
      force: boolean
    }>,
  handler: async (args) => {
    const { runLifecycle } = await import('../lifecycle/entry.ts')
    const { removeContainer } = await import('../lifecycle/remove.ts')
    const { requireName } = await import('../lifecycle/registry.ts')
    process.exitCode = await runLifecycle('rm', async (sys) => {
      let worst = 0
      for (const name of args.names.map(String)) worst = Math.max(worst, await removeContainer(requireName(name), args.force, sys))
      return worst
    })
  },
}
