// The image store on a t.testdir with the addon faked: refs, container records, rm,
// prune, tmp clean-up, and the build pipeline's checks and failure paths.

import fs from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import t, { type Test } from 'tap'
import { buildImage } from '../../runtime/image/build.ts'
import { parseReference } from '../../runtime/image/reference.ts'
import { DEFAULT_IMAGE_SETTINGS, type ImageSettings } from '../../runtime/image/settings.ts'
import { ImageStore } from '../../runtime/image/store/store.ts'
import { LiteError } from '../../runtime/errors.ts'
import { fakeNative, imageConfig, layer, listTree, sha, type FakeNative } from '../support/image-fakes.ts'

function newStore(t: Test, native: FakeNative = fakeNative(), opts: { storeWaitMs?: number; buildWaitMs?: number } = {}) {
  const dir = t.testdir({})
  const logs: string[] = []
  const store = new ImageStore(path.join(dir, 'store'), native, { lockDir: path.join(dir, 'locks'), log: (l) => logs.push(l), ...opts })
  store.prepare()
  const settings: ImageSettings = { ...DEFAULT_IMAGE_SETTINGS, store: store.root, registries: new Map() }
  return { store, native, settings, logs }
}

/** Puts an image's blobs (gzip layers) into the store; returns its manifest digest. */
async function putImage(store: ImageStore, contents: Record<string, string>[], opts: { badDiffId?: boolean } = {}) {
  const layers = await Promise.all(contents.map((c) => layer(c)))
  const gz = layers.map((l) => gzipSync(l.tar))
  for (const g of gz) store.blobs.putBytes(sha(g), g)
  const diffIds = layers.map((l) => l.diffId)
  if (opts.badDiffId) diffIds[0] = sha('something else')
  const config = imageConfig(diffIds)
  store.blobs.putBytes(sha(config), config)
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: gz.map((g) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(g), size: g.length })),
    }),
  )
  store.blobs.putBytes(sha(manifest), manifest)
  return { manifestDigest: sha(manifest), layerDigests: gz.map((g) => sha(g)), configDigest: sha(config) }
}

async function built(t: Test, contents: Record<string, string>[] = [{ a: '1' }]) {
  const env = newStore(t)
  const img = await putImage(env.store, contents)
  await buildImage(env.store, env.native, env.settings, img.manifestDigest, { source: 'import' })
  return { ...env, img }
}

t.test('references are normalised as Docker does', async (t) => {
  t.match(parseReference('busybox'), { registry: 'docker.io', repository: 'library/busybox', tag: 'latest', canonical: 'docker.io/library/busybox:latest' })
  t.match(parseReference('lite/busybox:amd64'), { registry: 'docker.io', repository: 'lite/busybox', tag: 'amd64' })
  t.match(parseReference('127.0.0.1:5000/a/b@sha256:' + 'a'.repeat(64)), { registry: '127.0.0.1:5000', repository: 'a/b', tag: undefined, digest: 'sha256:' + 'a'.repeat(64) })
  t.match(parseReference('localhost/x:1'), { registry: 'localhost', repository: 'x' })
  t.match(parseReference('index.docker.io/library/alpine'), { registry: 'docker.io', canonical: 'docker.io/library/alpine:latest' })
  // UPPER/case is a registry "UPPER" with a repository "case", as Docker reads it
  for (const bad of ['', 'a/../b', 'a//b', 'x:bad tag', 'x@sha256:12', '../x', 'a/./b', 'UPPER/Case']) t.throws(() => parseReference(bad), { name: 'ImageReferenceError', exitCode: 125 }, bad || '(empty)')
})

