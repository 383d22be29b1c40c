// lite image import on hand-made archives, the addon faked: docker save (20.10's and
// 25's layouts, gzipped), OCI layouts and OCI archives; bad archives store nothing.

import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import t, { type Test } from 'tap'
import { importImages } from '../../runtime/image/import/import.ts'
import { DEFAULT_IMAGE_SETTINGS, type ImageSettings } from '../../runtime/image/settings.ts'
import { ImageStore } from '../../runtime/image/store/store.ts'
import { packTar } from '../../runtime/rootfs-build/outputs/layer-tar.ts'
import { cliWithFakeAddon, dockerSave, fakeNative, layer, listTree, ociLayout, sha, writeDir, writeTar } from '../support/image-fakes.ts'

function newStore(t: Test) {
  const dir = t.testdir({})
  const native = fakeNative()
  const store = new ImageStore(path.join(dir, 'store'), native, { lockDir: path.join(dir, 'locks'), log: () => {} })
  const settings: ImageSettings = { ...DEFAULT_IMAGE_SETTINGS, store: store.root, registries: new Map() }
  const lines: string[] = []
  const run = (source: string, opts: { tag?: string; arch?: string } = {}) => importImages(store, native, settings, source, { ...opts, progress: (l) => lines.push(l) })
  return { dir, store, native, settings, run, lines }
}

/** The store holds nothing but empty dirs (tmp cleared). */
function assertEmpty(t: Test, store: ImageStore) {
  t.same(listTree(store.root), [], 'nothing stored')
}

t.test('a docker save archive (Docker 20.10): a synthesised schema 2 manifest, tagged from RepoTags', async (t) => {
  const { dir, store, native, run } = newStore(t)
  const layers = [await layer({ 'bin/sh': 'sh' }), await layer({ 'etc/x': 'x' })]
  const tar = await writeTar(path.join(dir, 'save.tar'), dockerSave(layers, ['example/app:1', 'example/app:latest']))
  const [img, ...more] = await run(tar)
  t.same(more, [])
  t.same(img!.references, ['docker.io/example/app:1', 'docker.io/example/app:latest'])
  const manifest = JSON.parse(fs.readFileSync(store.layout.imageFile(img!.manifestDigest, 'manifest.json'), 'utf8'))
  t.match(manifest, {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json' },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar', digest: l.diffId, size: l.tar.length })),
  })
  t.equal(sha(fs.readFileSync(store.layout.imageFile(img!.manifestDigest, 'manifest.json'))), img!.manifestDigest)
  t.same(native.calls.unpack.map((c) => c.compression), ['none', 'none'])
  t.equal(store.resolve('example/app:1')?.digest, img!.manifestDigest)
  t.ok(layers.every((l) => store.blobs.has(l.diffId)), 'the layers are blobs named by their diff_id')
  t.same(fs.readdirSync(store.layout.tmpDir), [], 'the work dir is gone')
  // The same archive again: nothing rebuilt.
  const [again] = await run(tar)
  t.equal(again!.built, false)
  t.equal(native.calls.squashfs, 1)
})

t.test('a gzipped docker save, and Docker 25\'s layout (layer.tar links into blobs/)', async (t) => {
  const { dir, store, run } = newStore(t)
  const l = await layer({ a: 'a' })
  const gz = await writeTar(path.join(dir, 'save.tar.gz'), dockerSave([l]), { gzip: true })
  t.equal((await run(gz))[0]!.references[0], 'docker.io/example/app:1')

  // Docker 25: blobs/sha256/<hex> files, manifest.json names them.
  const { store: s2, run: run2, dir: d2 } = newStore(t)
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [l.diffId] } }))
  const files: [string, Buffer][] = [
    [`blobs/sha256/${l.diffId.slice(7)}`, l.tar],
    [`blobs/sha256/${sha(config).slice(7)}`, config],
    ['manifest.json', Buffer.from(JSON.stringify([{ Config: `blobs/sha256/${sha(config).slice(7)}`, RepoTags: ['new:1'], Layers: [`blobs/sha256/${l.diffId.slice(7)}`] }]))],
  ]
  const [img] = await run2(await writeTar(path.join(d2, 'new.tar'), files))
  t.same(img!.references, ['docker.io/library/new:1'])
  t.ok(s2.hasImage(img!.manifestDigest))
  void store
})

