import type { Argv } from 'yargs'
import type { PlainCommand } from './plain-argv.ts'

export const kill: PlainCommand<{ name: string; signal: string }> = {
  command: 'kill <name> [signal]',
  options: {},
  defaults: { signal: 'KILL' },
  describe: 'send a signal (default KILL; a name such as TERM or SIGUSR1, or a number) to a container\'s init; exit 1 when it is unknown or not running',
  builder: (y: Argv) =>
    y
      .positional('name', { type: 'string', demandOption: true })
      .positional('signal', { type: 'string', default: kill.defaults!.signal })
      .example('$0 kill web HUP', 'ask web to reload') as Argv<{ name: string; signal: string }>,
  handler: async (args) => {
    const { runLifecycle } = await import('../lifecycle/entry.ts')
    const { killContainer } = await import('../lifecycle/kill.ts')
    const { requireName } = await import('../lifecycle/registry.ts')
    const { parseSignal } = await import('../config/signal.ts')
    const { LiteError } = await import('../errors.ts')
    process.exitCode = await runLifecycle('kill', (sys) => {
      let signal: number
      try {
        signal = parseSignal(String(args.signal))
      } catch (e) {
        throw new LiteError((e as Error).message)
      }
      return killContainer(requireName(args.name), signal, sys)
    })
  },
}
