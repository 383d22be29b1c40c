import t from 'tap'
import {
  MANIFEST_ACCEPT,
  MAX_MANIFEST_BYTES,
  checkConfigMatchesManifest,
  checkImageManifest,
  layerCompression,
  parseImageConfigBytes,
  parseManifestBytes,
} from '../../runtime/image/manifest.ts'
import { MEDIA } from '../../runtime/image/types.ts'

const D1 = 'sha256:' + '1'.repeat(64)
const D2 = 'sha256:' + '2'.repeat(64)
const D3 = 'sha256:' + '3'.repeat(64)
const bytes = (v: unknown) => Buffer.from(JSON.stringify(v))
const manifest = (extra: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  mediaType: MEDIA.ociManifest,
  config: { mediaType: MEDIA.ociConfig, digest: D1, size: 10 },
  layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D2, size: 20 }],
  ...extra,
})
const SCHEMA1 = 'docker.io/library/old:1 is a Docker schema 1 manifest, which lite does not support; push it again with a current docker or skopeo'

t.test('the Accept header lists the four types lite reads', async (t) => {
  t.equal(MANIFEST_ACCEPT, `${MEDIA.ociManifest}, ${MEDIA.ociIndex}, ${MEDIA.dockerManifest}, ${MEDIA.dockerList}`)
})

t.test('schema 1 is refused, however it shows itself', async (t) => {
  const s1 = { schemaVersion: 1, name: 'library/old', tag: '1', fsLayers: [], history: [], signatures: [] }
  t.throws(() => parseManifestBytes(bytes(s1), 'docker.io/library/old:1', 'application/json'), { message: SCHEMA1, exitCode: 125 })
  t.throws(() => parseManifestBytes(bytes(s1), 'docker.io/library/old:1', MEDIA.dockerSchema1Signed), { message: SCHEMA1 })
  t.throws(() => parseManifestBytes(Buffer.from('not even json'), 'docker.io/library/old:1', `${MEDIA.dockerSchema1}; charset=utf-8`), { message: SCHEMA1 })
  t.throws(() => parseManifestBytes(bytes({ ...manifest(), mediaType: MEDIA.dockerSchema1Signed }), 'docker.io/library/old:1'), { message: SCHEMA1 })
})

t.test('manifests and indexes, by media type or by shape', async (t) => {
  const m = parseManifestBytes(bytes(manifest()), 'x')
  t.equal(m.kind, 'manifest')
  t.equal(m.mediaType, MEDIA.ociManifest)
  const noType = manifest()
  delete (noType as Record<string, unknown>).mediaType
  const byHeader = parseManifestBytes(bytes(noType), 'x', `${MEDIA.dockerManifest}`)
  t.same([byHeader.kind, byHeader.mediaType], ['manifest', MEDIA.dockerManifest])
  t.equal(parseManifestBytes(bytes(noType), 'x', 'application/octet-stream').kind, 'manifest', 'by shape')
  const list = { schemaVersion: 2, mediaType: MEDIA.dockerList, manifests: [{ mediaType: MEDIA.dockerManifest, digest: D3, size: 5, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } }] }
  const i = parseManifestBytes(bytes(list), 'x')
  t.equal(i.kind, 'index')
  if (i.kind === 'index') t.same(i.index.manifests[0]!.platform, { architecture: 'arm64', os: 'linux', variant: 'v8' })
  t.equal(parseManifestBytes(bytes({ schemaVersion: 2, manifests: [] }), 'x').kind, 'index')
  t.throws(() => parseManifestBytes(bytes({ schemaVersion: 2, mediaType: 'application/vnd.cncf.helm.config.v1+json' }), 'x'), {
    message: 'x is neither an image manifest nor an image index (media type "application/vnd.cncf.helm.config.v1+json")',
  })
})

t.test('every field is shape-checked', async (t) => {
  const bad: [unknown, string | RegExp][] = [
    [[], 'x is not a JSON object'],
    [{ ...manifest(), schemaVersion: 3 }, 'x: schemaVersion is 3, not 2'],
    [{ ...manifest(), layers: {} }, 'x: layers is not a list'],
    [{ ...manifest(), config: null }, 'x: config is not an object'],
    [{ ...manifest(), config: { mediaType: MEDIA.ociConfig, digest: D1, size: -1 } }, 'x: config.size is not a whole number of bytes'],
    [{ ...manifest(), config: { mediaType: MEDIA.ociConfig, digest: D1, size: 1.5 } }, 'x: config.size is not a whole number of bytes'],
    [{ ...manifest(), config: { mediaType: MEDIA.ociConfig, digest: D1, size: '10' } }, 'x: config.size is not a whole number of bytes'],
    [{ ...manifest(), config: { mediaType: MEDIA.ociConfig, digest: 'sha256:../../etc', size: 1 } }, 'x: config.digest "sha256:../../etc" is not a sha256 digest'],
    [{ ...manifest(), config: { mediaType: MEDIA.ociConfig, digest: 'sha512:' + 'a'.repeat(128), size: 1 } }, /config\.digest "sha512:a+": only sha256 digests are supported/],
    [{ ...manifest(), config: { mediaType: 7, digest: D1, size: 1 } }, 'x: config.mediaType is not a string'],
    [{ ...manifest(), config: { mediaType: 'not a type', digest: D1, size: 1 } }, 'x: config.mediaType "not a type" is not a media type'],
    [{ ...manifest(), layers: [{ mediaType: MEDIA.ociConfig, digest: D1, size: 1, urls: 'x' }] }, 'x: layers[0].urls is not a list'],
    [{ ...manifest(), layers: [{ mediaType: MEDIA.ociConfig, digest: D1, size: 1, annotations: { a: 1 } }] }, 'x: layers[0].annotations."a" is not a string'],
    [{ ...manifest(), layers: Array(501).fill(manifest().layers[0]) }, 'x has 501 layers, more than the 500 lite takes'],
    [{ schemaVersion: 2, manifests: [{ mediaType: MEDIA.ociManifest, digest: D1, size: 1, platform: { os: 'linux' } }] }, 'x: manifests[0].platform.architecture is not a string'],
    [{ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: 'x' }, 'x: manifests is not a list'],
  ]
  for (const [v, message] of bad) t.throws(() => parseManifestBytes(bytes(v), 'x'), { message }, JSON.stringify(message))
  t.throws(() => parseManifestBytes(Buffer.from([0xff, 0xfe, 0x7b]), 'x'), { message: 'x is not UTF-8 text' })
  t.throws(() => parseManifestBytes(Buffer.from('{"a":'), 'x'), { message: /^x is not valid JSON/ })
  t.throws(() => parseManifestBytes(Buffer.alloc(MAX_MANIFEST_BYTES + 1, 32), 'x'), { message: `x is ${MAX_MANIFEST_BYTES + 1} bytes, more than the ${MAX_MANIFEST_BYTES} allowed` })
})

