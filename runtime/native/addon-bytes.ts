// The embedded addon's bytes: the build gzips the addon into the binary (scripts/lib.sh
// compile_lite) and defines its size and sha256; an unpack checks both before the bytes
// are written where lite will dlopen them.

import { LiteError } from '../errors.ts'

/** What of Bun's API the unpack uses (injectable: tests run under Node). */
export interface BunZip {
  gunzipSync(data: Uint8Array): Uint8Array
  CryptoHasher: new (algorithm: string) => { update(data: Uint8Array): { digest(encoding: 'hex'): string } }
}

/**
 * The addon's bytes, from the embedded gzip, checked against the build's size and hash.
 * Bun's own gunzip and sha256: node:zlib and node:crypto cost ~2.5 ms each to import.
 */
export function unpackedAddon(gz: Uint8Array, bun: BunZip, want: { bytes: number; id: string }): Uint8Array {
  let bytes: Uint8Array
  try {
    bytes = bun.gunzipSync(gz)
  } catch (e) {
    throw new LiteError(`the embedded native addon is damaged (gunzip: ${(e as Error).message}); reinstall lite`)
  }
  const id = new bun.CryptoHasher('sha256').update(bytes).digest('hex').slice(0, 16)
  if (bytes.length !== want.bytes || id !== want.id) throw new LiteError(`the embedded native addon is damaged (${bytes.length} bytes, sha256 ${id}…; the build made ${want.bytes}, ${want.id}…); reinstall lite`)
  return bytes
}
