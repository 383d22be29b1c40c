import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { validateText } from '../../runtime/config/validate.ts'
import type { ContainerConfig } from '../../runtime/config/types.ts'
import { LiteError } from '../../runtime/errors.ts'
import { runHooks, type HookEnv } from '../../runtime/lifecycle/hooks.ts'

// Each script appends a record to the file named by its first argument: its own
// name, then its environment, one VAR=value a line.
const RECORD = `#!/bin/sh
{ echo "== $(basename "$0")"; env | sort; } >> "$1"
`
const SCRIPTS: Record<string, string> = {
  'record.sh': RECORD,
  'record2.sh': RECORD,
  'fail.sh': '#!/bin/sh\nexit 3\n',
  'killed.sh': '#!/bin/sh\nkill -TERM $$\nsleep 5\n',
  'gone.sh': '#!/bin/sh\nexit 0\n',
  'not-exec.sh': '#!/bin/sh\nexit 0\n',
}

/** A testdir with the scripts (executable) and a config whose [hook] section is `hooks`. */
function setup(t: Test, hooks: string[]): { dir: string; file: string; config: ContainerConfig; out: string } {
  const dir = t.testdir({ rootfs: {}, ...SCRIPTS })
  for (const name of Object.keys(SCRIPTS)) fs.chmodSync(path.join(dir, name), 0o755)
  const file = path.join(dir, 'c.ini')
  const lines = ['[container]', 'name = web', '[rootfs]', 'path = rootfs', '[exec]', 'cmd = /bin/sh', '[hook]', ...hooks]
  const { config, errors } = validateText(lines.join('\n') + '\n', file)
  if (!config) throw new Error(JSON.stringify(errors))
  return { dir, file, config, out: path.join(dir, 'out.txt') }
}

const VARS: HookEnv = { LITE_NAME: 'web', LITE_CONFIG: 'configs/web.ini', LITE_ROOTFS: '/srv/rootfs' }

/**
 * Variables a child gets that lite did not give it: what sh adds itself (PWD, SHLVL,
 * _), and what tap's process tracking adds to every process spawned under test
 * (NODE_OPTIONS, _TAPJS_*, ...). Found by running the recorder with an empty env.
 */
function harnessVars(dir: string): Set<string> {
  const out = path.join(dir, 'baseline.txt')
  spawnSync(path.join(dir, 'record.sh'), [out], { env: {}, stdio: 'ignore' })
  const keys = Object.keys(records(out)[0]?.[1] ?? {})
  return new Set(keys.filter(k => k !== 'PATH' && !k.startsWith('LITE_')))
}

/** The records the scripts wrote: [script, env][] */
function records(out: string): [string, Record<string, string>][] {
  if (!fs.existsSync(out)) return []
  return fs
    .readFileSync(out, 'utf8')
    .split(/^== /m)
    .filter(Boolean)
    .map(block => {
      const [name, ...vars] = block.trimEnd().split('\n')
      return [name!, Object.fromEntries(vars.map(v => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)]))]
    })
}

t.test('pre-start hooks run in order with the LITE_* variables and PATH only', async t => {
  const saved = { ...process.env }
  process.env.LITE_TEST_HOST_SECRET = 'from the host'
  process.env.HOME = '/root/of/the/host'
  t.teardown(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
  })
  const { dir, config, out } = setup(t, ['pre-start[] = record.sh out.txt', 'pre-start[] = ./record2.sh out.txt'])
  // the config resolves the argument "out.txt" as is; the hook runs in lite's cwd
  for (const h of config.hooks.preStart) h.argv[1] = out
  t.equal(runHooks('pre-start', config.hooks.preStart, VARS), undefined, 'no error')
  const got = records(out)
  t.same(got.map(r => r[0]), ['record.sh', 'record2.sh'], 'both, in order')
  const harness = harnessVars(dir)
  for (const [name, all] of got) {
    const env = Object.fromEntries(Object.entries(all).filter(([k]) => !harness.has(k)))
    t.same(env, { PATH: process.env.PATH, LITE_NAME: 'web', LITE_CONFIG: 'configs/web.ini', LITE_ROOTFS: '/srv/rootfs' }, `${name}: exactly PATH and LITE_*`)
    t.notOk('LITE_TEST_HOST_SECRET' in env, `${name}: no host variable`)
    t.notOk('HOME' in env, `${name}: no host HOME`)
    t.notOk('LITE_PID' in env, `${name}: no LITE_PID before the container runs`)
  }
})

