// Fetching Debian packages of the target architecture with apt itself
// (`apt-get download pkg:arch`), into a cache that later builds reuse. A
// cached .deb is trusted only when its size and SHA256 match apt's index.

import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { TargetArch } from './arch.ts'
import { type Progress, formatBytes } from './progress.ts'

export class BuildInputError extends Error {}

interface PackageRecord {
  name: string
  version: string
  filename: string
  size: number
  sha256: string
  /** what apt-get download is given */
  spec: string
}

function aptShowText(spec: string): string {
  const r = spawnSync('apt-cache', ['show', '--no-all-versions', spec], { encoding: 'utf8' })
  return r.status === 0 ? (r.stdout ?? '') : ''
}

function aptShow(name: string, arch: TargetArch): PackageRecord {
  const spec = `${name}:${arch.debian}`
  let text = aptShowText(spec)
  // Architecture: all packages (ca-certificates, tzdata) answer only to their bare name.
  if (!text) {
    const bare = aptShowText(name)
    if (/^Architecture: all$/m.test(bare)) text = bare
  }
  const field = (f: string) => new RegExp(`^${f}: (.*)$`, 'm').exec(text)?.[1]?.trim()
  const version = field('Version')
  const filename = field('Filename')
  const isAll = field('Architecture') === 'all'
  if (!version || !filename) {
    const hint = arch.debian === 'amd64' ? '' : ` (is ${arch.debian} added? scripts/setup runs dpkg --add-architecture ${arch.debian} and apt-get update)`
    throw new BuildInputError(`no Debian package ${spec} in apt's lists${hint}`)
  }
  return { name, version, filename, size: Number(field('Size') ?? 0), sha256: field('SHA256') ?? '', spec: isAll ? name : spec }
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

/** Download (or reuse) each package; returns the .deb paths in the order asked. */
export function fetchDebs(names: string[], arch: TargetArch, cacheDir: string, progress: Progress): string[] {
  const dir = join(cacheDir, 'debs')
  mkdirSync(dir, { recursive: true })
  const records = names.map((n) => aptShow(n, arch))
  const paths: string[] = []
  for (const rec of records) {
    const path = join(dir, basename(rec.filename))
    const cached = existsSync(path) && statSync(path).size === rec.size && (!rec.sha256 || sha256File(path) === rec.sha256)
    if (cached) {
      progress('fetch', `${rec.name}:${arch.debian} ${rec.version} ${formatBytes(rec.size)} (cached)`)
    } else {
      progress('fetch', `${rec.name}:${arch.debian} ${rec.version} ${formatBytes(rec.size)} downloading`)
      // apt-get download writes into its cwd: a private dir, then one rename.
      const tmp = join(dir, `.download-${process.pid}`)
      rmSync(tmp, { recursive: true, force: true })
      mkdirSync(tmp)
      try {
        const r = spawnSync('apt-get', ['download', '-q', `${rec.spec}=${rec.version}`], { cwd: tmp, encoding: 'utf8' })
        const got = readdirSync(tmp).filter((f) => f.endsWith('.deb'))
        if (r.status !== 0 || got.length !== 1) throw new Error(`apt-get download ${rec.name}:${arch.debian} failed: ${(r.stderr || r.stdout || '').trim().split('\n').pop()}`)
        const file = join(tmp, got[0]!)
        if (rec.sha256 && sha256File(file) !== rec.sha256) throw new Error(`${got[0]}: SHA256 does not match apt's index`)
        renameSync(file, path)
      } finally {
        rmSync(tmp, { recursive: true, force: true })
      }
      progress('fetch', `${rec.name}:${arch.debian} ${formatBytes(statSync(path).size)} done`)
    }
    paths.push(path)
  }
  return paths
}
