// lite init-script: each init system's definition carries the stop policy and passes
// its syntax check (sh -n; systemd-analyze verify where installed).

import t from 'tap'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { INIT_SYSTEMS } from '../../runtime/init-system/index.ts'
import { writeInitScript } from '../../runtime/init-system/write.ts'
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

// issue 12 defect 6: a config path with a newline injected unit lines (ExecStartPre=...)
const INJECTION = '/etc/lite/x\nExecStartPre=/bin/touch /tmp/x/sensor.ini'

for (const system of ['systemd', 'sysv', 'openrc', 'procd'] as const) {
  t.test(`${system}: a control character in a path is refused, not written`, async (t) => {
    for (const [field, value] of [
      ['config', INJECTION],
      ['config', '/etc/lite/a\rb.ini'],
      ['config', '/etc/lite/\x1b[31m.ini'],
      ['lite', '/usr/bin/lite\n-x'],
    ] as const) {
      t.throws(() => INIT_SYSTEMS[system].render({ ...spec, [field]: value }), /contains the control character "\\[nrx][0-9a-f]*", which a service definition can't hold/, `${field} ${JSON.stringify(value)}`)
    }
  })

  t.test(`${system}: lite init-script refuses the injection with exit 125 and writes nothing`, async (t) => {
    const dir = t.testdir({ rootfs: {}, 'sensor.ini': '[rootfs]\npath = rootfs\n[exec]\ncmd = /bin/true\n' })
    const output = join(dir, 'out')
    const stderr: string[] = []
    const write = process.stderr.write
    process.stderr.write = ((chunk: string) => stderr.push(String(chunk)) > 0) as typeof process.stderr.write
    let code: number
    try {
      code = writeInitScript({ config: join(dir, 'sensor.ini'), system, output, configPath: INJECTION })
    } finally {
      process.stderr.write = write
    }
    t.equal(code, 125)
    t.equal(stderr.join(''), `lite: error: the config path "/etc/lite/x\\nExecStartPre=/bin/touch /tmp/x/sensor.ini" contains the control character "\\n", which a service definition can't hold\n`)
    t.notOk(existsSync(output), 'no file written')
    t.same(readdirSync(dir).sort(), ['rootfs', 'sensor.ini'], 'no temporary file left')
  })
}

t.test('a config whose own path holds the injection is refused too', async (t) => {
  const dir = t.testdir({ rootfs: {} })
  const configDir = join(dir, 'a\nExecStartPre=/bin/touch /tmp/x')
  mkdirSync(configDir, { recursive: true })
  writeFileSync(join(configDir, 'sensor.ini'), `[rootfs]\npath = ${join(dir, 'rootfs')}\n[exec]\ncmd = /bin/true\n`)
  const write = process.stderr.write
  const stderr: string[] = []
  process.stderr.write = ((chunk: string) => stderr.push(String(chunk)) > 0) as typeof process.stderr.write
  let code: number
  try {
    code = writeInitScript({ config: join(configDir, 'sensor.ini'), system: 'systemd', output: join(dir, 'unit') })
  } finally {
    process.stderr.write = write
  }
  t.equal(code, 125)
  t.match(stderr.join(''), /^lite: error: the config path ".*" contains the control character "\\n"/)
  t.notOk(existsSync(join(dir, 'unit')))
})

t.test('systemd: $ and % in paths are quoted for ExecStart= and RequiresMountsFor=', async (t) => {
  const text = INIT_SYSTEMS.systemd.render({ ...spec, lite: '/bin/true', config: '/etc/lite/$HOME %h "q" \\b.ini' })
  // ExecStart expands $VAR and specifiers; a path setting expands specifiers only
  t.match(text, /^ExecStart=\/bin\/true run "\/etc\/lite\/\$\$HOME %%h \\"q\\" \\\\b\.ini"$/m)
  t.match(text, /^RequiresMountsFor="\/etc\/lite\/\$HOME %%h \\"q\\" \\\\b\.ini"$/m)
  t.equal(text.split('\n').filter((l) => l.startsWith('ExecStart')).length, 1, 'one command')
  if (spawnSync('sh', ['-c', 'command -v systemd-analyze']).status !== 0) return t.comment('systemd-analyze is not installed: syntax not verified')
  const dir = t.testdir()
  const unit = join(dir, 'lite-sensor.service')
  writeFileSync(unit, text)
  const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
})

/** The config path as the shell reads it back from each script's own line. */
const READ_BACK: Record<'sysv' | 'openrc' | 'procd', { line: RegExp; script: string }> = {
  sysv: { line: /^CONFIG=.*$/m, script: 'eval "$LINE"; printf %s "$CONFIG"' },
  openrc: { line: /^command_args=.*$/m, script: 'eval "$LINE"; eval "set -- $command_args"; printf %s "$2"' },
  procd: { line: /^\tprocd_set_param command .*$/m, script: 'procd_set_param() { shift 3; printf %s "$1"; }; eval "$LINE"' },
}

for (const system of ['sysv', 'openrc', 'procd'] as const) {
  t.test(`${system}: quotes, $ and backquotes in paths stay literal`, async (t) => {
    const config = `/etc/lite/it's $(touch x) \`touch y\` "z" \\.ini`
    const text = INIT_SYSTEMS[system].render({ ...spec, config })
    const dir = t.testdir()
    const file = join(dir, 'script')
    writeFileSync(file, text)
    t.equal(spawnSync('sh', ['-n', file]).status, 0, 'sh -n accepts it')
    const line = READ_BACK[system].line.exec(text)?.[0]
    t.ok(line, 'the line that carries the config path')
    const r = spawnSync('sh', ['-c', READ_BACK[system].script], { cwd: dir, env: { LINE: line ?? '', PATH: process.env.PATH }, encoding: 'utf8' })
    t.equal(r.stdout, config, 'the shell reads back exactly the path')
    t.same(readdirSync(dir), ['script'], 'nothing in it ran')
  })
}
