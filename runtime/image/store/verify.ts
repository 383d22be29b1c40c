// lite image verify: the store checked as `ctr content verify` or `ostree fsck` check
// theirs. Each image's files against the digests that name them (image.json, its
// manifest and config, every blob it reaches, image.sqfs by size and, where image.json
// records it, by sha256); refs and container records that name an image the store
// lacks (dangling); and what `lite image prune` would remove (orphans).
//
// It reads and never writes. The store is held shared: rm and prune wait, so no image
// goes away under the check. A pull may run meanwhile, but it only adds, and each thing
// it adds appears by one rename: what it has not finished yet can show up as an orphan
// (a blob no image reaches yet, its work in tmp/), never as damage.

import fs from 'node:fs'
import path from 'node:path'
import { LiteError, printable } from '../../errors.ts'
import { fdDigest } from './blobs.ts'
import { readSmallFile } from './small-file.ts'
import { humanBytes, recordBlobs, tmpEntry, type ImageRecord, type ImageStore } from './store.ts'

export interface ImageCheck {
  digest: string
  /** no problems */
  ok: boolean
  /** the blobs it reaches that were found whole */
  blobs: number
  /** image.sqfs's size, when it is there */
  squashfsBytes: number | null
  /** what is wrong, one per file: "image.sqfs: 0 bytes, image.json says 3145728" */
  problems: string[]
}

export interface Dangling {
  kind: 'ref' | 'container'
  /** the ref (registry/repository:tag or @digest), or the container's name */
  name: string
  /** the image it names that the store lacks; null when its file names none */
  digest: string | null
  problem: string
}

export interface Orphan {
  /** tmp: work left in tmp/; temp: an atomic write's .NAME.PID.tmp */
  kind: 'image' | 'blob' | 'tmp' | 'temp'
  /** a digest (image, blob), or the path under the store (tmp, temp) */
  name: string
}

export interface VerifyReport {
  store: string
  images: ImageCheck[]
  dangling: Dangling[]
  orphans: Orphan[]
  summary: { images: number; ok: number; damaged: number; dangling: number; orphans: number }
}

export interface VerifyOptions {
  /** images.ini keep_blobs (default on): when off, layer blobs are deleted on purpose once an image is built. */
  keepBlobs?: boolean
}

const DIGEST = /^sha256:[0-9a-f]{64}$/
const RECORD_LIMIT = 1 << 20

const short = (digest: string) => `${digest.replace(/^sha256:/, '').slice(0, 12)}…`

/** A file's size and, when `hash(size)` says so, its sha256 read in chunks; or why it cannot be read. */
function readFacts(file: string, hash: (size: number) => boolean): { size: number; digest?: string } | string {
  let fd: number
  try {
    // No symlink followed, and a FIFO in a file's place cannot hang the check.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    return code === 'ENOENT' ? 'missing' : code === 'ELOOP' ? 'a symlink, not a file' : `cannot be read (${code ?? (e as Error).message})`
  }
  try {
    const st = fs.fstatSync(fd)
    if (!st.isFile()) return 'not a regular file'
    return hash(st.size) ? { size: st.size, digest: fdDigest(fd) } : { size: st.size }
  } catch (e) {
    return `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`
  } finally {
    fs.closeSync(fd)
  }
}

/** image.json of `digest`, checked for the fields the check relies on; or what is wrong with it. */
function readRecord(store: ImageStore, digest: string): ImageRecord | string {
  let bytes: Buffer | undefined
  try {
    bytes = readSmallFile(store.layout.imageFile(digest, 'image.json'), RECORD_LIMIT)
  } catch (e) {
    return `image.json: ${(e as Error).message}`
  }
  if (!bytes) return 'image.json: missing'
  let r: Partial<ImageRecord>
  try {
    r = JSON.parse(bytes.toString('utf8')) as Partial<ImageRecord>
  } catch {
    return 'image.json: not valid JSON'
  }
  if (!r || typeof r !== 'object') return 'image.json: not an object'
  if (r.manifestDigest !== digest) return `image.json: names the manifest ${String(r.manifestDigest)}, not its directory's ${digest}`
  const isDigest = (d: unknown) => typeof d === 'string' && DIGEST.test(d)
  if (!isDigest(r.configDigest) || (r.indexDigest !== undefined && !isDigest(r.indexDigest))) return 'image.json: no valid configDigest or indexDigest'
  if (!Array.isArray(r.layers) || !r.layers.every((l) => l && isDigest(l.digest) && typeof l.size === 'number')) return 'image.json: no valid layers'
  const sq = r.squashfs
  if (!sq || typeof sq.bytes !== 'number' || (sq.sha256 !== undefined && !isDigest(sq.sha256))) return 'image.json: no valid squashfs'
  return r as ImageRecord
}