t.test('post-stop hooks also get LITE_PID and LITE_EXIT_CODE', async t => {
  const { config, out } = setup(t, ['post-stop[] = record.sh out.txt'])
  config.hooks.postStop[0]!.argv[1] = out
  t.equal(runHooks('post-stop', config.hooks.postStop, { ...VARS, LITE_PID: '4242', LITE_EXIT_CODE: '137' }), undefined)
  t.match(records(out)[0]?.[1], { LITE_PID: '4242', LITE_EXIT_CODE: '137' })
})

t.test('PATH falls back to a default when lite has none', async t => {
  const saved = process.env.PATH
  delete process.env.PATH
  t.teardown(() => {
    process.env.PATH = saved
  })
  const { config, out } = setup(t, ['pre-start[] = record.sh out.txt'])
  config.hooks.preStart[0]!.argv[1] = out
  t.equal(runHooks('pre-start', config.hooks.preStart, VARS), undefined)
  t.equal(records(out)[0]?.[1].PATH, '/usr/sbin:/usr/bin:/sbin:/bin')
})

t.test('no hooks: nothing to do', async t => {
  t.equal(runHooks('pre-start', [], VARS), undefined)
})

t.test('failures are told against the hook\'s line', async t => {
  const cases: { name: string; hooks: string[]; prepare?: (dir: string) => void; line: number; message: RegExp }[] = [
    {
      name: 'a non-zero exit stops at that hook',
      hooks: ['pre-start[] = record.sh out.txt', 'pre-start[] = fail.sh', 'pre-start[] = record2.sh out.txt'],
      line: 9,
      message: /^\{DIR\}\/c\.ini:9: \[hook\] pre-start: \{DIR\}\/fail\.sh exited with 3$/,
    },
    {
      name: 'killed by a signal',
      hooks: ['pre-start[] = killed.sh'],
      line: 8,
      message: /^\{DIR\}\/c\.ini:8: \[hook\] pre-start: \{DIR\}\/killed\.sh was killed by SIGTERM$/,
    },
    {
      name: 'the program is gone since the config was checked',
      hooks: ['pre-start[] = gone.sh'],
      prepare: dir => fs.unlinkSync(path.join(dir, 'gone.sh')),
      line: 8,
      message: /^\{DIR\}\/c\.ini:8: \[hook\] pre-start: \{DIR\}\/gone\.sh: .*ENOENT/,
    },
    {
      name: 'the program is no longer executable',
      hooks: ['pre-start[] = not-exec.sh'],
      prepare: dir => fs.chmodSync(path.join(dir, 'not-exec.sh'), 0o644),
      line: 8,
      message: /^\{DIR\}\/c\.ini:8: \[hook\] pre-start: \{DIR\}\/not-exec\.sh: .*EACCES/,
    },
  ]
  const messages: string[] = []
  for (const c of cases) {
    t.test(c.name, async t => {
      const { dir, config, out } = setup(t, c.hooks)
      for (const h of config.hooks.preStart) if (h.argv[1] === 'out.txt') h.argv[1] = out
      c.prepare?.(dir)
      const err = runHooks('pre-start', config.hooks.preStart, VARS)
      t.type(err, LiteError)
      t.equal(err?.exitCode, 125)
      const text = err!.message.split(dir).join('{DIR}')
      t.match(text, c.message)
      messages.push(`${c.name}: ${text}`)
      if (c.hooks.length > 2) t.same(records(out).map(r => r[0]), ['record.sh'], 'the hooks after it did not run')
    })
  }
  t.test('as a user reads them', async t => {
    t.matchSnapshot(messages.join('\n'))
  })
})

t.test('a missing program reads like the other errors of lite', async t => {
  // spawnSync's "spawnSync /path ENOENT" repeats the path and has no wording;
  // lite's other errors say "No such file or directory (ENOENT)".
  const { dir, config } = setup(t, ['pre-start[] = gone.sh'])
  fs.unlinkSync(path.join(dir, 'gone.sh'))
  const text = runHooks('pre-start', config.hooks.preStart, VARS)!.message.split(dir).join('{DIR}')
  t.equal(text, '{DIR}/c.ini:8: [hook] pre-start: {DIR}/gone.sh: No such file or directory (ENOENT)', 'message')
})
