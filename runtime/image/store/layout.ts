// Where things live in the image store (DESIGN.md §11). One place names every path,
// so the layout can be read here rather than pieced together from callers.
//
//   <root>/blobs/sha256/<hex>        layers, configs, manifests as fetched; verified
//   <root>/images/<hex>/             image.sqfs, config.json, manifest.json (by manifest digest)
//   <root>/refs/<registry>/<repo>/<tag>   one line: a manifest digest
//   <root>/containers/<name>         a container's image record
//   <root>/tmp/                      partial downloads, staging trees; cleared or resumed
// Locks live under /run/lite/locks/store (tmpfs: they vanish with a reboot).

import path from 'node:path'

export const DEFAULT_STORE = '/var/lib/lite'
export const STORE_LOCK_DIR = '/run/lite/locks/store'

const DIGEST = /^sha256:([0-9a-f]{64})$/

/** The hex of a sha256 digest, or an error: a digest from outside is checked before it names a path. */
export function digestHex(digest: string): string {
  const m = DIGEST.exec(digest)
  if (!m) throw new Error(`${JSON.stringify(digest)} is not a sha256 digest`)
  return m[1]!
}

export class StoreLayout {
  constructor(readonly root: string) {}

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
  lockFile(name: string): string {
    return path.join(STORE_LOCK_DIR, name)
  }
}