t.test('what lite can build: image configs, tar layers, no foreign layers', async (t) => {
  const ok = parseManifestBytes(bytes(manifest()), 'x')
  if (ok.kind === 'manifest') checkImageManifest(ok.manifest, 'x')
  const parse = (extra: Record<string, unknown>) => {
    const p = parseManifestBytes(bytes(manifest(extra)), 'x')
    if (p.kind !== 'manifest') throw new Error('not a manifest')
    return p.manifest
  }
  t.throws(() => checkImageManifest(parse({ config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: D1, size: 1 } }), 'x'), {
    message: 'x is not a container image: its config is "application/vnd.cncf.helm.config.v1+json"',
  })
  t.throws(() => checkImageManifest(parse({ layers: [{ mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: D2, size: 1, urls: ['https://x'] }] }), 'x'), {
    message: 'x: layer 1 is a foreign layer (application/vnd.docker.image.rootfs.foreign.diff.tar.gzip), which registries do not serve and lite does not fetch',
  })
  t.throws(() => checkImageManifest(parse({ layers: [{ mediaType: 'application/octet-stream', digest: D2, size: 1 }] }), 'x'), {
    message: 'x: layer 1 has the media type "application/octet-stream", which is not a tar layer lite can unpack',
  })
  t.equal(layerCompression('application/vnd.oci.image.layer.v1.tar+zstd'), 'zstd')
  t.equal(layerCompression('application/vnd.docker.image.rootfs.diff.tar.gzip'), 'gzip')
  t.equal(layerCompression('application/vnd.oci.image.layer.v1.tar'), 'none')
  t.equal(layerCompression('text/plain'), undefined)
})

t.test('image configs', async (t) => {
  const config = {
    architecture: 'arm64',
    os: 'linux',
    variant: 'v8',
    config: { Env: ['PATH=/bin'], Entrypoint: null, Cmd: ['python3'], WorkingDir: '/app', User: 'app', StopSignal: 'SIGINT', ExposedPorts: { '80/tcp': {} }, Labels: null, Volumes: { '/x': {} } },
    rootfs: { type: 'layers', diff_ids: [D1] },
    history: [{ created_by: 'x' }],
  }
  t.same(parseImageConfigBytes(bytes(config), 'c'), {
    architecture: 'arm64',
    os: 'linux',
    variant: 'v8',
    rootfs: { type: 'layers', diff_ids: [D1] },
    config: { Env: ['PATH=/bin'], Entrypoint: null, Cmd: ['python3'], WorkingDir: '/app', User: 'app', StopSignal: 'SIGINT', ExposedPorts: { '80/tcp': {} } },
  })
  t.same(parseImageConfigBytes(bytes({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }), 'c'), {
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [] },
  })
  const bad: [unknown, string][] = [
    [{ ...config, architecture: 1 }, 'c: architecture is not a string'],
    [{ ...config, config: { Env: 'PATH=/bin' } }, 'c: config.Env is not a list'],
    [{ ...config, config: { Cmd: [1] } }, 'c: config.Cmd[0] is not a string'],
    [{ ...config, config: { User: 0 } }, 'c: config.User is not a string'],
    [{ ...config, config: { ExposedPorts: [] } }, 'c: config.ExposedPorts is not an object'],
    [{ ...config, rootfs: { type: 'layers' } }, 'c: rootfs.diff_ids is not a list'],
    [{ ...config, rootfs: { type: 'x', diff_ids: [] } }, 'c: rootfs.type is "x", not "layers"'],
    [{ ...config, rootfs: { type: 'layers', diff_ids: ['nope'] } }, 'c: rootfs.diff_ids[0] "nope" is not a sha256 digest'],
  ]
  for (const [v, message] of bad) t.throws(() => parseImageConfigBytes(bytes(v), 'c'), { message }, message)
  const m = parseManifestBytes(bytes(manifest()), 'x')
  if (m.kind === 'manifest') {
    t.throws(() => checkConfigMatchesManifest(m.manifest, parseImageConfigBytes(bytes({ ...config, rootfs: { type: 'layers', diff_ids: [D1, D2] } }), 'c'), 'x'), {
      message: 'x: the manifest has 1 layers but the config lists 2 diff_ids',
    })
  }
})
