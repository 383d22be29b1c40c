// lite-oci's commands that read and act on a container's record (state, list, kill,
// ps, pause/resume, update) and the two that need none (features, spec), against a
// fake --root, fake cgroup trees in t.testdir, and real child processes where a
// signal or ps(1) is the point.

import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import type { CgroupLayout } from '../../runtime/cgroup/detect.ts'
import type { HostCgroups } from '../../runtime/cgroup/resources.ts'
import { processStartTime } from '../../runtime/lifecycle/process-identity.ts'
import { NOT_EXIST, NOT_RUNNING, OciError, type OciGlobal } from '../../runtime/oci/errors.ts'
import { ociStatus, writeRecord, type OciIo, type OciRecord } from '../../runtime/oci/state.ts'
import { parseSpec } from '../../runtime/oci/validate.ts'
import { ociStateCommand } from '../../runtime/oci/commands/state.ts'
import { ociList, ownerName, tabwrite } from '../../runtime/oci/commands/list.ts'
import { ociKill } from '../../runtime/oci/commands/kill.ts'
import { filterPsOutput, ociPs } from '../../runtime/oci/commands/ps.ts'
import { NOT_PAUSED, ociPause, ociResume, setFrozen } from '../../runtime/oci/commands/pause.ts'
import { applyUpdate, ociUpdate, parseMemory, placementOf, resourcesFromJson, updateResources } from '../../runtime/oci/commands/update.ts'
import { LITE_VERSION_ANNOTATION, OCI_VERSION_MAX, liteFeatures, ociFeatures } from '../../runtime/oci/commands/features.ts'
import { exampleSpec, ociSpec } from '../../runtime/oci/commands/spec.ts'
import pkg from '../../package.json' with { type: 'json' }

const DEAD_PID = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8')) + 1

function global(root: string): OciGlobal {
  return { root, logFormat: 'text', debug: false, systemdCgroup: false }
}

function capture(stdin = ''): OciIo & { text: () => string } {
  const out: string[] = []
  return { stdout: (s) => void out.push(s), readStdin: () => stdin, text: () => out.join('') }
}

