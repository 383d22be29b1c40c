import type { Argv, CommandModule } from 'yargs'

interface CheckArgs {
  configs: string[]
  store?: string
  imagesConfig?: string
}

export const check: CommandModule<object, CheckArgs> = {
  command: 'check <configs..>',
  describe: 'validate config files without running anything (no root needed); exit 0 when all are valid, 1 otherwise',
  builder: (y: Argv) =>
    y
      .positional('configs', { type: 'string', array: true, demandOption: true })
      .option('store', { type: 'string', describe: 'the image store [rootfs] image is looked up in (default: [store] path of images.ini, or LITE_STORE)' })
      .option('images-config', { type: 'string', describe: 'the image settings file (default: LITE_IMAGES_CONFIG, or /etc/lite/images.ini)' })
      .example('$0 check configs/*.ini', '') as Argv<CheckArgs>,
  handler: async (args) => {
    const { checkConfigs } = await import('../lifecycle/check.ts')
    process.exitCode = checkConfigs(args.configs.map(String), { store: args.store, imagesConfig: args.imagesConfig })
  },
}
