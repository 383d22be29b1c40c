// Making and removing a container's cgroups against a fake cgroupfs (plain dirs in
// t.testdir): mkdir -p of the parents while other runs make or remove them at the same
// time, a container directory lite did not make, and a removal that never touches a
// parent (the default lite/, an administrator's, or one lite made).

import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import type { CgroupLayout } from '../../runtime/cgroup/detect.ts'
import type * as Manager from '../../runtime/cgroup/manager.ts'
import type { LiteError } from '../../runtime/errors.ts'

type FsOverrides = Partial<Record<'mkdirSync' | 'writeFileSync', (...args: any[]) => unknown>>

/** mkdir as on a real cgroupfs: a new cpuset cgroup has empty cpus and mems files. */
function cgroupMkdir(dir: string, ...rest: any[]) {
  const r = fs.mkdirSync(dir, ...rest)
  if (dir.includes('/cpuset/')) for (const f of ['cpuset.cpus', 'cpuset.mems']) fs.writeFileSync(path.join(dir, f), '')
  return r
}

/** manager.ts with some fs calls wrapped. */
async function manager(t: Test, over: FsOverrides = {}) {
  return t.mockImport<typeof Manager>('../../runtime/cgroup/manager.ts', {
    'node:fs': { ...fs, mkdirSync: cgroupMkdir, ...over },
  })
}

function hostTree(t: Test) {
  const root = t.testdir({
    cpuset: { 'cpuset.cpus': '0-3\n', 'cpuset.mems': '0\n' },
    memory: {},
  })
  const layout: CgroupLayout = {
    mode: 'v1',
    controllers: [],
    hierarchies: [
      { version: 1, mountPoint: `${root}/cpuset`, options: ['cpuset'] },
      { version: 1, mountPoint: `${root}/memory`, options: ['memory'] },
    ],
  }
  return { root, layout }
}

const ENOENT = () => Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT' })
const EBUSY = () => Object.assign(new Error('EBUSY: resource busy'), { code: 'EBUSY' })

t.test('mkdir -p: parents may exist; the record comes before the first mkdir', async t => {
  const { root, layout } = hostTree(t)
  fs.mkdirSync(`${root}/memory/lite`)
  const order: string[] = []
  const m = await manager(t, {
    mkdirSync: (dir: string, ...rest: any[]) => {
      order.push(`mkdir ${path.relative(root, dir)}`)
      return cgroupMkdir(dir, ...rest)
    },
  })
  const p = m.placeCgroups(layout, 'lite', 'box')
  const created: string[] = []
  m.createCgroups(p, [], { record: paths => order.push(`record ${paths.map(x => path.relative(root, x)).join(' ')}`), created })
  t.same(order, ['record cpuset/lite/box memory/lite/box', 'mkdir cpuset/lite', 'mkdir cpuset/lite/box', 'mkdir memory/lite', 'mkdir memory/lite/box'])
  t.same(created, [`${root}/cpuset/lite/box`, `${root}/memory/lite/box`])
  t.equal(fs.readFileSync(`${root}/cpuset/lite/box/cpuset.cpus`, 'utf8'), '0-3')
})

t.test('a parent removed meanwhile (by another run) is made again', async t => {
  const { root, layout } = hostTree(t)
  let vanished = 0
  const m = await manager(t, {
    mkdirSync: (dir: string, ...rest: any[]) => {
      // The first time the container's own dir is made, its parent goes just before.
      if (dir === `${root}/cpuset/lite/box` && vanished++ === 0) fs.rmSync(`${root}/cpuset/lite`, { recursive: true })
      return cgroupMkdir(dir, ...rest)
    },
  })
  const created: string[] = []
  m.createCgroups(m.placeCgroups(layout, 'lite', 'box'), [], { record: () => {}, created })
  t.equal(vanished, 2, 'tried again')
  t.same(created, [`${root}/cpuset/lite/box`, `${root}/memory/lite/box`])
  t.equal(fs.readFileSync(`${root}/cpuset/lite/cpuset.mems`, 'utf8'), '0', 'the parent made again copies the cpus and mems again')
})

t.test('a parent that keeps vanishing: a clear error after a bounded number of tries, no stack trace', async t => {
  const { layout } = hostTree(t)
  let tries = 0
  const m = await manager(t, {
    mkdirSync: (dir: string) => {
      if (dir.endsWith('/box')) {
        tries++
        throw ENOENT()
      }
      return cgroupMkdir(dir)
    },
  })
  const err = t.throws(() => m.createCgroups(m.placeCgroups(layout, 'lite', 'box'), [], { record: () => {}, created: [] })) as LiteError
  t.equal(err.constructor.name, 'LiteError', 'a LiteError (FILE-free text, exit 125), not a stack trace')
  t.match(err.message, /^cannot create the cgroup .*\/cpuset\/lite\/box: No such file or directory \(ENOENT\)$/)
  t.equal(tries, 3)
})

