// A rootfs as one reproducible tar layer, written with tar-stream: entries in
// sorted order, every time fixed, owner root, no host user or group names.

import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { pack as tarPack, type Header } from 'tar-stream'

export const FIXED_MTIME = new Date(0)

export interface TarEntry {
  header: Partial<Header> & { name: string }
  data?: Buffer
}

/** Every path under `root`, parents before children, names sorted bytewise. */
export function rootfsEntries(root: string): TarEntry[] {
  const out: TarEntry[] = []
  const walk = (rel: string) => {
    const names = readdirSync(join(root, rel)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name
      const st = lstatSync(join(root, path))
      const base = { mode: st.mode & 0o7777, uid: 0, gid: 0, uname: '', gname: '', mtime: FIXED_MTIME }
      if (st.isDirectory()) {
        out.push({ header: { ...base, name: path + '/', type: 'directory' } })
        walk(path)
      } else if (st.isSymbolicLink()) {
        out.push({ header: { ...base, name: path, type: 'symlink', linkname: readlinkSync(join(root, path)) } })
      } else if (st.isFile()) {
        const data = readFileSync(join(root, path))
        out.push({ header: { ...base, name: path, type: 'file', size: data.length }, data })
      }
    }
  }
  walk('')
  return out
}

/** Pack entries into one tar in memory (a rootfs here is tens of MB at most). */
export function packTar(entries: TarEntry[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = tarPack()
    const chunks: Buffer[] = []
    p.on('data', (c) => chunks.push(c as Buffer))
    p.on('end', () => resolve(Buffer.concat(chunks)))
    p.on('error', reject)
    for (const e of entries) p.entry(e.header as Header, e.data ?? Buffer.alloc(0))
    p.finalize()
  })
}

/** A tar of plain files given as name → content (image archives' own files). */
export function filesTar(files: [string, Buffer][]): Promise<Buffer> {
  return packTar(files.map(([name, data]) => ({ header: { name, type: 'file', mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', mtime: FIXED_MTIME, size: data.length }, data })))
}
