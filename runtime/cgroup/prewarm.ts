// Moving a process into a cgroup (a write to cgroup.procs) takes the kernel's global
// cgroup_threadgroup_rwsem for writing, and the first writer after a quiet spell waits
// for an RCU grace period: 5-15 ms on the hosts we measured (bench/probe/cgroup-attach.c),
// the largest single cost of `lite run` on a cgroup v1 or hybrid host. crun pays it too.
//
// prewarmCgroupAttach() starts that wait early, on a thread-pool thread, while the main
// thread reads the config and builds the plan, so that the container's attach finds the
// grace period over (the kernel keeps the fast state for about one more grace period).
// It moves lite's own process into the cgroup it is already in (one v1 hierarchy, read
// from /proc/self/cgroup and mountinfo): the kernel takes the lock, waits, and moves
// nothing. (A pid that does not exist would be simpler, but kernel 6.18 looks the pid
// up before it locks, so that write costs nothing and warms nothing.)
//
// Only where an attach will follow: a host with a v1 hierarchy. On a pure cgroup v2 host
// lite clones straight into the cgroup (CLONE_INTO_CGROUP) and takes no such lock; a
// prewarm there would only hold cgroup_mutex while lite makes its directories. The
// directories wait for it on v1 too (mkdir takes cgroup_mutex, which the write holds
// during the grace period), so the overlap is with config, plan and addon loading.

import { readFileSync, writeFile } from 'node:fs'
import { posix } from 'node:path'
import { readMountInfo } from '../host/mountinfo.ts'

/** Our own cgroup.procs in one v1 hierarchy, or undefined. */
export function ownV1Procs(procSelfCgroup: string, mounts: { mountPoint: string; fstype: string; superOptions: string[] }[]): string | undefined {
  for (const line of procSelfCgroup.split('\n')) {
    const m = /^\d+:([^:]+):(\/.*)$/.exec(line)
    if (!m) continue
    const wanted = m[1].split(',')
    const mount = mounts.find((x) => x.fstype === 'cgroup' && wanted.every((c) => x.superOptions.includes(c)))
    if (mount) return posix.join(mount.mountPoint, m[2], 'cgroup.procs')
  }
  return undefined
}

export function prewarmCgroupAttach(): void {
  let target: string | undefined
  try {
    target = ownV1Procs(readFileSync('/proc/self/cgroup', 'utf8'), readMountInfo())
  } catch {
    return
  }
  // Failure only means no head start: the attach itself reports real problems.
  if (target) writeFile(target, String(process.pid), () => {})
}
