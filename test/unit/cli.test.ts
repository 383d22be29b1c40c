import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import pkg from '../../package.json' with { type: 'json' }
import type { RunOptions } from '../../runtime/lifecycle/run.ts'
import { outputThroughStreams } from '../support/output-mock.ts'

interface Cli {
  /** runs main(argv) with stdout, stderr and process.exit captured */
  lite: (...argv: string[]) => Promise<{ code: number; stdout: string; stderr: string; exits: (number | undefined)[] }>
  /** what runContainer was called with */
  runs: RunOptions[]
  /** what the fake runContainer returns or throws next */
  next: { code: number; error?: Error }
}

/** main.ts with lifecycle/run.ts replaced by a recorder. */
async function loadCli(t: Test): Promise<Cli> {
  const runs: RunOptions[] = []
  const next: Cli['next'] = { code: 0 }
  const { main } = await t.mockImport<typeof import('../../runtime/main.ts')>('../../runtime/main.ts', {
    ...outputThroughStreams,
    '../../runtime/lifecycle/run.ts': {
      runContainer: async (opts: RunOptions) => {
        runs.push(opts)
        if (next.error) throw next.error
        return next.code
      },
    },
  })
  // main reports a handler's code through process.exitCode: start clean, end clean.
  process.exitCode = undefined
  t.teardown(() => {
    process.exitCode = undefined
  })
  const lite: Cli['lite'] = async (...argv) => {
    const stdout: string[] = []
    const stderr: string[] = []
    const exits: (number | undefined)[] = []
    // Restored before any assertion: tap writes its own output to process.stdout.
    const captured = [
      t.intercept(process.stdout, 'write', { value: (c: unknown) => (stdout.push(String(c)), true), writable: true }),
      t.intercept(process.stderr, 'write', { value: (c: unknown) => (stderr.push(String(c)), true), writable: true }),
      t.intercept(process, 'exit', { value: (c?: number) => void exits.push(c), writable: true }),
    ]
    try {
      const code = await main(argv)
      return { code, stdout: stdout.join(''), stderr: stderr.join(''), exits }
    } finally {
      for (const c of captured) c.restore()
    }
  }
  return { lite, runs, next }
}

t.test('run: the options handed to runContainer', async t => {
  const cases: { argv: string[]; want: RunOptions }[] = [
    { argv: ['run', 'cfg.ini'], want: { config: 'cfg.ini', name: undefined, cmd: [], tty: false, interactive: false } },
    { argv: ['run', 'cfg.ini', '--', 'sh', '-c', 'x'], want: { config: 'cfg.ini', name: undefined, cmd: ['sh', '-c', 'x'], tty: false, interactive: false } },
    { argv: ['run', '-ti', '--name', 'x', 'cfg.ini', 'echo', 'a'], want: { config: 'cfg.ini', name: 'x', cmd: ['echo', 'a'], tty: true, interactive: true } },
    { argv: ['run', '--tty', '--interactive', 'cfg.ini'], want: { config: 'cfg.ini', name: undefined, cmd: [], tty: true, interactive: true } },
    { argv: ['run', '-t', 'cfg.ini'], want: { config: 'cfg.ini', name: undefined, cmd: [], tty: true, interactive: false } },
    { argv: ['run', 'cfg.ini', 'echo', '1', '2'], want: { config: 'cfg.ini', name: undefined, cmd: ['echo', '1', '2'], tty: false, interactive: false } },
    { argv: ['run', 'cfg.ini', '--', '--name', 'y'], want: { config: 'cfg.ini', name: undefined, cmd: ['--name', 'y'], tty: false, interactive: false } },
    { argv: ['run', 'cfg.ini', 'env', '--', '-i'], want: { config: 'cfg.ini', name: undefined, cmd: ['env', '-i'], tty: false, interactive: false } },
    { argv: ['run', '--name=web', 'configs/web.ini'], want: { config: 'configs/web.ini', name: 'web', cmd: [], tty: false, interactive: false } },
    // The detached runner that `run -d` starts (lite itself).
    { argv: ['run', '--detached', '--detach-status-fd', '3', 'cfg.ini'], want: { config: 'cfg.ini', name: undefined, cmd: [], tty: false, interactive: false, detached: true, detachStatusFd: 3 } },
  ]
  const cli = await loadCli(t)
  for (const c of cases) {
    t.test(c.argv.join(' '), async t => {
      cli.runs.length = 0
      const r = await cli.lite(...c.argv)
      t.equal(r.code, 0)
      t.equal(r.stderr, '')
      // The plain forms skip yargs (commands/run-argv.ts) and leave the detach fields out.
      const defaults = { detached: false, detachStatusFd: undefined }
      t.same(cli.runs.map((r) => ({ ...defaults, ...r })), [{ ...defaults, ...c.want }])
      for (const arg of cli.runs[0]!.cmd!) t.type(arg, 'string')
    })
  }
})

t.test('run: the container\'s exit code is lite\'s', async t => {
  const cli = await loadCli(t)
  for (const code of [0, 1, 42, 125, 127, 137]) {
    cli.next.code = code
    t.equal((await cli.lite('run', 'cfg.ini')).code, code, `exit ${code}`)
  }
})

t.test('run: an unexpected error from runContainer rejects main', async t => {
  const cli = await loadCli(t)
  cli.next.error = new Error('boom')
  await t.rejects(cli.lite('run', 'cfg.ini'), { message: 'boom' })
})

