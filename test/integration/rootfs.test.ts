// The two-layer rootfs: a read-only lower (directory or squashfs image on an autoclear
// loop device) under a tmpfs or persistent upper, or the lower alone read-only; and
// the [mount] table applied after /dev.

import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { BUSYBOX, assertNoLeaks, requireRootAndBuild, sh, snapshotHost, writeConfig } from '../support/integration.ts'

if (requireRootAndBuild(t)) {
  t.test('writes land in the tmpfs upper, never in the lower', async (t) => {
    const before = snapshotHost()
    const passwd = readFileSync(join(BUSYBOX, 'etc/passwd'), 'utf8')
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n`)
    const r = sh(c.path, 'echo x > /new-file && echo evil >> /etc/passwd && rm /bin/ls && cat /new-file && tail -1 /etc/passwd')
    t.equal(r.code, 0, r.stderr)
    t.same(r.stdout.trim().split('\n'), ['x', 'evil'])
    t.notOk(existsSync(join(BUSYBOX, 'new-file')), 'no new file in the lower')
    t.equal(readFileSync(join(BUSYBOX, 'etc/passwd'), 'utf8'), passwd, 'the lower file is unchanged')
    t.ok(existsSync(join(BUSYBOX, 'bin/ls')), 'a deletion does not reach the lower')
    await assertNoLeaks(t, before)
  })

  t.test('the tmpfs upper is capped: ENOSPC past [rootfs] size', async (t) => {
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\nsize = 2M\n[exec]\ncmd = /bin/true\n`)
    const r = sh(c.path, 'dd if=/dev/zero of=/big bs=1M count=8 2>&1; echo rc=$?')
    t.match(r.stdout, /No space left on device/)
    t.match(r.stdout, /rc=1/)
    t.equal(r.code, 0)
  })

  t.test('readonly = yes: no overlay, the lower is read-only, /etc files still work', async (t) => {
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\nreadonly = yes\n[exec]\ncmd = /bin/true\n`)
    const r = sh(c.path, 'touch /x 2>&1; hostname; cat /etc/hostname; grep -c overlay /proc/self/mountinfo')
    t.match(r.stdout, /Read-only file system/)
    t.match(r.stdout, new RegExp(`\\n${c.name}\\n${c.name}\\n0\\n?$`))
  })

  t.test('a squashfs lower on a loop device that is gone afterwards', async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, `[rootfs]\npath = {SQUASHFS}\n[exec]\ncmd = /bin/true\n`)
    // The squashfs is mounted outside the new root and stays referenced by the overlay.
    const r = sh(c.path, 'grep -c " / / .* - overlay " /proc/self/mountinfo; echo hi > /f && cat /f; ls /bin/busybox')
    t.equal(r.code, 0, r.stderr)
    t.equal(r.stdout, '1\nhi\n/bin/busybox\n')
    await assertNoLeaks(t, before, 'no loop device, mount or process left')
  })

  t.test('a readonly squashfs rootfs', async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, `[rootfs]\npath = {SQUASHFS}\nreadonly = yes\n[exec]\ncmd = /bin/true\n`)
    const r = sh(c.path, 'touch /x 2>&1; cat /etc/hostname')
    t.match(r.stdout, /Read-only file system/)
    t.match(r.stdout, new RegExp(c.name))
    await assertNoLeaks(t, before)
  })

  t.test('a persistent upper keeps its writes across runs', async (t) => {
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\nupper = upper\n[exec]\ncmd = /bin/true\n`)
    mkdirSync(join(c.dir, 'upper'))
    t.equal(sh(c.path, 'echo kept > /state').code, 0)
    const r = sh(c.path, 'cat /state')
    t.equal(r.stdout, 'kept\n', r.stderr)
    t.ok(statSync(join(c.dir, 'upper/root/state')).isFile(), 'the write is in <upper>/root')
    t.notOk(existsSync(join(BUSYBOX, 'state')))
  })

  t.test('[mount] entries: bind rw and ro, create=, optional, tmpfs, a device after /dev', async (t) => {
    const before = snapshotHost()
    const dir = t.testdir({ rw: { 'in.txt': 'from host\n' }, ro: { 'r.txt': 'read me\n' } })
    const c = writeConfig(
      t,
      `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n[mount]\n` +
        `entry[] = ${dir}/rw /data none bind,rw,create=dir\n` +
        `entry[] = ${dir}/ro /srv/ro none bind,ro,create=dir\n` +
        `entry[] = ${dir}/absent /absent none bind,optional,create=dir\n` +
        `entry[] = tmpfs /scratch tmpfs size=1M,mode=1777,create=dir\n` +
        `entry[] = /dev/zero /dev/i2c-9 none bind,create=file\n`,
    )
    const r = sh(
      c.path,
      'cat /data/in.txt; echo out > /data/out.txt; cat /srv/ro/r.txt; touch /srv/ro/x 2>&1; ls /absent 2>&1; ' +
        'grep " /scratch " /proc/self/mountinfo | grep -o "size=[0-9]*k"; head -c 4 /dev/i2c-9 | od -An -tx1',
    )
    t.equal(r.code, 0, r.stderr)
    const lines = r.stdout.trim().split('\n')
    t.equal(lines[0], 'from host')
    t.equal(lines[1], 'read me')
    t.match(lines[2], /Read-only file system/)
    t.match(lines[3], /No such file or directory/, 'an optional entry whose source is missing is skipped')
    t.equal(lines[4], 'size=1024k')
    t.equal(lines[5]?.trim(), '00 00 00 00', 'a device bound into /dev is not hidden by the /dev tmpfs')
    t.equal(readFileSync(join(dir, 'rw/out.txt'), 'utf8'), 'out\n', 'a write through the rw bind reaches the host')
    await assertNoLeaks(t, before)
  })

  t.test('a hook sees LITE_* and runs before start and after stop', async (t) => {
    const dir = t.testdir({})
    const log = join(dir, 'hooks.log')
    writeFileSync(join(dir, 'hook.sh'), `#!/bin/sh\necho "$1 $LITE_NAME $LITE_PID $LITE_EXIT_CODE" >> ${log}\n`, { mode: 0o755 })
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n[hook]\npre-start[] = ${dir}/hook.sh pre\npost-stop[] = ${dir}/hook.sh post\n`)
    const r = sh(c.path, 'exit 4')
    t.equal(r.code, 4, r.stderr)
    const lines = readFileSync(log, 'utf8').trim().split('\n')
    t.equal(lines[0], `pre ${c.name}  `)
    t.match(lines[1], new RegExp(`^post ${c.name} \\d+ 4$`))
  })
}
