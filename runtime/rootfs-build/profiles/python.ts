// python: Debian's interpreter, the lib-dynload extensions whose libraries are
// present (the rest is dead weight: _ssl without libssl, _curses, nis...), the
// ELF closure of both, and the stdlib as one zip of -OO .pyc files. --trace
// runs the app once inside lite and rebuilds with only what it imported.

import { spawnSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fetchDebs } from '../apt-fetch.ts'
import { writeBaseFiles } from '../base-files.ts'
import { elfClosure } from '../closure.ts'
import { type BuildContext, type ProfileResult, recipeDebs } from '../context.ts'
import { unpackDebs } from '../deb-unpack.ts'
import { formatBytes } from '../progress.ts'
import { runInStaging } from '../target-exec.ts'
import { RootfsCopier, apparentSize } from '../tree.ts'
import { ZONEINFO_PACKAGE, addZoneinfo } from '../zoneinfo.ts'
import { runLiteOnce } from '../trace-run.ts'
import compileScript from './python-stdlib.py' with { type: 'text' }

interface Selection {
  /** module names to keep in the zip (traced), or undefined for the whole trimmed stdlib */
  modules?: Set<string>
}

export async function buildPython(ctx: BuildContext): Promise<ProfileResult> {
  unpackDebs(fetchDebs(recipeDebs(ctx), ctx.arch, ctx.cacheDir, ctx.progress), ctx.staging, ctx.progress)
  const version = findVersion(ctx.staging)
  const extras: Record<string, number> = {}
  const { measured } = assemble(ctx, version, {})
  for (const w of ctx.with) extras[`with ${w}`] = withSize(ctx, w, version) + (measured[w] ?? 0)
  if (ctx.trace) {
    const modules = traceImports(ctx)
    ctx.progress('trace', `${modules.size} modules imported; rebuilding with only those`)
    rmSync(ctx.rootfs, { recursive: true, force: true })
    mkdirSync(ctx.rootfs)
    assemble(ctx, version, { modules })
  }
  return { cmd: ctx.recipe.run.cmd, extras }
}

function findVersion(staging: string): string {
  const bin = readdirSync(join(staging, 'usr/bin')).find((f) => /^python3\.\d+$/.test(f))
  if (!bin) throw new Error('no /usr/bin/python3.X in the unpacked packages')
  return bin.slice('python'.length)
}

/** The recipe's drop lists, plus what each --with option carries when it is not given. */
function dropLists(ctx: BuildContext): { drop: string[]; dropDynload: string[] } {
  const { recipe } = ctx
  const given = [...recipe.with].filter(([w]) => ctx.with.includes(w)).map(([, o]) => o)
  const others = [...recipe.with].filter(([w]) => !ctx.with.includes(w)).map(([, o]) => o)
  const keep = new Set(given.flatMap((o) => o.keep))
  const keepDynload = new Set(given.flatMap((o) => o.dynload))
  return {
    drop: [...new Set([...recipe.python.drop, ...others.flatMap((o) => o.keep)])].filter((d) => !keep.has(d)),
    dropDynload: [...new Set([...recipe.python.dropDynload, ...others.flatMap((o) => o.dynload)])].filter((d) => !keepDynload.has(d)),
  }
}

function assemble(ctx: BuildContext, version: string, sel: Selection): { measured: Record<string, number> } {
  const { staging, rootfs, arch, recipe } = ctx
  const copier = new RootfsCopier(staging, rootfs)
  const { drop, dropDynload } = dropLists(ctx)
  const dynloadDir = `/usr/lib/python${version}/lib-dynload`
  const roots = [`/usr/bin/python${version}`]
  const dropped: string[] = []
  for (const so of readdirSync(join(staging, dynloadDir)).sort()) {
    const mod = so.split('.')[0]!
    if (dropDynload.some((p) => mod.startsWith(p))) continue
    if (sel.modules && !sel.modules.has(mod)) continue
    const c = elfClosure(staging, arch, [`${dynloadDir}/${so}`])
    if (c.missing.length > 0) dropped.push(`${mod} (no ${c.missing[0]!.soname})`)
    else roots.push(`${dynloadDir}/${so}`)
  }
  if (dropped.length > 0 && !sel.modules) ctx.progress('dynload', `left out, libraries absent: ${dropped.join(', ')}`)
  const closure = elfClosure(staging, arch, roots)
  if (closure.missing.length > 0) throw new Error(`unresolved libraries: ${closure.missing.map((m) => `${m.soname} (for ${m.neededBy})`).join(', ')}`)
  for (const f of closure.files) copier.add(f)
  mkdirSync(join(rootfs, 'usr/bin'), { recursive: true })
  symlinkSync(`python${version}`, join(rootfs, 'usr/bin/python3'))

  // The stdlib: drop what the recipe calls dead weight and what a --with option not given carries.
  const zip = join(rootfs, `usr/lib/python${version.replace('.', '')}.zip`)
  ctx.progress('stdlib', sel.modules ? `zip of ${sel.modules.size} traced modules` : `compile -OO and zip (dropping ${drop.length} names)`)
  const measure = Object.fromEntries(ctx.with.map((w) => [w, recipe.with.get(w)?.keep ?? []]))
  const options = JSON.stringify({ drop, keep_only: sel.modules ? [...sel.modules] : null, measure })
  const args = ['-I', '-S', '-X', 'no_debug_ranges', '-c', compileScript, join(staging, `usr/lib/python${version}`), zip, join(rootfs, `usr/lib/python${version}`), options]
  const r = compilerFor(version) ? spawnSync(compilerFor(version)!, args, { encoding: 'utf8' }) : runInStaging(staging, arch, `/usr/bin/python${version}`, args, { PYTHONHOME: join(staging, 'usr') })
  if (r.status !== 0) throw new Error(`compiling the stdlib failed: ${(r.stderr || String(r.error)).trim().split('\n').slice(-3).join(' ')}`)
  const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as { modules: number; bytes: number; measured: Record<string, number> }
  ctx.progress('stdlib', `${result.modules} modules, ${formatBytes(result.bytes)}`)

  addZoneinfo(staging, rootfs)
  writeBaseFiles(rootfs)
  installApp(ctx)
  return { measured: result.measured }
}

