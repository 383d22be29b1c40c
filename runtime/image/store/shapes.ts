// The store's reading of manifests, indexes and image configs from archives and from
// its own files: the same shape checks a pull makes (manifest.ts), so that an image
// is held to one standard however it came in.

import { ManifestError, MAX_MANIFEST_BYTES, parseImageConfigBytes, parseJsonBytes, parseManifestBytes } from '../manifest.ts'
import { MEDIA, type ImageConfig, type ImageIndex, type ImageManifest } from '../types.ts'

export { layerCompression } from '../manifest.ts'

/** The most an archive's own JSON (manifest.json, index.json) may weigh: a manifest's limit. */
export const JSON_LIMIT = MAX_MANIFEST_BYTES

export function parseJson(bytes: Uint8Array, what: string): unknown {
  return parseJsonBytes(bytes, what, JSON_LIMIT)
}

export function isIndexType(mediaType: string | undefined): boolean {
  return mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerList
}

export function parseManifest(bytes: Uint8Array, what: string): ImageManifest {
  const parsed = parseManifestBytes(bytes, what)
  if (parsed.kind !== 'manifest') throw new ManifestError(`${what} is an index, not an image manifest`)
  return parsed.manifest
}

export function parseIndex(bytes: Uint8Array, what: string): ImageIndex {
  const parsed = parseManifestBytes(bytes, what)
  if (parsed.kind !== 'index') throw new ManifestError(`${what} is an image manifest, not an index`)
  return parsed.index
}

export function parseConfig(bytes: Uint8Array, what: string): ImageConfig {
  return parseImageConfigBytes(bytes, what)
}
