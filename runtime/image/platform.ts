// Choosing one image out of an index (OCI image index, Docker manifest list) for a
// board's platform: os linux, and amd64 or arm64. An arm64 entry matches with the
// variant "v8" or with no variant at all (many indexes leave it out); an exact
// "v8" is preferred when both are there. Pure: the importer chooses from the
// indexes of OCI layouts the same way.

import { LiteError } from '../errors.ts'
import type { Descriptor, ImageIndex } from './types.ts'

export type Arch = 'amd64' | 'arm64'
export const ARCHES: readonly Arch[] = ['amd64', 'arm64']

/** The OCI architecture of the machine lite runs on (Node's process.arch names). */
export function machineArch(nodeArch: string = process.arch): Arch {
  if (nodeArch === 'x64') return 'amd64'
  if (nodeArch === 'arm64') return 'arm64'
  throw new LiteError(`this machine's architecture (${nodeArch}) has no images; give --arch amd64 or --arch arm64`)
}

export function platformText(p: { os?: string; architecture?: string; variant?: string } | undefined): string {
  if (!p) return 'unknown'
  return [p.os ?? '?', p.architecture ?? '?', ...(p.variant ? [p.variant] : [])].join('/')
}

/** Variants accepted per architecture, best first; '' is "no variant". */
const VARIANTS: Record<Arch, string[]> = {
  amd64: ['', 'v1'],
  arm64: ['v8', ''],
}

/** How well `d` fits: a lower rank is better, -1 never. */
function rank(d: Descriptor, arch: Arch): number {
  const p = d.platform
  if (!p || p.os !== 'linux' || p.architecture !== arch) return -1
  return VARIANTS[arch].indexOf(p.variant ?? '')
}

export class NoMatchingPlatform extends LiteError {
  constructor(
    what: string,
    readonly wanted: string,
    readonly available: string[],
  ) {
    super(`${what} has no image for ${wanted}; it has ${available.length ? available.join(', ') : 'no platforms at all'}`)
    this.name = 'NoMatchingPlatform'
  }
}

/**
 * The index entry for linux/`arch`, or NoMatchingPlatform listing what the index
 * holds. Entries that are not for a platform (attestations: "unknown/unknown") never
 * match. `what` names the index in the error ("docker.io/library/busybox:latest").
 */
export function selectPlatform(index: ImageIndex, arch: Arch, what: string): Descriptor {
  let best: Descriptor | undefined
  let bestRank = Infinity
  for (const d of index.manifests) {
    const r = rank(d, arch)
    if (r >= 0 && r < bestRank) {
      best = d
      bestRank = r
    }
  }
  if (best) return best
  const available = [...new Set(index.manifests.filter((d) => d.platform && d.platform.os !== 'unknown').map((d) => platformText(d.platform)))]
  throw new NoMatchingPlatform(what, `linux/${arch}${arch === 'arm64' ? '/v8' : ''}`, available)
}
