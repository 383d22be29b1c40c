// `[user] map = auto`: the pool read from /etc/subuid and /etc/subgid (or the default
// one), slots claimed and given back, sticky slots kept per name, and the text forms.
// The locker is a fake: a claim stays held (as the monitor would hold it) until the
// test releases it; the records' .lock is free unless a test holds it.

import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { LiteError } from '../../runtime/errors.ts'
import { releaseClaims, type Claim, type Locker } from '../../runtime/net/claims.ts'
import {
  AUTO_SIZE,
  DEFAULT_POOL_SLOTS,
  DEFAULT_POOL_START,
  MAX_ID_RANGES,
  autoPool,
  claimAutoRange,
  formatIdMap,
  parseIdMapText,
  parseIdRanges,
  releaseSticky,
  slotClaimPath,
  stickyRange,
  stickyRecordPath,
  type AutoPool,
} from '../../runtime/userns/ranges.ts'

const S = AUTO_SIZE

function reader(files: Record<string, string>) {
  return (p: string) => files[p]
}

function fakeLocker(t: Test) {
  const held = new Set<string>()
  const lockFds = new Map<string, { fd: number; ino: number }>()
  const fds: number[] = []
  const calls: string[] = []
  t.teardown(() => fds.forEach((fd) => { try { fs.closeSync(fd) } catch {} }))
  // The records' .lock is held while the fd it gave is open (the file is never
  // unlinked, so an open fd with its inode is the holder); closeSync frees it.
  const lockStillOpen = (p: string) => {
    const h = lockFds.get(p)
    if (!h) return false
    try {
      return fs.fstatSync(h.fd).ino === h.ino
    } catch {
      return false
    }
  }
  const locker: Locker & { held: Set<string>; calls: string[]; release(r: { claim: Claim }): void } = {
    held,
    calls,
    lockFile(p, exclusive) {
      calls.push(`${path.basename(p)}${exclusive ? '' : ' shared'}`)
      if (held.has(p) || lockStillOpen(p)) throw Object.assign(new Error('locked by another process'), { code: 'Busy' })
      const fd = fs.openSync(p, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600)
      fds.push(fd)
      if (path.basename(p) === '.lock') lockFds.set(p, { fd, ino: fs.fstatSync(fd).ino })
      else held.add(p) // the monitor keeps a claim's fd
      return fd
    },
    release({ claim }) {
      releaseClaims([claim])
      held.delete(claim.path)
    },
  }
  return locker
}

function dirs(t: Test) {
  const root = t.testdir({ run: {}, store: {} })
  return { stateRoot: path.join(root, 'run'), store: path.join(root, 'store') }
}

const smallPool = (n: number): AutoPool => ({
  source: 'subid',
  uidSlots: Array.from({ length: n }, (_, k) => 100_000 + k * S),
  gidSlots: Array.from({ length: n }, (_, k) => 500_000 + k * S),
})

t.test('pool: lite by name, several lines in file order, whole slots only', async (t) => {
  const pool = autoPool(reader({
    '/etc/subuid': [
      '# rootless users',
      'alice:100000:65536',
      '',
      'lite:1000000:131072',
      'lite:bad:65536',
      'lite:5000000',
      'lite:3000000:100000  ',
      'lite:1000000:65536', // a duplicated line: its ids are slot 0's already
    ].join('\n'),
    '/etc/subgid': 'lite:2000000:655360\n',
  }))
  // uid: 2 slots from the first line, 1 from the third (100000 ids = 1 whole slot)
  t.same(pool, { source: 'subid', uidSlots: [1_000_000, 1_000_000 + S, 3_000_000], gidSlots: [2_000_000, 2_000_000 + S, 2_000_000 + 2 * S] })
})

t.test('pool: lite by its uid from /etc/passwd', async (t) => {
  const pool = autoPool(reader({
    '/etc/passwd': 'root:x:0:0::/root:/bin/sh\nlite:x:998:998::/nonexistent:/usr/sbin/nologin\n',
    '/etc/subuid': '998:200000:65536\n',
    '/etc/subgid': 'lite:300000:65536\n',
  }))
  t.same(pool, { source: 'subid', uidSlots: [200_000], gidSlots: [300_000] })
  // Without a passwd entry, a number is just another user's entry.
  t.equal(autoPool(reader({ '/etc/subuid': '998:200000:65536\n', '/etc/subgid': 'lite:300000:65536\n' })).source, 'default')
})

