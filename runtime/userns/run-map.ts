// The user namespace of one `lite run`: the map its config asks for, resolved now (an
// `auto` range is claimed at every run and never cached with the plan), the state lines
// that show it, and the owner of lite's own directories that the container writes into.

import { chmodSync, chownSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import type { ContainerConfig } from '../config/types.ts'
import type { NativePlan } from '../native/index.ts'
import { isBind } from '../plan/mount-options.ts'
import type { Locker } from '../net/claims.ts'
import { LiteError } from '../errors.ts'
import { autoPool, claimAutoRange, SUBGID, SUBUID, type AutoRange, type FileReader, type IdMap, type IdRange } from './ranges.ts'
import { autoUserMap, findIdHelpers, mappableIds, runningUser, unmappableId, type IdHelpers, type RunningUser } from './subordinate.ts'

export interface RunUserMap {
  map: IdMap
  /** an `auto` range: its claim, which the monitor holds while the container lives */
  auto?: AutoRange
  /** lite runs as a user: its own directories need no opening up, and, without
   * helpers, setgroups is denied (the kernel's rule for an unprivileged map writer) */
  rootless?: boolean
  /** rootless with subordinate ids: newuidmap and newgidmap write the maps */
  helpers?: IdHelpers
}

/**
 * Whether the container keeps files on the host (a directory upper, a writable bind):
 * their owners are ids of its range, so the range stays its own until `lite rm`.
 */
export function keepsHostFiles(cfg: ContainerConfig): boolean {
  if (!cfg.rootfs.readonly && cfg.rootfs.upper !== 'tmpfs') return true
  return cfg.mounts.some((m) => isBind(m.fstype, m.options) && !m.options.includes('ro'))
}

/**
 * The map of a rootless run. Without [user] map, container root is the user's own uid
 * and gid, the one id the kernel lets a user map (setgroups is then denied). `auto` and
 * explicit maps take the user's subordinate ids through newuidmap and newgidmap. Each
 * refusal names the line that asks for more.
 */
export function rootlessUserMap(
  cfg: ContainerConfig,
  deps: { user?: RunningUser; read?: FileReader; helpers?: () => IdHelpers | undefined } = {},
): RunUserMap {
  const user = deps.user ?? runningUser()
  const refuse = (key: string, message: string): never => {
    const o = cfg.origins[key]
    throw new LiteError(`${o ? `${o.file}:${o.line}: ` : ''}${message}`)
  }
  const own: IdMap = { uid: [{ containerId: 0, hostId: user.uid, size: 1 }], gid: [{ containerId: 0, hostId: user.gid, size: 1 }] }
  const isOwn = (ranges: IdRange[], id: number) => ranges.length === 1 && ranges[0]!.containerId === 0 && ranges[0]!.hostId === id && ranges[0]!.size === 1
  const asked = cfg.user.map
  let map = own
  let helpers: IdHelpers | undefined
  if (asked !== 'none' && !(asked !== 'auto' && isOwn(asked, user.uid) && (!cfg.user.gidMap || isOwn(cfg.user.gidMap, user.gid)))) {
    helpers = (deps.helpers ?? findIdHelpers)()
    if (!helpers) {
      refuse('user.map', `[user] map: as a user, lite maps more than your own uid ${user.uid} only through newuidmap and newgidmap, which are not installed (Debian's package uidmap); leave [user] out to map container root to your own ids`)
    }
    if (asked === 'auto') {
      const auto = autoUserMap(user, deps.read)
      if (typeof auto === 'string') refuse('user.map', `[user] map: auto as a user takes your subordinate ids, and ${auto}`)
      map = auto as IdMap
    } else {
      map = { uid: asked, gid: cfg.user.gidMap ?? asked }
      const allowed = mappableIds(user, deps.read)
      for (const [kind, file] of [['uid', SUBUID], ['gid', SUBGID]] as const) {
        const bad = unmappableId(map[kind], allowed[kind])
        if (bad !== undefined) refuse(kind === 'gid' && cfg.user.gidMap ? 'user.gid_map' : 'user.map', `[user] ${kind === 'gid' && cfg.user.gidMap ? 'gid_map' : 'map'}: host ${kind} ${bad} is neither yours (${kind === 'uid' ? user.uid : user.gid}) nor in your ranges in ${file}`)
      }
    }
  }
  // The app's ids must be in the map: the kernel can't run a process as an unmapped id.
  if (hostIdOf(map.uid, cfg.exec.user.uid) === undefined || hostIdOf(map.gid, cfg.exec.user.gid) === undefined) {
    refuse('exec.user', `[exec] user: ${cfg.exec.user.uid}:${cfg.exec.user.gid} is not mapped: lite as a user maps ${describeMap(map)}`)
  }
  const unmappedGroup = cfg.exec.groups.find((g) => hostIdOf(map.gid, g) === undefined)
  if (unmappedGroup !== undefined || (cfg.exec.groups.length > 0 && !helpers)) {
    refuse('exec.groups', `[exec] groups: ${unmappedGroup ?? cfg.exec.groups[0]} can't be joined: lite as a user maps ${describeMap(map)}${helpers ? '' : ', and setgroups is denied without newgidmap'}`)
  }
  return { map, rootless: true, ...(helpers ? { helpers } : {}) }
}

function describeMap(map: IdMap): string {
  const text = (ranges: IdRange[]) => ranges.map((r) => (r.size === 1 ? `${r.containerId}` : `${r.containerId}-${r.containerId + r.size - 1}`)).join(', ')
  return `container uids ${text(map.uid)} and gids ${text(map.gid)}`
}

/** The map of a config with [user] map; undefined without one. */
export async function resolveUserMap(
  cfg: ContainerConfig,
  ctx: { locker: Locker; stateRoot: string; store: () => Promise<string>; name: string; rootless?: boolean },
): Promise<RunUserMap | undefined> {
  if (ctx.rootless) return rootlessUserMap(cfg)
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
  plan.native.userNs = { uidMap: nativeRanges(run.map.uid), gidMap: nativeRanges(run.map.gid), denySetgroups: !!run.rootless && !run.helpers, mapsByHelper: !!run.helpers }
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
