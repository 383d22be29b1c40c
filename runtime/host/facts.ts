// What the planner needs to know of the host's files.

import { existsSync, realpathSync, statSync } from 'node:fs'
import { hostName } from './uname.ts'
import { posix } from 'node:path'
import { readCgroupLayout, type CgroupLayout } from '../cgroup/detect.ts'
import { delegatedLayout } from '../cgroup/delegated.ts'
import { FileReadError, readBoundedText } from '../config/bounded-read.ts'
import type { HostCgroups } from '../cgroup/resources.ts'
import type { HostFacts } from '../plan/etc-files.ts'
import { readMountInfo } from './mountinfo.ts'
import { noteInput } from '../plan/inputs.ts'
import { writeErr } from '../output.ts'

// cgroup v1 files that exist only with a kernel option (swap accounting, RT group
// scheduling, CFS bandwidth, BFQ), checked at the hierarchy's root. Other files are
// known to exist wherever the controller is (and v2 roots lack most of them).
const OPTIONAL_V1_FILES = new Set(['memory.memsw.limit_in_bytes', 'cpu.rt_runtime_us', 'cpu.cfs_quota_us', 'blkio.bfq.weight'])

export function hostCgroups(layout: CgroupLayout): HostCgroups {
  return {
    layout,
    hasFile(controller, file) {
      const home = layout.controllers.find((c) => c.controller === controller)
      if (!home || home.version === 2 || !OPTIONAL_V1_FILES.has(file)) return true
      const path = posix.join(home.mountPoint, file)
      noteInput(path)
      return existsSync(path)
    },
  }
}

/** The largest host resolv.conf copied into a container (glibc reads at most 3 nameservers). */
export const RESOLV_CONF_LIMIT = 64 * 1024

/**
 * The host's resolv.conf, or null when it is missing or can't be used: then the
 * container keeps the rootfs's own. A file that exists but is not a regular file,
 * or is too large, is said on stderr rather than silently left out.
 */
export function readHostResolvConf(path = '/etc/resolv.conf', warn: (line: string) => void = (line) => writeErr(line)): string | null {
  try {
    return readBoundedText(path, RESOLV_CONF_LIMIT, 'a resolv.conf')
  } catch (err) {
    if (!(err instanceof FileReadError)) throw err
    if (err.code !== 'ENOENT') warn(`lite: warning: ${path} is not copied into containers: ${err.message}\n`)
    return null
  }
}

/** `warn`: where a resolv.conf that is not copied is said (a second read stays quiet). */
export function readHostFacts(warn?: (line: string) => void): HostFacts {
  const resolvConf = readHostResolvConf(undefined, warn)
  let localtime: string | null = null
  try {
    const real = realpathSync('/etc/localtime')
    if (statSync(real).isFile()) localtime = real
  } catch {}
  const layout = readCgroupLayout(readMountInfo())
  const uid = process.geteuid?.() ?? 0
  if (uid === 0) return { resolvConf, localtime, hostname: hostName(), cgroups: hostCgroups(layout) }
  // A user has cgroups only in a cgroup v2 subtree delegated to it; without one, its
  // plans see none and refuse limits (saying why) rather than drop them.
  const delegated = delegatedLayout(layout, uid)
  if (typeof delegated === 'string') return { resolvConf, localtime, hostname: hostName(), noCgroupsWhy: delegated }
  return { resolvConf, localtime, hostname: hostName(), cgroups: hostCgroups(delegated) }
}
