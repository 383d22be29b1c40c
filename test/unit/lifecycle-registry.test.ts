// Stale state: a free lock with a live status is dead state, settled by the first
// command that looks; a held lock is never touched.

import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { isHeld, listContainers, observe } from '../../runtime/lifecycle/registry.ts'
import { fakeSystem, readStateDir, runningState, writeStateDir } from '../support/fake-lifecycle.ts'

t.test('a held lock: alive, state untouched, nothing signalled', async t => {
  const root = t.testdir({})
  const sys = fakeSystem(t, root)
  writeStateDir(root, runningState('web'))
  sys.held.add('web')
  const o = await observe('web', sys)
  t.same(o, { name: 'web', dir: path.join(root, 'web'), alive: true, state: runningState('web') })
  t.same(sys.signals, [])
  t.same(sys.cgroupRemovals, [])
  t.equal(sys.err, '')
})

t.test('a lock seen at its monitor: alive without trying the lock (no addon needed)', async t => {
  const root = t.testdir({})
  const sys = fakeSystem(t, root)
  sys.monitorsSeen = true
  writeStateDir(root, runningState('web'))
  writeStateDir(root, runningState('done', { status: 'exited', exitCode: 3, detached: true, monitorPid: null }))
  sys.held.add('web')
  t.same(await observe('web', sys), { name: 'web', dir: path.join(root, 'web'), alive: true, state: runningState('web') })
  t.ok(isHeld(path.join(root, 'web'), sys))
  t.equal(sys.lockTries, 0, 'no lock tried')
  // Exited and kept: the state says it all, no lock either.
  const done = await observe('done', sys)
  t.same([done?.alive, done?.state?.exitCode], [false, 3])
  t.equal(sys.lockTries, 0)
  // isHeld asks the lock when the monitor does not show it.
  t.notOk(isHeld(path.join(root, 'done'), sys))
  t.equal(sys.lockTries, 1)
})

t.test('not seen at its monitor (a state with no lock_fd): the lock answers', async t => {
  const root = t.testdir({})
  const sys = fakeSystem(t, root)
  writeStateDir(root, runningState('web'))
  sys.held.add('web')
  t.equal((await observe('web', sys))?.alive, true)
  t.ok(isHeld(path.join(root, 'web'), sys))
  t.equal(sys.lockTries, 2)
})

t.test('held but no state yet (starting): alive with a null state', async t => {
  const root = t.testdir({ web: { lock: '' } })
  const sys = fakeSystem(t, root)
  sys.held.add('web')
  t.same(await observe('web', sys), { name: 'web', dir: path.join(root, 'web'), alive: true, state: null })
  t.ok(fs.existsSync(path.join(root, 'web')), 'not removed')
})

t.test('the monitor was killed: a detached one is marked exited (code unknown) and its cgroups removed', async t => {
  const root = t.testdir({})
  const sys = fakeSystem(t, root)
  writeStateDir(root, runningState('web', { log: '/run/lite/web/log' }), { log: 'hello\n' })
  const o = await observe('web', sys)
  t.equal(o?.alive, false)
  t.equal(o?.state?.status, 'exited')
  t.equal(o?.state?.exitCode, null)
  t.equal(o?.state?.finished, 1_700_000_000)
  t.same(readStateDir(root, 'web'), o?.state, 'written to the state file')
  t.match(fs.readFileSync(path.join(root, 'web', 'state'), 'utf8'), /\nexit_code=\n/)
  t.same(sys.cgroupRemovals, ['web'])
  t.same(sys.signals, [], 'its pid is gone: nothing to kill')
  t.match(sys.err, /web: its monitor is gone .* marked exited, exit code unknown\n/)
  t.equal(fs.readFileSync(path.join(root, 'web', 'log'), 'utf8'), 'hello\n', 'the log is kept for lite logs')

  sys.err = ''
  const again = await observe('web', sys)
  t.same(again?.state, o?.state, 'settled once: a second look changes nothing')
  t.equal(sys.err, '')
  t.same(sys.cgroupRemovals, ['web'])
})

