// lite's entry point (bun build --compile). yargs with an explicit command list,
// English pinned (a compiled binary has no locale files), and one place that turns
// a failure into an exit code.

import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import pkg from '../package.json' with { type: 'json' }
import { commands } from './commands/index.ts'
import { EXIT_LITE_FAILED } from './errors.ts'

export async function main(argv: string[]): Promise<number> {
  let usageError = false
  await yargs(argv)
    .scriptName('lite')
    .locale('en')
    .version(pkg.version)
    .parserConfiguration({ 'populate--': true })
    .command(commands)
    .demandCommand(1, 'give a command (see lite --help)')
    .strict()
    .help()
    .alias('h', 'help')
    .epilogue('Exit codes of lite run: the container\'s own; 125 lite failed; 126 the command cannot be executed; 127 the command was not found.')
    .fail((msg, err) => {
      usageError = true
      if (err) throw err
      process.stderr.write(`lite: error: ${msg}\nRun "lite --help" for usage.\n`)
    })
    .parseAsync()
  if (usageError) return EXIT_LITE_FAILED
  return typeof process.exitCode === 'number' ? process.exitCode : 0
}

if (import.meta.main) {
  main(hideBin(process.argv)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`lite: error: ${(e as Error)?.stack ?? e}\n`)
      process.exit(EXIT_LITE_FAILED)
    },
  )
}
