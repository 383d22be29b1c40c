import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { DEFAULT_PATH } from '../../runtime/config/schema.ts'
import { formatConfigErrors } from '../../runtime/config/report.ts'
import { editDistance, closest } from '../../runtime/config/suggest.ts'
import { loadConfig, validateText } from '../../runtime/config/validate.ts'
import { resourceWrites } from '../../runtime/cgroup/resources.ts'
import type { ContainerConfig } from '../../runtime/config/types.ts'

const NO_RESOURCES: ContainerConfig['resources'] = { memory: null, swap: null, cpus: null, weight: null, cpuset: null, mems: null, pids: null, io: [], ioWeight: null, rtRuntime: null }

/** [health] left at its defaults: no check, Docker's timings. */
const NO_HEALTH: ContainerConfig['health'] = { intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0, onUnhealthy: 'none' }
const UPDATE_DEFAULTS: ContainerConfig['update'] = { healthTimeoutMs: 60_000, keep: 1 }

const DEFAULT_SECURITY: ContainerConfig['security'] = {
  caps: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'NET_BIND_SERVICE', 'NET_RAW', 'SYS_CHROOT', 'MKNOD', 'AUDIT_WRITE', 'SETFCAP'],
  noNewPrivs: true,
  seccomp: { kind: 'default' },
}

// Paths are given relative to the repository (tap runs from its root), so
// that error text and snapshots hold no absolute path of this machine.
const FIXTURES = path.relative(process.cwd(), fileURLToPath(new URL('../fixtures/config', import.meta.url)))
const abs = (...parts: string[]) => path.resolve(FIXTURES, ...parts)

t.test('every bad config is refused with all of its errors', async t => {
  const dir = path.join(FIXTURES, 'bad')
  const files = fs.readdirSync(dir).filter(f => f.endsWith('.ini')).sort()
  t.ok(files.length >= 30, `${files.length} bad configs`)
  for (const name of files) {
    t.test(name, async t => {
      const file = path.join(dir, name)
      const result = loadConfig(file)
      t.equal(result.config, undefined, 'no config')
      t.ok(result.errors.length > 0, 'errors')
      t.matchSnapshot(formatConfigErrors(result.errors, file))
    })
  }
})

t.test('one pass collects every error', async t => {
  const result = loadConfig(path.join(FIXTURES, 'bad', 'many-errors.ini'))
  t.same(
    result.errors.map(e => e.line),
    [4, 5, 7, 11, 12, 13, 15, 16, 19, 22, 23, 26],
    'one error per bad line, in line order',
  )
})

t.test('an unreadable file', async t => {
  const file = path.join(FIXTURES, 'bad', 'no-such-file.ini')
  const result = loadConfig(file)
  t.same(result, { errors: [{ file, line: 0, message: 'No such file or directory (ENOENT)' }] })
  t.matchSnapshot(formatConfigErrors(result.errors, file))
})

/** The config every key left at its default gives, for `file`. */
function defaults(file: string, name: string): ContainerConfig {
  return {
    file,
    container: { name, hostname: name, localtime: 'host' },
    rootfs: { path: abs('rootfs'), kind: 'dir', upper: 'tmpfs', size: 16 * 1024 * 1024, readonly: false },
    exec: {
      entrypoint: [],
      cmd: [],
      env: [`PATH=${DEFAULT_PATH}`, 'HOME=/'],
      cwd: '/',
      user: { uid: 0, gid: 0 },
      groups: [],
      init: false,
      stopSignal: 15,
      stopTimeout: 10,
    },
    mounts: [],
    namespaces: { keep: [] },
    user: { map: 'none' },
    net: { type: 'none', bridge: 'lite0', subnet: { address: '10.111.0.0', prefix: 16 }, publish: [], links: [], resolvConf: 'host', dns: [], hosts: [] },
    limits: { rlimits: [], oomScoreAdj: null },
    hooks: { preStart: [], postStop: [] },
    security: DEFAULT_SECURITY,
    sysctl: [],
    devices: [],
    resources: NO_RESOURCES,
    cgroup: { parent: 'lite', v1: [], v2: [] },
    start: { auto: false, order: 0, delay: 0, restart: { policy: 'no', max: 0 } },
    health: NO_HEALTH,
    update: UPDATE_DEFAULTS,
    log: { target: 'file', size: 1024 * 1024 },
    origins: {},
  }
}

