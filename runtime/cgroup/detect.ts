// Where each cgroup controller lives on this host: v2 (unified), v1, or hybrid (v1
// controllers beside a cgroup2 mount that holds the rest). Read from mountinfo and
// /proc/cgroups, never assumed from the distribution.

import { readFileSync } from 'node:fs'
import type { MountInfo } from '../host/mountinfo.ts'

export type CgroupMode = 'v2' | 'v1' | 'hybrid' | 'none'

export interface ControllerHome {
  controller: string
  version: 1 | 2
  mountPoint: string
}

export interface Hierarchy {
  version: 1 | 2
  mountPoint: string
  /** v1: its controllers, or name=X for a named hierarchy; v2: the enabled controllers */
  options: string[]
}

export interface CgroupLayout {
  mode: CgroupMode
  /** the cgroup2 mount, if any */
  unified?: string
  controllers: ControllerHome[]
  /** every mounted hierarchy, v1 (named ones too) and v2; a pid is attached in each */
  hierarchies: Hierarchy[]
  /** rootless: the v2 "hierarchy" is a subtree delegated to the user (delegated.ts) */
  delegated?: boolean
}

/** Controllers the kernel knows and has enabled, from /proc/cgroups. */
export function parseProcCgroups(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t'))
    .filter((f) => f[3] === '1')
    .map((f) => f[0])
}

export function detectCgroups(mounts: MountInfo[], known: string[], readControllers: (mount: string) => string): CgroupLayout {
  const v2 = mounts.find((m) => m.fstype === 'cgroup2')
  const controllers: ControllerHome[] = []
  const hierarchies: Hierarchy[] = []
  const seen = new Set<string>()
  for (const m of mounts) {
    if (m.fstype !== 'cgroup') continue
    const options = m.superOptions.filter((o) => known.includes(o) || o.startsWith('name='))
    // The same hierarchy may be mounted twice; one place is enough.
    const id = options.slice().sort().join(',')
    if (options.length && !seen.has(id)) {
      seen.add(id)
      hierarchies.push({ version: 1, mountPoint: m.mountPoint, options })
    }
    for (const opt of m.superOptions) {
      if (known.includes(opt) && !controllers.some((c) => c.controller === opt)) {
        controllers.push({ controller: opt, version: 1, mountPoint: m.mountPoint })
      }
    }
  }
  if (v2) {
    let listed: string[] = []
    try {
      listed = readControllers(v2.mountPoint).trim().split(/\s+/).filter(Boolean)
    } catch {}
    for (const c of listed) if (!controllers.some((h) => h.controller === c)) controllers.push({ controller: c, version: 2, mountPoint: v2.mountPoint })
    hierarchies.push({ version: 2, mountPoint: v2.mountPoint, options: listed })
  }
  const hasV1 = controllers.some((c) => c.version === 1)
  const mode: CgroupMode = v2 ? (hasV1 ? 'hybrid' : 'v2') : hasV1 ? 'v1' : 'none'
  return { mode, unified: v2?.mountPoint, controllers, hierarchies }
}

export function readCgroupLayout(mounts: MountInfo[]): CgroupLayout {
  let known: string[] = []
  try {
    known = parseProcCgroups(readFileSync('/proc/cgroups', 'utf8'))
  } catch {}
  return detectCgroups(mounts, known, (mp) => readFileSync(`${mp}/cgroup.controllers`, 'utf8'))
}