t.test('pool: missing files give the default pool', async (t) => {
  const pool = autoPool(reader({}))
  t.equal(pool.source, 'default')
  t.equal(pool.uidSlots.length, DEFAULT_POOL_SLOTS)
  t.equal(pool.uidSlots[0], DEFAULT_POOL_START)
  t.equal(pool.uidSlots[DEFAULT_POOL_SLOTS - 1], 2 ** 20 + 1023 * S)
  t.same(pool.gidSlots, pool.uidSlots)
})

t.test('pool: the default skips slots that overlap other users\' entries', async (t) => {
  const pool = autoPool(reader({
    '/etc/subuid': `alice:100000:65536\nbob:${DEFAULT_POOL_START + 2 * S + 100}:10\n`,
    '/etc/subgid': `carol:${DEFAULT_POOL_START + 5 * S - 1}:${S + 2}\n`, // touches slots 4, 5 and 6
  }))
  t.equal(pool.source, 'default')
  t.equal(pool.uidSlots.length, DEFAULT_POOL_SLOTS - 4)
  for (const k of [2, 4, 5, 6]) t.notOk(pool.uidSlots.includes(DEFAULT_POOL_START + k * S), `slot at ${k} skipped`)
  t.ok(pool.uidSlots.includes(DEFAULT_POOL_START + 3 * S))
  // lite in one file only: still the default pool, for both kinds
  const half = autoPool(reader({ '/etc/subuid': 'lite:100000:65536\n' }))
  t.equal(half.source, 'default')
  t.equal(half.uidSlots.length, DEFAULT_POOL_SLOTS)
})

t.test('pool: an entry for lite smaller than one slot is an error naming the file', async (t) => {
  const read = reader({ '/etc/subuid': 'lite:100000:65536\n', '/etc/subgid': 'lite:100000:65535\nlite:300000:1000\n' })
  t.throws(() => autoPool(read), { name: 'LiteError', message: /^\/etc\/subgid: .*65536 ids/ })
})

t.test('allocation: the lowest free slot, claimed for the name', async (t) => {
  const { stateRoot, store } = dirs(t)
  const locker = fakeLocker(t)
  const pool = smallPool(4)
  const a = await claimAutoRange(locker, { stateRoot, store, name: 'web', sticky: false, pool })
  t.equal(a.slot, 0)
  t.same(a.map, { uid: [{ containerId: 0, hostId: 100_000, size: S }], gid: [{ containerId: 0, hostId: 500_000, size: S }] })
  t.equal(a.claim.path, path.join(stateRoot, '.userns', 'slot-0'))
  t.equal(slotClaimPath(stateRoot, 0), a.claim.path)
  t.equal(fs.readFileSync(a.claim.path, 'utf8'), 'web\n', 'the claim names its holder')
  t.same(locker.calls, ['.lock', 'slot-0'], 'records locked first, exclusively')
  const b = await claimAutoRange(locker, { stateRoot, store, name: 'db', sticky: false, pool })
  t.equal(b.slot, 1, 'a claimed slot is skipped')
  t.notOk(fs.existsSync(stickyRecordPath(store, 'db')), 'not sticky: no record')
  locker.release(a)
  const c = await claimAutoRange(locker, { stateRoot, store, name: 'cache', sticky: false, pool })
  t.equal(c.slot, 0, 'free again once released')
})

t.test('allocation waits for the records\' lock', async (t) => {
  const { stateRoot, store } = dirs(t)
  const locker = fakeLocker(t)
  const lock = path.join(store, 'userns', '.lock')
  locker.held.add(lock)
  setTimeout(() => locker.held.delete(lock), 60)
  const started = Date.now()
  const a = await claimAutoRange(locker, { stateRoot, store, name: 'web', sticky: false, pool: smallPool(2) })
  t.equal(a.slot, 0)
  t.ok(Date.now() - started >= 50, 'waited')
})

