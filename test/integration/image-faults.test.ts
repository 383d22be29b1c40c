// The image store under the faults a board sees in the field, through the real
// dist/lite (image pull, rm, prune, ls; run -d with [rootfs] image) against the fake
// registry (test/support/fake-registry.ts) serving real layer tars:
// - two pulls at once, of one image and of two images that share a layer;
// - kill -9 of a pull during a blob download (resumed with a Range request) and during
//   the build, with images/ and refs/ polled while it runs;
// - the registry gone for good in the middle of a blob (125, the partial kept, resumed);
// - a full store (ENOSPC) and a read-only remount (EROFS) in the middle of a pull;
// - image rm / prune racing lite run -d of the same image, and rm of an image a
//   stopped detached container uses;
// - kill -9 at random moments of a pull + build loop: every file in the store is
//   absent or whole.

import { spawn, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { dirname, join } from 'node:path'
import t, { type Test } from 'tap'
import { packTar } from '../../runtime/rootfs-build/outputs/layer-tar.ts'
import { startFakeRegistry, type FakeImage, type FakeRegistry } from '../support/fake-registry.ts'
import { BUSYBOX, LITE, assertNoLeaks, eventually, isRoot, lite, requireRootAndBuild, snapshotHost, uniqueName, spawnBackground, type Background, type Result } from '../support/integration.ts'
import { tmpfs } from '../support/tmpfs.ts'

const DIGEST = /^sha256:[0-9a-f]{64}$/
const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`
const LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar'

/** An image of uncompressed layer tars (real ones: the store unpacks them). */
function registryImage(repo: string, tag: string, layers: Buffer[], cmd = ['/bin/sh']): FakeImage {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: cmd }, rootfs: { type: 'layers', diff_ids: layers.map((l) => sha(l)) } }))
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: LAYER_TAR, digest: sha(l), size: l.length })),
    }),
  )
  const blobs = new Map([[sha(config), config], ...layers.map((l) => [sha(l), l] as [string, Buffer])])
  return { repo, tag, manifest, manifestType: 'application/vnd.oci.image.manifest.v1+json', blobs }
}

/** A layer tar of files (name → bytes). */
function layerOf(files: Record<string, Buffer | string>): Promise<Buffer> {
  return packTar(
    Object.entries(files).map(([name, d]) => {
      const data = Buffer.from(d)
      return { header: { name, type: 'file' as const, mode: 0o644, size: data.length, mtime: new Date(0) }, data }
    }),
  )
}

/** The busybox rootfs of the build as one layer tar. */
function busyboxLayer(): Buffer {
  const r = spawnSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '--sort=name', '--mtime=@0', '-cf', '-', '-C', BUSYBOX, '.'], { maxBuffer: 256 << 20 })
  if (r.status !== 0) throw new Error(`tar of ${BUSYBOX}: ${r.stderr}`)
  return r.stdout
}


function imageBg(t: Test, store: string, args: string[], env: NodeJS.ProcessEnv = process.env): Background {
  return spawnBackground(t, LITE, ['image', ...args, '--store', store], env)
}

/** lite image ARGS, synchronously: never for a pull (the fake registry runs in this process). */
function image(store: string, args: string[], timeout = 120_000): Result {
  return lite(['image', ...args, '--store', store], { timeout })
}

const pullArgs = (reg: { host: string }, repo: string, tag: string) => ['pull', `${reg.host}/${repo}:${tag}`, '--insecure']

const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : [])

/** Every file under dir (relative paths). */
function walk(dir: string, prefix = ''): string[] {
  const out: string[] = []
  for (const e of list(dir)) {
    const p = join(dir, e)
    let st
    try {
      st = statSync(p)
    } catch {
      continue // removed while we looked
    }
    if (st.isDirectory()) out.push(...walk(p, `${prefix}${e}/`))
    else out.push(`${prefix}${e}`)
  }
  return out
}

/**
 * What a power cut may leave: every ref names a whole image, every images/<hex> is
 * whole (image.json, an image.sqfs of the size it records), every blob's sha256 is its
 * name. Returns the problems found (none: []). `live` when a writer may be running (a
 * temp file of an atomic write is then allowed).
 */
function storeProblems(store: string, live = false): string[] {
  const problems: string[] = []
  const temp = (name: string) => /^\..*\.tmp$/.test(name.split('/').pop()!)
  for (const f of walk(join(store, 'refs'))) {
    if (temp(f)) {
      if (!live) problems.push(`refs/${f}: a temp file left`)
      continue
    }
    let text: string
    try {
      text = readFileSync(join(store, 'refs', f), 'utf8').trim()
    } catch {
      continue
    }
    if (!DIGEST.test(text)) problems.push(`refs/${f}: ${JSON.stringify(text)} is not a digest`)
    else if (!existsSync(join(store, 'images', text.slice(7), 'image.json'))) problems.push(`refs/${f}: names ${text}, which has no image`)
  }
  for (const hex of list(join(store, 'images'))) {
    const dir = join(store, 'images', hex)
    let rec: { size: number; manifestDigest: string }
    try {
      rec = JSON.parse(readFileSync(join(dir, 'image.json'), 'utf8'))
    } catch (e) {
      if (existsSync(dir)) problems.push(`images/${hex}: image.json: ${(e as Error).message}`)
      continue
    }
    if (rec.manifestDigest !== `sha256:${hex}`) problems.push(`images/${hex}: image.json names ${rec.manifestDigest}`)
    try {
      const size = statSync(join(dir, 'image.sqfs')).size
      if (size !== rec.size) problems.push(`images/${hex}: image.sqfs is ${size} bytes, image.json says ${rec.size}`)
    } catch (e) {
      problems.push(`images/${hex}: ${(e as Error).message}`)
    }
  }
  for (const name of list(join(store, 'blobs/sha256'))) {
    if (temp(name)) {
      if (!live) problems.push(`blobs/sha256/${name}: a temp file left`)
      continue
    }
    const file = join(store, 'blobs/sha256', name)
    let data: Buffer
    try {
      data = readFileSync(file)
    } catch {
      continue
    }
    if (sha(data) !== `sha256:${name}`) problems.push(`blobs/sha256/${name}: its sha256 is ${sha(data)}`)
  }
  return problems
}

/** Polls images/ and refs/ every 20 ms until stopped; collects what a reader must never see. */
function watchStore(store: string): { stop: () => string[] } {
  const seen = new Set<string>()
  const timer = setInterval(() => {
    for (const p of storeProblems(store, true)) seen.add(p)
  }, 20)
  return {
    stop: () => {
      clearInterval(timer)
      return [...seen]
    },
  }
}

const killed = (r: Result) => r.signal === 'SIGKILL'

if (requireRootAndBuild(t)) {
  t.setTimeout(900_000)
  const bigFile = randomBytes(24 << 20)
  const shared = randomBytes(2 << 20)

  t.test('two pulls of one image at once, and of two images sharing a layer: both succeed, one copy', async (t) => {
    t.setTimeout(120_000)
    const base = await layerOf({ 'base.bin': shared })
    const a = registryImage('test/a', '1', [base, await layerOf({ 'a.txt': 'a\n' })])
    const b = registryImage('test/b', '1', [base, await layerOf({ 'b.txt': 'b\n' })])
    const reg = await startFakeRegistry(t, [a, b], { throttle: { bytes: 64 << 10, ms: 5 } })
    const store = join(t.testdir(), 'store')

    const [x, y] = await Promise.all([imageBg(t, store, pullArgs(reg, 'test/a', '1')).done, imageBg(t, store, pullArgs(reg, 'test/a', '1')).done])
    t.equal(x.code, 0, x.stderr)
    t.equal(y.code, 0, y.stderr)
    t.equal(x.stdout, `${sha(a.manifest)}\n`)
    t.equal(y.stdout, x.stdout, 'the same digest')
    t.same(list(join(store, 'images')), [sha(a.manifest).slice(7)], 'one image')
    const baseGets = reg.log.filter((e) => e.method === 'GET' && e.path.endsWith(sha(base)))
    t.equal(baseGets.length, 1, 'the shared layer was downloaded once')

    const [p, q] = await Promise.all([imageBg(t, store, pullArgs(reg, 'test/a', '1')).done, imageBg(t, store, pullArgs(reg, 'test/b', '1')).done])
    t.equal(p.code, 0, p.stderr)
    t.equal(q.code, 0, q.stderr)
    t.same(list(join(store, 'images')).sort(), [sha(a.manifest), sha(b.manifest)].map((d) => d.slice(7)).sort())
    t.same(storeProblems(store), [], 'every blob, image and ref whole')
    t.same(list(join(store, 'tmp')), [], 'nothing left in tmp/')
    t.equal(reg.log.filter((e) => e.method === 'GET' && e.path.endsWith(sha(base))).length, 1, 'still one download of the shared layer')
  })

  t.test('keep_blobs = no, two pulls sharing a layer at once: both succeed or one says to pull again; the store stays whole', async (t) => {
    t.setTimeout(120_000)
    const base = await layerOf({ 'base.bin': shared })
    // B unpacks a big layer first, so A's build ends (and drops the shared blob) meanwhile.
    const a = registryImage('test/ka', '1', [base, await layerOf({ 'a.txt': 'a\n' })])
    const b = registryImage('test/kb', '1', [await layerOf({ 'big.bin': bigFile.subarray(0, 16 << 20) }), base])
    const reg = await startFakeRegistry(t, [a, b])
    const dir = t.testdir()
    const store = join(dir, 'store')
    const ini = join(dir, 'images.ini')
    writeFileSync(ini, '[store]\nkeep_blobs = no\n')
    const pullKb = (img: FakeImage) => imageBg(t, store, [...pullArgs(reg, img.repo, '1'), '--images-config', ini]).done
    // B's download first (its big layer), then A, which finishes long before B's build.
    const pb = pullKb(b)
    await eventually(() => list(join(store, 'tmp')).some((n) => n.startsWith('staging-')), 30_000)
    const [ra, rb] = await Promise.all([pullKb(a), pb])
    t.equal(ra.code, 0, ra.stderr)
    t.comment(`B: ${rb.code} ${rb.stderr.trim().split('\n').pop()}`)
    if (rb.code !== 0) {
      t.equal(rb.code, 125)
      t.match(rb.stderr, /pull or import the image again|pull again/, 'B says to pull again')
    }
    t.same(storeProblems(store), [], 'the store is whole')
    const again = await pullKb(b)
    t.equal(again.code, 0, again.stderr)
    t.same(list(join(store, 'images')).sort(), [sha(a.manifest), sha(b.manifest)].map((d) => d.slice(7)).sort())
    t.same(list(join(store, 'tmp')), [])
  })

  t.test('kill -9 during a blob download: the next pull resumes it with a Range request', async (t) => {
    t.setTimeout(180_000)
    const big = await layerOf({ 'big.bin': bigFile.subarray(0, 8 << 20) })
    const img = registryImage('test/slow', '1', [big])
    const reg = await startFakeRegistry(t, [img], { throttle: { bytes: 64 << 10, ms: 20 } })
    const store = join(t.testdir(), 'store')
    const partial = join(store, 'tmp', `blob-${sha(big).slice(7)}.partial`)
    const watch = watchStore(store)
    const pull = imageBg(t, store, pullArgs(reg, 'test/slow', '1'))
    t.ok(await eventually(() => existsSync(partial) && statSync(partial).size > 1 << 20, 60_000), 'the download got past 1 MB')
    pull.child.kill('SIGKILL')
    t.ok(killed(await pull.done), 'killed')
    const kept = statSync(partial).size
    t.ok(kept > 1 << 20 && kept < big.length, `the partial file stays (${kept} bytes)`)
    t.same(list(join(store, 'images')), [], 'no image')
    t.same(walk(join(store, 'refs')), [], 'no ref')

    reg.options.throttle = { bytes: 256 << 10, ms: 2 }
    const again = await imageBg(t, store, pullArgs(reg, 'test/slow', '1')).done
    t.same(watch.stop(), [], 'nothing half-built was ever visible')
    t.equal(again.code, 0, again.stderr)
    t.equal(again.stdout, `${sha(img.manifest)}\n`)
    const gets = reg.log.filter((e) => e.method === 'GET' && e.path.endsWith(sha(big)))
    const last = gets[gets.length - 1]!
    t.ok(last.range && Number(/^bytes=(\d+)-$/.exec(last.range)?.[1]) >= kept - (1 << 20), `the resume asked for a range (${last.range}), the partial had ${kept}`)
    t.equal(last.status, 206, 'and got the rest')
    t.same(storeProblems(store), [])
    t.same(list(join(store, 'tmp')), [])
  })

  t.test('two pulls of one image, the downloading one killed: the other takes the download over and resumes it', async (t) => {
    t.setTimeout(120_000)
    const big = await layerOf({ 'big.bin': bigFile.subarray(8 << 20, 14 << 20) })
    const img = registryImage('test/handover', '1', [big])
    const reg = await startFakeRegistry(t, [img], { throttle: { bytes: 64 << 10, ms: 20 } })
    const store = join(t.testdir(), 'store')
    const partial = join(store, 'tmp', `blob-${sha(big).slice(7)}.partial`)
    const first = imageBg(t, store, pullArgs(reg, 'test/handover', '1'))
    t.ok(await eventually(() => existsSync(partial) && statSync(partial).size > 512 << 10, 60_000), 'the first pull is downloading')
    const second = imageBg(t, store, pullArgs(reg, 'test/handover', '1'))
    await new Promise((r) => setTimeout(r, 500))
    first.child.kill('SIGKILL')
    t.ok(killed(await first.done), 'the downloading pull was killed')
    const kept = statSync(partial).size
    reg.options.throttle = undefined
    const r = await second.done
    t.equal(r.code, 0, r.stderr)
    t.match(r.stderr, /waiting for another download of/, 'the second pull waited for the first')
    t.equal(r.stdout, `${sha(img.manifest)}\n`)
    const gets = reg.log.filter((e) => e.method === 'GET' && e.path.endsWith(sha(big)))
    t.equal(gets.length, 2, 'one download, one resume')
    t.equal(gets[1]!.range, `bytes=${kept}-`, 'resumed where the killed pull stopped')
    t.same(storeProblems(store), [])
    t.same(list(join(store, 'tmp')), [])
  })

  t.test('kill -9 during the build, at several points: never a half image; the next pull completes', async (t) => {
    t.setTimeout(300_000)
    const big = await layerOf({ 'big.bin': bigFile, 'etc/hi': 'hi\n' })
    const img = registryImage('test/big', '1', [big])
    const reg = await startFakeRegistry(t, [img])
    const store = join(t.testdir(), 'store')
    const staging = join(store, 'tmp', `staging-${sha(img.manifest).slice(7)}`)
    const watch = watchStore(store)
    // Killed as the unpack starts, once the squashfs is being written, and late.
    for (const [what, ready] of [
      ['unpacking', () => existsSync(join(staging, 'rootfs'))],
      ['writing the squashfs', () => existsSync(join(staging, 'image', 'image.sqfs'))],
      ['the squashfs part written', () => existsSync(join(staging, 'image', 'image.sqfs')) && statSync(join(staging, 'image', 'image.sqfs')).size > 8 << 20],
    ] as [string, () => boolean][]) {
      const pull = imageBg(t, store, pullArgs(reg, 'test/big', '1'))
      const reached = await eventually(ready, 60_000)
      pull.child.kill('SIGKILL')
      const r = await pull.done
      if (!killed(r)) {
        t.comment(`${what}: the pull ended before the kill (${r.code})`)
        break
      }
      t.ok(reached, `killed while ${what}`)
      t.same(storeProblems(store, true), [], `after the kill while ${what}: the store is consistent`)
    }
    const again = await imageBg(t, store, pullArgs(reg, 'test/big', '1')).done
    t.same(watch.stop(), [], 'nothing half-built was ever visible under images/ or refs/')
    t.equal(again.code, 0, again.stderr)
    t.equal(reg.log.filter((e) => e.method === 'GET' && e.path.endsWith(sha(big))).length, 1, 'the layer was downloaded once')
    t.same(storeProblems(store), [])
    t.same(list(join(store, 'tmp')), [], 'the killed builds\' staging trees were cleared')
  })

  t.test('the registry gone for good mid-blob: 125, a clear error, the partial kept; the next pull resumes', async (t) => {
    t.setTimeout(180_000)
    const big = await layerOf({ 'big.bin': bigFile.subarray(0, 6 << 20) })
    const img = registryImage('test/lost', '1', [big])
    const reg = await startFakeRegistry(t, [img], { throttle: { bytes: 64 << 10, ms: 20 } })
    // The board reaches the registry through this proxy; closing it is the link gone.
    const sockets = new Set<net.Socket>()
    const proxy = net.createServer((c) => {
      const up = net.connect(reg.port, '127.0.0.1')
      sockets.add(c).add(up)
      c.pipe(up).pipe(c)
      const end = () => (c.destroy(), up.destroy())
      c.on('error', end).on('close', end)
      up.on('error', end).on('close', end)
    })
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
    const port = (proxy.address() as net.AddressInfo).port
    const cut = () => {
      proxy.close()
      for (const s of sockets) s.destroy()
    }
    t.teardown(cut)
    const store = join(t.testdir(), 'store')
    const partial = join(store, 'tmp', `blob-${sha(big).slice(7)}.partial`)
    const started = Date.now()
    const pull = imageBg(t, store, pullArgs({ host: `127.0.0.1:${port}` }, 'test/lost', '1'))
    t.ok(await eventually(() => existsSync(partial) && statSync(partial).size > 1 << 20, 60_000), 'the download got past 1 MB')
    cut()
    const r = await pull.done
    t.equal(r.code, 125, r.stderr)
    t.match(r.stderr, /^lite: error: .*layer 1 of 1 .*the download failed \d+ times; .*\(the \d+ bytes so far are kept; pull again to resume\)/m)
    t.notMatch(r.stderr, /\n\s+at /, 'no stack')
    t.comment(`gave up after ${Date.now() - started} ms: ${r.stderr.trim().split('\n').pop()}`)
    const kept = statSync(partial).size
    t.ok(kept > 1 << 20, `the partial stays (${kept} bytes)`)
    t.same(list(join(store, 'images')), [])

    reg.options.throttle = undefined
    const again = await imageBg(t, store, pullArgs(reg, 'test/lost', '1')).done
    t.equal(again.code, 0, again.stderr)
    const gets = reg.log.filter((e) => e.method === 'GET' && e.path.endsWith(sha(big)))
    t.equal(gets[gets.length - 1]!.range, `bytes=${kept}-`, 'resumed where it stopped')
    t.same(storeProblems(store), [])
  })

  t.test('a store that fills up (ENOSPC) or goes read-only (EROFS) mid-pull: 125 naming the store; consistent; recovers', async (t) => {
    t.setTimeout(240_000)
    const big = await layerOf({ 'big.bin': bigFile.subarray(0, 12 << 20) })
    const img = registryImage('test/full', '1', [big])
    const reg = await startFakeRegistry(t, [img], { throttle: { bytes: 128 << 10, ms: 10 } })

    // Full: the download itself does not fit.
    const small = tmpfs(t, 'lite-faults-', '4m')
    const full = await imageBg(t, small, pullArgs(reg, 'test/full', '1')).done
    t.equal(full.code, 125, full.stderr)
    t.match(full.stderr, new RegExp(`^lite: error: .*the image store ${small} is full \\(ENOSPC\\)`, 'm'))
    t.notMatch(full.stderr, /\n\s+at /, 'no stack')
    t.same(storeProblems(small), [])
    t.same(list(join(small, 'images')), [])
    const ls = image(small, ['ls'])
    t.equal(ls.code, 0, ls.stderr)
    // Full again while building: the blob fits, the image beside it does not.
    t.equal(spawnSync('mount', ['-o', 'remount,size=20m', small]).status, 0)
    const building = await imageBg(t, small, pullArgs(reg, 'test/full', '1')).done
    t.equal(building.code, 125, building.stderr)
    t.match(building.stderr, new RegExp(`^lite: error: .*the image store ${small} is full \\(ENOSPC\\)`, 'm'))
    t.same(storeProblems(small), [])
    t.same(list(join(small, 'images')), [])
    t.equal(image(small, ['ls']).code, 0)
    t.equal(spawnSync('mount', ['-o', 'remount,size=128m', small]).status, 0)
    const ok = await imageBg(t, small, pullArgs(reg, 'test/full', '1')).done
    t.equal(ok.code, 0, ok.stderr)
    t.same(storeProblems(small), [])
    t.same(list(join(small, 'tmp')), [])

    // Read-only in the middle of the pull. Linux refuses (EBUSY) to remount a file
    // system read-only while a file on it is open for writing, so the connection is cut
    // in the middle of the layer, and the remount made in the pause before the resume
    // (the partial file closed).
    const ro = tmpfs(t, 'lite-faults-', '128m')
    reg.options.cutOnce = new Set([sha(big)])
    const partial = join(ro, 'tmp', `blob-${sha(big).slice(7)}.partial`)
    const pull = imageBg(t, ro, pullArgs(reg, 'test/full', '1'))
    let exited = false
    void pull.done.then(() => (exited = true))
    t.ok(await eventually(() => existsSync(partial), 60_000), 'the download started')
    let remounted = false
    while (!exited && !remounted) {
      remounted = spawnSync('mount', ['-o', 'remount,ro', ro], { stdio: 'ignore' }).status === 0
      if (!remounted) await new Promise((r) => setTimeout(r, 3))
    }
    const r = await pull.done
    if (!remounted) t.comment('the pull finished before a read-only remount could be made')
    else {
      t.equal(r.code, 125, r.stderr)
      t.match(r.stderr, new RegExp(`^lite: error: .*the image store ${ro} is on a read-only file system \\(EROFS\\)`, 'm'))
      t.notMatch(r.stderr, /\n\s+at /, 'no stack')
      const ls = image(ro, ['ls'])
      t.equal(ls.code, 0, ls.stderr)
      t.same(storeProblems(ro), [], 'consistent while read-only')
      t.equal(spawnSync('mount', ['-o', 'remount,rw', ro]).status, 0)
      t.comment(`read-only at: ${r.stderr.trim().split('\n').pop()}`)
    }
    const kept = existsSync(partial) ? statSync(partial).size : 0
    if (remounted && r.code !== 0) t.ok(kept > 0, `the partial download is kept (${kept} bytes)`)
    const resumed = await imageBg(t, ro, pullArgs(reg, 'test/full', '1')).done
    t.equal(resumed.code, 0, resumed.stderr)
    const gets = reg.log.filter((e) => e.method === 'GET' && e.path.endsWith(sha(big)))
    if (kept > 0) t.equal(gets[gets.length - 1]!.range, `bytes=${kept}-`, 'and resumed')
    t.same(storeProblems(ro), [])
    t.same(list(join(ro, 'tmp')), [])
  })

  t.test('image rm and prune racing lite run -d: the container record protects the image', async (t) => {
    t.setTimeout(240_000)
    const img = registryImage('test/bb', '1', [busyboxLayer()], ['/bin/sleep', '1000'])
    const reg = await startFakeRegistry(t, [img])
    const dir = t.testdir()
    const store = join(dir, 'store')
    const ref = `${reg.host}/test/bb:1`
    const env = { ...process.env, LITE_STORE: store }
    const before = snapshotHost()
    for (let i = 0; i < 4; i++) {
      const pulled = await imageBg(t, store, pullArgs(reg, 'test/bb', '1')).done
      t.equal(pulled.code, 0, pulled.stderr)
      const name = uniqueName('race')
      const cfg = join(dir, `${name}.ini`)
      // The prune rounds run it by digest, so that untagging leaves prune something to take.
      const byDigest = `${reg.host}/test/bb@${sha(img.manifest)}`
      writeFileSync(cfg, `[container]\nname = ${name}\n\n[rootfs]\nimage = ${i % 2 ? byDigest : ref}\n`)
      t.teardown(() => {
        lite(['stop', name], { env })
        lite(['rm', '-f', name], { env })
      })
      const run = spawn(LITE, ['run', '-d', cfg], { env, stdio: ['ignore', 'pipe', 'pipe'] })
      let runErr = ''
      run.stderr!.on('data', (d) => (runErr += d))
      const ran = new Promise<number | null>((r) => run.on('close', (c) => r(c)))
      await new Promise((r) => setTimeout(r, i * 40))
      const remover =
        i % 2
          ? imageBg(t, store, ['rm', ref]).done.then((untag) => imageBg(t, store, ['prune']).done.then((p) => ({ ...p, stderr: untag.stderr + p.stderr, code: untag.code || p.code })))
          : imageBg(t, store, ['rm', ref]).done
      const [code, rm] = await Promise.all([ran, remover])
      const running = code === 0
      const status = lite(['status', name], { env })
      t.comment(`round ${i}: run ${code}, ${i % 2 ? 'prune' : 'rm'} ${rm.code}: ${rm.stderr.trim().split('\n').pop()}`)
      if (running) {
        t.equal(status.code, 0, `round ${i}: the container runs`)
        t.ok(existsSync(join(store, 'images', sha(img.manifest).slice(7), 'image.json')), `round ${i}: its image was kept`)
        if (rm.code !== 0) t.match(rm.stderr, `the container ${name} uses the image`, `round ${i}: the remove was refused, naming ${name}`)
      } else {
        t.equal(code, 125, `round ${i}: run refused: ${runErr}`)
        t.match(runErr, /is not in the store|is no longer in the store/, `round ${i}: because the image went first`)
        t.equal(status.code === 0 && /running/.test(status.stdout), false, 'no container runs')
      }
      t.same(storeProblems(store), [])
      lite(['stop', name], { env, timeout: 30_000 })
      // Stopped, state kept: rm of its image is refused, naming it.
      if (running) {
        const again = image(store, ['rm', sha(img.manifest)])
        t.equal(again.code, 125, `round ${i}: rm of the image of a stopped container is refused`)
        t.match(again.stderr, name, 'naming the container')
        t.ok(existsSync(join(store, 'images', sha(img.manifest).slice(7), 'image.json')))
      }
      if (running) t.equal(lite(['rm', name], { env }).code, 0, `round ${i}: lite rm`)
    }

    // Without a race: a detached container, stopped, its state kept.
    const pulled = await imageBg(t, store, pullArgs(reg, 'test/bb', '1')).done
    t.equal(pulled.code, 0, pulled.stderr)
    const name = uniqueName('stopped')
    const cfg = join(dir, `${name}.ini`)
    writeFileSync(cfg, `[container]\nname = ${name}\n\n[rootfs]\nimage = ${ref}\n`)
    t.teardown(() => void lite(['rm', '-f', name], { env }))
    const run = lite(['run', '-d', cfg], { env, timeout: 60_000 })
    t.equal(run.code, 0, run.stderr)
    t.equal(lite(['stop', name], { env, timeout: 60_000 }).code, 0)
    t.match(lite(['status', name], { env }).stdout, /status=(exited|stopped)/, 'stopped, state kept')
    const rm = image(store, ['rm', ref])
    t.equal(rm.code, 125, 'image rm of the image of a stopped container is refused')
    t.match(rm.stderr, `the container ${name} uses the image ${sha(img.manifest)}`, 'naming the container')
    const prune = image(store, ['prune'])
    t.equal(prune.code, 0, prune.stderr)
    t.ok(existsSync(join(store, 'images', sha(img.manifest).slice(7), 'image.json')), 'rm and prune kept it')
    t.equal(lite(['rm', name], { env }).code, 0)
    const after = image(store, ['rm', ref])
    t.equal(after.code, 0, `once the container is removed, the image goes: ${after.stderr}`)
    t.match(after.stdout, /deleted sha256:/)
    await assertNoLeaks(t, before)
  })

  t.test('lite run -d arriving while image rm holds the store: it waits, then refuses the removed image', async (t) => {
    t.setTimeout(120_000)
    const img = registryImage('test/bb', '1', [busyboxLayer()], ['/bin/sleep', '1000'])
    const reg = await startFakeRegistry(t, [img])
    const dir = t.testdir()
    const store = join(dir, 'store')
    const env = { ...process.env, LITE_STORE: store }
    const pulled = await imageBg(t, store, pullArgs(reg, 'test/bb', '1')).done
    t.equal(pulled.code, 0, pulled.stderr)
    // lite image rm, held at its worst moment: the store locked alone, no container
    // record found, the image not yet deleted. (The lock as locks.ts names it.)
    const lockFile = join('/run/lite/.lite-locks/store', createHash('sha256').update(realpathSync(store)).digest('hex').slice(0, 16), 'store')
    mkdirSync(dirname(lockFile), { recursive: true, mode: 0o700 })
    // --no-fork: the sleep is the flock process, so killing it frees the lock.
    const holder = spawn('flock', ['--no-fork', '-x', lockFile, 'sleep', '30'], { stdio: 'ignore' })
    t.teardown(() => void (holder.exitCode === null && holder.kill('SIGKILL')))
    await new Promise((r) => setTimeout(r, 300))
    const before = snapshotHost()
    const name = uniqueName('rmrace')
    const cfg = join(dir, `${name}.ini`)
    writeFileSync(cfg, `[container]\nname = ${name}\n\n[rootfs]\nimage = ${reg.host}/test/bb:1\n`)
    t.teardown(() => {
      lite(['rm', '-f', name], { env })
    })
    const run = spawn(LITE, ['run', '-d', cfg], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let runErr = ''
    run.stderr!.on('data', (d) => (runErr += d))
    const ran = new Promise<number | null>((r) => run.on('close', (c) => r(c)))
    await new Promise((r) => setTimeout(r, 2000))
    // The rm goes on: it found no record, so it deletes the image and its ref.
    rmSync(join(store, 'images', sha(img.manifest).slice(7)), { recursive: true, force: true })
    rmSync(join(store, 'refs'), { recursive: true, force: true })
    holder.kill('SIGKILL')
    const code = await ran
    const status = lite(['status', name], { env })
    t.comment(`run -d: ${code}: ${runErr.trim()}`)
    if (code === 0) t.fail(`the container runs an image that was deleted: ${status.stdout}`)
    else {
      t.equal(code, 125)
      t.match(runErr, /is no longer in the store|is not in the store/, 'refused: the image is gone')
      t.not(status.code === 0 && /running/.test(status.stdout), true, 'nothing runs')
    }
    await assertNoLeaks(t, before)
  })

  t.test('kill -9 at random moments of a pull + build loop: every file in the store is absent or whole', async (t) => {
    t.setTimeout(420_000)
    const baseLayer = await layerOf({ 'base.bin': shared })
    const images = [
      registryImage('test/p', '1', [baseLayer, await layerOf({ 'p.bin': bigFile.subarray(0, 6 << 20) })]),
      registryImage('test/q', '1', [baseLayer, await layerOf({ 'q.bin': bigFile.subarray(6 << 20, 14 << 20) })]),
    ]
    const reg: FakeRegistry = await startFakeRegistry(t, images, { throttle: { bytes: 32 << 10, ms: 5 } })
    const store = join(t.testdir(), 'store')
    const started = Date.now()
    let kills = 0
    let removerKills = 0
    for (let i = 0; i < 20 && Date.now() - started < 300_000; i++) {
      const img = images[i % 2]!
      // Now and then start over: untag (the image goes), sometimes the blobs too; these
      // are killed at random moments as well.
      for (const args of [i % 2 === 1 ? ['rm', `${reg.host}/${img.repo}:1`] : [], i % 6 === 5 ? ['prune'] : []]) {
        if (!args.length) continue
        const remover = imageBg(t, store, args)
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 80)))
        remover.child.kill('SIGKILL')
        const rr = await remover.done
        if (killed(rr)) removerKills++
        else t.ok(rr.code === 0 || /no image .* in the store/.test(rr.stderr), `iteration ${i}: ${args[0]}: ${rr.code} ${rr.stderr}`)
        t.same(storeProblems(store, true), [], `iteration ${i}, after ${args[0]} (${killed(rr) ? 'killed' : 'finished'}): the store is whole`)
      }
      const pull = imageBg(t, store, pullArgs(reg, img.repo, '1'))
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 900)))
      pull.child.kill('SIGKILL')
      const r = await pull.done
      if (killed(r)) kills++
      else t.equal(r.code, 0, `iteration ${i}: ${r.stderr}`)
      const problems = storeProblems(store, true)
      t.same(problems, [], `iteration ${i} (${killed(r) ? 'killed' : 'finished'}): the store is whole`)
    }
    t.comment(`${kills} pulls and ${removerKills} rm/prune killed in ${Date.now() - started} ms`)
    for (const img of images) {
      const r = await imageBg(t, store, pullArgs(reg, img.repo, '1')).done
      t.equal(r.code, 0, r.stderr)
    }
    // A kill in the middle of an atomic write leaves its temp file until prune.
    t.equal(image(store, ['prune']).code, 0)
    t.same(storeProblems(store), [], 'after two clean pulls and a prune: no temp files either')
    t.same(list(join(store, 'tmp')), [])
    const ls = image(store, ['ls'])
    t.equal(ls.code, 0, ls.stderr)
    t.equal(ls.stdout.trim().split('\n').length, 3, 'a header and the two images')
  })
}

/**
 * From an strace -f -y log: the directories the pull created under `store` (tmp/ aside)
 * whose parent was not fsynced after the mkdir: a power cut could lose them, and the
 * ref, blob or image written into them, after the pull said it was done.
 */
function undurableDirs(trace: string, store: string): { created: string[]; lost: string[]; renamed: string[]; unsynced: string[] } {
  const lines = trace.split('\n')
  const created: { dir: string; at: number }[] = []
  const fsyncs: { dir: string; at: number }[] = []
  lines.forEach((l, at) => {
    const mk = /\bmkdir(?:at)?\((?:[^,]*<([^>]*)>, )?"([^"]+)", [^)]*\)\s+= 0/.exec(l)
    if (mk) {
      const dir = mk[2]!.startsWith('/') ? mk[2]! : join(mk[1] ?? '/', mk[2]!)
      created.push({ dir, at })
    }
    const fs = /\bfsync\(\d+<([^>]*)>\)\s+= 0/.exec(l)
    if (fs) fsyncs.push({ dir: fs[1]!, at })
  })
  // Every rename into the store (tmp/ aside): the file fsynced before, its new directory after.
  const renames: { from: string; to: string; at: number }[] = []
  lines.forEach((l, at) => {
    const rn = /\brename(?:at2?)?\((?:[^,]*<([^>]*)>, )?"([^"]+)", (?:[^,]*<([^>]*)>, )?"([^"]+)"[^)]*\)\s+= 0/.exec(l)
    if (rn) {
      const abs = (base: string | undefined, p: string) => (p.startsWith('/') ? p : join(base ?? '/', p))
      renames.push({ from: abs(rn[1], rn[2]!), to: abs(rn[3], rn[4]!), at })
    }
  })
  const into = renames.filter(({ to }) => to.startsWith(`${store}/`) && !to.startsWith(`${store}/tmp`))
  const unsynced = into
    .filter(({ from, to, at }) => !fsyncs.some((f) => f.at < at && f.dir === from) || !fsyncs.some((f) => f.at > at && f.dir === dirname(to)))
    .map(({ to }) => to.slice(store.length + 1))
  const inStore = created.filter(({ dir }) => dir.startsWith(`${store}/`) && !dir.startsWith(`${store}/tmp`))
  const lost = inStore.filter(({ dir, at }) => !fsyncs.some((f) => f.at > at && f.dir === dirname(dir))).map(({ dir }) => dir.slice(store.length + 1))
  return { created: inStore.map(({ dir }) => dir.slice(store.length + 1)), lost, renamed: into.map(({ to }) => to.slice(store.length + 1)), unsynced }
}

if (isRoot && existsSync(LITE)) {
  t.test('a pull into a new store fsyncs every directory it creates into its parent, and every file before its rename and its directory after (strace)', async (t) => {
    t.setTimeout(120_000)
    if (spawnSync('strace', ['-V']).status !== 0) {
      if (process.env.CI) t.fail('CI needs strace for this test')
      return void t.comment('no strace on this machine')
    }
    const img = registryImage('test/durable', '1', [await layerOf({ 'a.txt': 'a\n' })])
    const reg = await startFakeRegistry(t, [img])
    const dir = t.testdir()
    const store = join(dir, 'store')
    const traceFile = join(dir, 'trace')
    const child = spawn('strace', ['-f', '-y', '-o', traceFile, '-e', 'trace=mkdir,mkdirat,fsync,rename,renameat,renameat2', LITE, 'image', 'pull', `${reg.host}/test/durable:1`, '--insecure', '--store', store], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr!.on('data', (d) => (stderr += d))
    t.teardown(() => void (child.exitCode === null && child.kill('SIGKILL')))
    const code = await new Promise((r) => child.on('close', r))
    t.equal(code, 0, stderr)
    const { created, lost, renamed, unsynced } = undurableDirs(readFileSync(traceFile, 'utf8'), store)
    t.ok(created.includes('refs') && created.some((d) => d.startsWith('refs/')) && created.includes('blobs/sha256'), `the pull made the store's directories: ${created.join(' ')}`)
    t.same(lost, [], 'each one was fsynced into its parent')
    t.ok(renamed.some((f) => f.startsWith('images/')) && renamed.some((f) => f.startsWith('refs/')) && renamed.some((f) => f.startsWith('blobs/')), `the pull renamed files into the store: ${renamed.join(' ')}`)
    t.same(unsynced, [], 'each one fsynced before its rename, and its directory after')
  })
}
