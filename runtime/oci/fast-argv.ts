// The command lines engines send on every container's start and end, read without
// yargs: loading and running it is ~18 ms of a lite-oci call (see commands/run-argv.ts
// for the same measure on `lite run`), and podman makes three calls per `podman run`
// (create, start, delete). Only the plain forms are read here; anything else (help, an
// unknown flag, a missing ID) returns undefined and goes through yargs, which answers
// as it always does.
//   [GLOBAL...] create --bundle|-b DIR [--pid-file F] [--console-socket S] [--no-pivot] [--no-new-keyring] ID
//   [GLOBAL...] start ID | state ID | delete [--force|-f] ID | kill [--all|-a] ID [SIGNAL]
//   [GLOBAL...] exec [--process|-p FILE] [--detach|-d] [--tty|-t] [--pid-file F] [--console-socket S]
//               [--preserve-fds N] ID [COMMAND...]   (a health check's, conmon's and containerd's exec)
// GLOBAL: --root DIR, --log FILE, --log-format FMT (also as --flag=value), --debug, --systemd-cgroup.

import { DEFAULT_OCI_ROOT } from './errors.ts'

export interface FastCall {
  command: 'create' | 'start' | 'state' | 'delete' | 'kill' | 'exec'
  global: { root: string; log?: string; 'log-format': string; debug: boolean; 'systemd-cgroup': boolean }
  /** the command's own arguments, named as yargs would name them */
  args: Record<string, string | boolean | number | string[] | number[] | undefined>
}

const GLOBAL_VALUES = new Set(['--root', '--log', '--log-format'])
const GLOBAL_SWITCHES = new Set(['--debug', '--systemd-cgroup'])

type Spec = { values: Record<string, string>; switches: Record<string, string>; positionals: number; optional?: number; /** the words after the ID are the process's */ rest?: boolean }

const COMMANDS: Record<FastCall['command'], Spec> = {
  create: {
    values: { '--bundle': 'bundle', '-b': 'bundle', '--pid-file': 'pid-file', '--console-socket': 'console-socket' },
    switches: { '--no-pivot': 'no-pivot', '--no-new-keyring': 'no-new-keyring' },
    positionals: 1,
  },
  start: { values: {}, switches: {}, positionals: 1 },
  state: { values: {}, switches: {}, positionals: 1 },
  delete: { values: {}, switches: { '--force': 'force', '-f': 'force' }, positionals: 1 },
  kill: { values: {}, switches: { '--all': 'all', '-a': 'all' }, positionals: 1, optional: 1 },
  exec: {
    values: { '--process': 'process', '-p': 'process', '--pid-file': 'pid-file', '--console-socket': 'console-socket', '--preserve-fds': 'preserve-fds' },
    switches: { '--tty': 'tty', '-t': 'tty', '--detach': 'detach', '-d': 'detach' },
    positionals: 1,
    rest: true,
  },
}

/** `--flag=value` as two words. */
function words(argv: string[]): string[] {
  return argv.flatMap((w) => (w.startsWith('--') && w.includes('=') ? [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)] : [w]))
}

export function parseOciFast(argv: string[]): FastCall | undefined {
  // exec: runc stops at the ID, and the words after it are the command as given (never split)
  const split = splitAtId(argv)
  const w = words(split.head)
  const global: FastCall['global'] = { root: DEFAULT_OCI_ROOT, 'log-format': 'text', debug: false, 'systemd-cgroup': false }
  let i = 0
  for (; i < w.length && w[i]!.startsWith('-'); i++) {
    const flag = w[i]!
    if (GLOBAL_SWITCHES.has(flag)) global[flag.slice(2) as 'debug' | 'systemd-cgroup'] = true
    else if (GLOBAL_VALUES.has(flag) && i + 1 < w.length) global[flag.slice(2) as 'root' | 'log' | 'log-format'] = w[++i]!
    else return undefined
  }
  const command = w[i] as FastCall['command']
  const spec = Object.hasOwn(COMMANDS, command ?? '') ? COMMANDS[command] : undefined
  if (!spec) return undefined
  if (!spec.rest && split.tail.length) return undefined
  const args: FastCall['args'] = {}
  for (const name of Object.values(spec.switches)) args[name] = false
  if (command === 'create' || command === 'exec') args['preserve-fds'] = 0
  // exec's options that only yargs reads keep yargs' defaults
  if (command === 'exec') Object.assign(args, { env: [], 'additional-gids': [], cap: [], 'no-new-privs': false })
  const positionals: string[] = []
  for (i++; i < w.length; i++) {
    const word = w[i]!
    if (word.startsWith('-') && word !== '-') {
      if (positionals.length) return undefined // runc takes flags before the ID only
      if (spec.switches[word]) args[spec.switches[word]!] = true
      else if (spec.values[word] && i + 1 < w.length) args[spec.values[word]!] = w[++i]!
      else return undefined
    } else positionals.push(word)
  }
  if (positionals.length < spec.positionals || positionals.length > spec.positionals + (spec.optional ?? 0)) return undefined
  if (!positionals[0]) return undefined
  args.id = positionals[0]
  if (command === 'kill') args.signal = positionals[1] ?? 'SIGTERM'
  if (command === 'exec') {
    // a "--" after the ID is left to yargs, which has always read it
    if (split.tail[0] === '--') return undefined
    args.args = split.tail
    const fds = Number(args['preserve-fds'])
    if (!Number.isInteger(fds) || fds < 0) return undefined
    args['preserve-fds'] = fds
  }
  return { command, global, args }
}

/** exec (and ps): the words up to and with the ID, and the process's after it; otherwise all is head. */
function splitAtId(argv: string[]): { head: string[]; tail: string[] } {
  const id = processIdIndex(argv)
  return id === undefined ? { head: argv, tail: [] } : { head: argv.slice(0, id + 1), tail: argv.slice(id + 1) }
}

/** Flags of exec and ps that take a value: what finding the ID must skip over. */
const PROCESS_VALUE_FLAGS: Record<string, string[]> = {
  exec: ['--process', '-p', '--console-socket', '--pid-file', '--cwd', '--env', '-e', '--user', '-u', '--cap', '-c', '--additional-gids', '-g', '--process-label', '--apparmor', '--preserve-fds', '--cgroup'],
  ps: ['--format', '-f'],
}
const GLOBAL_VALUE_FLAGS = ['--root', '--log', '--log-format', '--criu']

/**
 * exec and ps: where the container's ID is in argv. runc's parser stops there, and what
 * follows is the process's (`exec ID sh -c x`, `ps ID -o pid`). Undefined for other
 * commands, or with no ID.
 */
export function processIdIndex(argv: string[]): number | undefined {
  let i = 0
  while (i < argv.length && argv[i]!.startsWith('-')) i += GLOBAL_VALUE_FLAGS.includes(argv[i]!) ? 2 : 1
  const flags = PROCESS_VALUE_FLAGS[argv[i] ?? '']
  if (!flags) return undefined
  for (let j = i + 1; j < argv.length; j++) {
    const word = argv[j]!
    if (!word.startsWith('-') || word === '-') return j
    if (flags.includes(word)) j++
  }
  return undefined
}