t.test('sticky: recorded, reused by the same name, never given to another', async (t) => {
  const { stateRoot, store } = dirs(t)
  const locker = fakeLocker(t)
  const pool = smallPool(3)
  const first = await claimAutoRange(locker, { stateRoot, store, name: 'tmp', sticky: false, pool })
  const keep = await claimAutoRange(locker, { stateRoot, store, name: 'keep', sticky: true, pool })
  t.equal(keep.slot, 1)
  t.equal(fs.readFileSync(path.join(store, 'userns', 'keep'), 'utf8'), `slot 1\nuid ${100_000 + S}\ngid ${500_000 + S}\n`)
  t.same(stickyRange(store, 'keep'), { slot: 1, uid: 100_000 + S, gid: 500_000 + S })
  t.equal(stickyRange(store, 'tmp'), undefined)
  locker.release(first)
  locker.release(keep)
  // The same name gets slot 1 again though slot 0 is free; sticky or not this time.
  const again = await claimAutoRange(locker, { stateRoot, store, name: 'keep', sticky: false, pool })
  t.equal(again.slot, 1)
  locker.release(again)
  // Unclaimed, slot 1 still goes to nobody else.
  const x = await claimAutoRange(locker, { stateRoot, store, name: 'x', sticky: false, pool })
  const y = await claimAutoRange(locker, { stateRoot, store, name: 'y', sticky: true, pool })
  t.same([x.slot, y.slot], [0, 2])
  await t.rejects(claimAutoRange(locker, { stateRoot, store, name: 'z', sticky: false, pool }), { message: /no free id range/ })
  // lite rm keep: the slot is free for anyone; a second release is fine.
  releaseSticky(store, 'keep')
  releaseSticky(store, 'keep')
  t.equal(stickyRange(store, 'keep'), undefined)
  const z = await claimAutoRange(locker, { stateRoot, store, name: 'z', sticky: false, pool })
  t.equal(z.slot, 1)
})

t.test('sticky: a slot held by someone else is an error naming the holder', async (t) => {
  const { stateRoot, store } = dirs(t)
  const locker = fakeLocker(t)
  const pool = smallPool(2)
  const keep = await claimAutoRange(locker, { stateRoot, store, name: 'keep', sticky: true, pool })
  t.equal(keep.slot, 0)
  await t.rejects(claimAutoRange(locker, { stateRoot, store, name: 'keep', sticky: true, pool }), { name: 'LiteError', message: /keep \(slot 0\) is in use by keep/ })
})

t.test('sticky: a record the pool no longer matches is an error that says how to release it', async (t) => {
  const { stateRoot, store } = dirs(t)
  const locker = fakeLocker(t)
  const filler = await claimAutoRange(locker, { stateRoot, store, name: 'filler', sticky: false, pool: smallPool(3) })
  const keep = await claimAutoRange(locker, { stateRoot, store, name: 'keep', sticky: true, pool: smallPool(3) })
  t.equal(keep.slot, 1)
  locker.release(filler)
  locker.release(keep)
  const moved: AutoPool = { ...smallPool(3), uidSlots: smallPool(3).uidSlots.map((h) => h + 1) }
  await t.rejects(claimAutoRange(locker, { stateRoot, store, name: 'keep', sticky: true, pool: moved }), { message: /no longer has that slot.*`lite rm keep`/ })
  await t.rejects(claimAutoRange(locker, { stateRoot, store, name: 'keep', sticky: true, pool: { ...smallPool(1), source: 'default' } }), { message: /lite rm keep/ })
  // Others avoid the recorded slot number and the recorded host ids, wherever the
  // changed pool put them: slot 0 now holds keep's ids, slot 1 is keep's number.
  const shifted: AutoPool = { source: 'subid', uidSlots: [100_000 + S, 9_000_000, 7_000_000], gidSlots: [8_000_000, 9_000_000, 7_000_000] }
  const other = await claimAutoRange(locker, { stateRoot, store, name: 'other', sticky: false, pool: shifted })
  t.equal(other.slot, 2)
  await t.rejects(claimAutoRange(locker, { stateRoot, store, name: 'more', sticky: false, pool: shifted }), { message: 'no free id range in the pool (3 slots, source subid)' })
})

t.test('a damaged record or a bad name is refused', async (t) => {
  const { stateRoot, store } = dirs(t)
  fs.mkdirSync(path.join(store, 'userns'))
  fs.writeFileSync(path.join(store, 'userns', 'keep'), 'slot one\n')
  t.throws(() => stickyRange(store, 'keep'), { name: 'LiteError', message: /lite rm keep/ })
  await t.rejects(claimAutoRange(fakeLocker(t), { stateRoot, store, name: 'web', sticky: false, pool: smallPool(1) }), LiteError)
  t.throws(() => stickyRecordPath(store, '../etc'), LiteError)
  t.throws(() => releaseSticky(store, '.lock'), LiteError)
})

t.test('exhaustion names the pool', async (t) => {
  const { stateRoot, store } = dirs(t)
  const locker = fakeLocker(t)
  const pool = smallPool(1)
  await claimAutoRange(locker, { stateRoot, store, name: 'a', sticky: false, pool })
  await t.rejects(claimAutoRange(locker, { stateRoot, store, name: 'b', sticky: false, pool }), { name: 'LiteError', message: 'no free id range in the pool (1 slots, source subid)' })
})