t.test('good configs give exact ContainerConfig objects', async t => {
  const good = (name: string) => path.join(FIXTURES, 'good', name)

  t.test('minimal.ini: everything else is a default', async t => {
    const file = good('minimal.ini')
    const at = (line: number) => ({ file, line })
    const expected = defaults(file, 'minimal')
    expected.exec.cmd = ['/bin/sh']
    expected.origins = { 'rootfs.path': at(2), 'exec.cmd': at(5) }
    t.same(loadConfig(file), { config: expected, errors: [] })
  })

  t.test('full.ini: every key set', async t => {
    const file = good('full.ini')
    const at = (line: number) => ({ file, line })
    const expected: ContainerConfig = {
      file,
      container: { name: 'sensor-py', hostname: 'sensor', localtime: 'none' },
      rootfs: { path: abs('rootfs'), kind: 'dir', upper: abs('upper'), size: 16 * 1024 * 1024, readonly: false },
      exec: {
        entrypoint: [],
        cmd: ['/usr/local/bin/python3', '-u', '/app/main.py', '--port', '8080'],
        env: ['PYTHONUNBUFFERED=1', 'TZ=UTC', 'PATH=/usr/local/bin:/usr/bin:/bin', 'HOME=/'],
        cwd: '/app',
        user: { uid: 1000, gid: 1001 },
        groups: [20, 44, 100],
        init: true,
        stopSignal: 2,
        stopTimeout: 5,
      },
      mounts: [
        { source: '/var/lib/sensor', target: '/data', fstype: 'none', options: ['bind', 'rw'], create: 'dir', optional: false, origin: at(26) },
        { source: '/dev/i2c-1', target: '/dev/i2c-1', fstype: 'none', options: ['bind'], create: 'file', optional: true, origin: at(27) },
        {
          source: 'tmpfs',
          target: '/tmp',
          fstype: 'tmpfs',
          options: ['size=8M', 'mode=1777', 'nosuid', 'nodev'],
          create: 'none',
          optional: false,
          origin: at(28),
        },
        { source: abs('good', 'data'), target: '/srv/my data', fstype: 'none', options: ['rbind', 'ro'], create: 'none', optional: false, origin: at(29) },
      ],
      namespaces: { keep: ['ipc', 'cgroup'] },
      user: { map: 'none' },
      net: {
        type: 'host',
        bridge: 'lite0',
        subnet: { address: '10.111.0.0', prefix: 16 },
        publish: [],
        links: [],
        resolvConf: 'host',
        dns: ['192.0.2.53', '2001:db8::53'],
        hosts: ['192.0.2.10 gateway gw.example', '::1 localhost6'],
      },
      limits: {
        rlimits: [
          { resource: 'nofile', soft: 1024, hard: 4096, origin: at(42) },
          { resource: 'core', soft: 0, hard: 0, origin: at(43) },
          { resource: 'stack', soft: -1, hard: -1, origin: at(44) },
        ],
        oomScoreAdj: -500,
      },
      hooks: {
        preStart: [{ argv: [abs('hooks', 'pre-start.sh'), '--name', 'sensor py'], origin: at(48) }],
        postStop: [{ argv: ['/bin/true'], origin: at(49) }],
      },
      security: DEFAULT_SECURITY,
      sysctl: [],
      devices: [],
    resources: NO_RESOURCES,
      cgroup: { parent: 'lite', v1: [], v2: [] },
      start: { auto: true, order: -2, delay: 0.5, restart: { policy: 'on-failure', max: 3 } },
      health: NO_HEALTH,
      update: UPDATE_DEFAULTS,
      log: { target: 'syslog', size: 64 * 1024 },
      origins: {
        'container.name': at(5),
        'container.hostname': at(6),
        'container.localtime': at(7),
        'rootfs.path': at(10),
        'rootfs.upper': at(11),
        'exec.cmd': at(14),
        'exec.env[0]': at(15),
        'exec.env[1]': at(16),
        'exec.env[2]': at(17),
        'exec.cwd': at(18),
        'exec.user': at(19),
        'exec.groups': at(20),
        'exec.init': at(21),
        'exec.stop_signal': at(22),
        'exec.stop_timeout': at(23),
        'mount.entry[0]': at(26),
        'mount.entry[1]': at(27),
        'mount.entry[2]': at(28),
        'mount.entry[3]': at(29),
        'namespaces.keep': at(32),
        'net.type': at(35),
        'net.dns[0]': at(36),
        'net.dns[1]': at(37),
        'net.hosts[0]': at(38),
        'net.hosts[1]': at(39),
        'limits.nofile': at(42),
        'limits.core': at(43),
        'limits.stack': at(44),
        'limits.oom_score_adj': at(45),
        'hook.pre-start[0]': at(48),
        'hook.post-stop[0]': at(49),
        'start.auto': at(52),
        'start.order': at(53),
        'start.delay': at(54),
        'start.restart': at(55),
        'log.target': at(58),
        'log.size': at(59),
      },
    }
    t.same(loadConfig(file), { config: expected, errors: [] })
  })

  t.test('readonly.ini: no overlay, a resolv.conf file', async t => {
    const file = good('readonly.ini')
    const at = (line: number) => ({ file, line })
    const expected = defaults(file, 'ro')
    expected.rootfs.readonly = true
    expected.exec.cmd = ['/bin/busybox', 'httpd', '-f', '-p', '8080']
    expected.net.resolvConf = abs('files', 'resolv.conf')
    expected.origins = {
      'container.name': at(2),
      'rootfs.path': at(5),
      'rootfs.readonly': at(6),
      'exec.cmd': at(9),
      'net.resolv_conf': at(12),
    }
    t.same(loadConfig(file), { config: expected, errors: [] })
  })

  t.test('security.ini: caps, no_new_privs, a seccomp profile file, sysctls', async t => {
    const file = good('security.ini')
    const at = (line: number) => ({ file, line })
    const expected = defaults(file, 'security')
    expected.exec.cmd = ['/bin/true']
    expected.exec.user = { uid: 1000, gid: 1000 }
    expected.security = {
      caps: DEFAULT_SECURITY.caps.filter(c => c !== 'NET_RAW' && c !== 'MKNOD'),
      noNewPrivs: false,
      seccomp: {
        kind: 'file',
        path: abs('files', 'seccomp.json'),
        profile: {
          defaultAction: 'allow',
          rules: [
            { names: ['keyctl', 'add_key'], action: 'errno', errnoRet: 38 },
            { names: ['personality'], action: 'errno', args: [{ index: 0, op: 'ne', value: '18446744073709551615' }], excludes: { caps: ['SYS_ADMIN'] } },
            { names: ['clone'], action: 'errno', args: [{ index: 0, op: 'masked_eq', value: '2114060288', valueTwo: '0' }], includes: { arches: ['amd64'], minKernel: '4.8' } },
          ],
        },
      },
    }
    expected.sysctl = [
      { key: 'net.ipv4.ip_forward', value: '1', origin: at(15) },
      { key: 'kernel.sem', value: '250 32000 100 128', origin: at(16) },
      { key: 'fs.mqueue.msg_max', value: '20', origin: at(17) },
    ]
    expected.origins = {
      'rootfs.path': at(3),
      'exec.cmd': at(6),
      'exec.user': at(7),
      'security.cap.drop': at(10),
      'security.no_new_privs': at(11),
      'security.seccomp': at(12),
      'sysctl.net.ipv4.ip_forward': at(15),
      'sysctl.kernel.sem': at(16),
      'sysctl.fs.mqueue.msg_max': at(17),
    }
    t.same(loadConfig(file), { config: expected, errors: [] })
  })

  t.test('quoting.ini: quotes, escapes and comments', async t => {
    const file = good('quoting.ini')
    const at = (line: number) => ({ file, line })
    const expected = defaults(file, 'quoting')
    expected.rootfs.size = 32 * 1024 * 1024
    expected.exec.cmd = ['sh', '-c', 'echo "a; b" # not a comment']
    expected.exec.env = ['JSON={"a": [1, 2]}', 'MSG=one; two #three', 'FLAG=true', 'EMPTY=', `PATH=${DEFAULT_PATH}`, 'HOME=/']
    expected.exec.stopSignal = 36
    expected.exec.init = true
    expected.origins = {
      'rootfs.path': at(3),
      'rootfs.size': at(4),
      'exec.cmd': at(8),
      'exec.env[0]': at(10),
      'exec.env[1]': at(12),
      'exec.env[2]': at(14),
      'exec.env[3]': at(15),
      'exec.stop_signal': at(16),
      'exec.init': at(17),
    }
    t.same(loadConfig(file), { config: expected, errors: [] })
  })
})

