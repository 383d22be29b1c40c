// The fast entry's writer (runtime/lifecycle/fast-entry.ts): which runs get one, its
// records (native-rs/src/fast_run/entry.rs reads them), and that it is written, removed
// or left alone as the run says.

import { existsSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { entryRecords } from '../support/fast-entries.ts'
import type { FastRunFacts } from '../../runtime/lifecycle/fast-entry.ts'
import type { CgroupPlacement } from '../../runtime/cgroup/manager.ts'
import { CACHE_FILES_MAX } from '../../runtime/plan/plan-cache.ts'

type Writer = typeof import('../../runtime/lifecycle/fast-entry.ts')

async function writerOf(t: Test, build = 'b1'): Promise<Writer> {
  const saved = process.env.LITE_BUILD_ID
  process.env.LITE_BUILD_ID = build
  try {
    return await t.mockImport<Writer>('../../runtime/lifecycle/fast-entry.ts')
  } finally {
    if (saved === undefined) delete process.env.LITE_BUILD_ID
    else process.env.LITE_BUILD_ID = saved
  }
}

const V1: CgroupPlacement = {
  parent: 'lite',
  dirs: [
    { hierarchy: { version: 1, mountPoint: '/sys/fs/cgroup/memory', options: ['memory'] }, relative: 'lite/c', path: '/sys/fs/cgroup/memory/lite/c' },
    { hierarchy: { version: 1, mountPoint: '/sys/fs/cgroup/cpuset', options: ['cpuset'] }, relative: 'lite/c', path: '/sys/fs/cgroup/cpuset/lite/c' },
    { hierarchy: { version: 1, mountPoint: '/sys/fs/cgroup/devices', options: ['devices'] }, relative: 'lite/c', path: '/sys/fs/cgroup/devices/lite/c' },
    { hierarchy: { version: 2, mountPoint: '/sys/fs/cgroup/unified', options: ['pids'] }, relative: 'lite/c', path: '/sys/fs/cgroup/unified/lite/c' },
  ],
  v2: '/sys/fs/cgroup/unified/lite/c',
}

function facts(over: Partial<FastRunFacts> = {}, config: Record<string, unknown> = {}, native: Record<string, unknown> = {}): FastRunFacts {
  return {
    opts: { config: '/etc/lite/c.ini', tty: false, interactive: false },
    config: {
      container: { name: 'c' },
      net: { type: 'none' },
      rootfs: {},
      user: { map: 'none' },
      hooks: { preStart: [], postStop: [] },
      health: {},
      ...config,
    } as unknown as FastRunFacts['config'],
    plan: {
      native: { namespaces: ['mount'], ops: [], argv: ['/bin/true'], initExeFd: 9, cgroupTasks: ['/sys/fs/cgroup/memory/lite/c/tasks'], ...native },
      ops: [],
      etcFiles: [{ hostPath: '/run/lite/c/etc/hosts', content: '127.0.0.1 localhost\n' }],
      dirs: ['/run/lite/c/root'],
      stateDir: '/run/lite/c',
      config: {},
      cgroupWrites: [
        { controller: 'memory', version: 1, file: 'memory.limit_in_bytes', value: '67108864', key: '[resources] memory' },
        { controller: 'pids', version: 2, file: 'pids.max', value: '64', key: '[resources] pids' },
      ],
    } as unknown as FastRunFacts['plan'],
    inputs: [['/etc/lite/c.ini', '1:2:33188:10:5:6:0']],
    cgroups: V1,
    delegated: false,
    restart: { restarts: 0, backoffMs: 0 },
    stateRoot: '/run/lite',
    stateDir: '/run/lite/c',
    addonDir: '/run/lite',
    rootless: false,
    warned: false,
    env: { PATH: '/bin' },
    ...over,
  }
}

const records = (text: string) => entryRecords(text, 'lite-fast 1\n')

t.test('which runs get an entry', async (t) => {
  const w = await writerOf(t)
  t.equal(w.notPlain(facts()), undefined)
  t.equal(w.fastIneligible(facts()), undefined)
  const notPlain: [string, Partial<FastRunFacts>][] = [
    ['a name', { opts: { config: 'c.ini', name: 'x', tty: false, interactive: false } }],
    ['a command', { opts: { config: 'c.ini', cmd: ['/bin/sh'], tty: false, interactive: false } }],
    ['a terminal', { opts: { config: 'c.ini', tty: true, interactive: true } }],
    ['--no-cache', { opts: { config: 'c.ini', noCache: true, tty: false, interactive: false } }],
    ['detached', { opts: { config: 'c.ini', detached: true, tty: false, interactive: false } }],
    ['a restart', { restart: { restarts: 1, backoffMs: 100 } }],
    ['rootless', { rootless: true }],
    ['another state root', { stateRoot: '/tmp/lite' }],
    ['an addon elsewhere', { addonDir: '/tmp' }],
    ['another store', { env: { LITE_STORE: '/srv/store' } }],
  ]
  for (const [what, over] of notPlain) t.ok(w.notPlain(facts(over)), what)
  t.equal(w.notPlain(facts({ env: { LITE_FAST: '0', LITE_TRACE: '1' } })), undefined, 'the full path\'s mark and tracing are plain')
  const ineligible: [string, FastRunFacts][] = [
    ['no cache entry', facts({ inputs: undefined })],
    ['a bridge', facts({}, { net: { type: 'bridge' } })],
    ['an image', facts({}, { rootfs: { image: { ref: 'x' } } })],
    ['a user namespace', facts({}, { user: { map: 'auto' } })],
    ['a pre-start hook', facts({}, { hooks: { preStart: [{ argv: ['/bin/true'] }], postStop: [] } })],
    ['a health check', facts({}, { health: { cmd: ['/bin/true'] } })],
    ['a loop image', facts({}, {}, { loopImage: '/img.sqfs' })],
    ['a terminal', facts({}, {}, { tty: true })],
    ['an id-mapped mount', facts({}, {}, { ops: [{ kind: 'mount', target: '/x', idmap: true }] })],
    ['a device program it did not attach', facts({ cgroups: { ...V1, dirs: V1.dirs.filter((d) => !d.hierarchy.options.includes('devices')) } })],
    ['a delegated cgroup', facts({ delegated: true })],
    ['a warning', facts({ warned: true })],
  ]
  for (const [what, f] of ineligible) t.ok(w.fastIneligible(f), what)
  const noBuild = await writerOf(t, '')
  t.equal(noBuild.notPlain(facts()), 'no build id')
})

t.test('the records', async (t) => {
  const w = await writerOf(t)
  const text = w.fastEntryText(facts(), { host: 'h'.repeat(64), hostSteady: true, kernel: '6.1.0', state: 'name=c\n', spec: 'name c\n', signature: () => '' })
  const r = records(text)
  const all = (key: string) => r.filter(([k]) => k === key).map(([, v]) => v)
  t.same(all('build'), ['b1'])
  t.same(all('config'), ['/etc/lite/c.ini'])
  t.same(all('input'), ['/etc/lite/c.ini\u00001:2:33188:10:5:6:0'])
  const plan = JSON.parse(all('plan')[0]!)
  t.equal(plan.initExeFd, undefined, 'this run\'s fds are left out')
  t.same(plan.argv, ['/bin/true'])
  t.same(all('cgroup'), V1.dirs.map((d) => d.path))
  t.same(all('cpuset'), ['/sys/fs/cgroup/cpuset/lite/c'])
  t.same(all('v2'), ['/sys/fs/cgroup/unified/lite/c'])
  t.same(all('subtree'), ['/sys/fs/cgroup/unified\u0000pids', '/sys/fs/cgroup/unified/lite\u0000pids'], 'each v2 ancestor enables what the writes need')
  t.same(all('write'), ['/sys/fs/cgroup/memory/lite/c/memory.limit_in_bytes\u000067108864', '/sys/fs/cgroup/unified/lite/c/pids.max\u000064'])
  t.same(all('file'), ['/run/lite/c/etc/hosts\u0000127.0.0.1 localhost\n'], 'a value with a newline is one record')
  t.same(all('state'), ['name=c\n'])
  t.same(all('spec'), ['name c\n'])
})

t.test('a cgroup v2 host: the device program\'s rules go with the entry', async (t) => {
  const w = await writerOf(t)
  const v2: CgroupPlacement = { parent: 'lite', dirs: [V1.dirs[3]!], v2: V1.v2 }
  const f = facts({ cgroups: v2, deviceProgram: ['c 1:3 rwm', 'c 136:* rw'] })
  t.equal(w.fastIneligible(f), undefined)
  const r = records(w.fastEntryText(f, { host: 'h', hostSteady: true, kernel: 'k', state: '', spec: '', signature: () => '' }))
  t.same(r.filter(([k]) => k === 'device_program' || k === 'device'), [['device_program', ''], ['device', 'c 1:3 rwm'], ['device', 'c 136:* rw']])
})

t.test('written, removed, or left alone', async (t) => {
  const w = await writerOf(t)
  const path = join(t.testdir(), 'fast-entry')
  const parts = (signature: (p: string) => string = (p) => (p === '/etc/lite/c.ini' ? '1:2:33188:10:5:6:0' : '-')) => () => ({ host: 'h', hostSteady: true, kernel: 'k', state: 's', spec: 'p', signature })
  t.equal(w.updateFastEntry(facts(), parts(), path), 'written')
  t.ok(readFileSync(path, 'utf8').startsWith('lite-fast 1\n'))
  t.match(w.updateFastEntry(facts({ opts: { config: 'c.ini', name: 'x', tty: false, interactive: false } }), parts(), path), /^left alone/)
  t.ok(existsSync(path), 'another request leaves the plain run\'s entry')
  t.match(w.updateFastEntry(facts({}, {}, {}), parts(() => '!EACCES'), path), /^none \(the native signature of \/etc\/lite\/c\.ini differs\)$/)
  t.notOk(existsSync(path), 'an entry that the native check would always miss is not kept')
  writeFileSync(path, 'old')
  t.equal(w.updateFastEntry(facts({}, { net: { type: 'bridge' } }), parts(), path), 'none ([net] type = bridge)')
  t.notOk(existsSync(path), 'a plain run of a config that no longer qualifies removes it')
  t.match(w.updateFastEntry(facts(), parts(), join(t.testdir(), 'missing-dir', 'fast')), /^not written: /, 'a failure only costs the next run its speed')
  const moved = () => ({ ...parts()(), hostSteady: false })
  t.equal(w.updateFastEntry(facts(), moved, path), 'none (the host facts changed meanwhile)', 'a digest taken after the facts moved is not paired with the plan')
})

t.test('a written entry trims the shared directory to its cap, keeping itself', async (t) => {
  const w = await writerOf(t)
  const dir = t.testdir()
  const old = Date.now() / 1000 - 100
  for (let i = 0; i < CACHE_FILES_MAX + 3; i++) {
    writeFileSync(join(dir, `run-${i}`), 'x')
    utimesSync(join(dir, `run-${i}`), old + i, old + i)
  }
  const parts = () => ({ host: 'h', hostSteady: true, kernel: 'k', state: 's', spec: 'p', signature: (p: string) => (p === '/etc/lite/c.ini' ? '1:2:33188:10:5:6:0' : '-') })
  t.equal(w.updateFastEntry(facts(), parts, join(dir, 'fast-entry')), 'written')
  t.equal(readdirSync(dir).length, CACHE_FILES_MAX)
  t.ok(existsSync(join(dir, 'fast-entry')))
  t.notOk(existsSync(join(dir, 'run-0')), 'the oldest went')
})
