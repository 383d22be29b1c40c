// Layer tars made to order for the image tests: exactly the entries given, in order,
// with the headers as written (whiteouts, hard links, devices, PAX records), which no
// well-behaved tar tool would produce.

import tar from 'tar-stream'

export interface Entry {
  name: string
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device'
  data?: Buffer
  linkname?: string
  mode?: number
  uid?: number
  gid?: number
  devmajor?: number
  devminor?: number
  /** PAX records of the entry's own header */
  pax?: Record<string, string>
}

/** An uncompressed layer tar holding exactly `entries`, in order (tar-stream writes the headers as given). */
export function layerTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack()
  const chunks: Buffer[] = []
  pack.on('data', (c) => void chunks.push(c as Buffer))
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('end', () => resolve(Buffer.concat(chunks)))
    pack.on('error', reject)
  })
  for (const e of entries) {
    const type = e.type ?? 'file'
    const mode = e.mode ?? (type === 'directory' ? 0o755 : 0o644)
    const header = { name: e.name, type, mode, uid: e.uid ?? 0, gid: e.gid ?? 0, mtime: new Date(1_700_000_000_000), linkname: e.linkname, devmajor: e.devmajor, devminor: e.devminor, pax: e.pax }
    if (type === 'file') pack.entry(header, e.data ?? Buffer.alloc(0))
    else pack.entry(header)
  }
  pack.finalize()
  return done
}

