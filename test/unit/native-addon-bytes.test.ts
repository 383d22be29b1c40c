// The embedded addon's unpack: the gzip the build made, checked against the build's
// size and sha256 before lite would dlopen it; anything else is a clear error.

import { createHash } from 'node:crypto'
import { gunzipSync, gzipSync } from 'node:zlib'
import t from 'tap'
import { type BunZip, unpackedAddon } from '../../runtime/native/addon-bytes.ts'

// Bun's gunzip and sha256, as Node has them.
const bun: BunZip = {
  gunzipSync: (data) => gunzipSync(data),
  CryptoHasher: class {
    private hash = createHash('sha256')
    constructor(algorithm: string) {
      if (algorithm !== 'sha256') throw new Error(algorithm)
    }
    update(data: Uint8Array) {
      this.hash.update(data)
      return { digest: (encoding: 'hex') => this.hash.digest(encoding) }
    }
  },
}

const addon = Buffer.from('\x7fELF a shared object, for the test'.repeat(50))
const want = { bytes: addon.length, id: createHash('sha256').update(addon).digest('hex').slice(0, 16) }

t.test('the build\'s gzip gives the addon back', async (t) => {
  t.same(Buffer.from(unpackedAddon(gzipSync(addon), bun, want)), addon)
})

t.test('damage is refused, never written out', async (t) => {
  const gz = gzipSync(addon)
  const cut = gz.subarray(0, gz.length - 9)
  t.throws(() => unpackedAddon(cut, bun, want), { name: 'LiteError', message: /^the embedded native addon is damaged \(gunzip: .*\); reinstall lite$/ })
  const other = Buffer.from(addon)
  other[5] ^= 1
  t.throws(() => unpackedAddon(gzipSync(other), bun, want), { message: new RegExp(`^the embedded native addon is damaged \\(${addon.length} bytes, sha256 [0-9a-f]{16}…; the build made ${want.bytes}, ${want.id}…\\); reinstall lite$`) })
  t.throws(() => unpackedAddon(gzipSync(Buffer.concat([addon, Buffer.from('x')])), bun, want), { message: /damaged/ })
})