t.test('the build pipeline: unpack in order, squashfs, one rename into images/', async (t) => {
  const { store, native, settings, img } = await built(t, [{ a: '1' }, { b: '2' }])
  t.same(native.calls.unpack.map((c) => c.blob), img.layerDigests.map((d) => store.blobs.path(d)), 'layers unpacked in order')
  t.same(native.calls.unpack.map((c) => c.compression), ['gzip', 'gzip'])
  const hex = img.manifestDigest.slice(7)
  t.same(listTree(store.layout.image(img.manifestDigest)), ['config.json', 'image.json', 'image.sqfs', 'manifest.json'])
  t.same(fs.readdirSync(store.layout.tmpDir), [], 'the staging tree is gone')
  const record = store.imageRecord(img.manifestDigest)!
  t.match(record, { manifestDigest: img.manifestDigest, configDigest: img.configDigest, architecture: 'amd64', os: 'linux', created: '2024-01-02T03:04:05Z', source: 'import' })
  t.equal(record.layers.length, 2)
  t.ok(fs.readFileSync(path.join(store.layout.imagesDir, hex, 'image.sqfs'), 'utf8').startsWith('hsqs'))
  // Built again: found, not rebuilt.
  const again = await buildImage(store, native, settings, img.manifestDigest, { source: 'import' })
  t.equal(again.built, false)
  t.equal(native.calls.squashfs, 1)
  t.ok(img.layerDigests.every((d) => store.blobs.has(d)), 'keepBlobs (default): layer blobs stay')
})

t.test('keep_blobs = no drops the layer blobs once the image is built, not the manifest or config', async (t) => {
  const { store, native, settings } = newStore(t)
  const img = await putImage(store, [{ a: '1' }])
  await buildImage(store, native, { ...settings, keepBlobs: false }, img.manifestDigest, { source: 'pull' })
  t.notOk(store.blobs.has(img.layerDigests[0]!))
  t.ok(store.blobs.has(img.manifestDigest))
  t.ok(store.blobs.has(img.configDigest))
})

t.test('a diff_id mismatch is an error and stores nothing', async (t) => {
  const { store, native, settings } = newStore(t)
  const img = await putImage(store, [{ a: '1' }], { badDiffId: true })
  await t.rejects(buildImage(store, native, settings, img.manifestDigest, { source: 'import' }), /unpacks to sha256:.*but the image config says/)
  t.same(fs.readdirSync(store.layout.imagesDir), [])
  t.same(fs.readdirSync(store.layout.tmpDir), [], 'staging removed')
})

t.test('a missing layer blob is an error naming it', async (t) => {
  const { store, native, settings } = newStore(t)
  const img = await putImage(store, [{ a: '1' }])
  fs.rmSync(store.blobs.path(img.layerDigests[0]!))
  await t.rejects(buildImage(store, native, settings, img.manifestDigest, { source: 'import' }), new RegExp(`\\(${img.layerDigests[0]}\\) is missing from the store`))
  t.equal(native.calls.unpack.length, 0)
})

t.test('a full store gives one clear error naming the store, and leaves images/ as it was', async (t) => {
  const { store, native, settings } = newStore(t)
  native.failSquashfs = 'ENOSPC'
  const img = await putImage(store, [{ a: '1' }])
  const e = await buildImage(store, native, settings, img.manifestDigest, { source: 'import' }).catch((x: unknown) => x)
  t.type(e, LiteError)
  t.match((e as Error).message, `the image store ${store.root} is full (ENOSPC)`)
  t.same(fs.readdirSync(store.layout.imagesDir), [])
  t.same(fs.readdirSync(store.layout.tmpDir), [])
  native.failSquashfs = 'EROFS'
  await t.rejects(buildImage(store, native, settings, img.manifestDigest, { source: 'import' }), /read-only file system \(EROFS\)/)
})

t.test('a second build of the same image waits for the first, then finds it done', async (t) => {
  const { store, native, settings, logs } = newStore(t)
  const img = await putImage(store, [{ a: '1' }])
  // Another process holds the image lock for 3 tries; it finishes the image meanwhile.
  native.busy.set(store.layout.imageLock(img.manifestDigest), 3)
  const other = fakeNative()
  const otherStore = new ImageStore(store.root, other, { lockDir: store.layout.lockDir, log: () => {} })
  await buildImage(otherStore, other, settings, img.manifestDigest, { source: 'import' })
  native.busy.set(store.layout.imageLock(img.manifestDigest), 3)
  fs.rmSync(store.layout.image(img.manifestDigest), { recursive: true })
  const p = buildImage(store, native, settings, img.manifestDigest, { source: 'import' })
  // The first had not finished when we started: redo it from the blobs.
  const r = await p
  t.equal(r.built, true)
  t.match(logs.join('\n'), /waiting for another lite command that is building/)
  // A holder that never lets go: bounded.
  const { store: s2, native: n2, settings: set2 } = newStore(t, fakeNative(), { buildWaitMs: 100 })
  const img2 = await putImage(s2, [{ b: '2' }])
  n2.busy.set(s2.layout.imageLock(img2.manifestDigest), 1e9)
  await t.rejects(buildImage(s2, n2, set2, img2.manifestDigest, { source: 'import' }), /is busy/)
})

