// lite image verify on a store filled by importing a tiny docker save archive (the addon
// faked): a whole store, damaged blobs and images, dangling refs and container records,
// orphans before and after prune, and the command's output and exit codes.

import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { importImages } from '../../runtime/image/import/import.ts'
import { parseReference } from '../../runtime/image/reference.ts'
import { DEFAULT_IMAGE_SETTINGS, type ImageSettings } from '../../runtime/image/settings.ts'
import { replaceContainerRecord } from '../../runtime/image/store/containers.ts'
import { ImageStore, type ImageRecord } from '../../runtime/image/store/store.ts'
import { verifyFailed, verifyLines, verifyStore } from '../../runtime/image/store/verify.ts'
import { cliWithFakeAddon, dockerSave, fakeNative, layer, sha, writeTar } from '../support/image-fakes.ts'

/** A store holding example/app:1 (one layer), imported from a docker save archive. */
async function imported(t: Test, tags = ['example/app:1'], files: Record<string, string> = { 'bin/sh': 'sh' }) {
  const dir = t.testdir({})
  const native = fakeNative()
  const store = new ImageStore(path.join(dir, 'store'), native, { lockDir: path.join(dir, 'locks'), log: () => {} })
  const settings: ImageSettings = { ...DEFAULT_IMAGE_SETTINGS, store: store.root, registries: new Map() }
  const add = async (tags: string[], files: Record<string, string>) => {
    const tar = await writeTar(path.join(dir, `save-${tags.join('-').replace(/[/:]/g, '_')}.tar`), dockerSave([await layer(files)], tags))
    const [img] = await importImages(store, native, settings, tar, { progress: () => {} })
    return { digest: img!.manifestDigest, record: store.imageRecord(img!.manifestDigest)! }
  }
  const img = await add(tags, files)
  return { dir, store, native, settings, img, add }
}

/** A ref file as a hand or a bug would write it: its text, whatever it is. */
function writeRef(store: ImageStore, ref: string, text: string) {
  const f = store.refFile(parseReference(ref))
  fs.mkdirSync(path.dirname(f), { recursive: true })
  fs.writeFileSync(f, text)
}

const file = (store: ImageStore, digest: string, name: 'image.sqfs' | 'image.json') => store.layout.imageFile(digest, name)

t.test('an empty store verifies, and is not created by the check', async (t) => {
  const dir = t.testdir({})
  const store = new ImageStore(path.join(dir, 'store'), fakeNative(), { lockDir: path.join(dir, 'locks'), log: () => {} })
  const report = await verifyStore(store)
  t.same(report.summary, { images: 0, ok: 0, damaged: 0, dangling: 0, orphans: 0 })
  t.same(verifyLines(report), ['verified 0 images: 0 ok, 0 damaged; 0 dangling; 0 orphans'])
  t.notOk(verifyFailed(report))
  t.notOk(fs.existsSync(store.root))
})

t.test('a whole store: every image ok; image.json records image.sqfs\'s sha256', async (t) => {
  const { store, native, img } = await imported(t)
  t.equal(img.record.squashfs.sha256, sha(fs.readFileSync(file(store, img.digest, 'image.sqfs'))))
  const report = await verifyStore(store)
  t.same(report.images, [{ digest: img.digest, ok: true, blobs: 3, squashfsBytes: img.record.squashfs.bytes, problems: [] }])
  t.same(verifyLines(report), [`ok ${img.digest} (3 blobs, image.sqfs ${img.record.squashfs.bytes}B)`, 'verified 1 images: 1 ok, 0 damaged; 0 dangling; 0 orphans'])
  t.notOk(verifyFailed(report))
  // The store is held shared while it is checked: rm and prune wait.
  native.busy.set(store.layout.storeLock, 1e9)
  const slow = new ImageStore(store.root, native, { lockDir: store.layout.lockDir, storeWaitMs: 50, log: () => {} })
  await t.rejects(verifyStore(slow), /is busy/)
})

t.test('a truncated layer blob: the image is damaged, the blob named', async (t) => {
  const { store, img } = await imported(t)
  const blob = store.blobs.path(img.record.layers[0]!.digest)
  fs.truncateSync(blob, 10)
  const report = await verifyStore(store)
  t.equal(report.images[0]!.ok, false)
  t.match(report.images[0]!.problems, [new RegExp(`^blobs/sha256/${img.record.layers[0]!.digest.slice(7)}: 10 bytes, image.json says ${img.record.layers[0]!.size}, sha256 is [0-9a-f]{12}… \\(truncated or damaged\\)$`)])
  t.same(report.summary, { images: 1, ok: 0, damaged: 1, dangling: 0, orphans: 0 })
  t.ok(verifyFailed(report))
  t.matchSnapshot(verifyLines(report).join('\n'), 'the human output of a damaged image')
  // Gone altogether: missing, saying which blob of the image it was.
  fs.rmSync(blob)
  t.same((await verifyStore(store)).images[0]!.problems, [`blobs/sha256/${img.record.layers[0]!.digest.slice(7)}: missing (layer 1)`])
})

