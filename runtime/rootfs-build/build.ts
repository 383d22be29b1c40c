// `lite rootfs build`: check the input, assemble the profile's rootfs in a
// temp dir beside the output, write the asked formats and the lite config
// there, then rename it into place. Any failure removes the temp dir, so the
// output path holds either the previous build or the new one, never a part.

import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { ARCHES, type TargetArch } from './arch.ts'
import { BuildInputError } from './apt-fetch.ts'
import type { BuildContext, ProfileResult } from './context.ts'
import { LiteError } from '../errors.ts'
import { writeDockerArchive } from './outputs/docker-archive.ts'
import { splitCmd } from './outputs/image-config.ts'
import { packTar, rootfsEntries } from './outputs/layer-tar.ts'
import { writeOciLayout } from './outputs/oci-layout.ts'
import { writeSquashfs } from './outputs/squashfs.ts'
import { liteConfigText } from './lite-config.ts'
import { stderrProgress, formatBytes } from './progress.ts'
import { loadRecipe, withNeeded, type Recipe } from './recipe.ts'
import { apparentSize } from './tree.ts'
import { buildBusybox } from './profiles/busybox.ts'
import { buildGo } from './profiles/go.ts'
import { buildJava } from './profiles/java.ts'
import { buildPython } from './profiles/python.ts'
import { sha256 } from './outputs/image-config.ts'

export const FORMATS = ['dir', 'squashfs', 'oci', 'docker'] as const
export type Format = (typeof FORMATS)[number]

export interface BuildOptions {
  profile: string
  arch: string
  app?: string
  out?: string
  formats: string[]
  with: string[]
  trace: boolean
  cds: boolean
  cacheDir: string
  quiet?: boolean
}

/** What build.json records, and what the README size table is made from. */
export interface BuildReport {
  profile: string
  arch: string
  options: string[]
  /** du -sb of rootfs/ */
  rootfs: number
  squashfs?: number
  docker?: number
  /** the gzip'd layer of the OCI image: what a pull transfers */
  compressed?: number
  extras: Record<string, number>
}

function checkInput(o: BuildOptions): { recipe: Recipe; arch: TargetArch; formats: Format[]; out: string; app: string; withOptions: string[] } {
  const arch = ARCHES[o.arch]
  if (!arch) throw new LiteError(`--arch ${o.arch}: not a supported architecture (${Object.keys(ARCHES).join(', ')})`)
  const recipe = loadRecipe(o.profile)
  const formats = o.formats.flatMap((f) => f.split(',')).map((f) => f.trim()).filter(Boolean)
  for (const f of formats) if (!(FORMATS as readonly string[]).includes(f)) throw new LiteError(`--format ${f}: not one of ${FORMATS.join(', ')}`)
  if (formats.length === 0) throw new LiteError(`--format: give at least one of ${FORMATS.join(', ')}`)
  for (const w of o.with) {
    if (!recipe.with.has(w)) throw new LiteError(`--with ${w}: profile ${recipe.name} offers ${[...recipe.with.keys()].join(', ') || 'no options'}`)
  }
  if (o.trace && recipe.kind !== 'python' && recipe.kind !== 'java') throw new LiteError(`--trace is for the python and java profiles (a ${recipe.kind} rootfs has nothing to trace)`)
  if (o.cds && recipe.kind !== 'java') throw new LiteError('--cds is for the java profile')
  // The default CDS archive holds classes (and archived objects of classes) that no
  // app loads itself, so its dump fails on an image trimmed to what the app loaded.
  if (o.cds && o.trace) throw new LiteError('--cds and --trace: the default CDS archive needs classes a traced image leaves out; give one of them')
  const app = o.app ? resolve(o.app) : recipe.app
  if (!app && recipe.kind !== 'busybox') throw new LiteError(`profile ${recipe.name} has no sample app: give --app PATH`)
  if (app && !existsSync(app)) throw new LiteError(`--app ${o.app}: no such file or directory`)
  const out = resolve(o.out ?? join('build/profiles', `${recipe.name}-${arch.debian}`))
  // The default's parent is lite's own to make; a given --out's parent must exist (a typo
  // should not create directories).
  if (o.out === undefined) mkdirSync(dirname(out), { recursive: true })
  if (!existsSync(dirname(out))) throw new LiteError(`--out ${o.out}: the parent directory ${dirname(out)} does not exist`)
  return { recipe, arch, formats: formats as Format[], out, app: app ?? '', withOptions: withNeeded(recipe, o.with) }
}

