// Image references, parsed and normalised the way Docker does it:
//   busybox                    -> docker.io/library/busybox:latest
//   user/app                   -> docker.io/user/app:latest
//   host:5000/a/b:tag          -> host:5000/a/b:tag
//   a/b@sha256:<hex>           -> docker.io/a/b@sha256:<hex> (no tag)
//   a/b:tag@sha256:<hex>       -> the digest wins for the pull; the tag is kept
// The first path component names a registry when it holds a '.' or a ':', is
// "localhost", or has an upper-case letter (a repository never does).
// Pure: the importer, the store and the config read references too.

import { LiteError } from '../errors.ts'
import type { ImageReference } from './types.ts'

export const DOCKER_HUB = 'docker.io'
/** docker.io's API lives on another host than its name. */
export const DOCKER_HUB_API = 'registry-1.docker.io'
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io'])

const MAX_NAME = 255
// A domain component: letters, digits and inner '-'; then an optional port.
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]{1,5})?$/
// A path component: lower-case alphanumerics joined by '.', '_', '__' or runs of '-'.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const TAG = /^[\w][\w.-]{0,127}$/
const DIGEST = /^sha256:[0-9a-f]{64}$/

export class ImageReferenceError extends LiteError {
  constructor(
    readonly input: string,
    detail: string,
  ) {
    super(`invalid image reference ${JSON.stringify(input)}: ${detail}`)
    this.name = 'ImageReferenceError'
  }
}

/** Parses and normalises REF; throws ImageReferenceError naming the bad part. */
export function parseReference(input: string): ImageReference {
  const fail = (detail: string): never => {
    throw new ImageReferenceError(input, detail)
  }
  if (input === '') fail('it is empty')
  if (input.length > 1024) fail('it is longer than 1024 characters')
  if (/[\s\x00-\x1f\x7f]/.test(input)) fail('it holds white space or a control character')

  let rest = input
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (digest.includes('@')) fail('it holds more than one "@"')
    if (!digest.includes(':')) fail(`digest ${JSON.stringify(digest)} is not ALGORITHM:HEX`)
    if (!digest.startsWith('sha256:')) fail(`digest ${JSON.stringify(digest)}: only sha256 digests are supported`)
    if (!DIGEST.test(digest)) fail(`digest ${JSON.stringify(digest)} is not "sha256:" and 64 lower-case hex digits`)
  }

  let tag: string | undefined
  const colon = rest.lastIndexOf(':')
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
    if (!TAG.test(tag)) fail(`tag ${JSON.stringify(tag)} may hold only letters, digits, '_', '.' and '-', at most 128, and not start with '.' or '-'`)
  }
  if (rest === '') fail('it has no repository name')

  let registry = DOCKER_HUB
  let repository = rest
  const slash = rest.indexOf('/')
  if (slash >= 0) {
    const first = rest.slice(0, slash)
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      registry = first
      repository = rest.slice(slash + 1)
      if (!DOMAIN.test(registry)) fail(`registry ${JSON.stringify(registry)} is not a host name with an optional :port`)
      const port = registry.includes(':') ? Number(registry.slice(registry.lastIndexOf(':') + 1)) : 0
      if (port > 65535) fail(`registry ${JSON.stringify(registry)}: port ${port} is out of range`)
      if (DOCKER_HUB_ALIASES.has(registry.toLowerCase())) registry = DOCKER_HUB
    }
  }
  if (repository === '') fail('it has no repository name after the registry')
  for (const part of repository.split('/')) {
    if (part === '') fail(`repository ${JSON.stringify(repository)} has an empty path component`)
    if (part !== part.toLowerCase()) fail(`repository ${JSON.stringify(repository)} must be lower case`)
    if (!COMPONENT.test(part)) fail(`repository component ${JSON.stringify(part)} may hold only a-z, 0-9 and single '.', '_', '__' or '-' runs between them`)
  }
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`
  const name = `${registry}/${repository}`
  if (name.length > MAX_NAME) fail(`the name ${JSON.stringify(name)} is longer than ${MAX_NAME} characters`)
  if (!tag && !digest) tag = 'latest'
  const canonical = `${name}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}), canonical }
}

/** The host the API is on: registry-1.docker.io for docker.io, the registry otherwise. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry
}

/** What the registry is asked for: the digest when there is one, else the tag. */
export function referenceTarget(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest'
}

/** A short form for messages: "busybox:latest" for docker.io/library, the full name otherwise. */
export function familiarName(ref: ImageReference): string {
  let name = `${ref.registry}/${ref.repository}`
  if (ref.registry === DOCKER_HUB) name = ref.repository.startsWith('library/') ? ref.repository.slice(8) : ref.repository
  return `${name}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`
}
