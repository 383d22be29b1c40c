// The command lines engines send on every container's start and end, read without
// yargs: loading and running it is ~18 ms of a lite-oci call (see commands/run-argv.ts
// for the same measure on `lite run`), and podman makes three calls per `podman run`
// (create, start, delete). Only the plain forms are read here; anything else (help, an
// unknown flag, a missing ID) returns undefined and goes through yargs, which answers
// as it always does.
//   [GLOBAL...] create --bundle|-b DIR [--pid-file F] [--console-socket S] [--no-pivot] [--no-new-keyring] ID
//   [GLOBAL...] start ID | state ID | delete [--force|-f] ID | kill [--all|-a] ID [SIGNAL]
// GLOBAL: --root DIR, --log FILE, --log-format FMT (also as --flag=value), --debug, --systemd-cgroup.

import { DEFAULT_OCI_ROOT } from './errors.ts'

export interface FastCall {
  command: 'create' | 'start' | 'state' | 'delete' | 'kill'
  global: { root: string; log?: string; 'log-format': string; debug: boolean; 'systemd-cgroup': boolean }
  /** the command's own arguments, named as yargs would name them */
  args: Record<string, string | boolean | number | undefined>
}

const GLOBAL_VALUES = new Set(['--root', '--log', '--log-format'])
const GLOBAL_SWITCHES = new Set(['--debug', '--systemd-cgroup'])

type Spec = { values: Record<string, string>; switches: Record<string, string>; positionals: number; optional?: number }

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
}

/** `--flag=value` as two words. */
function words(argv: string[]): string[] {
  return argv.flatMap((w) => (w.startsWith('--') && w.includes('=') ? [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)] : [w]))
}

export function parseOciFast(argv: string[]): FastCall | undefined {
  const w = words(argv)
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
  const args: FastCall['args'] = {}
  for (const name of Object.values(spec.switches)) args[name] = false
  if (command === 'create') args['preserve-fds'] = 0
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
  return { command, global, args }
}
