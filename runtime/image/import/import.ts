// lite image import FILE|DIR: docker save archives (manifest.json, layer tars, maybe
// blobs/sha256/ as Docker 25 writes), OCI archives (a tar of an OCI layout) and OCI
// layout directories (index.json + blobs), including what `lite rootfs build` writes.
//
// The whole archive is checked before anything enters the store: every manifest and
// config parsed, every blob present with its digest and size, every name valid. Only
// then are the blobs renamed into blobs/, the images built (build.ts) and the refs set.
// A docker save layer is an uncompressed tar whose sha256 is its diff_id, so its image
// gets a synthesised Docker schema 2 manifest, with the layers' media type
// application/vnd.docker.image.rootfs.diff.tar (or .gzip/.zstd when a tool compressed them).

import fs from 'node:fs'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { LiteError } from '../../errors.ts'
import { buildImage, type BuildOptions } from '../build.ts'
import type { ImageNative } from '../native-image.ts'
import { parseReference } from '../reference.ts'
import { maxLayerBlobBytes, type ImageSettings } from '../settings.ts'
import { renameDurable } from '../store/atomic-file.ts'
import { sha256Digest } from '../store/blobs.ts'
import { digestHex } from '../store/layout.ts'
import { tryLock } from '../store/locks.ts'
import { isIndexType, parseConfig, parseIndex, parseManifest } from '../store/shapes.ts'
import type { ImageStore } from '../store/store.ts'
import { MEDIA, type Descriptor, type ImageReference } from '../types.ts'
import { DirSource, TarSource, type ArchiveSource, type StagedFile } from './source.ts'

export interface ImportOptions {
  /** Names the image (replacing the archive's names); the archive must hold one image. */
  tag?: string
  /** The platform to take from a multi-platform index (default: this host's). */
  arch?: string
  /** Progress lines and notes (stderr by default). */
  progress?: (line: string) => void
  squashfs?: BuildOptions['squashfs']
}

export interface ImportedImage {
  manifestDigest: string
  /** The refs now pointing at it (canonical form). */
  references: string[]
  /** false when the store had it already. */
  built: boolean
}

/** One image of an archive, checked and ready to enter the store. */
interface Planned {
  manifestDigest: string
  manifestBytes: Buffer
  indexDigest?: string
  /** config, layers and any index blob, staged. */
  blobs: StagedFile[]
  names: ImageReference[]
  /** Why it has no name, for the note. */
  unnamedWhy?: string
}

const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar'
const REF_NAME = 'org.opencontainers.image.ref.name'
const CONTAINERD_NAME = 'io.containerd.image.name'
const MAX_IMAGES = 1000

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function hostArch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch === 'arm64' ? 'arm64' : process.arch
}

function blobName(digest: string): string {
  return `blobs/sha256/${digestHex(digest)}`
}

async function blob(src: ArchiveSource, d: Descriptor, what: string): Promise<StagedFile> {
  const f = await src.get(blobName(d.digest))
  if (!f) throw new LiteError(`${src.label}: ${what} ${d.digest} is not in the archive`)
  if (f.digest && f.digest !== d.digest) throw new LiteError(`${src.label}: ${what} ${d.digest}: digest mismatch: its content hashes to ${f.digest}`)
  if (f.size !== d.size) throw new LiteError(`${src.label}: ${what} ${d.digest} is ${f.size} bytes, but its descriptor says ${d.size}`)
  return f
}

function namesFromAnnotations(d: Descriptor): { names: ImageReference[]; why?: string } {
  const a = d.annotations ?? {}
  const full = a[CONTAINERD_NAME]
  if (full) return { names: [parseReference(full)] }
  const ref = a[REF_NAME]
  if (!ref) return { names: [], why: 'the archive gives it no name' }
  if (/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(ref) && !ref.includes('/')) {
    return { names: [], why: `the archive names only the tag ${JSON.stringify(ref)}, without a repository` }
  }
  return { names: [parseReference(ref)] }
}

