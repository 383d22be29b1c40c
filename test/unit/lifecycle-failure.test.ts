import { constants } from 'node:os'
import path from 'node:path'
import t, { type Test } from 'tap'
import { validateText, type ConfigOverrides } from '../../runtime/config/validate.ts'
import { LiteError } from '../../runtime/errors.ts'
import { describeErrno, errnoName, failureError } from '../../runtime/lifecycle/failure.ts'
import { buildPlan, type LaunchPlan } from '../../runtime/plan/build.ts'

const E = constants.errno

// What the addon's errnoText gives (strerror), for the errnos used here.
const STRERROR: Record<number, string> = {
  [E.ENOENT]: 'No such file or directory',
  [E.EACCES]: 'Permission denied',
  [E.ENOEXEC]: 'Exec format error',
  [E.EISDIR]: 'Is a directory',
  [E.EPERM]: 'Operation not permitted',
  [E.E2BIG]: 'Argument list too long',
  [E.EINVAL]: 'Invalid argument',
  [E.EBUSY]: 'Device or resource busy',
  [E.ENOTDIR]: 'Not a directory',
  [E.ELOOP]: 'Too many levels of symbolic links',
  [E.ETIMEDOUT]: 'Connection timed out',
}
const strerror = (n: number) => STRERROR[n] ?? `Unknown error ${n}`

// Line numbers matter: messages point at them.
const CONFIG = [
  '[container]', //             1
  'name = web', //              2
  '[rootfs]', //                3
  'path = rootfs', //           4
  '[exec]', //                  5
  'cmd = app --serve', //       6
  'env[] = PATH=/usr/bin:/bin', // 7
  'cwd = /srv', //              8
  'user = 1000:1000', //        9
  'groups = 20', //             10
  '[mount]', //                 11
  'entry[] = data /data none bind,ro', // 12
  'entry[] = tmpfs /tmp tmpfs size=1M', // 13
  '[limits]', //                14
  'nofile = 1024', //           15
  'core = 0', //                16
  'oom_score_adj = -100', //    17
]

function plan(t: Test, lines = CONFIG, overrides?: ConfigOverrides): { plan: LaunchPlan; dir: string } {
  const dir = t.testdir({ rootfs: {}, data: {} })
  const { config, errors } = validateText(lines.join('\n') + '\n', path.join(dir, 'web.ini'), overrides)
  if (!config) throw new Error(JSON.stringify(errors))
  const planned = buildPlan(config, { resolvConf: null, localtime: null, hostname: 'host-machine' }, { stateDir: '/run/lite/web', tty: false, interactive: false, exists: () => true })
  if (!planned.plan) throw new Error(JSON.stringify(planned.errors))
  return { plan: planned.plan, dir }
}

const opIndex = (p: LaunchPlan, pred: (o: LaunchPlan['native']['ops'][number]) => boolean) => p.native.ops.findIndex(pred)

t.test('errnoName and describeErrno', async t => {
  t.equal(errnoName(E.ENOENT), 'ENOENT')
  t.equal(errnoName(E.EACCES), 'EACCES')
  t.equal(errnoName(99999), 'errno 99999')
  t.equal(describeErrno(E.ENOENT), 'ENOENT', 'the name alone without a strerror')
  t.equal(describeErrno(E.ENOENT, strerror), 'No such file or directory (ENOENT)')
})