t.test('usage errors: 125 and a message on stderr', async t => {
  const cases: [string, string[]][] = [
    ['no command', []],
    ['unknown command', ['frobnicate']],
    ['unknown option', ['run', '--bogus', 'cfg.ini']],
    ['unknown option after the config', ['run', 'cfg.ini', '--bogus']],
    ['a command option before --', ['run', 'cfg.ini', 'sh', '-c', 'x']],
    ['run without a config', ['run']],
    ['check without a config', ['check']],
    ['--name without a value', ['run', '--name']],
    ['-d with -t', ['run', '-d', '-t', 'cfg.ini']],
    ['exec without a command', ['exec', 'web']],
  ]
  // A usage error must stop the command: `lite run cfg.ini --bogus` must not start
  // the container (yargs runs the handler unless .fail() throws).
  const texts: string[] = []
  const cli = await loadCli(t)
  for (const [name, argv] of cases) {
    cli.runs.length = 0
    const r = await cli.lite(...argv)
    t.equal(r.code, 125, `${name}: 125`)
    t.equal(r.stdout, '', `${name}: nothing on stdout`)
    t.match(r.stderr, /^lite: error: .+\nRun "lite --help" for usage\.\n/, `${name}: an error and a pointer to --help`)
    const once = /^lite: error: [^\n]+\nRun "lite --help" for usage\.\n$/.test(r.stderr)
    t.ok(once, `${name}: one error, not one per failed check`)
    t.same(cli.runs, [], `${name}: nothing run`)
    texts.push(`$ lite ${argv.join(' ')}\n${r.stderr.split('\n').slice(0, 2).join('\n')}\n`)
  }
  t.matchSnapshot(texts.join('\n'), 'stderr')
})

t.test('--name given twice', async t => {
  const cli = await loadCli(t)
  const r = await cli.lite('run', '--name', 'a', '--name', 'b', 'cfg.ini')
  t.equal(r.code, 0)
  t.equal(cli.runs[0]?.name, 'b', 'the last one wins')
})

t.test('--version prints the package version', async t => {
  const cli = await loadCli(t)
  const r = await cli.lite('--version')
  t.equal(r.stdout, `${pkg.version}\n`)
  t.equal(r.stderr, '')
  t.same(cli.runs, [])
  t.notOk(r.exits.some(c => c !== 0), 'no non-zero exit')
  t.equal(r.code, 0, 'returns 0')
  t.same(r.exits, [], 'main returns its code instead of calling process.exit')
})

t.test('--help lists the commands', async t => {
  const cli = await loadCli(t)
  const r = await cli.lite('--help')
  for (const cmd of ['run', 'check', 'info', 'help-config']) t.match(r.stdout, new RegExp(`lite ${cmd}`), cmd)
  t.match(r.stdout.replace(/\s+/g, ' '), /125 lite failed; 126 the command cannot be executed; 127 the command was not found/, 'exit codes in the epilogue')
  t.equal(r.stderr, '')
})

t.test('check', async t => {
  const dir = t.testdir({
    rootfs: { bin: {} },
    'good.ini': '[rootfs]\npath = rootfs\n[exec]\ncmd = /bin/sh\n',
    'bad.ini': '[rootfs]\npath = rootfs\nsize = 8Q\n[exec]\ncmd = /bin/sh\nmemroy = 1\n',
    'missing-bind.ini': '[rootfs]\npath = rootfs\n[exec]\ncmd = /bin/sh\n[mount]\nentry[] = nope /x none bind\n',
  })
  const at = (f: string) => path.join(dir, f)
  const hide = (s: string) => s.split(dir).join('{DIR}')
  t.ok(fs.existsSync(at('rootfs')))

  t.test('a good config: exit 0, "ok" on stdout', async t => {
    const cli = await loadCli(t)
    const r = await cli.lite('check', at('good.ini'))
    t.equal(r.code, 0)
    t.equal(hide(r.stdout), '{DIR}/good.ini: ok\n')
    t.equal(r.stderr, '')
    t.same(cli.runs, [], 'nothing run')
  })

  t.test('a bad config: exit 1, every error on stderr', async t => {
    const cli = await loadCli(t)
    const r = await cli.lite('check', at('bad.ini'))
    t.equal(r.code, 1)
    t.equal(r.stdout, '')
    t.matchSnapshot(hide(r.stderr), 'stderr')
  })

  t.test('a plan error (missing bind source) is found too', async t => {
    const cli = await loadCli(t)
    const r = await cli.lite('check', at('missing-bind.ini'))
    t.equal(r.code, 1)
    t.equal(hide(r.stderr), 'lite: error: {DIR}/missing-bind.ini:6: [mount] entry: {DIR}/nope: No such file or directory (ENOENT)\nlite: 1 error in {DIR}/missing-bind.ini; not valid\n')
  })

  t.test('several configs: each reported, 1 if any is bad', async t => {
    const cli = await loadCli(t)
    const r = await cli.lite('check', at('good.ini'), at('bad.ini'), at('no-such.ini'))
    t.equal(r.code, 1)
    t.equal(hide(r.stdout), '{DIR}/good.ini: ok\n')
    t.match(hide(r.stderr), /\{DIR\}\/bad\.ini; not valid\n/)
    t.match(hide(r.stderr), /lite: error: \{DIR\}\/no-such\.ini: No such file or directory \(ENOENT\)\n/)
  })

  t.test('a clean exit code after a bad check', async t => {
    const cli = await loadCli(t)
    t.equal((await cli.lite('check', at('bad.ini'))).code, 1)
    t.equal((await cli.lite('check', at('good.ini'))).code, 0, 'the handler sets 0 again')
  })
})
