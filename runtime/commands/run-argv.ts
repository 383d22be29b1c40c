// `lite run`'s command line read without yargs. Loading yargs is most of lite's start
// after Bun's own (measured with LITE_TRACE and bench/lib/ab.ts: ~13 ms to import it and
// ~5 ms to parse, of a ~60 ms run), and `run` is the command that boards call over and
// over. Only the plain forms are read here; anything else (help, an unknown or odd
// option, a missing config) returns undefined and goes through yargs, which then
// answers exactly as it always did. The forms, as yargs reads them for commands/run.ts:
//   run [-t] [-i] [-ti|-it] [--tty] [--interactive] [--name NAME|--name=NAME] CONFIG [CMD...] [-- ARGS...]
// plus --store, --images-config and --image-digest (a restart's) in the same two forms as --name.
// --no-cache (skip the compiled-plan cache) is read too.
// Options may come anywhere before `--`; words after CONFIG are the command.

import type { RunOptions } from '../lifecycle/run.ts'

export function parseRunArgv(argv: string[]): RunOptions | undefined {
  if (argv[0] !== 'run') return undefined
  const positionals: string[] = []
  const afterDashes: string[] = []
  let name: string | undefined
  const values: Record<'store' | 'images-config' | 'image-digest', string | undefined> = { store: undefined, 'images-config': undefined, 'image-digest': undefined }
  let tty = false
  let interactive = false
  let noCache = false
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') {
      afterDashes.push(...argv.slice(i + 1))
      break
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg)
      continue
    }
    if (arg === '-t' || arg === '--tty') tty = true
    else if (arg === '-i' || arg === '--interactive') interactive = true
    else if (arg === '-ti' || arg === '-it') tty = interactive = true
    else if (arg === '--no-cache') noCache = true
    else if (arg.startsWith('--name=') && arg.length > '--name='.length) name = arg.slice('--name='.length)
    else if (arg === '--name' && i + 1 < argv.length && argv[i + 1] !== '' && !argv[i + 1].startsWith('-')) name = argv[++i]
    else {
      const option = (Object.keys(values) as (keyof typeof values)[]).find((k) => arg === `--${k}` || arg.startsWith(`--${k}=`))
      if (!option) return undefined
      if (arg.startsWith(`--${option}=`)) values[option] = arg.slice(option.length + 3)
      else if (i + 1 < argv.length && argv[i + 1] !== '' && !argv[i + 1].startsWith('-')) values[option] = argv[++i]
      else return undefined
      if (values[option] === '') return undefined
    }
  }
  const [config, ...cmd] = positionals
  if (config === undefined || config === '') return undefined
  const images = {
    ...(values.store !== undefined ? { store: values.store } : {}),
    ...(values['images-config'] !== undefined ? { imagesConfig: values['images-config'] } : {}),
    ...(values['image-digest'] !== undefined ? { imageDigest: values['image-digest'] } : {}),
  }
  return { config, name, cmd: [...cmd, ...afterDashes], tty, interactive, ...images, ...(noCache ? { noCache } : {}) }
}
