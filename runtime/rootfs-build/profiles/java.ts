// java: the app compiled (or taken as a jar), jdeps for the modules it uses,
// jlink against the target architecture's jmods (from Debian's JDK package of
// that architecture) with --strip-debug --no-header-files --no-man-pages
// --compress=2 and the recipe's exclude_files/exclude_resources, native files
// stripped, then the ELF closure (libjvm.so is dlopen'd by the launcher, so
// every .so of the image is a root). --cds adds the default class-data-sharing
// archive, reported apart; lib/classlist, which only its dump reads, is removed
// after it. --trace runs the app once inside lite and links again without the
// classes no run loaded (java-trace.ts). With the recipe's libstdcxx_static, the
// image's libstdc++.so.6 keeps only what the image imports (cxx-trim.ts). The
// image's shared objects then get their relative relocations packed into DT_RELR
// (relr.ts; libjvm.so 20.0 -> 17.7 MB), when the image's glibc reads it.

import { closeSync, copyFileSync, existsSync, lstatSync, mkdirSync, openSync, readSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { defaultLibDirs, hostArch } from '../arch.ts'
import { fetchDebs } from '../apt-fetch.ts'
import { writeBaseFiles } from '../base-files.ts'
import { elfClosure, findLibrary } from '../closure.ts'
import { type TrimResult, trimLibstdcxx } from '../cxx-trim.ts'
import { type BuildContext, type ProfileResult, recipeDebs } from '../context.ts'
import { unpackDebs } from '../deb-unpack.ts'
import { isElf } from '../elf.ts'
import { formatBytes } from '../progress.ts'
import { packRelativeRelocsFile, readsRelr } from '../relr.ts'
import { RootfsCopier, apparentSize, resolveInRoot } from '../tree.ts'
import { runTool } from './jdk-tool.ts'
import { traceClasses } from './java-trace.ts'

const IMAGE = '/opt/java'

export async function buildJava(ctx: BuildContext): Promise<ProfileResult> {
  const { recipe, arch, staging } = ctx
  const buildDebs = [recipe.java.jdk, ...recipe.java.libstdcxxStatic].filter(Boolean)
  unpackDebs(fetchDebs([...recipeDebs(ctx), ...buildDebs], arch, ctx.cacheDir, ctx.progress), staging, ctx.progress)
  const home = recipe.java.home.replace('{arch}', arch.debian).replace('{triple}', arch.triple)
  const jmods = join(staging, home, 'jmods')
  if (!existsSync(jmods)) throw new Error(`${recipe.java.jdk}:${arch.debian} has no ${home}/jmods`)

  const jar = appJar(ctx)
  ctx.progress('jdeps', jar)
  const deps = runTool('jdeps', 'jdeps', ['--print-module-deps', '--ignore-missing-deps', '--multi-release', '17', jar]).trim()
  const modules = [...new Set([...deps.split(','), ...recipe.java.addModules].filter(Boolean))].sort()
  linkImage(ctx, jmods, modules)
  let { trimmed, packed } = assemble(ctx, jar)
  if (ctx.trace) {
    const traced = traceClasses(ctx, IMAGE, recipe.run.cmd)
    ctx.progress('trace', `${traced.loaded} classes of the image loaded; rebuilding without ${traced.excluded} others`)
    rmSync(join(staging, IMAGE), { recursive: true, force: true })
    rmSync(ctx.rootfs, { recursive: true, force: true })
    mkdirSync(ctx.rootfs)
    linkImage(ctx, jmods, modules, traced.excludeFile)
    ;({ trimmed, packed } = assemble(ctx, jar))
  }

  const cds = ctx.cds ? dumpCds(ctx) : 0
  // The class list -Xshare:dump reads (71 KB); nothing reads it at run time.
  rmSync(join(ctx.rootfs, IMAGE, 'lib/classlist'), { force: true })
  const extras: Record<string, number> = { 'jlink image': apparentSize(join(ctx.rootfs, IMAGE)) - cds }
  if (ctx.cds) extras['cds archive'] = cds
  if (trimmed) extras['libstdc++ trimmed'] = trimmed.after
  if (packed) extras['saved by RELR'] = packed
  return { cmd: recipe.run.cmd, extras }
}

/** jlink the modules into the staging tree's IMAGE, then strip its native files. */
function linkImage(ctx: BuildContext, jmods: string, modules: string[], traceExcludes?: string): void {
  const { java } = ctx.recipe
  const excludeResources = [...java.excludeResources, ...(traceExcludes ? [`@${traceExcludes}`] : [])]
  ctx.progress('jlink', `${modules.join(',')} from ${ctx.arch.debian} jmods${traceExcludes ? ', traced classes only' : ''}`)
  runTool('jlink', 'jlink', [
    '--module-path', jmods,
    '--add-modules', modules.join(','),
    '--strip-debug', '--no-header-files', '--no-man-pages', '--compress=2',
    ...(java.excludeFiles.length > 0 ? [`--exclude-files=${java.excludeFiles.join(',')}`] : []),
    ...(excludeResources.length > 0 ? [`--exclude-resources=${excludeResources.join(',')}`] : []),
    '--output', join(ctx.staging, IMAGE),
  ])
  stripNative(ctx, join(ctx.staging, IMAGE))
}

/**
 * The image, its ELF closure (libjvm.so is dlopen'd by the launcher, so every
 * .so is a root), the app and the base files; then libstdc++ trimmed, when the
 * recipe says from what, and the image's relative relocations packed (the bytes
 * that saved).
 */
function assemble(ctx: BuildContext, jar: string): { trimmed?: TrimResult; packed: number } {
  const { staging, arch } = ctx
  const roots = [`${IMAGE}/bin/java`, ...soFiles(staging, `${IMAGE}/lib`)]
  const closure = elfClosure(staging, arch, roots, [`${IMAGE}/lib`, `${IMAGE}/lib/server`])
  if (closure.missing.length > 0) throw new Error(`unresolved libraries: ${closure.missing.map((m) => `${m.soname} (for ${m.neededBy})`).join(', ')}`)
  const copier = new RootfsCopier(staging, ctx.rootfs)
  copier.addTree(IMAGE)
  for (const f of closure.files) copier.add(f)
  mkdirSync(join(ctx.rootfs, 'app'), { recursive: true })
  copyFileSync(jar, join(ctx.rootfs, 'app/app.jar'))
  writeBaseFiles(ctx.rootfs)
  let trimmed: TrimResult | undefined
  if (ctx.recipe.java.libstdcxxStatic.length > 0) {
    trimmed = trimLibstdcxx(ctx.rootfs, staging, arch, closure.files, ctx.work)
    if (trimmed) ctx.progress('libstdc++', `${trimmed.symbols} symbols imported; ${trimmed.path} ${formatBytes(trimmed.before)} -> ${formatBytes(trimmed.after)}`)
  }
  return { trimmed, packed: packRelocations(ctx) }
}

/**
 * DT_RELR for every shared object of the image that it makes smaller (relr.ts),
 * when the image's libc.so.6 reads it (glibc >= 2.36); returns the bytes saved.
 */
function packRelocations(ctx: BuildContext): number {
  const found = findLibrary(ctx.rootfs, defaultLibDirs(ctx.arch), 'libc.so.6')
  const libc = found && resolveInRoot(ctx.rootfs, found)
  if (!libc || !readsRelr(join(ctx.rootfs, libc.real))) {
    ctx.progress('relr', "the image's glibc does not read DT_RELR; relocations left as they are")
    return 0
  }
  let saved = 0
  for (const file of elfFiles(join(ctx.rootfs, IMAGE))) {
    const outcome = packRelativeRelocsFile(file)
    if ('skipped' in outcome) continue
    saved += outcome.before - outcome.after
    ctx.progress('relr', `${file.slice(ctx.rootfs.length)}: ${outcome.packed} relative relocations packed, ${formatBytes(outcome.before)} -> ${formatBytes(outcome.after)}`)
  }
  return saved
}

/** The app as a jar: a .jar as given; a .java file or a directory of them compiled with the host's javac. */
function appJar(ctx: BuildContext): string {
  if (ctx.app.endsWith('.jar')) return ctx.app
  const sources = statSync(ctx.app).isDirectory()
    ? readdirSync(ctx.app).filter((f) => f.endsWith('.java')).map((f) => join(ctx.app, f))
    : [ctx.app]
  if (sources.length === 0) throw new Error(`${ctx.app}: no .java files`)
  const classes = join(ctx.work, 'classes')
  ctx.progress('javac', `${sources.length} file(s)`)
  runTool('javac', 'javac', ['--release', '17', '-d', classes, ...sources.sort()])
  const jar = join(ctx.work, 'app.jar')
  // The main class is the one named Main (the sample's), as `java -jar` needs one.
  runTool('jar', 'jar', ['--create', '--file', jar, '--main-class', 'Main', '--date', '1980-01-01T00:00:02Z', '-C', classes, '.'])
  return jar
}

function soFiles(root: string, dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(join(root, dir)).sort()) {
    const p = `${dir}/${name}`
    const st = statSync(join(root, p))
    if (st.isDirectory()) out.push(...soFiles(root, p))
    else if (name.endsWith('.so')) out.push(p)
  }
  return out
}

