// Node built-ins that a hot path needs only now and then (an OCI hook, a blob's hash):
// loaded at their first use, not when the module that uses them is imported. Importing
// them costs more than most steps of a warm run: in a compiled probe, after node:fs,
// node:child_process took ~1.0 ms and node:crypto ~2.1 ms.

export const childProcess = (): typeof import('node:child_process') => process.getBuiltinModule('node:child_process') as typeof import('node:child_process')

export const nodeCrypto = (): typeof import('node:crypto') => process.getBuiltinModule('node:crypto') as typeof import('node:crypto')

type Hasher = { update(text: string): Hasher; digest(encoding: 'hex'): string }

/**
 * sha256 of a string, in hex, where a hot path needs one (every run of an image names
 * its store's lock directory by it): Bun's own hasher, node:crypto under Node (tests).
 */
export function sha256Hex(text: string): string {
  const bun = (globalThis as { Bun?: { CryptoHasher?: new (algorithm: string) => Hasher } }).Bun
  if (bun?.CryptoHasher) return new bun.CryptoHasher('sha256').update(text).digest('hex')
  return nodeCrypto().createHash('sha256').update(text).digest('hex')
}
