// Bringing an image into the store: a pull from a registry, or an import of a docker
// save archive, an OCI archive or an OCI layout. `lite image pull|import` and
// `lite update` share it, so both verify digests and store the same way.

import { existsSync } from 'node:fs'
import { LiteError } from '../errors.ts'
import type { ImageSettings } from './settings.ts'

export interface PullRequest {
  ref: string
  arch?: 'amd64' | 'arm64'
  insecure?: boolean
  quiet?: boolean
  progress?: (line: string) => void
}

/** Pulls `ref` (verified against its digests), builds its image file and sets its ref; the manifest digest. */
export async function pullIntoStore(settings: ImageSettings, req: PullRequest): Promise<string> {
  const { ImageStore } = await import('./store/store.ts')
  const { imageNative } = await import('./native-image.ts')
  const { buildImage } = await import('./build.ts')
  const { pullImage } = await import('./registry/pull.ts')
  const native = await imageNative()
  const store = new ImageStore(settings.store, native)
  return store.adding(async () => {
    const r = await pullImage(req.ref, settings, store.blobs, { arch: req.arch, insecure: req.insecure, quiet: req.quiet })
    await buildImage(store, native, settings, r.manifestDigest, {
      references: [r.reference.canonical],
      indexDigest: r.indexDigest,
      source: 'pull',
      progress: req.quiet ? undefined : req.progress,
    })
    store.setRef(r.reference, r.manifestDigest)
    return r.manifestDigest
  }, `pulling ${req.ref}`)
}

export interface ImportRequest {
  source: string
  tag?: string
  arch?: string
  progress?: (line: string) => void
}

/** Imports every image of `source`; each one's digest and refs. */
export async function importIntoStore(settings: ImageSettings, req: ImportRequest): Promise<{ manifestDigest: string; references: string[] }[]> {
  const { ImageStore } = await import('./store/store.ts')
  const { imageNative } = await import('./native-image.ts')
  const { importImages } = await import('./import/import.ts')
  const native = await imageNative()
  const store = new ImageStore(settings.store, native)
  return importImages(store, native, settings, req.source, { tag: req.tag, arch: req.arch, progress: req.progress ?? (() => {}) })
}

/**
 * lite update's SOURCE: a file or directory that exists is imported (it must hold one
 * image), anything else is pulled as a reference. The manifest digest.
 */
export async function bringImage(settings: ImageSettings, source: string, opts: Omit<PullRequest, 'ref'>): Promise<string> {
  if (source.startsWith('/') || source.startsWith('.') || existsSync(source)) {
    if (!existsSync(source)) throw new LiteError(`${source}: no such file or directory (an image archive or OCI layout to update to)`)
    const images = await importIntoStore(settings, { source, arch: opts.arch, progress: opts.quiet ? undefined : opts.progress })
    if (images.length !== 1) throw new LiteError(`${source} holds ${images.length} images; an update takes one`)
    return images[0]!.manifestDigest
  }
  return pullIntoStore(settings, { ...opts, ref: source })
}