t.test('rootfs kinds, from files in a test dir', async t => {
  const squashfs = Buffer.alloc(4096)
  squashfs.write('hsqs', 0, 'latin1')
  const erofs = Buffer.alloc(4096)
  erofs.writeUInt32LE(0xe0f5e1e2, 1024)
  const dir = t.testdir({
    lower: { bin: {} },
    'lower.squashfs': squashfs,
    'lower.erofs': erofs,
    'zeros.img': Buffer.alloc(4096),
    'short.img': Buffer.from('hs'),
    'link-to-lower': t.fixture('symlink', 'lower'),
    'link-to-nothing': t.fixture('symlink', 'nothing'),
    upper: {},
  })
  const config = (body: string) =>
    validateText(`[container]\nname = k\n[rootfs]\n${body}\n[exec]\ncmd = /bin/true\n`, path.join(dir, 'k.ini'))

  for (const [written, kind] of [
    ['lower', 'dir'],
    ['./lower/', 'dir'],
    ['link-to-lower', 'dir'],
    ['lower.squashfs', 'squashfs'],
    ['lower.erofs', 'erofs'],
    [path.join(dir, 'lower.erofs'), 'erofs'],
  ] as const) {
    const result = config(`path = ${written}`)
    t.same(result.errors, [], written)
    t.equal(result.config?.rootfs.kind, kind, `${written} is ${kind}`)
    t.equal(result.config?.rootfs.path, path.resolve(dir, written), 'absolute, normalised, links kept')
  }

  const messages = (body: string) => config(body).errors.map(e => `${e.line}: ${e.message}`)
  t.same(messages('path = zeros.img'), ['4: [rootfs] path: "zeros.img" is a regular file but neither a squashfs nor an erofs image'])
  t.same(messages('path = short.img'), ['4: [rootfs] path: "short.img" is a regular file but neither a squashfs nor an erofs image'])
  t.same(messages('path = link-to-nothing'), ['4: [rootfs] path: "link-to-nothing": No such file or directory (ENOENT)'])
  t.same(messages('path = /dev/null'), ['4: [rootfs] path: "/dev/null" is a character device; use a directory or a squashfs/erofs image file'])
  t.same(messages('path = lower.squashfs\nupper = zeros.img'), ['5: [rootfs] upper: "zeros.img" is a regular file, not a directory'])

  const persistent = config('path = lower.erofs\nupper = upper\n')
  t.same(persistent.config?.rootfs, { path: path.join(dir, 'lower.erofs'), kind: 'erofs', upper: path.join(dir, 'upper'), size: 16 * 1024 * 1024, readonly: false })
})