type BlobFacts = ReturnType<typeof readFacts>

class ImageChecker {
  /** Each blob is read once, however many images share it. */
  private readonly blobFacts = new Map<string, BlobFacts>()

  constructor(
    private readonly store: ImageStore,
    private readonly keepBlobs: boolean,
  ) {}

  check(digest: string, record: ImageRecord | string): ImageCheck {
    const problems: string[] = []
    let blobs = 0
    const layout = this.store.layout
    if (typeof record === 'string') problems.push(record)

    const manifest = readFacts(layout.imageFile(digest, 'manifest.json'), () => true)
    if (typeof manifest === 'string') problems.push(`manifest.json: ${manifest}`)
    else if (manifest.digest !== digest) problems.push(`manifest.json: sha256 is ${short(manifest.digest!)}, not the image's digest`)

    const sqfsFile = layout.imageFile(digest, 'image.sqfs')
    if (typeof record === 'string') {
      const sqfs = readFacts(sqfsFile, () => false)
      if (typeof sqfs === 'string') problems.push(`image.sqfs: ${sqfs}`)
      return this.result(digest, 0, typeof sqfs === 'string' ? null : sqfs.size, problems)
    }

    const config = readFacts(layout.imageFile(digest, 'config.json'), () => true)
    if (typeof config === 'string') problems.push(`config.json: ${config}`)
    else if (config.digest !== record.configDigest) problems.push(`config.json: sha256 is ${short(config.digest!)}, image.json says ${short(record.configDigest)}`)

    const reached: { digest: string; what: string; size?: number }[] = [
      { digest: record.manifestDigest, what: 'the manifest' },
      { digest: record.configDigest, what: 'the config' },
      ...(record.indexDigest ? [{ digest: record.indexDigest, what: 'the index' }] : []),
      ...record.layers.map((l, i) => ({ digest: l.digest, what: `layer ${i + 1}`, size: l.size })),
    ]
    for (const b of reached) {
      const problem = this.blobProblem(b.digest, b.what, b.size)
      if (problem === undefined) blobs++
      else if (problem) problems.push(problem)
    }

    const want = record.squashfs
    const sqfs = readFacts(sqfsFile, (size) => size === want.bytes && want.sha256 !== undefined)
    if (typeof sqfs === 'string') problems.push(`image.sqfs: ${sqfs}`)
    else if (sqfs.size !== want.bytes) problems.push(`image.sqfs: ${sqfs.size} bytes, image.json says ${want.bytes}`)
    else if (want.sha256 !== undefined && sqfs.digest !== want.sha256) problems.push(`image.sqfs: sha256 is ${short(sqfs.digest!)}, image.json says ${short(want.sha256)}`)
    return this.result(digest, blobs, typeof sqfs === 'string' ? null : sqfs.size, problems)
  }

  private result(digest: string, blobs: number, squashfsBytes: number | null, problems: string[]): ImageCheck {
    return { digest, ok: problems.length === 0, blobs, squashfsBytes, problems }
  }

  /** undefined: whole; '': absent on purpose (keep_blobs = no); else what is wrong. */
  private blobProblem(digest: string, what: string, size?: number): string | undefined {
    const name = path.relative(this.store.root, this.store.layout.blob(digest))
    let facts = this.blobFacts.get(digest)
    if (!facts) this.blobFacts.set(digest, (facts = readFacts(this.store.layout.blob(digest), () => true)))
    if (facts === 'missing' && size !== undefined && !this.keepBlobs) return ''
    if (typeof facts === 'string') return `${name}: ${facts} (${what})`
    const wrong: string[] = []
    if (size !== undefined && facts.size !== size) wrong.push(`${facts.size} bytes, image.json says ${size}`)
    if (facts.digest !== digest) wrong.push(`sha256 is ${short(facts.digest!)} (truncated or damaged)`)
    return wrong.length ? `${name}: ${wrong.join(', ')}` : undefined
  }
}

/** The slot of a container's record that names `digest`: current, next, previous or older. */
function slotOf(store: ImageStore, name: string, digest: string): string {
  try {
    const r = store.readContainer(name)
    return r?.current === digest ? 'current' : r?.next === digest ? 'next' : r?.previous === digest ? 'previous' : 'older'
  } catch {
    return 'recorded'
  }
}

const byName = (a: Dangling, b: Dangling) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