t.test('a build killed half-way leaves a staging tree that the next command clears', async (t) => {
  const { store, native, settings } = newStore(t)
  const img = await putImage(store, [{ a: '1' }])
  // What kill -9 during unpack leaves: tmp/staging-<hex>/rootfs/... and no image.
  const staging = store.layout.staging(img.manifestDigest)
  fs.mkdirSync(path.join(staging, 'rootfs', 'etc'), { recursive: true })
  fs.mkdirSync(path.join(staging, 'image'))
  fs.writeFileSync(path.join(staging, 'image', 'image.sqfs'), 'half')
  fs.writeFileSync(store.layout.partialBlob(img.layerDigests[0]!), 'partial download')
  fs.mkdirSync(path.join(store.layout.tmpDir, 'import-abc123'))
  t.notOk(store.hasImage(img.manifestDigest), 'a half-built image is never visible')
  await store.adding(async () => {})
  t.same(fs.readdirSync(store.layout.tmpDir), [path.basename(store.layout.partialBlob(img.layerDigests[0]!))], 'staging and import dirs cleared; the partial download kept for a resume')
  await buildImage(store, native, settings, img.manifestDigest, { source: 'import' })
  t.ok(store.hasImage(img.manifestDigest))
})

t.test('clean-up leaves a staging tree alone while its build lock is held', async (t) => {
  const { store, native } = newStore(t)
  const d = sha('x')
  fs.mkdirSync(store.layout.staging(d), { recursive: true })
  native.busy.set(store.layout.imageLock(d), 1)
  store.clearTmp(false)
  t.ok(fs.existsSync(store.layout.staging(d)))
  store.clearTmp(false)
  t.notOk(fs.existsSync(store.layout.staging(d)))
})

t.test('refs: one line, replaced atomically, listed, removed with their empty dirs', async (t) => {
  const { store, img } = await built(t)
  const ref = parseReference('127.0.0.1:5000/team/app:v1')
  store.setRef(ref, img.manifestDigest)
  const file = store.refFile(ref)
  t.equal(file, path.join(store.root, 'refs', '127.0.0.1:5000', 'team', 'app', ':v1'))
  t.equal(fs.readFileSync(file, 'utf8'), `${img.manifestDigest}\n`)
  t.same(fs.readdirSync(path.dirname(file)), [':v1'], 'no temp file left beside it')
  // A repository and a tag of the same name can both exist.
  const img2 = await putImage(store, [{ z: '9' }])
  await buildImage(store, store.native as FakeNative, { ...DEFAULT_IMAGE_SETTINGS, store: store.root, registries: new Map() }, img2.manifestDigest, { source: 'import' })
  store.setRef(parseReference('127.0.0.1:5000/team/app/v1:latest'), img2.manifestDigest)
  store.setRef(ref, img2.manifestDigest)
  t.equal(store.getRef(ref), img2.manifestDigest, 'replaced')
  t.same(
    store.listRefs().map((r) => [r.canonical, r.manifestDigest]),
    [
      ['127.0.0.1:5000/team/app:v1', img2.manifestDigest],
      ['127.0.0.1:5000/team/app/v1:latest', img2.manifestDigest],
    ],
  )
  t.throws(() => store.setRef(parseReference('x:y'), sha('not here')), /is not in the store/)
  t.throws(() => store.refFile({ registry: '..', repository: 'a', tag: 't', canonical: '../a:t' }), /bad registry/)
  t.throws(() => store.refFile({ registry: 'r', repository: 'a/../../b', tag: 't', canonical: 'x' }), /bad repository/)
  t.throws(() => store.refFile({ registry: 'r', repository: 'a', tag: '..', canonical: 'x' }), /bad tag/)
  t.ok(store.removeRef(parseReference('127.0.0.1:5000/team/app/v1:latest')))
  t.ok(store.removeRef(ref))
  t.same(fs.readdirSync(path.join(store.root, 'refs')), [], 'empty ref dirs removed')
})

