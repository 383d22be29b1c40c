// Rootless with subordinate ids: a user's entries in /etc/subuid and /etc/subgid, which
// the setuid helpers newuidmap and newgidmap (package uidmap) let it map. Container
// root is the user's own id, and container ids from 1 are its first range, as podman's
// rootless default does; lite runs the helpers between create and start.

import { spawnSync } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { posix } from 'node:path'
import { LiteError } from '../errors.ts'
import { userNameOf } from '../host/passwd.ts'
import { AUTO_SIZE, readHostFile, SUBGID, SUBUID, subidEntries, type FileReader, type IdMap, type IdRange } from './ranges.ts'

export interface IdHelpers {
  newuidmap: string
  newgidmap: string
}

const HELPER_DIRS = ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin']

/** newuidmap and newgidmap where both are installed (fixed dirs: PATH is the user's). */
export function findIdHelpers(exists: (path: string) => boolean = executable): IdHelpers | undefined {
  const find = (name: string) => HELPER_DIRS.map((d) => posix.join(d, name)).find(exists)
  const newuidmap = find('newuidmap')
  const newgidmap = find('newgidmap')
  return newuidmap && newgidmap ? { newuidmap, newgidmap } : undefined
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

export interface RunningUser {
  name: string
  uid: number
  gid: number
}

/** This process's user: its name from /etc/passwd (as newuidmap finds it), not $USER. */
export function runningUser(read: FileReader = readHostFile): RunningUser {
  const uid = process.geteuid?.() ?? 0
  return { name: userNameOf(uid, read('/etc/passwd')) ?? String(uid), uid, gid: process.getegid?.() ?? 0 }
}

/** Host ids `start`.. for `count`: what a user may map. */
export interface HostSpan {
  start: number
  count: number
}

/**
 * The host ids this user may map: its own, then its subordinate ranges (by name or by
 * uid, as newuidmap reads them), in file order.
 */
export function mappableIds(user: RunningUser, read: FileReader = readHostFile): { uid: HostSpan[]; gid: HostSpan[] } {
  const spans = (path: string, own: number): HostSpan[] => [
    { start: own, count: 1 },
    ...subidEntries(read(path)).filter((e) => e.owner === user.name || e.owner === String(user.uid)),
  ]
  return { uid: spans(SUBUID, user.uid), gid: spans(SUBGID, user.gid) }
}

/**
 * `map = auto` as a user: root is its own id, 1..65535 its first subordinate range (or
 * as much of it as there is). A string says why not.
 */
export function autoUserMap(user: RunningUser, read: FileReader = readHostFile): IdMap | string {
  const ids = mappableIds(user, read)
  const map = ([own, sub]: HostSpan[], file: string): IdRange[] | string => {
    if (!sub) return `${file} has no range for user ${user.name} (add one with usermod --add-subuids/--add-subgids)`
    return [
      { containerId: 0, hostId: own!.start, size: 1 },
      { containerId: 1, hostId: sub.start, size: Math.min(sub.count, AUTO_SIZE - 1) },
    ]
  }
  const uid = map(ids.uid, SUBUID)
  const gid = map(ids.gid, SUBGID)
  if (typeof uid === 'string') return uid
  if (typeof gid === 'string') return gid
  return { uid, gid }
}

/** The first host id of `ranges` that `allowed` does not cover, or undefined. */
export function unmappableId(ranges: IdRange[], allowed: HostSpan[]): number | undefined {
  for (const r of ranges) {
    for (let at = r.hostId; at < r.hostId + r.size; ) {
      const a = allowed.find((x) => at >= x.start && at < x.start + x.count)
      if (!a) return at
      at = a.start + a.count
    }
  }
  return undefined
}

/** Writes the child's maps with the helpers (they check the user's ranges again). */
export function writeMapsWithHelpers(helpers: IdHelpers, pid: number, map: IdMap): void {
  for (const [helper, ranges] of [
    [helpers.newuidmap, map.uid],
    [helpers.newgidmap, map.gid],
  ] as const) {
    const args = [String(pid), ...ranges.flatMap((r) => [String(r.containerId), String(r.hostId), String(r.size)])]
    const r = spawnSync(helper, args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 })
    if (r.status !== 0) {
      const why = (r.stderr ?? '').trim().split('\n').pop() || (r.error ? r.error.message : `exit ${r.status ?? r.signal}`)
      throw new LiteError(`${helper} ${args.join(' ')}: ${why}`)
    }
  }
}