t.test('exec', async t => {
  t.test('ENOENT: 127, with every candidate tried', async t => {
    const { plan: p, dir } = plan(t)
    const e = failureError({ step: 'exec', index: 1, errno: E.ENOENT }, p, strerror)
    t.type(e, LiteError)
    t.equal(e.exitCode, 127)
    t.equal(e.message.split(dir).join('{DIR}'), '{DIR}/web.ini:6: [exec] cmd: "app": command not found in the container (tried /usr/bin/app, /bin/app)')
  })

  const cases: [string, number, number, number][] = [
    ['EACCES', E.EACCES, 0, 126],
    ['ENOEXEC', E.ENOEXEC, 1, 126],
    ['EISDIR', E.EISDIR, 0, 126],
    ['EPERM', E.EPERM, 0, 126],
    ['E2BIG', E.E2BIG, 0, 125],
  ]
  for (const [name, errno, index, code] of cases) {
    t.test(`${name}: ${code}`, async t => {
      const { plan: p, dir } = plan(t)
      const e = failureError({ step: 'exec', index, errno }, p, strerror)
      t.equal(e.exitCode, code)
      t.equal(
        e.message.split(dir).join('{DIR}'),
        `{DIR}/web.ini:6: [exec] cmd: cannot execute ${p.native.execCandidates[index]}: ${strerror(errno)} (${name})`,
        'names the candidate that failed',
      )
    })
  }

  t.test('a command from the command line has no config line', async t => {
    const { plan: p } = plan(t, CONFIG, { cmd: ['/opt/x'] })
    const e = failureError({ step: 'exec', index: 0, errno: E.ENOENT }, p, strerror)
    t.equal(e.message, '"/opt/x": command not found in the container (tried /opt/x)', 'no FILE:LINE, no [exec] cmd')
    t.equal(e.exitCode, 127)
    const eacces = failureError({ step: 'exec', index: 0, errno: E.EACCES }, p, strerror)
    t.equal(eacces.message, 'cannot execute /opt/x: Permission denied (EACCES)')
    t.equal(eacces.exitCode, 126)
  })

  t.test('an index past the candidates names the command', async t => {
    const { plan: p } = plan(t)
    t.match(failureError({ step: 'exec', index: 9, errno: E.EACCES }, p, strerror).message, /cannot execute app: /)
  })
})

t.test('fs-op: the op\'s purpose, its config line and the errno', async t => {
  const { plan: p, dir } = plan(t)
  const idx = {
    bind: opIndex(p, o => o.target === '/data' && o.source !== undefined),
    remount: opIndex(p, o => o.target === '/data' && o.source === undefined),
    tmpfs: opIndex(p, o => o.target === '/tmp'),
    proc: opIndex(p, o => o.fstype === 'proc'),
    overlay: opIndex(p, o => o.fstype === 'overlay'),
    hosts: opIndex(p, o => o.target === '/etc/hosts' && o.source !== undefined),
    dev: opIndex(p, o => o.target === '/dev' && o.fstype === 'tmpfs'),
    sysctlOrMask: opIndex(p, o => o.kind === 'mask' && o.target === '/proc/keys'),
  }
  for (const [k, v] of Object.entries(idx)) t.ok(v >= 0, `${k} op found`)
  const cases: [string, number, number, string][] = [
    ['bind source missing', idx.bind, E.ENOENT, '{DIR}/web.ini:12: [mount] entry: mount {DIR}/data on /data (bind): No such file or directory (ENOENT)'],
    ['read-only remount', idx.remount, E.EPERM, '{DIR}/web.ini:12: [mount] entry: mount {DIR}/data on /data (bind): Operation not permitted (EPERM)'],
    ['tmpfs', idx.tmpfs, E.EINVAL, '{DIR}/web.ini:13: [mount] entry: mount tmpfs on /tmp (tmpfs): Invalid argument (EINVAL)'],
    ['/proc', idx.proc, E.EBUSY, '{DIR}/web.ini:4: [rootfs] path: mount /proc: Device or resource busy (EBUSY)'],
    ['overlay', idx.overlay, E.EINVAL, '{DIR}/web.ini:4: [rootfs] path: overlay of the rootfs: Invalid argument (EINVAL)'],
    ['/etc/hosts without a hosts[] line', idx.hosts, E.ENOTDIR, '[net] hosts: mount /run/lite/web/etc/hosts on /etc/hosts (bind, read-only): Not a directory (ENOTDIR)'],
    ['an index past the ops', 999, E.ENOENT, 'filesystem step 999: No such file or directory (ENOENT)'],
    // An untrusted rootfs: lite's own mount points take no symlink, masks need lite's null device.
    ['/dev as a symlink', idx.dev, E.ELOOP, "{DIR}/web.ini:4: [rootfs] path: mount /dev: /dev or a directory above it is a symbolic link in the rootfs; lite does not follow links for its own mount points, masks and sysctls (ELOOP)"],
    ['a mask on the wrong filesystem', idx.sysctlOrMask, E.EXDEV, 'mask /proc/keys: /proc/keys is not on procfs or sysfs (EXDEV)'],
    ['a null device that is not 1:3', idx.sysctlOrMask, E.ENODEV, "mask /proc/keys: the container's /dev/null is not the null device (1:3) that lite made (ENODEV)"],
  ]
  for (const [name, index, errno, want] of cases) {
    const e = failureError({ step: 'fs-op', index, errno }, p, strerror)
    t.equal(e.message.split(dir).join('{DIR}'), want, name)
    t.equal(e.exitCode, 125, `${name}: 125`)
  }
})

