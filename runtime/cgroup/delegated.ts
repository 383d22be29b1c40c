// Rootless cgroups: a cgroup v2 subtree delegated to the user (systemd's user@UID.service
// with Delegate=yes, or a directory an administrator chowned, as with podman). The
// kernel lets a user create cgroups below a directory it owns, and move a process
// between two of them only when it may also write the cgroup.procs of their common
// ancestor: so the subtree must hold lite itself. lite treats that directory as the
// root of a v2 hierarchy of its own: the container goes to BASE/PARENT/NAME.

import { readFileSync, statSync } from 'node:fs'
import { posix } from 'node:path'
import type { CgroupLayout } from './detect.ts'

export interface DelegationFs {
  /** the owner uid of a path, or undefined when it is not there */
  owner(path: string): number | undefined
  read(path: string): string
}

const hostFs: DelegationFs = {
  owner(path) {
    try {
      return statSync(path).uid
    } catch {
      return undefined
    }
  },
  read: (path) => readFileSync(path, 'utf8'),
}

/** The files a delegation hands over with the directory (systemd's list, minus threads). */
const DELEGATED_FILES = ['cgroup.procs', 'cgroup.subtree_control']

/** This process's cgroup v2 path ("0::/a/b" in /proc/self/cgroup). */
export function ownV2Cgroup(procSelfCgroup: string): string | undefined {
  const line = procSelfCgroup.split('\n').find((l) => l.startsWith('0::'))
  return line ? line.slice(3) || '/' : undefined
}

/**
 * The delegated subtree's layout for user `uid`, or the reason there is none: the
 * topmost directory on the way down to lite's own cgroup that the user owns, with its
 * cgroup.procs and cgroup.subtree_control.
 */
export function delegatedLayout(host: CgroupLayout, uid: number, fs: DelegationFs = hostFs): CgroupLayout | string {
  if (host.mode !== 'v2' || !host.unified) {
    return `this host's cgroups are ${host.mode === 'none' ? 'not mounted' : host.mode === 'v1' ? 'v1' : 'v1 with a cgroup2 mount beside them (hybrid)'}, and only a cgroup v2 subtree can be delegated to a user`
  }
  const own = ownV2Cgroup(fs.read('/proc/self/cgroup'))
  if (own === undefined) return 'this process is in no cgroup v2'
  let dir = host.unified
  const steps = own.split('/').filter(Boolean)
  for (let i = 0; i <= steps.length; i++) {
    if (fs.owner(dir) === uid && DELEGATED_FILES.every((f) => fs.owner(posix.join(dir, f)) === uid)) {
      let listed: string[] = []
      try {
        listed = fs.read(posix.join(dir, 'cgroup.controllers')).trim().split(/\s+/).filter(Boolean)
      } catch {}
      return {
        mode: 'v2',
        unified: dir,
        controllers: listed.map((controller) => ({ controller, version: 2, mountPoint: dir })),
        hierarchies: [{ version: 2, mountPoint: dir, options: listed }],
        delegated: true,
      }
    }
    if (i < steps.length) dir = posix.join(dir, steps[i]!)
  }
  return `no directory on the way to lite's own cgroup (${own}) is delegated to uid ${uid} (owned by it, with its cgroup.procs and cgroup.subtree_control)`
}
