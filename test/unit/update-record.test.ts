// The store's record decides the image of an updated container (runtime/update/
// interrupted.ts): an update in progress runs next, an interrupted one is rolled back
// before the start, a pinned record wins over the config's tag.

import fs from 'node:fs'
import t from 'tap'
import { readContainerRecord, replaceContainerRecord, type ContainerRecord } from '../../runtime/image/store/containers.ts'
import { StoreLayout } from '../../runtime/image/store/layout.ts'

// The update lock lives under LITE_STATE_ROOT (read when the module loads): a test dir.
process.env.LITE_STATE_ROOT = t.testdir({})
const { recordedImage } = await import('../../runtime/update/interrupted.ts')

const A = `sha256:${'a'.repeat(64)}`
const B = `sha256:${'b'.repeat(64)}`
const base: ContainerRecord = { current: A, next: null, previous: null, older: [], pinned: false, update: null, last: null }

/** A locker whose update lock is held (busy) or free. */
const locker = (held: boolean) => ({
  lockFile: (file: string) => {
    if (held) throw Object.assign(new Error('busy'), { code: 'Busy' })
    t.ok(file.startsWith(process.env.LITE_STATE_ROOT!), 'the lock is under the state root')
    return fs.openSync('/dev/null', 'r')
  },
})

t.test('no record, or one that is not pinned: the config decides', async t => {
  const root = t.testdir({})
  t.equal(recordedImage(locker(false), root, 'web', () => {}), undefined)
  replaceContainerRecord(new StoreLayout(root), 'web', base)
  t.equal(recordedImage(locker(false), root, 'web', () => {}), undefined)
})

t.test('a pinned record: its current', async t => {
  const root = t.testdir({})
  replaceContainerRecord(new StoreLayout(root), 'web', { ...base, pinned: true })
  t.same(recordedImage(locker(false), root, 'web', () => {}), { digest: A, why: 'pinned' })
})

t.test('an update in progress (its lock held): next, and the record is left alone', async t => {
  const root = t.testdir({})
  const layout = new StoreLayout(root)
  const rec = { ...base, next: B, update: { phase: 'restarting' as const, source: 'x', started: 1 } }
  replaceContainerRecord(layout, 'web', rec)
  t.same(recordedImage(locker(true), root, 'web', () => {}), { digest: B, why: 'update' })
  t.same(readContainerRecord(layout, 'web'), rec)
})

t.test('an interrupted update (next, lock free): rolled back, said, current pinned', async t => {
  const root = t.testdir({})
  const layout = new StoreLayout(root)
  replaceContainerRecord(layout, 'web', { ...base, next: B, update: { phase: 'checking', source: 'x', started: 1 } })
  const notes: string[] = []
  t.same(recordedImage(locker(false), root, 'web', (l) => notes.push(l)), { digest: A, why: 'pinned' })
  t.same(notes, [`lite: web: an update to ${B} was interrupted (phase checking); rolled back to ${A}`])
  const after = readContainerRecord(layout, 'web')!
  t.same([after.current, after.next, after.update, after.pinned, after.last?.result, after.last?.from, after.last?.to], [A, null, null, true, 'interrupted', A, B])
})