t.test('command-line overrides', async t => {
  const file = path.join(FIXTURES, 'good', 'x.ini')
  const base = '[rootfs]\npath = ../rootfs\n'

  const cmdOnly = validateText(base, file, { cmd: ['/bin/echo', 'hi'] })
  t.same(cmdOnly.errors, [], 'a command line cmd satisfies the required key')
  t.same(cmdOnly.config?.exec.cmd, ['/bin/echo', 'hi'])
  t.equal(cmdOnly.config?.origins['exec.cmd'], undefined, 'not from the file')

  const wins = validateText(`${base}[exec]\ncmd = /bin/false\n`, file, { cmd: ['/bin/true'] })
  t.same(wins.config?.exec.cmd, ['/bin/true'])
  t.equal(wins.config?.origins['exec.cmd'], undefined)

  const stillChecked = validateText(`${base}[exec]\ncmd = 'oops\n`, file, { cmd: ['/bin/true'] })
  t.same(stillChecked.errors.map(e => e.line), [4], 'the file value is still validated')

  const named = validateText(`[container]\nname = a\n${base}`, file, { name: 'b', cmd: ['x'] })
  t.equal(named.config?.container.name, 'b')
  t.equal(named.config?.container.hostname, 'b', 'hostname follows the final name')

  const badName = validateText(base, file, { name: 'B B', cmd: ['x'] })
  t.same(badName.errors, [
    {
      file,
      line: 0,
      message:
        '[container] name (from the command line): "B B" is not a valid container name (1 to 63 of a-z 0-9 _ . -, starting with a letter or digit)',
    },
  ])

  t.same(validateText(base, file, { cmd: [] }).errors.map(e => e.message), ['missing required key [exec] cmd'])
  t.same(validateText(base, file, { cmd: ['a\0b'] }).errors.map(e => e.message), [
    '[exec] cmd (from the command line): "a\\x00b" contains a NUL byte',
  ])
})