t.test('cpuset: a concurrent creator that copied the cpus first is fine; an empty file after a failed copy is an error', async t => {
  const { root, layout } = hostTree(t)
  const m = await manager(t, {
    writeFileSync: (file: string, value: string) => {
      // Another run wrote the parent's cpus a moment before ours, which then fails.
      if (file === `${root}/cpuset/lite/cpuset.cpus`) {
        fs.writeFileSync(file, '0-3')
        throw EBUSY()
      }
      return fs.writeFileSync(file, value)
    },
  })
  const created: string[] = []
  m.createCgroups(m.placeCgroups(layout, 'lite', 'box'), [], { record: () => {}, created })
  t.equal(created.length, 2)

  const other = hostTree(t)
  const failing = await manager(t, {
    writeFileSync: (file: string, value: string) => {
      if (file.endsWith('/lite/cpuset.mems')) throw EBUSY()
      return fs.writeFileSync(file, value)
    },
  })
  const err = t.throws(() => failing.createCgroups(failing.placeCgroups(other.layout, 'lite', 'box'), [], { record: () => {}, created: [] })) as LiteError
  t.equal(err.constructor.name, 'LiteError', 'a LiteError (FILE-free text, exit 125), not a stack trace')
  t.match(err.message, /^cannot copy cpuset\.mems into .*\/cpuset\/lite: Device or resource busy \(EBUSY\)$/)
})

t.test('a container dir that exists already is not lite\'s: refused before anything is recorded or made', async t => {
  const { root, layout } = hostTree(t)
  fs.mkdirSync(`${root}/memory/lite/box`, { recursive: true })
  const m = await manager(t)
  let recorded = false
  const created: string[] = []
  const err = t.throws(() => m.createCgroups(m.placeCgroups(layout, 'lite', 'box'), [], { record: () => (recorded = true), created })) as LiteError
  t.match(err.message, /cgroup .*\/memory\/lite\/box: it exists already, and lite did not make it/)
  t.notOk(recorded)
  t.same(created, [])
  t.notOk(fs.existsSync(`${root}/cpuset/lite/box`), 'nothing made in the other hierarchies')
})

t.test('removal: the container dirs and their sub-cgroups, never a parent', async t => {
  const root = t.testdir({
    memory: { lite: { box: { sub: { deeper: {} } }, other: {} }, admin: { limits: { box: {} } } },
    pids: { lite: { box: {} } },
  })
  const m = await manager(t)
  await m.removeCgroupDirs([`${root}/memory/lite/box`, `${root}/memory/admin/limits/box`, `${root}/pids/lite/box`, `${root}/pids/lite/missing`])
  for (const gone of ['memory/lite/box', 'memory/admin/limits/box', 'pids/lite/box']) t.notOk(fs.existsSync(`${root}/${gone}`), `${gone} removed`)
  for (const kept of ['memory/lite/other', 'memory/admin/limits', 'memory/admin', 'pids/lite']) t.ok(fs.existsSync(`${root}/${kept}`), `${kept} kept`)
})

t.test('the v2 device program only where no v1 devices controller confines', async t => {
  const m = await manager(t)
  const v1Devices = { version: 1 as const, mountPoint: '/sys/fs/cgroup/devices', options: ['devices'] }
  const v1Memory = { version: 1 as const, mountPoint: '/sys/fs/cgroup/memory', options: ['memory'] }
  const v2 = { version: 2 as const, mountPoint: '/sys/fs/cgroup/unified', options: [] }
  const place = (hierarchies: CgroupLayout['hierarchies']) => m.placeCgroups({ mode: 'hybrid', controllers: [], hierarchies }, 'lite', 'box')
  t.equal(m.needsDeviceProgram(place([v1Devices, v1Memory, v2])), false, 'hybrid with v1 devices: the list alone, as crun and runc')
  t.equal(m.v1DevicesDir(place([v1Devices, v1Memory, v2]))?.path, '/sys/fs/cgroup/devices/lite/box')
  t.equal(m.needsDeviceProgram(place([v1Memory, v2])), true, 'v2 without a v1 devices controller: the program')
  t.equal(m.needsDeviceProgram(place([{ ...v2, mountPoint: '/sys/fs/cgroup' }])), true, 'pure v2')
  t.equal(m.needsDeviceProgram(place([v1Devices, v1Memory])), false, 'pure v1: no v2 cgroup to attach to')
})
