// The record of an OCI container under --root (runtime/oci/state.ts): runc's id rule,
// the directory, the atomic record, listing, and the status rules (stopped when the
// init's pid is gone, reused or a zombie; paused when frozen; created while exec.fifo
// exists), against a fake root, fake cgroup trees and a fake /proc in t.testdir.

import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { NOT_EXIST, OciError } from '../../runtime/oci/errors.ts'
import { processStartTime } from '../../runtime/lifecycle/process-identity.ts'
import {
  EMPTY_ID,
  ID_EXISTS,
  INVALID_ID,
  checkId,
  containerDir,
  containerPids,
  fifoPath,
  freezerOf,
  initAlive,
  listRecords,
  lockContainer,
  lockPath,
  makeContainerDir,
  ociState,
  ociStatus,
  readRecord,
  removeContainerDir,
  rfc3339Nano,
  writeRecord,
  type OciLocker,
  type OciRecord,
} from '../../runtime/oci/state.ts'

/** A pid no process can have: above the kernel's pid_max. */
const DEAD_PID = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8')) + 1
const MY_START = processStartTime(process.pid)!

function record(over: Partial<OciRecord> = {}): OciRecord {
  return {
    id: 'box',
    bundle: '/srv/bundles/box',
    ociVersion: '1.2.0',
    created: '2026-12-03T11:29:17.120Z',
    pid: process.pid,
    pidStart: MY_START,
    annotations: {},
    cgroups: [],
    cgroupsMade: [],
    poststop: [],
    startContainer: [],
    poststart: [],
    terminal: false,
    owner: '',
    rootfs: '/srv/bundles/box/rootfs',
    ...over,
  }
}

/** A /proc/PID/stat line: "PID (comm) STATE" and fields 4..24, field 22 the start time. */
function statLine(pid: number, state: string, start: number, comm = 'my (odd) proc'): string {
  const after = [state, ...Array(18).fill('0'), String(start), '0', '0']
  return `${pid} (${comm}) ${after.join(' ')}\n`
}

const errorOf = (f: () => unknown): Error => {
  try {
    f()
  } catch (e) {
    return e as Error
  }
  throw new Error('did not throw')
}

t.test('ids: runc\'s rule', async t => {
  for (const id of ['box', 'a_b+c-d.e', 'A9', '...', '.hidden', 'x'.repeat(200), '0']) t.doesNotThrow(() => checkId(id), id)
  for (const id of ['.', '..', 'a/b', '../x', 'a b', 'ü', 'a\n', 'a:b', '*', 'a\u0000']) {
    const e = errorOf(() => checkId(id))
    t.ok(e instanceof OciError, JSON.stringify(id))
    t.equal(e.message, INVALID_ID, JSON.stringify(id))
  }
  t.equal(INVALID_ID, 'invalid container ID format', 'runc\'s words')
  t.equal(errorOf(() => checkId('')).message, EMPTY_ID)
  t.equal(EMPTY_ID, 'container id cannot be empty')
})

t.test('paths under the root', async t => {
  t.equal(containerDir('/run/lite-oci', 'box'), '/run/lite-oci/box')
  t.equal(fifoPath('/run/lite-oci', 'box'), '/run/lite-oci/box/exec.fifo')
  t.equal(lockPath('/run/lite-oci', 'box'), '/run/lite-oci/box/lock')
  t.throws(() => containerDir('/run/lite-oci', '..'), { message: INVALID_ID }, 'an id never leaves the root')
})

t.test('makeContainerDir: root 0700, the container 0711, taken once', async t => {
  const top = t.testdir({})
  const root = path.join(top, 'run', 'lite-oci')
  const dir = makeContainerDir(root, 'box')
  t.equal(dir, path.join(root, 'box'))
  t.equal(fs.statSync(root).mode & 0o777, 0o700)
  t.equal(fs.statSync(dir).mode & 0o777, 0o711 & ~process.umask())
  const e = errorOf(() => makeContainerDir(root, 'box'))
  t.ok(e instanceof OciError)
  t.equal(e.message, ID_EXISTS)
  t.equal(ID_EXISTS, 'container with given ID already exists', 'runc\'s words')
  t.throws(() => makeContainerDir(root, 'a/b'), { message: INVALID_ID })
  removeContainerDir(root, 'box')
  t.notOk(fs.existsSync(dir))
  t.doesNotThrow(() => removeContainerDir(root, 'box'), 'removing a gone one is fine')
})

