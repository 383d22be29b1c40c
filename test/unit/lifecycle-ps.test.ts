import t from 'tap'
import { formatDuration, formatTable, listCommand, statusCommand, toJson } from '../../runtime/lifecycle/ps.ts'
import type { Observation } from '../../runtime/lifecycle/registry.ts'
import { fakeSystem, runningState, writeStateDir } from '../support/fake-lifecycle.ts'

const NOW = 1_700_000_000

const web: Observation = { name: 'web', dir: '/run/lite/web', alive: true, state: runningState('web', { restarts: 2, extra: { net: 'bridge', net_address: '10.111.0.7/16', net_bridge: 'lite0', net_publish: '0.0.0.0:8080->80/tcp' } }) }
const sensor: Observation = {
  name: 'sensor',
  dir: '/run/lite/sensor',
  alive: false,
  state: runningState('sensor', { status: 'exited', exitCode: 137, exitSignal: 9, oom: true, finished: NOW - 4000, config: '/etc/lite/sensor.ini' }),
}
const ghost: Observation = { name: 'ghost', dir: '/run/lite/ghost', alive: false, state: runningState('ghost', { status: 'exited', exitCode: null, finished: null }) }
const starting: Observation = { name: 'new', dir: '/run/lite/new', alive: true, state: null }

t.test('durations', async t => {
  t.same([0, 59, 60, 3599, 3600, 3660 + 5, 86399, 86400 + 7200, -5].map(formatDuration), ['0s', '59s', '1m', '59m', '1h00m', '1h01m', '23h59m', '1d02h', '0s'])
})

t.test('the table: aligned columns, no trailing spaces', async t => {
  t.equal(
    formatTable([web, sensor, ghost, starting], NOW),
    [
      'NAME     STATUS             PID    RESTARTS   UPTIME/EXITED   NETWORK                           CONFIG',
      'web      running            4242   2          1m              10.111.0.7 0.0.0.0:8080->80/tcp   /etc/lite/web.ini',
      'sensor   exited (137) oom   -      0          1h06m ago       -                                 /etc/lite/sensor.ini',
      'ghost    exited (?)         -      0          -               -                                 /etc/lite/ghost.ini',
      'new      starting           -      0          -               -                                 -',
      '',
    ].join('\n'),
  )
  t.equal(formatTable([], NOW), 'NAME   STATUS   PID   RESTARTS   UPTIME/EXITED   NETWORK   CONFIG\n')
})

t.test('JSON: the state file\'s key names, typed', async t => {
  t.same(toJson([web, sensor, starting]), [
    { name: 'web', alive: true, status: 'running', pid: 4242, pid_start: 777, monitor_pid: 4241, detached: true, restarts: 2, started: NOW - 90, finished: null, exit_code: null, exit_signal: 0, oom: false, config: '/etc/lite/web.ini', log: '', network: { type: 'bridge', address: '10.111.0.7', prefix: 16, bridge: 'lite0', publish: [{ hostPort: 8080, port: 80, proto: 'tcp' }] }, health: null, user_map: null },
    { name: 'sensor', alive: false, status: 'exited', pid: 4242, pid_start: 777, monitor_pid: 4241, detached: true, restarts: 0, started: NOW - 90, finished: NOW - 4000, exit_code: 137, exit_signal: 9, oom: true, config: '/etc/lite/sensor.ini', log: '', network: null, health: null, user_map: null },
    { name: 'new', alive: true, status: 'starting', pid: null, pid_start: null, monitor_pid: null, detached: false, restarts: 0, started: null, finished: null, exit_code: null, exit_signal: 0, oom: false, config: '', log: '', network: null, health: null, user_map: null },
  ])
})

t.test('health: "running (healthy)" in the table, an object in JSON, only with [health]', async t => {
  const extra = { health: 'unhealthy', health_failures: '3', health_checks: '7', health_last_exit: '-1', health_last_ms: '1000' }
  const sick: Observation = { name: 'sick', dir: '/run/lite/sick', alive: true, state: runningState('sick', { extra }) }
  t.match(formatTable([sick], NOW), /\nsick   running \(unhealthy\)   4242 /)
  t.same((toJson([sick])[0] as { health: unknown }).health, { status: 'unhealthy', failures: 3, checks: 7, last_exit: -1, last_ms: 1000 })
  const stopping: Observation = { ...sick, state: runningState('sick', { status: 'stopping', extra }) }
  t.match(formatTable([stopping], NOW), /\nsick   stopping   /, 'the health of a running container only')
})

t.test('lite ps shows running ones; -a adds exited ones; --json parses', async t => {
  const root = t.testdir({})
  const sys = fakeSystem(t, root)
  writeStateDir(root, runningState('up'))
  writeStateDir(root, runningState('down', { status: 'exited', exitCode: 1, finished: NOW - 10 }))
  sys.held.add('up')
  t.equal(await listCommand({ all: false, json: false }, sys), 0)
  t.same(sys.out.trim().split('\n').map(l => l.split(/\s+/)[0]), ['NAME', 'up'])
  sys.out = ''
  await listCommand({ all: true, json: false }, sys)
  t.same(sys.out.trim().split('\n').map(l => l.split(/\s+/)[0]), ['NAME', 'down', 'up'])
  sys.out = ''
  await listCommand({ all: true, json: true }, sys)
  t.same((JSON.parse(sys.out) as { name: string; alive: boolean }[]).map(o => [o.name, o.alive]), [['down', false], ['up', true]])
})

t.test('lite status: 0 alive, 1 exited, 1 unknown', async t => {
  const root = t.testdir({})
  const sys = fakeSystem(t, root)
  writeStateDir(root, runningState('up'))
  writeStateDir(root, runningState('down', { status: 'exited', exitCode: 1 }))
  sys.held.add('up')
  t.equal(await statusCommand('up', sys), 0)
  t.match(sys.out, /^name=up\n.*\nstatus=running\npid=4242\n/s)
  sys.out = ''
  t.equal(await statusCommand('down', sys), 1)
  t.match(sys.out, /\nstatus=exited\n.*\nexit_code=1\n/s)
  t.equal(await statusCommand('nope', sys), 1)
  t.equal(sys.err, 'lite: error: no such container: nope\n')
})

t.test('user_map: a container with [user] map shows its ranges in JSON', async t => {
  const o: Observation = { name: 'mapped', dir: '/run/lite/mapped', alive: true, state: runningState('mapped', { extra: { user_uid_map: '0:1048576:65536', user_gid_map: '0:1048576:65536' } }) }
  t.same((toJson([o])[0] as { user_map: unknown }).user_map, { uid: '0:1048576:65536', gid: '0:1048576:65536' })
})
