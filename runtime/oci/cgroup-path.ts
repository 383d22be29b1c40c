// Where an OCI container's cgroup is, in every hierarchy: runc's cgroupfs rules. An
// absolute linux.cgroupsPath is used as it is, a relative one is taken from the root of
// each hierarchy, and none gives /ID.

import { posix } from 'node:path'
import { OciError } from './errors.ts'

/** The container's cgroup, absolute within each hierarchy ("/libpod_parent/libpod-ID"). */
export function ociCgroupPath(id: string, cgroupsPath: string | undefined): string {
  const path = posix.normalize(posix.join('/', cgroupsPath || id))
  if (path === '/') throw new OciError(`linux.cgroupsPath ${JSON.stringify(cgroupsPath)} names the root cgroup`)
  return path
}
