// The IANA zone files that `--with tzdata` adds (go, python): the zones only,
// without the .tab indexes and the right/ and posix/ copies of every zone.
// They come from this package, whichever option lists it.
export const ZONEINFO_PACKAGE = 'tzdata'

import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { RootfsCopier, apparentSize } from './tree.ts'

const ZONEINFO = '/usr/share/zoneinfo'

/** Copies the zone files the tzdata package unpacked into staging; their bytes, or undefined when it was not unpacked. */
export function addZoneinfo(staging: string, rootfs: string): number | undefined {
  if (!existsSync(join(staging, ZONEINFO))) return undefined
  new RootfsCopier(staging, rootfs).addTree(ZONEINFO, (p, st) => !/\/(right|posix)$/.test(p) && (st.isDirectory() || st.isSymbolicLink() || !p.endsWith('.tab')))
  return apparentSize(join(rootfs, ZONEINFO))
}
