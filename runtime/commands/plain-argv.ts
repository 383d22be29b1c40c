// The plain forms of the small commands that init scripts, health checks and shell
// loops call over and over (status, ps, stop, kill, restart, exec), read without yargs.
// Importing yargs and building its parser cost ~18 ms; an empty compiled Bun binary
// starts in ~5. Each command declares its options once (PlainCommand.options), and both
// its yargs builder and this reader use that table, with the positionals taken from
// yargs' own command string ('kill <name> [signal]', 'stop <names..>').
//
// Only what is unambiguous is read here. Anything else (--help, an unknown or negated
// option, a value that yargs would read differently, a missing or extra positional)
// returns undefined, and yargs answers exactly as it always did; the unit test compares
// the two readers on the same argv.

import type { CommandModule, Options } from 'yargs'

/** One option: what yargs needs (type, alias, default, describe, coerce) and what the plain reader reads. */
export type PlainOption = Options & { type: 'boolean' | 'number'; alias?: string }

/** What the plain reader reads of a command. */
export interface PlainForm {
  /** yargs' command string. */
  command: string
  options: Record<string, PlainOption>
  /** The defaults of optional positionals. */
  defaults?: Record<string, string>
}

export type PlainCommand<A> = CommandModule<object, A> & PlainForm

interface Positional {
  name: string
  required: boolean
  variadic: boolean
}

/** The positionals of a yargs command string: '<a>' required, '[b]' optional, '..' variadic. */
export function positionalsOf(command: string): Positional[] {
  return command
    .split(' ')
    .slice(1)
    .map((word) => {
      const required = word.startsWith('<')
      const inner = word.slice(1, -1)
      const variadic = inner.endsWith('..')
      return { name: variadic ? inner.slice(0, -2) : inner, required, variadic }
    })
}

// A number as yargs would read it with no surprise (no hex, exponent, sign or blank).
const PLAIN_NUMBER = /^\d+(\.\d+)?$/
// The word after a boolean flag that yargs reads as its value.
const BOOLEAN_WORD = /^(true|false)$/

/**
 * argv (the command's name first) as yargs would hand it to the command's handler, for
 * the keys the handler reads; undefined when yargs should read it.
 */
export function parsePlainArgv(argv: string[], cmd: PlainForm): Record<string, unknown> | undefined {
  const positionals = positionalsOf(cmd.command)
  const byFlag = new Map<string, string>()
  const args: Record<string, unknown> = {}
  for (const [key, opt] of Object.entries(cmd.options)) {
    byFlag.set(`--${key}`, key)
    if (opt.alias) byFlag.set(opt.alias.length === 1 ? `-${opt.alias}` : `--${opt.alias}`, key)
    if (opt.default !== undefined) args[key] = opt.default
  }
  const words: string[] = []
  let i = 1
  for (; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') break
    if (arg === '' || arg === '-') return undefined // yargs reads '-' in ways of its own
    if (!arg.startsWith('-')) {
      words.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    const flag = eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg
    const key = byFlag.get(flag)
    if (key === undefined) {
      // -ti: short boolean flags run together.
      if (arg.startsWith('--') || arg.length < 3) return undefined
      for (const c of arg.slice(1)) {
        const k = byFlag.get(`-${c}`)
        if (k === undefined || cmd.options[k]!.type !== 'boolean') return undefined
        args[k] = true
      }
      if (BOOLEAN_WORD.test(argv[i + 1] ?? '')) return undefined
      continue
    }
    const opt = cmd.options[key]!
    if (opt.type === 'boolean') {
      // --json=false, or --json false (yargs takes the word as the flag's value): yargs' reading.
      if (flag !== arg || BOOLEAN_WORD.test(argv[i + 1] ?? '')) return undefined
      args[key] = true
      continue
    }
    const value = flag !== arg ? arg.slice(eq + 1) : argv[++i]
    if (value === undefined || !PLAIN_NUMBER.test(value)) return undefined
    args[key] = Number(value) // given twice, the last one wins (as the commands' coerce says)
  }
  const afterDashes = argv.slice(i + 1)
  for (const p of positionals) {
    if (p.variadic) {
      if (p.required && !words.length) return undefined
      args[p.name] = words.splice(0)
    } else if (words.length) args[p.name] = words.shift()
    else if (p.required) return undefined
    else if (cmd.defaults?.[p.name] !== undefined) args[p.name] = cmd.defaults[p.name]
  }
  if (words.length) return undefined // yargs (strict) refuses an unknown argument
  if (i < argv.length) args['--'] = afterDashes
  return args
}
