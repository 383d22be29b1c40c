// lite boot / shutdown: auto-start configs in order (then name), each one's delay
// after it, failures reported without stopping the boot; shutdown in reverse order.

import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { bootDir, bootEntries, shutdownDir } from '../../runtime/lifecycle/boot.ts'
import { LiteError } from '../../runtime/errors.ts'
import { fakeSystem, runningState, setStatus, writeStateDir } from '../support/fake-lifecycle.ts'

const config = (name: string, start: string) => `[container]\nname = ${name}\n[rootfs]\npath = rootfs\n[exec]\ncmd = /bin/true\nstop_timeout = 2\n${start}`

function bootTree(t: Test) {
  return t.testdir({
    etc: {
      rootfs: {},
      'a.ini': config('alpha', '[start]\nauto = yes\norder = 2\n'),
      'b.ini': config('bravo', '[start]\nauto = yes\norder = 1\ndelay = 3\n'),
      'c.ini': config('charlie', '[start]\nauto = no\norder = 0\n'),
      'd.ini': config('delta', '[start]\nauto = yes\norder = 1\ndelay = 0.5\n'),
      'e.ini': config('echo', '[start]\nauto = yes\norder = -5\n'),
      'broken.ini': config('broken', '[start]\nauto = maybe\n'),
      'notes.txt': 'not a config',
    },
    run: {},
  })
}

t.test('entries: auto ones, by order then name; invalid configs reported', async t => {
  const root = bootTree(t)
  const sys = fakeSystem(t, path.join(root, 'run'))
  const { entries, invalid } = bootEntries(path.join(root, 'etc'), sys)
  t.same(entries.map(e => [e.name, e.order, e.delay]), [['echo', -5, 0], ['bravo', 1, 3], ['delta', 1, 0.5], ['alpha', 2, 0]])
  t.equal(invalid, 1)
  t.match(sys.err, /broken\.ini:9: \[start\] auto: "maybe" is not a boolean/)
})

t.test('boot: starts in order with delays; a failure is reported and boot goes on (exit 1)', async t => {
  const root = bootTree(t)
  const sys = fakeSystem(t, path.join(root, 'run'))
  const calls: [string, number][] = []
  const start0 = sys.clock
  const code = await bootDir(path.join(root, 'etc'), async ({ config }) => {
    calls.push([path.basename(config), sys.clock - start0])
    if (config.endsWith('d.ini')) return 125
    if (config.endsWith('e.ini')) throw new LiteError('cannot create the container: EPERM')
    return 0
  }, sys)
  t.equal(code, 1)
  t.same(calls, [['e.ini', 0], ['b.ini', 0], ['d.ini', 3000], ['a.ini', 3000]], 'order, and bravo\'s delay before the next; no delay after a failure')
  t.equal(sys.out, 'bravo\nalpha\n')
  t.match(sys.err, /lite: error: cannot create the container: EPERM\nlite: boot: echo .* did not start \(exit code 125\); going on/)
  t.match(sys.err, /lite: boot: delta .* did not start \(exit code 125\); going on/)
})

t.test('boot: all good is 0; a running one is left alone; no delay after the last', async t => {
  const root = t.testdir({ etc: { rootfs: {}, 'x.ini': config('x', '[start]\nauto = yes\ndelay = 7\n'), 'y.ini': config('y', '[start]\nauto = yes\norder = 1\ndelay = 9\n') }, run: {} })
  const sys = fakeSystem(t, path.join(root, 'run'))
  writeStateDir(sys.root, runningState('y'))
  sys.held.add('y')
  const started: string[] = []
  t.equal(await bootDir(path.join(root, 'etc'), async ({ config }) => (started.push(path.basename(config)), 0), sys), 0)
  t.same(started, ['x.ini'])
  t.equal(sys.clock - 1_700_000_000_000, 7000, 'x\'s delay (a next one follows); none after y')
  t.match(sys.err, /y is already running/)
})

t.test('boot: a dir that is not there is lite\'s error (125)', async t => {
  const sys = fakeSystem(t, t.testdir({}))
  const err = await bootDir('/nonexistent/lite-boot', async () => 0, sys).catch((e: unknown) => e)
  t.type(err, LiteError)
  t.match((err as LiteError).message, /cannot read \/nonexistent\/lite-boot/)
})

t.test('shutdown: the running ones, in reverse order', async t => {
  const root = bootTree(t)
  const sys = fakeSystem(t, path.join(root, 'run'))
  const pids: Record<string, number> = { echo: 100, bravo: 200, alpha: 400 }
  for (const [name, pid] of Object.entries(pids)) {
    writeStateDir(sys.root, runningState(name, { pid, pidStart: 1, monitorPid: pid - 1, config: path.join(root, 'etc', 'x.ini') }))
    sys.held.add(name)
    sys.procs.set(pid - 1, 1)
  }
  const stopped: string[] = []
  sys.onSignal = (pid, sig) => {
    const name = Object.keys(pids).find(n => pids[n] === pid + 1)!
    if (sig !== 15) return
    stopped.push(name)
    setStatus(sys.root, name, 'exited', { exitCode: 143 })
    sys.held.delete(name)
  }
  t.equal(await shutdownDir(path.join(root, 'etc'), sys), 1, '1: broken.ini is invalid')
  t.same(stopped, ['alpha', 'bravo', 'echo'])
  t.equal(sys.out, 'alpha\nbravo\necho\n')
  t.notOk(fs.existsSync(path.join(sys.root, 'delta')), 'delta was not running: nothing done')
})
