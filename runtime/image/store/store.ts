// The image store (DESIGN.md §11): images by manifest digest, refs and container
// records as small files replaced by one rename, and the clean-up that makes a kill -9
// at any moment harmless: tmp/ holds everything half-done and is cleared (partial
// downloads excepted) by the next command that writes.
//
//   images/<hex>/      image.sqfs, config.json, manifest.json, image.json (ImageRecord)
//   refs/<registry>/<repository>/:<tag>           one line: the manifest digest
//   refs/<registry>/<repository>/@sha256:<hex>    the same, for a pull by digest
//   containers/<name>  {"current": digest, "next": null, "previous": null}
//
// A tag file is named ":<tag>" (and a digest ref "@<digest>"), not plain "<tag>": a
// repository component never holds ':' or '@', so the tag "y" of "x" and the
// repository "x/y" can both exist; with plain names one would be a file and the other
// a directory at the same path.

import fs from 'node:fs'
import path from 'node:path'
import { LiteError } from '../../errors.ts'
import { imageNative, type ImageNative } from '../native-image.ts'
import { parseReference } from '../reference.ts'
import type { ImageSettings } from '../settings.ts'
import type { ImageConfig, ImageReference } from '../types.ts'
import { fsyncDir, mkdirDurable, writeFileAtomic } from './atomic-file.ts'
import { BlobStore } from './blobs.ts'
import { storeFailure } from './errors.ts'
import { StoreLayout, digestHex } from './layout.ts'
import { ImageNotInStore, readRefFile, storedImage } from './lookup.ts'
import { CONTAINER_NAME } from '../../config/container-name.ts'
import { deleteContainerRecord, readContainerRecord, recordImages, writeContainerRecord, type ContainerRecord } from './containers.ts'
import { acquireLock, tryLock, type HeldLock, type LockMode } from './locks.ts'
import { parseConfig } from './shapes.ts'
import { readSmallFile } from './small-file.ts'

/** image.json: what `lite image ls/inspect` show without reading the squashfs. */
export interface ImageRecord {
  manifestDigest: string
  manifestMediaType?: string
  configDigest: string
  /** The index (manifest list) the manifest was chosen from, when there was one. */
  indexDigest?: string
  /** The names it had when it entered the store (refs/ is the truth for tags). */
  references: string[]
  architecture: string
  os: string
  variant?: string
  /** When it entered this store (ISO 8601). */
  stored: string
  /** The config's own "created", when it has one. */
  created?: string
  /** image.sqfs in bytes: what the image takes on the board. */
  size: number
  layers: { digest: string; mediaType: string; size: number; diffId: string }[]
  /** sha256: "sha256:<hex>" of image.sqfs as written (lite image verify); absent in images stored by older lite. */
  squashfs: { bytes: number; inodes: number; files: number; dataBytes: number; sha256?: string }
  source: 'pull' | 'import'
}

export interface RefEntry {
  registry: string
  repository: string
  tag?: string
  digest?: string
  /** registry/repository:tag or registry/repository@digest */
  canonical: string
  manifestDigest: string
}

export interface Freed {
  /** One line per thing removed, for the user. */
  lines: string[]
  bytes: number
}

type Locker = Pick<ImageNative, 'lockFile'>

export interface StoreOptions {
  /** Progress and waiting notes (stderr by default). */
  log?: (line: string) => void
  /** The bounded waits, in ms. */
  storeWaitMs?: number
  buildWaitMs?: number
}

const HEX_PREFIX = /^(?:sha256:)?([0-9a-f]{6,64})$/
const SMALL_FILE = 64 << 10

function readSmall(file: string, limit = SMALL_FILE): string | undefined {
  return readSmallFile(file, limit)?.toString('utf8')
}

/** Bytes a file or tree takes (apparent sizes, like du -sb). */
export function treeBytes(p: string): number {
  let st: fs.Stats
  try {
    st = fs.lstatSync(p)
  } catch {
    return 0
  }
  if (!st.isDirectory()) return st.size
  let sum = 0
  for (const name of fs.readdirSync(p)) sum += treeBytes(path.join(p, name))
  return sum
}

export function humanBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let i = 0
  let v = n
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000
    i++
  }
  return i === 0 ? `${n}B` : `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)}${units[i]}`
}