t.test('resolve: a ref, a digest, a unique hex prefix', async (t) => {
  const { store, img } = await built(t)
  store.setRef(parseReference('busybox'), img.manifestDigest)
  t.same(store.resolve('busybox')?.digest, img.manifestDigest)
  t.same(store.resolve('docker.io/library/busybox:latest')?.digest, img.manifestDigest)
  t.same(store.resolve(img.manifestDigest), { digest: img.manifestDigest })
  t.same(store.resolve(img.manifestDigest.slice(7, 19))?.digest, img.manifestDigest)
  t.equal(store.resolve('nothing'), undefined)
  t.throws(() => store.image('nothing'), /no image nothing in the store/)
  t.equal(store.image('busybox').squashfs, path.join(store.layout.image(img.manifestDigest), 'image.sqfs'))
})

t.test('container records: root of prune, refusal of rm', async (t) => {
  const { store, native, settings, img } = await built(t)
  const other = await putImage(store, [{ o: 'x' }])
  await buildImage(store, native, settings, other.manifestDigest, { source: 'import' })
  store.setRef(parseReference('app:1'), img.manifestDigest)
  store.setRef(parseReference('app:also'), img.manifestDigest)
  await store.recordContainer('web', img.manifestDigest)
  t.same(JSON.parse(fs.readFileSync(path.join(store.root, 'containers', 'web'), 'utf8')), { current: img.manifestDigest, next: null, previous: null, older: [], pinned: false, update: null, last: null })
  await t.rejects(store.recordContainer('web', sha('absent')), /is not in the store/)
  await t.rejects(store.recordContainer('../x', img.manifestDigest), /not a valid container name/)
  t.same([...store.containerImages()], [[img.manifestDigest, ['web']]])

  // A tag with another tag left: untagged. The last one: refused, naming the container.
  let r = await store.remove(['app:also'])
  t.same(r, { lines: ['untagged docker.io/library/app:also'], errors: [] })
  r = await store.remove(['app:1'])
  t.equal(r.lines.length, 0)
  t.match(r.errors, [/cannot remove app:1: the container web uses the image/])
  r = await store.remove([img.manifestDigest])
  t.match(r.errors, [/container web uses/])
  t.ok(store.hasImage(img.manifestDigest))

  // prune: the image a container record reaches stays even without a ref.
  fs.rmSync(store.refFile(parseReference('app:1')))
  const freed = await store.prune()
  t.ok(store.hasImage(img.manifestDigest), 'kept: a container uses it')
  t.notOk(store.hasImage(other.manifestDigest), 'removed: nothing reaches it')
  t.notOk(store.blobs.has(other.layerDigests[0]!), 'and its blobs')
  t.ok(store.blobs.has(img.layerDigests[0]!))
  t.match(freed.lines.join('\n'), other.manifestDigest)

  await store.releaseContainer('web')
  await store.releaseContainer('web')
  t.same([...store.containerImages()], [])
  r = await store.remove([img.manifestDigest.slice(7, 17)])
  t.same(r.errors, [])
  t.match(r.lines, [`deleted ${img.manifestDigest}`, /deleted 3 blobs/])
  t.same(listTree(store.root).filter((f) => !f.startsWith('tmp/')), [])
})

t.test('rm by digest removes every ref; blobs another image shares stay', async (t) => {
  const { store, native, settings, img } = await built(t, [{ shared: 's' }, { a: '1' }])
  const other = await putImage(store, [{ shared: 's' }, { b: '2' }])
  await buildImage(store, native, settings, other.manifestDigest, { source: 'import' })
  store.setRef(parseReference('a:1'), img.manifestDigest)
  store.setRef(parseReference('a:2'), img.manifestDigest)
  store.setRef(parseReference('b:1'), other.manifestDigest)
  const r = await store.remove([img.manifestDigest])
  t.same(r.lines.slice(0, 2), ['untagged docker.io/library/a:1', 'untagged docker.io/library/a:2'])
  t.ok(store.blobs.has(img.layerDigests[0]!), 'the shared layer stays')
  t.notOk(store.blobs.has(img.layerDigests[1]!))
  t.ok(store.hasImage(other.manifestDigest))
  t.same((await store.remove(['nope'])).errors, [`no image nope in the store ${store.root}`])
})