t.test('20 names at once (two of them sticky) get 20 disjoint ranges, all free again after release', async (t) => {
  const { stateRoot, store } = dirs(t)
  const locker = fakeLocker(t)
  const pool = autoPool(reader({}))
  const names = Array.from({ length: 20 }, (_, i) => `c${i}`)
  const ranges = await Promise.all(names.map((name) => claimAutoRange(locker, { stateRoot, store, name, sticky: name.endsWith('7'), pool })))
  t.ok(locker.calls.filter((c) => c === '.lock').length > 20, 'the records\' lock was contended and waited for')
  t.same(new Set(ranges.map((r) => r.slot)).size, 20)
  const uids = ranges.map((r) => r.map.uid[0].hostId).sort((a, b) => a - b)
  for (let i = 1; i < uids.length; i++) t.ok(uids[i] >= uids[i - 1] + S, 'no overlap')
  for (const r of ranges) locker.release(r)
  t.same(fs.readdirSync(path.join(stateRoot, '.userns')), [], 'no claim file left')
  releaseSticky(store, 'c7')
  releaseSticky(store, 'c17')
  const again = await Promise.all(names.map((name) => claimAutoRange(locker, { stateRoot, store, name, sticky: false, pool })))
  t.same(again.map((r) => r.slot).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i))
})

t.test('text forms: format and parse round trip', async (t) => {
  const map = {
    uid: [{ containerId: 0, hostId: 1_048_576, size: S }],
    gid: [{ containerId: 0, hostId: 1_048_576, size: 100 }, { containerId: 100, hostId: 5, size: 1 }],
  }
  const text = formatIdMap(map)
  t.same(text, { uid: '0:1048576:65536', gid: '0:1048576:100,100:5:1' })
  t.same(parseIdMapText(text), map)
  t.same(parseIdMapText({ uid: '', gid: '' }), { uid: [], gid: [] })
  t.throws(() => parseIdMapText({ uid: '0:1:x', gid: '' }), LiteError)
})

t.test('parseIdRanges: explicit ranges, and every error', async (t) => {
  t.same(parseIdRanges('0:1000:1, 1:100000:65535', 'map'), [
    { containerId: 0, hostId: 1000, size: 1 },
    { containerId: 1, hostId: 100_000, size: 65_535 },
  ])
  t.same(parseIdRanges(`0:0:${2 ** 32 - 1}`, 'map'), [{ containerId: 0, hostId: 0, size: 2 ** 32 - 1 }], 'the whole id space')
  const many = Array.from({ length: MAX_ID_RANGES }, (_, i) => `${i}:${1000 + i}:1`).join(',')
  t.equal((parseIdRanges(many, 'map') as unknown[]).length, MAX_ID_RANGES)
  const errors: Array<[string, RegExp]> = [
    ['', /is not CONTAINER:HOST:COUNT/],
    ['0:1000', /is not CONTAINER:HOST:COUNT/],
    ['0:1000:1:2', /is not CONTAINER:HOST:COUNT/],
    ['-1:1000:1', /is not CONTAINER:HOST:COUNT/],
    ['0:1.5:1', /is not CONTAINER:HOST:COUNT/],
    ['0:0x10:1', /is not CONTAINER:HOST:COUNT/],
    ['0:1000:1,', /is not CONTAINER:HOST:COUNT/],
    ['0:1000:0', /COUNT must be at least 1/],
    [`0:0:${2 ** 32}`, /past container id 4294967294/],
    [`1:0:${2 ** 32 - 1}`, /past container id/],
    [`0:${2 ** 32 - 1}:1`, /past host id/],
    ['0:1000:10,5:5000:10', /overlap on the container side/],
    ['0:1000:10,10:1005:10', /overlap on the host side/],
    [many + `,${MAX_ID_RANGES}:5000:1`, /341 ranges, more than the kernel's 340/],
  ]
  for (const [text, message] of errors) {
    const got = parseIdRanges(text, '[user] map')
    const label = JSON.stringify(text.length > 40 ? text.slice(0, 20) + '...' + text.slice(-20) : text)
    t.type(got, 'string', label)
    t.match(got, /^\[user\] map: /, label)
    t.match(got, message, label)
  }
})

t.test('pool: a slot holding host id 0 is never handed out (container root would be host root)', async (t) => {
  const pool = autoPool(reader({ '/etc/subuid': `lite:0:${3 * S}\n`, '/etc/subgid': `lite:0:${3 * S}\n` }))
  t.same(pool, { source: 'subid', uidSlots: [S, 2 * S], gidSlots: [S, 2 * S] })
})
