// The image's /etc/passwd and /etc/group, kept beside image.sqfs (images/<hex>/passwd,
// group) so that `[rootfs] image` can resolve a User name (user.ts) without mounting
// the image. The staging tree is untrusted content, so a path is followed the way the
// container would see it: symlinks resolved inside the tree, ".." stopping at its top,
// never a host file. The tree is lite's own while it builds, so nothing changes it
// between the checks and the open.

import fs from 'node:fs'
import path from 'node:path'
import { readSmallFile } from './store/small-file.ts'

/** As large as such a file may be: 1 MiB is thousands of accounts. */
export const ACCOUNT_FILE_LIMIT = 1 << 20
const MAX_LINKS = 40

/** `rel` inside `root` with every symlink resolved inside it; undefined when it leads nowhere. */
export function resolveInTree(root: string, rel: string): string | undefined {
  let pending = rel.split('/').filter(Boolean)
  const done: string[] = []
  let links = 0
  while (pending.length) {
    const part = pending.shift()!
    if (part === '.') continue
    if (part === '..') {
      done.pop()
      continue
    }
    const here = path.join(root, ...done, part)
    let st: fs.Stats
    try {
      st = fs.lstatSync(here)
    } catch {
      return undefined
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) return undefined
      const target = fs.readlinkSync(here)
      if (target.startsWith('/')) done.length = 0
      pending = [...target.split('/').filter(Boolean), ...pending]
      continue
    }
    if (pending.length && !st.isDirectory()) return undefined
    done.push(part)
  }
  return path.join(root, ...done)
}

/** Copies the tree's etc/passwd and etc/group into `imageDir`, when they are regular files of a sane size. */
export function keepAccountFiles(rootfs: string, imageDir: string): string[] {
  const kept: string[] = []
  for (const name of ['passwd', 'group']) {
    const file = resolveInTree(rootfs, `etc/${name}`)
    if (!file) continue
    let data: Buffer | undefined
    try {
      data = readSmallFile(file, ACCOUNT_FILE_LIMIT)
    } catch {
      continue // not a regular file, or too large: names then give a clear error at run
    }
    if (!data) continue
    fs.writeFileSync(path.join(imageDir, name), data, { mode: 0o644 })
    kept.push(name)
  }
  return kept
}
