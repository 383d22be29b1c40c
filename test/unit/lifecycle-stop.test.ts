// Stop escalation with a fake clock and a monitor played by the test: the request goes
// to the monitor, -t kills earlier, a hung monitor gets a bounded grace, then lite
// kills the container itself and finally gives up with an error.

import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { LiteError } from '../../runtime/errors.ts'
import { killContainer } from '../../runtime/lifecycle/kill.ts'
import { removeContainer } from '../../runtime/lifecycle/remove.ts'
import { MONITOR_GRACE_MS, stopContainer } from '../../runtime/lifecycle/stop.ts'
import { fakeSystem, readStateDir, runningState, setStatus, writeStateDir, type FakeSystem } from '../support/fake-lifecycle.ts'

const MONITOR = 4241
const PID = 4242

/** A running detached container `web` whose config says stop_timeout = `timeout`. */
function setup(t: Test, timeout = 10): { root: string; sys: FakeSystem } {
  const root = t.testdir({ etc: { 'web.ini': `[exec]\nstop_timeout = ${timeout}\n` } })
  const sys = fakeSystem(t, path.join(root, 'run'))
  fs.mkdirSync(sys.root)
  writeStateDir(sys.root, runningState('web', { config: path.join(root, 'etc', 'web.ini') }))
  sys.held.add('web')
  sys.procs.set(MONITOR, 1)
  sys.procs.set(PID, 777)
  return { root, sys }
}

/** The monitor's side: a stop request marks stopping; `exitAfterMs` later it exits (status exited, lock free). */
function monitor(sys: FakeSystem, opts: { exitOnKill?: boolean; exitAfterMs?: number; hung?: boolean } = {}) {
  let exitAt = Infinity
  const exit = () => {
    setStatus(sys.root, 'web', 'exited', { exitCode: 143, finished: Math.floor(sys.clock / 1000) })
    sys.held.delete('web')
    sys.procs.delete(PID)
  }
  sys.onSignal = (pid, signal) => {
    if (opts.hung) return
    if (pid === MONITOR && signal === 15) {
      setStatus(sys.root, 'web', 'stopping')
      if (opts.exitAfterMs !== undefined) exitAt = sys.clock + opts.exitAfterMs
    }
    if (pid === PID && signal === 9 && opts.exitOnKill) exit()
    if (pid === MONITOR && signal === 9) {
      sys.held.delete('web') // the kernel releases its flock; the state still says stopping
      sys.procs.delete(MONITOR)
    }
  }
  sys.onSleep = () => {
    if (sys.held.has('web') && sys.clock >= exitAt) exit()
  }
}

t.test('a stop request to the monitor; done when it lets go of the lock', async t => {
  const { sys } = setup(t)
  monitor(sys, { exitAfterMs: 300 })
  t.equal(await stopContainer('web', {}, sys), 0)
  t.same(sys.signals, [[MONITOR, 15]], 'only the request: the monitor does the rest')
  t.equal(sys.out, 'web\n')
  t.equal(readStateDir(sys.root, 'web').status, 'exited')
})

t.test('-t 2: lite SIGKILLs the container after 2 s, before the monitor\'s own 10 s', async t => {
  const { sys } = setup(t, 10)
  const start = sys.clock
  let killedAt = 0
  monitor(sys, { exitOnKill: true })
  const inner = sys.onSignal!
  sys.onSignal = (pid, sig) => {
    if (pid === PID && sig === 9) killedAt = sys.clock - start
    inner(pid, sig)
  }
  t.equal(await stopContainer('web', { timeout: 2 }, sys), 0)
  t.same(sys.signals, [[MONITOR, 15], [PID, 9]])
  t.ok(killedAt >= 2000 && killedAt < 2500, `killed at ${killedAt} ms`)
})

t.test('-t 0 waits for status=stopping before the SIGKILL (no restart of a stopped container)', async t => {
  const { sys } = setup(t)
  const seen: string[] = []
  monitor(sys, { exitOnKill: true })
  const inner = sys.onSignal!
  sys.onSignal = (pid, sig) => {
    if (pid === PID) seen.push(readStateDir(sys.root, 'web').status)
    inner(pid, sig)
  }
  t.equal(await stopContainer('web', { timeout: 0 }, sys), 0)
  t.same(seen, ['stopping'])
})

t.test('a reused pid is not killed by -t', async t => {
  const { sys } = setup(t)
  sys.procs.set(PID, 778) // another process now has the pid
  monitor(sys, { exitAfterMs: 3000 })
  t.equal(await stopContainer('web', { timeout: 1 }, sys), 0)
  t.same(sys.signals, [[MONITOR, 15]])
})