t.test('defaults that come from elsewhere', async t => {
  const base = '[rootfs]\npath = ../rootfs\n[exec]\ncmd = x\n'
  const r = validateText(base, path.join(FIXTURES, 'good', 'web.v2.ini'))
  t.equal(r.config?.container.name, 'web.v2', 'name from the file name')
  t.equal(r.config?.container.hostname, 'web.v2', 'hostname from the name')
  const noIni = validateText(base, path.join(FIXTURES, 'good', 'web'))
  t.equal(noIni.config?.container.name, 'web')
  const badName = validateText(`[container]\nname = Web\n${base}`, path.join(FIXTURES, 'good', 'x.ini'))
  t.same(badName.errors.map(e => e.line), [2], 'no second error for the hostname that would follow the bad name')
})

t.test('env defaults do not override what is set', async t => {
  const r = validateText(
    '[rootfs]\npath = ../rootfs\n[exec]\ncmd = x\nenv[] = HOME=/root\nenv[] = PATH=/bin\n',
    path.join(FIXTURES, 'good', 'x.ini'),
  )
  t.same(r.config?.exec.env, ['HOME=/root', 'PATH=/bin'])
})

t.test('rules across keys', async t => {
  const file = path.join(FIXTURES, 'good', 'x.ini')
  const messages = (text: string) => validateText(`[exec]\ncmd = x\n${text}`, file).errors.map(e => `${e.line}: ${e.message}`)
  t.same(messages('[rootfs]\npath = ../rootfs\nreadonly = yes\nsize = 8M\n'), [
    '6: [rootfs] size: readonly = yes (line 5) has no upper layer to size',
  ])
  t.same(messages('[rootfs]\npath = ../rootfs\nreadonly = no\nupper = ../upper\n'), [], 'readonly = no with an upper is fine')
  t.same(messages('[rootfs]\npath = ../rootfs\nupper = tmpfs\nsize = 8M\n'), [], 'size with an explicit tmpfs upper')
  t.same(messages('[rootfs]\npath = ../rootfs\nreadonly = yes\nupper = tmpfs\n'), [
    "5: [rootfs] readonly: yes means no overlay, so upper (line 6) can't be set; remove one of them",
  ])
  t.same(messages('[rootfs]\npath = ../rootfs\n[net]\nresolv_conf = host\ndns[] = 192.0.2.1\n'), [], 'dns with resolv_conf = host')
  t.same(messages('[rootfs]\npath = ../rootfs\n[net]\ndns[] = 192.0.2.1\nresolv_conf = ../files/resolv.conf\n'), [
    '6: [net] dns: generates resolv.conf, which conflicts with resolv_conf = a file (line 7); remove one of them',
  ])
  t.same(messages('[rootfs]\npath = ../rootfs\n[namespaces]\nkeep = uts\n'), [], 'uts kept, hostname not set')
})

