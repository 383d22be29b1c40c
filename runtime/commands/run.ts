import type { Argv, CommandModule } from 'yargs'
import { trace } from '../trace.ts'

interface RunArgs {
  config: string
  cmd?: string[]
  name?: string
  tty: boolean
  interactive: boolean
  detach: boolean
  detached: boolean
  detachStatusFd?: number
  store?: string
  imagesConfig?: string
  imageDigest?: string
  cache: boolean
  '--'?: string[]
}

/** Given twice, the last one wins (yargs would make an array). */
const last = (v: string | string[]) => (Array.isArray(v) ? v[v.length - 1] : v)

export const run: CommandModule<object, RunArgs> = {
  command: 'run <config> [cmd..]',
  describe: 'run a container: in the foreground (the exit code is the container\'s), or with -d detached',
  builder: (y: Argv) =>
    y
      .positional('config', { type: 'string', demandOption: true, describe: 'the container\'s ini file' })
      .positional('cmd', { type: 'string', array: true, describe: 'command and arguments, replacing [exec] cmd (put them after --)' })
      .option('name', {
        type: 'string',
        describe: 'container name, replacing [container] name',
        // Given twice, the last one wins (yargs would make an array).
        coerce: (v: string | string[]) => (Array.isArray(v) ? v[v.length - 1] : v),
      })
      .option('tty', { alias: 't', type: 'boolean', default: false, describe: 'allocate a pseudo-terminal in the container' })
      .option('interactive', { alias: 'i', type: 'boolean', default: false, describe: 'keep stdin open (forward it to the container)' })
      .option('detach', { alias: 'd', type: 'boolean', default: false, describe: 'return once the container runs; its output goes to lite logs NAME ([log])' })
      .option('store', { type: 'string', describe: 'the image store for [rootfs] image (default: [store] path of images.ini, or LITE_STORE)', coerce: last })
      .option('images-config', { type: 'string', describe: 'the image settings file (default: LITE_IMAGES_CONFIG, or /etc/lite/images.ini)', coerce: last })
      .option('cache', { type: 'boolean', default: true, describe: 'take the validated config and plan from the compiled-plan cache when nothing they came from changed (--no-cache: validate and plan afresh; lite cache clear empties it)' })
      // A restart by the monitor: the image the container started from.
      .option('image-digest', { type: 'string', hidden: true, coerce: last })
      // The detached runner that -d starts (lite itself): not for users.
      .option('detached', { type: 'boolean', default: false, hidden: true })
      .option('detach-status-fd', { type: 'number', hidden: true })
      .example('$0 run configs/hello.ini', 'run the demo container')
      .example('$0 run -ti configs/hello.ini -- sh', 'an interactive shell in it')
      .example('$0 run -d configs/sensor.ini', 'start it in the background; see lite ps') as Argv<RunArgs>,
  handler: async (args) => {
    trace('run module')
    const cmd = [...(args.cmd ?? []), ...(args['--'] ?? [])].map(String)
    if (args.detach && (args.tty || args.interactive)) {
      const { UsageError } = await import('../errors.ts')
      throw new UsageError('-d cannot be combined with -t or -i: a detached container has no terminal (use lite exec -ti NAME sh)')
    }
    if (args.detach) {
      const { runDetached } = await import('../lifecycle/detach.ts')
      const { writeSync } = await import('node:fs')
      // The name once it runs, as docker run -d prints the id: for lite stop, lite logs.
      // Synchronous: lite exits right after, which would cut a pending write to a pipe.
      process.exitCode = await runDetached({ config: args.config, name: args.name, cmd, store: args.store, imagesConfig: args.imagesConfig, noCache: !args.cache }, (name) => writeSync(1, `${name}\n`))
      return
    }
    const { runContainer } = await import('../lifecycle/run.ts')
    process.exitCode = await runContainer({
      config: args.config,
      name: args.name,
      cmd,
      tty: args.tty,
      interactive: args.interactive,
      detached: args.detached,
      detachStatusFd: args.detachStatusFd,
      store: args.store,
      imagesConfig: args.imagesConfig,
      imageDigest: args.imageDigest,
      ...(args.cache ? {} : { noCache: true }),
    })
  },
}