t.test('the record', async t => {
  t.test('round trip', async t => {
    const root = t.testdir({ box: {} })
    const rec = record({
      annotations: { 'io.kubernetes.pod': 'p1' },
      cgroups: ['/sys/fs/cgroup/memory/box'],
      cgroupsMade: ['/sys/fs/cgroup/memory/box'],
      poststop: [{ path: '/bin/true', args: ['true', 'x'], env: ['A=1'], timeout: 5 }],
      terminal: true,
    })
    writeRecord(root, rec)
    t.same(readRecord(root, 'box'), rec)
    t.same(fs.readdirSync(path.join(root, 'box')), ['state.json'], 'no temp file is left')
    t.equal(fs.statSync(path.join(root, 'box', 'state.json')).mode & 0o777, 0o600)
  })

  t.test('replaced atomically: a new file renamed over the old one', async t => {
    const root = t.testdir({ box: {} })
    const file = path.join(root, 'box', 'state.json')
    writeRecord(root, record({ pid: 100 }))
    const before = fs.statSync(file).ino
    const reader = fs.openSync(file, 'r')
    writeRecord(root, record({ pid: 200 }))
    t.not(fs.statSync(file).ino, before, 'a new inode at the path')
    t.equal(JSON.parse(fs.readFileSync(reader, 'utf8')).pid, 100, 'a reader that opened the old one reads it whole')
    fs.closeSync(reader)
    t.equal(readRecord(root, 'box').pid, 200)
  })

  t.test('a write that fails leaves the old record as it was', async t => {
    const root = t.testdir({ box: {} })
    writeRecord(root, record({ pid: 100 }))
    // The temp name is taken by a directory: the open fails before anything is renamed.
    fs.mkdirSync(path.join(root, 'box', `.state.json.${process.pid}.tmp`))
    t.throws(() => writeRecord(root, record({ pid: 200 })))
    t.equal(readRecord(root, 'box').pid, 100)
  })

  t.test('missing: runc\'s "container does not exist"', async t => {
    const root = t.testdir({ creating: {} })
    t.throws(() => readRecord(root, 'none'), { message: NOT_EXIST }, 'no directory')
    t.throws(() => readRecord(root, 'creating'), { message: NOT_EXIST }, 'a directory without a record (a create in progress)')
    t.throws(() => readRecord(path.join(root, 'nowhere'), 'box'), { message: NOT_EXIST }, 'no root')
    t.throws(() => readRecord(root, '../x'), { message: INVALID_ID })
  })

  t.test('corrupt: the error names the file', async t => {
    const root = t.testdir({
      half: { 'state.json': '{"id": "half", "pid": 1' },
      other: { 'state.json': JSON.stringify(record({ id: 'box' })) },
      typed: { 'state.json': JSON.stringify({ ...record({ id: 'typed' }), pid: 'x' }) },
      list: { 'state.json': '[]' },
      hooks: { 'state.json': JSON.stringify({ ...record({ id: 'hooks' }), poststop: [{ args: [] }] }) },
    })
    for (const [id, why] of [
      ['half', /not valid JSON/],
      ['other', /names the container "box"/],
      ['typed', /"pid" is not a pid/],
      ['list', /not a JSON object/],
      ['hooks', /"poststop" is not a list of hooks/],
    ] as const) {
      const e = errorOf(() => readRecord(root, id))
      t.ok(e instanceof OciError, id)
      t.match(e.message, path.join(root, id, 'state.json'), `${id}: names the file`)
      t.match(e.message, why, id)
    }
  })

  t.test('a record of another version without the optional fields reads with defaults', async t => {
    const { rootfs: _r, owner: _o, poststop: _p, cgroupsMade: _m, terminal: _t, annotations: _a, ...old } = record()
    const root = t.testdir({ box: { 'state.json': JSON.stringify(old) } })
    const rec = readRecord(root, 'box')
    t.same(rec, { ...old, annotations: {}, cgroupsMade: [], poststop: [], terminal: false, owner: '' })
    t.notOk('rootfs' in rec)
  })
})

