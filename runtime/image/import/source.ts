// The files of an image archive, as the importer reads them: a tar (docker save, an OCI
// archive; gzip-compressed or not) read in one streaming pass, or a directory (an OCI
// layout, an unpacked docker save). Every file is hashed as it is read; small ones stay
// in memory, the rest are copied into the store's tmp/ work dir, from which a blob is
// renamed into blobs/ once the whole archive has checked out. Nothing else is written.
//
// Archives are untrusted: entry names are checked (no absolute paths, no "..", no NUL),
// links are followed only inside the archive, JSON is read only up to a bound, and a
// blobs/sha256/<hex> file must hash to <hex>.

import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import { extract as tarExtract } from 'tar-stream'
import { LiteError } from '../../errors.ts'
import { storeErrno } from '../store/errors.ts'
import { JSON_LIMIT, parseJson } from '../store/shapes.ts'

export interface StagedFile {
  /** Its path in the archive. */
  name: string
  size: number
  /** sha256 of its bytes, as read. */
  digest: string
  /** Its first bytes (to tell a compressed layer). */
  magic: Buffer
  /** Small files: the bytes. */
  data?: Buffer
  /** Large files: the copy in the work dir (or the store's own blob, when `inStore`). */
  file?: string
  /** The store already holds this blob: nothing was copied. */
  inStore?: boolean
}

export interface ArchiveSource {
  /** The archive as the user named it, for messages. */
  readonly label: string
  /** A file by its path in the archive (links followed), or undefined. */
  get(name: string): Promise<StagedFile | undefined>
  /** A JSON file, parsed, read only up to JSON_LIMIT bytes; undefined if absent. */
  json(name: string, what: string): Promise<unknown>
  /** The bytes of a staged file (small ones only: a config, a manifest, an index). */
  bytes(f: StagedFile, what: string): Buffer
}

/** Archive entries at most: a docker save of a 100-layer image has about 400. */
export const MAX_ENTRIES = 100_000
/** Small files kept in memory, in all; later ones go to the work dir. */
const MEMORY_BUDGET = 64 << 20
const MAGIC_BYTES = 8

/** An entry's path, checked: relative, no "..", no NUL; "." parts and slashes folded. */
export function entryName(raw: string, label: string): string {
  const bad = (why: string) => new LiteError(`${label}: the entry ${JSON.stringify(raw.slice(0, 200))} ${why}; the archive is refused`)
  if (raw.includes('\0')) throw bad('has a NUL byte')
  if (raw.startsWith('/')) throw bad('is an absolute path')
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.')
  if (parts.includes('..')) throw bad('leaves the archive ("..")')
  if (raw.length > 4096) throw bad('is longer than 4096 bytes')
  return parts.join('/')
}

/** A link's target as an archive path: relative to the link's directory, never outside. */
function linkTarget(linkName: string, target: string, label: string, symbolic: boolean): string {
  if (target.startsWith('/') || target.includes('\0')) throw new LiteError(`${label}: the link ${JSON.stringify(linkName)} points outside the archive (${JSON.stringify(target)}); the archive is refused`)
  const base = symbolic ? linkName.split('/').slice(0, -1) : []
  const out = [...base]
  for (const p of target.split('/')) {
    if (p === '' || p === '.') continue
    if (p === '..') {
      if (out.length === 0) throw new LiteError(`${label}: the link ${JSON.stringify(linkName)} points outside the archive (${JSON.stringify(target)}); the archive is refused`)
      out.pop()
    } else out.push(p)
  }
  return out.join('/')
}

function blobNameDigest(name: string): string | undefined {
  const m = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(name)
  return m ? `sha256:${m[1]}` : undefined
}

function mismatch(label: string, name: string, actual: string): LiteError {
  return new LiteError(`${label}: ${name}: digest mismatch: its content hashes to ${actual}; the archive is damaged or was altered`)
}

function tooBig(label: string, name: string, size: number, max: number): LiteError {
  return new LiteError(`${label}: ${name} is ${size} bytes or more, more than a layer may be (max_layer_size allows blobs of ${max} bytes); the archive is refused`)
}

abstract class BaseSource implements ArchiveSource {
  constructor(readonly label: string) {}
  abstract get(name: string): Promise<StagedFile | undefined>

  bytes(f: StagedFile, what: string): Buffer {
    if (f.size > JSON_LIMIT) throw new LiteError(`${this.label}: ${what === f.name ? what : `${what} (${f.name})`} is ${f.size} bytes, more than the ${JSON_LIMIT} allowed`)
    if (f.data) return f.data
    return fs.readFileSync(f.file!)
  }

