// A user namespace that an OCI bundle joins by path (containerd's pods: the sandbox's
// /proc/PID/ns/user) may come with its mappings, which must then be the namespace's
// own, as runc 1.2 checks. A namespace's maps are read through a process in it: the
// pid of a /proc/PID/ns/user path, else any process whose ns/user is the same inode.

import fs from 'node:fs'
import type { IdRange } from './ranges.ts'

export interface NsFs {
  stat(path: string): { dev: number; ino: number } | undefined
  read(path: string): string | undefined
  pids(): string[]
}

const hostFs: NsFs = {
  stat(path) {
    try {
      const st = fs.statSync(path)
      return { dev: st.dev, ino: st.ino }
    } catch {
      return undefined
    }
  },
  read(path) {
    try {
      return fs.readFileSync(path, 'utf8')
    } catch {
      return undefined
    }
  },
  pids: () => fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)),
}

/** Lines of /proc/PID/uid_map ("inside outside count"), sorted by the inside id. */
export function parseMapFile(text: string): IdRange[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number))
    .filter((f) => f.length === 3 && f.every(Number.isSafeInteger))
    .map(([containerId, hostId, size]) => ({ containerId: containerId!, hostId: hostId!, size: size! }))
    .sort((a, b) => a.containerId - b.containerId)
}

/** The joined namespace's maps, or why they can't be read. */
export function joinedUserNsMaps(nsPath: string, nsfs: NsFs = hostFs): { uid: IdRange[]; gid: IdRange[] } | string {
  const target = nsfs.stat(nsPath)
  if (!target) return `${nsPath} is not there`
  const same = (pid: string) => {
    const st = nsfs.stat(`/proc/${pid}/ns/user`)
    return !!st && st.dev === target.dev && st.ino === target.ino
  }
  const named = /^\/proc\/(\d+)\/ns\/user$/.exec(nsPath)?.[1]
  const pid = named && same(named) ? named : nsfs.pids().find(same)
  if (!pid) return `no process is in the user namespace ${nsPath}, so its maps can't be read`
  const uid = nsfs.read(`/proc/${pid}/uid_map`)
  const gid = nsfs.read(`/proc/${pid}/gid_map`)
  if (uid === undefined || gid === undefined) return `the maps of process ${pid} (in ${nsPath}) can't be read`
  return { uid: parseMapFile(uid), gid: parseMapFile(gid) }
}

/** The same ranges, in any order (a map's ranges never share a container id). */
export function sameRanges(a: readonly IdRange[], b: readonly IdRange[]): boolean {
  const byInside = (r: readonly IdRange[]) => [...r].sort((x, y) => x.containerId - y.containerId)
  return mapText(byInside(a)) === mapText(byInside(b))
}

/** Ranges as uid_map writes them ("inside outside count"), for messages. */
export function mapText(r: readonly IdRange[]): string {
  return r.map((x) => `${x.containerId} ${x.hostId} ${x.size}`).join(', ') || 'empty'
}