t.test('prune: refs are roots; unreached blobs and all of tmp go; rm and prune wait for pulls', async (t) => {
  const { store, native, img } = await built(t)
  store.setRef(parseReference('keep:1'), img.manifestDigest)
  const stray = Buffer.from('stray blob')
  store.blobs.putBytes(sha(stray), stray)
  fs.writeFileSync(store.layout.partialBlob(sha('p')), 'partial')
  // What a kill during writeFileAtomic leaves beside a ref.
  const leftover = path.join(path.dirname(store.refFile(parseReference('keep:1'))), '.:keep.123.tmp')
  fs.writeFileSync(leftover, 'half')
  const freed = await store.prune()
  t.notOk(fs.existsSync(leftover), 'temp files of killed writes go')
  t.equal(store.listRefs().length, 1)
  t.ok(store.hasImage(img.manifestDigest))
  t.notOk(store.blobs.has(sha(stray)))
  t.same(fs.readdirSync(store.layout.tmpDir), [])
  t.match(freed.lines.join('\n'), /deleted 1 blob/)
  // A pull holds the store shared: prune waits, bounded.
  native.busy.set(store.layout.storeLock, 2)
  await store.prune()
  const slow = new ImageStore(store.root, native, { lockDir: store.layout.lockDir, storeWaitMs: 50, log: () => {} })
  native.busy.set(store.layout.storeLock, 1e9)
  await t.rejects(slow.prune(), /is busy/)
})

t.test('the download lock of a blob: the registry client waits, bounded, for another download', async (t) => {
  const { store, native, logs } = newStore(t)
  const d = sha('blob')
  native.busy.set(store.layout.blobLock(d), 2)
  const lock = await store.blobs.downloadLock(d)
  lock.release()
  t.match(logs, [/waiting for another download of sha256:/])
  const quick = new ImageStore(store.root, native, { lockDir: store.layout.lockDir, buildWaitMs: 50, log: () => {} })
  native.busy.set(store.layout.blobLock(d), 1e9)
  await t.rejects(quick.blobs.downloadLock(d), /the download of sha256:.* is busy/)
})

t.test('store errors: ENOSPC, EROFS, EACCES from Node or the addon name the store; others pass through', async (t) => {
  const { storeFailure, storeErrno } = await import('../../runtime/image/store/errors.ts')
  const nodeErr = (code: string) => Object.assign(new Error(`${code}: something, open '/s/tmp/x'`), { code })
  t.equal(storeErrno(nodeErr('ENOSPC')), 'ENOSPC')
  t.equal(storeErrno(Object.assign(new Error('write layer: No space left on device'), { code: 'Os' })), 'ENOSPC')
  t.equal(storeErrno(new Error('unrelated')), undefined)
  const e = storeFailure(nodeErr('EACCES'), '/s', 'importing x.tar') as LiteError
  t.type(e, LiteError)
  t.match(e.message, /^importing x.tar: cannot write to the image store \/s \(EACCES\)/)
  t.match((storeFailure(nodeErr('EROFS'), '/s') as Error).message, /^the image store \/s is on a read-only file system \(EROFS\)/)
  const other = new Error('boom')
  t.equal(storeFailure(other, '/s'), other)
  const lite = new LiteError('already clear')
  t.equal(storeFailure(lite, '/s'), lite)
})

t.test('a damaged images/<hex> without its image.json is replaced by the build', async (t) => {
  const { store, native, settings } = newStore(t)
  const img = await putImage(store, [{ a: '1' }])
  fs.mkdirSync(store.layout.image(img.manifestDigest), { recursive: true })
  fs.writeFileSync(path.join(store.layout.image(img.manifestDigest), 'junk'), 'x')
  t.notOk(store.hasImage(img.manifestDigest))
  await buildImage(store, native, settings, img.manifestDigest, { source: 'import' })
  t.same(listTree(store.layout.image(img.manifestDigest)), ['config.json', 'image.json', 'image.sqfs', 'manifest.json'])
  t.same(fs.readdirSync(store.layout.tmpDir), [])
})

t.test('the store\'s locks live where no container state can be (lite ps settles those)', async (t) => {
  const { STORE_LOCK_DIR } = await import('../../runtime/image/store/layout.ts')
  const { isContainerName } = await import('../../runtime/lifecycle/registry.ts')
  const { STATE_ROOT } = await import('../../runtime/lifecycle/state.ts')
  t.ok(STORE_LOCK_DIR.startsWith(STATE_ROOT + '/'))
  const top = STORE_LOCK_DIR.slice(STATE_ROOT.length + 1).split('/')[0]!
  t.notOk(isContainerName(top), `${top} is not a container name`)
})
