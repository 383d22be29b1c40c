// /proc/self/mountinfo, parsed: which mount holds a path, and with which options.
// Used to pick an addon directory that allows exec, and by leak checks in tests.

import { readBoundedText } from '../config/bounded-read.ts'

export interface MountInfo {
  id: number
  parent: number
  mountPoint: string
  options: string[]
  fstype: string
  source: string
  superOptions: string[]
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))

export function parseMountInfo(text: string): MountInfo[] {
  const mounts: MountInfo[] = []
  for (const line of text.split('\n')) {
    if (!line) continue
    const [left, right] = line.split(' - ')
    if (right === undefined) continue
    const f = left.split(' ')
    const r = right.split(' ')
    mounts.push({
      id: Number(f[0]),
      parent: Number(f[1]),
      mountPoint: unescape(f[4]),
      options: f[5].split(','),
      fstype: r[0],
      source: unescape(r[1]),
      superOptions: (r[2] ?? '').split(','),
    })
  }
  return mounts
}

/** Far above any real mount table (100,000 mounts are about 15 MiB): the kernel writes this file. */
const MOUNTINFO_LIMIT = 64 * 1024 * 1024

export function readMountInfo(): MountInfo[] {
  return parseMountInfo(readBoundedText('/proc/self/mountinfo', MOUNTINFO_LIMIT, 'the mount table'))
}

/** The mount that holds `path` (already resolved): the longest matching mount point, last one wins. */
export function mountOf(path: string, mounts: MountInfo[]): MountInfo | undefined {
  let best: MountInfo | undefined
  for (const m of mounts) {
    const mp = m.mountPoint
    const inside = mp === '/' || path === mp || path.startsWith(mp.endsWith('/') ? mp : mp + '/')
    if (inside && (!best || mp.length >= best.mountPoint.length)) best = m
  }
  return best
}
