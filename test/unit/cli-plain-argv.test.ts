import t from 'tap'
import yargs from 'yargs'
import { parsePlainArgv, positionalsOf, type PlainCommand } from '../../runtime/commands/plain-argv.ts'
import { status } from '../../runtime/commands/status.ts'
import { ps } from '../../runtime/commands/ps.ts'
import { stop } from '../../runtime/commands/stop.ts'
import { kill } from '../../runtime/commands/kill.ts'
import { restart } from '../../runtime/commands/restart.ts'
import { exec } from '../../runtime/commands/exec.ts'

type Command = PlainCommand<Record<string, unknown>>
// Each command has its own argument type; here they are all read alike.
const COMMANDS = { status, ps, stop, kill, restart, exec } as unknown as Record<string, Command>

/** How lite's yargs parser (cli.ts: strict, populate--) reads argv for this command: its args, or the failure. */
async function yargsReading(argv: string[], cmd: Command): Promise<Record<string, unknown> | { failed: string }> {
  let got: Record<string, unknown> | undefined
  try {
    await yargs(argv)
      .locale('en')
      .exitProcess(false)
      .parserConfiguration({ 'populate--': true })
      .command({ ...cmd, handler: (a: Record<string, unknown>) => void (got = a) })
      .demandCommand(1)
      .strict()
      .help()
      .alias('h', 'help')
      .fail((msg, err) => {
        throw err ?? new Error(msg)
      })
      .parseAsync()
  } catch (e) {
    return { failed: (e as Error).message }
  }
  return got ?? { failed: 'no handler call (help or version)' }
}

/** The keys the handlers read, from yargs' args. */
function handlerView(cmd: Command, args: Record<string, unknown>): Record<string, unknown> {
  const keys = [...positionalsOf(cmd.command).map((p) => p.name), ...Object.keys(cmd.options), '--']
  const view: Record<string, unknown> = {}
  for (const k of keys) {
    let v = args[k]
    if (k === '--' && Array.isArray(v) && !v.length) v = undefined // yargs gives [] where nothing followed --
    if (Array.isArray(v)) v = v.map(String)
    else if (typeof v === 'number' && positionalsOf(cmd.command).some((p) => p.name === k)) v = String(v) // the handlers String() positionals
    if (v !== undefined) view[k] = v
  }
  return view
}

// yargs reads the words after -- as numbers where they look like one ('1e3' becomes 1000);
// the plain reader keeps them as given, which is what the command in them wants.
const NUMBER_LIKE = /^[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?$/i

function plainView(args: Record<string, unknown>): Record<string, unknown> {
  const view: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(args)) {
    if (v === undefined || (k === '--' && Array.isArray(v) && !v.length)) continue
    view[k] = k === '--' ? (v as string[]).map((w) => (NUMBER_LIKE.test(w) ? String(Number(w)) : w)) : v
  }
  return view
}

t.test('the plain forms, read as yargs reads them', async (t) => {
  const cases: [string, string[], Record<string, unknown>][] = [
    ['status', ['status', 'web'], { name: 'web', json: false }],
    ['status', ['status', '--json', 'web'], { name: 'web', json: true }],
    ['status', ['status', 'web', '--json'], { name: 'web', json: true }],
    ['ps', ['ps'], { all: false, json: false }],
    ['ps', ['ps', '-a', '--json'], { all: true, json: true }],
    ['ps', ['ps', '--all'], { all: true, json: false }],
    ['stop', ['stop', 'a', 'b'], { names: ['a', 'b'] }],
    ['stop', ['stop', '-t', '5', 'a'], { names: ['a'], time: 5 }],
    ['stop', ['stop', '--time=0.5', 'a', '-t', '2'], { names: ['a'], time: 2 }],
    ['kill', ['kill', 'web'], { name: 'web', signal: 'KILL' }],
    ['kill', ['kill', 'web', 'HUP'], { name: 'web', signal: 'HUP' }],
    ['kill', ['kill', 'web', '9'], { name: 'web', signal: '9' }],
    ['restart', ['restart', 'a', '--timeout', '30'], { names: ['a'], timeout: 30 }],
    ['exec', ['exec', 'web', '--', 'sh', '-c', 'test -e /ok'], { name: 'web', cmd: [], tty: false, interactive: false, cache: true, '--': ['sh', '-c', 'test -e /ok'] }],
    ['exec', ['exec', '-ti', 'web', '--', 'sh'], { name: 'web', cmd: [], tty: true, interactive: true, cache: true, '--': ['sh'] }],
    ['exec', ['exec', 'web', 'ps'], { name: 'web', cmd: ['ps'], tty: false, interactive: false, cache: true }],
    ['exec', ['exec', 'web', 'echo', 'a', '--', '-n'], { name: 'web', cmd: ['echo', 'a'], tty: false, interactive: false, cache: true, '--': ['-n'] }],
  ]
  for (const [name, argv, want] of cases) {
    const cmd = COMMANDS[name]!
    const plain = parsePlainArgv(argv, cmd)
    t.same(plain, want, `plain: ${argv.join(' ')}`)
    const y = await yargsReading(argv, cmd)
    t.notOk('failed' in y, `yargs reads ${argv.join(' ')} too`, y)
    if (!('failed' in y)) t.same(plainView(plain!), handlerView(cmd, y), `same as yargs: ${argv.join(' ')}`)
  }
})

