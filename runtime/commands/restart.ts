import type { Argv } from 'yargs'
import type { PlainCommand } from './plain-argv.ts'

interface RestartArgs {
  names: string[]
  timeout?: number
}

export const restart: PlainCommand<RestartArgs> = {
  command: 'restart <names..>',
  options: {
    timeout: {
      type: 'number',
      describe: 'seconds to wait for each one to run again (default: its stop_timeout + 30)',
      // Given twice, the last one wins (yargs would make an array).
      coerce: (v: number | number[]) => (Array.isArray(v) ? v[v.length - 1] : v),
    },
  },
  describe:
    'restart running containers through their monitor (same monitor pid: an init system sees no change; whatever [start] restart says); exit 0 when all run again, 1 when one is unknown or not running',
  builder: (y: Argv) =>
    y
      .positional('names', { type: 'string', array: true, demandOption: true })
      .options(restart.options) as Argv<RestartArgs>,
  handler: async (args) => {
    const { runLifecycle } = await import('../lifecycle/entry.ts')
    const { restartContainer, restartTimeoutMs } = await import('../lifecycle/restart.ts')
    const { requireName } = await import('../lifecycle/registry.ts')
    const { LiteError, errorText } = await import('../errors.ts')
    process.exitCode = await runLifecycle('restart', async (sys) => {
      const t = args.timeout
      if (t !== undefined && !(Number.isFinite(t) && t > 0 && t <= 3600)) throw new LiteError(`--timeout: "${t}" is not a number of seconds above 0, up to 3600`)
      const names = args.names.map((n) => requireName(String(n)))
      // One after another, as docker restart does; one that fails does not stop the others.
      let code = 0
      for (const name of names) {
        try {
          await restartContainer(name, sys, { timeoutMs: t !== undefined ? t * 1000 : restartTimeoutMs(name, sys) })
          sys.stdout(`${name}\n`)
        } catch (e) {
          if (!(e instanceof LiteError)) throw e
          sys.stderr(errorText(e) + '\n')
          code = Math.max(code, e.exitCode)
        }
      }
      return code
    })
  },
}
