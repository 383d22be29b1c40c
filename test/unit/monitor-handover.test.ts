// What lite hands the monitor (runtime/monitor/spec.ts, lifecycle/handover.ts) and how
// `run -d` talks to its runner (lifecycle/detach.ts). The spec's reader is Rust
// (native-rs/monitor/spec.rs, with its own tests); these pin the text it receives.

import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { LiteError } from '../../runtime/errors.ts'
import { loadConfig } from '../../runtime/config/validate.ts'
import { formatMonitorSpec, MAX_LIST, NFT_RELEASE_MAX, type MonitorSpec } from '../../runtime/monitor/spec.ts'
import { formatBytes, initialState, liteCommand, monitorSpec, restartState } from '../../runtime/lifecycle/handover.ts'
import { detachedArgs, parseStatus } from '../../runtime/lifecycle/detach.ts'
import { formatState, parseState } from '../../runtime/lifecycle/state-file.ts'
import type { CgroupPlacement } from '../../runtime/cgroup/manager.ts'

function baseSpec(over: Partial<MonitorSpec> = {}): MonitorSpec {
  return {
    name: 'web',
    stateDir: '/run/lite/web',
    keepState: false,
    lockFd: 7,
    stopSignal: 15,
    stopTimeoutMs: 10_000,
    restart: { policy: 'no', max: 0 },
    restarts: 0,
    backoffMs: 0,
    lite: '/usr/bin/lite',
    args: ['run', '/etc/lite/web.ini'],
    hookEnv: [],
    hooks: [],
    cgroups: [],
    logTarget: 'inherit',
    logSize: 1 << 20,
    state: ['name=web'],
    ...over,
  }
}

t.test('the spec is one "key value" line each, lists repeated, in a fixed order', async (t) => {
  const text = formatMonitorSpec(
    baseSpec({
      keepState: true,
      restart: { policy: 'on-failure', max: 3 },
      hooks: [{ at: 'web.ini:9', argv: ['/bin/echo', 'a b'] }],
      cgroups: ['/sys/fs/cgroup/memory/lite/web', '/sys/fs/cgroup/pids/lite/web'],
      oomFile: '/sys/fs/cgroup/memory/lite/web/memory.oom_control',
      memoryLimit: '4M',
      logTarget: 'file',
      logFd: 9,
    }),
  )
  t.matchSnapshot(text, 'spec text')
  t.match(text, /^hook web\.ini:9\x1f\/bin\/echo\x1fa b$/m, 'a hook: FILE:LINE then argv, split by 0x1f')
  t.notMatch(text, /^exec_only/m, 'an unset optional key is left out')
})

t.test('a value with a line break, a NUL or (in a hook) 0x1f is refused', async (t) => {
  t.throws(() => formatMonitorSpec(baseSpec({ args: ['run', 'a\nb'] })), LiteError)
  t.throws(() => formatMonitorSpec(baseSpec({ name: 'a\0' })), LiteError)
  t.throws(() => formatMonitorSpec(baseSpec({ hooks: [{ at: 'x:1', argv: ['a\x1fb'] }] })), /0x1f/)
  const many = Array.from({ length: MAX_LIST + 1 }, (_, i) => `a${i}`)
  t.throws(() => formatMonitorSpec(baseSpec({ args: many })), /too many arguments/)
})

t.test('the network: claims (fd and file), the nf_tables release, and the fallback command', async (t) => {
  const text = formatMonitorSpec(
    baseSpec({
      claimFds: [11],
      claimPaths: ['/run/lite/.net/lite0@1/10.88.0.2'],
      nftRelease: '14000000100001',
      release: ['/usr/bin/lite', 'net-release', 'web', '/run/lite'],
    }),
  )
  t.match(text, /^claim_fd 11\nclaim \/run\/lite\/\.net\/lite0@1\/10\.88\.0\.2\nnft_release 14000000100001\nrelease \/usr\/bin\/lite\x1fnet-release\x1fweb\x1f\/run\/lite$/m)
  t.throws(() => formatMonitorSpec(baseSpec({ nftRelease: '0A' })), /not hex/, 'lower-case hex only')
  t.throws(() => formatMonitorSpec(baseSpec({ nftRelease: '00'.repeat(NFT_RELEASE_MAX + 1) })), /too long/)
  t.throws(() => formatMonitorSpec(baseSpec({ claimPaths: ['run/x'] })), /absolute/)
})

t.test('a restart is told by the environment the monitor execs lite with', async (t) => {
  t.same(restartState({}), { restarts: 0, backoffMs: 0, lockFd: undefined })
  t.same(restartState({ LITE_RESTARTS: '2', LITE_BACKOFF_MS: '200', LITE_STATE_LOCK_FD: '5' }), { restarts: 2, backoffMs: 200, lockFd: 5 })
  t.same(restartState({ LITE_RESTARTS: 'x', LITE_STATE_LOCK_FD: '-1' }), { restarts: 0, backoffMs: 0, lockFd: undefined })
})

t.test('lite is started again as the compiled binary, or as runtime + script from source', async (t) => {
  t.same(liteCommand('/usr/bin/lite', ['/usr/bin/lite', '/$bunfs/root/lite', 'run']), ['/usr/bin/lite'])
  t.same(liteCommand('/usr/bin/bun', ['/usr/bin/bun', '/src/runtime/cli.ts', 'run']), ['/usr/bin/bun', '/src/runtime/cli.ts'])
  t.same(liteCommand('/usr/bin/lite', ['/usr/bin/lite', 'run']), ['/usr/bin/lite'])
})

