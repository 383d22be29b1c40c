// The image's /etc/passwd and /etc/group, kept beside image.sqfs (images/<hex>/passwd,
// group) so that `[rootfs] image` can resolve a User name (user.ts) without mounting
// the image. The staging tree is untrusted content, so a path is followed the way the
// container would see it: symlinks resolved inside the tree, ".." stopping at its top,
// never a host file. The tree is lite's own while it builds, so nothing changes it
// between the checks and the open.

import fs from 'node:fs'
import path from 'node:path'

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
    let fd: number
    try {
      fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK)
    } catch {
      continue
    }
    try {
      const st = fs.fstatSync(fd)
      if (!st.isFile() || st.size > ACCOUNT_FILE_LIMIT) continue
      const data = Buffer.alloc(st.size)
      let got = 0
      while (got < data.length) {
        const n = fs.readSync(fd, data, got, data.length - got, got)
        if (n === 0) break
        got += n
      }
      fs.writeFileSync(path.join(imageDir, name), data.subarray(0, got), { mode: 0o644 })
      kept.push(name)
    } finally {
      fs.closeSync(fd)
    }
  }
  return kept
}
