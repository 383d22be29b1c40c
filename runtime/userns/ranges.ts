// `[user] map = auto`: each container gets its own 65,536 host uids and gids, so that
// root inside is an unprivileged id outside and two containers never share an owner.
//
// The pool is lite's entries in /etc/subuid and /etc/subgid, cut into slots of 65,536
// (slot k of each file go together). A host with no entry for lite (fresh Debian,
// BusyBox) gets a default pool at 2^20, minus any slot that overlaps another user's
// entry, so lite never hands out the ids of someone's rootless podman.
//
// A slot is in use while a flock claim on <stateRoot>/.userns/slot-<k> is held (the
// container's monitor keeps the fd, so a dead container frees it, even after kill -9).
// A container that keeps files on the host (a persistent upper, writable binds) needs
// the same ids on every run: its slot is recorded in <store>/userns/<name> and given to
// nobody else until `lite rm` releases it. Allocation reads and writes those records
// under <store>/userns/.lock, so two runs cannot record one slot.

import fs from 'node:fs'
import { posix } from 'node:path'
import { LiteError } from '../errors.ts'
import { writeFileAtomic, fsyncDir, mkdirDurable } from '../image/store/atomic-file.ts'
import { CONTAINER_NAME } from '../config/container-name.ts'
import { readSmallFile } from '../image/store/small-file.ts'
import { releaseClaims, tryClaim, type Claim, type Locker } from '../net/claims.ts'
import { uidOfUser } from '../host/passwd.ts'
import type { IdMap, IdRange } from './id-map.ts'

/** Ids per container and per kind: the whole 16-bit range most images assume. */
export const AUTO_SIZE = 65_536
/** Where the default pool starts (2^20): above any uid a distribution hands out. */
export const DEFAULT_POOL_START = 2 ** 20
export const DEFAULT_POOL_SLOTS = 1024
/** The kernel's limit on lines in uid_map / gid_map. */
export const MAX_ID_RANGES = 340
/** The highest id a map may reach: (uid_t)-1 means "no id". */
const MAX_ID = 2 ** 32 - 2

const POOL_USER = 'lite'
export const SUBUID = '/etc/subuid'
export const SUBGID = '/etc/subgid'
const PASSWD = '/etc/passwd'

export type { IdMap, IdRange } from './id-map.ts'

export interface AutoPool {
  source: 'subid' | 'default'
  /** the first host id of each slot; slot k is uidSlots[k] with gidSlots[k] */
  uidSlots: number[]
  gidSlots: number[]
}

export interface StickyRecord {
  slot: number
  uid: number
  gid: number
}

export interface AutoRange {
  map: IdMap
  slot: number
  /** keep its fd open for the container's life (the monitor); releaseClaims on a failed start */
  claim: Claim
}

export type FileReader = (path: string) => string | undefined

export function readHostFile(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new LiteError(`cannot read ${path}: ${(e as Error).message}`)
  }
}

// ------------------------------------------------------------------ the pool

export interface SubidEntry {
  owner: string
  start: number
  count: number
}

/** NAME_OR_UID:START:COUNT lines; comments, blanks and malformed lines are skipped. */
export function subidEntries(text: string | undefined): SubidEntry[] {
  const entries: SubidEntry[] = []
  for (const raw of (text ?? '').split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const fields = line.split(':')
    if (fields.length !== 3 || fields[0] === '') continue
    if (!/^\d+$/.test(fields[1]) || !/^\d+$/.test(fields[2])) continue
    const start = Number(fields[1])
    const count = Number(fields[2])
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(count) || count < 1) continue
    entries.push({ owner: fields[0], start, count })
  }
  return entries
}

function isPoolUser(owner: string, uid: number | undefined): boolean {
  return owner === POOL_USER || (uid !== undefined && /^\d+$/.test(owner) && Number(owner) === uid)
}

const overlaps = (a: number, aSize: number, b: number, bSize: number) => a < b + bSize && b < a + aSize

