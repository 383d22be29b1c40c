// The container's cgroup directories, as lite run is about to make them: the file
// `cgroups` in its state dir, written before the first mkdir. Whoever cleans up after a
// run that died (the next run of the name, or a lifecycle command settling dead state)
// removes exactly these, whatever the config says by then, and never a parent.

import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { posix } from 'node:path'
import type { CgroupLayout } from '../cgroup/detect.ts'

export const CGROUP_RECORD = 'cgroups'

export function writeCgroupRecord(stateDir: string, paths: string[]): void {
  const file = posix.join(stateDir, CGROUP_RECORD)
  writeFileSync(`${file}.tmp`, paths.map((p) => p + '\n').join(''), { mode: 0o644 })
  renameSync(`${file}.tmp`, file)
}

/** The recorded directories, or none when there is no record. */
export function readCgroupRecord(stateDir: string): string[] {
  try {
    return readFileSync(posix.join(stateDir, CGROUP_RECORD), 'utf8').split('\n').filter(Boolean)
  } catch {
    return []
  }
}

/**
 * The recorded directories that are a container's place on this host: strictly below
 * a mounted hierarchy, with no `..`. Anything else in a record (a hand-edited or
 * corrupt file) is not removed.
 */
export function removableCgroups(paths: string[], layout: CgroupLayout): string[] {
  return paths.filter((p) => {
    if (!p.startsWith('/') || p.split('/').some((part) => part === '..' || part === '.')) return false
    return layout.hierarchies.some((h) => p.startsWith(h.mountPoint.replace(/\/$/, '') + '/') && p.length > h.mountPoint.length + 1)
  })
}
