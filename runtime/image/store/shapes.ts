// Shape checks for the JSON the store builds from: manifests, indexes and image configs
// come from archives and registries, so every field used is checked before use, and
// every digest before it names a path.

import { LiteError } from '../../errors.ts'
import { MEDIA, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest, type LayerCompression } from '../types.ts'
import { digestHex } from './layout.ts'

/** The most a manifest, an index or a config may weigh (Docker's limit for manifests is 4 MiB). */
export const JSON_LIMIT = 4 << 20
/** The most layers one image may have (Docker's own limit is 127; OCI images rarely pass 100). */
export const MAX_LAYERS = 1000

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function parseJson(bytes: Uint8Array, what: string): unknown {
  if (bytes.length > JSON_LIMIT) throw new LiteError(`${what} is ${bytes.length} bytes, more than the ${JSON_LIMIT} allowed`)
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch (e) {
    throw new LiteError(`${what} is not valid JSON: ${(e as Error).message}`)
  }
}

function digestOf(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new LiteError(`${what}: the digest is missing`)
  try {
    digestHex(v)
  } catch {
    throw new LiteError(`${what}: ${JSON.stringify(v).slice(0, 100)} is not a sha256 digest`)
  }
  return v
}

export function parseDescriptor(v: unknown, what: string): Descriptor {
  if (!isObject(v)) throw new LiteError(`${what} is not an object`)
  const digest = digestOf(v.digest, what)
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) throw new LiteError(`${what}: the size is not a byte count`)
  if (typeof v.mediaType !== 'string' || v.mediaType.length > 255) throw new LiteError(`${what}: the media type is missing`)
  const d: Descriptor = { mediaType: v.mediaType, digest, size: v.size }
  if (isObject(v.platform) && typeof v.platform.architecture === 'string' && typeof v.platform.os === 'string') {
    d.platform = { architecture: v.platform.architecture, os: v.platform.os }
    if (typeof v.platform.variant === 'string') d.platform.variant = v.platform.variant
  }
  if (isObject(v.annotations)) {
    const a: Record<string, string> = {}
    for (const [k, val] of Object.entries(v.annotations)) if (typeof val === 'string') a[k] = val
    d.annotations = a
  }
  return d
}

export function isIndexType(mediaType: string | undefined): boolean {
  return mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerList
}

export function parseManifest(bytes: Uint8Array, what: string): ImageManifest {
  const v = parseJson(bytes, what)
  if (!isObject(v)) throw new LiteError(`${what} is not a JSON object`)
  const mediaType = typeof v.mediaType === 'string' ? v.mediaType : undefined
  if (mediaType === MEDIA.dockerSchema1 || mediaType === MEDIA.dockerSchema1Signed || v.schemaVersion === 1) {
    throw new LiteError(`${what} is a Docker schema 1 manifest, which lite does not take (push the image again with a current Docker)`)
  }
  if (v.schemaVersion !== 2) throw new LiteError(`${what}: schemaVersion is not 2`)
  if (isIndexType(mediaType) || Array.isArray(v.manifests)) throw new LiteError(`${what} is an index, not an image manifest`)
  if (!Array.isArray(v.layers)) throw new LiteError(`${what} has no layers list`)
  if (v.layers.length > MAX_LAYERS) throw new LiteError(`${what} has ${v.layers.length} layers, more than the ${MAX_LAYERS} allowed`)
  const m: ImageManifest = {
    schemaVersion: 2,
    config: parseDescriptor(v.config, `${what}: config`),
    layers: v.layers.map((l, i) => parseDescriptor(l, `${what}: layer ${i + 1}`)),
  }
  if (mediaType) m.mediaType = mediaType
  return m
}

export function parseIndex(bytes: Uint8Array, what: string): ImageIndex {
  const v = parseJson(bytes, what)
  if (!isObject(v)) throw new LiteError(`${what} is not a JSON object`)
  if (v.schemaVersion !== 2) throw new LiteError(`${what}: schemaVersion is not 2`)
  if (!Array.isArray(v.manifests)) throw new LiteError(`${what} has no manifests list`)
  if (v.manifests.length > 10_000) throw new LiteError(`${what} lists more than 10000 manifests`)
  const index: ImageIndex = { schemaVersion: 2, manifests: v.manifests.map((d, i) => parseDescriptor(d, `${what}: manifest ${i + 1}`)) }
  if (typeof v.mediaType === 'string') index.mediaType = v.mediaType
  return index
}

export function parseConfig(bytes: Uint8Array, what: string): ImageConfig {
  const v = parseJson(bytes, what)
  if (!isObject(v)) throw new LiteError(`${what} is not a JSON object`)
  if (!isObject(v.rootfs) || !Array.isArray(v.rootfs.diff_ids)) throw new LiteError(`${what} has no rootfs.diff_ids`)
  const diffIds = v.rootfs.diff_ids.map((d, i) => digestOf(d, `${what}: diff_id ${i + 1}`))
  if (typeof v.architecture !== 'string' || typeof v.os !== 'string') throw new LiteError(`${what} names no architecture or os`)
  const c: ImageConfig = { architecture: v.architecture, os: v.os, rootfs: { type: 'layers', diff_ids: diffIds } }
  if (typeof v.variant === 'string') c.variant = v.variant
  if (isObject(v.config)) c.config = v.config as ImageConfig['config']
  return c
}

const LAYER = /^application\/vnd\.(?:oci\.image\.layer\.(?:nondistributable\.)?v1\.tar|docker\.image\.rootfs\.(?:foreign\.)?diff\.tar)(?:[+.](gzip|zstd))?$/

/** How a layer is compressed, from its media type; undefined for what is not a layer. */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  const m = LAYER.exec(mediaType)
  if (!m) return undefined
  return (m[1] as LayerCompression | undefined) ?? 'none'
}
