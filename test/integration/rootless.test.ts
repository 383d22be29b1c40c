// lite run by a user who is not root, as a real unprivileged user that the test makes:
// container root is that user, state goes to $XDG_RUNTIME_DIR/lite, what needs root
// (limits without a cgroup of its own, a squashfs image, a bridge) is refused clearly,
// and nothing is left in the runtime dir or on the host.

import { spawnSync } from 'node:child_process'
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { BUSYBOX, BUSYBOX_SQUASHFS, LITE, assertNoLeaks, eventually, requireRootAndBuild, snapshotHost } from '../support/integration.ts'

interface User {
  name: string
  uid: number
  gid: number
  /** its $XDG_RUNTIME_DIR */
  runtime: string
  /** a directory it owns: configs and its rootfs */
  home: string
}

/** A system user of the test's own, removed (with its files) when the test ends. */
function makeUser(t: Test): User {
  const name = `lite-rl${process.pid % 100000}`
  spawnSync('userdel', [name], { stdio: 'ignore' })
  const r = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`useradd: ${r.stderr}`)
  t.teardown(() => spawnSync('userdel', [name], { stdio: 'ignore' }))
  const id = (flag: string) => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim())
  const uid = id('-u')
  const gid = id('-g')
  const base = mkdtempSync(join(tmpdir(), 'lite-rootless-'))
  chmodSync(base, 0o755)
  t.teardown(() => rmSync(base, { recursive: true, force: true }))
  const runtime = join(base, 'run')
  const home = join(base, 'home')
  for (const dir of [runtime, home]) {
    mkdirSync(dir, { mode: 0o700 })
    chownSync(dir, uid, gid)
  }
  // Its own copy of busybox: a user can bind only what it can read, and its files are
  // root's inside (container root is this user).
  cpSync(BUSYBOX, join(home, 'rootfs'), { recursive: true, verbatimSymlinks: true })
  spawnSync('chown', ['-R', '-h', `${uid}:${gid}`, join(home, 'rootfs')])
  return { name, uid, gid, runtime, home }
}

/**
 * lite as the user: its ids only, no capabilities, a clean environment. The bounding set
 * stays full, as a login's is: newuidmap is setuid root and needs it.
 */
