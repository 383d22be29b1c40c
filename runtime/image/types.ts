// The OCI image model as lite reads it: references, descriptors, manifests, indexes
// and image configs. Everything here comes from untrusted registries and archives,
// so parsers check shapes before anything uses a field (see manifest.ts).

/** A parsed image reference, normalised as Docker does (docker.io/library/NAME). */
export interface ImageReference {
  /** "docker.io", "127.0.0.1:5000", "ghcr.io" */
  registry: string
  /** "library/busybox", "org/app" */
  repository: string
  /** "latest" unless a digest alone was given */
  tag?: string
  /** "sha256:<64 hex>" */
  digest?: string
  /** The full form: registry/repository[:tag][@digest] */
  canonical: string
}

export interface Platform {
  architecture: string
  os: string
  variant?: string
}

export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  platform?: Platform
  annotations?: Record<string, string>
  urls?: string[]
}

export interface ImageManifest {
  schemaVersion: 2
  mediaType?: string
  config: Descriptor
  layers: Descriptor[]
  annotations?: Record<string, string>
}

export interface ImageIndex {
  schemaVersion: 2
  mediaType?: string
  manifests: Descriptor[]
}

/** The part of an image config (application/vnd.oci.image.config.v1+json) lite uses. */
export interface ImageConfig {
  architecture: string
  os: string
  variant?: string
  config?: {
    Env?: string[]
    Entrypoint?: string[] | null
    Cmd?: string[] | null
    WorkingDir?: string
    User?: string
    StopSignal?: string
    ExposedPorts?: Record<string, unknown>
    Labels?: Record<string, string>
  }
  rootfs: { type: 'layers'; diff_ids: string[] }
}

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const

/** How a layer blob is compressed, from its media type (or its magic, for archives). */
export type LayerCompression = 'gzip' | 'zstd' | 'none'
