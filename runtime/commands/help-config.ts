import type { Argv, CommandModule } from 'yargs'

export const helpConfig: CommandModule<object, { markdown: boolean }> = {
  command: 'help-config',
  describe: 'print the config reference (every section and key, generated from the key table)',
  builder: (y: Argv) => y.option('markdown', { type: 'boolean', default: false, describe: 'print Markdown (as in the README)' }) as Argv<{ markdown: boolean }>,
  handler: async (args) => {
    const { renderConfigReference } = await import('../config/reference.ts')
    process.stdout.write(renderConfigReference(args.markdown ? 'markdown' : 'text'))
  },
}
