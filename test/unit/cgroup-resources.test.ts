// [resources] and raw keys mapped onto v1, v2 and hybrid hosts, and the cgroup file
// operations against a fake cgroupfs tree.

import fs from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
import path from 'node:path'
import t from 'tap'
import { validateText } from '../../runtime/config/validate.ts'
import type { CgroupLayout } from '../../runtime/cgroup/detect.ts'
import { resourceWrites, weightToShares, type HostCgroups } from '../../runtime/cgroup/resources.ts'
import { cgroupJoinFiles, createCgroups, placeCgroups } from '../../runtime/cgroup/manager.ts'

const V1 = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids']

function layout(mode: 'v1' | 'v2' | 'hybrid', root = '/sys/fs/cgroup'): CgroupLayout {
  const v2ctl = mode === 'v2' ? ['cpuset', 'cpu', 'io', 'memory', 'pids', 'hugetlb'] : mode === 'hybrid' ? ['hugetlb'] : []
  const hierarchies = [
    ...(mode === 'v2' ? [] : V1.map(c => ({ version: 1 as const, mountPoint: `${root}/${c}`, options: [c] }))),
    ...(mode === 'v1' ? [] : [{ version: 2 as const, mountPoint: mode === 'v2' ? root : `${root}/unified`, options: v2ctl }]),
  ]
  const controllers = hierarchies.flatMap(h => h.options.map(c => ({ controller: c, version: h.version, mountPoint: h.mountPoint })))
  return { mode, unified: hierarchies.find(h => h.version === 2)?.mountPoint, controllers, hierarchies }
}

const host = (mode: 'v1' | 'v2' | 'hybrid', missing: string[] = []): HostCgroups => ({
  layout: layout(mode),
  hasFile: (_c, f) => !missing.includes(f),
})

function config(t: any, lines: string) {
  const dir = t.testdir({ rootfs: {} })
  const file = path.join(dir, 'c.ini')
  const r = validateText(`[rootfs]\npath = rootfs\n[exec]\ncmd = /bin/true\n${lines}`, file)
  t.same(r.errors, [], 'the config is valid')
  return r.config!
}

const brief = (ws: { version: number; file: string; value: string }[]) =>
  ws.filter(w => !w.file.startsWith('devices.')).map(w => `v${w.version} ${w.file}=${w.value}`)

t.test('crun\'s weight to shares conversion', async t => {
  t.equal(weightToShares(1), 2)
  t.equal(weightToShares(100), 2597)
  t.equal(weightToShares(10000), 262144)
})

t.test('every [resources] key on v1 and on v2', async t => {
  const cfg = config(t, '[resources]\nmemory = 64M\nswap = 16M\ncpus = 0.5\nweight = 200\ncpuset = 0-1\nmems = 0\npids = 64\nrt_runtime = 50000\n')
  t.same(brief(resourceWrites(cfg, host('v1')).writes), [
    'v1 memory.limit_in_bytes=67108864',
    'v1 memory.memsw.limit_in_bytes=83886080',
    'v1 cpu.cfs_period_us=100000',
    'v1 cpu.cfs_quota_us=50000',
    'v1 cpu.shares=5219',
    'v1 cpuset.cpus=0-1',
    'v1 cpuset.mems=0',
    'v1 pids.max=64',
    'v1 cpu.rt_runtime_us=50000',
  ], 'v1: memsw is memory + swap, written after memory; period before quota')
  const v2 = resourceWrites(cfg, host('v2'))
  t.same(brief(v2.writes), [
    'v2 memory.max=67108864',
    'v2 memory.swap.max=16777216',
    'v2 cpu.max=50000 100000',
    'v2 cpu.weight=200',
    'v2 cpuset.cpus=0-1',
    'v2 cpuset.mems=0',
    'v2 pids.max=64',
  ])
  t.match(v2.errors, [{ line: 13, message: /rt_runtime: cgroup v2 has no real-time group scheduling/ }])
})

t.test('a hybrid host writes each key where its controller is', async t => {
  const cfg = config(t, '[resources]\nmemory = 64M\npids = max\n[cgroup2]\nhugetlb.2MB.max = 0\n[cgroup]\nmemory.swappiness = 10\n')
  const r = resourceWrites(cfg, host('hybrid'))
  t.same(r.errors, [])
  t.same(brief(r.writes), ['v1 memory.limit_in_bytes=67108864', 'v1 pids.max=max', 'v1 memory.swappiness=10', 'v2 hugetlb.2MB.max=0'])
})

t.test('a key for the wrong version or a missing controller says what the host has', async t => {
  const cfg = config(t, '[cgroup2]\nmemory.high = 32M\n[cgroup]\nio.weight = 100\n[resources]\nio_weight = 2000\n')
  t.matchSnapshot(resourceWrites(cfg, host('hybrid', ['blkio.bfq.weight'])).errors.map(e => `${e.line}: ${e.message}`), 'hybrid')
  const v1only = config(t, '[cgroup2]\ncgroup.max.depth = 3\n')
  t.matchSnapshot(resourceWrites(v1only, host('v1')).errors.map(e => `${e.line}: ${e.message}`), 'v1 host')
  const mem = config(t, '[resources]\nmemory = 64M\n')
  const noMemory: HostCgroups = { layout: { ...layout('v1'), controllers: layout('v1').controllers.filter(c => c.controller !== 'memory') }, hasFile: () => true }
  t.matchSnapshot(resourceWrites(mem, noMemory).errors.map(e => `${e.line}: ${e.message}`), 'no memory controller (Raspberry Pi)')
  const memsw = config(t, '[resources]\nmemory = 64M\nswap = 0\n')
  t.match(resourceWrites(memsw, host('v1', ['memory.memsw.limit_in_bytes'])).errors, [{ line: 7, message: /no memory\.memsw\.limit_in_bytes/ }])
})

