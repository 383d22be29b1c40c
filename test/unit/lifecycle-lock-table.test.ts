// The kernel's lock table as ps and status read it: a flock another process holds is
// seen by the file's device and inode; anything else is "not seen", never "free".

import { spawn } from 'node:child_process'
import path from 'node:path'
import t from 'tap'
import { devParts, flockInTable, flockState, seesEveryHolder } from '../../runtime/lifecycle/lock-table.ts'

t.test('devParts: glibc\'s encoding of major and minor', async t => {
  t.same(devParts(0xfe00), { major: 0xfe, minor: 0 })
  t.same(devParts(25), { major: 0, minor: 25 })
  // major 259, minor 300: the high bits of each live above the low 20
  const dev = Number((259n & 0xfffn) << 8n | (300n & 0xffn) | ((300n & ~0xffn) << 12n))
  t.same(devParts(dev), { major: 259, minor: 300 })
})

t.test('flockInTable: held flocks only, by device and inode; waiters, POSIX and OFD locks are not flocks', async t => {
  const table = [
    '1: POSIX  ADVISORY  WRITE 700 00:19:42 0 EOF',
    '2: FLOCK  ADVISORY  WRITE 8873 fe:00:892930 0 EOF',
    '2: -> FLOCK  ADVISORY  WRITE 8874 00:19:77 0 EOF',
    '3: OFDLCK ADVISORY  READ  -1 00:19:99 0 EOF',
    '',
  ].join('\n')
  t.ok(flockInTable(table, 0xfe00, 892930))
  t.notOk(flockInTable(table, 0xfe00, 892931), 'another inode')
  t.notOk(flockInTable(table, 0xfe01, 892930), 'another device')
  t.notOk(flockInTable(table, 0x19, 42), 'a POSIX lock')
  t.notOk(flockInTable(table, 0x19, 77), 'only a waiter')
  t.notOk(flockInTable(table, 0x19, 99), 'an OFD lock')
  t.notOk(flockInTable('', 0xfe00, 892930))
})

t.test('seesEveryHolder: the host\'s pid namespace, as this test runs in', async t => {
  t.ok(seesEveryHolder(), 'tests run in the init pid namespace')
  const dir = t.testdir({ self: { ns: { pid: t.fixture('symlink', 'pid:[4026532000]') } }, other: { ns: {} } })
  t.notOk(seesEveryHolder(dir), 'another pid namespace')
  t.notOk(seesEveryHolder(path.join(dir, 'other')), 'no namespace link: can\'t tell')
})

t.test('flockState: a real flock from another process, then none; unknown when the table can\'t tell', async t => {
  const dir = t.testdir({ lock: '' })
  const file = path.join(dir, 'lock')
  t.equal(flockState(file), 'free', 'nobody holds it')
  t.equal(flockState(file, '/proc/locks', () => false), 'unknown', 'not seen, but some holders may be hidden')
  t.equal(flockState(path.join(dir, 'missing')), 'unknown', 'no file')
  t.equal(flockState(file, path.join(dir, 'no-table')), 'unknown', 'no table')
  // One process holds it: the shell locks its fd 9 with flock(1), then becomes sleep.
  const holder = spawn('sh', ['-c', 'exec 9>>"$0" && flock --exclusive 9 && exec sleep 30', file], { stdio: 'ignore' })
  const exited = new Promise((r) => holder.once('exit', r))
  t.teardown(() => {
    holder.kill('SIGKILL')
  })
  const until = async (want: string) => {
    for (let i = 0; i < 300; i++) {
      if (flockState(file) === want) return true
      await new Promise((r) => setTimeout(r, 10))
    }
    return false
  }
  t.ok(await until('held'), 'held while the holder lives')
  t.equal(flockState(file, '/proc/locks', () => false), 'held', 'a lock the table shows is held, whatever it hides')
  holder.kill('SIGKILL')
  await exited
  t.ok(await until('free'), 'free once the holder is gone')
})