/**
 * Whole slots of lite's entries, in file order. A slot past the last valid id, one
 * overlapping a slot of an earlier line (a duplicated line), or one holding host id 0
 * (container root would be host root) is left out: two slots must never share ids.
 */
function slotsOf(entries: SubidEntry[]): number[] {
  const slots: number[] = []
  const spans: Array<[number, number]> = []
  for (const e of entries) {
    const whole = Math.floor(e.count / AUTO_SIZE)
    for (let i = 0; i < whole; i++) {
      const first = e.start + i * AUTO_SIZE
      if (first + AUTO_SIZE - 1 > MAX_ID) break
      if (first === 0) continue
      if (spans.some(([s, n]) => overlaps(first, AUTO_SIZE, s, n))) continue
      slots.push(first)
    }
    if (whole > 0) spans.push([e.start, whole * AUTO_SIZE])
  }
  return slots
}

/**
 * The pool `auto` allocates from: lite's entries when both files have one, otherwise
 * the default pool (both kinds alike), without the slots other users' entries touch.
 */
export function autoPool(read: FileReader = readHostFile): AutoPool {
  const uid = uidOfUser(POOL_USER, read(PASSWD))
  const files = [SUBUID, SUBGID].map((path) => {
    const entries = subidEntries(read(path))
    const own = entries.filter((e) => isPoolUser(e.owner, uid))
    const others = entries.filter((e) => !isPoolUser(e.owner, uid))
    const slots = slotsOf(own)
    if (own.length > 0 && slots.length === 0) {
      throw new LiteError(
        `${path}: the entries of user ${POOL_USER} hold no ${AUTO_SIZE} ids in one line: [user] map = auto needs ${AUTO_SIZE} ids per container (a line such as ${POOL_USER}:${DEFAULT_POOL_START}:${AUTO_SIZE * 16})`,
      )
    }
    return { own, others, slots }
  })
  const [subuid, subgid] = files
  if (subuid.own.length > 0 && subgid.own.length > 0) {
    // Slot k pairs uid slot k with gid slot k: the shorter file bounds the pool.
    const n = Math.min(subuid.slots.length, subgid.slots.length)
    return { source: 'subid', uidSlots: subuid.slots.slice(0, n), gidSlots: subgid.slots.slice(0, n) }
  }
  const taken = [...subuid.others, ...subgid.others]
  const slots: number[] = []
  for (let k = 0; k < DEFAULT_POOL_SLOTS; k++) {
    const first = DEFAULT_POOL_START + k * AUTO_SIZE
    if (!taken.some((e) => overlaps(first, AUTO_SIZE, e.start, e.count))) slots.push(first)
  }
  return { source: 'default', uidSlots: slots, gidSlots: [...slots] }
}

// ------------------------------------------------------------------ paths

/** The claim of slot k: beside the containers' state, under a dot name no container has. */
export function slotClaimPath(stateRoot: string, slot: number): string {
  return posix.join(stateRoot, '.userns', `slot-${slot}`)
}

function recordsDir(store: string): string {
  return posix.join(store, 'userns')
}

/** The sticky record of a container: <store>/userns/<name>. */
export function stickyRecordPath(store: string, name: string): string {
  // The name becomes a file name: only a container name (no '/', no leading dot).
  if (!CONTAINER_NAME.test(name)) throw new LiteError(`${JSON.stringify(name)} is not a container name`)
  return posix.join(recordsDir(store), name)
}

// ------------------------------------------------------------------ sticky records

function parseRecord(text: string): StickyRecord | undefined {
  const m = /^slot (\d+)\nuid (\d+)\ngid (\d+)\n$/.exec(text)
  if (!m) return undefined
  const [slot, uid, gid] = [m[1], m[2], m[3]].map(Number)
  if (![slot, uid, gid].every(Number.isSafeInteger)) return undefined
  return { slot, uid, gid }
}

