// One FsOp with every field the op leaves out at its neutral value, for the planners
// (build.ts for a config, oci/plan.ts for a bundle's config.json).

import type { FsOp } from '../native/index.ts'

export function fsOp(o: Partial<FsOp> & Pick<FsOp, 'kind' | 'target'>): FsOp {
  return { flags: 0, optional: false, mode: 0, major: 0, minor: 0, afterPivot: false, ...o }
}