t.test('a set-up step that hung names its step and config line', async t => {
  const { plan: p, dir } = plan(t)
  const hosts = opIndex(p, o => o.target === '/etc/hosts' && o.source !== undefined)
  const e = failureError({ step: 'fs-op', index: hosts, errno: E.ETIMEDOUT, timedOut: true }, p, strerror)
  t.equal(e.message.split(dir).join('{DIR}'), '[net] hosts: mount /run/lite/web/etc/hosts on /etc/hosts (bind, read-only): did not finish within 30 s, so lite stopped the container (ETIMEDOUT)')
  t.equal(e.exitCode, 125)
})

t.test('the other steps', async t => {
  const { plan: p, dir } = plan(t)
  const cases: [string, number, number, string][] = [
    ['chdir', 0, E.ENOENT, '{DIR}/web.ini:8: [exec] cwd: /srv: No such file or directory (ENOENT)'],
    ['chdir', 0, E.EXDEV, "{DIR}/web.ini:8: [exec] cwd: /srv: resolves outside the container's root (EXDEV)"],
    ['chdir', 0, E.ELOOP, '{DIR}/web.ini:8: [exec] cwd: /srv: Too many levels of symbolic links (ELOOP): a cwd may not go through /proc/PID/fd links or loop'],
    ['uid', 0, E.EPERM, '{DIR}/web.ini:9: [exec] user: cannot set the uid: Operation not permitted (EPERM)'],
    ['gid', 0, E.EINVAL, '{DIR}/web.ini:9: [exec] user: cannot set the gid: Invalid argument (EINVAL)'],
    ['rlimit', 0, E.EPERM, '{DIR}/web.ini:15: [limits] nofile: Operation not permitted (EPERM) (a limit may only be lowered: lite runs without raising the inherited hard limit)'],
    ['rlimit', 1, E.EINVAL, '{DIR}/web.ini:16: [limits] core: Invalid argument (EINVAL)'],
    ['rlimit', 7, E.EINVAL, '[limits] ?: Invalid argument (EINVAL)'],
    ['oom-score', 0, E.EACCES, '{DIR}/web.ini:17: [limits] oom_score_adj: Permission denied (EACCES)'],
    ['hostname', 0, E.EPERM, '[container] hostname: Operation not permitted (EPERM)'],
    ['pivot-root', 0, E.EINVAL, 'container set-up failed: pivot_root into the rootfs: Invalid argument (EINVAL)'],
    ['mount-private', 0, E.EINVAL, 'container set-up failed: make mounts private: Invalid argument (EINVAL)'],
    ['caps', 0, E.EPERM, 'container set-up failed: set capabilities: Operation not permitted (EPERM)'],
    ['tty', 0, E.ENOENT, 'container set-up failed: open a pty in the container: No such file or directory (ENOENT)'],
    ['a-step-lite-does-not-know', 3, E.EINVAL, 'container set-up failed: a-step-lite-does-not-know: Invalid argument (EINVAL)'],
  ]
  for (const [step, index, errno, want] of cases) {
    const e = failureError({ step, index, errno }, p, strerror)
    t.equal(e.message.split(dir).join('{DIR}'), want, `${step} ${index}`)
    t.equal(e.exitCode, 125, `${step}: 125`)
  }
})

t.test('groups: told against [exec] groups', async t => {
  // "[exec] user: cannot set the supplementary groups", at the user = line, when it is
  // groups = that asked for them.
  const { plan: p, dir } = plan(t)
  const e = failureError({ step: 'groups', index: 0, errno: E.EPERM }, p, strerror)
  t.equal(e.exitCode, 125)
  t.equal(
    e.message.split(dir).join('{DIR}'),
    '{DIR}/web.ini:10: [exec] groups: cannot set the supplementary groups: Operation not permitted (EPERM)',
    'the groups line and key',
  )
})

t.test('a default tmpfs upper is not told as [rootfs] size', async t => {
  // size = is not in the file, so the op is told against path = (line 4); the key
  // it names should be that line's too.
  const { plan: p, dir } = plan(t)
  const e = failureError({ step: 'fs-op', index: 0, errno: E.ENOMEM }, p, strerror)
  t.match(e.message.split(dir).join('{DIR}'), /^\{DIR\}\/web\.ini:4: /, 'the path = line')
  t.notMatch(e.message, /\[rootfs\] size:/, 'no [rootfs] size key at the path = line')
})

