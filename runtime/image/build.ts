// From blobs to an image (DESIGN.md §11): the layers of a manifest unpacked in order into
// tmp/staging-<hex>/rootfs, each checked against the config's diff_id, written as one
// squashfs, and moved into images/<hex> with one rename. Until that rename nothing
// under images/ changes, so a kill -9, a full disk or a bad layer at any step leaves
// the store as it was, and the next command clears the staging tree (store.clearTmp).

import fs from 'node:fs'
import path from 'node:path'
import { keepAccountFiles } from './account-files.ts'
import { LiteError } from '../errors.ts'
import type { ImageNative, SquashfsOptions } from './native-image.ts'
import type { ImageSettings } from './settings.ts'
import { fsyncDir, mkdirDurable, writeFileAtomic } from './store/atomic-file.ts'
import { fileDigest } from './store/blobs.ts'
import { storeFailure } from './store/errors.ts'
import { digestHex } from './store/layout.ts'
import { layerCompression, parseConfig, parseManifest, JSON_LIMIT } from './store/shapes.ts'
import type { ImageRecord, ImageStore } from './store/store.ts'

export interface BuildOptions {
  /** The names it comes in under (image.json's references). */
  references?: string[]
  indexDigest?: string
  source: 'pull' | 'import'
  /** The squashfs writer's options (its defaults otherwise). */
  squashfs?: SquashfsOptions
  /** One line per step, for a terminal (nothing by default). */
  progress?: (line: string) => void
}

export interface BuildResult {
  record: ImageRecord
  /** false when the image was already there (or another command built it meanwhile). */
  built: boolean
}

type BuildNative = Pick<ImageNative, 'unpackLayer' | 'buildSquashfs'>

