// Bad input gets a clear error (FILE:LINE where a config line asked for the failing
// step), exit code 125, and leaves nothing behind: no mount, loop device, process,
// state directory or cgroup.

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { BUSYBOX, LITE, assertNoLeaks, eventually, lite, liteBackground, requireRootAndBuild, snapshotHost, writeConfig, runningPid } from '../support/integration.ts'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync } from 'node:fs'

const cases: { name: string; body: (dir: string) => string; stderr: RegExp; setup?: (dir: string) => void }[] = [
  {
    name: 'an unknown key, with a suggestion',
    body: () => `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\nhostnmae = x\n`,
    stderr: /c\.ini:7: unknown key "hostnmae" in \[exec\].*\nlite: 1 error in .*c\.ini; nothing was started/,
  },
  {
    name: 'a missing rootfs',
    body: () => `[rootfs]\npath = /nonexistent/rootfs\n[exec]\ncmd = /bin/true\n`,
    stderr: /c\.ini:4: \[rootfs\] path: .*\/nonexistent\/rootfs.*No such file or directory \(ENOENT\)/,
  },
  {
    name: 'a missing bind source',
    body: (dir) => `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n[mount]\nentry[] = ${dir}/absent /dev/i2c-1 none bind,create=file\n`,
    stderr: /c\.ini:8: \[mount\] entry: .*\/absent: No such file or directory \(ENOENT\)/,
  },
  {
    name: 'a mount the kernel refuses, inside the child',
    body: () => `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n[mount]\nentry[] = tmpfs /scratch tmpfs size=bogus,create=dir\n`,
    stderr: /c\.ini:8: \[mount\] entry: mount tmpfs on \/scratch \(tmpfs\): Invalid argument \(EINVAL\)/,
  },
  {
    name: 'a corrupt squashfs image (the loop device must autoclear)',
    setup: (dir) => writeFileSync(join(dir, 'bad.squashfs'), Buffer.concat([Buffer.from('hsqs'), Buffer.alloc(8192, 7)])),
    body: (dir) => `[rootfs]\npath = ${dir}/bad.squashfs\n[exec]\ncmd = /bin/true\n`,
    stderr: /c\.ini:4: \[rootfs\] path: rootfs .*bad\.squashfs: .*\((EINVAL|EIO|ENOMEM)\)/,
  },
  {
    name: 'a cwd that does not exist',
    body: () => `[rootfs]\npath = {BUSYBOX}\n[exec]\ncwd = /no/such/dir\ncmd = /bin/true\n`,
    stderr: /c\.ini:6: \[exec\] cwd: \/no\/such\/dir: No such file or directory \(ENOENT\)/,
  },
  {
    name: 'a failing pre-start hook',
    setup: (dir) => writeFileSync(join(dir, 'fail.sh'), '#!/bin/sh\nexit 3\n', { mode: 0o755 }),
    body: (dir) => `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n[hook]\npre-start[] = ${dir}/fail.sh\n`,
    stderr: /c\.ini:8: \[hook\] pre-start: .*fail\.sh exited with 3/,
  },
]

if (requireRootAndBuild(t)) {
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const before = snapshotHost()
      const cfg = writeConfig(t, '')
      c.setup?.(cfg.dir)
      writeFileSync(cfg.path, `[container]\nname = ${cfg.name}\n` + c.body(cfg.dir).replaceAll('{BUSYBOX}', BUSYBOX))
      const r = lite(['run', cfg.path])
      t.equal(r.code, 125, 'exit code 125')
      t.match(r.stderr, c.stderr)
      t.equal(r.stdout, '', 'the app never ran')
      await assertNoLeaks(t, before)
    })
  }

  t.test('lite run as a user without XDG_RUNTIME_DIR says where its state would go', async (t) => {
    const cfg = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n`)
    chmodSync(cfg.dir, 0o755)
    // Its addon goes to a dir of the test's own, not /tmp, where it would outlive the test.
    const tmp = t.testdir({})
    chmodSync(tmp, 0o777)
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', TMPDIR: tmp }
    const r = spawnSync(LITE, ['run', cfg.path], { uid: 65534, gid: 65534, env, encoding: 'utf8', timeout: 20_000, cwd: '/' })
    t.equal(r.status, 125)
    t.match(r.stderr, /lite run: lite as a user keeps its containers in \$XDG_RUNTIME_DIR\/lite, and XDG_RUNTIME_DIR is not set/)
  })

  t.test('a second container with the same name is refused while the first runs', async (t) => {
    const before = snapshotHost()
    const cfg = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = sleep 30\n`)
    const first = liteBackground(t, ['run', cfg.path])
    t.ok(await eventually(() => runningPid(cfg.name) !== undefined))
    const pid = String(runningPid(cfg.name))
    const second = lite(['run', cfg.path, '--', '/bin/true'])
    t.equal(second.code, 125)
    t.match(second.stderr, new RegExp(`container "${cfg.name}" is already running \\(pid ${pid}\\)`))
    t.ok(existsSync(`/proc/${pid}`), 'the first one still runs')
    process.kill(Number(pid), 'SIGKILL')
    t.equal((await first.done).code, 137)
    await assertNoLeaks(t, before)
  })

  t.test('state left by a lite killed with -9 is cleaned by the next run of that name', async (t) => {
    const before = snapshotHost()
    const cfg = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = sleep 30\n`)
    const first = liteBackground(t, ['run', cfg.path])
    t.ok(await eventually(() => runningPid(cfg.name) !== undefined))
    const pid = runningPid(cfg.name)!
    first.child.kill('SIGKILL')
    await first.done
    t.ok(await eventually(() => !existsSync(`/proc/${pid}`)), 'the container died with lite (PDEATHSIG)')
    t.ok(existsSync(`/run/lite/${cfg.name}`), 'the state dir is stale')
    const r = lite(['run', cfg.path, '--', '/bin/echo', 'again'])
    t.equal(r.code, 0, r.stderr)
    t.equal(r.stdout, 'again\n')
    await assertNoLeaks(t, before)
  })
}
