// Layer tars and OCI layouts made to order for the image tests: exactly the entries given, in order,
// with the headers as written (whiteouts, hard links, devices, PAX records), which no
// well-behaved tar tool would produce.

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import tar from 'tar-stream'
import { sha256Digest } from '../../runtime/image/store/blobs.ts'

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


export interface Layout {
  dir: string
  /** the manifest's digest */
  manifest: string
  /** the file of a blob in the layout */
  blob: (digest: string) => string
}

/**
 * An OCI layout at `dir` holding one image of the layer tars `tars` (gzipped when
 * `gzip`), whose index entry carries `annotations` and whose config adds `config` to a
 * Cmd of /bin/true.
 */
export function writeOciLayout(dir: string, tars: Buffer[], opts: { gzip?: boolean; annotations?: Record<string, string>; config?: Record<string, unknown> } = {}): Layout {
  const blobs = join(dir, 'blobs/sha256')
  mkdirSync(blobs, { recursive: true })
  const put = (data: Buffer) => {
    const digest = sha256Digest(data)
    writeFileSync(join(blobs, digest.slice(7)), data)
    return { digest, size: data.length }
  }
  const layerType = `application/vnd.oci.image.layer.v1.tar${opts.gzip ? '+gzip' : ''}`
  const layers = tars.map((x) => ({ mediaType: layerType, ...put(opts.gzip ? gzipSync(x, { level: 1 }) : x) }))
  const config = { architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/true'], ...opts.config }, rootfs: { type: 'layers', diff_ids: tars.map((x) => sha256Digest(x)) } }
  const cfg = put(Buffer.from(JSON.stringify(config)))
  const manifest = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg }, layers })))
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: opts.annotations ?? {} }] }))
  return { dir, manifest: manifest.digest, blob: (d) => join(blobs, d.slice(7)) }
}