t.test('[health]: a check, its timings and what an unhealthy container gets', async t => {
  const file = path.join(FIXTURES, 'good', 'x.ini')
  const at = (line: number) => ({ file, line })
  const base = '[rootfs]\npath = ../rootfs\n[exec]\ncmd = /bin/app\n'
  const health = (text: string) => validateText(`${base}[health]\n${text}`, file)
  const messages = (text: string) => health(text).errors.map(e => `${e.line}: ${e.message}`)

  const none = validateText(base, file)
  t.same(none.config?.health, NO_HEALTH, 'no [health]: no check, Docker\'s timings')
  t.notOk(none.config && 'cmd' in none.config.health, 'no cmd at all')

  const all = health(
    'cmd = "wget -q -O /dev/null http://127.0.0.1:8080/ready || exit 1"\n' +
      'interval = 1m30s\ntimeout = 2.5\nretries = 5\nstart_period = 1h\non_unhealthy = restart\n',
  )
  t.same(all.errors, [])
  t.same(all.config?.health, {
    cmd: ['/bin/sh', '-c', 'wget -q -O /dev/null http://127.0.0.1:8080/ready || exit 1'],
    intervalMs: 90_000,
    timeoutMs: 2500,
    retries: 5,
    startPeriodMs: 3_600_000,
    onUnhealthy: 'restart',
  })
  t.same(
    Object.fromEntries(Object.entries(all.config!.origins).filter(([k]) => k.startsWith('health.'))),
    { 'health.cmd': at(6), 'health.interval': at(7), 'health.timeout': at(8), 'health.retries': at(9), 'health.start_period': at(10), 'health.on_unhealthy': at(11) },
    'each key keeps its line',
  )

  const cmdOnly = health('cmd = test -e /run/ready\n')
  t.same(cmdOnly.config?.health, { ...NO_HEALTH, cmd: ['/bin/sh', '-c', 'test -e /run/ready'] }, 'cmd alone: the other keys default')
  const escaped = health('cmd = pidof app\\; test -e /run/ready  ; a comment\n')
  t.same(escaped.errors.map(e => e.message), [], 'an escaped ; is the shell\'s')
  t.same(escaped.config?.health.cmd, ['/bin/sh', '-c', 'pidof app; test -e /run/ready'])
  const quoted = health(`cmd = "wget -qO- http://127.0.0.1/ | grep -q '\\"ok\\"' # done"\n`)
  t.same(quoted.config?.health.cmd, ['/bin/sh', '-c', `wget -qO- http://127.0.0.1/ | grep -q '"ok"' # done`], 'a quoted value keeps ; and #')

  const off = health('cmd = none\n')
  t.same(off.errors, [], 'cmd = none without an image is no check, and no error')
  t.same(off.config?.health, NO_HEALTH)
  t.same(off.config?.origins['health.cmd'], at(6))

  // bad values: each at its line, the others still checked
  const bad = health('cmd =\ninterval = 5x\ntimeout = 25h\nretries = 0\nstart_period = -1s\non_unhealthy = stop\n')
  t.same(bad.errors.map(e => e.line), [6, 7, 8, 9, 10, 11])
  t.matchSnapshot(formatConfigErrors(bad.errors, file), 'bad [health] values')
  t.same(messages('cmd = "a\\nb"\n'), ['6: [health] cmd: "a\\nb" has a line break; write the command on one line (join commands with ; or &&)'])
  t.same(messages('cmd = "a\\u001fb"\n'), ['6: [health] cmd: "a\\x1fb" contains the byte 0x1f'])
  t.same(messages('interval = 1.5.2s\ncmd = true\n'), [
    '6: [health] interval: "1.5.2s" is not a duration (use seconds such as 30 or 0.5, or a number with ms, s, m or h such as 500ms, 2m, 1m30s)',
  ])
  t.same(messages('cmd = true\ninterval = 50ms\nstart_period = 0\n'), ['7: [health] interval: 50ms is out of range (100ms..24h)'], 'start_period may be 0')
  t.same(messages('cmd = true\nretries = 101\n'), ['7: [health] retries: 101 is out of range (1..100)'])
  t.same(messages('cmd = true\ninterval = 5s\ninterval = 6s\n'), ['8: duplicate key "interval" in [health] (first at line 7); write "interval[] = ..." for lists'])
  t.match(messages('cmd[] = true\n'), ['6: [health] cmd takes one value; write "cmd = ...", not "cmd[] = ..."'])
  t.match(messages('intervall = 5s\n'), ['6: unknown key "intervall" in [health] (did you mean "interval"?)'])

  // the other keys need a check to tune
  t.same(messages('interval = 5s\nretries = 2\non_unhealthy = restart\n'), [
    '6: [health] interval: has no effect without cmd (no health check runs)',
    '7: [health] retries: has no effect without cmd (no health check runs)',
    '8: [health] on_unhealthy: has no effect without cmd (no health check runs)',
  ])
  t.same(messages('cmd = none\ntimeout = 5s\nstart_period = 1m\n'), [
    '7: [health] timeout: has no effect with cmd = none (line 6); remove one of them',
    '8: [health] start_period: has no effect with cmd = none (line 6); remove one of them',
  ])
  t.same(messages('timeout = 5s\ncmd = none\n'), ['6: [health] timeout: has no effect with cmd = none (line 7); remove one of them'], 'cmd after them')
  t.same(messages('on_unhealthy = none\n'), ['6: [health] on_unhealthy: has no effect without cmd (no health check runs)'], 'even when written as its default')
  t.same(messages('cmd =\ninterval = 5s\n'), ['6: [health] cmd: empty command (write none to turn off the image\'s health check)'], 'a bad cmd is one error, not one per key')
  t.same(messages('interval = 5s\n[health]\ncmd = true\n'), [], 'cmd under a second [health] header')
  t.same(health('interval = 0.5\n[exec]\nstop_timeout = 3\n[health]\ncmd = true\n').config?.health.intervalMs, 500)
})

