import type { Argv, CommandModule } from 'yargs'

export const helpConfig: CommandModule<object, { markdown: boolean; images: boolean }> = {
  command: 'help-config',
  describe: 'print the config reference (every section and key, generated from the key table)',
  builder: (y: Argv) =>
    y
      .option('markdown', { type: 'boolean', default: false, describe: 'print Markdown (as in the README)' })
      .option('images', { type: 'boolean', default: false, describe: 'the image settings file (images.ini) instead of a container config' }) as Argv<{ markdown: boolean; images: boolean }>,
  handler: async (args) => {
    const { renderConfigReference, renderImageSettingsReference } = await import('../config/reference.ts')
    const format = args.markdown ? 'markdown' : 'text'
    process.stdout.write(args.images ? renderImageSettingsReference(format) : renderConfigReference(format))
  },
}