t.test('a set hostname is told against its line', async t => {
  const lines = [...CONFIG.slice(0, 2), 'hostname = box', ...CONFIG.slice(2)]
  const { plan: p, dir } = plan(t, lines)
  t.equal(
    failureError({ step: 'hostname', index: 0, errno: E.EPERM }, p, strerror).message.split(dir).join('{DIR}'),
    '{DIR}/web.ini:3: [container] hostname: Operation not permitted (EPERM)',
  )
})

t.test('without the addon\'s strerror, errno names only', async t => {
  const { plan: p } = plan(t)
  t.match(failureError({ step: 'chdir', index: 0, errno: E.ENOENT }, p).message, /\[exec\] cwd: \/srv: ENOENT$/)
})

t.test('messages as a user reads them', async t => {
  const { plan: p, dir } = plan(t)
  const failures: [string, number, number][] = [
    ['exec', 0, E.ENOENT],
    ['exec', 0, E.EACCES],
    ['fs-op', opIndex(p, o => o.target === '/data'), E.ENOENT],
    ['fs-op', 0, E.ENOENT],
    ['chdir', 0, E.ENOENT],
    ['rlimit', 0, E.EPERM],
    ['pivot-root', 0, E.EINVAL],
  ]
  const lines = failures.map(([step, index, errno]) => {
    const e = failureError({ step, index, errno }, p, strerror)
    return `exit ${e.exitCode}: lite: error: ${e.message.split(dir).join('{DIR}')}`
  })
  t.matchSnapshot(lines.join('\n'))
})

t.test('[security] and [sysctl] failures are told against their lines', async t => {
  const lines = [...CONFIG, '[security]', 'cap.keep = CHOWN KILL', 'no_new_privs = no', '[sysctl]', 'net.ipv4.ip_forward = 1']
  const { plan: p, dir } = plan(t, lines)
  const show = (step: string, index: number, errno: number) => failureError({ step, index, errno }, p, strerror).message.split(dir).join('{DIR}')
  t.equal(show('caps', 1, E.EPERM), '{DIR}/web.ini:19: [security] cap.keep: set capabilities: Operation not permitted (EPERM)')
  t.equal(show('seccomp', 0, E.EINVAL), '[security] seccomp: the kernel refused the filter (Docker\'s default profile): Invalid argument (EINVAL)')
  t.equal(show('seccomp', 1, E.EINVAL), '[security] seccomp: the kernel refused the filter (Docker\'s default profile) in lite-init (PID 1): Invalid argument (EINVAL)')
  const sysctl = opIndex(p, o => o.kind === 'write')
  t.equal(show('fs-op', sysctl, E.ENOENT), '{DIR}/web.ini:22: [sysctl] net.ipv4.ip_forward: write "1" to /proc/sys/net/ipv4/ip_forward: No such file or directory (ENOENT)')
  const mask = opIndex(p, o => o.kind === 'mask')
  t.equal(show('fs-op', mask, E.EPERM), 'mask /proc/acpi: Operation not permitted (EPERM)')
})

t.test('in a user namespace, a plain bind refused with EINVAL says to use rbind', async t => {
  const mapped = [...CONFIG.slice(0, 10), '[user]', 'map = auto', ...CONFIG.slice(10)]
  const { plan: p } = plan(t, mapped)
  const i = opIndex(p, (o) => o.kind === 'mount' && (o.source ?? '').endsWith('/data'))
  const e = failureError({ step: 'fs-op', index: i, errno: E.EINVAL }, p, strerror)
  t.match(e.message, /^.*web\.ini:14: \[mount\] entry: mount .*\/data on \/data \(bind\): in a user namespace, a directory with mounts under it can only be bound with all of them: use rbind \(EINVAL\)$/)
  const { plan: plain } = plan(t)
  const j = opIndex(plain, (o) => o.kind === 'mount' && (o.source ?? '').endsWith('/data'))
  t.match(failureError({ step: 'fs-op', index: j, errno: E.EINVAL }, plain, strerror).message, /: Invalid argument \(EINVAL\)$/, 'without one, the errno as it is')
})
