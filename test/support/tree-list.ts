// A file tree as comparable lines, for checking lite's unpacked images against
// `umoci unpack` of the same image: path, type, mode, uid, gid, size, sha256 of a
// regular file's content, link target, hard-link count. Sorted by path; the root itself is left out.

import { createHash } from 'node:crypto'
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'

export interface TreeEntry {
  path: string
  type: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket'
  mode: string
  uid: number
  gid: number
  size: number
  sha256?: string
  link?: string
  /** hard links: how many names the inode has */
  nlink: number
}

export function listTree(root: string, opts: { skip?: (path: string) => boolean } = {}): TreeEntry[] {
  const out: TreeEntry[] = []
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const p = rel ? `${rel}/${name}` : name
      if (opts.skip?.(p)) continue
      const st = lstatSync(join(root, p))
      const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : st.isFIFO() ? 'fifo' : 'socket'
      const e: TreeEntry = { path: p, type, mode: (st.mode & 0o7777).toString(8).padStart(4, '0'), uid: st.uid, gid: st.gid, size: type === 'file' ? st.size : 0, nlink: type === 'dir' ? 0 : st.nlink }
      if (type === 'file') e.sha256 = createHash('sha256').update(readFileSync(join(root, p))).digest('hex')
      if (type === 'symlink') e.link = readlinkSync(join(root, p))
      out.push(e)
      if (type === 'dir') walk(p)
    }
  }
  walk('')
  return out
}

/** One line per entry: what a diff of two trees shows. */
export function treeLines(entries: TreeEntry[]): string[] {
  return entries.map((e) => [e.path, e.type, e.mode, e.uid, e.gid, e.size, e.sha256 ?? '-', e.link ?? '-', `nlink=${e.nlink}`].join(' '))
}
