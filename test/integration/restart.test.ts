// lite restart: a restart request (signal 39) to the container's monitor, which stops
// the container and execs lite run again itself: the pid an init system sees stays, the
// container gets a new pid, restarts counts it, whatever [start] restart says. A second
// request meanwhile is ignored, a stop request meanwhile wins; a container that does not
// run is refused. Each test ends with the host leak check.

import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import type { ContainerState } from '../../runtime/lifecycle/state-file.ts'
import { RESTART_REQUEST_SIGNAL } from '../../runtime/lifecycle/restart.ts'
import { STATE_ROOT, detachedConfig, runDetached, stateOf } from '../support/lifecycle.ts'
import { assertNoLeaks, eventually, lite, liteBackground, requireRootAndBuild, snapshotHost, uniqueName, writeConfig } from '../support/integration.ts'

const alive = (pid: number | null | undefined) => {
  try {
    return !!pid && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')
  } catch {
    return false
  }
}

/** Running again: a new container pid under the same monitor. */
const cameBack = (name: string, old: ContainerState) => () => {
  const s = stateOf(name)
  return s?.status === 'running' && s.pid !== old.pid && alive(s.pid)
}

const logsOf = (name: string) => lite(['logs', name]).stdout
const count = (text: string, what: string) => text.split(what).length - 1

const TRAP = 'trap \"echo bye; exit 0\" TERM; echo hello; while :; do sleep 0.1; done'
/** Takes a second to stop: requests that come meanwhile find it stopping. */
const SLOW_TRAP = 'trap \"echo bye; sleep 1; exit 0\" TERM; echo hello; while :; do sleep 0.1; done'

