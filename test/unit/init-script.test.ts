// lite init-script: each init system's definition carries the stop policy and passes
// its syntax check (sh -n; systemd-analyze verify where installed).

import t from 'tap'
import { spawnSync } from 'node:child_process'
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { INIT_SYSTEMS } from '../../runtime/init-system/index.ts'
import { type ServiceSpec, signalName } from '../../runtime/init-system/service.ts'

const spec: ServiceSpec = {
  name: 'sensor',
  config: '/etc/lite/sensor config.ini',
  lite: '/usr/bin/lite',
  stopSignal: 'SIGQUIT',
  stopTimeout: 7,
  stopWait: 12,
  restart: 'on-failure',
  restartDelay: 2,
  description: 'lite container sensor',
}

t.test('signal names', async (t) => {
  t.equal(signalName(15), 'SIGTERM')
  t.equal(signalName(34), 'SIGRTMIN')
  t.equal(signalName(37), 'SIGRTMIN+3')
})

for (const system of ['sysv', 'openrc', 'procd'] as const) {
  t.test(`${system}: shell syntax and the stop policy`, async (t) => {
    const text = INIT_SYSTEMS[system].render(spec)
    const dir = t.testdir()
    const file = join(dir, 'script')
    writeFileSync(file, text)
    t.equal(spawnSync('sh', ['-n', file]).status, 0, 'sh -n accepts it')
    t.match(text, /SIGQUIT/, 'names the stop signal')
    t.match(text, /12/, 'waits stop_timeout + grace')
    t.match(text, /'\/etc\/lite\/sensor config.ini'/, 'quotes the config path')
  })
}

t.test('systemd: Delegate, Type=exec, KillMode=mixed, verified', async (t) => {
  const text = INIT_SYSTEMS.systemd.render({ ...spec, lite: '/bin/true' })
  t.match(text, /^Type=exec$/m)
  t.match(text, /^Delegate=yes$/m)
  t.match(text, /^KillMode=mixed$/m)
  t.match(text, /^TimeoutStopSec=12$/m)
  t.match(text, /^ExecStart=\/bin\/true run "\/etc\/lite\/sensor config.ini"$/m)
  if (spawnSync('sh', ['-c', 'command -v systemd-analyze']).status !== 0) return t.comment('systemd-analyze is not installed: syntax not verified')
  const dir = t.testdir()
  const unit = join(dir, 'lite-sensor.service')
  writeFileSync(unit, text)
  chmodSync(unit, 0o644)
  const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
})