t.test('a layer.tar that is a symlink to a blob (Docker 25 with its legacy layout)', async (t) => {
  const { dir, run } = newStore(t)
  const l = await layer({ a: 'a' })
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [l.diffId] } }))
  const mj = Buffer.from(JSON.stringify([{ Config: 'c.json', RepoTags: ['linked:1'], Layers: ['abc/layer.tar'] }]))
  const tar = await packTar([
    { header: { name: `blobs/sha256/${l.diffId.slice(7)}`, type: 'file', size: l.tar.length }, data: l.tar },
    { header: { name: 'abc/layer.tar', type: 'symlink', linkname: `../blobs/sha256/${l.diffId.slice(7)}` } },
    { header: { name: 'c.json', type: 'file', size: config.length }, data: config },
    { header: { name: 'manifest.json', type: 'file', size: mj.length }, data: mj },
  ])
  const file = path.join(dir, 'linked.tar')
  fs.writeFileSync(file, tar)
  t.same((await run(file))[0]!.references, ['docker.io/library/linked:1'])
})

t.test('an OCI layout directory: names from the annotations, or --tag', async (t) => {
  const { dir, store, native, run, lines } = newStore(t)
  const oci = ociLayout([await layer({ a: '1' }), await layer({ b: '2' })], { 'io.containerd.image.name': 'docker.io/lite/busybox:amd64', 'org.opencontainers.image.ref.name': 'amd64' })
  const layout = writeDir(path.join(dir, 'layout'), oci.files)
  const [img] = await run(layout)
  t.equal(img!.manifestDigest, oci.manifestDigest, 'the OCI manifest is kept as it is')
  t.same(img!.references, ['docker.io/lite/busybox:amd64'])
  t.same(native.calls.unpack.map((c) => c.compression), ['gzip', 'gzip'])
  t.ok(store.blobs.has(oci.manifestDigest) && store.blobs.has(oci.configDigest))

  // Only a bare tag: imported, unnamed, with a note; --tag names it.
  const bare = ociLayout([await layer({ c: '3' })], { 'org.opencontainers.image.ref.name': 'amd64' })
  const bareDir = writeDir(path.join(dir, 'bare'), bare.files)
  t.same((await run(bareDir))[0]!.references, [])
  t.match(lines.join('\n'), /has no name \(the archive names only the tag "amd64", without a repository\)/)
  t.same((await run(bareDir, { tag: 'registry.local/x/y:2' }))[0]!.references, ['registry.local/x/y:2'])
  t.equal(store.resolve('registry.local/x/y:2')?.digest, bare.manifestDigest)
})

t.test('an OCI archive: a tar of a layout, with ./ names, gzipped or not', async (t) => {
  const { dir, run } = newStore(t)
  const oci = ociLayout([await layer({ a: '1' })], { 'org.opencontainers.image.ref.name': 'example.com/a/b:c' })
  const entries: [string, Buffer][] = [...oci.files].map(([n, d]) => [`./${n}`, d])
  t.same((await run(await writeTar(path.join(dir, 'oci.tar'), entries)))[0]!.references, ['example.com/a/b:c'])
  t.same((await run(await writeTar(path.join(dir, 'oci.tgz'), entries, { gzip: true })))[0]!.built, false)
})

