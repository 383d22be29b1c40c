// dist/lite as users get it: one file that works when copied alone, picks a place for
// its addon that allows exec, and answers --version, --help, check, info, help-config.

import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { spawnSync } from 'node:child_process'
import t from 'tap'
import { BUSYBOX, LITE, REPO, lite, requireRootAndBuild, writeConfig } from '../support/integration.ts'

if (requireRootAndBuild(t)) {
  t.test('a copy of dist/lite runs alone, far from the source tree', async (t) => {
    const dir = t.testdir({})
    mkdirSync(join(dir, 'bin'))
    const copy = join(dir, 'bin/lite')
    copyFileSync(LITE, copy)
    spawnSync('chmod', ['755', copy])
    const c = writeConfig(t, `[rootfs]\npath = ${BUSYBOX}\n[exec]\ncmd = /bin/echo alone\n`)
    // No node_modules, native-rs or build/ reachable from its cwd or PATH.
    const r = lite(['run', c.path], { bin: copy, cwd: dir, env: { PATH: '/usr/bin:/bin' } })
    t.equal(r.code, 0, r.stderr)
    t.equal(r.stdout, 'alone\n')
  })

  t.test('the addon goes to a directory that allows exec; none usable is a clear error', async (t) => {
    // In a private mount namespace (unshare -m; nothing reaches the host): the repo is
    // bound to /mnt (the checkout itself may live under /tmp), then /tmp, /run and
    // /dev/shm are covered with noexec tmpfs.
    const fixture = t.testdir({ exec: {} })
    const inMnt = (p: string) => '/mnt/' + relative(REPO, p)
    writeFileSync(join(fixture, 'c.ini'), `[container]\nname = addon-dir-${process.pid}\n[rootfs]\npath = ${inMnt(BUSYBOX)}\n[exec]\ncmd = /bin/true\n`)
    const lite = inMnt(LITE)
    const config = inMnt(join(fixture, 'c.ini'))
    const setup = `mount --bind ${REPO} /mnt && for d in /tmp /run /dev/shm; do mount -t tmpfs -o noexec,size=1m none $d; done`
    const inNs = (cmd: string) => spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `${setup} && ${cmd}`], { encoding: 'utf8', timeout: 20_000 })
    const r1 = inNs(`${lite} info`)
    t.equal(r1.status, 0, `info still works: ${r1.stderr}`)
    t.match(r1.stderr, /lite: warning: kernel feature probe unavailable: no directory to unpack the native addon into: tried \/run\/lite \(mounted noexec \(\/run\)\), \/tmp \(mounted noexec \(\/tmp\)\), \/dev\/shm \(mounted noexec \(\/dev\/shm\)\); set BUN_TMPDIR/)
    t.match(r1.stdout, /^addon dir: +none usable/m)
    const r2 = inNs(`${lite} run ${config}`)
    t.equal(r2.status, 125)
    t.match(r2.stderr, /^lite: error: no directory to unpack the native addon into: .*set BUN_TMPDIR to a writable directory on a mount without noexec/)
    // BUN_TMPDIR pointing at a usable place fixes it.
    const exec = inMnt(join(fixture, 'exec'))
    const r3 = inNs(`mount -t tmpfs -o size=4m none ${exec} && BUN_TMPDIR=${exec} ${lite} run ${config} -- /bin/echo fixed`)
    t.equal(r3.stdout, 'fixed\n', r3.stderr)
  })

  t.test('--version, --help, usage errors', async (t) => {
    t.match(lite(['--version']).stdout, /^\d+\.\d+\.\d+\n$/)
    const help = lite(['--help'])
    t.equal(help.code, 0)
    for (const cmd of ['run', 'check', 'info', 'help-config']) t.match(help.stdout, new RegExp(`lite ${cmd}`))
    const bad = lite(['frobnicate'])
    t.equal(bad.code, 125)
    t.match(bad.stderr, /lite: error: Unknown argument: frobnicate/)
    t.equal(lite([]).code, 125)
  })

  t.test('check: all errors of all files, exit 0/1, no root needed', async (t) => {
    const good = writeConfig(t, `[rootfs]\npath = ${BUSYBOX}\n[exec]\ncmd = /bin/true\n`)
    const bad = writeConfig(t, `[rootfs]\npath = ${BUSYBOX}\nsise = 8M\n[exec]\ncmd = /bin/true\nuser = abc\n`)
    spawnSync('chmod', ['-R', 'a+rX', good.dir, bad.dir])
    // Its addon goes to a dir of the test's own, not /tmp, where it would outlive the test.
    const tmp = t.testdir({})
    spawnSync('chmod', ['777', tmp])
    const asNobody = { uid: 65534, gid: 65534, env: { ...process.env, TMPDIR: tmp }, encoding: 'utf8' as const, timeout: 20_000, cwd: '/' }
    const ok = spawnSync(LITE, ['check', good.path], asNobody)
    t.equal(ok.status, 0, ok.stderr)
    t.match(ok.stdout, /c\.ini: ok/)
    const r = spawnSync(LITE, ['check', good.path, bad.path], asNobody)
    t.equal(r.status, 1)
    t.match(r.stderr, /c\.ini:5: unknown key "sise" in \[rootfs\] \(did you mean "size"\?\)/)
    t.match(r.stderr, /c\.ini:8: \[exec\] user: /)
    t.match(r.stderr, /lite: 2 errors in .*c\.ini/)
  })

  t.test('info and help-config', async (t) => {
    const info = lite(['info'])
    t.equal(info.code, 0, info.stderr)
    t.match(info.stdout, /^kernel: +\d+\.\d+/m)
    t.match(info.stdout, /^cgroup: +(v1|v2|hybrid|none)/m)
    t.match(info.stdout, /^filesystems: +overlay=(yes|module|no) squashfs=/m)
    t.match(info.stdout, /^namespaces: .*\bmnt\b.*\bpid\b/m)
    t.match(info.stdout, /^clone3: +(yes|no)/m)
    const json = JSON.parse(lite(['info', '--json']).stdout)
    t.type(json.features?.clone3, 'boolean')
    const ref = lite(['help-config'])
    t.equal(ref.code, 0)
    for (const s of ['[container]', '[rootfs]', '[exec]', '[mount]', '[namespaces]', '[net]', '[limits]', '[hook]']) t.match(ref.stdout, s)
  })
}