function choosePlatform(src: ArchiveSource, index: ReturnType<typeof parseIndex>, arch: string, what: string): Descriptor {
  const fits = index.manifests.filter((m) => !isIndexType(m.mediaType) && m.platform?.os === 'linux' && m.platform.architecture === arch)
  if (fits.length === 0) {
    const have = index.manifests.map((m) => (m.platform ? `${m.platform.os}/${m.platform.architecture}${m.platform.variant ? `/${m.platform.variant}` : ''}` : 'unknown')).join(', ')
    throw new LiteError(`${src.label}: ${what} has no linux/${arch} image (it has: ${have || 'none'}); give --arch`)
  }
  return fits.find((m) => arch !== 'arm64' || !m.platform?.variant || m.platform.variant === 'v8') ?? fits[0]!
}

/** The images of an OCI layout: index.json's manifests (an inner index: the host's platform). */
async function planOci(src: ArchiveSource, options: ImportOptions): Promise<Planned[]> {
  const indexBytes = await src.get('index.json')
  const index = parseIndex(src.bytes(indexBytes!, 'index.json'), `${src.label}: index.json`)
  const arch = options.arch ?? hostArch()
  const plans = new Map<string, Planned>()
  for (const [i, top] of index.manifests.entries()) {
    let d = top
    const extra: StagedFile[] = []
    let indexDigest: string | undefined
    if (isIndexType(top.mediaType)) {
      const inner = await blob(src, top, 'the index')
      extra.push(inner)
      indexDigest = top.digest
      d = choosePlatform(src, parseIndex(src.bytes(inner, 'an index'), `${src.label}: index ${top.digest}`), arch, `the index ${top.digest}`)
    } else if (top.mediaType !== MEDIA.ociManifest && top.mediaType !== MEDIA.dockerManifest) {
      continue // an artifact, not an image
    } else if (top.platform && top.platform.architecture !== arch && index.manifests.length > 1 && index.manifests.some((m) => m.platform?.architecture === arch)) {
      continue // a multi-platform layout without an inner index: this host's platform only
    }
    const { names, why } = namesFromAnnotations(top)
    const known = plans.get(d.digest)
    if (known) {
      known.names.push(...names)
      continue
    }
    const mf = await blob(src, d, `manifest ${i + 1}`)
    const manifestBytes = src.bytes(mf, `manifest ${d.digest}`)
    const manifest = parseManifest(manifestBytes, `${src.label}: manifest ${d.digest}`)
    const cf = await blob(src, manifest.config, 'the config')
    const config = parseConfig(src.bytes(cf, 'the config'), `${src.label}: config ${manifest.config.digest}`)
    if (config.rootfs.diff_ids.length !== manifest.layers.length) {
      throw new LiteError(`${src.label}: manifest ${d.digest} has ${manifest.layers.length} layers but its config lists ${config.rootfs.diff_ids.length} diff_ids`)
    }
    const layers: StagedFile[] = []
    for (const [j, l] of manifest.layers.entries()) layers.push(await blob(src, l, `layer ${j + 1} of ${d.digest}`))
    plans.set(d.digest, { manifestDigest: d.digest, manifestBytes, indexDigest, blobs: [...extra, cf, ...layers], names, unnamedWhy: why })
    if (plans.size > MAX_IMAGES) throw new LiteError(`${src.label}: more than ${MAX_IMAGES} images`)
  }
  if (plans.size === 0) throw new LiteError(`${src.label}: index.json lists no image manifest`)
  return [...plans.values()]
}

function layerMediaType(f: StagedFile): string {
  if (f.magic[0] === 0x1f && f.magic[1] === 0x8b) return `${DOCKER_LAYER}.gzip`
  if (f.magic.length >= 4 && f.magic.readUInt32LE(0) === 0xfd2fb528) return `${DOCKER_LAYER}.zstd`
  return DOCKER_LAYER
}

