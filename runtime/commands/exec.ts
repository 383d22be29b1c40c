import type { Argv } from 'yargs'
import type { PlainCommand } from './plain-argv.ts'

interface ExecArgs {
  name: string
  cmd?: string[]
  tty: boolean
  interactive: boolean
  cache: boolean
  '--'?: string[]
}

export const exec: PlainCommand<ExecArgs> = {
  command: 'exec <name> [cmd..]',
  options: {
    tty: { alias: 't', type: 'boolean', default: false, describe: 'allocate a pseudo-terminal in the container' },
    interactive: { alias: 'i', type: 'boolean', default: false, describe: 'keep stdin open (forward it to the command)' },
    cache: { type: 'boolean', default: true, describe: 'take the plan from the compiled-plan cache when nothing it came from changed (--no-cache: plan afresh)' },
  },
  describe: 'run a command in a running container (its namespaces, cgroups and confinement); the exit code is the command\'s',
  builder: (y: Argv) =>
    y
      .positional('name', { type: 'string', demandOption: true, describe: 'the running container' })
      .positional('cmd', { type: 'string', array: true, describe: 'command and arguments (put them after --)' })
      .options(exec.options)
      .example('$0 exec -ti web -- sh', 'a shell in the running container web') as Argv<ExecArgs>,
  handler: async (args) => {
    const { runLifecycle } = await import('../lifecycle/entry.ts')
    const { execInContainer } = await import('../lifecycle/exec.ts')
    const { requireName } = await import('../lifecycle/registry.ts')
    const cmd = [...(args.cmd ?? []), ...(args['--'] ?? [])].map(String)
    if (!cmd.length) {
      const { UsageError } = await import('../errors.ts')
      throw new UsageError('give the command to run, e.g. lite exec NAME -- ps')
    }
    process.exitCode = await runLifecycle('exec', (sys) =>
      execInContainer({ name: requireName(args.name), cmd, tty: args.tty, interactive: args.interactive, ...(args.cache === false ? { noCache: true } : {}) }, sys),
    )
  },
}
