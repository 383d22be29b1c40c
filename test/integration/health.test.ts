// [health]: the monitor runs the check (as `lite exec NAME -- /bin/sh -c CMD`) every
// interval, keeps the health in the state file (health=starting|healthy|unhealthy),
// and restarts an unhealthy container with on_unhealthy = restart. Each test ends with
// the host leak check.

import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { STATE_ROOT, stateOf } from '../support/lifecycle.ts'
import { assertNoLeaks, eventually, lite, requireRootAndBuild, snapshotHost, uniqueName, writeConfig } from '../support/integration.ts'

const health = (name: string) => stateOf(name)?.extra.health

/** A detached busybox container running `script`, with a [health] section. */
function healthConfig(t: Test, script: string, healthKeys: string, extra = '') {
  const cmd = JSON.stringify(`/bin/sh -c '${script}'`)
  const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = ${cmd}\nstop_timeout = 2\n[health]\n${healthKeys}${extra}`, uniqueName('hc'))
  t.teardown(() => void lite(['rm', '-f', c.name], { timeout: 30_000 }))
  return c
}

function runDetached(t: Test, config: string): void {
  const r = lite(['run', '-d', config], { timeout: 30_000 })
  t.equal(r.code, 0, r.stderr)
}

if (requireRootAndBuild(t)) {
  t.test('starting, then healthy, then unhealthy once the check fails retries times in a row', async (t) => {
    const before = snapshotHost()
    const c = healthConfig(t, 'touch /tmp/ok; sleep 3; rm /tmp/ok; while :; do sleep 0.1; done', 'cmd = test -f /tmp/ok && echo fine\ninterval = 300ms\nretries = 2\n')
    runDetached(t, c.path)
    t.ok(await eventually(() => health(c.name) === 'starting', 5000), 'starting until the first check, an interval after the start')
    t.ok(await eventually(() => health(c.name) === 'healthy', 10_000), 'healthy after a passing check')
    t.match(lite(['ps']).stdout, new RegExp(`\\n${c.name}\\s+running \\(healthy\\)\\s`), 'lite ps says so')
    t.equal(readFileSync(join(STATE_ROOT, c.name, 'health.log'), 'utf8'), 'fine\n', 'health.log holds the last check\'s output')
    t.ok(await eventually(() => health(c.name) === 'unhealthy', 15_000), 'unhealthy once the file is gone')
    const s = stateOf(c.name)!
    t.equal(s.extra.health_failures, '2')
    t.ok(Number(s.extra.health_checks) >= 4, `checks counted: ${s.extra.health_checks}`)
    t.equal(s.extra.health_last_exit, '1')
    const json = JSON.parse(lite(['status', '--json', c.name]).stdout) as { health: { status: string; failures: number } }
    t.same([json.health.status, json.health.failures], ['unhealthy', 2])
    t.match(lite(['logs', c.name]).stdout + lite(['logs', c.name]).stderr, /is unhealthy: 2 checks failed in a row/)
    t.equal(stateOf(c.name)?.status, 'running', 'on_unhealthy = none: it runs on')
    t.equal(lite(['rm', '-f', c.name]).code, 0)
    await assertNoLeaks(t, before)
  })

  t.test('a check that takes longer than timeout is killed and fails (last exit -1)', async (t) => {
    const before = snapshotHost()
    const c = healthConfig(t, 'while :; do sleep 0.1; done', 'cmd = sleep 30\ninterval = 200ms\ntimeout = 300ms\nretries = 1\n')
    runDetached(t, c.path)
    t.ok(await eventually(() => health(c.name) === 'unhealthy', 10_000))
    t.equal(stateOf(c.name)?.extra.health_last_exit, '-1')
    t.equal(lite(['rm', '-f', c.name]).code, 0)
    await assertNoLeaks(t, before)
  })

  t.test('failures within start_period do not count while it is starting', async (t) => {
    const before = snapshotHost()
    const c = healthConfig(t, 'while :; do sleep 0.1; done', 'cmd = false\ninterval = 200ms\nretries = 1\nstart_period = 60s\n')
    runDetached(t, c.path)
    t.ok(await eventually(() => Number(stateOf(c.name)?.extra.health_checks ?? 0) >= 3, 15_000), 'three checks ran')
    t.equal(health(c.name), 'starting', 'and none counted')
    t.equal(lite(['rm', '-f', c.name]).code, 0)
    await assertNoLeaks(t, before)
  })

  t.test('on_unhealthy = restart: the monitor restarts it (even with restart = no); lite stop still wins', async (t) => {
    const before = snapshotHost()
    const c = healthConfig(t, 'echo run; while :; do sleep 0.1; done', 'cmd = test -f /nothing\ninterval = 200ms\nretries = 1\non_unhealthy = restart\n', '[start]\nrestart = no\n')
    runDetached(t, c.path)
    const first = stateOf(c.name)?.pid
    t.ok(await eventually(() => (stateOf(c.name)?.restarts ?? 0) >= 1 && stateOf(c.name)?.status === 'running', 20_000), 'restarted')
    t.not(stateOf(c.name)?.pid, first, 'a new container')
    t.match(lite(['logs', c.name]).stdout + lite(['logs', c.name]).stderr, /is unhealthy: 1 checks? failed in a row; restarting it/)
    t.equal(lite(['stop', c.name], { timeout: 30_000 }).code, 0)
    t.equal(stateOf(c.name)?.status, 'exited', 'stopped, not restarted')
    t.equal(lite(['rm', c.name]).code, 0)
    t.notOk(existsSync(join(STATE_ROOT, c.name)))
    await assertNoLeaks(t, before)
  })
}