if (requireRootAndBuild(t)) {
  t.test('restart: the same monitor pid, a new container pid, restarts + 1, both runs in the log, even with restart = no', async (t) => {
    const before = snapshotHost()
    const c = detachedConfig(t, TRAP, '[start]\nrestart = no\n')
    const s1 = await runDetached(t, c.path, c.name)
    t.ok(await eventually(() => logsOf(c.name).includes('hello'), 3000), 'the first run wrote its line')

    const r = lite(['restart', c.name], { timeout: 60_000 })
    t.equal(r.code, 0, r.stderr)
    t.equal(r.stdout, `${c.name}\n`, 'the name, as docker restart prints it')
    const s2 = stateOf(c.name)!
    t.equal(s2.status, 'running', 'running when lite restart returns')
    t.equal(s2.monitorPid, s1.monitorPid, 'the same monitor pid (an init system sees no change)')
    t.ok(alive(s2.monitorPid), 'the monitor runs')
    t.not(s2.pid, s1.pid, 'a new container pid')
    t.ok(alive(s2.pid), 'the new container runs')
    t.notOk(alive(s1.pid), 'the old one is gone')
    t.equal(s2.restarts, s1.restarts + 1, 'restarts counts it')
    t.ok(await eventually(() => count(logsOf(c.name), 'hello\n') === 2, 3000), 'the second run wrote its line')
    const log = logsOf(c.name)
    t.match(log, new RegExp(`^hello\\nlite: ${c.name}: restart requested\\nbye\\nhello\\n$`), 'both runs, the request and the stop between them')
    t.match(lite(['ps']).stdout, new RegExp(`^${c.name}\\s+running\\s+${s2.pid}\\s+1\\s`, 'm'), 'ps: running, 1 restart')

    // Once more: the restarted lite takes a request as the first one did.
    const again = lite(['restart', c.name], { timeout: 60_000 })
    t.equal(again.code, 0, again.stderr)
    const s3 = stateOf(c.name)!
    t.equal(s3.monitorPid, s1.monitorPid)
    t.not(s3.pid, s2.pid)
    t.equal(s3.restarts, s1.restarts + 2)

    const stop = lite(['stop', c.name])
    t.equal(stop.code, 0, stop.stderr)
    t.equal(stateOf(c.name)?.status, 'exited')
    t.equal(stateOf(c.name)?.exitCode, 0, 'the trap ran')
    t.notOk(alive(s1.monitorPid), 'restart = no: a stop is the end')
    t.equal(lite(['rm', c.name]).code, 0)
    await assertNoLeaks(t, before)
  })

  t.test('a second request while one is under way is ignored; a stop request meanwhile wins', async (t) => {
    const before = snapshotHost()
    const c = detachedConfig(t, SLOW_TRAP, '[start]\nrestart = always\n')
    const s1 = await runDetached(t, c.path, c.name)
    t.ok(await eventually(() => logsOf(c.name).includes('hello'), 3000))
    process.kill(s1.monitorPid!, RESTART_REQUEST_SIGNAL)
    t.ok(await eventually(() => stateOf(c.name)?.status === 'stopping', 3000), 'stopping on the request')
    process.kill(s1.monitorPid!, RESTART_REQUEST_SIGNAL)
    t.ok(await eventually(cameBack(c.name, s1), 10_000), 'running again')
    const s2 = stateOf(c.name)!
    t.equal(s2.monitorPid, s1.monitorPid)
    t.equal(s2.restarts, s1.restarts + 1)
    // A second restart would have begun within the trap's second.
    t.notOk(await eventually(() => stateOf(c.name)?.pid !== s2.pid, 1500), 'no second restart')
    t.equal(stateOf(c.name)?.restarts, s1.restarts + 1)
    t.equal(count(logsOf(c.name), 'restart requested'), 1, 'one request noted')

    // A stop request while the restart's stop is under way: stopped, not restarted
    // (restart = always notwithstanding).
    t.ok(await eventually(() => count(logsOf(c.name), 'hello\n') === 2, 3000))
    process.kill(s2.monitorPid!, RESTART_REQUEST_SIGNAL)
    t.ok(await eventually(() => stateOf(c.name)?.status === 'stopping', 3000), 'stopping on the request')
    const stop = lite(['stop', c.name], { timeout: 60_000 })
    t.equal(stop.code, 0, stop.stderr)
    const s3 = stateOf(c.name)!
    t.equal(s3.status, 'exited', 'the stop won')
    t.equal(s3.exitCode, 0)
    t.equal(s3.restarts, s1.restarts + 1, 'not restarted')
    t.notOk(alive(s1.monitorPid), 'the monitor is gone')
    t.equal(count(logsOf(c.name), 'hello\n'), 2, 'no third run')
    t.equal(lite(['rm', c.name]).code, 0)
    await assertNoLeaks(t, before)
  })

  t.test('restart of an exited or unknown container: 1 with a clear message; usage errors: 125', async (t) => {
    const before = snapshotHost()
    const c = detachedConfig(t, 'echo done')
    t.equal(lite(['run', '-d', c.path]).code, 0)
    t.ok(await eventually(() => stateOf(c.name)?.status === 'exited', 5000), 'it ran and exited')
    const exited = lite(['restart', c.name])
    t.equal(exited.code, 1)
    t.equal(exited.stderr, `lite: error: ${c.name} is not running\n`)
    t.equal(exited.stdout, '', 'no name: nothing was restarted')
    t.equal(stateOf(c.name)?.status, 'exited', 'still exited')

    const unknown = lite(['restart', 'rs-no-such-name'])
    t.equal(unknown.code, 1)
    t.equal(unknown.stderr, 'lite: error: no such container: rs-no-such-name\n')
    t.notOk(existsSync(join(STATE_ROOT, 'rs-no-such-name')))

    const both = lite(['restart', 'rs-no-such-name', c.name])
    t.equal(both.code, 1, 'each name is tried')
    t.equal(count(both.stderr, 'lite: error: '), 2)

    t.equal(lite(['restart', 'Not/A/Name']).code, 125, 'a bad name')
    t.equal(lite(['restart', c.name, '--timeout', '0']).code, 125, '--timeout 0')
    t.equal(lite(['restart']).code, 125, 'no name')
    t.equal(lite(['rm', c.name]).code, 0)
    await assertNoLeaks(t, before)
  })

  t.test('a foreground lite run restarted by lite restart keeps its pid; SIGTERM then ends it as usual', async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = ${JSON.stringify(`/bin/sh -c '${TRAP}'`)}\n`, uniqueName('rs'))
    t.teardown(() => void lite(['rm', '-f', c.name], { timeout: 30_000 }))
    const run = liteBackground(t, ['run', c.path])
    t.ok(await eventually(() => stateOf(c.name)?.status === 'running', 5000), 'running')
    const s1 = stateOf(c.name)!
    t.equal(s1.detached, false)
    t.equal(s1.monitorPid, run.child.pid, 'lite run is the monitor')
    t.ok(await eventually(() => run.output().includes('hello\n'), 3000))

    const r = lite(['restart', c.name], { timeout: 60_000 })
    t.equal(r.code, 0, r.stderr)
    t.equal(r.stdout, `${c.name}\n`)
    const s2 = stateOf(c.name)!
    t.equal(s2.status, 'running')
    t.equal(s2.monitorPid, run.child.pid, 'the same lite run process')
    t.not(s2.pid, s1.pid, 'a new container')
    t.equal(s2.restarts, 1)
    t.equal(run.child.exitCode, null, 'lite run still runs')
    t.equal(run.child.signalCode, null)
    t.ok(await eventually(() => count(run.output(), 'hello\n') === 2, 3000), 'the second run writes to the same stdout')
    t.match(run.errors(), `lite: ${c.name}: restart requested\n`, 'the request noted on its stderr')

    run.child.kill('SIGTERM')
    const done = await run.done
    t.equal(done.code, 0, 'the trap ran: exit 0, as a plain run stopped by SIGTERM')
    t.equal(done.stdout, 'hello\nbye\nhello\nbye\n')
    t.notOk(existsSync(join(STATE_ROOT, c.name)), 'a foreground run removes its state')
    await assertNoLeaks(t, before)
  })
}
