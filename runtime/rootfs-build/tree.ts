// Moving files from the staging tree (every unpacked .deb) into the rootfs:
// paths are resolved inside a root (an absolute symlink target means the
// root's own /, never the host's), and every symlink met on the way is copied
// too, so that a name such as /lib64/ld-linux-x86-64.so.2 keeps working.

import { chmodSync, copyFileSync, lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, type Stats } from 'node:fs'
import { dirname, join, posix } from 'node:path'

const MAX_LINKS = 40

/** lstat that answers undefined for a missing path. */
export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path)
  } catch {
    return undefined
  }
}

/**
 * Resolve `path` (absolute, inside `root`) to the path of the real file, and
 * list the symlinks followed on the way. Undefined when it does not exist.
 */
export function resolveInRoot(root: string, path: string): { real: string; links: string[] } | undefined {
  const links: string[] = []
  let parts = posix.normalize(path).split('/').filter(Boolean)
  let done: string[] = []
  let hops = 0
  while (parts.length > 0) {
    const name = parts.shift()!
    if (name === '..') {
      done.pop()
      continue
    }
    const here = '/' + [...done, name].join('/')
    const st = lstatOrUndefined(join(root, here))
    if (!st) return undefined
    if (st.isSymbolicLink()) {
      if (++hops > MAX_LINKS) return undefined
      links.push(here)
      const target = readlinkSync(join(root, here))
      const rest = target.split('/').filter(Boolean)
      if (target.startsWith('/')) done = []
      parts = [...rest, ...parts]
      continue
    }
    done.push(name)
  }
  return { real: '/' + done.join('/'), links }
}

/** Copies files from a staging root into a rootfs, remembering what it copied. */
export class RootfsCopier {
  readonly copied = new Set<string>()
  constructor(
    readonly staging: string,
    readonly rootfs: string,
  ) {}

  /** Copy `path` (and the symlinks that lead to it). False when staging has no such path. */
  add(path: string): boolean {
    const r = resolveInRoot(this.staging, path)
    if (!r) return false
    for (const link of r.links) this.copyOne(link)
    this.copyOne(r.real)
    return true
  }

  /** Copy a whole directory tree; `keep` filters by rootfs path. */
  addTree(dir: string, keep: (path: string, st: Stats) => boolean = () => true): void {
    const st = lstatOrUndefined(join(this.staging, dir))
    if (!st || !keep(dir, st)) return
    if (!st.isDirectory()) {
      this.copyOne(dir)
      return
    }
    this.copyOne(dir)
    for (const name of readdirSync(join(this.staging, dir)).sort()) this.addTree(posix.join(dir, name), keep)
  }

  private copyOne(path: string): void {
    if (this.copied.has(path)) return
    const from = join(this.staging, path)
    const to = join(this.rootfs, path)
    const st = lstatSync(from)
    mkdirSync(dirname(to), { recursive: true, mode: 0o755 })
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), to)
    else if (st.isDirectory()) mkdirSync(to, { recursive: true, mode: st.mode & 0o7777 })
    else if (st.isFile()) {
      copyFileSync(from, to)
      chmodSync(to, st.mode & 0o7777)
    } else throw new Error(`${path}: not a regular file, directory or symlink`)
    this.copied.add(path)
  }
}

/** `du -sb`: apparent bytes of every file, symlink and directory under `path`. */
export function apparentSize(path: string): number {
  const st = lstatSync(path)
  if (!st.isDirectory()) return st.size
  let total = st.size
  for (const name of readdirSync(path)) total += apparentSize(join(path, name))
  return total
}
