// lite's command line, once the fast run has not taken it (cli.ts, the entry, loads this
// module then): yargs with an explicit command list, English pinned (a compiled binary
// has no locale files), and one place that turns a failure into an exit code.

// First: its top level prints the end of Bun's start for LITE_TRACE (trace.ts).
import { trace } from './trace.ts'
import pkg from '../package.json' with { type: 'json' }
import { parseRunArgv } from './commands/run-argv.ts'
import { parsePlainArgv, type PlainForm } from './commands/plain-argv.ts'
import { EXIT_LITE_FAILED, UsageError } from './errors.ts'
import { programName } from './program-name.ts'
import { writeErr, writeOut } from './output.ts'


// Loaded one by one (with the build's code splitting, nothing else of lite is read).
type Plain = PlainForm & { handler: (args: never) => void | Promise<void> }
const PLAIN_COMMANDS: Record<string, () => Promise<Plain>> = {
  status: async () => (await import('./commands/status.ts')).status,
  ps: async () => (await import('./commands/ps.ts')).ps,
  stop: async () => (await import('./commands/stop.ts')).stop,
  kill: async () => (await import('./commands/kill.ts')).kill,
  restart: async () => (await import('./commands/restart.ts')).restart,
  exec: async () => (await import('./commands/exec.ts')).exec,
}

export async function main(argv: string[]): Promise<number> {
  trace('cli')
  // `lite oci ...` and `lite-oci ...`: runc's command line (oci/cli.ts), no lite yargs.
  if (argv[0] === 'oci') {
    const { ociMain } = await import('./oci/cli.ts')
    return ociMain(argv.slice(1))
  }
  // The hot path: a plain `lite run` does not load yargs (commands/run-argv.ts says why).
  const fastRun = parseRunArgv(argv)
  if (fastRun) {
    trace('run module')
    const { runContainer } = await import('./lifecycle/run.ts')
    return runContainer(fastRun)
  }
  // The monitor's call at every end of a container with a bridge network: no yargs either.
  if ((argv.length === 2 || argv.length === 3) && argv[0] === 'net-release') {
    const { netRelease } = await import('./commands/net-release.ts')
    return netRelease(argv[1]!, argv[2])
  }
  if (argv.length === 1 && argv[0] === '--version') {
    writeOut(`${pkg.version}\n`)
    return 0
  }
  try {
    // status, ps, stop, kill, restart, exec: their plain forms skip yargs too (plain-argv.ts).
    const plain = PLAIN_COMMANDS[argv[0] ?? '']
    const command = plain && (await plain())
    const args = command && parsePlainArgv(argv, command)
    if (command && args) {
      trace('command')
      await command.handler(args as never)
    } else await (await parser(argv)).parseAsync()
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    writeErr(`lite: error: ${e.message}\nRun "lite --help" for usage.\n`)
    return EXIT_LITE_FAILED
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0
}

async function parser(argv: string[]) {
  const { default: yargs } = await import('yargs')
  const { commands } = await import('./commands/index.ts')
  return yargs(argv)
    .scriptName('lite')
    .locale('en')
    .version(pkg.version)
    // --version and --help return to main instead of exiting inside yargs.
    .exitProcess(false)
    .parserConfiguration({ 'populate--': true })
    .command(commands)
    .demandCommand(1, 'give a command (see lite --help)')
    .strict()
    .help()
    .alias('h', 'help')
    .epilogue('Exit codes of lite run: the container\'s own; 125 lite failed; 126 the command cannot be executed; 127 the command was not found.')
    .fail((msg, err) => {
      if (err) throw err
      throw new UsageError(msg)
    })
}

/** Runs lite's command line `args` (argv without Bun's two) and exits with its code. */
export function runCli(args: string[]): void {
  const oci = programName() === 'lite-oci'
  main(oci ? ['oci', ...args] : args).then(
    (code) => process.exit(code),
    (e) => {
      writeErr(`lite: error: ${(e as Error)?.stack ?? e}\n`)
      process.exit(EXIT_LITE_FAILED)
    },
  )
}
