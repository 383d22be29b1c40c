// A small non-cryptographic hash for names and mismatch checks (plan-cache.ts).

/** FNV-1a over a string's UTF-16 units, twice with two offsets: 16 hex digits. Not cryptographic: a mismatch check. */
export function fnv64(text: string): string {
  let a = 0x811c9dc5
  let b = 0x01000193 ^ 0x5bd1e995
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193) >>> 0
    b = Math.imul(b ^ c, 0x01000193) >>> 0
    b = (b ^ (b >>> 13)) >>> 0
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0')
}
