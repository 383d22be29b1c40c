// The lifecycle commands through the real CLI (yargs → command module → lifecycle),
// on a fake system (state dirs in t.testdir): argument handling and exit codes.

import t, { type Test } from 'tap'
import { fakeSystem, runningState, writeStateDir, type FakeSystem } from '../support/fake-lifecycle.ts'
import { outputThroughStreams } from '../support/output-mock.ts'

async function loadCli(t: Test, sys: FakeSystem, started: string[] = []) {
  process.env.LITE_STATE_ROOT = sys.root
  const { main } = await t.mockImport<typeof import('../../runtime/main.ts')>('../../runtime/main.ts', {
    ...outputThroughStreams,
    '../../runtime/lifecycle/system.ts': { hostSystem: async () => sys },
    '../../runtime/lifecycle/detach.ts': {
      runDetached: async (opts: { config: string }) => (started.push(opts.config), 0),
    },
  })
  process.exitCode = undefined
  t.teardown(() => {
    process.exitCode = undefined
    delete process.env.LITE_STATE_ROOT
  })
  return async (...argv: string[]) => {
    const stderr: string[] = []
    const captured = t.intercept(process.stderr, 'write', { value: (c: unknown) => (stderr.push(String(c)), true), writable: true })
    try {
      const code = await main(argv)
      return { code, stderr: stderr.join('') }
    } finally {
      captured.restore()
    }
  }
}

t.test('exit codes and arguments', async t => {
  const sys = fakeSystem(t, t.testdir({}))
  writeStateDir(sys.root, runningState('up'))
  writeStateDir(sys.root, runningState('down', { status: 'exited', exitCode: 2 }))
  sys.held.add('up')
  sys.procs.set(4242, 777)
  const lite = await loadCli(t, sys)

  t.equal((await lite('ps')).code, 0)
  t.match(sys.out, /^up\s+running/m)
  t.notMatch(sys.out, /^down/m)
  sys.out = ''
  t.equal((await lite('ps', '-a', '--json')).code, 0)
  t.equal(JSON.parse(sys.out).length, 2)

  t.equal((await lite('status', 'up')).code, 0)
  t.equal((await lite('status', 'down')).code, 1)
  t.equal((await lite('status', 'nope')).code, 1)

  sys.signals.length = 0
  t.equal((await lite('kill', 'up', 'SIGHUP')).code, 0)
  t.equal((await lite('kill', 'up', '15')).code, 0)
  t.equal((await lite('kill', 'up')).code, 0)
  t.same(sys.signals, [[4242, 1], [4242, 15], [4242, 9]], 'names, numbers, and KILL by default')
  const badSignal = await lite('kill', 'up', 'SIGNOPE')
  t.equal(badSignal.code, 125)
  t.match(badSignal.stderr, /"SIGNOPE" is not a signal/)

  const badName = await lite('stop', 'Not/A/Name')
  t.equal(badName.code, 125)
  t.match(badName.stderr, /is not a container name/)
  const badTime = await lite('stop', '-t', '-1', 'up')
  t.equal(badTime.code, 125)
  t.match(badTime.stderr, /-t: "-1" is not a number of seconds/)
  t.equal((await lite('stop', 'down', 'nope')).code, 1, 'the worst of several names')
  t.equal((await lite('rm', 'up')).code, 1, 'running, no -f')
  t.equal((await lite('rm', 'down')).code, 0)
  t.equal((await lite('logs', 'nope')).code, 1)
  t.equal((await lite('stop')).code, 125, 'a name is required')
})

t.test('boot hands each auto config to runDetached', async t => {
  const root = t.testdir({
    etc: { rootfs: {}, 'b.ini': '[rootfs]\npath = rootfs\n[exec]\ncmd = /bin/true\n[start]\nauto = yes\n' },
    run: {},
  })
  const sys = fakeSystem(t, `${root}/run`)
  const started: string[] = []
  const lite = await loadCli(t, sys, started)
  t.equal((await lite('boot', `${root}/etc`)).code, 0)
  t.same(started, [`${root}/etc/b.ini`])
  const missing = await lite('boot', `${root}/nope`)
  t.equal(missing.code, 125)
  t.match(missing.stderr, /cannot read .*nope: No such file or directory/)
})
