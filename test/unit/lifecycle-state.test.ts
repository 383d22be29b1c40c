import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { LiteError } from '../../runtime/errors.ts'
import { STATE_ROOT, acquireState, releaseState, type Locker, type StateLock } from '../../runtime/lifecycle/state.ts'

/**
 * A stand-in for the addon's flock: opens (creating) the lock file and returns the fd.
 * `before` may act between the open and the return (as a releasing run would).
 */
function fakeLocker(before?: (path: string, attempt: number) => void): Locker & { paths: string[]; fds: number[] } {
  const paths: string[] = []
  const fds: number[] = []
  return {
    paths,
    fds,
    lockExclusive(p: string) {
      paths.push(p)
      const fd = fs.openSync(p, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600)
      fds.push(fd)
      before?.(p, paths.length)
      return fd
    },
  }
}

/** A locker whose lock is held by another lite. */
const busyLocker: Locker = {
  lockExclusive() {
    throw Object.assign(new Error('the lock is held'), { code: 'Busy' })
  },
}

const isOpen = (fd: number) => {
  try {
    fs.fstatSync(fd)
    return true
  } catch {
    return false
  }
}

/** acquireState, released (fd closed, dir removed) at the end of the test unless released before. */
function acquire(t: Test, name: string, locker: Locker, root: string): StateLock {
  const lock = acquireState(name, locker, root)
  t.teardown(() => {
    if (isOpen(lock.fd)) fs.closeSync(lock.fd)
  })
  return lock
}

t.test('the default root is /run/lite', async t => {
  t.equal(STATE_ROOT, '/run/lite')
})