function configCreated(bytes: Buffer): string | undefined {
  const created = (JSON.parse(bytes.toString('utf8')) as { created?: unknown }).created
  return typeof created === 'string' && created.length <= 64 ? created : undefined
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r')
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * Builds images/<hex> for `manifestDigest`, whose manifest, config and layer blobs are
 * in the store. Safe to run twice at once: the second waits on the image's lock, then
 * finds the image there. With settings.keepBlobs off, the layer blobs are deleted once
 * the image is in place (the manifest and config blobs stay: prune and inspect use them).
 */
/** The addon's error codes for a layer it would not (or could not) apply. */
const LAYER_CODES = new Set(['LayerRefused', 'LayerCorrupt', 'LayerTooLarge', 'Os'])

/**
 * An unpack failure as one "lite: error: ..." line naming the layer: what an untrusted
 * layer makes the addon refuse is the image's fault, not a crash to show with a stack.
 * A full or read-only store stays the store's error (storeFailure).
 */
function layerFailure(e: unknown, what: string, root: string): unknown {
  const failure = storeFailure(e, root, `unpacking ${what}`)
  if (failure !== e) return failure
  const code = (e as { code?: unknown })?.code
  if (e instanceof Error && typeof code === 'string' && LAYER_CODES.has(code)) return new LiteError(`${what}: ${e.message}`)
  return e
}

export async function buildImage(store: ImageStore, native: BuildNative, settings: ImageSettings, manifestDigest: string, options: BuildOptions): Promise<BuildResult> {
  const hex = digestHex(manifestDigest)
  const existing = store.imageRecord(manifestDigest)
  if (existing) return { record: existing, built: false }
  const lock = await store.lockImage(manifestDigest)
  const staging = store.layout.staging(manifestDigest)
  try {
    const done = store.imageRecord(manifestDigest)
    if (done) return { record: done, built: false }
    const manifestBytes = store.blobs.readBytes(manifestDigest, JSON_LIMIT)
    const manifest = parseManifest(manifestBytes, `the manifest ${manifestDigest}`)
    const configBytes = store.blobs.readBytes(manifest.config.digest, JSON_LIMIT)
    const config = parseConfig(configBytes, `the config ${manifest.config.digest}`)
    const diffIds = config.rootfs.diff_ids
    if (diffIds.length !== manifest.layers.length) {
      throw new LiteError(`the image ${manifestDigest} has ${manifest.layers.length} layers but its config lists ${diffIds.length} diff_ids`)
    }
    const compressions = manifest.layers.map((l, i) => {
      const c = layerCompression(l.mediaType)
      if (!c) throw new LiteError(`layer ${i + 1} of ${manifestDigest} has the media type ${JSON.stringify(l.mediaType)}, which is not a layer lite can unpack`)
      if (!store.blobs.has(l.digest)) throw new LiteError(`layer ${i + 1} of ${manifestDigest} (${l.digest}) is missing from the store ${store.root}: pull or import the image again`)
      return c
    })

    // A staging tree of a killed build may still be there: start clean.
    fs.rmSync(staging, { recursive: true, force: true })
    const rootfs = path.join(staging, 'rootfs')
    const imageDir = path.join(staging, 'image')
    fs.mkdirSync(rootfs, { recursive: true, mode: 0o755 })
    fs.mkdirSync(imageDir, { mode: 0o755 })

    const layers: ImageRecord['layers'] = []
    for (const [i, layer] of manifest.layers.entries()) {
      options.progress?.(`unpacking layer ${i + 1}/${manifest.layers.length} ${layer.digest}`)
      const r = await native
        .unpackLayer(store.blobs.path(layer.digest), rootfs, {
          compression: compressions[i]!,
          allowDevices: settings.allowDevices,
          maxBytes: settings.maxLayerBytes,
        })
        .catch((e: unknown) => {
          throw layerFailure(e, `layer ${i + 1} of ${manifestDigest} (${layer.digest})`, store.root)
        })
      if (r.diffId !== diffIds[i]) {
        throw new LiteError(`layer ${i + 1} of ${manifestDigest} (${layer.digest}) unpacks to ${r.diffId}, but the image config says ${diffIds[i]}: the layer or the config is not the one the image was made of`)
      }
      if (r.skippedDevices > 0) options.progress?.(`layer ${i + 1}: skipped ${r.skippedDevices} device node${r.skippedDevices === 1 ? '' : 's'} (images.ini allows them with allow_devices)`)
      layers.push({ digest: layer.digest, mediaType: layer.mediaType, size: layer.size, diffId: r.diffId })
    }

    options.progress?.(`writing the squashfs image of ${manifestDigest}`)
    const sqfs = path.join(imageDir, 'image.sqfs')
    const sq = await native.buildSquashfs(rootfs, sqfs, options.squashfs ?? {})
    fsyncFile(sqfs)
    // Recorded so that lite image verify can tell a damaged image from a whole one.
    const sqfsDigest = fileDigest(sqfs)
    // A User name in the config is resolved through these (run-image.ts, user.ts).
    for (const name of keepAccountFiles(rootfs, imageDir)) fsyncFile(path.join(imageDir, name))
    // The unpacked tree is not needed any more: give its space back before the rest.
    fs.rmSync(rootfs, { recursive: true, force: true })

    const record: ImageRecord = {
      manifestDigest,
      ...(manifest.mediaType ? { manifestMediaType: manifest.mediaType } : {}),
      configDigest: manifest.config.digest,
      ...(options.indexDigest ? { indexDigest: options.indexDigest } : {}),
      references: options.references ?? [],
      architecture: config.architecture,
      os: config.os,
      ...(config.variant ? { variant: config.variant } : {}),
      stored: new Date().toISOString(),
      ...(configCreated(configBytes) ? { created: configCreated(configBytes) } : {}),
      size: fs.statSync(sqfs).size,
      layers,
      squashfs: { bytes: sq.bytes, inodes: sq.inodes, files: sq.files, dataBytes: sq.dataBytes, sha256: sqfsDigest },
      source: options.source,
    }
    writeFileAtomic(path.join(imageDir, 'manifest.json'), manifestBytes)
    writeFileAtomic(path.join(imageDir, 'config.json'), configBytes)
    // image.json last: it is what says "this image is whole" (hasImage).
    writeFileAtomic(path.join(imageDir, 'image.json'), `${JSON.stringify(record, null, 2)}\n`)
    fsyncDir(imageDir)

    mkdirDurable(store.layout.imagesDir)
    const target = store.layout.image(manifestDigest)
    if (fs.existsSync(target)) {
      // A directory without its image.json (not one lite wrote: hand-made or damaged).
      const trash = path.join(store.layout.tmpDir, `delete-${hex}-${process.pid}`)
      fs.renameSync(target, trash)
      fs.rmSync(trash, { recursive: true, force: true })
    }
    fs.renameSync(imageDir, target)
    fsyncDir(store.layout.imagesDir)
    fs.rmSync(staging, { recursive: true, force: true })

    if (!settings.keepBlobs) {
      // A layer this image shares with one another command is pulling right now may go
      // under it; that build then stops with "missing from the store: pull again".
      // keep_blobs is on by default; boards that turn it off pull one image at a time.
      const keep = new Set([manifestDigest, manifest.config.digest])
      let removed = 0
      for (const l of manifest.layers) {
        if (keep.has(l.digest)) continue
        fs.rmSync(store.blobs.path(l.digest), { force: true })
        removed++
      }
      if (removed) fsyncDir(store.layout.blobsDir)
    }
    options.progress?.(`stored ${manifestDigest} (${hex.slice(0, 12)})`)
    return { record, built: true }
  } catch (e) {
    try {
      fs.rmSync(staging, { recursive: true, force: true })
    } catch {
      // A read-only store: the next command that can write clears tmp/.
    }
    throw storeFailure(e, store.root, `building the image ${manifestDigest}`)
  } finally {
    lock.release()
  }
}
