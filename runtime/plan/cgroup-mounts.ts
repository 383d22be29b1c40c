// The container's /sys/fs/cgroup: this host's hierarchies as mounts the child makes.
// In a cgroup namespace (unshared by the child before any mount) each hierarchy shows
// the container's own cgroup as its root, so a JVM or Go runtime reads its own limits.

import { posix } from 'node:path'
import type { CgroupLayout } from '../cgroup/detect.ts'
import type { FsOp } from '../native/index.ts'
import { fsOp } from './fs-op.ts'
import { MS } from './linux.ts'

export interface CgroupMountOptions {
  /** the mount point inside the container (/sys/fs/cgroup) */
  target: string
  /** the flags of each cgroup mount; with MS_RDONLY the v1 tmpfs is made read-only too */
  flags: number
  /** how the targets are resolved inside the root (FsOp.resolve) */
  resolve: 'strict' | 'root'
  /** create the mount point when missing */
  create?: 'dir'
  /**
   * Without a cgroup namespace: the container's own cgroup ("/parent/name" in every
   * hierarchy), bound in from the host in place of each hierarchy's root, which would
   * show every other cgroup of the host (runc does the same).
   */
  ownCgroup?: string
}

/**
 * cgroup2 itself on a v2 host; otherwise a small tmpfs holding one mount per hierarchy
 * (v1, named, and a hybrid host's cgroup2), remounted read-only last when asked.
 */
export function cgroupMountOps(layout: CgroupLayout, o: CgroupMountOptions): FsOp[] {
  if (layout.mode === 'none') return []
  const top = (op: FsOp): FsOp => (o.create ? { ...op, create: o.create } : op)
  if (layout.mode === 'v2' && o.ownCgroup === undefined) {
    return [top(fsOp({ resolve: o.resolve, kind: 'mount', source: 'cgroup2', target: o.target, fstype: 'cgroup2', flags: o.flags }))]
  }
  if (o.ownCgroup !== undefined) return ownCgroupOps(layout, o, top)
  const ops: FsOp[] = [
    top(fsOp({ resolve: o.resolve, kind: 'mount', source: 'tmpfs', target: o.target, fstype: 'tmpfs', flags: o.flags & ~MS.RDONLY, data: 'mode=755,size=64k' })),
  ]
  for (const h of layout.hierarchies) {
    const dir = posix.join(o.target, posix.basename(h.mountPoint))
    ops.push(fsOp({ resolve: o.resolve, kind: 'mkdir', target: dir, mode: 0o755 }))
    const named = h.version === 1 && h.options.every((opt) => opt.startsWith('name='))
    const data = h.version === 1 ? (named ? ['none', ...h.options] : h.options).join(',') : undefined
    ops.push(fsOp({ resolve: o.resolve, kind: 'mount', source: 'cgroup', target: dir, fstype: h.version === 1 ? 'cgroup' : 'cgroup2', flags: o.flags, data }))
  }
  if (o.flags & MS.RDONLY) ops.push(fsOp({ resolve: o.resolve, kind: 'mount', target: o.target, flags: MS.REMOUNT | o.flags }))
  return ops
}

/** A tmpfs holding, per hierarchy, a read-only bind of the container's own cgroup directory. */
function ownCgroupOps(layout: CgroupLayout, o: CgroupMountOptions, top: (op: FsOp) => FsOp): FsOp[] {
  const own = o.ownCgroup!
  const readOnly = MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC
  if (layout.mode === 'v2') {
    const source = posix.join(layout.hierarchies[0]!.mountPoint, own)
    return [
      top(fsOp({ resolve: o.resolve, kind: 'mount', source, target: o.target, flags: MS.BIND })),
      fsOp({ resolve: o.resolve, kind: 'mount', target: o.target, flags: readOnly }),
    ]
  }
  const ops: FsOp[] = [
    top(fsOp({ resolve: o.resolve, kind: 'mount', source: 'tmpfs', target: o.target, fstype: 'tmpfs', flags: o.flags & ~MS.RDONLY, data: 'mode=755,size=64k' })),
  ]
  for (const h of layout.hierarchies) {
    const dir = posix.join(o.target, posix.basename(h.mountPoint))
    ops.push(fsOp({ resolve: o.resolve, kind: 'mkdir', target: dir, mode: 0o755 }))
    ops.push(fsOp({ resolve: o.resolve, kind: 'mount', source: posix.join(h.mountPoint, own), target: dir, flags: MS.BIND }))
    ops.push(fsOp({ resolve: o.resolve, kind: 'mount', target: dir, flags: readOnly }))
  }
  if (o.flags & MS.RDONLY) ops.push(fsOp({ resolve: o.resolve, kind: 'mount', target: o.target, flags: MS.REMOUNT | o.flags }))
  return ops
}
