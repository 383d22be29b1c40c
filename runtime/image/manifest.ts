// Shape checks for the JSON that images carry: manifests, indexes (manifest lists),
// descriptors and image configs. Every byte comes from a registry or an archive
// that lite does not trust, so each field is checked before it is used, and what
// comes back holds only checked fields. No network here: the importer of
// docker-save and OCI archives uses the same checks.

import { LiteError } from '../errors.ts'
import { MEDIA, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest, type LayerCompression, type Platform } from './types.ts'

/** The most a manifest or index may weigh (the distribution spec suggests 4 MiB). */
export const MAX_MANIFEST_BYTES = 4 << 20
/** The most an image config may weigh: its history can be long, never this long. */
export const MAX_CONFIG_BYTES = 8 << 20
export const MAX_LAYERS = 500
export const MAX_INDEX_ENTRIES = 1000

const DIGEST = /^sha256:[0-9a-f]{64}$/
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/

export class ManifestError extends LiteError {
  constructor(message: string) {
    super(message)
    this.name = 'ManifestError'
  }
}

export type ParsedManifest =
  | { kind: 'manifest'; mediaType: string; manifest: ImageManifest }
  | { kind: 'index'; mediaType: string; index: ImageIndex }

const LAYER_TYPES: Record<string, LayerCompression> = {
  'application/vnd.oci.image.layer.v1.tar': 'none',
  'application/vnd.oci.image.layer.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd': 'zstd',
  'application/vnd.docker.image.rootfs.diff.tar': 'none',
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'gzip',
  'application/vnd.docker.image.rootfs.diff.tar.zstd': 'zstd',
}
const FOREIGN_LAYER_TYPES = new Set([
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
])
const MANIFEST_TYPES = new Set<string>([MEDIA.ociManifest, MEDIA.dockerManifest])
const INDEX_TYPES = new Set<string>([MEDIA.ociIndex, MEDIA.dockerList])
const SCHEMA1_TYPES = new Set<string>([MEDIA.dockerSchema1, MEDIA.dockerSchema1Signed, 'application/json'])
const CONFIG_TYPES = new Set<string>([MEDIA.ociConfig, MEDIA.dockerConfig])

/** What a registry's Accept header lists: lite reads these four, and nothing else. */
export const MANIFEST_ACCEPT = [MEDIA.ociManifest, MEDIA.ociIndex, MEDIA.dockerManifest, MEDIA.dockerList].join(', ')

/** How a layer is compressed, from its media type; undefined for a type lite does not unpack. */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  return LAYER_TYPES[mediaType]
}

/** The media type of a Content-Type header, without its parameters. */
export function bareMediaType(contentType: string | null | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase()
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function schema1(what: string): ManifestError {
  return new ManifestError(`${what} is a Docker schema 1 manifest, which lite does not support; push it again with a current docker or skopeo`)
}

/** JSON from bytes that must be UTF-8 and at most `limit` long. */
export function parseJsonBytes(bytes: Uint8Array, what: string, limit: number): unknown {
  if (bytes.length > limit) throw new ManifestError(`${what} is ${bytes.length} bytes, more than the ${limit} allowed`)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new ManifestError(`${what} is not UTF-8 text`)
  }
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new ManifestError(`${what} is not valid JSON (${(e as Error).message})`)
  }
}

function str(v: unknown, where: string, what: string): string {
  if (typeof v !== 'string') throw new ManifestError(`${what}: ${where} is not a string`)
  return v
}

function optStr(v: unknown, where: string, what: string): string | undefined {
  return v === undefined || v === null ? undefined : str(v, where, what)
}

function strings(v: unknown, where: string, what: string, max = 10_000): string[] {
  if (!Array.isArray(v)) throw new ManifestError(`${what}: ${where} is not a list`)
  if (v.length > max) throw new ManifestError(`${what}: ${where} has ${v.length} entries, more than ${max}`)
  return v.map((x, i) => str(x, `${where}[${i}]`, what))
}

function stringMap(v: unknown, where: string, what: string): Record<string, string> {
  if (!isObject(v)) throw new ManifestError(`${what}: ${where} is not an object`)
  const out: Record<string, string> = Object.create(null)
  for (const [k, x] of Object.entries(v)) out[k] = str(x, `${where}.${JSON.stringify(k)}`, what)
  return out
}

export function checkDigest(v: unknown, where: string, what: string): string {
  const s = str(v, where, what)
  if (DIGEST.test(s)) return s
  if (/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:/.test(s) && !s.startsWith('sha256:')) throw new ManifestError(`${what}: ${where} ${JSON.stringify(s.slice(0, 80))}: only sha256 digests are supported`)
  throw new ManifestError(`${what}: ${where} ${JSON.stringify(s.slice(0, 80))} is not a sha256 digest`)
}

function platform(v: unknown, where: string, what: string): Platform {
  if (!isObject(v)) throw new ManifestError(`${what}: ${where} is not an object`)
  const variant = optStr(v.variant, `${where}.variant`, what)
  return { architecture: str(v.architecture, `${where}.architecture`, what), os: str(v.os, `${where}.os`, what), ...(variant ? { variant } : {}) }
}