function asUser(u: User, args: string[]) {
  const r = spawnSync(
    'setpriv',
    ['--reuid', String(u.uid), '--regid', String(u.gid), '--clear-groups', '--inh-caps=-all', 'env', '-i', 'PATH=/usr/bin:/bin', `HOME=${u.home}`, `XDG_RUNTIME_DIR=${u.runtime}`, LITE, ...args],
    { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
}

function config(u: User, name: string, body: string): string {
  const file = join(u.home, `${name}.ini`)
  writeFileSync(file, `[container]\nname = ${name}\n${body}`)
  chownSync(file, u.uid, u.gid)
  return file
}

/** What lite left in the user's runtime dir besides its plan cache: container state. */
function leftInRuntimeDir(u: User): string[] {
  const root = join(u.runtime, 'lite')
  return existsSync(root) ? readdirSync(root).filter((f) => !f.startsWith('.')) : []
}

if (requireRootAndBuild(t)) {
  t.test('a user runs a container: root inside is that user, its state is its own', async (t) => {
    const before = snapshotHost()
    const u = makeUser(t)
    const c = config(u, 'mine', `[rootfs]\npath = ${join(u.home, 'rootfs')}\n[exec]\ncmd = /bin/sh\n`)
    const r = asUser(u, ['run', c, '--', '/bin/sh', '-c', 'id -u; id -g; cat /proc/self/uid_map; stat -c %u /bin/busybox; echo x > /new && echo wrote; hostname'])
    t.equal(r.code, 0, r.stderr)
    const lines = r.stdout.trim().split('\n').map((l) => l.trim().replace(/\s+/g, ' '))
    t.same(lines.slice(0, 3), ['0', '0', `0 ${u.uid} 1`], 'root inside, which is the user outside')
    t.equal(lines[3], '0', 'the user\'s files are root\'s inside')
    t.equal(lines[4], 'wrote', 'the tmpfs upper is writable')
    t.equal(lines[5], 'mine')
    t.same(leftInRuntimeDir(u), [], 'no state left in $XDG_RUNTIME_DIR/lite')
    await assertNoLeaks(t, before)
  })

  t.test('detached: ps, exec and stop as the user', async (t) => {
    const before = snapshotHost()
    const u = makeUser(t)
    const c = config(u, 'bg', `[rootfs]\npath = ${join(u.home, 'rootfs')}\n[exec]\ncmd = sleep 60\n`)
    t.teardown(() => asUser(u, ['rm', '-f', 'bg']))
    const run = asUser(u, ['run', '-d', c])
    t.equal(run.code, 0, run.stderr)
    t.match(asUser(u, ['ps']).stdout, /^bg\s+running/m, 'lite ps as the user lists it')
    const exec = asUser(u, ['exec', 'bg', '--', 'cat', '/proc/self/uid_map'])
    t.equal(exec.code, 0, exec.stderr)
    t.equal(exec.stdout.trim().replace(/\s+/g, ' '), `0 ${u.uid} 1`, 'exec joins its user namespace')
    t.equal(asUser(u, ['stop', '-t', '1', 'bg']).code, 0, 'lite stop as the user')
    t.equal(asUser(u, ['rm', 'bg']).code, 0)
    t.ok(await eventually(() => leftInRuntimeDir(u).length === 0, 5000), 'nothing left in $XDG_RUNTIME_DIR/lite')
    await assertNoLeaks(t, before)
  })

  t.test('map = auto as a user: its subordinate ids through newuidmap and newgidmap', async (t) => {
    const before = snapshotHost()
    const u = makeUser(t)
    // Above lite's default auto pool (2^20 + 1024 slots of 65536), so no run of root's
    // can hold these ids.
    const first = 100_000_000
    const ids = `${first}-${first + 65535}`
    const r = spawnSync('usermod', ['--add-subuids', ids, '--add-subgids', ids, u.name], { encoding: 'utf8' })
    t.equal(r.status, 0, `usermod: ${r.stderr}`)
    t.teardown(() => spawnSync('usermod', ['--del-subuids', ids, '--del-subgids', ids, u.name], { stdio: 'ignore' }))
    const c = config(u, 'sub', `[rootfs]\npath = ${join(u.home, 'rootfs')}\n[user]\nmap = auto\n[exec]\ncmd = sleep 60\nuser = 1000:1000\ngroups = 1001\n`)
    t.teardown(() => asUser(u, ['rm', '-f', 'sub']))
    const run = asUser(u, ['run', '-d', c])
    t.equal(run.code, 0, run.stderr)
    const exec = asUser(u, ['exec', 'sub', '--', '/bin/sh', '-c', 'cat /proc/self/uid_map /proc/self/setgroups; id -u; id -G'])
    t.equal(exec.code, 0, exec.stderr)
    t.same(
      exec.stdout.trim().split('\n').map((l) => l.trim().replace(/\s+/g, ' ')),
      [`0 ${u.uid} 1`, `1 ${first} 65535`, 'allow', '1000', '1000 1001'],
      'root is the user, 1.. its range; setgroups allowed; the app runs as 1000 with group 1001',
    )
    const pid = Number(/^pid=(\d+)$/m.exec(asUser(u, ['status', 'sub']).stdout)?.[1])
    const hostUid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1])
    t.equal(hostUid, first + 999, 'container uid 1000 is host uid first + 999')
    t.equal(asUser(u, ['stop', '-t', '1', 'sub']).code, 0)
    t.equal(asUser(u, ['rm', 'sub']).code, 0)
    t.same(leftInRuntimeDir(u), [])
    await assertNoLeaks(t, before)
  })

  t.test('what needs root is refused clearly, and nothing is left', async (t) => {
    const before = snapshotHost()
    const u = makeUser(t)
    const rootfs = `[rootfs]\npath = ${join(u.home, 'rootfs')}\n`
    const cases: [string, string, RegExp][] = [
      ['limits', `${rootfs}[resources]\nmemory = 64M\n[exec]\ncmd = /bin/true\n`, /limits\.ini:6: \[resources\] memory: lite as a user \(uid \d+\) has no cgroup of its own: (this host's cgroups are .*, and only a cgroup v2 subtree can be delegated to a user|no directory on the way to lite's own cgroup .* is delegated to uid \d+ .*); so limits can't be set/],
      ['image', `[rootfs]\npath = ${BUSYBOX_SQUASHFS}\n[exec]\ncmd = /bin/true\n`, /image\.ini:4: \[rootfs\] path: a squashfs image needs a loop device, which lite as a user \(uid \d+\) can't have/],
      ['bridge', `${rootfs}[net]\ntype = bridge\n[exec]\ncmd = /bin/true\n`, /bridge\.ini:6: \[net\] type: bridge needs root/],
      ['auto', `${rootfs}[user]\nmap = auto\n[exec]\ncmd = /bin/true\n`, /auto\.ini:6: \[user\] map: auto as a user takes your subordinate ids, and \/etc\/subuid has no range for user lite-rl/],
      ['groups', `${rootfs}[exec]\ncmd = /bin/true\ngroups = 20\n`, /groups\.ini:7: \[exec\] groups: 20 can't be joined/],
    ]
    for (const [name, body, message] of cases) {
      const r = asUser(u, ['run', config(u, name, body)])
      t.equal(r.code, 125, `${name}: exit 125`)
      t.match(r.stderr, message, name)
    }
    t.same(leftInRuntimeDir(u), [])
    await assertNoLeaks(t, before)
  })
}
