// Confinement, seen from inside by the static probe (test/probe/probe.c): capability
// sets and no_new_privs, the seccomp filter (Docker's default, unconfined, a custom
// profile), masked and read-only paths, sysctls; and bad [security]/[sysctl] values.

import { existsSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { REPO, assertNoLeaks, lite, requireRootAndBuild, snapshotHost, writeConfig } from '../support/integration.ts'

const PROBE = join(REPO, 'build/rootfs/probe/probe')
const base = (extra = '') =>
  `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /probe status\n[mount]\nentry[] = ${PROBE} /probe none bind,ro,create=file\n` + extra

/** "KEY VALUE" lines (and /proc/self/status's "Key:\tvalue") as a map. */
function lines(out: string): Record<string, string> {
  const m: Record<string, string> = {}
  for (const l of out.trim().split('\n')) {
    const [k, ...v] = l.split(/:?\s+/)
    if (k) m[k] = v.join(' ')
  }
  return m
}

/** Runs the probe with ARGS in a container whose config has EXTRA appended. */
function probe(t: Test, extra: string, args: string[], body = base(extra)) {
  const c = writeConfig(t, body)
  const r = lite(['run', c.path, '--', '/probe', ...args])
  t.equal(r.code, 0, r.stderr)
  return lines(r.stdout)
}

const DEFAULT_CAPS = '00000000a80425fb'
const hex = (mask: bigint) => mask.toString(16).padStart(16, '0')
const bit = (n: number) => 1n << BigInt(n)

if (requireRootAndBuild(t) && existsSync(PROBE)) {
  t.test("the default: Docker's 14 caps, no_new_privs, seccomp filter mode", async (t) => {
    const before = snapshotHost()
    const s = probe(t, '', ['status'])
    t.equal(s.CapEff, DEFAULT_CAPS)
    t.equal(s.CapPrm, DEFAULT_CAPS)
    t.equal(s.CapBnd, DEFAULT_CAPS)
    t.equal(s.CapInh, '0000000000000000', 'empty inheritable set (CVE-2022-24769)')
    t.equal(s.CapAmb, '0000000000000000')
    t.equal(s.NoNewPrivs, '1')
    t.equal(s.Seccomp, '2', 'a filter is installed')
    await assertNoLeaks(t, before)
  })

  t.test("Docker's default profile: blocked, argument- and cap-conditional syscalls", async (t) => {
    const s = probe(t, '', ['syscalls'])
    t.equal(s.keyctl, 'EPERM')
    t.equal(s.add_key, 'EPERM')
    t.equal(s['unshare-user'], 'EPERM', 'namespace flags without CAP_SYS_ADMIN')
    t.equal(s['unshare-mount'], 'EPERM')
    t.equal(s.mount, 'EPERM')
    t.equal(s['personality-query'], 'ok', 'personality(0xffffffff) is allowed')
    t.equal(s['personality-addr-no-randomize'], 'EPERM', 'other personalities are not')
    t.equal(s['ptrace-traceme'], 'ok', 'ptrace from kernel 4.8 (minKernel)')
    t.equal(s['reboot-bad-magic'], 'EPERM')
    t.equal(s.clone3, 'ENOSYS', 'clone3 is ENOSYS without CAP_SYS_ADMIN, so that libc falls back to clone')
    t.equal(s.chroot, 'ok', 'with CAP_SYS_CHROOT')
    t.equal(s.getpid, 'ok')
  })

  t.test('seccomp = unconfined: no filter, the same syscalls get through', async (t) => {
    const s = probe(t, '[security]\nseccomp = unconfined\n', ['syscalls'])
    t.not(s.keyctl, 'EPERM', `keyctl: ${s.keyctl}`)
    t.equal(s.add_key, 'ok')
    t.equal(s['personality-addr-no-randomize'], 'ok')
    t.equal(s.clone3, 'EINVAL', 'clone3 reaches the kernel (and its size 0 is invalid)')
    t.equal(probe(t, '[security]\nseccomp = unconfined\n', ['status']).Seccomp, '0')
  })

  t.test('cap.keep and cap.drop; the filter follows the caps', async (t) => {
    const keep = probe(t, '[security]\ncap.keep = chown CAP_NET_BIND_SERVICE\n', ['status'])
    t.equal(keep.CapEff, hex(bit(0) | bit(10)))
    t.equal(keep.CapBnd, hex(bit(0) | bit(10)))
    const keepCalls = probe(t, '[security]\ncap.keep = chown CAP_NET_BIND_SERVICE\n', ['syscalls'])
    t.equal(keepCalls.chroot, 'EPERM', 'chroot is in the profile only with CAP_SYS_CHROOT')

    const drop = probe(t, '[security]\ncap.drop = NET_RAW mknod\n', ['status'])
    t.equal(drop.CapEff, hex(0xa80425fbn & ~bit(13) & ~bit(27)))
    t.equal(drop.CapBnd, drop.CapEff)

    const admin = probe(t, '[security]\ncap.keep = SYS_ADMIN\n', ['syscalls'])
    t.equal(admin['unshare-mount'], 'ok', 'with CAP_SYS_ADMIN the namespace rules apply')
    t.equal(admin.mount, 'ENOENT', 'mount reaches the kernel')
    t.equal(admin.keyctl, 'EPERM', 'keyctl stays refused')
  })

  t.test('a non-root user: the bounding set stays, execve leaves no effective caps', async (t) => {
    const r = probe(t, '', ['status'], base().replace('cmd = /probe status\n', 'cmd = /probe status\nuser = 1000:1000\n'))
    t.equal(r.CapBnd, DEFAULT_CAPS)
    t.equal(r.CapEff, '0000000000000000', 'the kernel derives them from the file at execve, with no ambient set')
    t.equal(r.CapAmb, '0000000000000000')
    t.equal(r.NoNewPrivs, '1')
  })

  t.test('no_new_privs = no: the filter is installed before the caps are dropped', async (t) => {
    const s = probe(t, '[security]\nno_new_privs = no\n', ['status'])
    t.equal(s.NoNewPrivs, '0')
    t.equal(s.Seccomp, '2')
    t.equal(s.CapEff, DEFAULT_CAPS)
    t.equal(probe(t, '[security]\nno_new_privs = no\n', ['syscalls']).keyctl, 'EPERM')
  })

  t.test('a custom Docker-format profile', async (t) => {
    const c = writeConfig(t, base('[security]\nseccomp = custom.json\n'))
    writeFileSync(
      join(c.dir, 'custom.json'),
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          { names: ['keyctl', 'add_key'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
          { names: ['getpid'], action: 'SCMP_ACT_ERRNO', excludes: { caps: ['CAP_KILL'] } },
          { names: ['reboot'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, includes: { caps: ['CAP_KILL'] } },
        ],
      }),
    )
    const s = lines(lite(['run', c.path, '--', '/probe', 'syscalls']).stdout)
    t.equal(s.keyctl, 'ENOSYS', 'errnoRet')
    t.equal(s.add_key, 'ENOSYS')
    t.equal(s.getpid, 'ok', 'excluded with CAP_KILL')
    t.equal(s['reboot-bad-magic'], 'EACCES', 'included with CAP_KILL')
    t.equal(s['personality-addr-no-randomize'], 'ok', 'the default action')
  })

  t.test('masked paths read empty, read-only paths refuse writes', async (t) => {
    const masked = ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap']
    const s = probe(t, '', ['read', ...masked])
    for (const p of masked) {
      if (!existsSync(p)) t.equal(s[p], 'ENOENT', `${p} is not on this kernel`)
      else t.equal(s[p], statSync(p).isDirectory() ? 'dir-empty' : 'empty', `${p} is masked`)
    }
    const writable = ['/proc/sys/kernel/shmmax', '/proc/sys/net/ipv4/ip_forward', '/proc/irq/default_smp_affinity', '/proc/sysrq-trigger'].filter((p) => existsSync(p))
    const w = probe(t, '', ['write', ...writable])
    for (const p of writable) t.equal(w[p], 'EROFS', `${p} is read-only`)
    const c = writeConfig(t, base())
    const mounts = lite(['run', c.path, '--', '/bin/cat', '/proc/self/mountinfo']).stdout
    for (const p of ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'].filter((p) => existsSync(p))) {
      const line = mounts.split('\n').find((l) => l.split(' ')[4] === p)
      t.match(line ?? '', / ro,/, `${p} is mounted read-only`)
    }
  })

  t.test('[sysctl] values are set in the container\'s own namespaces', async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, base('[sysctl]\nnet.ipv4.ip_forward = 1\nkernel.shmmax = 12345678\nkernel.sem = 250 32000 100 64\n'))
    const r = lite(['run', c.path, '--', '/bin/cat', '/proc/sys/net/ipv4/ip_forward', '/proc/sys/kernel/shmmax', '/proc/sys/kernel/sem'])
    t.equal(r.code, 0, r.stderr)
    t.same(r.stdout.trim().split('\n').map((l) => l.replace(/\s+/g, ' ')), ['1', '12345678', '250 32000 100 64'])
    await assertNoLeaks(t, before)
  })

  const bad: { name: string; body: string; stderr: RegExp }[] = [
    { name: 'an unknown capability', body: '[security]\ncap.keep = CHOWN NET_ADMN\n', stderr: /c\.ini:10: \[security\] cap\.keep: "NET_ADMN" is not a capability \(did you mean NET_ADMIN\?\)/ },
    { name: 'cap.keep with cap.drop', body: '[security]\ncap.keep = CHOWN\ncap.drop = KILL\n', stderr: /c\.ini:11: \[security\] cap\.drop: not with cap\.keep \(line 10\)/ },
    { name: 'a bad seccomp value', body: '[security]\nseccomp = strict\n', stderr: /c\.ini:10: \[security\] seccomp: strict: No such file or directory \(ENOENT\)/ },
    { name: 'a host-wide sysctl', body: '[sysctl]\nvm.swappiness = 10\n', stderr: /c\.ini:10: \[sysctl\] vm\.swappiness: vm\.swappiness is not namespaced/ },
    { name: 'a net sysctl with the host network', body: '[net]\ntype = host\n[sysctl]\nnet.ipv4.ip_forward = 1\n', stderr: /c\.ini:12: \[sysctl\] net\.ipv4\.ip_forward: net\.\* sysctls need the container's own network namespace/ },
    { name: 'a sysctl the kernel lacks (set-up fails in the child)', body: '[sysctl]\nnet.ipv4.no_such_knob = 1\n', stderr: /c\.ini:10: \[sysctl\] net\.ipv4\.no_such_knob: write "1" to \/proc\/sys\/net\/ipv4\/no_such_knob: No such file or directory \(ENOENT\)/ },
  ]
  for (const b of bad) {
    t.test(`bad input: ${b.name} (125, FILE:LINE, nothing left)`, async (t) => {
      const before = snapshotHost()
      const c = writeConfig(t, base(b.body))
      const r = lite(['run', c.path])
      t.equal(r.code, 125)
      t.match(r.stderr, b.stderr)
      t.equal(r.stdout, '', 'the app never ran')
      await assertNoLeaks(t, before)
    })
  }

  t.test('a bad profile file: every error with the profile\'s own FILE:LINE', async (t) => {
    const c = writeConfig(t, base('[security]\nseccomp = p.json\n'))
    writeFileSync(join(c.dir, 'p.json'), '{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  "syscalls": [\n    { "names": ["read"], "action": "SCMP_ACT_NOPE" }\n  ]\n}\n')
    const r = lite(['run', c.path])
    t.equal(r.code, 125)
    t.match(r.stderr, /c\.ini:10: \[security\] seccomp: p\.json:4: syscalls\[0\]\.action: unknown action "SCMP_ACT_NOPE"/)
  })
} else if (!existsSync(PROBE)) {
  t.fail(`${PROBE} is missing (scripts/rootfs builds it)`)
}
