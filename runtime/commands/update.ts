import type { Argv, CommandModule } from 'yargs'

// lite update NAME REF|FILE and lite rollback NAME: thin handlers over runtime/update/.

interface UpdateArgs {
  name: string
  source: string
  insecure: boolean
  arch?: string
  quiet: boolean
}

export const update: CommandModule<object, UpdateArgs> = {
  command: 'update <name> <source>',
  describe:
    'move a container to a new image: pull REF (or import FILE) into the store, restart the container on it through its monitor, ' +
    'commit once it is healthy within [update] health_timeout, else roll back on its own; prints the new digest',
  builder: (y: Argv) =>
    y
      .positional('name', { type: 'string', demandOption: true, describe: 'a container started from [rootfs] image' })
      .positional('source', { type: 'string', demandOption: true, describe: 'registry/repository[:tag][@digest], or a docker save / OCI archive or OCI layout to import' })
      .option('insecure', { type: 'boolean', default: false, describe: 'allow plain HTTP to this registry' })
      .option('arch', { type: 'string', choices: ['amd64', 'arm64'], describe: 'the platform to take from a multi-platform image (default: this host\'s)' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress lines' })
      .example('$0 update web registry.local/web:1.3', '')
      .example('$0 update web /media/usb/web-1.3.tar', '') as Argv<UpdateArgs>,
  handler: async (args) => {
    const { runLifecycle } = await import('../lifecycle/entry.ts')
    const { requireName } = await import('../lifecycle/registry.ts')
    const { updateContainer } = await import('../update/update.ts')
    process.exitCode = await runLifecycle('update', (sys) =>
      updateContainer(
        { name: requireName(args.name), source: args.source, insecure: args.insecure, arch: args.arch as 'amd64' | 'arm64' | undefined, quiet: args.quiet, crashAt: process.env.LITE_UPDATE_CRASH_AT },
        sys,
      ),
    )
  },
}

export const rollback: CommandModule<object, { name: string }> = {
  command: 'rollback <name>',
  describe: 'move a container back to its previous image (kept by [update] keep) and restart it through its monitor; prints that digest',
  builder: (y: Argv) => y.positional('name', { type: 'string', demandOption: true }) as Argv<{ name: string }>,
  handler: async (args) => {
    const { runLifecycle } = await import('../lifecycle/entry.ts')
    const { requireName } = await import('../lifecycle/registry.ts')
    const { rollbackContainer } = await import('../update/update.ts')
    process.exitCode = await runLifecycle('rollback', (sys) => rollbackContainer(requireName(args.name), sys))
  },
}
