// Fetching Debian packages of the target architecture with apt itself
// (`apt-get download pkg:arch`), into a cache that later builds reuse. A
// cached .deb is trusted only when its size and SHA256 match apt's index.
// apt is asked once per step for all the packages (one `apt-cache show`, one
// `apt-get download`): each apt run rebuilds its package cache in memory where
// the image disables pkgcache.bin (Debian's docker images do), ~1.5 s a run.

import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { TargetArch } from './arch.ts'
import { type Progress, formatBytes } from './progress.ts'

export class BuildInputError extends Error {}

export interface PackageRecord {
  name: string
  version: string
  filename: string
  size: number
  sha256: string
  /** what apt-get download is given */
  spec: string
}

/** `apt-cache show` of every spec at once: its records by package name, for one architecture. */
function aptShowAll(specs: string[], arch: string): Map<string, Record<string, string>> {
  const records = new Map<string, Record<string, string>>()
  if (specs.length === 0) return records
  const r = spawnSync('apt-cache', ['show', '--no-all-versions', ...specs], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  // Exit 100 when none is known; unknown ones among known ones are left out silently.
  for (const text of (r.stdout ?? '').split(/\n\n+/)) {
    const fields: Record<string, string> = {}
    for (const m of text.matchAll(/^([A-Za-z0-9-]+): (.*)$/gm)) fields[m[1]!] = m[2]!.trim()
    if (fields.Package && fields.Architecture === arch && !records.has(fields.Package)) records.set(fields.Package, fields)
  }
  return records
}

/** apt's record of each package (version, file, size, SHA256), in the order asked. */
export function packageRecords(names: string[], arch: TargetArch): PackageRecord[] {
  const own = aptShowAll(names.map((n) => `${n}:${arch.debian}`), arch.debian)
  // Architecture: all packages (ca-certificates, tzdata) answer only to their bare name.
  const all = aptShowAll(names.filter((n) => !own.has(n)), 'all')
  return names.map((name) => {
    const f = own.get(name) ?? all.get(name)
    if (!f?.Version || !f.Filename) {
      const hint = arch.debian === 'amd64' ? '' : ` (is ${arch.debian} added? scripts/setup runs dpkg --add-architecture ${arch.debian} and apt-get update)`
      throw new BuildInputError(`no Debian package ${name}:${arch.debian} in apt's lists${hint}`)
    }
    const spec = own.has(name) ? `${name}:${arch.debian}` : name
    return { name, version: f.Version, filename: f.Filename, size: Number(f.Size ?? 0), sha256: f.SHA256 ?? '', spec }
  })
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

export interface FetchedDeb {
  path: string
  size: number
  /** false: the cache had it */
  downloaded: boolean
}

/** Download (or reuse) each package; returns the .deb paths in the order asked. */
export function fetchDebs(names: string[], arch: TargetArch, cacheDir: string, progress: Progress): string[] {
  return fetchPackages(packageRecords(names, arch), arch, cacheDir, progress).map((f) => f.path)
}

/** Download (or reuse) each package of `records`: a line per package, and one for the download. */
export function fetchPackages(records: PackageRecord[], arch: TargetArch, cacheDir: string, progress: Progress): FetchedDeb[] {
  const dir = join(cacheDir, 'debs')
  mkdirSync(dir, { recursive: true })
  const pathOf = (rec: PackageRecord) => join(dir, basename(rec.filename))
  const missing: PackageRecord[] = []
  for (const [i, rec] of records.entries()) {
    const path = pathOf(rec)
    const cached = existsSync(path) && statSync(path).size === rec.size && (!rec.sha256 || sha256File(path) === rec.sha256)
    if (!cached && !missing.some((m) => pathOf(m) === path)) missing.push(rec)
    progress('fetch', `[${i + 1}/${records.length}] ${rec.name}:${arch.debian} ${rec.version} ${formatBytes(rec.size)}${cached ? ' (cached)' : ''}`)
  }
  if (missing.length > 0) download(missing, arch, dir, pathOf, progress)
  const downloaded = new Set(missing.map(pathOf))
  return records.map((rec) => ({ path: pathOf(rec), size: rec.size, downloaded: downloaded.has(pathOf(rec)) }))
}

/** One `apt-get download` of every missing package into a private dir; each checked, then renamed into the cache. */
function download(records: PackageRecord[], arch: TargetArch, dir: string, pathOf: (rec: PackageRecord) => string, progress: Progress): void {
  const bytes = records.reduce((n, r) => n + r.size, 0)
  progress('fetch', `downloading ${records.length} package(s), ${formatBytes(bytes)}`)
  const began = Date.now()
  const tmp = join(dir, `.download-${process.pid}`)
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp)
  try {
    const r = spawnSync('apt-get', ['download', '-q', ...records.map((rec) => `${rec.spec}=${rec.version}`)], { cwd: tmp, encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`apt-get download (${arch.debian}) failed: ${(r.stderr || r.stdout || '').trim().split('\n').pop()}`)
    // apt names the files itself (an epoch becomes %3a): matched by the index's SHA256 (without one, by name).
    const got = readdirSync(tmp).filter((f) => f.endsWith('.deb'))
    const digests = new Map(got.map((f) => [sha256File(join(tmp, f)), f]))
    for (const rec of records) {
      const file = rec.sha256 ? digests.get(rec.sha256) : got.find((f) => f.startsWith(`${rec.name}_`))
      if (!file) throw new Error(`apt-get download ${rec.name}:${arch.debian}: no .deb with the SHA256 of apt's index`)
      renameSync(join(tmp, file), pathOf(rec))
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
  const seconds = Math.max(Date.now() - began, 1) / 1000
  progress('fetch', `downloaded ${records.length} package(s), ${formatBytes(bytes)} in ${seconds.toFixed(1)} s (${formatBytes(Math.round(bytes / seconds))}/s)`)
}
