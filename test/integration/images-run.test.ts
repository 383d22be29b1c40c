// [rootfs] image: a store filled by hand (the busybox squashfs as the image file, a
// config.json and passwd/group copies written here, a refs file), then the real
// dist/lite runs it: the image's Entrypoint/Cmd with its Env, WorkingDir and User,
// the ini's overrides, lite check on a missing image, and the digest a detached
// container pins while its tag moves.

import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import t from 'tap'
import { BUSYBOX_SQUASHFS, assertNoLeaks, eventually, lite, requireRootAndBuild, snapshotHost, uniqueName, writeConfig } from '../support/integration.ts'

if (!requireRootAndBuild(t)) process.exit(0)

const HEX_A = 'a1'.repeat(32)
const HEX_B = 'b2'.repeat(32)
const A = `sha256:${HEX_A}`
const B = `sha256:${HEX_B}`

const store = mkdtempSync(join(tmpdir(), 'lite-store-'))
t.teardown(() => rmSync(store, { recursive: true, force: true }))

function addImage(hex: string, config: Record<string, unknown>): void {
  const dir = join(store, 'images', hex)
  mkdirSync(dir, { recursive: true })
  copyFileSync(BUSYBOX_SQUASHFS, join(dir, 'image.sqfs'))
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ architecture: 'amd64', os: 'linux', config, rootfs: { type: 'layers', diff_ids: [] } }))
  writeFileSync(join(dir, 'passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:App:/home/app:/bin/sh\n')
  writeFileSync(join(dir, 'group'), 'root:x:0:\nstaff:x:50:app\naudio:x:29:app\napp:x:1000:\n')
}

function tag(ref: string, digest: string): void {
  // refs/<registry>/<repository>/:<tag> (StoreLayout.refFile): the last part is the tag
  const file = join(store, 'refs', dirname(ref), `:${basename(ref)}`)
  mkdirSync(join(file, '..'), { recursive: true })
  writeFileSync(file, `${digest}\n`)
}

addImage(HEX_A, {
  Env: ['PATH=/bin:/sbin', 'GREETING=hello from the image', 'MARK=a'],
  Entrypoint: ['/bin/sh', '-c'],
  Cmd: ['echo "$GREETING|$(pwd)|$(id -u):$(id -g)|$(id -G)|$HOME|$PATH"'],
  WorkingDir: '/etc',
  User: 'app',
  StopSignal: 'SIGINT',
  ExposedPorts: { '8080/tcp': {} },
})
addImage(HEX_B, { Env: ['MARK=b'], Cmd: ['/bin/sleep', '30'] })
tag('127.0.0.1:5000/test/app/1', A)

const env = { ...process.env, LITE_STORE: store, LITE_IMAGES_CONFIG: '' }

t.test('the image\'s Entrypoint and Cmd run with its Env, WorkingDir and User', async (t) => {
  const before = snapshotHost()
  const c = writeConfig(t, `[rootfs]\nimage = 127.0.0.1:5000/test/app:1\n`)
  const r = lite(['run', c.path], { env })
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, 'hello from the image|/etc|1000:1000|1000 29 50|/home/app|/bin:/sbin\n')
  // --store on the command line, and the image named by its digest
  const d = writeConfig(t, `[rootfs]\nimage = ${A}\nreadonly = yes\n`)
  const byDigest = lite(['run', '--store', store, d.path], { env: { ...process.env, LITE_IMAGES_CONFIG: '' } })
  t.equal(byDigest.code, 0, byDigest.stderr)
  t.match(byDigest.stdout, /^hello from the image\|\/etc\|/)
  await assertNoLeaks(t, before)
  t.same(JSON.parse(readFileSync(join(store, 'containers', c.name), 'utf8')), { current: A, next: null, previous: null, older: [], pinned: false, update: null, last: null }, 'the store records what the container ran')
})

t.test('the ini\'s keys override the image\'s', async (t) => {
  const c = writeConfig(t, `[rootfs]\nimage = 127.0.0.1:5000/test/app:1\n[exec]\nenv[] = GREETING=from the ini\ncwd = /\nuser = 0:0\n`)
  const r = lite(['run', c.path], { env })
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, 'from the ini|/|0:0|0|/root|/bin:/sbin\n')
  // -- CMD replaces Cmd and keeps the Entrypoint (sh -c)
  const cli = lite(['run', c.path, '--', 'echo cli $MARK'], { env })
  t.equal(cli.stdout, 'cli a\n', cli.stderr)
  // entrypoint = "" drops the image's Entrypoint: the command runs as it is
  const e = writeConfig(t, `[rootfs]\nimage = 127.0.0.1:5000/test/app:1\n[exec]\nentrypoint = ""\ncmd = /bin/echo plain\n`)
  const plain = lite(['run', e.path], { env })
  t.equal(plain.stdout, 'plain\n', plain.stderr)
  // a user the image lacks is a config error at its line
  const u = writeConfig(t, `[rootfs]\nimage = 127.0.0.1:5000/test/app:1\n[exec]\nuser = ghost\n`)
  const ghost = lite(['run', u.path], { env })
  t.equal(ghost.code, 125)
  t.match(ghost.stderr, /c\.ini:6: \[exec\] user: user "ghost" is not in image "127\.0\.0\.1:5000\/test\/app:1"'s \/etc\/passwd/)
})

