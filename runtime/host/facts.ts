// What the planner needs to know of the host's files.

import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { hostname } from 'node:os'
import { posix } from 'node:path'
import { readCgroupLayout, type CgroupLayout } from '../cgroup/detect.ts'
import type { HostCgroups } from '../cgroup/resources.ts'
import type { HostFacts } from '../plan/etc-files.ts'
import { readMountInfo } from './mountinfo.ts'

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
      return existsSync(posix.join(home.mountPoint, file))
    },
  }
}

export function readHostFacts(): HostFacts {
  let resolvConf: string | null = null
  try {
    resolvConf = readFileSync('/etc/resolv.conf', 'utf8')
  } catch {}
  let localtime: string | null = null
  try {
    const real = realpathSync('/etc/localtime')
    if (statSync(real).isFile()) localtime = real
  } catch {}
  return { resolvConf, localtime, hostname: hostname(), cgroups: hostCgroups(readCgroupLayout(readMountInfo())) }
}