t.test('a multi-platform index: the host\'s platform, or --arch', async (t) => {
  const { dir, store, run } = newStore(t)
  const amd = ociLayout([await layer({ a: 'amd' })], {}, 'amd64')
  const arm = ociLayout([await layer({ a: 'arm' })], {}, 'arm64')
  const files = new Map([...amd.files, ...arm.files])
  const idx = (o: typeof amd, arch: string) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: o.manifestDigest, size: o.files.get(`blobs/sha256/${o.manifestDigest.slice(7)}`)!.length, platform: { architecture: arch, os: 'linux' } })
  const inner = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [idx(amd, 'amd64'), idx(arm, 'arm64')] }))
  files.set(`blobs/sha256/${sha(inner).slice(7)}`, inner)
  files.set('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: sha(inner), size: inner.length, annotations: { 'io.containerd.image.name': 'multi:1' } }] })))
  const layout = writeDir(path.join(dir, 'multi'), files)
  const [img] = await run(layout, { arch: 'arm64' })
  t.equal(img!.manifestDigest, arm.manifestDigest)
  t.equal(store.imageRecord(arm.manifestDigest)!.indexDigest, sha(inner))
  t.ok(store.blobs.has(sha(inner)), 'the index blob is kept (prune reaches it through the image)')
  await t.rejects(run(layout, { arch: 's390x' }), /has no linux\/s390x image \(it has: linux\/amd64, linux\/arm64\)/)
})

// ------------------------------------------------------------------ bad archives

async function rejects(t: Test, env: ReturnType<typeof newStore>, source: string, pattern: RegExp) {
  await t.rejects(env.run(source), pattern)
  assertEmpty(t, env.store)
}

t.test('a blob whose content does not match its name: refused, nothing stored', async (t) => {
  const env = newStore(t)
  const oci = ociLayout([await layer({ a: '1' })], { 'io.containerd.image.name': 'x:1' })
  const layerName = `blobs/sha256/${oci.layerDigests[0]!.slice(7)}`
  oci.files.set(layerName, gzipSync(Buffer.from('tampered')))
  await rejects(t, env, writeDir(path.join(env.dir, 'bad'), oci.files), /digest mismatch/)
  await rejects(t, env, await writeTar(path.join(env.dir, 'bad.tar'), oci.files), /digest mismatch/)
})