function readRecord(file: string, name: string): StickyRecord | undefined {
  const bytes = readSmallFile(file, 4096)
  if (bytes === undefined) return undefined
  const record = parseRecord(bytes.toString('utf8'))
  // A damaged record could hide ids a container's files still own: refuse to guess.
  if (!record) throw new LiteError(`${file} is not a valid id range record; \`lite rm ${name}\` releases it`)
  return record
}

/** The range recorded for a container that keeps its ids, or undefined. */
export function stickyRange(store: string, name: string): StickyRecord | undefined {
  return readRecord(stickyRecordPath(store, name), name)
}

/** Every record in the store, by container name. */
function allRecords(store: string): Map<string, StickyRecord> {
  const records = new Map<string, StickyRecord>()
  let names: string[]
  try {
    names = fs.readdirSync(recordsDir(store))
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return records
    throw e
  }
  for (const name of names) {
    if (!CONTAINER_NAME.test(name)) continue // .lock, temp files
    const record = readRecord(posix.join(recordsDir(store), name), name)
    if (record) records.set(name, record)
  }
  return records
}

/** Forgets a container's range (lite rm); a missing record is fine. */
export function releaseSticky(store: string, name: string): void {
  const file = stickyRecordPath(store, name)
  try {
    fs.unlinkSync(file)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return
    throw e
  }
  fsyncDir(recordsDir(store))
}

// ------------------------------------------------------------------ allocation

const LOCK_WAIT_MS = 10_000
const LOCK_POLL_MS = 20

/** The records' lock, exclusive; lockFile never waits, so the bounded wait is this loop. */
async function lockRecords(locker: Locker, store: string): Promise<number> {
  try {
    mkdirDurable(recordsDir(store))
  } catch (e) {
    throw new LiteError(`cannot create ${recordsDir(store)}: ${(e as Error).message}`)
  }
  const file = posix.join(recordsDir(store), '.lock')
  const deadline = Date.now() + LOCK_WAIT_MS
  for (;;) {
    try {
      return locker.lockFile(file, true)
    } catch (e) {
      if ((e as { code?: string }).code !== 'Busy') throw new LiteError(`cannot lock ${file}: ${(e as Error).message}`)
      if (Date.now() >= deadline) throw new LiteError(`${file} is busy: another lite run has held it for ${LOCK_WAIT_MS / 1000} s`)
    }
    await new Promise((r) => setTimeout(r, LOCK_POLL_MS))
  }
}

function rangeOf(pool: AutoPool, slot: number): IdMap {
  return {
    uid: [{ containerId: 0, hostId: pool.uidSlots[slot], size: AUTO_SIZE }],
    gid: [{ containerId: 0, hostId: pool.gidSlots[slot], size: AUTO_SIZE }],
  }
}

/** The slot a record names, checked against today's pool: files on disk carry those ids. */
function recordedSlot(pool: AutoPool, name: string, record: StickyRecord): number {
  const k = record.slot
  if (k >= pool.uidSlots.length || pool.uidSlots[k] !== record.uid || pool.gidSlots[k] !== record.gid) {
    throw new LiteError(
      `${name} keeps files owned by host uids ${record.uid}+ and gids ${record.gid}+ (slot ${k}), but the id pool (${pool.source}) no longer has that slot with those ids; restore the pool, or release the range with \`lite rm ${name}\``,
    )
  }
  return k
}

/** A slot another container's record holds, by index or by host ids (the pool may have moved). */
function reservedElsewhere(pool: AutoPool, slot: number, others: StickyRecord[]): boolean {
  const uid = pool.uidSlots[slot]
  const gid = pool.gidSlots[slot]
  return others.some((r) => r.slot === slot || overlaps(uid, AUTO_SIZE, r.uid, AUTO_SIZE) || overlaps(gid, AUTO_SIZE, r.gid, AUTO_SIZE))
}

/**
 * Claims a range for container `name`: its recorded slot, or the lowest one that is
 * neither claimed nor recorded for another name; `sticky` records a new one. The whole
 * choice happens under the records' lock, so a record and a claim never disagree.
 */