t.test('devices: v1 denies all, then the defaults and the passed devices; v2 writes none', async t => {
  const cfg = config(t, '[devices]\nallow[] = /dev/null rw\n')
  const v1 = resourceWrites(cfg, host('v1')).writes.filter(w => w.file.startsWith('devices.'))
  t.same(v1.slice(0, 2).map(w => `${w.file}=${w.value}`), ['devices.deny=a', 'devices.allow=c *:* m'])
  t.same(v1.at(-1), { controller: 'devices', version: 1, file: 'devices.allow', value: 'c 1:3 rw', key: '[devices] allow', origin: { file: cfg.file, line: 6 } })
  t.equal(resourceWrites(cfg, host('v2')).writes.length, 0)
})

t.test('the memory floor is validated', async t => {
  const dir = t.testdir({ rootfs: {} })
  const r = validateText('[rootfs]\npath = rootfs\n[exec]\ncmd = /bin/true\n[resources]\nmemory = 64K\n', path.join(dir, 'c.ini'))
  t.match(r.errors, [{ line: 6, message: /below lite's floor of \d+K \(\d+ pages\)/ }])
})

t.test('create, attach and read OOM kills against a fake cgroupfs', async t => {
  const root = t.testdir({
    cpuset: { 'cpuset.cpus': '0-3\n', 'cpuset.mems': '0\n' },
    memory: { 'memory.limit_in_bytes': '' },
    cpu: { 'cpu.rt_runtime_us': '950000\n' },
    unified: { 'cgroup.subtree_control': '', 'cgroup.controllers': 'hugetlb' },
  })
  const l: CgroupLayout = {
    mode: 'hybrid',
    unified: `${root}/unified`,
    controllers: [],
    hierarchies: [
      { version: 1, mountPoint: `${root}/cpuset`, options: ['cpuset'] },
      { version: 1, mountPoint: `${root}/memory`, options: ['memory'] },
      { version: 1, mountPoint: `${root}/cpu`, options: ['cpu'] },
      { version: 2, mountPoint: `${root}/unified`, options: ['hugetlb'] },
    ],
  }
  const p = placeCgroups(l, 'lite', 'box')
  t.equal(p.v2, `${root}/unified/lite/box`)
  // A real cgroupfs makes the files of a new cgroup; the fake needs them made.
  const origMkdir = fs.mkdirSync
  t.teardown(() => {
    ;(fs as any).mkdirSync = origMkdir
    syncBuiltinESMExports()
  })
  ;(fs as any).mkdirSync = (dir: string, ...rest: any[]) => {
    const r = origMkdir(dir, ...rest)
    if (dir.includes('/cpuset/')) for (const f of ['cpuset.cpus', 'cpuset.mems']) fs.writeFileSync(path.join(dir, f), '')
    if (dir.includes('/cpu/')) fs.writeFileSync(path.join(dir, 'cpu.rt_runtime_us'), '0')
    return r
  }
  syncBuiltinESMExports()
  const creation = { record: () => {}, created: [] as string[] }
  createCgroups(p, [
    { controller: 'memory', version: 1, file: 'memory.limit_in_bytes', value: '4194304', key: '[resources] memory' },
    { controller: 'cpu', version: 1, file: 'cpu.rt_runtime_us', value: '50000', key: '[resources] rt_runtime', parentToo: true },
  ], creation)
  t.same(creation.created, ['cpuset', 'memory', 'cpu', 'unified'].map(h => `${root}/${h}/lite/box`), 'the container\'s dirs, as made')
  const read = (f: string) => fs.readFileSync(`${root}/${f}`, 'utf8')
  t.equal(read('cpuset/lite/cpuset.cpus'), '0-3', 'the parent copies the root\'s cpus')
  t.equal(read('cpuset/lite/box/cpuset.mems'), '0', 'the leaf copies its parent\'s mems')
  t.equal(read('memory/lite/box/memory.limit_in_bytes'), '4194304')
  t.equal(read('cpu/lite/cpu.rt_runtime_us'), '50000', 'rt_runtime goes to the parent first')
  t.equal(read('cpu/lite/box/cpu.rt_runtime_us'), '50000')
  t.same(cgroupJoinFiles(p), { cgroupTasks: ['cpuset', 'memory', 'cpu'].map((h) => `${root}/${h}/lite/box/tasks`), cgroupV2Procs: `${root}/unified/lite/box/cgroup.procs` }, 'the child joins each v1 hierarchy by its tasks file, v2 by cgroup.procs')
})

t.test('v2: controllers are enabled in the ancestors only', async t => {
  const root = t.testdir({ 'cgroup.subtree_control': 'cpu', 'cgroup.controllers': 'cpu memory pids' })
  const l: CgroupLayout = { mode: 'v2', unified: root, controllers: [], hierarchies: [{ version: 2, mountPoint: root, options: ['cpu', 'memory', 'pids'] }] }
  const p = placeCgroups(l, 'lite', 'box')
  createCgroups(p, [
    { controller: 'memory', version: 2, file: 'memory.max', value: '1048576', key: '[resources] memory' },
    { controller: 'pids', version: 2, file: 'pids.max', value: '10', key: '[resources] pids' },
  ], { record: () => {}, created: [] })
  // the fake file keeps the last "+x" written: both were written, one at a time
  t.equal(fs.readFileSync(`${root}/cgroup.subtree_control`, 'utf8'), '+pids', 'root: +memory then +pids')
  t.equal(fs.readFileSync(`${root}/lite/cgroup.subtree_control`, 'utf8'), '+pids', 'the parent too')
  t.notOk(fs.existsSync(`${root}/lite/box/cgroup.subtree_control`), 'never in the container\'s own cgroup')
})
