// Blobs by sha256: every byte is checked against its digest before it gets its name,
// so a file under blobs/ is always whole and right. Downloads stream into
// tmp/blob-<hex>.partial, which survives a kill so that the next pull resumes it.

import type { Hash } from 'node:crypto'
import fs from 'node:fs'
import { nodeCrypto } from '../../host/builtins.ts'
import { renameDurable, writeFileAtomic } from './atomic-file.ts'
import { StoreLayout, digestHex } from './layout.ts'

// At the first hash: every start of an image container loads the store's modules (to
// record its image) and hashes nothing.
const createHash = (algorithm: 'sha256'): Hash => nodeCrypto().createHash(algorithm)

export class DigestMismatch extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
    what: string,
  ) {
    super(`${what}: digest mismatch: expected ${expected}, got ${actual}`)
    this.name = 'DigestMismatch'
  }
}

export function sha256Digest(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`
}

/** sha256 of what is left to read of an open file, read in bounded chunks. */
export function fdDigest(fd: number): string {
  const hash = createHash('sha256')
  const buf = Buffer.allocUnsafe(1 << 20)
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, null)
    if (n === 0) break
    hash.update(buf.subarray(0, n))
  }
  return `sha256:${hash.digest('hex')}`
}

/** sha256 of a file, read in bounded chunks. */
export function fileDigest(file: string): string {
  const fd = fs.openSync(file, 'r')
  try {
    return fdDigest(fd)
  } finally {
    fs.closeSync(fd)
  }
}

export class BlobStore {
  constructor(readonly layout: StoreLayout) {}

  /**
   * Waits (bounded) for the download lock of a blob, so that two pulls never write one
   * tmp/blob-<hex>.partial at once: take it before opening the partial file, release
   * it once commitPartial is done. ImageStore sets the real one (flock, locks.ts).
   */
  downloadLock: (digest: string) => Promise<{ release(): void }> = async () => ({ release() {} })

  has(digest: string): boolean {
    return fs.existsSync(this.layout.blob(digest))
  }

  path(digest: string): string {
    return this.layout.blob(digest)
  }

  /** Where a download of `digest` streams to; its size is where a resume starts. */
  partialPath(digest: string): string {
    fs.mkdirSync(this.layout.tmpDir, { recursive: true })
    return this.layout.partialBlob(digest)
  }

  /**
   * Names a finished download: fsync, check the whole file's digest unless the caller
   * already did while writing it, rename, fsync the directory. A mismatch deletes the partial file and throws DigestMismatch.
   */
  commitPartial(digest: string, what = digest, opts: { verified?: boolean } = {}): string {
    const partial = this.layout.partialBlob(digest)
    const fd = fs.openSync(partial, 'r+')
    try {
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    // verified: the caller hashed every byte as it wrote them, holding downloadLock, so
    // a second read of a large layer (slow flash) would prove nothing more.
    const actual = opts.verified ? digest : fileDigest(partial)
    if (actual !== digest) {
      fs.rmSync(partial, { force: true })
      throw new DigestMismatch(digest, actual, what)
    }
    renameDurable(partial, this.layout.blob(digest))
    return this.layout.blob(digest)
  }

  /** Stores small blobs (manifests, configs) already in memory, after checking them. */
  putBytes(digest: string, data: Uint8Array, what = digest): string {
    digestHex(digest)
    const actual = sha256Digest(data)
    if (actual !== digest) throw new DigestMismatch(digest, actual, what)
    const file = this.layout.blob(digest)
    if (!fs.existsSync(file)) writeFileAtomic(file, data, 0o644)
    return file
  }

  /** A small blob's bytes, refusing one larger than `limit` (a config is never 100 MB). */
  readBytes(digest: string, limit = 4 << 20): Buffer {
    const file = this.layout.blob(digest)
    const size = fs.statSync(file).size
    if (size > limit) throw new Error(`blob ${digest} is ${size} bytes, more than the ${limit} allowed for it`)
    return fs.readFileSync(file)
  }
}
