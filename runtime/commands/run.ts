import type { Argv, CommandModule } from 'yargs'
import { trace } from '../trace.ts'

interface RunArgs {
  config: string
  cmd?: string[]
  name?: string
  tty: boolean
  interactive: boolean
  '--'?: string[]
}

export const run: CommandModule<object, RunArgs> = {
  command: 'run <config> [cmd..]',
  describe: 'run a container in the foreground; the exit code is the container\'s',
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
      .example('$0 run configs/hello.ini', 'run the demo container')
      .example('$0 run -ti configs/hello.ini -- sh', 'an interactive shell in it') as Argv<RunArgs>,
  handler: async (args) => {
    trace('run module')
    const { runContainer } = await import('../lifecycle/run.ts')
    const cmd = [...(args.cmd ?? []), ...(args['--'] ?? [])].map(String)
    process.exitCode = await runContainer({ config: args.config, name: args.name, cmd, tty: args.tty, interactive: args.interactive })
  },
}
