// lite image import, ls, inspect, rm and prune against the real dist/lite and the real
// addon (unpackLayer, buildSquashfs, lockFile): the outputs of `lite rootfs build`, a
// `docker save` from a dockerd started here, kill -9 in the middle of a build, two
// imports of one image at once, a read-only store and a full one.

import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startDockerd } from '../support/dockerd.ts'
import { LITE, assertNoLeaks, eventually, lite, requireRootAndBuild, snapshotHost, type Result } from '../support/integration.ts'
import { tmpfs } from '../support/tmpfs.ts'
import { BUILD_FILE_BUDGET, buildProfile } from '../support/rootfs-build.ts'
import { listTree, treeLines } from '../support/tree-list.ts'

const DIGEST = /^sha256:[0-9a-f]{64}/

/** lite image ARGS --store STORE */
function image(store: string, args: string[], timeout = 180_000): Result {
  return lite(['image', ...args, '--store', store], { timeout })
}

function imageAsync(store: string, args: string[]): Promise<Result & { pid: number }> {
  const child = spawn(LITE, ['image', ...args, '--store', store], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  return new Promise((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr, pid: child.pid! })))
}


/** The files in a squashfs image, by unsquashfs (the host's; boards need none). */
function squashfsFiles(file: string): string[] {
  const r = spawnSync('unsquashfs', ['-l', '-d', '', file], { encoding: 'utf8', maxBuffer: 64 << 20 })
  return r.stdout.split('\n').filter((l) => l.startsWith('/')).map((l) => l.slice(1))
}

/** A docker save archive with one uncompressed layer holding `mb` MB of random data. */
function bigDockerSave(dir: string, mb: number): string {
  const root = join(dir, 'big-root')
  mkdirSync(root, { recursive: true })
  spawnSync('sh', ['-c', `head -c ${mb}M /dev/urandom > ${root}/big && mkdir -p ${root}/etc && echo hi > ${root}/etc/hi`])
  const work = join(dir, 'big-save')
  mkdirSync(join(work, 'l1'), { recursive: true })
  spawnSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-cf', join(work, 'l1/layer.tar'), '-C', root, '.'])
  const diffId = `sha256:${createHash('sha256').update(readFileSync(join(work, 'l1/layer.tar'))).digest('hex')}`
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: [diffId] } })
  const configHex = createHash('sha256').update(config).digest('hex')
  writeFileSync(join(work, `${configHex}.json`), config)
  writeFileSync(join(work, 'manifest.json'), JSON.stringify([{ Config: `${configHex}.json`, RepoTags: ['test/big:1'], Layers: ['l1/layer.tar'] }]))
  const out = join(dir, 'big.tar')
  spawnSync('tar', ['-cf', out, '-C', work, '.'])
  return out
}