t.test('a hung monitor: lite kills the container after stop_timeout + grace, then gives up with an error', async t => {
  const { sys } = setup(t, 3)
  monitor(sys, { hung: true })
  const start = sys.clock
  const err = await stopContainer('web', {}, sys).then(
    () => undefined,
    (e: unknown) => e,
  )
  t.type(err, LiteError)
  t.equal((err as LiteError).exitCode, 125)
  t.match((err as LiteError).message, /web did not stop: its monitor \(pid 4241\) still holds/)
  t.same(sys.signals, [[MONITOR, 15], [PID, 9]])
  const took = sys.clock - start
  t.ok(took >= 3000 + 2 * MONITOR_GRACE_MS && took < 3000 + 2 * MONITOR_GRACE_MS + 1000, `bounded: ${took} ms`)
  t.match(sys.err, /did not finish the stop; killing the container/)
})

t.test('stop_timeout comes from the state (the start\'s value); the config only for an older lite\'s state', async t => {
  for (const [stateSays, want] of [[2, 2000], [undefined, 3000]] as const) {
    const { root, sys } = setup(t, 3)
    if (stateSays !== undefined) writeStateDir(sys.root, runningState('web', { config: path.join(root, 'etc', 'web.ini'), stopTimeout: stateSays }))
    // edited since the start: a stop must not wait for what the file says now, nor fail on it
    if (stateSays !== undefined) fs.writeFileSync(path.join(root, 'etc', 'web.ini'), '[exec]\nstop_timeout = forever\n')
    monitor(sys, { hung: true })
    const start = sys.clock
    await stopContainer('web', {}, sys).catch(() => undefined)
    const took = sys.clock - start
    t.ok(took >= want + 2 * MONITOR_GRACE_MS && took < want + 2 * MONITOR_GRACE_MS + 1000, `state ${stateSays ?? 'without stop_timeout'}: bounded by ${want} ms + grace (took ${took} ms)`)
  }
})

t.test('not running: exit 0 with a note; unknown: exit 1', async t => {
  const { sys } = setup(t)
  setStatus(sys.root, 'web', 'exited', { exitCode: 0 })
  sys.held.delete('web')
  t.equal(await stopContainer('web', {}, sys), 0)
  t.equal(sys.err, 'lite: web is not running\n')
  t.same(sys.signals, [])
  t.equal(await stopContainer('nope', {}, sys), 1)
  t.match(sys.err, /no such container: nope/)
})

t.test('a monitor killed during the stop: the stop ends and the dead state is settled', async t => {
  const { sys } = setup(t)
  sys.onSignal = (pid, sig) => {
    if (pid === MONITOR && sig === 15) sys.held.delete('web') // dies instead of stopping
  }
  t.equal(await stopContainer('web', {}, sys), 0)
  t.equal(readStateDir(sys.root, 'web').status, 'exited')
  t.same(sys.cgroupRemovals, ['web'])
})

t.test('kill: checks the start time, 1 when not running', async t => {
  const { sys } = setup(t)
  t.equal(await killContainer('web', 10, sys), 0)
  t.same(sys.signals, [[PID, 10]])
  t.equal(sys.out, 'web\n')
  sys.procs.set(PID, 1) // reused
  t.equal(await killContainer('web', 9, sys), 1)
  t.same(sys.signals, [[PID, 10]], 'a reused pid gets nothing')
  t.match(sys.err, /web is not running/)
  t.equal(await killContainer('nope', 9, sys), 1)
  setStatus(sys.root, 'web', 'exited')
  sys.held.delete('web')
  t.equal(await killContainer('web', 9, sys), 1)
})

t.test('rm: a stopped one goes; a running one needs -f; -f stops it first', async t => {
  const { sys } = setup(t)
  monitor(sys, { exitOnKill: true })
  t.equal(await removeContainer('web', false, sys), 1)
  t.match(sys.err, /web is running: stop it first/)
  t.ok(fs.existsSync(path.join(sys.root, 'web')))
  t.equal(await removeContainer('web', true, sys), 0)
  t.same(sys.signals, [[MONITOR, 15], [PID, 9]], 'a stop request, then SIGKILL: never a restart')
  t.notOk(fs.existsSync(path.join(sys.root, 'web')), 'removed')
  t.equal(await removeContainer('web', false, sys), 1, 'then unknown')
})

t.test('rm -f of a container whose monitor hangs: the monitor is killed, then everything goes', async t => {
  const { sys } = setup(t, 1)
  monitor(sys, {})
  const inner = sys.onSignal!
  sys.onSignal = (pid, sig) => {
    if (pid === PID) return // the container ignores it, the monitor never exits
    inner(pid, sig)
  }
  t.equal(await removeContainer('web', true, sys), 0)
  t.same(sys.signals.filter(([pid]) => pid === MONITOR), [[MONITOR, 15], [MONITOR, 9]])
  t.notOk(fs.existsSync(path.join(sys.root, 'web')))
  t.same(sys.cgroupRemovals, ['web'], 'what the monitor left is cleaned')
})
