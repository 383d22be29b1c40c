import type { Argv } from 'yargs'
import type { PlainCommand } from './plain-argv.ts'

interface StopArgs {
  names: string[]
  time?: number
}

export const stop: PlainCommand<StopArgs> = {
  command: 'stop <names..>',
  options: {
    time: {
      alias: 't',
      type: 'number',
      describe: 'seconds before lite SIGKILLs the container itself (at most its stop_timeout takes effect)',
      // Given twice, the last one wins (yargs would make an array).
      coerce: (v: number | number[]) => (Array.isArray(v) ? v[v.length - 1] : v),
    },
  },
  describe: 'stop containers: stop_signal, then SIGKILL after stop_timeout (or -t); exit 0 when stopped or not running, 1 when one is unknown',
  builder: (y: Argv) =>
    y
      .positional('names', { type: 'string', array: true, demandOption: true })
      .options(stop.options) as Argv<StopArgs>,
  handler: async (args) => {
    const { runLifecycle } = await import('../lifecycle/entry.ts')
    const { stopContainer } = await import('../lifecycle/stop.ts')
    const { requireName } = await import('../lifecycle/registry.ts')
    const { LiteError } = await import('../errors.ts')
    process.exitCode = await runLifecycle('stop', async (sys) => {
      const t = args.time
      if (t !== undefined && !(Number.isFinite(t) && t >= 0 && t <= 3600)) throw new LiteError(`-t: "${t}" is not a number of seconds from 0 to 3600`)
      // All at once, as docker stop does: each waits out its own stop_timeout.
      const names = args.names.map((n) => requireName(String(n)))
      const codes = await Promise.all(names.map((name) => stopContainer(name, { timeout: args.time }, sys)))
      return Math.max(0, ...codes)
    })
  },
}
