// The fast exec entry's writer (runtime/lifecycle/fast-exec-entry.ts): which execs leave
// a container one, its records as native-rs/src/fast_run/entry.rs parse_exec reads
// them, and that it is written, removed or left alone as the fast run's entry is.

import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { entryRecords } from '../support/fast-entries.ts'
import type { FastExecFacts } from '../../runtime/lifecycle/fast-exec-entry.ts'
import type { NativePlan } from '../../runtime/native/index.ts'

type Writer = typeof import('../../runtime/lifecycle/fast-exec-entry.ts')

async function writerOf(t: Test, build = 'b1'): Promise<Writer> {
  const saved = process.env.LITE_BUILD_ID
  process.env.LITE_BUILD_ID = build
  try {
    return await t.mockImport<Writer>('../../runtime/lifecycle/fast-exec-entry.ts')
  } finally {
    if (saved === undefined) delete process.env.LITE_BUILD_ID
    else process.env.LITE_BUILD_ID = saved
  }
}

const JOIN_PLAN = {
  namespaces: ['mount', 'uts', 'ipc', 'pid', 'net'],
  ops: [],
  newRoot: '/run/lite/c/root',
  loopbackUp: false,
  netSocket: false,
  execCandidates: ['/usr/bin/ps', '/bin/ps'],
  argv: ['ps'],
  env: ['PATH=/usr/bin:/bin'],
  cwd: '/',
  uid: 0,
  gid: 0,
  groups: [],
  caps: [0, 1],
  noNewPrivs: true,
  seccompFilter: [6, 0, 0, 2147418112],
  rlimits: [],
  stubInit: false,
  tty: false,
  stdin: false,
  cgroupTasks: ['/sys/fs/cgroup/pids/lite/c/tasks'],
  joinPid: 4242,
  joinSetgroupsDenied: false,
} as unknown as NativePlan

function facts(over: Partial<FastExecFacts> = {}, plan: Record<string, unknown> = {}): FastExecFacts {
  return {
    name: 'c',
    tty: false,
    interactive: false,
    noCache: false,
    inputs: [['/etc/lite/c.ini', '1:2:33188:10:5:6:0']],
    joinPlan: { ...JOIN_PLAN, ...plan } as NativePlan,
    v2: '/sys/fs/cgroup/unified/lite/c',
    pid: 4242,
    pidStart: 777,
    spec: 'name c\nexec_only 1\nlite /usr/bin/lite\n',
    stateRoot: '/run/lite',
    stateDir: '/run/lite/c',
    addonDir: '/run/lite',
    rootless: false,
    env: { PATH: '/bin' },
    ...over,
  }
}

const records = (text: string) => entryRecords(text, 'lite-fast-exec 1\n')

t.test('which execs leave an entry', async (t) => {
  const w = await writerOf(t)
  t.equal(w.notPlainExec(facts()), undefined)
  t.equal(w.fastExecIneligible(facts()), undefined)
  const notPlain: [string, Partial<FastExecFacts>][] = [
    ['-t', { tty: true }],
    ['-i', { interactive: true }],
    ['--no-cache', { noCache: true }],
    ['rootless', { rootless: true }],
    ['another state root', { stateRoot: '/tmp/lite' }],
    ['an addon elsewhere', { addonDir: '/tmp' }],
    ['another store', { env: { LITE_STORE: '/srv/store' } }],
  ]
  for (const [what, over] of notPlain) t.ok(w.notPlainExec(facts(over)), what)
  t.equal(w.notPlainExec(facts({ env: { LITE_FAST: '0', LITE_TRACE: '1' } })), undefined, 'the full path\'s mark and tracing are plain')
  const ineligible: [string, FastExecFacts][] = [
    ['no start time', facts({ pidStart: null })],
    ['a terminal', facts({}, { tty: true })],
    ['stdin', facts({}, { stdin: true })],
    ['an op', facts({}, { ops: [{ kind: 'mask', target: '/x' }] })],
    ['an fd of this exec', facts({}, { initExeFd: 5 })],
  ]
  for (const [what, f] of ineligible) t.ok(w.fastExecIneligible(f), what)
  t.equal((await writerOf(t, '')).notPlainExec(facts()), 'no build id')
})

t.test('the records', async (t) => {
  const w = await writerOf(t)
  const r = records(w.fastExecEntryText(facts(), { host: 'h'.repeat(64), hostSteady: true, kernel: '6.1.0', signature: () => '' }))
  t.same(r.map(([k]) => k), ['build', 'kernel', 'host', 'input', 'name', 'state_dir', 'pid', 'pid_start', 'plan', 'v2', 'spec'])
  const get = (key: string) => r.find(([k]) => k === key)?.[1]
  t.equal(get('pid'), '4242')
  t.equal(get('pid_start'), '777')
  t.same(JSON.parse(get('plan')!), { ...JOIN_PLAN, argv: [], execCandidates: [] }, 'the command is not part of it')
  t.equal(get('spec'), 'name c\nexec_only 1\nlite /usr/bin/lite\n', 'a value with newlines is one record')
  const noV2 = records(w.fastExecEntryText(facts({ v2: undefined }), { host: 'h', hostSteady: true, kernel: 'k', signature: () => '' }))
  t.notOk(noV2.some(([k]) => k === 'v2'), 'a v1 host: no cgroup2 directory')
})

t.test('written, removed, or left alone', async (t) => {
  const w = await writerOf(t)
  const path = join(t.testdir(), 'exec.fast')
  const parts = (signature: (p: string) => string = (p) => (p === '/etc/lite/c.ini' ? '1:2:33188:10:5:6:0' : '-')) => () => ({ host: 'h', hostSteady: true, kernel: 'k', signature })
  t.equal(w.updateFastExecEntry(facts(), parts(), path), 'written')
  t.ok(readFileSync(path, 'utf8').startsWith('lite-fast-exec 1\n'))
  t.match(w.updateFastExecEntry(facts({ tty: true }), parts(), path), /^left alone/)
  t.ok(existsSync(path), 'exec -t leaves the plain exec\'s entry')
  t.equal(w.updateFastExecEntry(facts(), parts(() => '!EACCES'), path), 'none (the native signature of /etc/lite/c.ini differs)')
  t.notOk(existsSync(path))
  writeFileSync(path, 'old')
  t.equal(w.updateFastExecEntry(facts({ inputs: undefined }), parts(), path), 'none (no cache entry)')
  t.notOk(existsSync(path), 'an exec whose plan was not cached removes it')
  t.match(w.updateFastExecEntry(facts(), parts(), join(t.testdir(), 'gone', 'exec.fast')), /^not written: /)
})
