// A running container's lock, seen from its holder: the monitor's fd (state lock_fd) is
// the lock file and its fdinfo lists a flock. Anything else is no answer (the caller
// then tries the lock), never "free".

import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { heldByItsMonitor } from '../../runtime/lifecycle/lock-holder.ts'

t.test('a real holder: seen through its fd while it lives, and only through that fd', async (t) => {
  const dir = t.testdir({ lock: '', other: '' })
  const file = path.join(dir, 'lock')
  // One process holds it: the shell locks its fd 9 with flock(1), then becomes sleep.
  const holder = spawn('sh', ['-c', 'exec 9>>"$0" 8>>"$1" && flock --exclusive 9 && exec sleep 30', file, path.join(dir, 'other')], { stdio: 'ignore' })
  const exited = new Promise((r) => holder.once('exit', r))
  t.teardown(() => {
    holder.kill('SIGKILL')
  })
  const state = { monitorPid: holder.pid!, lockFd: 9 }
  let seen = false
  for (let i = 0; i < 300 && !seen; i++) {
    seen = heldByItsMonitor(file, state)
    if (!seen) await new Promise((r) => setTimeout(r, 10))
  }
  t.ok(seen, 'held: fd 9 is the lock file and its fdinfo lists the flock')
  t.notOk(heldByItsMonitor(file, { ...state, lockFd: 8 }), 'fd 8 is another file')
  t.notOk(heldByItsMonitor(path.join(dir, 'other'), { ...state, lockFd: 8 }), 'fd 8 has no flock')
  t.notOk(heldByItsMonitor(file, { ...state, lockFd: undefined }), 'a state with no lock_fd (an older lite)')
  t.notOk(heldByItsMonitor(file, { monitorPid: null, lockFd: 9 }), 'no monitor named yet')
  t.notOk(heldByItsMonitor(file, null), 'no state')
  holder.kill('SIGKILL')
  await exited
  t.notOk(heldByItsMonitor(file, state), 'the holder is gone')
})

t.test('what fdinfo may say', async (t) => {
  const dir = t.testdir({ lock: '', proc: { '77': { fd: {}, fdinfo: {} } } })
  const file = path.join(dir, 'lock')
  const proc = path.join(dir, 'proc')
  fs.symlinkSync(file, path.join(proc, '77/fd/4'))
  const state = { monitorPid: 77, lockFd: 4 }
  const info = (text: string) => fs.writeFileSync(path.join(proc, '77/fdinfo/4'), text)
  info('pos:\t0\nflags:\t02100002\nmnt_id:\t25\nino:\t1234\nlock:\t1: FLOCK  ADVISORY  WRITE 77 00:19:1234 0 EOF\n')
  t.ok(heldByItsMonitor(file, state, proc))
  info('pos:\t0\nflags:\t02100002\nmnt_id:\t25\n')
  t.notOk(heldByItsMonitor(file, state, proc), 'no lock line (released, or a kernel without them)')
  info('pos:\t0\nlock:\t1: POSIX  ADVISORY  WRITE 77 00:19:1234 0 EOF\n')
  t.notOk(heldByItsMonitor(file, state, proc), 'a POSIX lock is not lite\'s flock')
})
