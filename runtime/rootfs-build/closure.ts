// The shared-library closure of a set of ELF files, resolved inside a staging
// root for the target architecture: PT_INTERP, DT_NEEDED, DT_RUNPATH ($ORIGIN)
// and the loader's default directories. Libraries that are loaded with
// dlopen (Python's lib-dynload, the JVM's libjvm.so) are not in DT_NEEDED, so
// the profile passes them as roots and their own needs are followed here.

import { join, posix } from 'node:path'
import { defaultLibDirs, type TargetArch } from './arch.ts'
import { readElf } from './elf.ts'
import { resolveInRoot } from './tree.ts'

export interface Closure {
  /** every path to copy (roots, libraries and the loader), as named inside the root */
  files: string[]
  /** sonames no directory had, with who asked for them */
  missing: { soname: string; neededBy: string }[]
}

export function elfClosure(staging: string, arch: TargetArch, roots: string[], extraLibDirs: string[] = []): Closure {
  const files = new Set<string>()
  const missing: Closure['missing'] = []
  const queue = [...roots]
  const seenReal = new Set<string>()
  while (queue.length > 0) {
    const path = queue.shift()!
    const r = resolveInRoot(staging, path)
    if (!r) throw new Error(`${path}: not in the staging tree`)
    files.add(path)
    if (seenReal.has(r.real)) continue
    seenReal.add(r.real)
    const elf = readElf(join(staging, r.real))
    if (!elf) continue
    if (elf.machine !== arch.elfMachine) throw new Error(`${path}: ELF machine ${elf.machine} is not ${arch.debian} (${arch.elfMachine})`)
    if (elf.interp) queue.push(elf.interp)
    const origin = posix.dirname(r.real)
    const dirs = [...elf.runpath.map((d) => d.replace(/\$(\{ORIGIN\}|ORIGIN)/g, origin)), ...extraLibDirs, ...defaultLibDirs(arch)]
    for (const soname of elf.needed) {
      const found = soname.includes('/') ? soname : findLibrary(staging, dirs, soname)
      if (found) queue.push(found)
      else missing.push({ soname, neededBy: path })
    }
  }
  return { files: [...files].sort(), missing }
}

/** The first `dir/soname` of `dirs` that is in `root` (a link followed inside it), as named there. */
export function findLibrary(root: string, dirs: string[], soname: string): string | undefined {
  return dirs.map((d) => posix.join(d, soname)).find((p) => resolveInRoot(root, p))
}

/** Whether every DT_NEEDED of `path` resolves (used to drop modules whose libraries are absent). */
export function closureComplete(staging: string, arch: TargetArch, path: string, extraLibDirs: string[] = []): boolean {
  return elfClosure(staging, arch, [path], extraLibDirs).missing.length === 0
}