/** A descriptor: media type, sha256 digest, size; platform, annotations and urls when there. */
export function parseDescriptor(v: unknown, where: string, what: string): Descriptor {
  if (!isObject(v)) throw new ManifestError(`${what}: ${where} is not an object`)
  const mediaType = str(v.mediaType, `${where}.mediaType`, what)
  if (!MEDIA_TYPE.test(mediaType)) throw new ManifestError(`${what}: ${where}.mediaType ${JSON.stringify(mediaType.slice(0, 80))} is not a media type`)
  const digest = checkDigest(v.digest, `${where}.digest`, what)
  const size = v.size
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new ManifestError(`${what}: ${where}.size is not a whole number of bytes`)
  const d: Descriptor = { mediaType, digest, size }
  if (v.platform !== undefined) d.platform = platform(v.platform, `${where}.platform`, what)
  if (v.annotations !== undefined && v.annotations !== null) d.annotations = stringMap(v.annotations, `${where}.annotations`, what)
  if (v.urls !== undefined && v.urls !== null) d.urls = strings(v.urls, `${where}.urls`, what, 100)
  return d
}

function schemaVersion2(v: Record<string, unknown>, what: string): void {
  if (v.schemaVersion === 1) throw schema1(what)
  if (v.schemaVersion !== 2) throw new ManifestError(`${what}: schemaVersion is ${JSON.stringify(v.schemaVersion)}, not 2`)
}

/** An image manifest (OCI or Docker schema 2) from parsed JSON. */
export function parseImageManifest(v: unknown, what: string): ImageManifest {
  if (!isObject(v)) throw new ManifestError(`${what} is not a JSON object`)
  schemaVersion2(v, what)
  const mediaType = optStr(v.mediaType, 'mediaType', what)
  if (mediaType !== undefined && !MANIFEST_TYPES.has(mediaType)) throw new ManifestError(`${what}: mediaType ${JSON.stringify(mediaType)} is not an image manifest`)
  const config = parseDescriptor(v.config, 'config', what)
  if (!Array.isArray(v.layers)) throw new ManifestError(`${what}: layers is not a list`)
  if (v.layers.length > MAX_LAYERS) throw new ManifestError(`${what} has ${v.layers.length} layers, more than the ${MAX_LAYERS} lite takes`)
  const layers = v.layers.map((l, i) => parseDescriptor(l, `layers[${i}]`, what))
  const m: ImageManifest = { schemaVersion: 2, config, layers }
  if (mediaType) m.mediaType = mediaType
  if (v.annotations !== undefined && v.annotations !== null) m.annotations = stringMap(v.annotations, 'annotations', what)
  return m
}

/** An index (OCI image index or Docker manifest list) from parsed JSON. */
export function parseImageIndex(v: unknown, what: string): ImageIndex {
  if (!isObject(v)) throw new ManifestError(`${what} is not a JSON object`)
  schemaVersion2(v, what)
  const mediaType = optStr(v.mediaType, 'mediaType', what)
  if (mediaType !== undefined && !INDEX_TYPES.has(mediaType)) throw new ManifestError(`${what}: mediaType ${JSON.stringify(mediaType)} is not an image index`)
  if (!Array.isArray(v.manifests)) throw new ManifestError(`${what}: manifests is not a list`)
  if (v.manifests.length > MAX_INDEX_ENTRIES) throw new ManifestError(`${what} has ${v.manifests.length} entries, more than the ${MAX_INDEX_ENTRIES} lite takes`)
  const index: ImageIndex = { schemaVersion: 2, manifests: v.manifests.map((d, i) => parseDescriptor(d, `manifests[${i}]`, what)) }
  if (mediaType) index.mediaType = mediaType
  return index
}

/**
 * A manifest or an index from its bytes. The kind comes from the JSON's own
 * mediaType, else the Content-Type it came with, else its shape (a "manifests"
 * list, or "config" and "layers"). Schema 1 is refused with its own message.
 */
export function parseManifestBytes(bytes: Uint8Array, what: string, contentType?: string | null): ParsedManifest {
  const header = bareMediaType(contentType)
  if (header === MEDIA.dockerSchema1 || header === MEDIA.dockerSchema1Signed) throw schema1(what)
  const v = parseJsonBytes(bytes, what, MAX_MANIFEST_BYTES)
  if (!isObject(v)) throw new ManifestError(`${what} is not a JSON object`)
  if (v.schemaVersion === 1) throw schema1(what)
  const own = typeof v.mediaType === 'string' ? v.mediaType : undefined
  if (own && SCHEMA1_TYPES.has(own)) throw schema1(what)
  let kind: 'manifest' | 'index' | undefined
  for (const t of [own, header]) {
    if (kind || !t) continue
    if (MANIFEST_TYPES.has(t)) kind = 'manifest'
    else if (INDEX_TYPES.has(t)) kind = 'index'
  }
  if (!kind && !own) kind = Array.isArray(v.manifests) ? 'index' : isObject(v.config) && Array.isArray(v.layers) ? 'manifest' : undefined
  if (!kind) throw new ManifestError(`${what} is neither an image manifest nor an image index (media type ${JSON.stringify(own ?? (header || 'none'))})`)
  if (kind === 'index') {
    const index = parseImageIndex(v, what)
    return { kind, mediaType: index.mediaType ?? (INDEX_TYPES.has(header) ? header : MEDIA.ociIndex), index }
  }
  const manifest = parseImageManifest(v, what)
  return { kind, mediaType: manifest.mediaType ?? (MANIFEST_TYPES.has(header) ? header : MEDIA.ociManifest), manifest }
}

