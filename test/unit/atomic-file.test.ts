// Power-cut-safe writes: the old content or the new, never a mix; a failed fsync is
// answered by a whole new write (a retried fsync proves nothing), once.

import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'

/** atomic-file.ts with fsyncSync failing (EIO) for the first `failures` regular files. */
async function withFailingFsync(t: Test, failures: number) {
  const calls: string[] = []
  let left = failures
  const fakeFs = {
    ...fs,
    default: undefined,
    openSync: (p: fs.PathLike, ...rest: unknown[]) => {
      const fd = (fs.openSync as (...a: unknown[]) => number)(p, ...rest)
      calls.push(`open ${path.basename(String(p))}`)
      return fd
    },
    fsyncSync: (fd: number) => {
      if (!fs.fstatSync(fd).isDirectory() && left > 0) {
        left--
        calls.push('fsync EIO')
        throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })
      }
      calls.push('fsync')
      fs.fsyncSync(fd)
    },
  }
  fakeFs.default = fakeFs as never
  const mod = await t.mockImport<typeof import('../../runtime/image/store/atomic-file.ts')>('../../runtime/image/store/atomic-file.ts', { 'node:fs': fakeFs })
  return { ...mod, calls }
}

t.test('a write replaces the file, and leaves no temp file', async t => {
  const dir = t.testdir({ 'rec': 'old\n' })
  const { writeFileAtomic } = await withFailingFsync(t, 0)
  writeFileAtomic(path.join(dir, 'rec'), 'new\n')
  t.equal(fs.readFileSync(path.join(dir, 'rec'), 'utf8'), 'new\n')
  t.same(fs.readdirSync(dir), ['rec'])
})

t.test('one failed fsync: the whole write is made again in a new file', async t => {
  const dir = t.testdir({ 'rec': 'old\n' })
  const { writeFileAtomic, calls } = await withFailingFsync(t, 1)
  writeFileAtomic(path.join(dir, 'rec'), 'new\n')
  t.equal(fs.readFileSync(path.join(dir, 'rec'), 'utf8'), 'new\n')
  t.same(calls.filter((c) => c.startsWith('open .rec') || c.startsWith('fsync')).slice(0, 4), [`open .rec.${process.pid}.tmp`, 'fsync EIO', `open .rec.${process.pid}.tmp`, 'fsync'], 'opened again from the start, then fsynced')
  t.same(fs.readdirSync(dir), ['rec'])
})

t.test('two failed fsyncs: the error, and the old content stays', async t => {
  const dir = t.testdir({ 'rec': 'old\n' })
  const { writeFileAtomic } = await withFailingFsync(t, 2)
  t.throws(() => writeFileAtomic(path.join(dir, 'rec'), 'new\n'), { code: 'EIO' })
  t.equal(fs.readFileSync(path.join(dir, 'rec'), 'utf8'), 'old\n')
  t.same(fs.readdirSync(dir), ['rec'], 'no temp file left')
})
