import type { Argv, CommandModule } from 'yargs'

export const check: CommandModule<object, { configs: string[] }> = {
  command: 'check <configs..>',
  describe: 'validate config files without running anything (no root needed); exit 0 when all are valid, 1 otherwise',
  builder: (y: Argv) =>
    y.positional('configs', { type: 'string', array: true, demandOption: true }).example('$0 check configs/*.ini', '') as Argv<{ configs: string[] }>,
  handler: async (args) => {
    const { checkConfigs } = await import('../lifecycle/check.ts')
    process.exitCode = checkConfigs(args.configs.map(String))
  },
}