t.test('listRecords', async t => {
  t.test('an absent root lists nothing', async t => {
    t.same(listRecords(path.join(t.testdir({}), 'absent')), [])
  })

  t.test('by id; a create in progress skipped quietly, a corrupt record with a warning', async t => {
    const root = t.testdir({
      zeta: { 'state.json': JSON.stringify(record({ id: 'zeta' })) },
      alpha: { 'state.json': JSON.stringify(record({ id: 'alpha' })) },
      creating: {},
      broken: { 'state.json': 'not json' },
      'stray-file': 'x',
      'not:an:id': { 'state.json': JSON.stringify(record({ id: 'x' })) },
    })
    const warnings: string[] = []
    const list = listRecords(root, (m) => warnings.push(m))
    t.same(list.map((r) => r.id), ['alpha', 'zeta'])
    t.equal(warnings.length, 1)
    t.match(warnings[0], /^skipping broken: .*broken\/state\.json is corrupt/)
  })
})

t.test('status', async t => {
  t.test('running: the pid lives with the recorded start time, no fifo, not frozen', async t => {
    const root = t.testdir({ box: {} })
    t.equal(ociStatus(root, record()), 'running')
    t.ok(initAlive(record()))
  })

  t.test('created while exec.fifo exists', async t => {
    const root = t.testdir({ box: { 'exec.fifo': '' } })
    t.equal(ociStatus(root, record()), 'created')
  })

  t.test('stopped: the pid is gone, reused, unknown, or a zombie', async t => {
    const top = t.testdir({
      root: { box: { 'exec.fifo': '' } },
      proc: {
        '4242': { stat: statLine(4242, 'Z', 777) },
        '4343': { stat: statLine(4343, 'S', 777) },
      },
    })
    const root = `${top}/root`
    const proc = `${top}/proc`
    t.equal(ociStatus(root, record({ pid: DEAD_PID })), 'stopped', 'no such process')
    t.equal(ociStatus(root, record({ pidStart: MY_START + 1 })), 'stopped', 'the pid names another process now')
    t.equal(ociStatus(root, record({ pidStart: null })), 'stopped', 'no start time recorded')
    t.equal(ociStatus(root, record({ pid: 0 })), 'stopped', 'no pid')
    t.equal(ociStatus(root, record({ pid: 4242, pidStart: 777 }), proc), 'stopped', 'a zombie its reaper has yet to collect')
    t.equal(ociStatus(root, record({ pid: 4343, pidStart: 777 }), proc), 'created', 'the same read of a live one (comm with spaces and parentheses)')
  })

  t.test('paused: v1 freezer.state FROZEN, or v2 cgroup.freeze 1 (before created, as runc)', async t => {
    const top = t.testdir({
      root: { box: {} },
      v1: { freezer: { box: { 'freezer.state': 'FROZEN\n', 'cgroup.procs': '' } }, memory: { box: { 'cgroup.procs': '' } } },
      v1thawed: { freezer: { box: { 'freezer.state': 'THAWED\n' } } },
      v2: { box: { 'cgroup.freeze': '1\n', 'cgroup.procs': '' } },
      v2thawed: { box: { 'cgroup.freeze': '0\n' } },
    })
    const cg = top
    const root = `${top}/root`
    const frozenV1 = [`${cg}/v1/memory/box`, `${cg}/v1/freezer/box`]
    t.same(freezerOf(frozenV1), { version: 1, dir: `${cg}/v1/freezer/box` })
    t.equal(ociStatus(root, record({ cgroups: frozenV1 })), 'paused')
    t.equal(ociStatus(root, record({ cgroups: [`${cg}/v1thawed/freezer/box`] })), 'running')
    t.equal(ociStatus(root, record({ cgroups: [`${cg}/v2/box`] })), 'paused')
    t.same(freezerOf([`${cg}/v2/box`]), { version: 2, dir: `${cg}/v2/box` })
    t.equal(ociStatus(root, record({ cgroups: [`${cg}/v2thawed/box`] })), 'running')
    fs.writeFileSync(path.join(root, 'box', 'exec.fifo'), '')
    t.equal(ociStatus(root, record({ cgroups: [`${cg}/v2/box`] })), 'paused', 'a created container can be paused')
    t.equal(ociStatus(root, record({ cgroups: [`${cg}/v2/box`], pid: DEAD_PID })), 'stopped', 'a frozen cgroup with a dead init is stopped')
    t.equal(freezerOf([`${cg}/v1/memory/box`]), undefined, 'no freezer')
  })
})

