import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { formatState, parseState, readState, writeState } from '../../runtime/lifecycle/state-file.ts'
import { parseStartTime, processStartTime } from '../../runtime/lifecycle/process-identity.ts'
import { runningState } from '../support/fake-lifecycle.ts'

t.test('parseState reads every contract key', async t => {
  const s = parseState(
    'name=web\nconfig=/etc/lite/web.ini\nlite=/usr/bin/lite\ndetached=1\nstatus=restarting\npid=10\npid_start=99\nmonitor_pid=9\n' +
      'started=100\nfinished=\nexit_code=3\nexit_signal=0\noom=1\nrestarts=2\nlog=/run/lite/web/log\n',
  )
  t.same(s, {
    name: 'web',
    config: '/etc/lite/web.ini',
    lite: '/usr/bin/lite',
    detached: true,
    status: 'restarting',
    pid: 10,
    pidStart: 99,
    monitorPid: 9,
    started: 100,
    finished: null,
    exitCode: 3,
    exitSignal: 0,
    oom: true,
    restarts: 2,
    log: '/run/lite/web/log',
    extra: {},
  })
})

t.test('unknown keys are kept but not interpreted; odd values read as unknown', async t => {
  const s = parseState('name=a\nstatus=paused\npid=abc\npid_start=-\nmonitor_pid=0\nfuture_key=x=y\nno equals sign\n=novalue\n')
  t.equal(s.status, 'starting', 'an unknown status is not "exited"')
  t.equal(s.pid, null)
  t.equal(s.pidStart, null)
  t.equal(s.monitorPid, null, 'pid 0 is no pid')
  t.same(s.extra, { future_key: 'x=y' })
  t.equal(s.restarts, 0)
  t.equal(s.detached, false)
  t.match(formatState(s), /\nfuture_key=x=y\n$/, 'written back after the known keys')
})

t.test('format then parse is the identity', async t => {
  const s = runningState('web', { exitCode: 137, exitSignal: 9, oom: true, extra: { cgroup: 'lite/web' } })
  t.same(parseState(formatState(s)), s)
  t.equal(formatState(s).split('\n')[0], 'name=web')
})

t.test('readState / writeState: atomic, null when absent', async t => {
  const dir = t.testdir({})
  t.equal(readState(dir), null)
  writeState(dir, runningState('web'))
  t.same(readState(dir), runningState('web'))
  t.same(fs.readdirSync(dir), ['state'], 'no state.tmp left')
  t.throws(() => readState(path.join(dir, 'state')), 'a dir that is a file is an error, not "no state"')
})

t.test('start time: field 22 of /proc/PID/stat, with a command name holding ") ("', async t => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3))
  t.equal(parseStartTime(`123 (a) (b c) ${fields.join(' ')}`), 22)
  t.equal(parseStartTime('garbage'), undefined)
  t.equal(parseStartTime('1 (x) S 1'), undefined)
  t.equal(processStartTime(process.pid), parseStartTime(fs.readFileSync(`/proc/${process.pid}/stat`, 'utf8')), 'our own process')
  t.type(processStartTime(process.pid), 'number')
  t.equal(processStartTime(2 ** 22 + 1), undefined, 'no such pid')
})