/**
 * strip --strip-unneeded every ELF file of the image, with the target's
 * binutils, and the sections no run reads: .comment, .gnu_debuglink (there is
 * no debug file) and libjvm's SystemTap probe notes (53 KB).
 */
function stripNative(ctx: BuildContext, image: string): void {
  const files = elfFiles(image)
  const before = files.reduce((n, f) => n + statSync(f).size, 0)
  runTool('strip', ctx.arch.strip, ['--strip-unneeded', '-R', '.comment', '-R', '.gnu_debuglink', '-R', '.note.stapsdt', ...files])
  const after = files.reduce((n, f) => n + statSync(f).size, 0)
  ctx.progress('strip', `${files.length} files, ${formatBytes(before)} -> ${formatBytes(after)}`)
}

/** The ELF files under dir, in name order. */
function elfFiles(dir: string): string[] {
  const files: string[] = []
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name)
      // lstat: a link is not followed out of the image (its target, if in it, is listed itself)
      const st = lstatSync(p)
      if (st.isDirectory()) walk(p)
      else if (st.isFile() && isElf(readHead(p))) files.push(p)
    }
  }
  walk(dir)
  return files
}

function readHead(path: string): Uint8Array {
  const fd = openSync(path, 'r')
  const b = Buffer.alloc(16)
  readSync(fd, b, 0, 16, 0)
  closeSync(fd)
  return b
}

/** java -Xshare:dump into the image's default CDS archive; returns its size. */
function dumpCds(ctx: BuildContext): number {
  const java = join(ctx.rootfs, IMAGE, 'bin/java')
  ctx.progress('cds', 'java -Xshare:dump')
  if (ctx.arch.debian === hostArch()) runTool('java -Xshare:dump', java, ['-Xshare:dump'])
  else runTool('java -Xshare:dump', ctx.arch.qemu, ['-L', ctx.rootfs, java, '-Xshare:dump'])
  const jsa = join(ctx.rootfs, IMAGE, 'lib/server/classes.jsa')
  return existsSync(jsa) ? statSync(jsa).size : 0
}
