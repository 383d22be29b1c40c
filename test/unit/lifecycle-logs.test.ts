// lite logs: log.1 then log; -f follows growth and a rotation (log → log.1, a new log)
// without losing or repeating a byte, and ends when the monitor lets go of the lock.

import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { showLogs } from '../../runtime/lifecycle/logs.ts'
import { fakeSystem, runningState, writeStateDir } from '../support/fake-lifecycle.ts'

function setup(t: Test, files: Record<string, string>, over = {}) {
  const root = t.testdir({})
  const sys = fakeSystem(t, root)
  const log = path.join(root, 'web', 'log')
  writeStateDir(root, runningState('web', { log, ...over }), files)
  sys.held.add('web')
  return { sys, log }
}

t.test('prints log.1, then log', async t => {
  const { sys } = setup(t, { 'log.1': 'one\ntwo\n', log: 'three\n' })
  t.equal(await showLogs('web', false, sys), 0)
  t.equal(sys.out, 'one\ntwo\nthree\n')
})

t.test('bytes pass through as they are', async t => {
  const { sys } = setup(t, {})
  fs.writeFileSync(path.join(sys.root, 'web', 'log'), Buffer.from([0xff, 0x00, 0x41]))
  const chunks: Uint8Array[] = []
  sys.stdout = d => void chunks.push(typeof d === 'string' ? Buffer.from(d) : d)
  await showLogs('web', false, sys)
  t.same([...Buffer.concat(chunks)], [0xff, 0x00, 0x41])
})

t.test('no log yet: nothing, exit 0', async t => {
  const { sys } = setup(t, {})
  t.equal(await showLogs('web', false, sys), 0)
  t.equal(sys.out, '')
})

t.test('-f: growth, a rotation, more output, then the container exits', async t => {
  const { sys, log } = setup(t, { log: 'a\n' })
  let round = 0
  sys.onSleep = () => {
    round++
    if (round === 1) fs.appendFileSync(log, 'b\n')
    if (round === 2) {
      fs.appendFileSync(log, 'c\n') // written just before the rotation: must not be lost
      fs.renameSync(log, `${log}.1`)
      fs.writeFileSync(log, 'd\n')
    }
    if (round === 3) fs.appendFileSync(log, 'e\n')
    if (round === 4) {
      fs.appendFileSync(log, 'last words\n')
      sys.held.delete('web') // the monitor exits
    }
  }
  t.equal(await showLogs('web', true, sys), 0)
  t.equal(sys.out, 'a\nb\nc\nd\ne\nlast words\n')
  t.ok(round >= 4 && round < 10, `bounded rounds (${round})`)
})

t.test('-f of an exited container prints what there is and returns', async t => {
  const { sys } = setup(t, { log: 'bye\n' }, { status: 'exited', exitCode: 0 })
  sys.held.delete('web')
  t.equal(await showLogs('web', true, sys), 0)
  t.equal(sys.out, 'bye\n')
})

t.test('no log file: syslog, none, foreground, unknown (exit 1)', async t => {
  for (const [over, message] of [
    [{ log: 'syslog' }, /web logs to syslog \(\[log\] target = syslog\)/],
    [{ log: '' }, /web keeps no log \(\[log\] target = none\)/],
    [{ log: '', detached: false }, /web runs in the foreground/],
  ] as const) {
    const root = t.testdir({})
    const sys = fakeSystem(t, root)
    writeStateDir(root, runningState('web', over))
    sys.held.add('web')
    t.equal(await showLogs('web', false, sys), 1)
    t.match(sys.err, message)
  }
  const sys = fakeSystem(t, t.testdir({}))
  t.equal(await showLogs('nope', false, sys), 1)
  t.match(sys.err, /no such container: nope/)
})