/** A host python of the same X.Y compiles much faster than the target's under qemu; .pyc is portable. */
function compilerFor(version: string): string | undefined {
  for (const p of [`/usr/bin/python${version}`, `/usr/local/bin/python${version}`]) if (existsSync(p)) return p
  return undefined
}

function installApp(ctx: BuildContext): void {
  const dest = join(ctx.rootfs, 'app')
  mkdirSync(dest, { recursive: true })
  if (statSync(ctx.app).isDirectory()) cpSync(ctx.app, dest, { recursive: true })
  else copyFileSync(ctx.app, join(dest, 'main.py'))
}

/** Bytes the files of one --with option add: its extension modules, the libraries that came only from its packages, and the zone files if it brings them. */
function withSize(ctx: BuildContext, w: string, version: string): number {
  const prefixes = ctx.recipe.with.get(w)?.dynload ?? []
  let total = 0
  const zoneinfo = join(ctx.rootfs, 'usr/share/zoneinfo')
  if (ctx.recipe.with.get(w)?.debs.includes(ZONEINFO_PACKAGE) && existsSync(zoneinfo)) total += apparentSize(zoneinfo)
  const dynload = join(ctx.rootfs, `usr/lib/python${version}/lib-dynload`)
  for (const so of existsSync(dynload) ? readdirSync(dynload) : []) {
    if (prefixes.some((p) => so.startsWith(p))) total += statSync(join(dynload, so)).size
  }
  for (const lib of libsOf(ctx, w)) total += statSync(join(ctx.rootfs, lib)).size
  return total
}

/** Library files in the rootfs named after a --with option's packages (libssl3 → libssl*, libsqlite3-0 → libsqlite3*). */
function libsOf(ctx: BuildContext, w: string): string[] {
  const prefixes = (ctx.recipe.with.get(w)?.debs ?? []).map((d) => d.replace(/-?[0-9.]*(-[0-9]+)?$/, '').replace(/-$/, ''))
  const dir = `usr/lib/${ctx.arch.triple}`
  const out: string[] = []
  for (const d of [dir, `lib/${ctx.arch.triple}`]) {
    if (!existsSync(join(ctx.rootfs, d))) continue
    for (const f of readdirSync(join(ctx.rootfs, d))) {
      if (prefixes.some((p) => f.startsWith(p) || (p === 'libssl' && f.startsWith('libcrypto'))) && lstatSync(join(ctx.rootfs, d, f)).isFile()) out.push(`${d}/${f}`)
    }
  }
  return out
}

/** Run the app once in the untraced rootfs, inside lite, and read back sys.modules. */
function traceImports(ctx: BuildContext): Set<string> {
  const traceDir = join(ctx.work, 'trace')
  mkdirSync(traceDir, { recursive: true })
  writeFileSync(
    join(traceDir, 'tracer.py'),
    [
      // exec rather than runpy, so that the tracer adds no module of its own.
      'import atexit, sys',
      'def _dump():',
      "    with open('/trace/modules', 'w') as f:",
      "        f.write('\\n'.join(sorted(sys.modules)))",
      'atexit.register(_dump)',
      "sys.argv = ['/app/main.py']",
      "with open('/app/main.py', 'rb') as f:",
      "    code = compile(f.read(), '/app/main.py', 'exec')",
      "exec(code, {'__name__': '__main__', '__file__': '/app/main.py', '__builtins__': __builtins__})",
      '',
    ].join('\n'),
  )
  ctx.progress('trace', 'running the app once inside lite')
  const { code } = runLiteOnce(ctx, {
    cmd: `/usr/bin/python3 /trace/tracer.py`,
    mounts: [`${traceDir} /trace none bind,create=dir`],
    user: '0',
  })
  const file = join(traceDir, 'modules')
  if (code !== 0 || !existsSync(file)) throw new Error(`the traced run of the app failed (exit ${code}); it must run to completion for --trace`)
  const modules = new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean))
  // The top-level names the import system resolves through: a traced "json.decoder" needs "json".
  for (const m of [...modules]) for (let i = m.indexOf('.'); i > 0; i = m.indexOf('.', i + 1)) modules.add(m.slice(0, i))
  return modules
}
