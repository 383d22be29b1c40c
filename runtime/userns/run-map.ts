// The user namespace of one `lite run`: the map its config asks for, resolved now (an
// `auto` range is claimed at every run and never cached with the plan), the state lines
// that show it, and the owner of lite's own directories that the container writes into.

import { chmodSync, chownSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import type { ContainerConfig } from '../config/types.ts'
import type { NativePlan } from '../native/index.ts'
import { isBind } from '../plan/mount-options.ts'
import type { Locker } from '../net/claims.ts'
import { autoPool, claimAutoRange, formatIdMap, type AutoRange, type IdMap, type IdRange } from './ranges.ts'

export interface RunUserMap {
  map: IdMap
  /** an `auto` range: its claim, which the monitor holds while the container lives */
  auto?: AutoRange
  /** lite runs as a user: setgroups is denied (the kernel's rule for an unprivileged
   * map writer), and its own directories need no opening up */
  rootless?: boolean
}

/**
 * Whether the container keeps files on the host (a directory upper, a writable bind):
 * their owners are ids of its range, so the range stays its own until `lite rm`.
 */
export function keepsHostFiles(cfg: ContainerConfig): boolean {
  if (!cfg.rootfs.readonly && cfg.rootfs.upper !== 'tmpfs') return true
  return cfg.mounts.some((m) => isBind(m.fstype, m.options) && !m.options.includes('ro'))
}

/** The map of a config with [user] map; undefined without one. */
export async function resolveUserMap(
  cfg: ContainerConfig,
  ctx: { locker: Locker; stateRoot: string; store: () => Promise<string>; name: string; rootless?: boolean },
): Promise<RunUserMap | undefined> {
  // As a user: container root is that user, the one id the kernel lets it map.
  if (ctx.rootless) {
    const own = (id: number) => [{ containerId: 0, hostId: id, size: 1 }]
    return { map: { uid: own(process.geteuid?.() ?? 0), gid: own(process.getegid?.() ?? 0) }, rootless: true }
  }
  const map = cfg.user.map
  if (map === 'none') return undefined
  if (map !== 'auto') return { map: { uid: map, gid: cfg.user.gidMap ?? map } }
  // The image store holds the sticky ranges: only auto needs to know where it is.
  const auto = await claimAutoRange(ctx.locker, { stateRoot: ctx.stateRoot, store: await ctx.store(), name: ctx.name, sticky: keepsHostFiles(cfg), pool: autoPool() })
  return { map: auto.map, auto }
}

function nativeRanges(ranges: IdRange[]): NonNullable<NativePlan['userNs']>['uidMap'] {
  return ranges.map((r) => ({ containerId: r.containerId, hostId: r.hostId, size: r.size }))
}

/** The host id that container id `id` is, or undefined if the map leaves it out. */
export function hostIdOf(ranges: IdRange[], id: number): number | undefined {
  const r = ranges.find((r) => id >= r.containerId && id < r.containerId + r.size)
  return r ? r.hostId + (id - r.containerId) : undefined
}

/**
 * Puts the map into the plan, and gives lite's own directories that the container's
 * root writes (a directory upper and its work dir) to the mapped root. The user's
 * image and bind sources are never chowned.
 */
export function applyUserMap(plan: { native: NativePlan; stateDir: string }, cfg: ContainerConfig, run: RunUserMap): void {
  plan.native.userNs = { uidMap: nativeRanges(run.map.uid), gidMap: nativeRanges(run.map.gid), denySetgroups: !!run.rootless }
  // The child becomes the container's root before it mounts the layers, the root and
  // the /etc files of the state dir: that unprivileged id must be able to pass through
  // the state root and this dir (search only: neither can be listed, and the files in
  // them keep their own modes), as runc's state dirs are 0711. (Rootless, it is the
  // user itself.)
  for (const dir of run.rootless ? [] : [dirname(plan.stateDir), plan.stateDir]) {
    const mode = statSync(dir).mode & 0o7777
    if ((mode & 0o011) !== 0o011) chmodSync(dir, mode | 0o011)
  }
  if (!cfg.rootfs.readonly && cfg.rootfs.upper !== 'tmpfs') {
    const uid = hostIdOf(run.map.uid, 0)!
    const gid = hostIdOf(run.map.gid, 0)!
    for (const dir of ['root', 'work']) chownSync(`${cfg.rootfs.upper}/${dir}`, uid, gid)
  }
}

/** The state lines that show the map (`lite ps`, `lite status`). */
export function userMapStateLines(map: IdMap | undefined): Record<string, string> {
  if (!map) return {}
  const text = formatIdMap(map)
  return { user_uid_map: text.uid, user_gid_map: text.gid }
}