  async json(name: string, what: string): Promise<unknown> {
    const f = await this.get(name)
    if (!f) return undefined
    return parseJson(this.bytes(f, what), `${this.label}: ${what} (${name})`)
  }
}

/** A tar archive, read once from start to end. */
export class TarSource extends BaseSource {
  private files = new Map<string, StagedFile>()
  private links = new Map<string, string>()
  private memory = 0
  private count = 0

  private constructor(
    label: string,
    private readonly workDir: string,
    private readonly maxFileBytes: number,
  ) {
    super(label)
  }

  /** `maxFileBytes`: the most one file may be (a gzipped archive can hold a bomb). */
  static async read(file: string, workDir: string, maxFileBytes: number): Promise<TarSource> {
    const src = new TarSource(file, workDir, maxFileBytes)
    await src.readAll(file)
    return src
  }

  private async readAll(file: string): Promise<void> {
    const head = Buffer.alloc(2)
    const fd = fs.openSync(file, 'r')
    try {
      fs.readSync(fd, head, 0, 2, 0)
    } finally {
      fs.closeSync(fd)
    }
    const gzip = head[0] === 0x1f && head[1] === 0x8b
    const ex = tarExtract()
    const input = fs.createReadStream(file)
    const feeding = (gzip ? pipeline(input, createGunzip(), ex) : pipeline(input, ex)).catch((e: Error) => {
      ex.destroy(e)
      throw e
    })
    try {
      for await (const entry of ex) {
        if (++this.count > MAX_ENTRIES) throw new LiteError(`${this.label}: more than ${MAX_ENTRIES} entries; the archive is refused`)
        await this.entry(entry.header, entry as unknown as AsyncIterable<Buffer>)
      }
    } catch (e) {
      ex.destroy()
      input.destroy()
      await feeding.catch(() => {})
      // A full or read-only store is the store's error, not the archive's.
      if (e instanceof LiteError || storeErrno(e)) throw e
      throw new LiteError(`${this.label}: not a readable tar archive: ${(e as Error).message}`)
    }
    try {
      await feeding
    } catch (e) {
      throw new LiteError(`${this.label}: not a readable tar archive: ${(e as Error).message}`)
    }
  }

  private async entry(header: { name: string; type?: string | null; size?: number | null; linkname?: string | null }, stream: AsyncIterable<Buffer>): Promise<void> {
    const name = entryName(header.name, this.label)
    const type = header.type ?? 'file'
    if (type === 'symlink' || type === 'link') {
      if (name) this.links.set(name, linkTarget(name, header.linkname ?? '', this.label, type === 'symlink'))
      for await (const _ of stream) void _
      return
    }
    if (type !== 'file' && type !== 'contiguous-file') {
      for await (const _ of stream) void _
      return
    }
    if (!name) throw new LiteError(`${this.label}: a file entry has an empty name; the archive is refused`)
    if (this.files.has(name) || this.links.has(name)) throw new LiteError(`${this.label}: ${name} is in the archive twice; the archive is refused`)
    const size = header.size ?? 0
    if (size > this.maxFileBytes) throw tooBig(this.label, name, size, this.maxFileBytes)
    const hash = createHash('sha256')
    const magic: Buffer[] = []
    let magicLen = 0
    let read = 0
    const inMemory = size <= JSON_LIMIT && this.memory + size <= MEMORY_BUDGET
    const chunks: Buffer[] = []
    let out: number | undefined
    let tmp: string | undefined
    if (!inMemory) {
      tmp = path.join(this.workDir, `f${this.files.size}`)
      out = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644)
    }
    try {
      for await (const chunk of stream) {
        hash.update(chunk)
        read += chunk.length
        if (read > this.maxFileBytes) throw tooBig(this.label, name, read, this.maxFileBytes)
        if (magicLen < MAGIC_BYTES) {
          magic.push(chunk.subarray(0, MAGIC_BYTES - magicLen))
          magicLen += Math.min(chunk.length, MAGIC_BYTES - magicLen)
        }
        if (out === undefined) chunks.push(chunk)
        else for (let done = 0; done < chunk.length; ) done += fs.writeSync(out, chunk, done)
      }
      if (out !== undefined) fs.fsyncSync(out)
    } finally {
      if (out !== undefined) fs.closeSync(out)
    }
    const digest = `sha256:${hash.digest('hex')}`
    const expected = blobNameDigest(name)
    if (expected && expected !== digest) throw mismatch(this.label, name, digest)
    const staged: StagedFile = { name, size: read, digest, magic: Buffer.concat(magic) }
    if (out === undefined) {
      staged.data = Buffer.concat(chunks)
      this.memory += read
    } else staged.file = tmp
    this.files.set(name, staged)
  }

  async get(name: string): Promise<StagedFile | undefined> {
    let n = entryName(name, this.label)
    for (let hops = 0; hops < 16; hops++) {
      const f = this.files.get(n)
      if (f) return f
      const next = this.links.get(n)
      if (next === undefined) return undefined
      n = next
    }
    throw new LiteError(`${this.label}: ${name}: too many links; the archive is refused`)
  }
}