t.test('lite check: an image that is not in the store', async (t) => {
  const c = writeConfig(t, `[rootfs]\nimage = python:3.11\n`)
  const r = lite(['check', c.path], { env })
  t.equal(r.code, 1)
  t.match(r.stderr, `c.ini:4: [rootfs] image: image "docker.io/library/python:3.11" is not in the store (${store}); run: lite image pull python:3.11`)
  const ok = writeConfig(t, `[rootfs]\nimage = 127.0.0.1:5000/test/app:1\n`)
  t.equal(lite(['check', ok.path], { env }).code, 0)
  const both = writeConfig(t, `[rootfs]\nimage = 127.0.0.1:5000/test/app:1\npath = {BUSYBOX}\n`)
  t.match(lite(['check', both.path], { env }).stderr, /c\.ini:5: \[rootfs\] path: not with image \(line 4\)/)
})

t.test('a detached container keeps its image when the tag moves: exec, state, status', async (t) => {
  const before = snapshotHost()
  const name = uniqueName('img')
  tag('127.0.0.1:5000/test/pin/1', A)
  const c = writeConfig(t, `[rootfs]\nimage = 127.0.0.1:5000/test/pin:1\n[exec]\nentrypoint = /bin/sleep\ncmd = 30\n`, name)
  t.teardown(() => void lite(['rm', '-f', name], { env, timeout: 30_000 }))
  // --store (through the detached runner), and nothing in the environment: lite exec
  // must find the store and the image from the container's state alone
  const bare = { ...process.env, LITE_STORE: '', LITE_IMAGES_CONFIG: '' }
  const run = lite(['run', '-d', '--store', store, c.path], { env: bare, timeout: 30_000 })
  t.equal(run.code, 0, run.stderr)
  // the tag moves to B while it runs
  tag('127.0.0.1:5000/test/pin/1', B)
  const exec = lite(['exec', name, '--', '/bin/sh', '-c', 'echo $MARK'], { env: bare })
  t.equal(exec.code, 0, exec.stderr)
  t.equal(exec.stdout, 'a\n', 'lite exec uses the pinned image\'s config, without its entrypoint')
  const status = lite(['status', name], { env })
  t.match(status.stdout, `image=127.0.0.1:5000/test/pin:1\nimage_digest=${A}\nimage_file=${join(store, 'images', HEX_A, 'image.sqfs')}\nimage_store=${store}\nports=8080/tcp\n`)
  const loops = snapshotHost().loops
  t.ok([...loops].some((l) => l.endsWith(join(store, 'images', HEX_A, 'image.sqfs'))), 'the loop device is backed by the pinned image file')
  t.same(JSON.parse(readFileSync(join(store, 'containers', name), 'utf8')), { current: A, next: null, previous: null, older: [], pinned: false, update: null, last: null })
  t.equal(lite(['stop', name], { env, timeout: 30_000 }).code, 0)
  t.equal(lite(['rm', name], { env }).code, 0)
  t.notOk(existsSync(join(store, 'containers', name)), 'lite rm releases the image record')
  await assertNoLeaks(t, before)
  // a new run takes what the tag names now
  const again = writeConfig(t, `[rootfs]\nimage = 127.0.0.1:5000/test/pin:1\n[exec]\nentrypoint = /bin/sh -c\ncmd = "'echo $MARK'"\n`)
  t.equal(lite(['run', again.path], { env }).stdout, 'b\n')
})

t.test('a restart by the monitor runs the pinned image', async (t) => {
  const name = uniqueName('imgr')
  tag('127.0.0.1:5000/test/restart/1', A)
  const marks = mkdtempSync(join(tmpdir(), 'lite-marks-'))
  t.teardown(() => rmSync(marks, { recursive: true, force: true }))
  // each start appends its MARK to a host file, then fails: on-failure restarts it
  const c = writeConfig(
    t,
    `[rootfs]\nimage = 127.0.0.1:5000/test/restart:1\n[mount]\nentry[] = ${marks} /marks none bind,create=dir\n[exec]\nentrypoint = /bin/sh -c\ncmd = "'echo $MARK >> /marks/log; sleep 0.3; exit 3'"\nuser = 0\n[start]\nrestart = on-failure:3\n`,
    name,
  )
  t.teardown(() => void lite(['rm', '-f', name], { env, timeout: 30_000 }))
  t.equal(lite(['run', '-d', c.path], { env, timeout: 30_000 }).code, 0)
  tag('127.0.0.1:5000/test/restart/1', B)
  t.ok(await eventually(() => {
    try {
      return readFileSync(join(marks, 'log'), 'utf8').split('\n').filter(Boolean).length >= 3
    } catch {
      return false
    }
  }, 15_000), 'restarted')
  const lines = readFileSync(join(marks, 'log'), 'utf8').split('\n').filter(Boolean)
  t.same([...new Set(lines)], ['a'], 'every restart ran image A, though the tag moved to B')
})
