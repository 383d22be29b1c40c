// A container is isolated: its own namespaces, PID 1, hostname, /etc files, env,
// devices, lo up in a new netns, lowered rlimits, dropped privileges.

import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import t from 'tap'
import { assertNoLeaks, hostNs, lite, requireRootAndBuild, sh, snapshotHost, writeConfig } from '../support/integration.ts'

const BASE = `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n`

if (requireRootAndBuild(t)) {
  t.test('every namespace differs from the host', async (t) => {
    const before = snapshotHost()
    const kinds = ['mnt', 'pid', 'uts', 'ipc', 'net', 'cgroup']
    const c = writeConfig(t, BASE)
    const r = sh(c.path, `for n in ${kinds.join(' ')}; do readlink /proc/self/ns/$n; done`)
    t.equal(r.code, 0, r.stderr)
    const inside = r.stdout.trim().split('\n')
    t.equal(inside.length, kinds.length)
    kinds.forEach((k, i) => t.not(inside[i], hostNs(k), `${k} namespace is new`))
    await assertNoLeaks(t, before)
  })

  t.test('[namespaces] keep and [net] type = host share the host namespaces', async (t) => {
    const c = writeConfig(t, BASE + `[namespaces]\nkeep = ipc uts\n[net]\ntype = host\n`)
    const r = sh(c.path, 'for n in ipc uts net pid; do readlink /proc/self/ns/$n; done')
    t.equal(r.code, 0, r.stderr)
    const [ipc, uts, net, pid] = r.stdout.trim().split('\n')
    t.equal(ipc, hostNs('ipc'))
    t.equal(uts, hostNs('uts'))
    t.equal(net, hostNs('net'))
    t.not(pid, hostNs('pid'), 'pid is always new')
  })

  t.test('the app is PID 1 with the configured hostname and /etc files', async (t) => {
    const c = writeConfig(t, `hostname = box-one\n` + BASE + `[net]\ndns[] = 192.0.2.53\nhosts[] = 192.0.2.10 broker\n`)
    const r = sh(c.path, 'echo $$; hostname; cat /etc/hostname; cat /etc/resolv.conf; grep broker /etc/hosts')
    t.equal(r.code, 0, r.stderr)
    t.same(r.stdout.trim().split('\n'), ['1', 'box-one', 'box-one', 'nameserver 192.0.2.53', '192.0.2.10 broker'])
  })

  t.test('localtime = host shows the host\'s zone; none leaves the rootfs\'s own', { skip: !existsSync('/etc/localtime') && 'the host has no /etc/localtime' }, async (t) => {
    const host = readFileSync('/etc/localtime')
    const c = writeConfig(t, BASE)
    const r = sh(c.path, 'md5sum /etc/localtime')
    t.equal(r.code, 0, r.stderr)
    t.equal(r.stdout.split(' ')[0], createHash('md5').update(host).digest('hex'))
    const none = writeConfig(t, `localtime = none\n` + BASE)
    t.equal(sh(none.path, 'wc -c < /etc/localtime').stdout.trim(), '0', "the busybox rootfs's empty file")
  })

  t.test('no host environment leaks in; env[] and defaults are set', async (t) => {
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\nenv[] = GREETING=hi there\ncmd = env\n`)
    const r = lite(['run', c.path], { env: { ...process.env, LITE_TEST_SECRET: 'leak' } })
    t.equal(r.code, 0, r.stderr)
    const env = r.stdout.trim().split('\n')
    t.notMatch(r.stdout, /LITE_TEST_SECRET/)
    t.ok(env.includes('GREETING=hi there'), 'env[] is set')
    t.ok(env.some((e) => e.startsWith('PATH=/usr/local/sbin:')), 'default PATH')
    t.ok(env.includes(`HOSTNAME=${c.name}`), 'HOSTNAME')
  })

  t.test('a new network namespace has lo up and nothing else', async (t) => {
    const c = writeConfig(t, BASE)
    const r = sh(c.path, 'ls /sys/class/net; ping -c1 -W1 127.0.0.1 >/dev/null && echo ping-ok')
    t.equal(r.code, 0, r.stderr)
    t.same(r.stdout.trim().split('\n'), ['lo', 'ping-ok'])
  })

  t.test('a minimal /dev, a read-only /sys and a /proc of its own', async (t) => {
    const c = writeConfig(t, BASE)
    const r = sh(c.path, 'ls /dev | tr "\\n" " "; echo; touch /sys/x 2>&1; echo /proc/[0-9]*')
    t.equal(r.code, 0, r.stderr)
    const [devs, sys, procs] = r.stdout.trim().split('\n')
    t.same(devs.trim().split(' ').sort(), ['fd', 'full', 'mqueue', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero'])
    t.match(sys, /Read-only file system/)
    t.equal(procs, '/proc/1', 'only its own processes in /proc')
  })

  t.test('user, groups, capabilities and no_new_privs', async (t) => {
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\nuser = 1000:1000\ngroups = 5 20\ncmd = /bin/true\n`)
    const r = sh(c.path, 'id -u; id -g; id -G; grep -E "^Cap(Bnd|Eff)" /proc/self/status; grep NoNewPrivs /proc/self/status')
    t.equal(r.code, 0, r.stderr)
    const lines = r.stdout.trim().split('\n')
    t.equal(lines[0], '1000')
    t.equal(lines[1], '1000')
    t.same(lines[2]?.split(' ').sort(), ['1000', '20', '5'])
    t.match(r.stdout, /CapBnd:\s+00000000a80425fb/, "Docker's 14 in the bounding set")
    // The child gives any uid the configured permitted and effective sets, but with empty
    // inheritable and ambient sets execve leaves a non-root program none (no file caps).
    t.match(r.stdout, /CapEff:\s+0000000000000000/, 'execve leaves a non-root user no effective caps')
    t.match(r.stdout, /NoNewPrivs:\s+1/)
  })

  t.test('root in the container holds only the default caps', async (t) => {
    const c = writeConfig(t, BASE)
    const r = sh(c.path, 'grep -E "^Cap(Inh|Eff|Amb)" /proc/self/status')
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, /CapInh:\s+0000000000000000/, 'empty inheritable set (CVE-2022-24769)')
    t.match(r.stdout, /CapEff:\s+00000000a80425fb/)
    t.match(r.stdout, /CapAmb:\s+0000000000000000/)
  })

  t.test('rlimits are lowered and oom_score_adj is set', async (t) => {
    const c = writeConfig(t, BASE + `[limits]\nnofile = 100:200\noom_score_adj = 500\n`)
    const r = sh(c.path, 'ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj')
    t.equal(r.code, 0, r.stderr)
    t.same(r.stdout.trim().split('\n'), ['100', '200', '500'])
  })

  t.test('cwd and umask', async (t) => {
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncwd = /tmp\ncmd = /bin/true\n`)
    const r = sh(c.path, 'pwd; umask')
    t.equal(r.code, 0, r.stderr)
    t.same(r.stdout.trim().split('\n'), ['/tmp', '0022'])
  })

  t.test('signals start at their defaults and only the app\'s own fds are open', async (t) => {
    const c = writeConfig(t, BASE)
    const r = sh(c.path, 'grep -E "^Sig(Ign|Blk)" /proc/self/status; ls /proc/self/fd | tr "\\n" " "')
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, /SigBlk:\s+0000000000000000/)
    t.match(r.stdout, /SigIgn:\s+0000000000000000/, 'SIGPIPE is not ignored, as it is in Bun')
    t.match(r.stdout.trim().split('\n').pop() ?? '', /^0 1 2 3$/, 'stdio plus the fd ls opened')
  })
}
