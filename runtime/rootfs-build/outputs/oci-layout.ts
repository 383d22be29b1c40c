// An OCI image layout directory: oci-layout, index.json (with the tag as
// org.opencontainers.image.ref.name, as skopeo's oci:DIR:TAG selects it, and the full
// name as io.containerd.image.name, as containerd and lite image import read it) and
// content-addressed blobs: the
// gzip-compressed layer, the config and the manifest.

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { type ImageSpec, imageConfigJson, sha256 } from './image-config.ts'

export interface OciResult {
  /** bytes of the compressed layer: what a registry pull transfers */
  compressedLayer: number
  manifestDigest: string
}

export function writeOciLayout(dir: string, layer: Buffer, spec: ImageSpec): OciResult {
  const blobs = join(dir, 'blobs/sha256')
  mkdirSync(blobs, { recursive: true })
  const put = (data: Buffer) => {
    const digest = sha256(data)
    writeFileSync(join(blobs, digest), data)
    return { digest: `sha256:${digest}`, size: data.length }
  }
  // zlib's gzip header carries no time or name: the same tar gives the same bytes.
  const gz = gzipSync(layer, { level: 9 })
  const layerBlob = put(gz)
  const configBlob = put(imageConfigJson(spec))
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configBlob },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layerBlob }],
  }
  const manifestBlob = put(Buffer.from(JSON.stringify(manifest)))
  const platform = { architecture: spec.architecture, os: 'linux', ...(spec.architecture === 'arm64' ? { variant: 'v8' } : {}) }
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: manifest.mediaType, ...manifestBlob, platform, annotations: { 'org.opencontainers.image.ref.name': spec.tag, 'io.containerd.image.name': `docker.io/${spec.repository}:${spec.tag}` } }],
  }
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index))
  return { compressedLayer: gz.length, manifestDigest: manifestBlob.digest }
}
