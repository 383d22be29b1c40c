// An image's User ("nginx", "1000", "app:staff", "1000:50") resolved through the image's
// own /etc/passwd and /etc/group, as Docker and runc do. The store keeps copies of those
// two files next to the image (images/<hex>/passwd and group); they come from an
// untrusted image, so parsing is bounded and strict: a line that is too long, has the
// wrong number of fields or an id outside 0..4294967294 is skipped, never half-read.
//
// The rules (runc's GetExecUser):
// - a name is looked up in passwd; a number is taken as it is, and gets the primary
//   group of the passwd entry with that uid if there is one;
// - NAME:GROUP / UID:GID replace the primary group (a group name through /etc/group);
// - the supplementary groups are every /etc/group entry that lists the user's name;
// - HOME is the passwd entry's home, if there is one.

import { MAX_ID } from '../config/values.ts'

/** The largest passwd or group copy lite reads (a real one is a few KiB). */
export const USER_FILE_LIMIT = 1024 * 1024
/** Lines longer than this are skipped (glibc's NSS buffers are of this order). */
export const MAX_USER_LINE = 4096
/** At most this many supplementary groups (the kernel's NGROUPS_MAX is 65536). */
export const MAX_GROUPS = 65536

export interface PasswdEntry {
  name: string
  uid: number
  gid: number
  home: string
}

export interface GroupEntry {
  name: string
  gid: number
  members: string[]
}

export interface UserDb {
  passwd?: PasswdEntry[]
  group?: GroupEntry[]
}

export interface ResolvedUser {
  uid: number
  gid: number
  groups: number[]
  /** the passwd entry's home directory, when the user has one */
  home?: string
}

export class UserError extends Error {
  override name = 'UserError'
}

function id(text: string): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined
  const n = Number(text)
  return n <= MAX_ID ? n : undefined
}

/** A name as passwd and group hold it: no ':' or ',' (the separators), no control characters. */
const NAME = /^[^:,\s\x00-\x1f\x7f]{1,256}$/

function lines(text: string): string[] {
  return text.split('\n').filter(l => l.length <= MAX_USER_LINE && l !== '' && !l.startsWith('#'))
}

/** name:password:uid:gid:gecos:home:shell lines; bad lines are skipped. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = []
  for (const line of lines(text)) {
    const f = line.split(':')
    if (f.length !== 7) continue
    const uid = id(f[2]!)
    const gid = id(f[3]!)
    if (!NAME.test(f[0]!) || uid === undefined || gid === undefined) continue
    out.push({ name: f[0]!, uid, gid, home: f[5]!.startsWith('/') && !f[5]!.includes('\0') ? f[5]! : '/' })
  }
  return out
}

/** name:password:gid:member,member lines; bad lines are skipped. */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = []
  for (const line of lines(text)) {
    const f = line.split(':')
    if (f.length !== 4) continue
    const gid = id(f[2]!)
    if (!NAME.test(f[0]!) || gid === undefined) continue
    out.push({ name: f[0]!, gid, members: f[3]!.split(',').filter(m => NAME.test(m)) })
  }
  return out
}

/** What the user part or group part of a user spec is, before any lookup. */
const SPEC_PART = /^[^:\s\x00-\x1f\x7f]{1,256}$/

/** Checks USER[:GROUP] for its syntax only; throws UserError. */
export function checkUserSpec(spec: string): void {
  const parts = spec.split(':')
  if (parts.length > 2 || parts.some(p => !SPEC_PART.test(p))) {
    throw new UserError(`${JSON.stringify(spec)} is not USER[:GROUP] (a name or a number from 0 to ${MAX_ID} for each)`)
  }
  for (const p of parts) if (/^\d+$/.test(p) && id(p) === undefined) throw new UserError(`${JSON.stringify(p)} in ${JSON.stringify(spec)} is not an id from 0 to ${MAX_ID}`)
}

/**
 * USER[:GROUP] → ids, through `db`. `numericGid` is the primary group of a uid that
 * passwd does not list and no GROUP was given (Docker: 0). `image` names the image in
 * errors. Throws UserError.
 */
export function resolveUser(spec: string, db: UserDb, numericGid: (uid: number) => number, image: string): ResolvedUser {
  checkUserSpec(spec)
  const [userPart, groupPart] = spec.split(':') as [string, string | undefined]
  const passwd = db.passwd
  let entry: PasswdEntry | undefined
  let uid: number
  const uidNumber = id(userPart)
  if (uidNumber !== undefined) {
    uid = uidNumber
    entry = passwd?.find(e => e.uid === uid)
  } else {
    if (!passwd) throw new UserError(`user ${JSON.stringify(userPart)} is a name, and the store has no copy of ${image}'s /etc/passwd to look it up (use a number)`)
    entry = passwd.find(e => e.name === userPart)
    if (!entry) throw new UserError(`user ${JSON.stringify(userPart)} is not in ${image}'s /etc/passwd`)
    uid = entry.uid
  }
  let gid: number
  if (groupPart === undefined) gid = entry ? entry.gid : numericGid(uid)
  else {
    const gidNumber = id(groupPart)
    if (gidNumber !== undefined) gid = gidNumber
    else {
      if (!db.group) throw new UserError(`group ${JSON.stringify(groupPart)} is a name, and the store has no copy of ${image}'s /etc/group to look it up (use a number)`)
      const g = db.group.find(e => e.name === groupPart)
      if (!g) throw new UserError(`group ${JSON.stringify(groupPart)} is not in ${image}'s /etc/group`)
      gid = g.gid
    }
  }
  const groups: number[] = []
  if (entry && db.group) {
    const seen = new Set<number>()
    for (const g of db.group) {
      if (!g.members.includes(entry.name) || seen.has(g.gid)) continue
      if (groups.length >= MAX_GROUPS) throw new UserError(`user ${JSON.stringify(entry.name)} is in more than ${MAX_GROUPS} groups in ${image}'s /etc/group`)
      seen.add(g.gid)
      groups.push(g.gid)
    }
  }
  return { uid, gid, groups, ...(entry ? { home: entry.home } : {}) }
}