t.test('errors are sorted by line, whole-file errors last', async t => {
  const r = validateText('[exec]\nuser = x\n[container]\nname = A\n', path.join(FIXTURES, 'good', 'x.ini'), { name: 'B B' })
  t.same(
    r.errors.map(e => e.line),
    [1, 1, 2, 4, 0],
  )
})

t.test('a missing required key names its section\'s line, or line 1 without the section', async t => {
  // issue 12 defect 14: these errors had no line at all
  const file = path.join(FIXTURES, 'good', 'x.ini')
  const at = (text: string) => validateText(text, file).errors.map(e => `${e.line}: ${e.message}`)
  t.same(at('# a comment\n\n[exec]\ncmd = /bin/true\n\n[rootfs]\nreadonly = yes\n'), ['6: missing required key [rootfs] path'])
  t.same(at('# a comment\n[exec]\ncmd = /bin/true\n'), ['1: missing required key [rootfs] path'])
  t.same(at('[rootfs]\npath = ../rootfs\n[net]\ntype = host\n[exec]\ninit = yes\n[exec]\nuser = 1\n'), ['5: missing required key [exec] cmd'], 'the first header of a repeated section')
})

t.test('20,000 env[] lines validate in linear time', async t => {
  // issue 12 defect 5: a findIndex per entry made this take 31 s
  const lines = ['[rootfs]', 'path = ../rootfs', '[exec]', 'cmd = /bin/true']
  for (let i = 0; i < 20_000; i++) lines.push(`env[] = VAR_${i}=value ${i}`)
  lines.push('env[] = VAR_7=again')
  const started = Date.now()
  const r = validateText(lines.join('\n') + '\n', path.join(FIXTURES, 'good', 'x.ini'))
  const ms = Date.now() - started
  t.same(r.errors.map(e => `${e.line}: ${e.message}`), ['20005: [exec] env: "VAR_7" is already set at line 12'])
  t.ok(ms < 5000, `validated in ${ms} ms`)
  const ok = validateText(lines.slice(0, -1).join('\n') + '\n', path.join(FIXTURES, 'good', 'x.ini'))
  t.equal(ok.config?.exec.env.length, 20_002, 'every variable, then PATH and HOME')
  t.same(ok.config?.origins['exec.env[19999]'], { file: path.join(FIXTURES, 'good', 'x.ini'), line: 20_004 })
})

t.test('a 2 MiB unknown section or key name is one error, quickly', async t => {
  // issue 12 defect 13: 10.7 s and 1.7 GB in "did you mean"
  const huge = 'q'.repeat(2 * 1024 * 1024)
  const started = Date.now()
  const r = validateText(`[rootfs]\npath = ../rootfs\n[exec]\ncmd = /bin/true\n${huge} = 1\n[${huge}]\n`, path.join(FIXTURES, 'good', 'x.ini'))
  t.same(r.errors.map(e => e.line), [5, 6])
  t.ok(r.errors.every(e => e.message.length < 200), 'the name is cut in the message')
  t.ok(Date.now() - started < 2000, 'in bounded time')
  // names under the length bound but too long for a suggestion get none, and cost little
  const long = 'memory'.repeat(15)
  t.same(validateText(`[rootfs]\npath = ../rootfs\n[exec]\ncmd = /bin/true\n[resources]\n${long} = 1\n`, path.join(FIXTURES, 'good', 'x.ini')).errors.map(e => e.message), [
    `unknown key "${long.slice(0, 48)}…${long.slice(-31)}" in [resources]`,
  ])
})