t.test('acquireState', async t => {
  t.test('a first run: makes the root and the dir, and holds the lock', async t => {
    const top = t.testdir({})
    const root = path.join(top, 'run', 'lite')
    const locker = fakeLocker()
    const lock = acquire(t, 'web', locker, root)
    t.same(lock, { dir: path.join(root, 'web'), fd: locker.fds[0], leftCgroups: [] })
    t.same(locker.paths, [path.join(root, 'web', 'lock')], 'locks <root>/<name>/lock')
    t.equal(fs.statSync(root).mode & 0o777, 0o700, 'root 0700')
    t.equal(fs.statSync(lock.dir).mode & 0o777, 0o700, 'dir 0700')
    t.same(fs.readdirSync(lock.dir), ['lock'])
    t.ok(isOpen(lock.fd), 'the fd stays open')
  })

  t.test('leftovers of a dead run are removed, the lock file is kept', async t => {
    const root = t.testdir({
      web: {
        lock: 'old lock',
        pid: '4242\n',
        'state.json': '{}\n',
        'pid.tmp': 'half',
        etc: { hosts: '127.0.0.1 localhost\n', hostname: 'web\n' },
        root: {},
        layers: { upper: { file: 'x' } },
      },
      other: { pid: '7\n' },
    })
    const inode = fs.statSync(path.join(root, 'web', 'lock')).ino
    const lock = acquire(t, 'web', fakeLocker(), root)
    t.same(fs.readdirSync(lock.dir), ['lock'])
    t.equal(fs.statSync(path.join(lock.dir, 'lock')).ino, inode, 'the same lock file')
    t.equal(fs.readFileSync(path.join(root, 'other', 'pid'), 'utf8'), '7\n', 'another container\'s state is left alone')
  })

  t.test('the cgroups a dead run recorded are handed to the new run, which removes them', async t => {
    const root = t.testdir({
      web: { lock: '', state: 'name=web\nstatus=running\n', cgroups: '/sys/fs/cgroup/memory/lite/web\n/sys/fs/cgroup/pids/lite/web\n' },
      plain: { lock: '' },
    })
    const lock = acquire(t, 'web', fakeLocker(), root)
    t.same(lock.leftCgroups, ['/sys/fs/cgroup/memory/lite/web', '/sys/fs/cgroup/pids/lite/web'])
    t.same(fs.readdirSync(lock.dir), ['lock'], 'the record goes with the rest')
    t.same(acquire(t, 'plain', fakeLocker(), root).leftCgroups, [], 'no record, nothing left')
    // A restart (the monitor passed its lock on): the same, should its clean-up have failed.
    fs.writeFileSync(path.join(lock.dir, 'cgroups'), '/sys/fs/cgroup/memory/lite/web\n')
    const adopted = acquireState('web', fakeLocker(), root, { adoptFd: lock.fd })
    t.same(adopted.leftCgroups, ['/sys/fs/cgroup/memory/lite/web'])
    t.equal(adopted.fd, lock.fd)
  })

  t.test('a dead run whose container still runs (same pid and start time): it is killed first', async t => {
    const root = t.testdir({
      live: { lock: '', state: 'name=live\nstatus=running\npid=4242\npid_start=77\n' },
      done: { lock: '', state: 'name=done\nstatus=exited\npid=4243\npid_start=78\n' },
      early: { lock: '', state: 'name=early\nstatus=starting\n' },
    })
    const killed: [number, number][] = []
    const killer = (pid: number, start: number) => void killed.push([pid, start])
    for (const name of ['live', 'done', 'early']) {
      const lock = acquireState(name, fakeLocker(), root, { orphanKiller: killer })
      t.teardown(() => fs.closeSync(lock.fd))
    }
    t.same(killed, [[4242, 77]], 'only a container that was not known to have exited')
  })

  t.test('busy: already running, with the pid from the state file', async t => {
    const root = t.testdir({ web: { lock: '', state: 'name=web\nstatus=running\npid=4242\n', 'state.json': '{}' } })
    const err = t.throws(() => acquireState('web', busyLocker, root)) as LiteError
    t.type(err, LiteError)
    t.equal(err.exitCode, 125)
    t.matchSnapshot(err.message, 'message')
    t.same(fs.readdirSync(path.join(root, 'web')).sort(), ['lock', 'state', 'state.json'], 'the running container\'s state is untouched')
  })

  t.test('busy while a reader holds the lock of an exited container: waits for it', async t => {
    const root = t.testdir({ web: { lock: '', state: 'name=web\nstatus=exited\npid=4242\n', 'log': 'old output\n' } })
    let calls = 0
    const locker = fakeLocker()
    const readerThenFree: Locker = {
      lockExclusive(p: string) {
        if (++calls < 3) throw Object.assign(new Error('the lock is held'), { code: 'Busy' })
        return locker.lockExclusive(p)
      },
    }
    const lock = acquire(t, 'web', readerThenFree, root)
    t.equal(calls, 3, 'retried until the reader let go')
    t.same(fs.readdirSync(lock.dir), ['lock'], 'the exited container\'s state is cleared for the new run')
  })

  t.test('busy with an exited state that stays locked: a bounded wait, then "already running"', async t => {
    const root = t.testdir({ web: { lock: '', state: 'status=exited\n' } })
    let calls = 0
    const locker: Locker = {
      lockExclusive() {
        calls++
        throw Object.assign(new Error('the lock is held'), { code: 'Busy' })
      },
    }
    t.throws(() => acquireState('web', locker, root), { message: /already running/ })
    t.ok(calls > 1 && calls <= 202, `bounded (${calls} tries)`)
  })

  t.test('busy without a state file', async t => {
    const root = t.testdir({ web: { lock: '' } })
    t.throws(() => acquireState('web', busyLocker, root), { message: /already running \(pid \?\)/ })
  })

  t.test('a lock that cannot be taken for another reason', async t => {
    const root = t.testdir({})
    const locker: Locker = {
      lockExclusive() {
        throw Object.assign(new Error('Permission denied (os error 13)'), { code: 'GenericFailure' })
      },
    }
    const err = t.throws(() => acquireState('web', locker, root)) as LiteError
    t.type(err, LiteError)
    t.equal(err.message.split(root).join('{ROOT}'), 'cannot lock {ROOT}/web/lock: Permission denied (os error 13)')
  })

  t.test('a lock unlinked under us by a releasing run: taken again', async t => {
    const root = t.testdir({ web: { pid: '1\n' } })
    const locker = fakeLocker((p, attempt) => {
      if (attempt === 1) fs.rmSync(path.dirname(p), { recursive: true })
    })
    const lock = acquire(t, 'web', locker, root)
    t.equal(locker.paths.length, 2, 'two attempts')
    t.equal(lock.fd, locker.fds[1], 'the second fd is the lock')
    t.ok(locker.fds[0] === locker.fds[1] || !isOpen(locker.fds[0]!), 'the first fd was closed')
    t.same(fs.readdirSync(lock.dir), ['lock'])
  })

  t.test('a lock that keeps vanishing: a bounded number of tries', async t => {
    const root = t.testdir({})
    const locker = fakeLocker(p => fs.unlinkSync(p))
    const err = t.throws(() => acquireState('web', locker, root)) as LiteError
    t.type(err, LiteError)
    t.equal(err.message.split(root).join('{ROOT}'), 'cannot take the state lock of "web" in {ROOT}/web')
    t.equal(locker.paths.length, 5, 'five attempts')
    t.notOk(locker.fds.some(isOpen), 'every fd closed')
  })
})

t.test('releaseState removes the dir and closes the lock', async t => {
  const root = t.testdir({})
  const lock = acquire(t, 'web', fakeLocker(), root)
  fs.writeFileSync(path.join(lock.dir, 'state'), 'pid=1\n')
  fs.mkdirSync(path.join(lock.dir, 'etc'))
  fs.writeFileSync(path.join(lock.dir, 'etc', 'hosts'), '')
  releaseState(lock)
  t.notOk(fs.existsSync(lock.dir), 'dir removed')
  t.notOk(isOpen(lock.fd), 'fd closed')
  t.ok(fs.existsSync(root), 'the root stays')
  const again = acquire(t, 'web', fakeLocker(), root)
  t.same(fs.readdirSync(again.dir), ['lock'], 'the name can be taken again')
})