/** A directory: an OCI layout (or an unpacked docker save). Files are read when asked for. */
export class DirSource extends BaseSource {
  private cache = new Map<string, StagedFile | undefined>()
  private readonly real: string
  private copies = 0

  constructor(
    dir: string,
    private readonly workDir: string,
    /** A blob the store already has is not copied again. */
    private readonly inStore: (digest: string) => string | undefined,
    /** The most one file may be (a sparse file can claim any size). */
    private readonly maxFileBytes: number,
  ) {
    super(dir)
    this.real = fs.realpathSync(dir)
  }

  async get(name: string): Promise<StagedFile | undefined> {
    const n = entryName(name, this.label)
    if (this.cache.has(n)) return this.cache.get(n)
    const f = this.load(n)
    this.cache.set(n, f)
    return f
  }

  private load(name: string): StagedFile | undefined {
    const full = path.join(this.real, name)
    let real: string
    try {
      real = fs.realpathSync(full)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw e
    }
    if (!real.startsWith(this.real + path.sep)) throw new LiteError(`${this.label}: ${name} leads outside the directory (${real}); refused`)
    const expected = blobNameDigest(name)
    if (expected) {
      const own = this.inStore(expected)
      if (own) {
        const size = fs.statSync(own).size
        const magic = Buffer.alloc(MAGIC_BYTES)
        const fd = fs.openSync(own, 'r')
        try {
          fs.readSync(fd, magic, 0, MAGIC_BYTES, 0)
        } finally {
          fs.closeSync(fd)
        }
        const staged: StagedFile = { name, size, digest: expected, magic, file: own, inStore: true }
        if (size <= JSON_LIMIT) staged.data = fs.readFileSync(own)
        return staged
      }
    }
    // O_NONBLOCK: a FIFO (or a device) in the directory must not block the open; it is
    // refused just below as not a regular file. Regular files ignore the flag.
    const fd = fs.openSync(real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY)
    let out: number | undefined
    let tmp: string | undefined
    try {
      const st = fs.fstatSync(fd)
      if (!st.isFile()) throw new LiteError(`${this.label}: ${name} is not a regular file`)
      if (st.size > this.maxFileBytes) throw tooBig(this.label, name, st.size, this.maxFileBytes)
      // A metadata file too big to read is not copied only to be refused (bytes() says so).
      if (st.size > JSON_LIMIT && (name.endsWith('.json') || name === 'oci-layout' || name === 'repositories')) {
        return { name, size: st.size, digest: '', magic: Buffer.alloc(0) }
      }
      const hash = createHash('sha256')
      const small = st.size <= JSON_LIMIT
      const chunks: Buffer[] = []
      if (!small) {
        tmp = path.join(this.workDir, `d${this.copies++}`)
        out = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644)
      }
      const buf = Buffer.allocUnsafe(1 << 20)
      let read = 0
      let magic = Buffer.alloc(0)
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, null)
        if (n === 0) break
        const chunk = buf.subarray(0, n)
        hash.update(chunk)
        if (read === 0) magic = Buffer.from(chunk.subarray(0, MAGIC_BYTES))
        read += n
        if (read > this.maxFileBytes) throw tooBig(this.label, name, read, this.maxFileBytes)
        if (out === undefined) {
          if (read > JSON_LIMIT) throw new LiteError(`${this.label}: ${name} grew while it was read`)
          chunks.push(Buffer.from(chunk))
        } else for (let done = 0; done < n; ) done += fs.writeSync(out, chunk, done)
      }
      if (out !== undefined) fs.fsyncSync(out)
      const digest = `sha256:${hash.digest('hex')}`
      if (expected && expected !== digest) throw mismatch(this.label, name, digest)
      const staged: StagedFile = { name, size: read, digest, magic }
      if (out === undefined) staged.data = Buffer.concat(chunks)
      else staged.file = tmp
      return staged
    } finally {
      fs.closeSync(fd)
      if (out !== undefined) fs.closeSync(out)
    }
  }
}
