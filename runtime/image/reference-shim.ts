// Stand-ins for the registry client's functions until its branch merges:
// parseReference (registry/reference.ts) and pullImage (registry/pull.ts). At the merge
// this file becomes two re-exports; the store, the importer and `lite image` import
// only from here, so nothing else changes.

import { LiteError } from '../errors.ts'
import type { ImageSettings } from './settings.ts'
import type { BlobStore } from './store/blobs.ts'
import type { ImageConfig, ImageManifest, ImageReference } from './types.ts'

const DIGEST = /^sha256:[0-9a-f]{64}$/
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const HOST = /^(?:localhost|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::[0-9]{1,5})?$/

/** registry/repository[:tag][@digest], normalised as Docker does (docker.io/library/NAME). */
export function parseReference(ref: string): ImageReference {
  const bad = (why: string) => new LiteError(`invalid image reference ${JSON.stringify(ref)}: ${why}`)
  if (ref.length === 0 || ref.length > 512) throw bad('empty or longer than 512 characters')
  let rest = ref
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST.test(digest)) throw bad('the digest must be sha256:<64 hex digits>')
  }
  let tag: string | undefined
  const colon = rest.lastIndexOf(':')
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
    if (!TAG.test(tag)) throw bad(`the tag ${JSON.stringify(tag)} is not valid`)
  }
  const parts = rest.split('/')
  let registry = 'docker.io'
  if (parts.length > 1 && (parts[0]!.includes('.') || parts[0]!.includes(':') || parts[0] === 'localhost')) {
    registry = parts.shift()!
    if (!HOST.test(registry)) throw bad(`the registry ${JSON.stringify(registry)} is not a host[:port]`)
    if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = 'docker.io'
  }
  if (registry === 'docker.io' && parts.length === 1) parts.unshift('library')
  for (const p of parts) if (!COMPONENT.test(p)) throw bad(`the repository part ${JSON.stringify(p)} is not valid (lower case letters, digits, separators . _ __ -)`)
  const repository = parts.join('/')
  if (repository.length > 255) throw bad('the repository is longer than 255 characters')
  if (!tag && !digest) tag = 'latest'
  const canonical = `${registry}/${repository}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`
  return { registry, repository, tag, digest, canonical }
}

export interface PullOptions {
  arch?: 'amd64' | 'arm64'
  insecure?: boolean
  quiet?: boolean
}

export interface PullResult {
  reference: ImageReference
  manifestDigest: string
  manifest: ImageManifest
  config: ImageConfig
  configDigest: string
  indexDigest?: string
}

/** The registry client: fetches the manifest, config and layer blobs into `store`. */
export async function pullImage(ref: string, _settings: ImageSettings, _store: BlobStore, _options: PullOptions): Promise<PullResult> {
  throw new LiteError(`cannot pull ${ref}: this build has no registry client yet (lite image import takes archives)`)
}
