// [user] map: a container whose root is an unprivileged id on the host. Seen from
// inside (the probe, /proc/self/uid_map) and from the host (owners on disk, claims),
// with an explicit map, auto ranges (20 at once, freed after kill -9), a setuid-root
// binary, exec, and the image's owners kept on disk.

import { chmodSync, chownSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, watch, writeFileSync } from 'node:fs'
import { spawn, spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { BUSYBOX, REPO, assertNoLeaks, eventually, lite, requireRootAndBuild, snapshotHost, uniqueName, writeConfig } from '../support/integration.ts'
import { STATE_ROOT, stateOf } from '../support/lifecycle.ts'

const PROBE = join(REPO, 'build/rootfs/probe/probe')
const HOST_ROOT = 100_000
const MAP = `[user]\nmap = 0:${HOST_ROOT}:65536\n`

/** A directory of the test's own, removed when it ends. */
function scratch(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'lite-userns-'))
  // The container's root is another uid on the host: it must be able to pass through.
  chmodSync(dir, 0o755)
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** An image store of the test's own, so that sticky ranges never reach /var/lib/lite. */
function storeEnv(t: Test): NodeJS.ProcessEnv {
  return { ...process.env, LITE_STORE: scratch(t) }
}

/** Runs `script` with /bin/sh in a busybox container with EXTRA in its config. */
function shell(t: Test, extra: string, script: string, env?: NodeJS.ProcessEnv) {
  const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n${extra}[exec]\ncmd = /bin/sh\n`)
  return lite(['run', c.path, '--', '/bin/sh', '-c', script], { env })
}

if (requireRootAndBuild(t)) {
  t.test('an explicit map: uid_map, owners kept inside, and host root\'s files out of reach', async (t) => {
    const before = snapshotHost()
    const dir = scratch(t)
    writeFileSync(join(dir, 'rootfile'), 'host root owns this\n')
    chmodSync(join(dir, 'rootfile'), 0o644)
    const shared = join(dir, 'shared')
    mkdirSync(shared)
    chownSync(shared, HOST_ROOT, HOST_ROOT)
    const mounts = `[mount]\nentry[] = ${dir} /host none bind,create=dir\n`
    const r = shell(t, MAP + mounts, [
      'cat /proc/self/uid_map /proc/self/gid_map',
      'id -u; id -g',
      'stat -c "busybox %u:%g" /bin/busybox',
      'echo pwned >> /host/rootfile && echo wrote || echo refused',
      'echo mine > /host/shared/made && echo made',
      'touch /in-upper && stat -c "upper %u:%g" /in-upper',
    ].join('; '))
    t.equal(r.code, 0, r.stderr)
    const lines = r.stdout.trim().split('\n').map((l) => l.trim().replace(/\s+/g, ' '))
    t.same(lines.slice(0, 2), [`0 ${HOST_ROOT} 65536`, `0 ${HOST_ROOT} 65536`], '/proc/self/uid_map and gid_map show the map')
    t.same(lines.slice(2, 4), ['0', '0'], 'root inside')
    t.equal(lines[4], 'busybox 0:0', 'the image\'s owners show as they are on disk (id-mapped lower)')
    t.equal(lines[5], 'refused', 'container root can\'t write a file of host root through a bind')
    t.match(r.stderr, /Permission denied/)
    t.equal(lines[6], 'made')
    t.equal(lines[7], 'upper 0:0', 'what root makes in the upper is root\'s inside')
    t.equal(readFileSync(join(dir, 'rootfile'), 'utf8'), 'host root owns this\n')
    const made = statSync(join(shared, 'made'))
    t.same([made.uid, made.gid], [HOST_ROOT, HOST_ROOT], 'a file made through a bind belongs to the mapped uid on the host')
    const busybox = statSync(join(BUSYBOX, 'bin/busybox'))
    t.same([busybox.uid, busybox.gid], [0, 0], 'the image keeps its owners on disk')
    await assertNoLeaks(t, before)
  })

  t.test('a squashfs image and a directory upper: the lower id-mapped, the upper owned by the mapped root', async (t) => {
    const before = snapshotHost()
    const upper = scratch(t)
    const r = shell(t, `[rootfs]\nupper = ${upper}\n` + MAP, 'stat -c "%u:%g" /bin/busybox; echo kept > /persist').code
    t.equal(r, 0)
    const c = writeConfig(t, `[rootfs]\npath = {SQUASHFS}\n${MAP}[exec]\ncmd = /bin/sh\n`)
    const image = lite(['run', c.path, '--', '/bin/sh', '-c', 'stat -c "%u:%g %a" /bin/busybox; cat /proc/self/uid_map'])
    t.equal(image.code, 0, image.stderr)
    t.match(image.stdout, /^0:0 755\n\s*0\s+100000\s+65536\n$/, 'the squashfs lower is id-mapped')
    const persisted = statSync(join(upper, 'root/persist'))
    t.same([persisted.uid, persisted.gid], [HOST_ROOT, HOST_ROOT], 'a file in a persistent upper belongs to the mapped uid on the host')
    t.same([statSync(join(upper, 'root')).uid, statSync(join(upper, 'work')).uid], [HOST_ROOT, HOST_ROOT], 'lite gave its own upper dirs to the mapped root')
    await assertNoLeaks(t, before)
  })

  t.test('a setuid-root binary in the image gives only container root', { skip: !existsSync(PROBE) && 'no probe' }, async (t) => {
    const before = snapshotHost()
    const rootfs = join(scratch(t), 'rootfs')
    cpSync(BUSYBOX, rootfs, { recursive: true, verbatimSymlinks: true })
    copyFileSync(PROBE, join(rootfs, 'suid-probe'))
    chmodSync(join(rootfs, 'suid-probe'), 0o4755)
    const dir = scratch(t)
    writeFileSync(join(dir, 'rootfile'), 'x')
    chmodSync(join(dir, 'rootfile'), 0o600)
    const c = writeConfig(t, `[rootfs]\npath = ${rootfs}\n${MAP}[security]\nno_new_privs = no\n[mount]\nentry[] = ${dir} /host none bind,create=dir\n[exec]\ncmd = /bin/sh\nuser = 1000:1000\n`)
    const r = lite(['run', c.path, '--', '/suid-probe', 'status'])
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, /^Uid:\s+1000\s+0\s+0\s+0$/m, 'the setuid bit works: effective uid 0 inside')
    const w = lite(['run', c.path, '--', '/suid-probe', 'write', '/host/rootfile'])
    t.equal(w.stdout.trim(), '/host/rootfile EACCES', 'that root is the mapped uid: host root\'s 0600 file stays closed')
    t.equal(statSync(join(rootfs, 'suid-probe')).uid, 0)
    await assertNoLeaks(t, before)
  })

  t.test('lite exec joins the user namespace; ps and status show the map', async (t) => {
    const before = snapshotHost()
    const env = storeEnv(t)
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[user]\nmap = auto\n[exec]\ncmd = sleep 60\n`, uniqueName('uns'))
    t.teardown(() => lite(['rm', '-f', c.name]))
    const run = lite(['run', '-d', c.path], { env })
    t.equal(run.code, 0, run.stderr)
    const state = stateOf(c.name)!
    t.match(state.extra.user_uid_map, /^0:\d+:65536$/)
    const host = Number(state.extra.user_uid_map!.split(':')[1])
    const exec = lite(['exec', c.name, '--', '/bin/sh', '-c', 'cat /proc/self/uid_map; id -u'])
    t.equal(exec.code, 0, exec.stderr)
    t.same(exec.stdout.trim().split(/\s+/).map(Number), [0, host, 65536, 0], 'exec runs in the container\'s user namespace')
    const status = lite(['status', c.name])
    t.match(status.stdout, new RegExp(`^user_uid_map=0:${host}:65536$`, 'm'))
    const ps = JSON.parse(lite(['ps', '--json']).stdout) as { name: string; user_map: unknown }[]
    t.same(ps.find((p) => p.name === c.name)?.user_map, { uid: `0:${host}:65536`, gid: `0:${host}:65536` })
    t.equal(lite(['rm', '-f', c.name]).code, 0)
    await assertNoLeaks(t, before)
  })

  t.test('auto: 20 containers at once get 20 disjoint ranges, all free again after kill -9', async (t) => {
    const before = snapshotHost()
    const env = storeEnv(t)
    const names = Array.from({ length: 20 }, (_, i) => uniqueName(`au${i}`))
    t.teardown(() => {
      for (const n of names) lite(['rm', '-f', n])
    })
    const configs = names.map((n) => writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[user]\nmap = auto\n[exec]\ncmd = sleep 120\n`, n))
    // All at once: 20 lite runs race for the pool.
    const codes = await Promise.all(
      configs.map(
        (c) =>
          new Promise<number>((resolve) => {
            const p = spawn(process.env.LITE_BIN ?? join(REPO, 'dist/lite'), ['run', '-d', c.path], { env, stdio: 'ignore' })
            const timer = setTimeout(() => p.kill('SIGKILL'), 60_000)
            p.on('exit', (code) => {
              clearTimeout(timer)
              resolve(code ?? -1)
            })
          }),
      ),
    )
    t.same(codes, names.map(() => 0), 'every run started')
    const hosts = names.map((n) => Number(stateOf(n)?.extra.user_uid_map?.split(':')[1]))
    t.equal(new Set(hosts).size, 20, 'twenty different ranges')
    const sorted = [...hosts].sort((a, b) => a - b)
    t.ok(sorted.every((h, i) => i === 0 || h - sorted[i - 1]! >= 65536), 'no two ranges overlap')
    // kill -9 of every monitor (lite) and container; the next command settles them.
    for (const n of names) {
      const s = stateOf(n)
      for (const pid of [s?.monitorPid, s?.pid]) if (pid) spawnSync('kill', ['-9', String(pid)])
    }
    t.ok(await eventually(() => names.every((n) => !existsSync(`/proc/${stateOf(n)?.monitorPid ?? 0}/stat`) || !stateOf(n)?.monitorPid), 10_000))
    t.equal(lite(['ps', '-a']).code, 0, 'the next command')
    const slots = readdirSync(join(STATE_ROOT, '.userns')).filter((f) => f.startsWith('slot-'))
    const held = slots.filter((f) => spawnSync('flock', ['-n', join(STATE_ROOT, '.userns', f), 'true']).status !== 0)
    t.same(held, [], 'no range is held any more')
    for (const n of names) lite(['rm', '-f', n])
    await assertNoLeaks(t, before)
  })

  t.test('a mapped container can\'t use up host root\'s inotify instances', { skip: !existsSync(PROBE) && 'no probe' }, async (t) => {
    const before = snapshotHost()
    const limit = Number(readFileSync('/proc/sys/fs/inotify/max_user_instances', 'utf8'))
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n${MAP}[mount]\nentry[] = ${PROBE} /probe none bind,ro,create=file\n[exec]\ncmd = /probe inotify ${limit + 50} hold\n`, uniqueName('uni'))
    t.teardown(() => lite(['rm', '-f', c.name]))
    t.equal(lite(['run', '-d', c.path]).code, 0)
    const log = () => {
      try {
        return readFileSync(join(STATE_ROOT, c.name, 'log'), 'utf8')
      } catch {
        return ''
      }
    }
    t.ok(await eventually(() => /inotify \d+ of/.test(log()), 10_000), log())
    t.match(log(), /inotify \d+ of \d+ EMFILE/, 'the container hit the per-user limit of its own uid')
    // Host root still gets one while the container holds all of its own.
    const w = watch(scratch(t))
    w.close()
    t.pass('host root opened an inotify instance')
    t.equal(lite(['rm', '-f', c.name]).code, 0)
    await assertNoLeaks(t, before)
  })
}
