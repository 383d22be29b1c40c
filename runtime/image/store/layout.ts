// Where things live in the image store (DESIGN.md §11). One place names every path,
// so the layout can be read here rather than pieced together from callers.
//
//   <root>/blobs/sha256/<hex>        layers, configs, manifests as fetched; verified
//   <root>/images/<hex>/             image.sqfs, config.json, manifest.json, image.json (by manifest digest)
//   <root>/refs/<registry>/<repo>/:<tag>   one line: a manifest digest (store.ts says why ':')
//   <root>/refs/<registry>/<repo>/@sha256:<hex>   the same for a pull by digest
//   <root>/containers/<name>         a container's image record
//   <root>/tmp/                      blob-<hex>.partial downloads, staging-<hex> trees,
//                                    import-<id> work dirs; cleared or resumed
// Locks live under /run/lite/.lite-locks/store/<store id> (tmpfs: they vanish with a
// reboot; one directory per store, so two stores on one host never wait for each other).
// Not /run/lite/locks: every directory of /run/lite with a container's name is taken
// for a container's state, and "locks" is a valid name (lite ps would settle it as a
// dead container and remove it, locks held or not). A name starting with "." never is.

import fs from 'node:fs'
import path from 'node:path'
import { sha256Hex } from '../../host/builtins.ts'

export const DEFAULT_STORE = '/var/lib/lite'
/** /run/lite/.lite-locks/store, or under LITE_STATE_ROOT (tests keep apart with it). */
export const STORE_LOCK_DIR = path.join(process.env.LITE_STATE_ROOT || '/run/lite', '.lite-locks', 'store')

const DIGEST = /^sha256:([0-9a-f]{64})$/
const REGISTRY = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?$/
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/

/** What names a ref file: a parsed reference (reference.ts) with a tag or a digest. */
export interface RefName {
  registry: string
  repository: string
  tag?: string
  digest?: string
  canonical: string
}

/** The hex of a sha256 digest, or an error: a digest from outside is checked before it names a path. */
export function digestHex(digest: string): string {
  const m = DIGEST.exec(digest)
  if (!m) throw new Error(`${JSON.stringify(digest)} is not a sha256 digest`)
  return m[1]!
}

export class StoreLayout {
  readonly root: string
  /** This store's lock directory: STORE_LOCK_DIR/<16 hex of the store's absolute path>. */
  readonly lockDir: string

  constructor(root: string, lockDir?: string) {
    this.root = path.resolve(root)
    // Named by the real path: /var/lib/lite and a symlink to it share their locks.
    let real = this.root
    try {
      real = fs.realpathSync(this.root)
    } catch {
      // not created yet: its own path
    }
    this.lockDir = lockDir ?? path.join(STORE_LOCK_DIR, sha256Hex(real).slice(0, 16))
  }

  get blobsDir(): string {
    return path.join(this.root, 'blobs', 'sha256')
  }
  blob(digest: string): string {
    return path.join(this.blobsDir, digestHex(digest))
  }
  get imagesDir(): string {
    return path.join(this.root, 'images')
  }
  image(manifestDigest: string): string {
    return path.join(this.imagesDir, digestHex(manifestDigest))
  }
  get refsDir(): string {
    return path.join(this.root, 'refs')
  }
  get containersDir(): string {
    return path.join(this.root, 'containers')
  }
  get tmpDir(): string {
    return path.join(this.root, 'tmp')
  }
  /** A download in progress; kept across a kill so that the next pull resumes it. */
  partialBlob(digest: string): string {
    return path.join(this.tmpDir, `blob-${digestHex(digest)}.partial`)
  }
  /** A staging tree: the unpacked layers and the image being written (build.ts). */
  staging(manifestDigest: string): string {
    return path.join(this.tmpDir, `staging-${digestHex(manifestDigest)}`)
  }
  lockFile(name: string): string {
    return path.join(this.lockDir, name)
  }
  /** Held shared by every command that adds to the store, exclusive by rm and prune. */
  get storeLock(): string {
    return this.lockFile('store')
  }
  /** Held while an image is built from its manifest. */
  imageLock(manifestDigest: string): string {
    return this.lockFile(`image-${digestHex(manifestDigest)}`)
  }
  /** Held while a blob is downloaded into tmp/blob-<hex>.partial. */
  blobLock(digest: string): string {
    return this.lockFile(`blob-${digestHex(digest)}`)
  }
  imageFile(manifestDigest: string, name: 'image.sqfs' | 'config.json' | 'manifest.json' | 'image.json'): string {
    return path.join(this.image(manifestDigest), name)
  }
  /**
   * refs/<registry>/<repository>/:<tag>, or .../@sha256:<hex> for a pull by digest. A
   * tag file is named ":<tag>", not plain "<tag>": a repository component never holds
   * ':' or '@', so the tag "y" of "x" and the repository "x/y" can both exist. Every
   * part is checked again here, since a ref names a path.
   */
  refFile(ref: RefName): string {
    const bad = (why: string) => new Error(`the reference ${ref.canonical} cannot name a ref file: ${why}`)
    if (!REGISTRY.test(ref.registry)) throw bad('bad registry')
    const parts = ref.repository.split('/')
    if (ref.repository.length > 255 || parts.some((p) => !COMPONENT.test(p))) throw bad('bad repository')
    let leaf: string
    if (ref.tag !== undefined) {
      if (!TAG.test(ref.tag)) throw bad('bad tag')
      leaf = `:${ref.tag}`
    } else if (ref.digest !== undefined) {
      leaf = `@sha256:${digestHex(ref.digest)}`
    } else throw bad('no tag or digest')
    return path.join(this.refsDir, ref.registry, ...parts, leaf)
  }
}