t.test('a docker save layer that is not its diff_id: refused, nothing stored', async (t) => {
  const env = newStore(t)
  const files = dockerSave([await layer({ a: '1' })])
  const name = [...files.keys()].find((n) => n.endsWith('layer.tar'))!
  files.set(name, (await layer({ a: 'changed' })).tar)
  await rejects(t, env, await writeTar(path.join(env.dir, 'bad.tar'), files), /digest mismatch: it hashes to .* but the config's diff_id 1 is/)
})

t.test('names that leave the archive: refused', async (t) => {
  const env = newStore(t)
  const files = dockerSave([await layer({ a: '1' })])
  for (const bad of ['../escape', 'a/../../b', '/etc/passwd']) {
    await rejects(t, env, await writeTar(path.join(env.dir, 'bad.tar'), [...files, [bad, Buffer.from('x')]]), /the archive is refused/)
  }
  // A link pointing out of the archive.
  const linkTar = await packTar([{ header: { name: 'x/layer.tar', type: 'symlink', linkname: '../../../etc/shadow' } }])
  fs.writeFileSync(path.join(env.dir, 'link.tar'), linkTar)
  await rejects(t, env, path.join(env.dir, 'link.tar'), /points outside the archive/)
  // A layout dir whose blob is a symlink out of it.
  const oci = ociLayout([await layer({ a: '1' })])
  const dir = writeDir(path.join(env.dir, 'lnk'), oci.files)
  const cfg = path.join(dir, `blobs/sha256/${oci.configDigest.slice(7)}`)
  fs.rmSync(cfg)
  fs.symlinkSync('/etc/hostname', cfg)
  await rejects(t, env, dir, /leads outside the directory/)
})

t.test('an oversized manifest.json or index.json: refused', async (t) => {
  const env = newStore(t)
  const files = dockerSave([await layer({ a: '1' })])
  files.set('manifest.json', Buffer.from(`[${' '.repeat(5 << 20)}]`))
  await rejects(t, env, await writeTar(path.join(env.dir, 'big.tar'), files), /big.tar: manifest.json is \d+ bytes, more than the 4194304 allowed/)
  const oci = ociLayout([await layer({ a: '1' })])
  oci.files.set('index.json', Buffer.from(`{"schemaVersion":2,"manifests":[]${' '.repeat(5 << 20)}}`))
  await rejects(t, env, writeDir(path.join(env.dir, 'bigdir'), oci.files), /bigdir: index.json is \d+ bytes, more than the 4194304 allowed/)
})

t.test('a missing blob, a missing layer, no manifest at all: refused', async (t) => {
  const env = newStore(t)
  const oci = ociLayout([await layer({ a: '1' })])
  oci.files.delete(`blobs/sha256/${oci.layerDigests[0]!.slice(7)}`)
  await rejects(t, env, await writeTar(path.join(env.dir, 'nolayer.tar'), oci.files), /layer 1 of sha256:[0-9a-f]+ sha256:[0-9a-f]+ is not in the archive/)
  const files = dockerSave([await layer({ a: '1' })])
  files.delete([...files.keys()].find((n) => n.endsWith('layer.tar'))!)
  await rejects(t, env, await writeTar(path.join(env.dir, 'nolayer2.tar'), files), /its layer .*layer.tar is not in the archive/)
  await rejects(t, env, await writeTar(path.join(env.dir, 'empty.tar'), [['hello', Buffer.from('x')]]), /neither a docker save archive nor an OCI layout/)
  fs.writeFileSync(path.join(env.dir, 'junk.tar'), Buffer.alloc(1500, 7))
  await rejects(t, env, path.join(env.dir, 'junk.tar'), /not a readable tar archive|neither/)
  await t.rejects(env.run(path.join(env.dir, 'absent.tar')), /cannot import .*absent.tar: no such file or directory/)
  // A schema 1 manifest.
  const s1 = ociLayout([await layer({ a: '1' })])
  const m = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', fsLayers: [] }))
  s1.files.set(`blobs/sha256/${sha(m).slice(7)}`, m)
  s1.files.set('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(m), size: m.length }] })))
  await rejects(t, env, writeDir(path.join(env.dir, 's1'), s1.files), /schema 1/)
})

t.test('a layer that unpacks to another diff_id: the blobs this import brought go again', async (t) => {
  const env = newStore(t)
  const oci = ociLayout([await layer({ a: '1' })], { 'io.containerd.image.name': 'x:1' })
  const cfgName = `blobs/sha256/${oci.configDigest.slice(7)}`
  // A config whose diff_id is wrong, with the manifest rewritten to match that config.
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha('other')] } }))
  oci.files.delete(cfgName)
  oci.files.set(`blobs/sha256/${sha(config).slice(7)}`, config)
  const mName = `blobs/sha256/${oci.manifestDigest.slice(7)}`
  const manifest = JSON.parse(oci.files.get(mName)!.toString())
  manifest.config = { ...manifest.config, digest: sha(config), size: config.length }
  const mBytes = Buffer.from(JSON.stringify(manifest))
  oci.files.delete(mName)
  oci.files.set(`blobs/sha256/${sha(mBytes).slice(7)}`, mBytes)
  oci.files.set('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: manifest.mediaType, digest: sha(mBytes), size: mBytes.length }] })))
  await rejects(t, env, writeDir(path.join(env.dir, 'diff'), oci.files), /unpacks to sha256:.*but the image config says/)
})

t.test('an empty layer file: refused as not the diff_id, not a crash', async (t) => {
  const env = newStore(t)
  const files = dockerSave([await layer({ a: '1' })])
  files.set([...files.keys()].find((n) => n.endsWith('layer.tar'))!, Buffer.alloc(0))
  await rejects(t, env, await writeTar(path.join(env.dir, 'empty-layer.tar'), files), /digest mismatch/)
})

t.test('a layer over 4 MiB is copied to the work dir while hashed, then renamed into blobs/', async (t) => {
  const { dir, store, run } = newStore(t)
  const big = await layer({ big: 'x'.repeat(5 << 20) })
  const [img] = await run(await writeTar(path.join(dir, 'big.tar'), dockerSave([big])))
  t.ok(store.blobs.has(big.diffId))
  t.equal(fs.statSync(store.blobs.path(big.diffId)).size, big.tar.length)
  t.ok(store.hasImage(img!.manifestDigest))
  t.same(fs.readdirSync(store.layout.tmpDir), [])
})