t.test('keep_blobs = no: a layer blob that is gone is no damage; a manifest blob that is gone is', async (t) => {
  const { store, img } = await imported(t)
  fs.rmSync(store.blobs.path(img.record.layers[0]!.digest))
  const report = await verifyStore(store, undefined, { keepBlobs: false })
  t.same(report.images[0], { digest: img.digest, ok: true, blobs: 2, squashfsBytes: img.record.squashfs.bytes, problems: [] })
  fs.rmSync(store.blobs.path(img.digest))
  t.same((await verifyStore(store, undefined, { keepBlobs: false })).images[0]!.problems, [`blobs/sha256/${img.digest.slice(7)}: missing (the manifest)`])
})

t.test('a flipped byte in image.sqfs: damaged by its sha256; the image\'s own files are checked too', async (t) => {
  const { store, img } = await imported(t)
  const sqfs = file(store, img.digest, 'image.sqfs')
  const bytes = fs.readFileSync(sqfs)
  bytes[1]! ^= 0xff
  fs.writeFileSync(sqfs, bytes)
  let report = await verifyStore(store)
  t.match(report.images[0]!.problems, [new RegExp(`^image\\.sqfs: sha256 is [0-9a-f]{12}…, image\\.json says ${img.record.squashfs.sha256!.slice(7, 19)}…$`)])
  fs.writeFileSync(sqfs, '')
  report = await verifyStore(store)
  t.same(report.images[0]!.problems, [`image.sqfs: 0 bytes, image.json says ${img.record.squashfs.bytes}`])
  fs.rmSync(sqfs)
  fs.writeFileSync(store.layout.imageFile(img.digest, 'config.json'), '{}')
  fs.appendFileSync(store.layout.imageFile(img.digest, 'manifest.json'), ' ')
  report = await verifyStore(store)
  t.match(report.images[0]!.problems, [/^manifest\.json: sha256 is [0-9a-f]{12}…, not the image's digest$/, /^config\.json: sha256 is [0-9a-f]{12}…, image\.json says [0-9a-f]{12}…$/, 'image.sqfs: missing'])
  t.equal(report.images[0]!.squashfsBytes, null)
  // An image.json that does not parse: damaged, and its files still looked at.
  fs.writeFileSync(file(store, img.digest, 'image.json'), '{"manifestDigest": ')
  t.same((await verifyStore(store)).images[0]!.problems.slice(0, 1), ['image.json: not valid JSON'])
  fs.rmSync(file(store, img.digest, 'image.json'))
  report = await verifyStore(store)
  t.same(report.images[0]!.problems.slice(0, 1), ['image.json: missing'], 'a directory without its image.json is damaged')
  // Its ref is not dangling (the directory is there); its blobs are orphans, as prune, which takes only whole images for roots, sees them.
  t.same(report.summary, { images: 1, ok: 0, damaged: 1, dangling: 0, orphans: 3 })
})

t.test('an image.json without squashfs.sha256 (older lite): the size is checked, not the content', async (t) => {
  const { store, img } = await imported(t)
  const { sha256: _, ...squashfs } = img.record.squashfs
  const old: ImageRecord = { ...img.record, squashfs }
  fs.writeFileSync(file(store, img.digest, 'image.json'), JSON.stringify(old))
  const sqfs = file(store, img.digest, 'image.sqfs')
  const bytes = fs.readFileSync(sqfs)
  bytes[1]! ^= 0xff
  fs.writeFileSync(sqfs, bytes)
  let report = await verifyStore(store)
  t.same(report.images[0], { digest: img.digest, ok: true, blobs: 3, squashfsBytes: bytes.length, problems: [] })
  fs.appendFileSync(sqfs, 'x')
  report = await verifyStore(store)
  t.same(report.images[0]!.problems, [`image.sqfs: ${bytes.length + 1} bytes, image.json says ${bytes.length}`])
})

t.test('a ref to an image the store lacks is dangling, and fails the check', async (t) => {
  const { store, img } = await imported(t)
  const missing = sha('absent image')
  writeRef(store, 'gone:1', `${missing}\n`)
  writeRef(store, 'junk:1', 'not a digest\n')
  const report = await verifyStore(store)
  t.same(report.images.map((i) => i.ok), [true])
  t.match(report.dangling, [{ kind: 'ref', name: 'docker.io/library/gone:1', digest: missing, problem: `${missing} is not in the store` }, { kind: 'ref', name: 'docker.io/library/junk:1', digest: null, problem: /does not hold a sha256 digest/ }])
  t.ok(verifyFailed(report))
  t.same(verifyLines(report).slice(1, 2), [`dangling ref docker.io/library/gone:1: ${missing} is not in the store`])
  t.equal(verifyLines(report).at(-1), 'verified 1 images: 1 ok, 0 damaged; 2 dangling; 0 orphans')
  t.same((await verifyStore(store, ['example/app:1'])).images.map((i) => i.digest), [img.digest], 'IMAGES: only those are checked')
  await t.rejects(verifyStore(store, ['nope']), /no image nope in the store/)
})

t.test('a container record naming an image the store lacks is dangling, saying which of its images', async (t) => {
  const { store, img } = await imported(t)
  const missing = sha('absent image')
  const record = { current: img.digest, next: missing, previous: null, older: [], pinned: false, update: null, last: null }
  replaceContainerRecord(store.layout, 'web', record)
  replaceContainerRecord(store.layout, 'db', { ...record, current: missing, next: null })
  fs.writeFileSync(path.join(store.layout.containersDir, 'torn'), '{"cur')
  const report = await verifyStore(store)
  t.match(report.dangling, [
    { kind: 'container', name: 'db', digest: missing, problem: `its current image ${missing} is not in the store` },
    { kind: 'container', name: 'torn', digest: null, problem: /names no current image/ },
    { kind: 'container', name: 'web', digest: missing, problem: `its next image ${missing} is not in the store` },
  ])
  t.same(verifyLines(report)[1], `dangling container record db: its current image ${missing} is not in the store`)
  t.ok(verifyFailed(report))
})

t.test('orphans: an unnamed image, a stray blob, work in tmp/, a killed write\'s temp file; prune leaves none', async (t) => {
  const { store, img, add } = await imported(t)
  const unnamed = await add([], { other: 'o' })
  const stray = Buffer.from('stray blob')
  store.blobs.putBytes(sha(stray), stray)
  fs.mkdirSync(store.layout.staging(sha('a build')))
  fs.writeFileSync(path.join(store.layout.tmpDir, 'not-lites'), 'prune leaves it, so it is no orphan')
  const temp = path.join(path.dirname(store.refFile(parseReference('example/app:1'))), '.:1.123.tmp')
  fs.writeFileSync(temp, 'half')
  let report = await verifyStore(store)
  t.same(report.images.map((i) => i.ok), [true, true])
  t.same(report.orphans, [
    { kind: 'image', name: unnamed.digest },
    { kind: 'blob', name: sha(stray) },
    { kind: 'tmp', name: `tmp/staging-${sha('a build').slice(7)}` },
    { kind: 'temp', name: 'refs/docker.io/example/app/.:1.123.tmp' },
  ])
  t.notOk(verifyFailed(report), 'orphans alone pass')
  t.same(verifyLines(report).slice(-5), [
    `orphan image ${unnamed.digest}`,
    `orphan blob ${sha(stray)}`,
    `leftover tmp/staging-${sha('a build').slice(7)}`,
    'leftover refs/docker.io/example/app/.:1.123.tmp',
    'verified 2 images: 2 ok, 0 damaged; 0 dangling; 4 orphans (lite image prune removes them)',
  ])
  await store.prune()
  report = await verifyStore(store)
  t.same(report.summary, { images: 1, ok: 1, damaged: 0, dangling: 0, orphans: 0 })
  t.equal(report.images[0]!.digest, img.digest)
})

t.test('lite image verify through the CLI: lines, --json, exit 0, 1 and 125', async (t) => {
  const dir = t.testdir({})
  const run = await cliWithFakeAddon(t, dir)
  const store = path.join(dir, 'store')
  const empty = await run('image', 'verify', '--store', store)
  t.same(empty, { code: 0, stdout: 'verified 0 images: 0 ok, 0 damaged; 0 dangling; 0 orphans\n', stderr: '' })
  const tar = await writeTar(path.join(dir, 'save.tar'), dockerSave([await layer({ a: '1' })], ['cli/app:7']))
  t.equal((await run('image', 'import', tar, '--store', store, '-q')).code, 0)
  const ok = await run('image', 'verify', '--store', store)
  t.equal(ok.code, 0, ok.stderr)
  t.match(ok.stdout, /^ok sha256:[0-9a-f]{64} \(3 blobs, image\.sqfs \d+B\)\nverified 1 images: 1 ok, 0 damaged; 0 dangling; 0 orphans\n$/)
  const json = JSON.parse((await run('image', 'verify', 'cli/app:7', '--json', '--store', store)).stdout)
  t.match(json, { store, images: [{ ok: true, blobs: 3, problems: [] }], dangling: [], orphans: [], summary: { images: 1, ok: 1, damaged: 0, dangling: 0, orphans: 0 } })
  fs.writeFileSync(path.join(store, 'refs', 'docker.io', 'cli', 'app', ':8'), `${sha('absent')}\n`) // beside cli/app:7
  const dangling = await run('image', 'verify', '--store', store)
  t.equal(dangling.code, 1)
  t.match(dangling.stdout, `dangling ref docker.io/cli/app:8: ${sha('absent')} is not in the store\nverified 1 images: 1 ok, 0 damaged; 1 dangling; 0 orphans\n`)
  const missing = await run('image', 'verify', 'nope', '--store', store)
  t.equal(missing.code, 125)
  t.match(missing.stderr, /^lite: error: no image nope in the store /)
})