t.test('raw cgroup keys: only limits', async t => {
  // issue 12 defect 12: cgroup.procs = PID pulled a host process into the container's cgroup (and killed it at
  // clean-up); devices.allow = a *:* rwm opened host disks on v1
  const file = path.join(FIXTURES, 'good', 'x.ini')
  const base = '[rootfs]\npath = ../rootfs\n[exec]\ncmd = /bin/true\n'
  const refused: [string, string, RegExp][] = [
    ['cgroup2', 'cgroup.procs', /takes a pid and would move that host process/],
    ['cgroup2', 'cgroup.threads', /takes a pid/],
    ['cgroup', 'cgroup.procs', /takes a pid/],
    ['cgroup', 'tasks', /takes a pid/],
    ['cgroup2', 'cgroup.kill', /kills every process of the container; use lite stop or lite kill/],
    ['cgroup2', 'cgroup.freeze', /freezes the container/],
    ['cgroup', 'freezer.state', /freezes the container/],
    ['cgroup2', 'cgroup.subtree_control', /changes the controllers/],
    ['cgroup2', 'cgroup.type', /changes the kind of the cgroup/],
    ['cgroup', 'notify_on_release', /release_agent, as root/],
    ['cgroup', 'release_agent', /a host program that the kernel runs as root/],
    ['cgroup', 'cgroup.clone_children', /a cgroup core file, not a limit \(of those, only cgroup\.max\.depth and cgroup\.max\.descendants may be set\)/],
    ['cgroup2', 'cgroup.pressure', /a cgroup core file, not a limit/],
    ['cgroup', 'devices.allow', /pass devices with \[devices\] allow\[\]/],
    ['cgroup', 'devices.deny', /\[devices\] allow\[\]/],
    ['cgroup2', 'devices.allow', /\[devices\] allow\[\]/],
  ]
  for (const [section, key, why] of refused) {
    const r = validateText(`${base}[${section}]\n${key} = 1\n`, file)
    t.equal(r.errors.length, 1, `[${section}] ${key} is refused`)
    t.equal(r.errors[0]?.line, 6, 'at its line')
    t.match(r.errors[0]?.message, new RegExp(`^\\[${section}\\] ${key.replace(/\./g, '\\.')}: not a limit: `))
    t.match(r.errors[0]?.message, why)
  }
  for (const [section, key] of [['cgroup2', 'memory.high'], ['cgroup2', 'cgroup.max.depth'], ['cgroup2', 'cgroup.max.descendants'], ['cgroup', 'memory.swappiness'], ['cgroup2', 'pids.max']]) {
    t.same(validateText(`${base}[${section}]\n${key} = 10\n`, file).errors, [], `[${section}] ${key} is a limit`)
  }
  t.match(validateText(`${base}[cgroup]\nparnet = x\n`, file).errors[0]?.message, /did you mean "parent"/, 'a typo still gets its suggestion')

  // and the plan refuses them too, whatever built the config
  const cfg = validateText(`${base}[cgroup2]\nmemory.high = 32M\n`, file).config!
  const origin = { file, line: 99 }
  cfg.cgroup.v2.push({ file: 'cgroup.procs', value: '1', origin })
  cfg.cgroup.v1.push({ file: 'devices.allow', value: 'a *:* rwm', origin })
  const controllers = ['memory', 'devices'].map(c => ({ controller: c, version: (c === 'memory' ? 2 : 1) as 1 | 2, mountPoint: `/sys/fs/cgroup/${c}` }))
  const planned = resourceWrites(cfg, {
    layout: { mode: 'hybrid', unified: '/sys/fs/cgroup/unified', controllers, hierarchies: [] },
    hasFile: () => true,
  })
  t.same(planned.errors.map(e => `${e.line}: ${e.message.replace(/: not a limit: .*/, ': not a limit')}`), ['99: [cgroup] devices.allow: not a limit', '99: [cgroup2] cgroup.procs: not a limit'])
  t.notOk(planned.writes.some(w => w.file === 'cgroup.procs' || (w.file === 'devices.allow' && w.value === 'a *:* rwm')), 'neither is written')
})

t.test('did-you-mean distance', async t => {
  t.equal(editDistance('memroy', 'memory'), 1, 'a swap costs 1')
  t.equal(editDistance('rootf', 'rootfs'), 1)
  t.equal(editDistance('hostanme', 'hostname'), 1)
  t.equal(editDistance('', 'abc'), 3)
  t.equal(editDistance('kitten', 'sitting'), 3)
  t.equal(closest('memroy', ['memory', 'swap']), 'memory')
  t.equal(closest('Exec', ['container', 'exec']), 'exec')
  t.equal(closest('zz', ['as', 'cpu']), undefined, 'no suggestion as far away as the word is long')
  t.equal(closest('volumes', ['container', 'rootfs']), undefined)
  t.equal(editDistance('kitten', 'sitting', 2), 3, 'above the limit: limit + 1')
  t.equal(editDistance('memroy', 'memory', 2), 1)
  t.equal(editDistance('a'.repeat(1000), 'b', 2), 3, 'lengths too far apart: no table at all')
  t.equal(closest('x'.repeat(65), ['x'.repeat(64)]), undefined, 'no suggestion for a word longer than any name')
})