/** The blobs an image reaches: its manifest, config, index (if any) and layers. */
export function recordBlobs(r: ImageRecord): string[] {
  return [r.manifestDigest, r.configDigest, ...(r.indexDigest ? [r.indexDigest] : []), ...r.layers.map((l) => l.digest)]
}

/**
 * What an entry of tmp/ is to the clean-up: the lock its owner holds while it works
 * (none: nobody works in it), and whether only prune takes it (a partial download,
 * kept for a resume). Undefined: not lite's, left alone.
 */
export function tmpEntry(name: string): { lock?: string; pruneOnly: boolean } | undefined {
  let m: RegExpExecArray | null
  if ((m = /^blob-([0-9a-f]{64})\.partial$/.exec(name))) return { lock: `blob-${m[1]}`, pruneOnly: true }
  if ((m = /^staging-([0-9a-f]{64})$/.exec(name))) return { lock: `image-${m[1]}`, pruneOnly: false }
  if ((m = /^import-([0-9a-z]+)$/.exec(name))) return { lock: `work-${m[1]}`, pruneOnly: false }
  if (/^delete-[0-9a-z-]+$/.test(name)) return { pruneOnly: false }
  if (/^\.probe-\d+$/.test(name)) return { pruneOnly: true }
  return undefined
}

function checkContainerName(name: string): string {
  if (!CONTAINER_NAME.test(name)) throw new LiteError(`${JSON.stringify(name)} is not a valid container name (1 to 63 of a-z 0-9 _ . -, starting with a letter or digit)`)
  return name
}

export class ImageStore {
  readonly layout: StoreLayout
  readonly blobs: BlobStore
  readonly log: (line: string) => void
  readonly storeWaitMs: number
  readonly buildWaitMs: number

