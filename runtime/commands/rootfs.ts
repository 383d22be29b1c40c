import type { Argv, CommandModule } from 'yargs'

interface BuildArgs {
  profile: string
  arch: string
  app?: string
  out?: string
  format: string[]
  with: string[]
  trace: boolean
  cds: boolean
  cache: string
}

const build: CommandModule<object, BuildArgs> = {
  command: 'build <profile>',
  describe: 'assemble a minimal rootfs (busybox, python, java, go) from Debian packages of the target arch',
  builder: (y: Argv) =>
    y
      .positional('profile', { type: 'string', demandOption: true, describe: 'a recipe in configs/profiles/ (busybox, python, java, go)' })
      .option('arch', { type: 'string', default: 'amd64', describe: 'target architecture: amd64 or arm64' })
      .option('app', { type: 'string', describe: 'the program to carry (default: the profile\'s sample)' })
      .option('out', { type: 'string', describe: 'output directory (default: build/profiles/PROFILE-ARCH); replaced whole' })
      .option('format', { type: 'string', array: true, default: ['dir', 'squashfs', 'oci', 'docker'], describe: 'outputs, comma-separated: dir, squashfs, oci, docker' })
      .option('with', { type: 'string', array: true, default: [], describe: 'optional parts, comma-separated (python: ssl, sqlite, decimal, cjk, codepages, deprecated, devtools; go: tzdata)' })
      .option('trace', { type: 'boolean', default: false, describe: 'python, java: run the app once inside lite and keep only the modules (python) or classes (java) it used' })
      .option('cds', { type: 'boolean', default: false, describe: 'java: add a class-data-sharing archive (size reported apart)' })
      .option('cache', { type: 'string', default: 'build/cache', describe: 'where downloaded .debs are kept between builds' })
      .example('$0 rootfs build python --arch arm64', '')
      .example('$0 rootfs build go --format dir,docker --app ./myserver', '') as Argv<BuildArgs>,
  handler: async (args) => {
    const { buildRootfs } = await import('../rootfs-build/build.ts')
    const { LiteError, errorText } = await import('../errors.ts')
    try {
      await buildRootfs({
        profile: args.profile,
        arch: args.arch,
        app: args.app,
        out: args.out,
        formats: args.format.map(String),
        with: args.with.flatMap((w) => String(w).split(',')).filter(Boolean),
        trace: args.trace,
        cds: args.cds,
        cacheDir: args.cache,
      })
    } catch (e) {
      if (!(e instanceof LiteError)) throw e
      process.stderr.write(errorText(e).trimEnd() + '\n')
      process.exitCode = e.exitCode
    }
  },
}

export const rootfs: CommandModule<object, object> = {
  command: 'rootfs <command>',
  describe: 'build minimal root file systems (lite rootfs build --help)',
  builder: (y: Argv) => y.command(build).demandCommand(1, 'give a rootfs command: build') as Argv<object>,
  handler: () => {},
}
