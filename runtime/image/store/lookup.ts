// REF → the image in the store that a container runs: a tag is read from refs/, a
// digest names images/<hex> directly. Nothing here fetches; an image that is not in
// the store is an ImageNotInStore error that says how to get it.
//
// References are normalised the way Docker does (busybox → docker.io/library/busybox:latest),
// by the same parser that pulls use (reference.ts); a bare sha256:... names an image too.
// The ref file's name comes from StoreLayout.refFile, the one place that names it.

import fs from 'node:fs'
import path from 'node:path'
import { FileReadError, readBoundedText } from '../../config/bounded-read.ts'
import { noteInput } from '../../plan/inputs.ts'
import { ImageReferenceError, familiarName, parseReference } from '../reference.ts'
import type { ImageReference } from '../types.ts'
import { StoreLayout, digestHex, type RefName } from './layout.ts'

const DIGEST = /^sha256:[0-9a-f]{64}$/

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

/** Parses REF (reference.ts, as a pull does), or throws ImageRefError saying which part is wrong. */
export function parseStoreRef(input: string): StoreRef {
  if (input.startsWith('sha256:')) {
    if (!DIGEST.test(input)) throw new ImageRefError(`${JSON.stringify(input)} is not an image reference: a digest is "sha256:" and 64 lower-case hex digits`)
    return { digest: input, canonical: input, pull: input }
  }
  let ref: ImageReference
  try {
    ref = parseReference(input)
  } catch (e) {
    if (e instanceof ImageReferenceError) throw new ImageRefError(e.message)
    throw e
  }
  return { registry: ref.registry, repository: ref.repository, tag: ref.tag, digest: ref.digest, canonical: ref.canonical, pull: familiarName(ref) }
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

/** The manifest digest a ref file (StoreLayout.refFile: a tag, or a pull by digest) names; undefined when there is none. */
export function readRefFile(layout: StoreLayout, ref: RefName): string | undefined {
  const file = layout.refFile(ref)
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
    // The file found and every one tried before it (a cached plan must see an image.sqfs appear).
    noteInput(file)
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
    digest = readRefFile(layout, { registry: ref.registry!, repository: ref.repository!, tag: ref.tag, canonical: ref.canonical })
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