function record(over: Partial<OciRecord> = {}): OciRecord {
  return {
    id: 'box',
    bundle: '/srv/bundles/box',
    ociVersion: '1.2.0',
    created: '2026-12-03T11:29:17.120Z',
    pid: process.pid,
    pidStart: processStartTime(process.pid)!,
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

/** A root holding these records (each directory made as create makes it). */
function rootWith(dir: string, ...records: OciRecord[]): string {
  const root = path.join(dir, 'root')
  for (const rec of records) {
    fs.mkdirSync(path.join(root, rec.id), { recursive: true })
    writeRecord(root, rec)
  }
  return root
}

/** A `sleep` child, killed at the end of the test; its record points at it. */
async function sleeper(t: Test): Promise<{ child: ChildProcess; exited: Promise<NodeJS.Signals | null>; rec: Partial<OciRecord> }> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' })
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
  t.teardown(() => {
    child.kill('SIGKILL')
  })
  await new Promise((r) => child.on('spawn', r))
  let start: number | undefined
  for (let i = 0; i < 100 && start === undefined; i++) start = processStartTime(child.pid!)
  return { child, exited, rec: { pid: child.pid!, pidStart: start! } }
}

/** The kernel's part of a v2 freeze: cgroup.events follows cgroup.freeze a little later (until the test ends). */
function fakeKernel(t: Test, box: string, ms: number): void {
  const timer = setInterval(() => {
    try {
      const freeze = fs.readFileSync(`${box}/cgroup.freeze`, 'utf8').trim()
      // r+ never creates the file: t.testdir's removal may run before this timer's
      // teardown, and a file made again mid-removal would fail it (ENOTEMPTY).
      fs.writeFileSync(`${box}/cgroup.events`, `populated 1\nfrozen ${freeze}\n`, { flag: 'r+' })
    } catch {}
  }, ms)
  t.teardown(() => clearInterval(timer))
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

t.test('state: runc\'s JSON, two-space indent, no newline after it', async t => {
  const root = rootWith(t.testdir({}), record({ annotations: { 'org.example': 'x' } }))
  const io = capture()
  t.equal(await ociStateCommand({ id: 'box' }, global(root), io), 0)
  t.equal(
    io.text(),
    `{
  "ociVersion": "1.2.0",
  "id": "box",
  "pid": ${process.pid},
  "status": "running",
  "bundle": "/srv/bundles/box",
  "rootfs": "/srv/bundles/box/rootfs",
  "created": "2026-12-03T11:29:17.12Z",
  "annotations": {
    "org.example": "x"
  },
  "owner": ""
}`,
  )
  await t.rejects(ociStateCommand({ id: 'none' }, global(root), capture()), { message: NOT_EXIST })
  await t.rejects(ociStateCommand({ id: '../etc' }, global(root), capture()), { message: 'invalid container ID format' })
})

t.test('list', async t => {
  const dir = t.testdir({})
  const root = rootWith(
    dir,
    record({ id: 'web', bundle: '/b/web' }),
    record({ id: 'db', bundle: '/b/a-much-longer-bundle-path', pid: DEAD_PID, created: '2026-12-03T11:00:00.000Z' }),
  )
  fs.mkdirSync(path.join(root, 'creating'))
  const me = ownerName(process.getuid!())

  t.test('table: Go tabwriter\'s padding (min width 12, padding 3), last column as is', async t => {
    const io = capture()
    t.equal(await ociList({}, global(root), io), 0)
    const lines = io.text().split('\n')
    t.equal(lines.length, 4, 'header, two containers, final newline')
    const created = '2026-12-03T11:29:17.12Z'
    const bundleWidth = '/b/a-much-longer-bundle-path'.length + 3
    const createdWidth = created.length + 3
    t.equal(lines[0], 'ID'.padEnd(12) + 'PID'.padEnd(12) + 'STATUS'.padEnd(12) + 'BUNDLE'.padEnd(bundleWidth) + 'CREATED'.padEnd(createdWidth) + 'OWNER')
    t.equal(lines[1], 'db'.padEnd(12) + '0'.padEnd(12) + 'stopped'.padEnd(12) + '/b/a-much-longer-bundle-path'.padEnd(bundleWidth) + '2026-12-03T11:00:00Z'.padEnd(createdWidth) + me)
    t.equal(lines[2], 'web'.padEnd(12) + String(process.pid).padEnd(12) + 'running'.padEnd(12) + '/b/web'.padEnd(bundleWidth) + created.padEnd(createdWidth) + me)
  })

  t.test('-q: the ids', async t => {
    const io = capture()
    await ociList({ quiet: true }, global(root), io)
    t.equal(io.text(), 'db\nweb\n')
  })

  t.test('json: runc\'s container objects in one array', async t => {
    const io = capture()
    await ociList({ format: 'json' }, global(root), io)
    t.ok(io.text().endsWith(']\n') && !io.text().includes('\n '), 'one compact line, as Go\'s json.Encoder')
    const list = JSON.parse(io.text())
    t.same(list, [
      { ociVersion: '1.2.0', id: 'db', pid: 0, status: 'stopped', bundle: '/b/a-much-longer-bundle-path', rootfs: '/srv/bundles/box/rootfs', created: '2026-12-03T11:00:00Z', owner: me },
      { ociVersion: '1.2.0', id: 'web', pid: process.pid, status: 'running', bundle: '/b/web', rootfs: '/srv/bundles/box/rootfs', created: '2026-12-03T11:29:17.12Z', owner: me },
    ])
    t.same(Object.keys(list[0]), ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'owner'])
  })

  t.test('an absent root lists nothing', async t => {
    const absent = global(path.join(dir, 'absent'))
    const table = capture()
    t.equal(await ociList({}, absent, table), 0)
    t.equal(table.text(), 'ID          PID         STATUS      BUNDLE      CREATED     OWNER\n')
    const json = capture()
    await ociList({ format: 'json' }, absent, json)
    t.equal(json.text(), '[]\n')
  })

  t.test('an unknown format: runc\'s words', async t => {
    await t.rejects(ociList({ format: 'yaml' }, global(root), capture()), { message: 'invalid format option' })
  })

  t.test('ownerName: the passwd name, or #UID', async t => {
    const passwd = path.join(dir, 'passwd')
    fs.writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n')
    t.equal(ownerName(0, passwd), 'root')
    t.equal(ownerName(1000, passwd), 'alice')
    t.equal(ownerName(4242, passwd), '#4242')
  })

  t.test('tabwrite', async t => {
    t.equal(tabwrite([['a', 'b', 'c'], ['a-very-long-cell', 'b', 'c']]), 'a                  b           c\na-very-long-cell   b           c\n')
    t.equal(tabwrite([['ü', 'x']]), 'ü' + ' '.repeat(11) + 'x\n', 'widths in characters')
  })
})

t.test('kill', async t => {
  t.test('SIGTERM by default; KILL, SIGKILL and 9 name the same signal', async t => {
    for (const signal of [undefined, 'KILL', 'SIGKILL', '9', 'sigkill']) {
      const s = await sleeper(t)
      const root = rootWith(t.testdir({}), record(s.rec))
      t.equal(await ociKill({ id: 'box', signal }, global(root)), 0)
      t.equal(await s.exited, signal === undefined ? 'SIGTERM' : 'SIGKILL', String(signal))
    }
  })

  t.test('a created container can be killed', async t => {
    const s = await sleeper(t)
    const dir = t.testdir({})
    const root = rootWith(dir, record(s.rec))
    fs.writeFileSync(path.join(root, 'box', 'exec.fifo'), '')
    t.equal(ociStatus(root, record(s.rec)), 'created')
    await ociKill({ id: 'box', signal: 'TERM' }, global(root))
    t.equal(await s.exited, 'SIGTERM')
  })

  t.test('not running: gone, or its pid reused (never signalled)', async t => {
    const s = await sleeper(t)
    const root = rootWith(t.testdir({}), record({ id: 'gone', pid: DEAD_PID }), record({ id: 'reused', pid: s.rec.pid, pidStart: s.rec.pidStart! + 1 }))
    await t.rejects(ociKill({ id: 'gone', signal: 'KILL' }, global(root)), { message: NOT_RUNNING })
    await t.rejects(ociKill({ id: 'reused', signal: 'KILL' }, global(root)), { message: NOT_RUNNING })
    t.ok(alive(s.rec.pid!), 'the process that has the pid now lives on')
    t.equal(NOT_RUNNING, 'container not running')
  })

  t.test('an unknown signal', async t => {
    const root = rootWith(t.testdir({}), record())
    const e = await ociKill({ id: 'box', signal: 'SIGNOPE' }, global(root)).catch((e) => e)
    t.ok(e instanceof OciError)
    t.match(e.message, /SIGNOPE.*is not a signal/)
    await t.rejects(ociKill({ id: 'none' }, global(root)), { message: NOT_EXIST })
  })

  t.test('--all: every process in the cgroup, under a freeze that is undone', async t => {
    const a = await sleeper(t)
    const b = await sleeper(t)
    const dir = t.testdir({
      freezer: { box: { 'freezer.state': 'THAWED\n', 'cgroup.procs': `${a.rec.pid}\n` } },
      pids: { box: { 'cgroup.procs': `${a.rec.pid}\n`, sub: { 'cgroup.procs': `${b.rec.pid}\n` } } },
    })
    const root = rootWith(dir, record({ ...a.rec, cgroups: [`${dir}/freezer/box`, `${dir}/pids/box`] }))
    t.equal(await ociKill({ id: 'box', signal: 'TERM', all: true }, global(root)), 0)
    t.equal(await a.exited, 'SIGTERM')
    t.equal(await b.exited, 'SIGTERM', 'a process in a sub-cgroup too')
    t.equal(fs.readFileSync(`${dir}/freezer/box/freezer.state`, 'utf8'), 'THAWED', 'thawed again')
  })

  t.test('--all of a container that is not running is no error (runc)', async t => {
    const dir = t.testdir({ pids: { box: { 'cgroup.procs': '' } } })
    const root = rootWith(dir, record({ pid: DEAD_PID, cgroups: [`${dir}/pids/box`] }))
    t.equal(await ociKill({ id: 'box', signal: 'KILL', all: true }, global(root)), 0)
  })

  t.test('--all SIGKILL: cgroup.kill where the kernel has it; a paused container is thawed', async t => {
    const dir = t.testdir({ v2: { box: { 'cgroup.kill': '', 'cgroup.freeze': '1', 'cgroup.events': 'populated 0\nfrozen 1\n', 'cgroup.procs': '' } } })
    const box = `${dir}/v2/box`
    const root = rootWith(dir, record({ pid: DEAD_PID, cgroups: [box] }))
    fakeKernel(t, box, 5)
    t.equal(await ociKill({ id: 'box', signal: 'KILL', all: true }, global(root)), 0)
    t.equal(fs.readFileSync(`${box}/cgroup.kill`, 'utf8'), '1')
    t.equal(fs.readFileSync(`${box}/cgroup.freeze`, 'utf8'), '0')
  })

  t.test('SIGKILL to a paused container thaws it (a v1 frozen task dies only once thawed)', async t => {
    const s = await sleeper(t)
    const dir = t.testdir({ freezer: { box: { 'freezer.state': 'FROZEN\n' } } })
    const root = rootWith(dir, record({ ...s.rec, cgroups: [`${dir}/freezer/box`] }))
    t.equal(ociStatus(root, record({ ...s.rec, cgroups: [`${dir}/freezer/box`] })), 'paused')
    await ociKill({ id: 'box', signal: 'KILL' }, global(root))
    t.equal(await s.exited, 'SIGKILL')
    t.equal(fs.readFileSync(`${dir}/freezer/box/freezer.state`, 'utf8'), 'THAWED')
  })
})

t.test('ps', async t => {
  t.test('json: the pids of its cgroups', async t => {
    const dir = t.testdir({ pids: { box: { 'cgroup.procs': `${process.pid}\n7\n`, sub: { 'cgroup.procs': '5\n' } } } })
    const root = rootWith(dir, record({ cgroups: [`${dir}/pids/box`] }))
    const io = capture()
    t.equal(await ociPs({ id: 'box', format: 'json' }, global(root), io), 0)
    t.equal(io.text(), `[5,7,${process.pid}]\n`)
  })

  t.test('table: ps -ef (or the given args), its header and the container\'s lines only', async t => {
    const s = await sleeper(t)
    const dir = t.testdir({ pids: { box: { 'cgroup.procs': `${s.rec.pid}\n` } } })
    const root = rootWith(dir, record({ ...s.rec, cgroups: [`${dir}/pids/box`] }))
    const io = capture()
    await ociPs({ id: 'box' }, global(root), io)
    const lines = io.text().trimEnd().split('\n')
    t.match(lines[0], /^UID\s+PID\s+PPID/)
    t.equal(lines.length, 2)
    t.match(lines[1], new RegExp(`^\\S+\\s+${s.rec.pid}\\s+${process.pid}\\s.*sleep 60`))
    const custom = capture()
    await ociPs({ id: 'box', psArgs: ['-o', 'pid,comm'] }, global(root), custom)
    t.match(custom.text(), new RegExp(`^\\s*PID COMMAND\\n\\s*${s.rec.pid} sleep\\n$`))
  })

  t.test('filterPsOutput: runc\'s filter', async t => {
    const out = '  PID TTY      STAT   TIME COMMAND\n    1 ?        Ss     0:01 init\n   42 pts/0    S      0:00 sh -c x\n  420 ?        S      0:00 other\n'
    t.equal(filterPsOutput(out, [42]), '  PID TTY      STAT   TIME COMMAND\n   42 pts/0    S      0:00 sh -c x\n')
    t.throws(() => filterPsOutput('USER COMMAND\nroot init\n', [1]), { message: "couldn't find PID field in ps output" })
    t.throws(() => filterPsOutput('PID COMMAND\nabc init\n', [1]), { message: /unable to parse pid/ })
  })

  t.test('not running, or an unknown format', async t => {
    const root = rootWith(t.testdir({}), record({ pid: DEAD_PID }), record({ id: 'up' }))
    await t.rejects(ociPs({ id: 'box', format: 'json' }, global(root), capture()), { message: NOT_RUNNING })
    await t.rejects(ociPs({ id: 'up', format: 'yaml' }, global(root), capture()), { message: 'invalid format option' })
  })
})

t.test('pause and resume', async t => {
  t.test('cgroup v1: freezer.state FROZEN, then THAWED', async t => {
    const dir = t.testdir({ freezer: { box: { 'freezer.state': 'THAWED\n' } }, memory: { box: {} } })
    const rec = record({ cgroups: [`${dir}/memory/box`, `${dir}/freezer/box`] })
    const root = rootWith(dir, rec)
    const state = () => fs.readFileSync(`${dir}/freezer/box/freezer.state`, 'utf8')
    t.equal(await ociPause({ id: 'box' }, global(root)), 0)
    t.equal(state(), 'FROZEN')
    t.equal(ociStatus(root, rec), 'paused')
    await t.rejects(ociPause({ id: 'box' }, global(root)), { message: NOT_RUNNING }, 'a paused one is not running, as runc says')
    t.equal(await ociResume({ id: 'box' }, global(root)), 0)
    t.equal(state(), 'THAWED')
    t.equal(ociStatus(root, rec), 'running')
    await t.rejects(ociResume({ id: 'box' }, global(root)), { message: NOT_PAUSED })
    t.equal(NOT_PAUSED, 'container not paused')
  })

  t.test('cgroup v2: cgroup.freeze, and the wait for cgroup.events', async t => {
    const dir = t.testdir({ v2: { box: { 'cgroup.freeze': '0\n', 'cgroup.events': 'populated 1\nfrozen 0\n' } } })
    const box = `${dir}/v2/box`
    const rec = record({ cgroups: [box] })
    const root = rootWith(dir, rec)
    fakeKernel(t, box, 15)
    await ociPause({ id: 'box' }, global(root))
    t.equal(fs.readFileSync(`${box}/cgroup.freeze`, 'utf8'), '1')
    t.match(fs.readFileSync(`${box}/cgroup.events`, 'utf8'), /^frozen 1$/m, 'returned once the kernel said frozen')
    t.equal(ociStatus(root, rec), 'paused')
    await ociResume({ id: 'box' }, global(root))
    t.equal(fs.readFileSync(`${box}/cgroup.freeze`, 'utf8'), '0')
    t.match(fs.readFileSync(`${box}/cgroup.events`, 'utf8'), /^frozen 0$/m)
  })

  t.test('a freeze that does not complete in time is undone', async t => {
    const dir = t.testdir({ box: { 'cgroup.freeze': '0\n', 'cgroup.events': 'populated 1\nfrozen 0\n' } })
    await t.rejects(setFrozen({ version: 2, dir: `${dir}/box` }, true, 80), { message: /cannot freeze the container: .*cgroup\.events did not say frozen within 0\.08 s; it was thawed again/ })
    t.equal(fs.readFileSync(`${dir}/box/cgroup.freeze`, 'utf8'), '0')
  })

  t.test('created can be paused; stopped, no freezer and unknown ids cannot', async t => {
    const dir = t.testdir({ freezer: { box: { 'freezer.state': 'THAWED\n' } } })
    const root = rootWith(dir, record({ cgroups: [`${dir}/freezer/box`] }), record({ id: 'dead', pid: DEAD_PID, cgroups: [`${dir}/freezer/box`] }), record({ id: 'bare' }))
    fs.writeFileSync(path.join(root, 'box', 'exec.fifo'), '')
    await ociPause({ id: 'box' }, global(root))
    t.equal(fs.readFileSync(`${dir}/freezer/box/freezer.state`, 'utf8'), 'FROZEN')
    await ociResume({ id: 'box' }, global(root))
    await t.rejects(ociPause({ id: 'dead' }, global(root)), { message: NOT_RUNNING })
    await t.rejects(ociResume({ id: 'dead' }, global(root)), { message: NOT_PAUSED })
    await t.rejects(ociPause({ id: 'bare' }, global(root)), { message: /container bare has no freezer/ })
    await t.rejects(ociPause({ id: 'none' }, global(root)), { message: NOT_EXIST })
  })
})

t.test('update', async t => {
  const warnings: string[] = []
  const warn = (m: string) => void warnings.push(m)

  t.test('runc\'s flags -> linux.resources', async t => {
    const r = updateResources(
      {
        id: 'box',
        memory: '512m',
        'memory-reservation': '256M',
        'memory-swap': '-1',
        'cpu-share': '512',
        'cpu-quota': '-1',
        'cpu-period': '100000',
        'cpu-rt-runtime': '950000',
        'cpu-rt-period': '1000000',
        'cpuset-cpus': '0-1',
        'cpuset-mems': '0',
        'pids-limit': '100',
        'blkio-weight': '500',
      },
      () => '',
      warn,
    )
    t.same(r, {
      devices: [],
      hugepageLimits: [],
      unified: {},
      memory: { limit: 512 * 1024 ** 2, reservation: 256 * 1024 ** 2, swap: -1 },
      cpu: { shares: 512, quota: -1, period: 100000, realtimeRuntime: 950000, realtimePeriod: 1000000, cpus: '0-1', mems: '0' },
      pids: { limit: 100 },
      blockIO: { weight: 500, weightDevice: [], throttleReadBpsDevice: [], throttleWriteBpsDevice: [], throttleReadIOPSDevice: [], throttleWriteIOPSDevice: [] },
    })
    t.same(updateResources({ id: 'box', 'cpu-shares': '2', 'pids-limit': -1, 'blkio-weight': 0 }, () => '', warn), {
      devices: [], hugepageLimits: [], unified: {}, cpu: { shares: 2 }, pids: { limit: -1 },
    }, '--cpu-shares too; a blkio weight of 0 is no change')
    t.same(updateResources({ id: 'box' }, () => '', warn), { devices: [], hugepageLimits: [], unified: {} }, 'nothing asked, nothing changed')
  })

  t.test('kernel memory is ignored with runc\'s warning', async t => {
    warnings.length = 0
    const r = updateResources({ id: 'box', 'kernel-memory': '64m', memory: '1g' }, () => '', warn)
    t.same(r.memory, { limit: 1024 ** 3 })
    t.same(warnings, ['Kernel memory settings are ignored and will be removed'])
  })

  t.test('bad values and Intel RDT', async t => {
    t.throws(() => updateResources({ id: 'box', memory: 'lots' }, () => '', warn), { message: "invalid value for memory: invalid size: 'lots'" })
    t.throws(() => updateResources({ id: 'box', 'cpu-period': '-5' }, () => '', warn), { message: /invalid value for cpu-period/ })
    t.throws(() => updateResources({ id: 'box', 'l3-cache-schema': 'L3:0=f' }, () => '', warn), { message: 'Intel RDT/CAT: l3 cache schema is not enabled' })
    t.throws(() => updateResources({ id: 'box', 'mem-bw-schema': 'MB:0=50' }, () => '', warn), { message: 'Intel RDT/MBA: memory bandwidth schema is not enabled' })
  })

  t.test('parseMemory: go-units\' RAMInBytes', async t => {
    t.equal(parseMemory('memory', '1024'), 1024)
    t.equal(parseMemory('memory', '1k'), 1024)
    t.equal(parseMemory('memory', '1.5g'), 1.5 * 1024 ** 3)
    t.equal(parseMemory('memory', '2 GiB'), 2 * 1024 ** 3)
    t.equal(parseMemory('memory', '10MB'), 10 * 1024 ** 2)
    t.equal(parseMemory('memory', '-1'), -1)
    t.throws(() => parseMemory('memory', '-2'))
    t.throws(() => parseMemory('memory', '1x'))
  })

  t.test('--resources FILE or -: the JSON wins over the flags, devices are never touched', async t => {
    const dir = t.testdir({
      'r.json': JSON.stringify({ memory: { limit: 1048576, swap: 2097152 }, cpu: { cpus: '1' }, pids: { limit: 10 }, devices: [{ allow: true, access: 'rwm' }] }),
      'bad.json': '{"memory": {"limit": "lots"}}',
    })
    const r = updateResources({ id: 'box', resources: `${dir}/r.json`, memory: '1g' }, () => '', warn)
    t.same(r.memory, { limit: 1048576, swap: 2097152 })
    t.same(r.cpu, { cpus: '1' })
    t.same(r.pids, { limit: 10 })
    t.same(r.devices, [])
    const stdin = updateResources({ id: 'box', resources: '-' }, () => '{"pids": {"limit": 5}}', warn)
    t.same(stdin.pids, { limit: 5 })
    t.throws(() => updateResources({ id: 'box', resources: `${dir}/bad.json` }, () => '', warn), { message: new RegExp(`^${dir}/bad.json: \\.memory\\.limit: `) })
    t.throws(() => updateResources({ id: 'box', resources: '-' }, () => '{"memory":', warn), { message: /^standard input: not valid JSON/ })
    t.throws(() => resourcesFromJson('[1]', 'x.json'), { message: 'x.json: not a JSON object of linux.resources' })
    t.throws(() => updateResources({ id: 'box', resources: `${dir}/none.json` }, () => '', warn), { message: /cannot read .*none\.json/ })
  })

  /** A v1 host in t.testdir: memory, cpu, cpuset and pids hierarchies, the container's dirs in each. */
  function v1Host(t: Test) {
    const dir = t.testdir({
      memory: { 'memory.memsw.limit_in_bytes': '', lite: { box: { 'memory.limit_in_bytes': String(64 * 1024 ** 2), 'memory.memsw.limit_in_bytes': String(64 * 1024 ** 2) } } },
      cpu: { lite: { box: {} } },
      cpuset: { lite: { box: {} } },
      pids: { lite: { box: {} } },
    })
    const mounts = ['memory', 'cpu', 'cpuset', 'pids']
    const layout: CgroupLayout = {
      mode: 'v1',
      controllers: mounts.map((c) => ({ controller: c, version: 1, mountPoint: `${dir}/${c}` })),
      hierarchies: mounts.map((c) => ({ version: 1, mountPoint: `${dir}/${c}`, options: [c] })),
    }
    const host: HostCgroups = { layout, hasFile: () => true }
    return { dir, layout, host }
  }

  t.test('placementOf: each directory in the hierarchy whose mount holds it', async t => {
    const { dir, layout } = v1Host(t)
    const p = placementOf(layout, [`${dir}/memory/lite/box`, `${dir}/pids/lite/box`, '/elsewhere/box'])
    t.same(p.dirs.map((d) => [d.hierarchy.options, d.relative]), [[['memory'], 'lite/box'], [['pids'], 'lite/box']])
  })

  t.test('writes into the container\'s directory of each write\'s hierarchy', async t => {
    const { dir, host } = v1Host(t)
    const rec = record({ cgroups: ['memory', 'cpu', 'cpuset', 'pids'].map((c) => `${dir}/${c}/lite/box`) })
    const r = updateResources({ id: 'box', memory: '128m', 'memory-swap': '256m', 'cpuset-cpus': '0-1', 'pids-limit': '100' }, () => '', warn)
    const writes = applyUpdate(rec, r, host)
    t.ok(writes.length >= 4)
    const read = (f: string) => fs.readFileSync(`${dir}/${f}`, 'utf8')
    t.equal(read('memory/lite/box/memory.limit_in_bytes'), String(128 * 1024 ** 2))
    t.equal(read('memory/lite/box/memory.memsw.limit_in_bytes'), String(256 * 1024 ** 2))
    t.equal(read('cpuset/lite/box/cpuset.cpus'), '0-1')
    t.equal(read('pids/lite/box/pids.max'), '100')
    const warned: string[] = []
    applyUpdate(rec, resourcesFromJson('{"memory": {"useHierarchy": true}}', 'r.json'), host, (m) => void warned.push(m))
    t.match(warned, [/useHierarchy/], 'the mapping\'s warnings are passed on')
  })

  t.test('v1 memory and swap: the order keeps memory <= memsw at each write (runc\'s rule)', async t => {
    const manager = await import('../../runtime/cgroup/manager.ts')
    const order: string[] = []
    const update = await t.mockImport<typeof import('../../runtime/oci/commands/update.ts')>('../../runtime/oci/commands/update.ts', {
      '../../runtime/cgroup/manager.ts': { ...manager, writeCgroupValues: (_p: unknown, ws: { file: string }[]) => void order.push(...ws.map((w) => w.file)) },
    })
    const { dir, host } = v1Host(t) // the current limit is 64 MiB
    const rec = record({ cgroups: [`${dir}/memory/lite/box`] })
    const w = (file: string, mib: number) => ({ controller: 'memory', version: 1 as const, file, value: String(mib * 1024 ** 2), key: file })
    const apply = (limit: number, swap: number) => {
      order.length = 0
      update.applyUpdate(rec, updateResources({ id: 'box' }, () => '', warn), host, warn, () => ({ writes: [w('memory.limit_in_bytes', limit), w('memory.memsw.limit_in_bytes', swap)], errors: [] }))
      return [...order]
    }
    t.same(apply(128, 256), ['memory.memsw.limit_in_bytes', 'memory.limit_in_bytes'], 'growing past the current limit: memsw first')
    t.same(apply(16, 32), ['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes'], 'shrinking: the limit first')
  })

  t.test('a write the container has no directory for, or the host can\'t take, writes nothing', async t => {
    const { dir, host } = v1Host(t)
    const rec = record({ cgroups: [`${dir}/memory/lite/box`] })
    t.throws(() => applyUpdate(rec, updateResources({ id: 'box', memory: '1g', 'pids-limit': '5' }, () => '', warn), host), { message: /has no cgroup in the v1 pids hierarchy/ })
    t.equal(fs.readFileSync(`${dir}/memory/lite/box/memory.limit_in_bytes`, 'utf8'), String(64 * 1024 ** 2), 'nothing was written')
    t.throws(() => applyUpdate(rec, updateResources({ id: 'box', 'blkio-weight': '100' }, () => '', warn), host), { message: /blkio cgroup controller/ })
    const devices = applyUpdate(rec, updateResources({ id: 'box' }, () => '', warn), host, warn, () => ({
      writes: [{ controller: 'devices', version: 1, file: 'devices.deny', value: 'a', key: 'devices' }],
      errors: [],
    }))
    t.same(devices, [], 'device writes are dropped, as runc\'s update skips devices')
  })

  t.test('ociUpdate: the record, then the host', async t => {
    const { dir, host } = v1Host(t)
    const root = rootWith(dir, record({ cgroups: [`${dir}/pids/lite/box`] }), record({ id: 'dead', pid: DEAD_PID }))
    t.equal(await ociUpdate({ id: 'box', 'pids-limit': 7 }, global(root), capture(), host), 0)
    t.equal(fs.readFileSync(`${dir}/pids/lite/box/pids.max`, 'utf8'), '7')
    t.equal(await ociUpdate({ id: 'box', resources: '-' }, global(root), capture('{"pids":{"limit":8}}'), host), 0)
    t.equal(fs.readFileSync(`${dir}/pids/lite/box/pids.max`, 'utf8'), '8')
    await t.rejects(ociUpdate({ id: 'dead', memory: '1g' }, global(root), capture(), host), { message: NOT_RUNNING })
    await t.rejects(ociUpdate({ id: 'none' }, global(root), capture(), host), { message: NOT_EXIST })
  })
})

t.test('features: the runtime spec\'s features object', async t => {
  const io = capture()
  t.equal(await ociFeatures({}, global('/nonexistent'), io), 0)
  t.ok(io.text().startsWith('{\n    "ociVersionMin": "1.0.0",\n    "ociVersionMax": "1.2.0",\n'), 'four-space indent, as runc')
  t.ok(io.text().endsWith('}\n'))
  const f = JSON.parse(io.text())
  t.same(Object.keys(f), ['ociVersionMin', 'ociVersionMax', 'hooks', 'mountOptions', 'linux', 'annotations'])
  t.equal(f.ociVersionMax, OCI_VERSION_MAX)
  t.same(f.hooks, ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'])
  for (const opt of ['bind', 'rbind', 'ro', 'rw', 'nosuid', 'nodev', 'noexec', 'relatime', 'strictatime', 'rprivate', 'rslave', 'shared']) t.ok(f.mountOptions.includes(opt), opt)
  t.notOk(f.mountOptions.includes('size=65536k'), 'no filesystem data options')
  t.same(f.mountOptions, [...f.mountOptions].sort(), 'sorted')
  t.same(f.linux.namespaces, ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts'], 'no time namespace')
  t.equal(f.linux.capabilities[0], 'CAP_CHOWN')
  t.ok(f.linux.capabilities.includes('CAP_SYS_ADMIN') && f.linux.capabilities.includes('CAP_CHECKPOINT_RESTORE'))
  t.ok(f.linux.capabilities.every((c: string) => /^CAP_[A-Z_]+$/.test(c)))
  t.same(f.linux.cgroup, { v1: true, v2: true, systemd: false, systemdUser: false, rdma: false })
  t.equal(f.linux.seccomp.enabled, true)
  t.ok(f.linux.seccomp.actions.includes('SCMP_ACT_ERRNO'))
  t.notOk(f.linux.seccomp.actions.includes('SCMP_ACT_NOTIFY'), 'no seccomp agent')
  t.ok(f.linux.seccomp.operators.includes('SCMP_CMP_MASKED_EQ'))
  t.ok(f.linux.seccomp.archs.includes('SCMP_ARCH_X86_64') && f.linux.seccomp.archs.includes('SCMP_ARCH_AARCH64'))
  t.same(f.linux.apparmor, { enabled: false })
  t.same(f.linux.selinux, { enabled: false })
  t.same(f.linux.intelRdt, { enabled: false })
  t.same(f.annotations, { [LITE_VERSION_ANNOTATION]: pkg.version })
  t.same(liteFeatures('9.9.9').annotations, { 'io.github.lite.version': '9.9.9' })
})

t.test('spec: runc\'s example config.json', async t => {
  t.test('written into the bundle, tab-indented, no final newline; never over an existing one', async t => {
    const dir = t.testdir({ bundle: {} })
    t.equal(await ociSpec({ bundle: `${dir}/bundle` }, global('/x')), 0)
    const text = fs.readFileSync(`${dir}/bundle/config.json`, 'utf8')
    t.ok(text.startsWith('{\n\t"ociVersion": "1.2.0",\n\t"process": {\n\t\t"terminal": true,'))
    t.ok(text.endsWith('}'), 'no newline after it, as runc writes it')
    fs.writeFileSync(`${dir}/bundle/config.json`, 'mine')
    await t.rejects(ociSpec({ bundle: `${dir}/bundle` }, global('/x')), { message: 'File config.json exists. Remove it first' })
    t.equal(fs.readFileSync(`${dir}/bundle/config.json`, 'utf8'), 'mine', 'left as it was')
    await t.rejects(ociSpec({ bundle: `${dir}/none` }, global('/x')), { message: /no such file or directory/ })
  })

  t.test('the default: runc\'s example, which lite reads back without an error', async t => {
    const spec = exampleSpec({ cgroupNamespace: false }) as any
    t.same(Object.keys(spec), ['ociVersion', 'process', 'root', 'hostname', 'mounts', 'linux'])
    t.same(spec.process.args, ['sh'])
    t.equal(spec.process.terminal, true)
    t.same(spec.process.capabilities, {
      bounding: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      effective: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      permitted: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
    })
    t.same(spec.root, { path: 'rootfs', readonly: true })
    t.same(spec.mounts.map((m: any) => m.destination), ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup'])
    t.same(spec.mounts[2].options, ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'])
    t.same(Object.keys(spec.linux), ['resources', 'namespaces', 'maskedPaths', 'readonlyPaths'])
    t.same(spec.linux.resources, { devices: [{ allow: false, access: 'rwm' }] })
    t.same(spec.linux.namespaces, [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }])
    t.same(exampleSpec({ cgroupNamespace: true }).linux, { ...spec.linux, namespaces: [...spec.linux.namespaces, { type: 'cgroup' }] }, '+cgroup on a cgroup v2 host')
    t.ok(spec.linux.maskedPaths.includes('/proc/kcore') && spec.linux.readonlyPaths.includes('/proc/sysrq-trigger'))
    const parsed = parseSpec(JSON.stringify(spec, null, '\t'), 'config.json')
    t.same(parsed.errors, [], 'lite-oci create would take it')
  })

  t.test('--rootless: runc\'s rootless variant, which lite reads back without an error', async t => {
    const spec = exampleSpec({ cgroupNamespace: true, rootless: { uid: 1000, gid: 100 } }) as any
    t.same(Object.keys(spec.linux), ['uidMappings', 'gidMappings', 'namespaces', 'maskedPaths', 'readonlyPaths'], 'no resources')
    t.same(spec.linux.uidMappings, [{ containerID: 0, hostID: 1000, size: 1 }])
    t.same(spec.linux.gidMappings, [{ containerID: 0, hostID: 100, size: 1 }])
    t.same(spec.linux.namespaces.map((n: any) => n.type), ['pid', 'ipc', 'uts', 'mount', 'cgroup', 'user'], 'no network namespace; user last')
    t.same(spec.mounts[5], { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] })
    t.same(spec.mounts[2].options, ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'], 'no gid=')
    const parsed = parseSpec(JSON.stringify(spec), 'config.json')
    t.same(parsed.errors, [], 'a user namespace with its maps')
    t.same(parseSpec(JSON.stringify(exampleSpec({ cgroupNamespace: false, rootless: { uid: 0, gid: 0 } })), 'config.json').errors, [], 'as root: root mapped to root')
    const dir = t.testdir({})
    await ociSpec({ bundle: dir, rootless: true }, global('/x'))
    const written = JSON.parse(fs.readFileSync(`${dir}/config.json`, 'utf8'))
    t.same(written.linux.uidMappings, [{ containerID: 0, hostID: process.geteuid!(), size: 1 }], 'the caller\'s uid')
  })
})

t.test('exec: the plan from the cache, what changes per call read again; a refused seccomp filter told against config.json, never cached', async t => {
  const a = await sleeper(t)
  const b = await sleeper(t)
  const dir = t.testdir({ bundle: {} })
  const bundle = path.join(dir, 'bundle')
  const spec = {
    ociVersion: '1.0.2',
    process: { args: ['/bin/true'], cwd: '/', env: ['PATH=/bin'], user: { uid: 0, gid: 0 } },
    root: { path: 'rootfs' },
    linux: { namespaces: [{ type: 'mount' }, { type: 'pid' }], seccomp: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ERRNO' }] } },
  }
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec))
  const cgA = path.join(dir, 'cg-a')
  const cgB = path.join(dir, 'cg-b')
  for (const d of [cgA, cgB]) fs.mkdirSync(d)
  const root = rootWith(dir, record({ ...a.rec, bundle, cgroups: [cgA] }))
  // Settled, as the cache wants its inputs (RACY_MS), and a build id: entries are stored.
  await new Promise((r) => setTimeout(r, 2100))
  let refuse = true
  let compiles = 0
  const created: { joinPid?: number; cgroupV2Procs?: string; seccompFilter?: number[] }[] = []
  const fake = {
    compileSeccomp: () => {
      compiles++
      if (refuse) throw new Error('too many instructions')
      return [6, 0x7fff0000]
    },
    create: (plan: (typeof created)[number]) => {
      created.push(plan)
      throw new Error('stop here')
    },
  }
  const saved = process.env.LITE_BUILD_ID
  process.env.LITE_BUILD_ID = 'build-test'
  t.teardown(() => {
    if (saved === undefined) delete process.env.LITE_BUILD_ID
    else process.env.LITE_BUILD_ID = saved
  })
  const { ociExec } = await t.mockImport<typeof import('../../runtime/oci/commands/exec.ts')>('../../runtime/oci/commands/exec.ts', {
    '../../runtime/native/index.ts': { loadNative: async () => fake, addonDirectory: () => '/nonexistent' },
  })
  const args = { id: 'box', args: ['/bin/true'], tty: false, detach: false, env: [], 'additional-gids': [], cap: [], 'no-new-privs': false, 'preserve-fds': 0 }
  const entries = () => fs.readdirSync(path.join(root, 'box')).filter((n) => n.startsWith('oci-exec-'))

  const refused = await ociExec(args, global(root)).catch((e) => e)
  // (the mocked graph has its own errors.ts: the class by name)
  t.equal(refused?.constructor?.name, 'OciError', String(refused))
  t.equal(refused.message, `${path.join(bundle, 'config.json')}: .linux.seccomp: too many instructions`)
  t.same(entries(), [], 'a refused plan is not stored')

  refuse = false
  t.match((await ociExec(args, global(root)).catch((e) => e)).message, /cannot enter box: stop here/)
  t.equal(entries().length, 1, 'a plan that compiles is stored')
  // The container's record now names another process and cgroup: a hit takes those.
  writeRecord(root, record({ ...b.rec, bundle, cgroups: [cgB] }))
  t.match((await ociExec(args, global(root)).catch((e) => e)).message, /cannot enter box: stop here/)
  t.equal(compiles, 2, 'the third exec compiled nothing: a hit')
  t.same(created.map((p) => [p.joinPid, p.cgroupV2Procs, p.seccompFilter]), [
    [a.rec.pid, path.join(cgA, 'cgroup.procs'), [6, 0x7fff0000]],
    [b.rec.pid, path.join(cgB, 'cgroup.procs'), [6, 0x7fff0000]],
  ], 'the pid and cgroups of the record at each call; the filter from the cache')
})
