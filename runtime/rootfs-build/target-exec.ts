// Running a program of the target architecture against the staging tree at
// build time (busybox --list, the stdlib compiler, java -Xshare:dump): the
// staged loader for the host's own architecture, qemu-user otherwise.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { join } from 'node:path'
import { defaultLibDirs, hostArch, type TargetArch } from './arch.ts'
import { readElf } from './elf.ts'

export function runInStaging(
  staging: string,
  arch: TargetArch,
  program: string,
  args: string[],
  env: Record<string, string> = {},
  extraLibDirs: string[] = [],
): SpawnSyncReturns<string> {
  const exe = join(staging, program)
  const opts = { encoding: 'utf8' as const, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, maxBuffer: 64 * 1024 * 1024 }
  const isStatic = !readElf(exe)?.interp
  if (arch.debian === hostArch() && isStatic) return spawnSync(exe, args, opts)
  if (arch.debian === hostArch()) {
    const libPath = [...extraLibDirs, ...defaultLibDirs(arch)].map((d) => join(staging, d)).join(':')
    return spawnSync(join(staging, arch.loader), ['--library-path', libPath, exe, ...args], opts)
  }
  // -L makes the emulator resolve the loader and absolute library paths in staging.
  const libPath = [...extraLibDirs, ...defaultLibDirs(arch)].map((d) => join(staging, d)).join(':')
  return spawnSync(arch.qemu, ['-L', staging, '-E', `LD_LIBRARY_PATH=${libPath}`, exe, ...args], opts)
}