  constructor(
    root: string,
    readonly native: Locker,
    options: StoreOptions & { lockDir?: string } = {},
  ) {
    this.layout = new StoreLayout(root, options.lockDir)
    this.blobs = new BlobStore(this.layout)
    this.blobs.downloadLock = (digest) =>
      acquireLock(this.native, this.layout.blobLock(digest), 'exclusive', {
        timeoutMs: this.buildWaitMs,
        what: `the download of ${digest}`,
        onWait: () => this.log(`waiting for another download of ${digest}`),
      })
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`))
    this.storeWaitMs = options.storeWaitMs ?? 120_000
    this.buildWaitMs = options.buildWaitMs ?? 30 * 60_000
  }

  /** The store the settings name, with the addon's flock. */
  static async open(settings: ImageSettings, options: StoreOptions = {}): Promise<ImageStore> {
    return new ImageStore(settings.store, await imageNative(), options)
  }

  get root(): string {
    return this.layout.root
  }

  // ---------------------------------------------------------------- sessions

  /**
   * Creates the store's directories and proves it writable before any work starts, so
   * a read-only or foreign store fails at once with one clear line.
   */
  prepare(): void {
    try {
      // Durably: a ref, a blob or an image written into a directory made here must
      // not vanish with it in a power cut.
      for (const d of [this.layout.blobsDir, this.layout.imagesDir, this.layout.refsDir, this.layout.containersDir, this.layout.tmpDir]) mkdirDurable(d)
      const probe = path.join(this.layout.tmpDir, `.probe-${process.pid}`)
      fs.writeFileSync(probe, '', { flag: 'w' })
      fs.rmSync(probe, { force: true })
    } catch (e) {
      throw storeFailure(e, this.root)
    }
  }

  async lockStore(mode: LockMode): Promise<HeldLock> {
    return acquireLock(this.native, this.layout.storeLock, mode, {
      timeoutMs: this.storeWaitMs,
      what: `the image store ${this.root}`,
      onWait: () => this.log(mode === 'shared' ? `waiting for lite image rm or prune on ${this.root} to finish` : `waiting for the pulls and imports on ${this.root} to finish`),
    })
  }

  /**
   * A command that adds to the store: the store shared (rm and prune wait), tmp/
   * cleared of what dead commands left (partial downloads kept), then `body`. A full
   * or read-only store comes out as one clear LiteError.
   */
  async adding<T>(body: () => Promise<T>, what?: string): Promise<T> {
    return this.holding('shared', body, what)
  }

  /** A command that removes (rm, prune): the store alone. */
  async removing<T>(body: () => Promise<T>, what?: string): Promise<T> {
    return this.holding('exclusive', body, what)
  }

  private async holding<T>(mode: LockMode, body: () => Promise<T>, what?: string): Promise<T> {
    this.prepare()
    const lock = await this.lockStore(mode)
    try {
      this.clearTmp(false)
      return await body()
    } catch (e) {
      throw storeFailure(e, this.root, what)
    } finally {
      lock.release()
    }
  }

  /**
   * Removes what killed commands left in tmp/: staging trees whose image lock is free,
   * import work dirs whose lock is free and trees already renamed out of images/.
   * Partial downloads are kept for a resume unless `all` (prune, store held alone).
   */
  clearTmp(all: boolean): Freed {
    const freed: Freed = { lines: [], bytes: 0 }
    let names: string[]
    try {
      names = fs.readdirSync(this.layout.tmpDir)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return freed
      throw e
    }
    for (const name of names) {
      const full = path.join(this.layout.tmpDir, name)
      const entry = tmpEntry(name)
      if (!entry || (entry.pruneOnly && !all)) continue
      let lock: HeldLock | undefined
      if (entry.lock) {
        lock = tryLock(this.native, this.layout.lockFile(entry.lock), 'exclusive')
        if (!lock) continue
      }
      try {
        const bytes = treeBytes(full)
        fs.rmSync(full, { recursive: true, force: true })
        freed.bytes += bytes
        freed.lines.push(`removed ${full} (${humanBytes(bytes)})`)
      } finally {
        lock?.release()
      }
    }
    return freed
  }

  // ---------------------------------------------------------------- refs

  refFile(ref: ImageReference): string {
    try {
      return this.layout.refFile(ref)
    } catch (e) {
      throw new LiteError((e as Error).message)
    }
  }

  /** Points the ref at an image (write temp, fsync, rename, fsync dir). */
  setRef(ref: ImageReference, manifestDigest: string): void {
    digestHex(manifestDigest)
    if (!this.hasImage(manifestDigest)) throw new LiteError(`cannot tag ${ref.canonical}: the image ${manifestDigest} is not in the store`)
    writeFileAtomic(this.refFile(ref), `${manifestDigest}\n`)
  }

  /** The manifest digest a ref names, or undefined. */
  getRef(ref: ImageReference): string | undefined {
    try {
      return readRefFile(this.layout, ref)
    } catch (e) {
      throw e instanceof ImageNotInStore ? new LiteError(e.message) : e
    }
  }

  /** Removes a ref (and the directories it leaves empty); false if it was not there. */
  removeRef(ref: ImageReference): boolean {
    const file = this.refFile(ref)
    try {
      fs.unlinkSync(file)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw e
    }
    fsyncDir(path.dirname(file))
    for (let dir = path.dirname(file); dir.startsWith(this.layout.refsDir + path.sep); dir = path.dirname(dir)) {
      try {
        fs.rmdirSync(dir)
      } catch {
        break
      }
    }
    return true
  }

  /** Every valid ref; `onBad` hears of a ref file that names no digest (not listed, not a root). */
  listRefs(onBad?: (canonical: string, why: string) => void): RefEntry[] {
    const out: RefEntry[] = []
    const walk = (dir: string, parts: string[]) => {
      if (parts.length > 64) return
      let entries: fs.Dirent[]
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true })
      } catch {
        return
      }
      for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        if (e.isDirectory()) {
          walk(path.join(dir, e.name), [...parts, e.name])
          continue
        }
        if (!e.isFile() || parts.length < 2 || !/^[:@]/.test(e.name)) continue
        const [registry, ...repo] = parts
        const repository = repo.join('/')
        const tag = e.name.startsWith(':') ? e.name.slice(1) : undefined
        const digest = e.name.startsWith('@') ? e.name.slice(1) : undefined
        const ref: ImageReference = { registry: registry!, repository, tag, digest, canonical: `${registry}/${repository}${tag ? `:${tag}` : `@${digest}`}` }
        try {
          const manifestDigest = this.getRef(ref)
          if (manifestDigest) out.push({ registry: ref.registry, repository, tag, digest, canonical: ref.canonical, manifestDigest })
        } catch (err) {
          // A file that is not a valid ref (hand-made): not listed, and not a root.
          onBad?.(ref.canonical, (err as Error).message)
        }
      }
    }
    walk(this.layout.refsDir, [])
    return out
  }

  // ---------------------------------------------------------------- images

  hasImage(manifestDigest: string): boolean {
    return fs.existsSync(this.layout.imageFile(manifestDigest, 'image.json'))
  }

  imageRecord(manifestDigest: string): ImageRecord | undefined {
    const text = readSmall(this.layout.imageFile(manifestDigest, 'image.json'), 1 << 20)
    return text === undefined ? undefined : (JSON.parse(text) as ImageRecord)
  }

  imageConfig(manifestDigest: string): ImageConfig {
    const file = this.layout.imageFile(manifestDigest, 'config.json')
    const text = readSmall(file, 4 << 20)
    if (text === undefined) throw new LiteError(`the image ${manifestDigest} is not in the store ${this.root}`)
    return parseConfig(Buffer.from(text), file)
  }

  /** Every images/<hex> as a manifest digest, whole (with its image.json) or not; sorted. */
  listImageDirs(): string[] {
    let names: string[]
    try {
      names = fs.readdirSync(this.layout.imagesDir)
    } catch {
      return []
    }
    return names.filter((n) => /^[0-9a-f]{64}$/.test(n)).sort().map((n) => `sha256:${n}`)
  }

  /** Every image's manifest digest. */
  listImages(): string[] {
    return this.listImageDirs().filter((d) => this.hasImage(d))
  }

  /**
   * What `lite image inspect/rm` and `[rootfs] image` name: a ref (tag or digest), a
   * manifest digest, or a unique prefix of at least 6 hex digits of one.
   */
  resolve(arg: string): { digest: string; ref?: RefEntry } | undefined {
    if (/^sha256:[0-9a-f]{64}$/.test(arg)) return this.hasImage(arg) ? { digest: arg } : undefined
    let ref: ImageReference | undefined
    try {
      ref = parseReference(arg)
    } catch {
      ref = undefined
    }
    if (ref) {
      const digest = this.getRef(ref)
      if (digest) {
        const canonical = `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : `@${ref.digest}`}`
        return { digest, ref: { registry: ref.registry, repository: ref.repository, tag: ref.tag, digest: ref.tag !== undefined ? undefined : ref.digest, canonical, manifestDigest: digest } }
      }
      // registry/repo@digest whose digest is an image's own: the image.
      if (ref.digest && !ref.tag && this.hasImage(ref.digest)) return { digest: ref.digest }
    }
    const m = HEX_PREFIX.exec(arg)
    if (m) {
      const found = this.listImages().filter((d) => d.slice(7).startsWith(m[1]!))
      if (found.length === 1) return { digest: found[0]! }
      if (found.length > 1) throw new LiteError(`${arg} is the start of ${found.length} image digests; give more of it`)
    }
    return undefined
  }

  /** The image a name gives, as `[rootfs] image` needs it. */
  image(arg: string): { digest: string; dir: string; squashfs: string; config: ImageConfig; record: ImageRecord } {
    const found = this.resolve(arg)
    if (!found) throw new LiteError(`no image ${arg} in the store ${this.root} (lite image pull or lite image import brings one in)`)
    const record = this.imageRecord(found.digest)
    if (!record) throw new LiteError(`the image ${found.digest} is not in the store ${this.root}`)
    return { digest: found.digest, dir: this.layout.image(found.digest), squashfs: this.layout.imageFile(found.digest, 'image.sqfs'), config: this.imageConfig(found.digest), record }
  }

  // ---------------------------------------------------------------- containers

  readContainer(name: string): ContainerRecord | undefined {
    try {
      return readContainerRecord(this.layout, checkContainerName(name))
    } catch (e) {
      throw e instanceof LiteError ? e : new LiteError((e as Error).message)
    }
  }

  /**
   * Records that container `name` runs image `digest` (lite run with [rootfs] image):
   * a root for prune and a refusal for rm from now on. next and previous are kept.
   * Holds the store shared, so a prune cannot remove the image between the check and
   * the write.
   */
  async recordContainer(name: string, digest: string): Promise<void> {
    checkContainerName(name)
    digestHex(digest)
    // Not prepare(): this runs at every start of an image container, and a record that
    // is already current writes nothing (no probe file on the board's flash either).
    const lock = await this.lockStore('shared')
    try {
      // There as lite run finds it (its image file), which is what the container mounts.
      if (!storedImage(this.layout, digest)) throw new LiteError(`the image ${digest} is not in the store ${this.root}`)
      writeContainerRecord(this.layout, name, digest)
    } catch (e) {
      throw storeFailure(e, this.root, `recording the image of ${name}`)
    } finally {
      lock.release()
    }
  }

  /** Forgets container `name`'s record (lite rm): its image is no longer a root. */
  async releaseContainer(name: string): Promise<void> {
    checkContainerName(name)
    try {
      deleteContainerRecord(this.layout, name)
    } catch (e) {
      throw storeFailure(e, this.root, `releasing the image of ${name}`)
    }
  }

  /**
   * digest → the containers whose record names it (current, next, previous or older);
   * `onBad` hears of a record that cannot be read (not a root).
   */
  containerImages(onBad?: (name: string, why: string) => void): Map<string, string[]> {
    const out = new Map<string, string[]>()
    let names: string[]
    try {
      names = fs.readdirSync(this.layout.containersDir)
    } catch {
      return out
    }
    for (const name of names.sort()) {
      if (!CONTAINER_NAME.test(name)) continue
      let record: ContainerRecord | undefined
      try {
        record = this.readContainer(name)
      } catch (err) {
        onBad?.(name, (err as Error).message)
        continue
      }
      if (!record) continue
      for (const d of recordImages(record)) out.set(d, [...(out.get(d) ?? []), name])
    }
    return out
  }

  // ---------------------------------------------------------------- removal

  /** Takes images/<hex> out of sight with one rename, then deletes it. */
  private deleteImageDir(digest: string): number {
    const dir = this.layout.image(digest)
    const trash = path.join(this.layout.tmpDir, `delete-${digestHex(digest)}`)
    fs.rmSync(trash, { recursive: true, force: true })
    const bytes = treeBytes(dir)
    fs.renameSync(dir, trash)
    fsyncDir(this.layout.imagesDir)
    fs.rmSync(trash, { recursive: true, force: true })
    return bytes
  }

  /** The blobs the remaining images reach: their manifests, configs, indexes and layers. */
  private reachedBlobs(): Set<string> {
    const reached = new Set<string>()
    for (const d of this.listImages()) {
      const r = this.imageRecord(d)
      if (r) for (const b of recordBlobs(r)) reached.add(b)
    }
    return reached
  }

  /** Every blob's digest (the files of blobs/sha256 named by one). */
  listBlobs(): string[] {
    let names: string[]
    try {
      names = fs.readdirSync(this.layout.blobsDir)
    } catch {
      return []
    }
    return names.filter((n) => /^[0-9a-f]{64}$/.test(n)).map((n) => `sha256:${n}`)
  }

  /** The images prune keeps: those a ref or a container record names. */
  roots(): Set<string> {
    const roots = new Set(this.listRefs().map((r) => r.manifestDigest))
    for (const d of this.containerImages().keys()) roots.add(d)
    return roots
  }

  /** Deletes blobs no image reaches (all of them, or only `among`). */
  private sweepBlobs(among?: Set<string>): Freed {
    const freed: Freed = { lines: [], bytes: 0 }
    const reached = this.reachedBlobs()
    let count = 0
    for (const digest of this.listBlobs()) {
      if (reached.has(digest) || (among && !among.has(digest))) continue
      const file = this.layout.blob(digest)
      freed.bytes += treeBytes(file)
      fs.rmSync(file, { force: true })
      count++
    }
    if (count) {
      fsyncDir(this.layout.blobsDir)
      freed.lines.push(`deleted ${count} blob${count === 1 ? '' : 's'} (${humanBytes(freed.bytes)})`)
    }
    return freed
  }

  /** The temp files of atomic writes (.NAME.PID.tmp) that a kill left in blobs/, refs/ and containers/. */
  tempLeftovers(): string[] {
    const found: string[] = []
    const walk = (dir: string, depth: number) => {
      let entries: fs.Dirent[]
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true })
      } catch {
        return
      }
      for (const e of entries) {
        const full = path.join(dir, e.name)
        if (e.isDirectory() && depth < 64) walk(full, depth + 1)
        else if (e.isFile() && /^\..+\.\d+\.tmp$/.test(e.name)) found.push(full)
      }
    }
    for (const d of [this.layout.blobsDir, this.layout.refsDir, this.layout.containersDir]) walk(d, 0)
    return found
  }

  private removeTempLeftovers(): Freed {
    const freed: Freed = { lines: [], bytes: 0 }
    for (const full of this.tempLeftovers()) {
      freed.bytes += treeBytes(full)
      fs.rmSync(full, { force: true })
      freed.lines.push(`removed ${full}`)
    }
    return freed
  }

  /** Removes an image no ref or container reaches any more, and the blobs only it reached. */
  private dropImage(digest: string): Freed {
    const record = this.imageRecord(digest)
    const bytes = this.deleteImageDir(digest)
    const own = new Set<string>([digest, ...(record ? recordBlobs(record) : [])])
    const blobs = this.sweepBlobs(own)
    return { lines: [`deleted ${digest} (${humanBytes(bytes)})`, ...blobs.lines], bytes: bytes + blobs.bytes }
  }

  /**
   * lite image rm: each name is a ref (removed; the image goes with its last ref) or an
   * image (all its refs go, then it). Refused, naming the container, while a container
   * record uses the image. Returns the lines to print and the names that failed.
   */
  async remove(names: string[]): Promise<{ lines: string[]; errors: string[] }> {
    return this.removing(async () => {
      const lines: string[] = []
      const errors: string[] = []
      for (const name of names) {
        try {
          const found = this.resolve(name)
          if (!found) throw new LiteError(`no image ${name} in the store ${this.root}`)
          const refs = this.listRefs().filter((r) => r.manifestDigest === found.digest)
          const others = found.ref ? refs.filter((r) => r.canonical !== found.ref!.canonical) : []
          const lastRef = others.length === 0
          const users = this.containerImages().get(found.digest) ?? []
          if (lastRef && users.length) {
            throw new LiteError(`cannot remove ${name}: the container${users.length > 1 ? 's' : ''} ${users.join(', ')} use${users.length > 1 ? '' : 's'} the image ${found.digest} (lite rm the container first)`)
          }
          const untag = found.ref ? [found.ref] : refs
          for (const r of untag) {
            this.removeRef(parseReference(r.canonical))
            lines.push(`untagged ${r.canonical}`)
          }
          if (lastRef && this.hasImage(found.digest)) lines.push(...this.dropImage(found.digest).lines)
        } catch (e) {
          const err = storeFailure(e, this.root)
          if (!(err instanceof LiteError)) throw err
          errors.push(err.message)
        }
      }
      return { lines, errors }
    })
  }

  /**
   * lite image prune: images no ref and no container record reaches, blobs no
   * remaining image reaches, and everything in tmp/ (the store is held alone, so
   * nothing there is in use).
   */
  async prune(): Promise<Freed> {
    return this.removing(async () => {
      const roots = this.roots()
      const freed: Freed = { lines: [], bytes: 0 }
      const add = (f: Freed) => {
        freed.lines.push(...f.lines)
        freed.bytes += f.bytes
      }
      for (const d of this.listImages()) {
        if (roots.has(d)) continue
        const bytes = this.deleteImageDir(d)
        add({ lines: [`deleted ${d} (${humanBytes(bytes)})`], bytes })
      }
      add(this.sweepBlobs())
      add(this.clearTmp(true))
      add(this.removeTempLeftovers())
      // Image, blob and work locks are only taken with the store shared, which we hold
      // alone: their files can go without a waiter locking an unlinked inode.
      try {
        for (const name of fs.readdirSync(this.layout.lockDir)) if (/^(image|blob|work)-[0-9a-f]+$/.test(name)) fs.rmSync(path.join(this.layout.lockDir, name), { force: true })
      } catch {
        // no lock dir: nothing to tidy
      }
      return freed
    })
  }

  /** Waits, bounded, for the build lock of an image (build.ts). */
  async lockImage(manifestDigest: string): Promise<HeldLock> {
    return acquireLock(this.native, this.layout.imageLock(manifestDigest), 'exclusive', {
      timeoutMs: this.buildWaitMs,
      what: `the image ${manifestDigest}`,
      onWait: () => this.log(`waiting for another lite command that is building ${manifestDigest}`),
    })
  }
}