/** The images of a docker save: manifest.json's entries, each given a schema 2 manifest. */
async function planDocker(src: ArchiveSource): Promise<Planned[]> {
  const list = await src.json('manifest.json', 'manifest.json')
  if (!Array.isArray(list) || list.length === 0) throw new LiteError(`${src.label}: manifest.json is not a list of images`)
  if (list.length > MAX_IMAGES) throw new LiteError(`${src.label}: more than ${MAX_IMAGES} images`)
  const plans = new Map<string, Planned>()
  for (const [i, entry] of list.entries()) {
    const what = `image ${i + 1} of manifest.json`
    if (!isObject(entry) || typeof entry.Config !== 'string' || !Array.isArray(entry.Layers) || entry.Layers.some((l) => typeof l !== 'string')) {
      throw new LiteError(`${src.label}: ${what} has no Config and Layers`)
    }
    const cf = await src.get(entry.Config)
    if (!cf) throw new LiteError(`${src.label}: ${what}: its config ${entry.Config} is not in the archive`)
    const configBytes = src.bytes(cf, 'the config')
    const config = parseConfig(configBytes, `${src.label}: ${entry.Config}`)
    const layerNames = entry.Layers as string[]
    if (config.rootfs.diff_ids.length !== layerNames.length) {
      throw new LiteError(`${src.label}: ${what} has ${layerNames.length} layers but its config lists ${config.rootfs.diff_ids.length} diff_ids`)
    }
    const layers: StagedFile[] = []
    for (const [j, name] of layerNames.entries()) {
      const f = await src.get(name)
      if (!f) throw new LiteError(`${src.label}: ${what}: its layer ${name} is not in the archive`)
      // An uncompressed layer is its own diff_id: check it now. A compressed one is
      // checked when it is unpacked.
      if (layerMediaType(f) === DOCKER_LAYER && f.digest !== config.rootfs.diff_ids[j]) {
        throw new LiteError(`${src.label}: ${name}: digest mismatch: it hashes to ${f.digest}, but the config's diff_id ${j + 1} is ${config.rootfs.diff_ids[j]}`)
      }
      layers.push(f)
    }
    const manifest = {
      schemaVersion: 2,
      mediaType: MEDIA.dockerManifest,
      config: { mediaType: MEDIA.dockerConfig, size: cf.size, digest: cf.digest },
      layers: layers.map((f) => ({ mediaType: layerMediaType(f), size: f.size, digest: f.digest })),
    }
    const manifestBytes = Buffer.from(JSON.stringify(manifest))
    const manifestDigest = sha256Digest(manifestBytes)
    const tags = Array.isArray(entry.RepoTags) ? entry.RepoTags.filter((t): t is string => typeof t === 'string') : []
    const names = tags.map((t) => parseReference(t))
    const known = plans.get(manifestDigest)
    if (known) known.names.push(...names)
    else plans.set(manifestDigest, { manifestDigest, manifestBytes, blobs: [cf, ...layers], names, unnamedWhy: names.length ? undefined : 'its RepoTags are empty' })
  }
  return [...plans.values()]
}

/** A work dir under tmp/, locked so that store.clearTmp leaves it alone while we live. */
function workDir(store: ImageStore): { dir: string; done(): void } {
  const id = randomBytes(8).toString('hex')
  const lockFile = store.layout.lockFile(`work-${id}`)
  const lock = tryLock(store.native, lockFile, 'exclusive')
  if (!lock) throw new LiteError(`cannot lock ${lockFile}`)
  const dir = path.join(store.layout.tmpDir, `import-${id}`)
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  return {
    dir,
    done() {
      try {
        fs.rmSync(dir, { recursive: true, force: true })
        fs.rmSync(lockFile, { force: true })
      } finally {
        lock.release()
      }
    },
  }
}

/** Renames (or writes) a staged file into blobs/; true if the store did not have it. */
function commitBlob(store: ImageStore, f: StagedFile): boolean {
  if (f.inStore || store.blobs.has(f.digest)) return false
  if (f.data) store.blobs.putBytes(f.digest, f.data, f.name)
  else renameDurable(f.file!, store.blobs.path(f.digest))
  return true
}