t.test('the spec of a detached run with cgroups, hooks and a restart policy', async (t) => {
  const dir = t.testdir({
    'web.ini':
      '[container]\nname = web\n[rootfs]\npath = /\n[exec]\ncmd = /bin/true\nstop_signal = SIGINT\nstop_timeout = 3\n' +
      '[resources]\nmemory = 8M\n[start]\nrestart = always\n[log]\ntarget = syslog\nsize = 64K\n[hook]\npost-stop[] = /bin/echo done\n',
  })
  const file = path.join(dir, 'web.ini')
  const { config } = loadConfig(file)
  t.ok(config)
  const hierarchy = (version: 1 | 2, mountPoint: string, options: string[]) => ({ version, mountPoint, options, controllers: options })
  const cgroups = {
    parent: 'lite',
    dirs: [
      { hierarchy: hierarchy(1, '/sys/fs/cgroup/memory', ['memory']), relative: 'lite/web', path: '/sys/fs/cgroup/memory/lite/web' },
      { hierarchy: hierarchy(1, '/sys/fs/cgroup/pids', ['pids']), relative: 'lite/web', path: '/sys/fs/cgroup/pids/lite/web' },
    ],
  } as unknown as CgroupPlacement
  const s = monitorSpec({
    config: config!,
    identity: { name: 'web', config: file, detached: true, started: 1700000000 },
    opts: { cmd: [], tty: false, interactive: false },
    stateDir: '/run/lite/web',
    lockFd: 4,
    cgroups,
    restart: { restarts: 1, backoffMs: 100 },
    pid: 42,
    pidStart: 777,
    logFd: 8,
    hookVars: { LITE_NAME: 'web', LITE_CONFIG: file, LITE_ROOTFS: '/' },
  })
  t.equal(s.stopSignal, 2)
  t.equal(s.stopTimeoutMs, 3000)
  t.same(s.restart, { policy: 'always', max: 0 })
  t.equal(s.restarts, 1)
  t.equal(s.keepState, true)
  t.equal(s.logTarget, 'syslog')
  t.equal(s.logSize, 64 * 1024)
  t.equal(s.oomFile, '/sys/fs/cgroup/memory/lite/web/memory.oom_control')
  t.equal(s.memoryLimit, '8M')
  t.same(s.cgroups, ['/sys/fs/cgroup/memory/lite/web', '/sys/fs/cgroup/pids/lite/web'], 'the container\'s own directories')
  t.notMatch(formatMonitorSpec(s), /cgroup_parent/, 'never a parent: another container may be starting under it')
  t.same(s.args.slice(s.args.indexOf('run')), ['run', file, '--name', 'web', '--detached'], 'lite run again, still detached')
  t.same(s.hooks, [{ at: `${file}:17`, argv: ['/bin/echo', 'done'] }])
  t.ok(s.state.includes('pid_start=777') && s.state.includes('detached=1') && s.state.includes('log=syslog'))
  const first = initialState({ name: 'web', config: file, detached: true, started: 1 }, 2, { log: { ...config!.log, target: 'syslog' }, exec: { ...config!.exec, stopTimeout: 7 } })
  t.equal(first.status, 'restarting')
  t.equal(first.log, 'syslog', 'the same log value as the monitor writes')
  t.equal(first.stopTimeout, 7, 'the state carries stop_timeout: stop and restart need not read the config again')
  t.ok(s.state.includes(`stop_timeout=${config!.exec.stopTimeout}`), 'and so does the state the monitor writes')
  t.equal(parseState(formatState(first)).stopTimeout, 7)
  t.equal(parseState('name=web\n').stopTimeout, undefined, 'an older lite\'s state: none (stop reads the config then)')
  // lock_fd: where ps and status see the monitor holding the lock (lock-holder.ts)
  t.ok(s.state.includes('lock_fd=4'), 'the monitor\'s state names the fd it holds the lock on')
  const held = initialState({ name: 'web', config: file, detached: true, started: 1, lockFd: 5 }, 0, config!)
  t.equal(parseState(formatState(held)).lockFd, 5, 'and so does lite run\'s, before the monitor')
  t.equal(parseState('name=web\nlock_fd=x\n').lockFd, undefined)
  t.equal(formatBytes(8 << 20), '8M')
  t.equal(formatBytes(1000), '1000')
})

t.test('run -d talks to its runner over a status pipe', async (t) => {
  t.same(detachedArgs({ config: 'web.ini', name: 'x', cmd: ['sh', '-c', 'y'] }, 3).slice(2), ['--detached', '--detach-status-fd', '3', '--name', 'x', '--', 'sh', '-c', 'y'])
  t.equal(detachedArgs({ config: 'web.ini' }, 3)[1], path.resolve('web.ini'), 'an absolute config: the runner may start elsewhere')
  t.same(parseStatus('ok 123 web\n'), { ok: true, pid: 123, name: 'web' }, 'the pid, and the name lite run -d prints')
  t.same(parseStatus('failed\n'), { ok: false })
  t.same(parseStatus(''), { ok: false }, 'the runner died before it said anything')
  t.ok(fs.existsSync(path.dirname(path.resolve('web.ini'))))
})