function danglingOf(store: ImageStore): Dangling[] {
  const there = (digest: string) => fs.existsSync(store.layout.image(digest))
  const refs: Dangling[] = []
  // The reason already starts with the ref's name ("docker.io/library/x:1: its ref file ...").
  const unreadable = (name: string, why: string) => refs.push({ kind: 'ref', name, digest: null, problem: why.startsWith(`${name}: `) ? why.slice(name.length + 2) : why })
  for (const r of store.listRefs(unreadable)) {
    if (!there(r.manifestDigest)) refs.push({ kind: 'ref', name: r.canonical, digest: r.manifestDigest, problem: `${r.manifestDigest} is not in the store` })
  }
  const records: Dangling[] = []
  const users = store.containerImages((name, why) => records.push({ kind: 'container', name, digest: null, problem: why }))
  for (const [digest, names] of users) {
    if (there(digest)) continue
    for (const name of names) records.push({ kind: 'container', name, digest, problem: `its ${slotOf(store, name, digest)} image ${digest} is not in the store` })
  }
  return [...refs.sort(byName), ...records.sort(byName)]
}

function orphansOf(store: ImageStore, records: Map<string, ImageRecord | string>): Orphan[] {
  const roots = store.roots()
  const reached = new Set<string>()
  for (const r of records.values()) if (typeof r !== 'string') for (const d of recordBlobs(r)) reached.add(d)
  let tmp: string[] = []
  try {
    tmp = fs.readdirSync(store.layout.tmpDir).sort()
  } catch {
    // no tmp/: nothing left in it
  }
  return [
    ...store.listImages().filter((d) => !roots.has(d)).map((name) => ({ kind: 'image' as const, name })),
    ...store.listBlobs().filter((d) => !reached.has(d)).sort().map((name) => ({ kind: 'blob' as const, name })),
    ...tmp.filter((n) => tmpEntry(n)).map((n) => ({ kind: 'tmp' as const, name: `tmp/${n}` })),
    ...store.tempLeftovers().sort().map((f) => ({ kind: 'temp' as const, name: path.relative(store.root, f) })),
  ]
}

/** The images `only` names (refs, digests, 6 or more hex digits of one), each once. */
function resolveAll(store: ImageStore, only: string[]): string[] {
  const digests = only.map((arg) => {
    const found = store.resolve(arg)
    if (!found) throw new LiteError(`no image ${arg} in the store ${store.root}`)
    return found.digest
  })
  return [...new Set(digests)]
}

/**
 * Checks every image of the store (or those `only` names) and the store as a whole,
 * holding it shared. Dangling refs and records and orphans are always the whole store's.
 */
export async function verifyStore(store: ImageStore, only?: string[], options: VerifyOptions = {}): Promise<VerifyReport> {
  const lock = await store.lockStore('shared')
  try {
    const records = new Map(store.listImageDirs().map((d) => [d, readRecord(store, d)] as const))
    const chosen = only?.length ? resolveAll(store, only) : [...records.keys()]
    const checker = new ImageChecker(store, options.keepBlobs ?? true)
    const images = chosen.map((d) => checker.check(d, records.get(d) ?? readRecord(store, d)))
    const dangling = danglingOf(store)
    const orphans = orphansOf(store, records)
    const ok = images.filter((i) => i.ok).length
    return { store: store.root, images, dangling, orphans, summary: { images: images.length, ok, damaged: images.length - ok, dangling: dangling.length, orphans: orphans.length } }
  } finally {
    lock.release()
  }
}

/** Damage or a dangling name fails the check; orphans alone do not (prune removes them). */
export function verifyFailed(report: VerifyReport): boolean {
  return report.summary.damaged > 0 || report.summary.dangling > 0
}

/** The report as lite image verify prints it: a line per image, per dangling name and per orphan, then the summary. */
export function verifyLines(report: VerifyReport): string[] {
  const lines = report.images.map((i) => (i.ok ? `ok ${i.digest} (${i.blobs} blobs, image.sqfs ${humanBytes(i.squashfsBytes ?? 0)})` : `damaged ${i.digest}: ${i.problems.join('; ')}`))
  for (const d of report.dangling) lines.push(`dangling ${d.kind === 'ref' ? 'ref' : 'container record'} ${d.name}: ${d.problem}`)
  for (const o of report.orphans) lines.push(o.kind === 'image' || o.kind === 'blob' ? `orphan ${o.kind} ${o.name}` : `leftover ${o.name}`)
  const s = report.summary
  // One shape whatever the numbers (no singular): tests and scripts match it.
  lines.push(`verified ${s.images} images: ${s.ok} ok, ${s.damaged} damaged; ${s.dangling} dangling; ${s.orphans} orphans${s.orphans ? ' (lite image prune removes them)' : ''}`)
  return lines.map(printable)
}