/**
 * Imports every image of an archive or layout into the store and tags it; returns what
 * entered. Runs inside store.adding (the store shared, tmp/ cleared first).
 */
export async function importImages(store: ImageStore, native: Pick<ImageNative, 'unpackLayer' | 'buildSquashfs'>, settings: ImageSettings, source: string, options: ImportOptions = {}): Promise<ImportedImage[]> {
  const progress = options.progress ?? ((line: string) => process.stderr.write(`${line}\n`))
  const tagged = options.tag !== undefined ? parseReference(options.tag) : undefined
  let st: fs.Stats
  try {
    st = fs.statSync(source)
  } catch (e) {
    throw new LiteError(`cannot import ${source}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`)
  }
  return store.adding(async () => {
    const work = workDir(store)
    const added: string[] = []
    try {
      const src: ArchiveSource = st.isDirectory()
        ? new DirSource(source, work.dir, (d) => (store.blobs.has(d) ? store.blobs.path(d) : undefined), maxLayerBlobBytes(settings))
        : await TarSource.read(source, work.dir, maxLayerBlobBytes(settings))
      let plans: Planned[]
      if (await src.get('manifest.json')) plans = await planDocker(src)
      else if (await src.get('index.json')) plans = await planOci(src, options)
      else throw new LiteError(`${source} is neither a docker save archive nor an OCI layout: it has no manifest.json or index.json`)
      if (tagged) {
        if (plans.length !== 1) throw new LiteError(`${source} holds ${plans.length} images; --tag names one`)
        plans[0]!.names = [tagged]
      }

      // A name with a digest is a promise about the content: only the image's own
      // manifest (or the index it came from) may be named so, else an archive could
      // file itself under another image's digest (refs/.../@sha256:<theirs>).
      for (const p of plans) {
        for (const n of p.names) {
          if (n.digest !== undefined && n.digest !== p.manifestDigest && n.digest !== p.indexDigest) {
            throw new LiteError(`${source}: the image ${p.manifestDigest} is named ${n.canonical}, whose digest is not its own; the archive is refused`)
          }
        }
      }

      // Everything checked: the blobs enter the store.
      for (const p of plans) {
        for (const f of p.blobs) if (commitBlob(store, f)) added.push(f.digest)
        if (!store.blobs.has(p.manifestDigest)) {
          store.blobs.putBytes(p.manifestDigest, p.manifestBytes, 'the manifest')
          added.push(p.manifestDigest)
        }
      }
      const out: ImportedImage[] = []
      for (const p of plans) {
        const names = [...new Map(p.names.map((n) => [n.canonical, n])).values()]
        const { built } = await buildImage(store, native, settings, p.manifestDigest, {
          references: names.map((n) => n.canonical),
          indexDigest: p.indexDigest,
          source: 'import',
          squashfs: options.squashfs,
          progress,
        })
        for (const n of names) store.setRef(n, p.manifestDigest)
        if (names.length === 0) progress(`note: ${p.manifestDigest} has no name (${p.unnamedWhy ?? 'none given'}): lite image prune will remove it; name it with lite image import --tag REPO:TAG`)
        out.push({ manifestDigest: p.manifestDigest, references: names.map((n) => n.canonical), built })
      }
      return out
    } catch (e) {
      // The blobs this import brought in and no image reaches go again.
      const reached = new Set<string>()
      if (added.length) for (const d of store.listImages()) {
        const r = store.imageRecord(d)
        if (r) [r.manifestDigest, r.configDigest, r.indexDigest, ...r.layers.map((l) => l.digest)].forEach((x) => x && reached.add(x))
      }
      try {
        for (const d of added) if (!reached.has(d)) fs.rmSync(store.blobs.path(d), { force: true })
      } catch {
        // prune removes them later
      }
      throw e
    } finally {
      work.done()
    }
  }, `importing ${source}`)
}