t.test('ociState: runc\'s object', async t => {
  const root = t.testdir({ box: {} })
  const running = ociState(root, record())
  t.same(Object.keys(running), ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'owner'], 'runc\'s key order, no annotations when there are none')
  t.same(running, {
    ociVersion: '1.2.0',
    id: 'box',
    pid: process.pid,
    status: 'running',
    bundle: '/srv/bundles/box',
    rootfs: '/srv/bundles/box/rootfs',
    created: '2026-12-03T11:29:17.12Z',
    owner: '',
  })
  const stopped = ociState(root, record({ pid: DEAD_PID, annotations: { a: 'b' }, rootfs: undefined }))
  t.same(Object.keys(stopped), ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'annotations', 'owner'])
  t.equal(stopped.pid, 0, 'a stopped container\'s pid is 0, as runc')
  t.equal(stopped.status, 'stopped')
  t.equal(stopped.rootfs, '')
  t.same(stopped.annotations, { a: 'b' })
})

t.test('rfc3339Nano: Go\'s format of a time', async t => {
  t.equal(rfc3339Nano('2026-12-03T11:29:17.120Z'), '2026-12-03T11:29:17.12Z')
  t.equal(rfc3339Nano('2026-12-03T11:29:17.000Z'), '2026-12-03T11:29:17Z')
  t.equal(rfc3339Nano('2026-12-03T11:29:17.123456789+02:00'), '2026-12-03T11:29:17.123456789+02:00')
  t.equal(rfc3339Nano('yesterday'), 'yesterday')
})

t.test('containerPids: every hierarchy, sub-cgroups too, once each', async t => {
  const cg = t.testdir({
    memory: { box: { 'cgroup.procs': '10\n11\n', inner: { 'cgroup.procs': '12\n', deeper: { 'cgroup.procs': '13\n' } } } },
    pids: { box: { 'cgroup.procs': '11\n10\n' } },
    gone: {},
  })
  t.same(containerPids([`${cg}/memory/box`, `${cg}/pids/box`, `${cg}/gone/box`]), [10, 11, 12, 13])
  t.same(containerPids([]), [])
})

t.test('lockContainer', async t => {
  /** The addon's lockFile on plain files: one holder per path at a time. */
  function fakeLocker(): OciLocker & { held: Set<string> } {
    const held = new Set<string>()
    return {
      held,
      lockFile(p: string) {
        const fd = fs.openSync(p, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600)
        if (held.has(p)) {
          fs.closeSync(fd)
          throw Object.assign(new Error('locked by another process'), { code: 'Busy' })
        }
        held.add(p)
        return fd
      },
    }
  }

  t.test('takes <root>/<id>/lock; a second taker waits, then gives up with a message', async t => {
    const root = t.testdir({ box: {} })
    const locker = fakeLocker()
    const fd = await lockContainer(root, 'box', locker)
    t.ok(fs.existsSync(path.join(root, 'box', 'lock')))
    await t.rejects(lockContainer(root, 'box', locker, 60), { message: /container box is busy: another lite-oci command holds .*box\/lock/ })
    fs.closeSync(fd)
  })

  t.test('a holder that lets go within the wait: the waiter gets it', async t => {
    const root = t.testdir({ box: {} })
    const locker = fakeLocker()
    const fd = await lockContainer(root, 'box', locker)
    const lockFile = path.join(root, 'box', 'lock')
    setTimeout(() => {
      locker.held.delete(lockFile)
      fs.closeSync(fd)
    }, 50)
    const second = await lockContainer(root, 'box', locker, 2000)
    t.type(second, 'number')
    fs.closeSync(second)
  })

  t.test('the holder deleted the container: NOT_EXIST for the waiter', async t => {
    const root = t.testdir({ box: {} })
    const locker = fakeLocker()
    await lockContainer(root, 'box', locker)
    setTimeout(() => removeContainerDir(root, 'box'), 50)
    await t.rejects(lockContainer(root, 'box', locker, 2000), { message: NOT_EXIST })
    await t.rejects(lockContainer(root, 'none', locker), { message: NOT_EXIST }, 'no such container')
  })

  t.test('a lock file replaced between open and flock is not the lock: taken again', async t => {
    const root = t.testdir({ box: {} })
    const lockFile = path.join(root, 'box', 'lock')
    let calls = 0
    const locker: OciLocker = {
      lockFile(p) {
        const fd = fs.openSync(p, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600)
        if (++calls === 1) {
          fs.unlinkSync(p)
          fs.writeFileSync(p, '')
        }
        return fd
      },
    }
    const fd = await lockContainer(root, 'box', locker)
    t.equal(calls, 2)
    t.equal(fs.fstatSync(fd).ino, fs.statSync(lockFile).ino)
    fs.closeSync(fd)
  })
})
