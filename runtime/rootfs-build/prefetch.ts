// Every Debian package the profiles can ask for (their [packages], each --with
// option, the JDK), fetched into the build cache for each target architecture
// with the builds' own fetcher. scripts/setup runs it once, so that a build (and
// a test) finds everything cached and never downloads.

import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ARCHES, type TargetArch } from './arch.ts'
import { fetchDebs, fetchPackages, packageRecords } from './apt-fetch.ts'
import { type Progress, formatBytes, stderrProgress } from './progress.ts'
import { listProfiles, loadRecipe, profilesDir, type Recipe } from './recipe.ts'

/** What any build of `recipe` may fetch, whatever its options. */
export function recipePackages(recipe: Recipe): string[] {
  const names = [...recipe.debs, ...[...recipe.with.values()].flatMap((w) => w.debs)]
  if (recipe.kind === 'java') names.push(...[recipe.java.jdk, ...recipe.java.libstdcxxStatic].filter(Boolean))
  return [...new Set(names)]
}

export interface PrefetchSummary {
  arch: string
  packages: number
  bytes: number
  downloaded: number
  downloadedBytes: number
  /** the cached .debs */
  paths: string[]
}

/** Fetches the packages of every profile in `dir` for each arch; one summary per arch. */
export function prefetchProfiles(arches: TargetArch[], cacheDir: string, progressFor: (arch: TargetArch) => Progress, dir = profilesDir()): PrefetchSummary[] {
  const profiles = listProfiles(dir)
  if (profiles.length === 0) throw new Error(`no profile recipes in ${dir}`)
  const names = [...new Set(profiles.flatMap((p) => recipePackages(loadRecipe(p, dir))))].sort()
  return arches.map((arch) => {
    const fetched = fetchPackages(packageRecords(names, arch), arch, cacheDir, progressFor(arch))
    const downloads = fetched.filter((f) => f.downloaded)
    return {
      arch: arch.debian,
      packages: fetched.length,
      bytes: fetched.reduce((n, f) => n + f.size, 0),
      downloaded: downloads.length,
      downloadedBytes: downloads.reduce((n, f) => n + f.size, 0),
      paths: fetched.map((f) => f.path),
    }
  })
}

const APT_LISTS = '/var/lib/apt/lists'

/**
 * What a complete prefetch depended on: the recipes, apt's package lists (an
 * apt-get update may bring new versions) and the files it left in the cache.
 * While that holds, set-up skips apt (each apt run costs ~1.5 s here) and the
 * SHA256 checks; a build still checks every .deb it unpacks.
 */
function prefetchKey(dir: string, files: string[]): string {
  const h = createHash('sha256')
  for (const p of listProfiles(dir)) h.update(`recipe ${p}\n`).update(readFileSync(join(dir, `${p}.ini`)))
  const lists = existsSync(APT_LISTS) ? readdirSync(APT_LISTS).filter((f) => f.includes('_Packages')).sort() : []
  for (const f of lists) {
    const st = statSync(join(APT_LISTS, f))
    h.update(`list ${f} ${st.size} ${st.mtimeMs}\n`)
  }
  for (const f of files) h.update(`deb ${f} ${existsSync(f) ? statSync(f).size : 'missing'}\n`)
  return h.digest('hex')
}

/** scripts/fetch-debs.ts --profiles: amd64 and arm64, a line per download and one summary on stderr; the exit code. */
export function prefetchCommand(cacheDir: string, dir = profilesDir()): number {
  const began = Date.now()
  const stamp = join(cacheDir, 'debs', '.prefetched')
  try {
    // The stamp: the key, then the files it covers.
    const [key, ...files] = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim().split('\n') : []
    if (key && key === prefetchKey(dir, files)) {
      process.stderr.write(`rootfs: profiles' packages in ${join(cacheDir, 'debs')}: all cached (nothing changed since the last check)\n`)
      return 0
    }
    const summaries = prefetchProfiles([ARCHES.amd64!, ARCHES.arm64!], cacheDir, (arch) => {
      const line = stderrProgress('all profiles', arch.debian)
      // Cached packages are the usual case on every set-up after the first: no line each.
      return (step, detail) => {
        if (!detail?.endsWith('(cached)')) line(step, detail)
      }
    }, dir)
    const fetched = [...new Set(summaries.flatMap((s) => s.paths))].sort()
    writeFileSync(stamp, [prefetchKey(dir, fetched), ...fetched].join('\n') + '\n')
    const each = summaries.map((s) => `${s.arch} ${s.packages} (${formatBytes(s.bytes)})`).join(', ')
    const downloaded = summaries.reduce((n, s) => n + s.downloaded, 0)
    const bytes = summaries.reduce((n, s) => n + s.downloadedBytes, 0)
    const what = downloaded === 0 ? 'all cached' : `${downloaded} downloaded (${formatBytes(bytes)})`
    process.stderr.write(`rootfs: profiles' packages in ${join(cacheDir, 'debs')}: ${each}; ${what}, ${((Date.now() - began) / 1000).toFixed(1)} s\n`)
    return 0
  } catch (e) {
    process.stderr.write(`lite build: error: fetching the rootfs profiles' packages: ${(e as Error).message}\n`)
    return 1
  }
}

/** scripts/fetch-debs.ts ARCH PACKAGE...: each .deb's path on stdout, in order; the exit code. */
export function fetchCommand(archName: string, names: string[], cacheDir: string): number {
  const arch = ARCHES[archName]
  if (!arch || names.length === 0) {
    process.stderr.write(`usage: fetch-debs.ts --profiles | ARCH PACKAGE... (ARCH: ${Object.keys(ARCHES).join(', ')})\n`)
    return 2
  }
  try {
    const line = stderrProgress('debs', arch.debian)
    const paths = fetchDebs(names, arch, cacheDir, (step, detail) => {
      if (!detail?.endsWith('(cached)')) line(step, detail)
    })
    process.stdout.write(paths.map((p) => resolve(p) + '\n').join(''))
    return 0
  } catch (e) {
    process.stderr.write(`lite build: error: ${(e as Error).message}\n`)
    return 1
  }
}