/**
 * Refuses a manifest lite cannot build: a config that is not an image config
 * (artifacts, Helm charts), layers of types it cannot unpack, foreign layers that
 * registries do not serve.
 */
export function checkImageManifest(m: ImageManifest, what: string): void {
  if (!CONFIG_TYPES.has(m.config.mediaType)) throw new ManifestError(`${what} is not a container image: its config is ${JSON.stringify(m.config.mediaType)}`)
  if (m.config.size > MAX_CONFIG_BYTES) throw new ManifestError(`${what}: its config is ${m.config.size} bytes, more than the ${MAX_CONFIG_BYTES} allowed`)
  m.layers.forEach((l, i) => {
    if (FOREIGN_LAYER_TYPES.has(l.mediaType)) throw new ManifestError(`${what}: layer ${i + 1} is a foreign layer (${l.mediaType}), which registries do not serve and lite does not fetch`)
    if (!layerCompression(l.mediaType)) throw new ManifestError(`${what}: layer ${i + 1} has the media type ${JSON.stringify(l.mediaType)}, which is not a tar layer lite can unpack`)
  })
}

function argvOrNull(v: unknown, where: string, what: string): string[] | null | undefined {
  if (v === undefined) return undefined
  if (v === null) return null
  return strings(v, where, what)
}

/** The image config's fields that lite uses, checked; the config's bytes stay as they are in the store. */
export function parseImageConfig(v: unknown, what: string): ImageConfig {
  if (!isObject(v)) throw new ManifestError(`${what} is not a JSON object`)
  const variant = optStr(v.variant, 'variant', what)
  const out: ImageConfig = {
    architecture: str(v.architecture, 'architecture', what),
    os: str(v.os, 'os', what),
    ...(variant ? { variant } : {}),
    rootfs: { type: 'layers', diff_ids: [] },
  }
  if (v.config !== undefined && v.config !== null) {
    const c = v.config
    if (!isObject(c)) throw new ManifestError(`${what}: config is not an object`)
    const cfg: NonNullable<ImageConfig['config']> = {}
    if (c.Env !== undefined && c.Env !== null) cfg.Env = strings(c.Env, 'config.Env', what)
    const entrypoint = argvOrNull(c.Entrypoint, 'config.Entrypoint', what)
    if (entrypoint !== undefined) cfg.Entrypoint = entrypoint
    const cmd = argvOrNull(c.Cmd, 'config.Cmd', what)
    if (cmd !== undefined) cfg.Cmd = cmd
    for (const key of ['WorkingDir', 'User', 'StopSignal'] as const) {
      const s = optStr(c[key], `config.${key}`, what)
      if (s !== undefined) cfg[key] = s
    }
    if (c.ExposedPorts !== undefined && c.ExposedPorts !== null) {
      if (!isObject(c.ExposedPorts)) throw new ManifestError(`${what}: config.ExposedPorts is not an object`)
      cfg.ExposedPorts = Object.fromEntries(Object.keys(c.ExposedPorts).map((k) => [k, {}]))
    }
    if (c.Labels !== undefined && c.Labels !== null) cfg.Labels = stringMap(c.Labels, 'config.Labels', what)
    out.config = cfg
  }
  const rootfs = v.rootfs
  if (!isObject(rootfs)) throw new ManifestError(`${what}: rootfs is not an object`)
  if (rootfs.type !== 'layers') throw new ManifestError(`${what}: rootfs.type is ${JSON.stringify(rootfs.type)}, not "layers"`)
  if (!Array.isArray(rootfs.diff_ids)) throw new ManifestError(`${what}: rootfs.diff_ids is not a list`)
  if (rootfs.diff_ids.length > MAX_LAYERS) throw new ManifestError(`${what}: rootfs.diff_ids has more than ${MAX_LAYERS} entries`)
  out.rootfs.diff_ids = rootfs.diff_ids.map((d, i) => checkDigest(d, `rootfs.diff_ids[${i}]`, what))
  return out
}

/** An image config from its bytes. */
export function parseImageConfigBytes(bytes: Uint8Array, what: string): ImageConfig {
  return parseImageConfig(parseJsonBytes(bytes, what, MAX_CONFIG_BYTES), what)
}

/** A manifest and its config belong together: one diff_id per layer. */
export function checkConfigMatchesManifest(m: ImageManifest, c: ImageConfig, what: string): void {
  if (c.rootfs.diff_ids.length !== m.layers.length)
    throw new ManifestError(`${what}: the manifest has ${m.layers.length} layers but the config lists ${c.rootfs.diff_ids.length} diff_ids`)
}
