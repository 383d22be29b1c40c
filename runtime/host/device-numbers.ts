// A device number's parts, apart from the config's parsers: a run's device rules need
// only this.

/** glibc's major()/minor() of a 64-bit dev_t. */
export function deviceNumbers(rdev: number | bigint): { major: number; minor: number } {
  const d = BigInt(rdev)
  return { major: Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn)), minor: Number((d & 0xffn) | ((d >> 12n) & ~0xffn)) }
}