t.test('a FIFO or a device node as a blob of a layout directory: refused at once, no hang', async (t) => {
  const env = newStore(t)
  const oci = ociLayout([await layer({ a: '1' })], { 'io.containerd.image.name': 'x:1' })
  for (const [kind, digest] of [['fifo', oci.manifestDigest], ['zero', oci.layerDigests[0]!]] as const) {
    const dir = writeDir(path.join(env.dir, kind), oci.files)
    const blob = path.join(dir, 'blobs/sha256', digest.slice(7))
    fs.rmSync(blob)
    // No writer ever opens the FIFO: a blocking open would hang the import for good.
    const made = kind === 'fifo' ? spawnSync('mkfifo', [blob]) : spawnSync('mknod', [blob, 'c', '1', '5'])
    if (made.status !== 0) {
      t.comment(`${kind}: cannot make the node (${made.stderr})`)
      continue
    }
    const started = Date.now()
    await rejects(t, env, dir, /is not a regular file/)
    t.ok(Date.now() - started < 10_000, `${kind}: refused without waiting`)
  }
})

t.test('an archive file over max_layer_size: refused before it is copied (gzip bomb, sparse file)', async (t) => {
  const env = newStore(t)
  env.settings.maxLayerBytes = 1 << 20
  // 40 MiB of zeros: a 40 KiB gzipped docker save, over the 1 MiB (+ slack) a layer may be.
  const bomb = await layer({ zeros: '\0'.repeat(40 << 20) })
  await rejects(t, env, await writeTar(path.join(env.dir, 'bomb.tar.gz'), dockerSave([bomb]), { gzip: true }), /more than a layer may be \(max_layer_size/)
  t.same(fs.readdirSync(env.store.layout.tmpDir), [], 'the work dir is gone')
  // A layout directory whose layer blob is a sparse file claiming 1 TiB.
  const oci = ociLayout([await layer({ a: '1' })], { 'io.containerd.image.name': 'x:1' })
  const dir = writeDir(path.join(env.dir, 'sparse'), oci.files)
  fs.truncateSync(path.join(dir, 'blobs/sha256', oci.layerDigests[0]!.slice(7)), 2 ** 40)
  const started = Date.now()
  await rejects(t, env, dir, /more than a layer may be \(max_layer_size/)
  t.ok(Date.now() - started < 10_000, 'refused without reading it')
})

t.test('a layer the addon refuses: one "lite: error:" line naming the layer, not an uncaught Error', async (t) => {
  const { LiteError } = await import('../../runtime/errors.ts')
  for (const code of ['LayerRefused', 'LayerCorrupt', 'LayerTooLarge', 'Os']) {
    const env = newStore(t)
    env.native.unpackLayer = async () => {
      throw Object.assign(new Error('layer entry "../x": the path leaves the image'), { code })
    }
    const l = await layer({ a: '1' })
    const tar = await writeTar(path.join(env.dir, `${code}.tar`), dockerSave([l]))
    const err = await env.run(tar).then(() => undefined, (e: unknown) => e)
    t.ok(err instanceof LiteError, `${code}: a LiteError`)
    t.match((err as Error).message, new RegExp(`^layer 1 of sha256:[0-9a-f]{64} \\(${l.diffId}\\): layer entry "\\.\\./x": the path leaves the image$`), code)
    assertEmpty(t, env.store)
  }
})

t.test('a name whose digest is another image\'s: refused, the other image stays what its digest names', async (t) => {
  const env = newStore(t)
  const [victim] = await env.run(await writeTar(path.join(env.dir, 'victim.tar'), dockerSave([await layer({ good: '1' })], ['victim/app:1'])))
  const forged = `victim/app@${victim!.manifestDigest}`
  const evil = dockerSave([await layer({ evil: '1' })], [forged])
  await t.rejects(env.run(await writeTar(path.join(env.dir, 'evil.tar'), evil)), /is named docker.io\/victim\/app@sha256:[0-9a-f]{64}, whose digest is not its own; the archive is refused/)
  const oci = ociLayout([await layer({ evil: '2' })], { 'io.containerd.image.name': `docker.io/victim/app:1@${victim!.manifestDigest}` })
  await t.rejects(env.run(writeDir(path.join(env.dir, 'evil-oci'), oci.files)), /whose digest is not its own/)
  t.equal(env.store.resolve(forged)?.digest, victim!.manifestDigest, 'the digest still names the victim')
  t.equal(env.store.resolve('victim/app:1')?.digest, victim!.manifestDigest, 'and so does its tag')
  t.same(env.store.listImages(), [victim!.manifestDigest], 'nothing else stored')
  // Its own digest is a fine name.
  const own = ociLayout([await layer({ own: '1' })])
  const withOwn = ociLayout([await layer({ own: '1' })], { 'io.containerd.image.name': `docker.io/x/own@${own.manifestDigest}` })
  const [img] = await env.run(writeDir(path.join(env.dir, 'own'), withOwn.files))
  t.equal(img!.manifestDigest, own.manifestDigest)
  t.equal(env.store.resolve(`x/own@${own.manifestDigest}`)?.digest, own.manifestDigest)
})

t.test('--tag with several images is refused', async (t) => {
  const env = newStore(t)
  const a = dockerSave([await layer({ a: '1' })], ['a:1'])
  const b = dockerSave([await layer({ b: '2' })], ['b:1'])
  const merged = new Map([...a, ...b])
  merged.set('manifest.json', Buffer.from(JSON.stringify([...JSON.parse(a.get('manifest.json')!.toString()), ...JSON.parse(b.get('manifest.json')!.toString())])))
  const tar = await writeTar(path.join(env.dir, 'two.tar'), merged)
  await t.rejects(env.run(tar, { tag: 'x:1' }), /holds 2 images; --tag names one/)
  const two = await env.run(tar)
  t.same(two.map((i) => i.references), [['docker.io/library/a:1'], ['docker.io/library/b:1']])
})

t.test('lite image import and ls through the CLI (addon mocked)', async (t) => {
  const dir = t.testdir({})
  const run = await cliWithFakeAddon(t, dir)
  const tar = await writeTar(path.join(dir, 'save.tar'), dockerSave([await layer({ a: '1' })], ['cli/app:7']))
  const store = path.join(dir, 'store')
  const imp = await run('image', 'import', tar, '--store', store, '-q')
  t.equal(imp.code, 0, imp.stderr)
  t.match(imp.stdout, /^sha256:[0-9a-f]{64} docker.io\/cli\/app:7\n$/)
  const ls = await run('image', 'ls', '--store', store)
  t.match(ls.stdout, /^REPOSITORY\s+TAG\s+DIGEST\s+SIZE\s+CREATED\ncli\/app\s+7\s+[0-9a-f]{12}\s+\S+\s+\S+/)
  const json = JSON.parse((await run('image', 'ls', '--json', '--store', store)).stdout)
  t.match(json, [{ repository: 'docker.io/cli/app', tag: '7', reference: 'docker.io/cli/app:7', architecture: 'amd64', containers: [] }])
  const insp = JSON.parse((await run('image', 'inspect', 'cli/app:7', '--store', store)).stdout)
  t.match(insp, { digest: json[0].digest, references: ['docker.io/cli/app:7'], containers: [], config: { architecture: 'amd64' } })
  const bad = await run('image', 'import', path.join(dir, 'absent.tar'), '--store', store)
  t.equal(bad.code, 125)
  t.match(bad.stderr, /^lite: error: cannot import .*absent.tar: no such file or directory\n$/)
  const missing = await run('image', 'inspect', 'nope', '--store', store)
  t.equal(missing.code, 125)
  t.match(missing.stderr, /lite: error: no image nope in the store/)
  const rm = await run('image', 'rm', 'cli/app:7', '--store', store)
  t.equal(rm.code, 0, rm.stderr)
  t.match(rm.stdout, /untagged docker.io\/cli\/app:7\ndeleted sha256:/)
  const prune = await run('image', 'prune', '--store', store)
  t.match(prune.stdout, /freed /)
})