export async function claimAutoRange(
  locker: Locker,
  opts: { stateRoot: string; store: string; name: string; sticky: boolean; pool: AutoPool },
): Promise<AutoRange> {
  const { stateRoot, store, name, sticky, pool } = opts
  const recordFile = stickyRecordPath(store, name)
  const lockFd = await lockRecords(locker, store)
  try {
    const records = allRecords(store)
    const own = records.get(name)
    if (own) {
      const slot = recordedSlot(pool, name, own)
      const claim = tryClaim(locker, slotClaimPath(stateRoot, slot), name)
      if ('heldBy' in claim) throw new LiteError(`the id range of ${name} (slot ${slot}) is in use by ${claim.heldBy}`)
      return { map: rangeOf(pool, slot), slot, claim }
    }
    const others = [...records.values()]
    for (let slot = 0; slot < pool.uidSlots.length; slot++) {
      if (reservedElsewhere(pool, slot, others)) continue
      const claim = tryClaim(locker, slotClaimPath(stateRoot, slot), name)
      if ('heldBy' in claim) continue
      if (sticky) {
        try {
          writeFileAtomic(recordFile, `slot ${slot}\nuid ${pool.uidSlots[slot]}\ngid ${pool.gidSlots[slot]}\n`)
        } catch (e) {
          releaseClaims([claim])
          throw new LiteError(`cannot record the id range of ${name} in ${recordFile}: ${(e as Error).message}`)
        }
      }
      return { map: rangeOf(pool, slot), slot, claim }
    }
    throw new LiteError(`no free id range in the pool (${pool.uidSlots.length} slots, source ${pool.source})`)
  } finally {
    fs.closeSync(lockFd)
  }
}

// ------------------------------------------------------------------ text forms

export { formatIdMap } from './id-map.ts'

/** formatIdMap's reverse (a state file): throws on text it did not write. */
export function parseIdMapText(text: { uid: string; gid: string }): IdMap {
  const kind = (value: string, what: string): IdRange[] => {
    if (value === '') return []
    const ranges = parseIdRanges(value, what)
    if (typeof ranges === 'string') throw new LiteError(ranges)
    return ranges
  }
  return { uid: kind(text.uid, 'uid map'), gid: kind(text.gid, 'gid map') }
}

/**
 * Explicit CONTAINER:HOST:COUNT[,...] ranges, checked as the kernel would check a
 * uid_map: the ranges, or an error message that starts with `what`.
 */
export function parseIdRanges(text: string, what: string): IdRange[] | string {
  const items = text.split(',').map((s) => s.trim())
  if (items.length > MAX_ID_RANGES) return `${what}: ${items.length} ranges, more than the kernel's ${MAX_ID_RANGES}`
  const ranges: IdRange[] = []
  for (const item of items) {
    const fields = item.split(':')
    if (fields.length !== 3 || !fields.every((f) => /^\d+$/.test(f))) {
      return `${what}: ${JSON.stringify(item)} is not CONTAINER:HOST:COUNT (three non-negative integers)`
    }
    const [containerId, hostId, size] = fields.map(Number)
    if (size < 1) return `${what}: ${JSON.stringify(item)} maps no ids (COUNT must be at least 1)`
    if (containerId + size - 1 > MAX_ID) return `${what}: ${JSON.stringify(item)} reaches past container id ${MAX_ID}`
    if (hostId + size - 1 > MAX_ID) return `${what}: ${JSON.stringify(item)} reaches past host id ${MAX_ID}`
    ranges.push({ containerId, hostId, size })
  }
  for (const side of ['containerId', 'hostId'] as const) {
    const sorted = [...ranges].sort((a, b) => a[side] - b[side])
    for (let i = 1; i < sorted.length; i++) {
      const [a, b] = [sorted[i - 1], sorted[i]]
      if (a[side] + a.size > b[side]) {
        const which = side === 'containerId' ? 'container' : 'host'
        return `${what}: ${a.containerId}:${a.hostId}:${a.size} and ${b.containerId}:${b.hostId}:${b.size} overlap on the ${which} side`
      }
    }
  }
  return ranges
}