t.test('an orphaned container (same pid and start time) is killed; a reused pid is not', async t => {
  const root = t.testdir({})
  const sys = fakeSystem(t, root)
  writeStateDir(root, runningState('orphan', { pid: 100, pidStart: 5 }))
  writeStateDir(root, runningState('reused', { pid: 200, pidStart: 5 }))
  sys.procs.set(100, 5)
  sys.procs.set(200, 6)
  await observe('orphan', sys)
  await observe('reused', sys)
  t.same(sys.signals, [[100, 9]])
  t.match(sys.err, /orphaned processes were killed/)
})

t.test('a dead foreground run: the dir goes', async t => {
  const root = t.testdir({})
  const sys = fakeSystem(t, root)
  writeStateDir(root, runningState('fg', { detached: false }))
  t.equal(await observe('fg', sys), undefined)
  t.notOk(fs.existsSync(path.join(root, 'fg')))
  t.same(sys.cgroupRemovals, ['fg'])
})

t.test('an exited foreground run whose clean-up was cut short: the dir goes', async t => {
  const root = t.testdir({})
  const sys = fakeSystem(t, root)
  writeStateDir(root, runningState('fg', { detached: false, status: 'exited', exitCode: 0 }))
  t.equal(await observe('fg', sys), undefined)
  t.notOk(fs.existsSync(path.join(root, 'fg')))
  t.same(sys.cgroupRemovals, [], 'its monitor finished: nothing to settle')
})

t.test('a dir with no state and a free lock (lite died early): removed', async t => {
  const root = t.testdir({ ghost: { lock: '', etc: { hosts: '' } }, bare: {} })
  const sys = fakeSystem(t, root)
  t.equal(await observe('ghost', sys), undefined)
  t.equal(await observe('bare', sys), undefined)
  t.same(fs.readdirSync(root), [])
})

t.test('an exited detached container is kept as it is', async t => {
  const root = t.testdir({})
  const sys = fakeSystem(t, root)
  const exited = runningState('done', { status: 'exited', exitCode: 3, finished: 1_699_999_990 })
  writeStateDir(root, exited)
  t.same(await observe('done', sys), { name: 'done', dir: path.join(root, 'done'), alive: false, state: exited })
  t.same(readStateDir(root, 'done'), exited)
})

t.test('no such container', async t => {
  const sys = fakeSystem(t, t.testdir({}))
  t.equal(await observe('nope', sys), undefined)
})

t.test('listContainers: names only, sorted, settled; a missing root is empty', async t => {
  const root = t.testdir({ '.lite-addon': {}, 'not-a-dir': 'x', 'Bad Name': {} })
  const sys = fakeSystem(t, root)
  writeStateDir(root, runningState('b'))
  writeStateDir(root, runningState('a', { status: 'exited', exitCode: 0 }))
  writeStateDir(root, runningState('c', { detached: false }))
  sys.held.add('b')
  const list = await listContainers(sys)
  t.same(list.map(o => [o.name, o.alive, o.state?.status]), [['a', false, 'exited'], ['b', true, 'running']])
  t.notOk(fs.existsSync(path.join(root, 'c')), 'the dead foreground one was cleaned')
  t.ok(fs.existsSync(path.join(root, '.lite-addon')), 'other entries are left alone')
  t.same(await listContainers(fakeSystem(t, path.join(root, 'none'))), [])
})

t.test('a dir removed between the look and the lock (the addon\'s ENOENT): no such container', async t => {
  const root = t.testdir({ web: {} })
  const sys = fakeSystem(t, root)
  sys.lockExclusive = () => {
    throw Object.assign(new Error('open the state lock: No such file or directory (os error 2)'), { code: 'Os' })
  }
  t.equal(await observe('web', sys), undefined)
  sys.lockExclusive = () => {
    throw Object.assign(new Error('open the state lock: Permission denied (os error 13)'), { code: 'Os' })
  }
  await t.rejects(observe('web', sys), { message: /cannot lock .*web\/lock: open the state lock: Permission denied/ })
})