t.test('anything else is left to yargs', async (t) => {
  const cases: [string, string[]][] = [
    ['status', ['status']],
    ['status', ['status', 'a', 'b']],
    ['status', ['status', '--help']],
    ['status', ['status', '-h', 'web']],
    ['status', ['status', '--json=false', 'web']],
    ['status', ['status', '--json', 'false', 'web']],
    ['status', ['status', '--no-json', 'web']],
    ['status', ['status', '--jsn', 'web']],
    ['status', ['status', '']],
    ['ps', ['ps', 'x']],
    ['ps', ['ps', '-ax']],
    ['ps', ['ps', '-a', 'true']],
    ['stop', ['stop']],
    ['stop', ['stop', '-t']],
    ['stop', ['stop', '-t', 'x', 'a']],
    ['stop', ['stop', '-t', '-1', 'a']],
    ['stop', ['stop', '-t', '0x10', 'a']],
    ['stop', ['stop', '-t5', 'a']],
    ['stop', ['stop', '--time=', 'a']],
    ['kill', ['kill', 'a', 'HUP', 'x']],
    ['exec', ['exec', 'web', 'sh', '-c', 'x']],
    ['exec', ['exec', '--', 'sh']],
    ['exec', ['exec', '-tx', 'web', '--', 'sh']],
  ]
  for (const [name, argv] of cases) t.equal(parsePlainArgv(argv, COMMANDS[name]!), undefined, argv.join(' '))
})

t.test('random command lines: whatever the plain reader reads, yargs reads the same', async (t) => {
  // A small deterministic generator (no Math.random: a failure must be reproducible).
  let seed = 20261203 // mulberry32
  const next = (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return (((x ^ (x >>> 14)) >>> 0) % n)
  }
  const canonical = (o: Record<string, unknown>) => JSON.stringify(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)))
  const words = ['web', 'db', '5', '0.5', 'HUP', 'x', '-', '--', '-t', '-i', '-ti', '-a', '--all', '--json', '--time', '--time=3', '--timeout', '--timeout=2', '--tty', '--interactive', 'true', '-h', '--help', '-x', 'sh', '-c', '1e3', '']
  let read = 0
  const total = 3000
  for (let i = 0; i < total; i++) {
    const name = Object.keys(COMMANDS)[next(6)]!
    const cmd = COMMANDS[name]!
    const argv = [name, ...Array.from({ length: next(6) }, () => words[next(words.length)]!)]
    const plain = parsePlainArgv(argv, cmd)
    if (!plain) continue
    read++
    const y = await yargsReading(argv, cmd)
    if ('failed' in y) {
      t.fail(`yargs refuses what the plain reader read: ${JSON.stringify(argv)}`, { plain, yargs: y.failed })
      continue
    }
    const a = plainView(plain)
    const b = handlerView(cmd, y)
    if (canonical(a) !== canonical(b)) t.same(a, b, `same reading: ${JSON.stringify(argv)}`)
  }
  t.ok(read > 100, `the plain reader read ${read} of ${total} command lines (the rest went to yargs)`)
})