if (requireRootAndBuild(t)) {
  t.setTimeout(BUILD_FILE_BUDGET)
  const out = join(t.testdir(), 'busybox')
  const build = buildProfile('busybox', out, ['--format', 'oci,docker'])
  const oci = join(out, 'image-oci')
  const dockerTar = join(out, 'image-docker.tar')

  t.test('the busybox profile built: its OCI layout', async (t) => {
    t.equal(build.code, 0, build.stderr)
  })

  t.test('import the OCI layout and the docker archive of lite rootfs build; ls, inspect, rm, prune', async (t) => {
    const store = join(t.testdir(), 'store')
    const a = image(store, ['import', oci])
    t.equal(a.code, 0, a.stderr)
    t.match(a.stdout, /^sha256:[0-9a-f]{64} docker.io\/lite\/busybox:amd64\n$/)
    const digest = a.stdout.split(' ')[0]!
    const dir = join(store, 'images', digest.slice(7))
    t.same(readdirSync(dir).sort(), ['config.json', 'group', 'image.json', 'image.sqfs', 'manifest.json', 'passwd'], 'the image, its records, and its passwd and group for User names')
    t.equal(readFileSync(join(dir, 'image.sqfs')).subarray(0, 4).toString('latin1'), 'hsqs', 'a squashfs image')
    t.ok(squashfsFiles(join(dir, 'image.sqfs')).includes('bin/busybox'), 'holding the rootfs')
    t.same(readdirSync(join(store, 'tmp')), [], 'the staging tree is gone')
    t.equal(readFileSync(join(store, 'refs/docker.io/lite/busybox/:amd64'), 'utf8'), `${digest}\n`)

    // The docker archive: the same files, another manifest (docker's own layout).
    const b = image(store, ['import', dockerTar, '--tag', 'lite/busybox:docker'])
    t.equal(b.code, 0, b.stderr)
    const ls = image(store, ['ls'])
    t.equal(ls.code, 0, ls.stderr)
    t.match(ls.stdout, /^REPOSITORY +TAG +DIGEST +SIZE +CREATED\n/)
    t.match(ls.stdout, new RegExp(`lite/busybox +amd64 +${digest.slice(7, 19)} `))
    t.match(ls.stdout, /lite\/busybox +docker +/)
    const json = JSON.parse(image(store, ['ls', '--json']).stdout) as { reference: string; digest: string }[]
    t.same(json.map((r) => r.reference).sort(), ['docker.io/lite/busybox:amd64', 'docker.io/lite/busybox:docker'])
    const insp = JSON.parse(image(store, ['inspect', 'lite/busybox:amd64']).stdout)
    t.match(insp, { digest, references: ['docker.io/lite/busybox:amd64'], containers: [], architecture: 'amd64', config: { config: { User: '65534:65534' } } })

    // A container record (what lite run with [rootfs] image writes) blocks rm, roots prune.
    mkdirSync(join(store, 'containers'), { recursive: true })
    writeFileSync(join(store, 'containers', 'web'), JSON.stringify({ current: digest, next: null, previous: null }))
    const refused = image(store, ['rm', 'lite/busybox:amd64'])
    t.equal(refused.code, 125)
    t.match(refused.stderr, /^lite: error: cannot remove lite\/busybox:amd64: the container web uses the image sha256:/)
    t.ok(existsSync(dir))
    const untag = image(store, ['rm', 'lite/busybox:docker'])
    t.equal(untag.code, 0, untag.stderr)
    t.match(untag.stdout, /untagged docker.io\/lite\/busybox:docker\ndeleted sha256:/)
    spawnSync('rm', ['-f', join(store, 'refs/docker.io/lite/busybox/:amd64')])
    const pr = image(store, ['prune'])
    t.equal(pr.code, 0, pr.stderr)
    t.ok(existsSync(dir), 'prune keeps what a container record reaches')
    spawnSync('rm', ['-f', join(store, 'containers', 'web')])
    const pr2 = image(store, ['prune'])
    t.match(pr2.stdout, new RegExp(`deleted ${digest}`))
    t.same(readdirSync(join(store, 'images')), [])
    t.same(readdirSync(join(store, 'blobs/sha256')), [])
  })

  t.test('the image holds the tree umoci unpack gives for the same image', async (t) => {
    const dir = t.testdir()
    const store = join(dir, 'store')
    const r = image(store, ['import', oci, '-q'])
    t.equal(r.code, 0, r.stderr)
    const sqfs = join(store, 'images', r.stdout.slice(7, 71), 'image.sqfs')
    const u = spawnSync('umoci', ['unpack', '--image', `${oci}:amd64`, join(dir, 'bundle')], { encoding: 'utf8' })
    t.equal(u.status, 0, u.stderr)
    const x = spawnSync('unsquashfs', ['-q', '-d', join(dir, 'sq'), sqfs], { encoding: 'utf8' })
    t.equal(x.status, 0, x.stderr)
    const ours = treeLines(listTree(join(dir, 'sq')))
    const theirs = treeLines(listTree(join(dir, 'bundle/rootfs')))
    t.ok(ours.length > 100, `${ours.length} entries`)
    t.same(ours, theirs, 'paths, types, modes, owners, sizes, contents and link targets')
  })

  t.test('LITE_STORE names the store; a gzipped docker archive imports', async (t) => {
    const dir = t.testdir()
    const store = join(dir, 'store')
    const gz = join(dir, 'bb.tar.gz')
    spawnSync('sh', ['-c', `gzip -c ${dockerTar} > ${gz}`])
    const r = lite(['image', 'import', gz], { env: { ...process.env, LITE_STORE: store }, timeout: 180_000 })
    t.equal(r.code, 0, r.stderr)
    t.ok(existsSync(join(store, 'refs/docker.io/lite/busybox/:amd64')))
  })

  t.test('a docker save from Debian\'s dockerd (two layers) imports', async (t) => {
    const docker = await startDockerd(t, 'dki')
    if (!docker) return
    t.equal(docker(['load', '-i', dockerTar]).status, 0)
    const dir = t.testdir()
    const ctx = join(dir, 'ctx')
    mkdirSync(ctx)
    writeFileSync(join(ctx, 'hello.txt'), 'hello from a second layer\n')
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM lite/busybox:amd64\nCOPY hello.txt /hello.txt\n')
    const b = docker(['build', '-t', 'test/two:1', ctx])
    t.equal(b.status, 0, b.stderr)
    const saved = join(dir, 'two.tar')
    const s = docker(['save', '-o', saved, 'test/two:1'])
    t.equal(s.status, 0, s.stderr)
    const store = join(dir, 'store')
    const r = image(store, ['import', saved])
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, /^sha256:[0-9a-f]{64} docker.io\/test\/two:1\n$/)
    const insp = JSON.parse(image(store, ['inspect', 'test/two:1']).stdout)
    t.equal(insp.layers.length, 2)
    const files = squashfsFiles(insp.squashfs.path)
    t.ok(files.includes('hello.txt') && files.includes('bin/busybox'), 'both layers are in the image')

    // and it runs: [rootfs] image with the image's own User, and a command of the test's
    const config = join(dir, 'two.ini')
    writeFileSync(config, '[container]\nname = two-image\n\n[rootfs]\nimage = test/two:1\n\n[exec]\ncmd = /bin/cat /hello.txt\n')
    const before = snapshotHost()
    const run = lite(['run', '--store', store, config], { timeout: 60_000 })
    t.equal(run.code, 0, run.stderr)
    t.equal(run.stdout, 'hello from a second layer\n', 'the docker save runs')
    t.equal(lite(['rm', 'two-image'], { env: { ...process.env, LITE_STORE: store } }).code, 0)
    await assertNoLeaks(t, before)
  })

  t.test('kill -9 during a build: nothing half-built is visible, the next import completes', async (t) => {
    const dir = t.testdir()
    const store = join(dir, 'store')
    const big = bigDockerSave(dir, 96)
    const child = spawn(LITE, ['image', 'import', big, '--store', store], { stdio: 'ignore' })
    const exited = new Promise((r) => child.on('close', r))
    const staging = () => existsSync(join(store, 'tmp')) && readdirSync(join(store, 'tmp')).some((n) => n.startsWith('staging-'))
    const seen = await eventually(staging, 60_000)
    t.ok(seen, 'the build reached its staging tree')
    child.kill('SIGKILL')
    await exited
    // The kill came during the unpack or the squashfs: whatever is under images/ is whole.
    const images = existsSync(join(store, 'images')) ? readdirSync(join(store, 'images')) : []
    t.ok(images.every((d) => existsSync(join(store, 'images', d, 'image.json'))), 'no half image under images/')
    t.same(images, [], 'and no image yet')
    const again = image(store, ['import', big])
    t.equal(again.code, 0, again.stderr)
    t.match(again.stdout, DIGEST)
    t.same(readdirSync(join(store, 'tmp')), [], 'the killed build\'s staging tree was cleared')
    t.equal(readdirSync(join(store, 'images')).length, 1)
  })

  t.test('prune while an import runs: it waits for the import, then keeps the new image', async (t) => {
    const dir = t.testdir()
    const store = join(dir, 'store')
    const big = bigDockerSave(dir, 48)
    const importing = imageAsync(store, ['import', big])
    await eventually(() => existsSync(join(store, 'tmp')) && readdirSync(join(store, 'tmp')).length > 0, 60_000)
    const pruning = await imageAsync(store, ['prune'])
    const imported = await importing
    t.equal(imported.code, 0, imported.stderr)
    t.equal(pruning.code, 0, pruning.stderr)
    t.match(pruning.stderr, /waiting for the pulls and imports on .* to finish/)
    t.notMatch(pruning.stdout, /deleted sha256/, 'the new image is not pruned')
    t.equal(readdirSync(join(store, 'images')).length, 1)
    t.ok(existsSync(join(store, 'refs/docker.io/test/big/:1')))
  })

  t.test('lite ps -a during an import leaves the store\'s locks alone', async (t) => {
    const dir = t.testdir()
    const store = join(dir, 'store')
    const importing = imageAsync(store, ['import', bigDockerSave(dir, 32)])
    await eventually(() => existsSync(join(store, 'tmp')) && readdirSync(join(store, 'tmp')).some((n) => n.startsWith('staging-')), 60_000)
    t.equal(lite(['ps', '-a']).code, 0)
    t.ok(existsSync('/run/lite/.lite-locks/store'), 'the lock dir is still there')
    const imported = await importing
    t.equal(imported.code, 0, imported.stderr)
  })

  t.test('two imports of the same image at once: both succeed, one image', async (t) => {
    const store = join(t.testdir(), 'store')
    const [a, b] = await Promise.all([imageAsync(store, ['import', dockerTar]), imageAsync(store, ['import', dockerTar])])
    t.equal(a.code, 0, a.stderr)
    t.equal(b.code, 0, b.stderr)
    t.equal(a.stdout, b.stdout, 'the same digest and ref')
    t.equal(readdirSync(join(store, 'images')).length, 1)
    t.same(readdirSync(join(store, 'tmp')), [])
  })

  t.test('a read-only store: a clear error (125) for writers; ls still reads it', async (t) => {
    const store = tmpfs(t, 'lite-store-', '64m')
    t.equal(image(store, ['import', oci]).code, 0)
    t.equal(spawnSync('mount', ['-o', 'remount,ro', store]).status, 0)
    const r = image(store, ['import', dockerTar])
    t.equal(r.code, 125)
    t.match(r.stderr, new RegExp(`^lite: error: .*the image store ${store} is on a read-only file system \\(EROFS\\)`, 'm'))
    t.notMatch(r.stderr, /\n\s+at /, 'no stack')
    const rm = image(store, ['rm', 'lite/busybox:amd64'])
    t.equal(rm.code, 125)
    t.match(rm.stderr, /read-only file system \(EROFS\)/)
    const ls = image(store, ['ls'])
    t.equal(ls.code, 0, ls.stderr)
    t.match(ls.stdout, /lite\/busybox +amd64/)
  })

  t.test('a store lite may not write (EACCES): a clear error (125)', async (t) => {
    const base = mkdtempSync(join(tmpdir(), 'lite-eacces-'))
    t.teardown(() => rmSync(base, { recursive: true, force: true }))
    const store = join(base, 'store')
    mkdirSync(store, { mode: 0o755 })
    const state = join(base, 'run')
    mkdirSync(state, { mode: 0o777 })
    const archive = join(base, 'bb.tar')
    writeFileSync(archive, readFileSync(dockerTar))
    spawnSync('chmod', ['755', base])
    // mkdir's mode meets the umask: made writable for the user, its addon lands here
    // (TMPDIR), not in /tmp where it would outlive the test.
    spawnSync('chmod', ['777', state])
    spawnSync('chmod', ['644', archive])
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', LITE, 'image', 'import', archive, '--store', store], {
      encoding: 'utf8',
      env: { ...process.env, LITE_STATE_ROOT: state, TMPDIR: state },
      timeout: 60_000,
    })
    t.equal(r.status, 125, r.stderr)
    t.match(r.stderr, new RegExp(`^lite: error: cannot write to the image store ${store} \\(EACCES\\)`, 'm'))
    t.notMatch(r.stderr, /\n\s+at /, 'no stack')
  })

  t.test('a full store: a clear error (125), the store stays consistent and recovers', async (t) => {
    const store = tmpfs(t, 'lite-store-', '3m')
    const r = image(store, ['import', dockerTar])
    t.equal(r.code, 125)
    t.match(r.stderr, new RegExp(`^lite: error: .*the image store ${store} is full \\(ENOSPC\\)`, 'm'))
    t.notMatch(r.stderr, /\n\s+at /, 'no stack')
    t.same(readdirSync(join(store, 'images')), [], 'no half image')
    t.same(readdirSync(join(store, 'tmp')), [], 'no staging tree left')
    t.equal(image(store, ['prune']).code, 0)
    t.equal(spawnSync('mount', ['-o', 'remount,size=64m', store]).status, 0)
    const ok = image(store, ['import', dockerTar])
    t.equal(ok.code, 0, ok.stderr)
    // Full while the archive's layer is copied in (before any unpacking).
    const tiny = tmpfs(t, 'lite-store-', '1m')
    const early = image(tiny, ['import', dockerTar])
    t.equal(early.code, 125)
    t.match(early.stderr, new RegExp(`^lite: error: .*the image store ${tiny} is full \\(ENOSPC\\)`, 'm'))
    t.same(readdirSync(join(tiny, 'tmp')), [], 'the import\'s work dir is gone')
    t.same(readdirSync(join(tiny, 'blobs/sha256')), [])
  })
}
