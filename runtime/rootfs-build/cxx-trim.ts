// A libstdc++.so.6 with only what the image uses. The JVM and libjimage import
// a dozen symbols from libstdc++ (operator new/delete, the static-init guards,
// __cxa_demangle, two type_info vtables, the personality routine), yet the
// shared library is 2.2 MB. The same GCC's static archives (libstdc++.a and
// libgcc.a, from the target's libstdc++-N-dev and libgcc-N-dev) are linked,
// with the target's ld, into
// a shared object that exports exactly those symbols under the versions the
// importers ask for: the code is libstdc++'s own, only what nothing reaches is
// left out. The unwinder stays in libgcc_s, as with the real library, so that
// one unwinder serves every frame.

import { chmodSync, copyFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { defaultLibDirs, type TargetArch } from './arch.ts'
import { findLibrary } from './closure.ts'
import { readElf } from './elf.ts'
import { runTool } from './profiles/jdk-tool.ts'
import { resolveInRoot } from './tree.ts'

const SONAME = 'libstdc++.so.6'
/** The version nodes libstdc++ defines; an import under one of them is libstdc++'s. */
const VERSION = /^(GLIBCXX|CXXABI)_[0-9.]+$/

/** One imported symbol with the version node the importer binds it to. */
export interface VersionedSymbol {
  name: string
  version: string
}

/** Undefined symbols of `nm -D --undefined-only` output that libstdc++ versions. */
export function libstdcxxImports(nmOutput: string): VersionedSymbol[] {
  const out: VersionedSymbol[] = []
  for (const line of nmOutput.split('\n')) {
    const m = /^\s*[Uw]\s+([^@\s]+)@{1,2}(\S+)$/.exec(line)
    if (m && VERSION.test(m[2]!)) out.push({ name: m[1]!, version: m[2]! })
  }
  return out
}

/**
 * The linker's version script: one node per version, each exporting its
 * symbols, everything else local. Nodes and names are sorted so that the
 * same imports give the same library.
 */
export function versionScript(symbols: VersionedSymbol[]): string {
  const byVersion = new Map<string, Set<string>>()
  for (const s of symbols) byVersion.set(s.version, (byVersion.get(s.version) ?? new Set()).add(s.name))
  const versions = [...byVersion.keys()].sort()
  if (versions.length === 0) throw new Error('no libstdc++ symbol to export')
  return versions.map((v, i) => {
    const names = [...byVersion.get(v)!].sort().map((n) => `    ${n};`).join('\n')
    return `${v} {\n  global:\n${names}\n${i === 0 ? '  local: *;\n' : ''}};\n`
  }).join('')
}

export interface TrimResult {
  /** the library's path inside the rootfs */
  path: string
  before: number
  after: number
  symbols: number
}

/**
 * Replace the rootfs's libstdc++.so.6 with one linked from `staging`'s
 * libstdc++.a that holds only the imports of the rootfs's other ELF files.
 * Undefined when the rootfs has no libstdc++. Throws, naming the step, when
 * the archive is missing or the new library lacks an import.
 */
export function trimLibstdcxx(rootfs: string, staging: string, arch: TargetArch, files: string[], work: string): TrimResult | undefined {
  const found = findLibrary(rootfs, defaultLibDirs(arch), SONAME)
  const lib = found && resolveInRoot(rootfs, found)
  if (!lib) return undefined
  const importers = files.filter((f) => {
    const r = resolveInRoot(rootfs, f)
    return r && r.real !== lib.real && statSync(join(rootfs, r.real)).isFile() && readElf(join(rootfs, r.real))?.needed.includes(SONAME)
  })
  const wanted = dedupe(importers.flatMap((f) => libstdcxxImports(runTool('nm', arch.nm, ['-D', '--undefined-only', join(rootfs, f)]))))
  const archive = staticArchive(staging, arch, 'libstdc++.a')
  // GCC's helpers that its code calls and gcc always links (arm64's outline atomics)
  const libgcc = staticArchive(staging, arch, 'libgcc.a')
  const script = join(work, 'libstdcxx.map')
  writeFileSync(script, versionScript(wanted))
  const out = join(work, SONAME)
  const inStaging = (path: string | undefined, name: string) => {
    const r = path && resolveInRoot(staging, path)
    if (!r) throw new Error(`libstdc++ trim: ${name} is not in the staging tree`)
    return join(staging, r.real)
  }
  const library = (soname: string) => inStaging(findLibrary(staging, defaultLibDirs(arch), soname), soname)
  runTool('ld (libstdc++ trim)', arch.ld, [
    '-shared', '-soname', SONAME, '-o', out,
    `--version-script=${script}`, '--gc-sections', '--as-needed', '--no-undefined',
    '--hash-style=gnu', '-z', 'relro', '-z', 'now', '-O1',
    ...wanted.flatMap((s) => ['-u', s.name]),
    archive, libgcc,
    // What the archive's objects call: the unwinder, libc and the loader's TLS
    // entry, all from the target's packages.
    library('libgcc_s.so.1'), library('libc.so.6'), library('libm.so.6'), inStaging(arch.loader, arch.loader),
  ])
  runTool('strip (libstdc++ trim)', arch.strip, ['--strip-unneeded', '-R', '.comment', out])
  const defined = new Set(runTool('nm', arch.nm, ['-D', '--defined-only', out]).split('\n').map((l) => l.trim().split(/\s+/).pop()!.replace('@@', '@')))
  const lacking = wanted.filter((s) => !defined.has(`${s.name}@${s.version}`))
  if (lacking.length > 0) throw new Error(`libstdc++ trim: the new ${SONAME} lacks ${lacking.map((s) => `${s.name}@${s.version}`).join(', ')}`)
  const target = join(rootfs, lib.real)
  const before = statSync(target).size
  rmSync(target)
  copyFileSync(out, target)
  chmodSync(target, 0o644)
  return { path: lib.real, before, after: statSync(target).size, symbols: wanted.length }
}

function dedupe(symbols: VersionedSymbol[]): VersionedSymbol[] {
  const seen = new Map(symbols.map((s) => [`${s.name}@${s.version}`, s]))
  return [...seen.values()]
}

/** usr/lib/gcc/TRIPLE/N/NAME of the unpacked libstdc++-N-dev or libgcc-N-dev. */
function staticArchive(staging: string, arch: TargetArch, name: string): string {
  const base = join(staging, 'usr/lib/gcc', arch.triple)
  let versions: string[] = []
  try { versions = readdirSync(base) } catch {}
  const found = versions.map((v) => join(base, v, name)).filter((p) => { try { return statSync(p).isFile() } catch { return false } })
  if (found.length !== 1) throw new Error(`libstdc++ trim: expected one ${name} under ${base}, found ${found.length}`)
  return found[0]!
}
