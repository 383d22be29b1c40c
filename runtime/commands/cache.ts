import type { Argv, CommandModule } from 'yargs'

export const cache: CommandModule<object, { action: string }> = {
  command: 'cache <action>',
  describe: 'the compiled-plan cache (/run/lite/.lite-cache): `lite cache clear` removes every entry; the next run of each config validates and plans afresh',
  builder: (y: Argv) => y.positional('action', { type: 'string', choices: ['clear'], demandOption: true }) as Argv<{ action: string }>,
  handler: async () => {
    const { runLifecycle } = await import('../lifecycle/entry.ts')
    const { clearCache } = await import('../plan/plan-cache.ts')
    process.exitCode = await runLifecycle('cache', async (sys) => {
      const n = clearCache(sys.root)
      sys.stdout(`removed ${n} cached plan${n === 1 ? '' : 's'}\n`)
      return 0
    })
  },
}
