// REF → the image in the store that a container runs: a tag is read from refs/, a
// digest names images/<hex> directly. Nothing here fetches; an image that is not in
// the store is an ImageNotInStore error that says how to get it.
//
// References are normalised the way Docker does (busybox → docker.io/library/busybox:latest).
// The registry client's reference parser (runtime/image/reference.ts) is the full one;
// this small one only has to find refs/<registry>/<repo>/<tag>, and refuses anything
// whose parts could leave refs/ ("..", empty components, upper case).

import fs from 'node:fs'
import path from 'node:path'
import { FileReadError, readBoundedText } from '../../config/bounded-read.ts'
import { StoreLayout, digestHex } from './layout.ts'

const DIGEST = /^sha256:[0-9a-f]{64}$/
const DOMAIN = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]{1,5})?$/
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const TAG = /^\w[\w.-]{0,127}$/
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io'])

/** The image file names a built image may have, in the order they are tried. */
export const IMAGE_FILES = ['image.sqfs', 'image.erofs'] as const

export interface StoreRef {
  /** "docker.io", "127.0.0.1:5000"; absent for a bare digest */
  registry?: string
  repository?: string
  tag?: string
  digest?: string
  /** registry/repository[:tag][@digest], or the bare digest */
  canonical: string
  /** what `lite image pull` takes: the short form for docker.io/library */
  pull: string
}

export class ImageRefError extends Error {
  override name = 'ImageRefError'
}

/** The image is not (or not wholly) in the store. */
export class ImageNotInStore extends Error {
  override name = 'ImageNotInStore'
}

/** Parses REF, or throws ImageRefError saying which part is wrong. */
export function parseStoreRef(input: string): StoreRef {
  const bad = (detail: string): never => {
    throw new ImageRefError(`${JSON.stringify(input)} is not an image reference: ${detail}`)
  }
  if (input === '') bad('it is empty')
  if (input.length > 1024) bad('it is longer than 1024 characters')
  if (/[\s\x00-\x1f\x7f]/.test(input)) bad('it holds white space or a control character')
  if (input.startsWith('sha256:')) {
    if (!DIGEST.test(input)) bad('a digest is "sha256:" and 64 lower-case hex digits')
    return { digest: input, canonical: input, pull: input }
  }
  let rest = input
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST.test(digest)) bad(`digest ${JSON.stringify(digest)} is not "sha256:" and 64 lower-case hex digits`)
  }
  let tag: string | undefined
  const colon = rest.lastIndexOf(':')
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
    if (!TAG.test(tag)) bad(`tag ${JSON.stringify(tag)} may hold only letters, digits, '_', '.' and '-' (at most 128, not starting with '.' or '-')`)
  }
  let registry = 'docker.io'
  let repository = rest
  const slash = rest.indexOf('/')
  if (slash >= 0) {
    const first = rest.slice(0, slash)
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      if (!DOMAIN.test(first)) bad(`registry ${JSON.stringify(first)} is not a host name with an optional :port`)
      registry = DOCKER_HUB_ALIASES.has(first.toLowerCase()) ? 'docker.io' : first
      repository = rest.slice(slash + 1)
    }
  }
  if (repository === '') bad('it has no repository name')
  for (const part of repository.split('/')) {
    if (!COMPONENT.test(part)) bad(`repository part ${JSON.stringify(part)} may hold only a-z, 0-9 and single '.', '_', '__' or '-' runs between them`)
  }
  if (registry === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`
  if (!tag && !digest) tag = 'latest'
  const name = `${registry}/${repository}`
  const suffix = `${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`
  const short = registry === 'docker.io' ? repository.replace(/^library\//, '') : name
  return { registry, repository, tag, digest, canonical: `${name}${suffix}`, pull: `${short}${suffix}` }
}

export interface StoredImage {
  ref: StoreRef
  /** the manifest digest: the image's name in the store */
  digest: string
  /** images/<hex> */
  dir: string
  /** images/<hex>/image.sqfs (or .erofs) */
  file: string
}

/** The most a refs file may hold: one digest line. */
const REF_FILE_LIMIT = 4096

/** The manifest digest that refs/<registry>/<repo>/<tag> names, or undefined if there is no such file. */
export function readTag(layout: StoreLayout, ref: StoreRef): string | undefined {
  if (!ref.registry || !ref.repository || !ref.tag) return undefined
  const file = path.join(layout.refsDir, ref.registry, ...ref.repository.split('/'), ref.tag)
  let text: string
  try {
    text = readBoundedText(file, REF_FILE_LIMIT, 'a ref file')
  } catch (err) {
    if (err instanceof FileReadError && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) return undefined
    throw new ImageNotInStore(`${ref.canonical}: its ref file ${file} can't be read: ${(err as Error).message}`)
  }
  const digest = text.trim()
  if (!DIGEST.test(digest)) throw new ImageNotInStore(`${ref.canonical}: its ref file ${file} does not hold a sha256 digest`)
  return digest
}

/** images/<hex> with its image file, or undefined when it is not there (not built, or removed). */
export function storedImage(layout: StoreLayout, digest: string): { dir: string; file: string } | undefined {
  const dir = layout.image(digest)
  for (const name of IMAGE_FILES) {
    const file = path.join(dir, name)
    try {
      if (fs.statSync(file).isFile()) return { dir, file }
    } catch {}
  }
  return undefined
}

/**
 * The image REF names in the store at `layout`: a tag through refs/, a digest
 * (sha256:..., or REPO@sha256:..., where the digest wins) directly. `pinned`, the digest
 * a running container started from, replaces what the tag names now.
 * Throws ImageRefError (bad REF) or ImageNotInStore.
 */
export function resolveImageRef(store: StoreLayout | string, input: string, pinned?: string): StoredImage {
  const layout = typeof store === 'string' ? new StoreLayout(store) : store
  const ref = parseStoreRef(input)
  const pull = `run: lite image pull ${ref.pull}`
  let digest = pinned ?? ref.digest
  if (digest === undefined) {
    digest = readTag(layout, ref)
    if (digest === undefined) throw new ImageNotInStore(`image ${JSON.stringify(ref.canonical)} is not in the store (${layout.root}); ${pull}`)
  }
  digestHex(digest)
  const found = storedImage(layout, digest)
  if (!found) {
    const what = pinned ? `the image ${digest} that this container started from` : digest === ref.digest ? `image ${JSON.stringify(ref.canonical)}` : `image ${JSON.stringify(ref.canonical)} (${digest})`
    throw new ImageNotInStore(`${what} is not in the store (${layout.root}); ${pull}`)
  }
  return { ref, digest, ...found }
}