export async function buildRootfs(o: BuildOptions): Promise<BuildReport> {
  const { recipe, arch, formats, out, app, withOptions } = checkInput(o)
  const progress = stderrProgress(recipe.name, arch.debian, o.quiet)
  const tmp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}`)
  rmSync(tmp, { recursive: true, force: true })
  const result = join(tmp, 'result')
  const ctx: BuildContext = {
    recipe,
    arch,
    staging: join(tmp, 'staging'),
    rootfs: join(result, 'rootfs'),
    work: join(tmp, 'work'),
    cacheDir: resolve(o.cacheDir),
    progress,
    app,
    with: withOptions,
    trace: o.trace,
    cds: o.cds,
  }
  try {
    for (const d of [ctx.staging, ctx.rootfs, ctx.work]) mkdirSync(d, { recursive: true })
    const built = await buildProfile(ctx)
    rmSync(ctx.staging, { recursive: true, force: true })
    const report = await writeOutputs(ctx, result, formats, built, o)
    if (!formats.includes('dir')) rmSync(ctx.rootfs, { recursive: true, force: true })
    // Replace a previous build only now that the new one is complete.
    if (existsSync(out)) renameSync(out, join(tmp, 'previous'))
    renameSync(result, out)
    progress('done', `${out} (rootfs ${formatBytes(report.rootfs)})`)
    return report
  } catch (e) {
    if (e instanceof LiteError) throw e
    const err = e as NodeJS.ErrnoException
    const why = err.code === 'ENOSPC' || /No space left on device/.test(err.message) ? `no space left on the device holding ${dirname(out)} (ENOSPC)` : err.message
    const kind = e instanceof BuildInputError ? '' : `${recipe.name}/${arch.debian}: `
    throw new LiteError(`rootfs build ${kind}${why}; nothing was written to ${out}`)
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

function buildProfile(ctx: BuildContext): Promise<ProfileResult> {
  switch (ctx.recipe.kind) {
    case 'busybox':
      return buildBusybox(ctx)
    case 'python':
      return buildPython(ctx)
    case 'java':
      return buildJava(ctx)
    case 'go':
      return buildGo(ctx)
  }
}

async function writeOutputs(ctx: BuildContext, result: string, formats: Format[], built: ProfileResult, o: BuildOptions): Promise<BuildReport> {
  const { recipe, arch, progress } = ctx
  const report: BuildReport = {
    profile: recipe.name,
    arch: arch.debian,
    options: [...ctx.with.map((w) => `with ${w}`), ...(o.trace ? ['trace'] : []), ...(o.cds ? ['cds'] : [])],
    rootfs: apparentSize(ctx.rootfs),
    extras: built.extras,
  }
  progress('rootfs', formatBytes(report.rootfs))
  if (formats.includes('squashfs')) {
    report.squashfs = writeSquashfs(ctx.rootfs, join(result, 'rootfs.squashfs'))
    progress('squashfs', formatBytes(report.squashfs))
  }
  if (formats.includes('oci') || formats.includes('docker')) {
    const layer = await packTar(rootfsEntries(ctx.rootfs))
    const spec = {
      architecture: arch.oci,
      cmd: splitCmd(built.cmd),
      user: `${recipe.run.user}:${recipe.run.user}`,
      env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'HOME=/tmp'],
      diffId: sha256(layer),
      repository: `lite/${recipe.name}`,
      tag: arch.debian,
    }
    if (formats.includes('docker')) {
      report.docker = await writeDockerArchive(join(result, 'image-docker.tar'), layer, spec)
      progress('docker archive', `${formatBytes(report.docker)} (${spec.repository}:${spec.tag})`)
    }
    if (formats.includes('oci')) {
      const oci = writeOciLayout(join(result, 'image-oci'), layer, spec)
      report.compressed = oci.compressedLayer
      progress('oci layout', `layer ${formatBytes(oci.compressedLayer)} gzip, ${oci.manifestDigest}`)
    }
  }
  const rootfsPath = formats.includes('dir') ? 'rootfs' : formats.includes('squashfs') ? 'rootfs.squashfs' : undefined
  if (rootfsPath) writeFileSync(join(result, 'lite.ini'), liteConfigText(recipe, arch.debian, rootfsPath, built.cmd))
  writeFileSync(join(result, 'build.json'), JSON.stringify(report, null, 2) + '\n')
  return report
}
