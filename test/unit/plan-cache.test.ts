// The compiled-plan cache: a hit only when the build, the request, the host facts and
// every input file match; every other case falls back to the full path and never
// returns a stale plan.

import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import type { HostFacts } from '../../runtime/plan/etc-files.ts'
import type { Compiled } from '../../runtime/plan/plan-cache.ts'
import { noteInput, recordInputs } from '../../runtime/plan/inputs.ts'

type Cache = typeof import('../../runtime/plan/plan-cache.ts')

/** plan-cache.ts as built with this build id (read at load, as in the binary). */
async function cacheOf(t: Test, build: string): Promise<Cache> {
  const saved = process.env.LITE_BUILD_ID
  process.env.LITE_BUILD_ID = build
  try {
    // The same inputs.ts as the fixture notes its reads into (one instance, as in the binary).
    return await t.mockImport<Cache>('../../runtime/plan/plan-cache.ts', { '../../runtime/plan/inputs.ts': { noteInput, recordInputs } })
  } finally {
    if (saved === undefined) delete process.env.LITE_BUILD_ID
    else process.env.LITE_BUILD_ID = saved
  }
}

const HOST: HostFacts = { resolvConf: 'nameserver 10.0.0.1\n', localtime: null, hostname: 'board' }
const KERNEL = '6.1.0'
const LATER = () => Date.now() + 10_000 // the inputs count as settled (RACY_MS)

interface Fixture {
  root: string
  state: string
  config: string
  profile: string
  req: { purpose: string; file: string; options: Record<string, unknown> }
  /** how many times the full path ran */
  compiles: number
  /** what the full path returns: it reads the config and the profile, as validation would */
  compile: () => Compiled
}

function fixture(t: Test): Fixture {
  const root = t.testdir({ 'c.ini': '[exec]\ncmd = /bin/true\n', 'profile.json': '{}', state: {} })
  const f: Fixture = {
    root,
    state: path.join(root, 'state'),
    config: path.join(root, 'c.ini'),
    profile: path.join(root, 'profile.json'),
    req: { purpose: 'run', file: path.join(root, 'c.ini'), options: { overrides: {}, tty: false } },
    compiles: 0,
    compile: () => {
      f.compiles++
      noteInput(f.config)
      noteInput(f.profile)
      noteInput(path.join(root, 'absent-bind-source'))
      const text = fs.readFileSync(f.config, 'utf8')
      return {
        config: { rootfs: { image: undefined }, net: { type: 'none' }, text } as unknown as Compiled['config'],
        plan: { native: { argv: ['/bin/true'], env: [text] }, ops: [], etcFiles: [], dirs: [], stateDir: '/run/lite/c', cgroupWrites: [] } as unknown as Compiled['plan'],
      }
    },
  }
  return f
}

async function runOnce(cache: Cache, f: Fixture, opts: { req?: Fixture['req']; host?: HostFacts; now?: () => number; useCache?: boolean } = {}) {
  return cache.compiled(opts.req ?? f.req, opts.host ?? HOST, f.state, KERNEL, opts.useCache ?? true, { compile: f.compile }, opts.now ?? LATER)
}

t.test('a miss stores, the same request then hits and does not compile', async (t) => {
  const cache = await cacheOf(t, 'build-a')
  const f = fixture(t)
  const first = await runOnce(cache, f)
  t.match(first.outcome, /^miss \(no entry; stored\)$/)
  const second = await runOnce(cache, f)
  t.equal(second.outcome, 'hit')
  t.equal(f.compiles, 1, 'the hit did not compile')
  t.same(second.plan, first.plan, 'the same plan')
  const entries = fs.readdirSync(cache.cacheDir(f.state))
  t.equal(entries.length, 1)
  const st = fs.statSync(path.join(cache.cacheDir(f.state), entries[0]!))
  t.equal(st.mode & 0o777, 0o600, 'the entry is the owner\'s alone')
  t.equal(fs.statSync(cache.cacheDir(f.state)).mode & 0o777, 0o700)
})

t.test("a result of another kind in a directory of the caller's (lite-oci exec's entry in the container's dir)", async (t) => {
  const cache = await cacheOf(t, 'build-a')
  const f = fixture(t)
  const kind = {
    storable: (v: { plan: { native: unknown }; warnings: string[] }) => v.warnings.length < 2,
    isResult: (v: unknown): v is { plan: { native: unknown }; warnings: string[] } => Array.isArray((v as { warnings?: unknown })?.warnings),
  }
  let compiles = 0
  const compile = (warnings: string[]) => () => {
    compiles++
    noteInput(f.config)
    return { plan: { native: { argv: ['/bin/true'] } }, warnings }
  }
  const dir = path.join(f.root, 'container')
  fs.mkdirSync(dir)
  const req = { ...f.req, purpose: 'oci-exec', dir }
  const first = await cache.compiled(req, HOST, f.state, KERNEL, true, { compile: compile(['w']), kind }, LATER)
  t.match(first.outcome, /stored\)$/)
  const second = await cache.compiled(req, HOST, f.state, KERNEL, true, { compile: compile(['w']), kind }, LATER)
  t.equal(second.outcome, 'hit')
  t.same([second.warnings, compiles], [['w'], 1])
  t.same(fs.readdirSync(dir).map((n) => n.replace(/-[0-9a-f]{16}-[0-9a-f]{16}$/, '')), ['oci-exec'], 'the entry is in that directory')
  t.notOk(fs.existsSync(cache.cacheDir(f.state)), 'not in the shared cache dir')
  // The config's kind does not read it: its shape check refuses it.
  t.equal(cache.lookup(req, HOST, f.state, KERNEL), 'corrupt payload')
  t.equal((await cache.compiled({ ...req, purpose: 'other' }, HOST, f.state, KERNEL, true, { compile: compile(['a', 'b']), kind }, LATER)).outcome, 'miss (no entry; not cacheable)', 'its own storable rule')
  // A directory that is gone (the container deleted meanwhile) is not made again.
  fs.rmSync(dir, { recursive: true })
  const gone = await cache.compiled(req, HOST, f.state, KERNEL, true, { compile: compile([]), kind }, LATER)
  t.match(gone.outcome, /^miss \(no entry; not stored: ENOENT/)
  t.notOk(fs.existsSync(dir))
})

t.test('requests that alternate keep an entry each, up to four per config and purpose, the oldest dropped', async (t) => {
  const cache = await cacheOf(t, 'build-a')
  const f = fixture(t)
  const req = (cmd: string) => ({ ...f.req, purpose: 'exec', options: { overrides: { cmd: [cmd] }, tty: false } })
  for (const cmd of ['live', 'ready']) t.match((await runOnce(cache, f, { req: req(cmd) })).outcome, /stored\)$/)
  for (let i = 0; i < 3; i++) for (const cmd of ['live', 'ready']) t.equal((await runOnce(cache, f, { req: req(cmd) })).outcome, 'hit', `${cmd}, round ${i + 1}`)
  t.equal(f.compiles, 2, 'a liveness and a readiness probe: both hit')
  const entries = () => fs.readdirSync(cache.cacheDir(f.state)).filter((n) => n.startsWith('exec-'))
  for (const cmd of ['a', 'b', 'c', 'd']) {
    await runOnce(cache, f, { req: req(cmd) })
    await new Promise((r) => setTimeout(r, 15)) // distinct mtimes
  }
  t.equal(entries().length, 4, 'four kept')
  t.match((await runOnce(cache, f, { req: req('live') })).outcome, /^miss \(no entry/, 'the oldest went')
  t.equal((await runOnce(cache, f, { req: req('d') })).outcome, 'hit', 'a recent one stays')
  t.equal(fs.readdirSync(cache.cacheDir(f.state)).filter((n) => n.startsWith('run-')).length, 0, 'another purpose is not touched')
})

t.test('the shared directory keeps its newest CACHE_FILES_MAX files: entries of configs that are gone leave', async (t) => {
  const cache = await cacheOf(t, 'build-a')
  const f = fixture(t)
  const dir = cache.cacheDir(f.state)
  fs.mkdirSync(dir, { recursive: true })
  // Entries of other configs, and a temp file a crashed writer left, all older than a store.
  const old = Date.now() / 1000 - 100
  for (let i = 0; i < cache.CACHE_FILES_MAX + 5; i++) {
    const file = path.join(dir, i === 0 ? 'run-0000000000000000-0000000000000000.77.tmp' : `run-${String(i).padStart(16, '0')}-0000000000000000`)
    fs.writeFileSync(file, 'x')
    fs.utimesSync(file, old + i, old + i)
  }
  fs.mkdirSync(path.join(dir, 'not-a-file'))
  t.match((await runOnce(cache, f)).outcome, /stored\)$/)
  const left = fs.readdirSync(dir)
  t.equal(left.filter((n) => n !== 'not-a-file').length, cache.CACHE_FILES_MAX, 'as many files as the cap')
  t.ok(left.includes('not-a-file'), 'only files are removed')
  t.notOk(left.includes('run-0000000000000000-0000000000000000.77.tmp'), 'the oldest, the temp file among them, went')
  t.notOk(left.includes(`run-${'1'.padStart(16, '0')}-0000000000000000`))
  t.ok(left.includes(`run-${String(cache.CACHE_FILES_MAX + 4).padStart(16, '0')}-0000000000000000`), 'the newest stay')
  t.equal((await runOnce(cache, f)).outcome, 'hit', "the store's own entry stays")
  // Below the cap, nothing goes.
  cache.trimCacheDir(dir, 1000)
  t.equal(fs.readdirSync(dir).length, left.length)
})

t.test('every invalidation input gives a miss that compiles afresh', async (t) => {
  const cases: [string, (f: Fixture) => Partial<Parameters<typeof runOnce>[2]> | void, RegExp][] = [
    ['the config rewritten (size and times)', (f) => fs.writeFileSync(f.config, '[exec]\ncmd = /bin/false\n'), /changed: .*c\.ini/],
    ['the config rewritten, same size', (f) => fs.writeFileSync(f.config, '[exec]\ncmd = /bin/tru2\n'), /changed: .*c\.ini/],
    ['the config replaced by a rename (another inode)', (f) => {
      fs.writeFileSync(f.config + '.new', fs.readFileSync(f.config))
      fs.renameSync(f.config + '.new', f.config)
    }, /changed: .*c\.ini/],
    ['the config\'s times set back (ctime still moves)', (f) => {
      const st = fs.statSync(f.config)
      fs.writeFileSync(f.config, '[exec]\ncmd = /bin/tru3\n')
      fs.utimesSync(f.config, st.atime, st.mtime)
    }, /changed: .*c\.ini/],
    ['a file the config names, changed', (f) => fs.writeFileSync(f.profile, '{"defaultAction": "SCMP_ACT_ALLOW"}'), /changed: .*profile\.json/],
    ['a file the config names, removed', (f) => fs.rmSync(f.profile), /changed: .*profile\.json/],
    ['an absent file that now exists', (f) => fs.writeFileSync(path.join(f.root, 'absent-bind-source'), ''), /changed: .*absent-bind-source/],
    ['the host facts', () => ({ host: { ...HOST, resolvConf: 'nameserver 10.0.0.2\n' } }), /host facts changed/],
    // another request is another entry (the key's hash is in its name)
    ['the command-line overrides', (f) => ({ req: { ...f.req, options: { overrides: { cmd: ['/bin/sh'] }, tty: false } } }), /no entry/],
    ['tty', (f) => ({ req: { ...f.req, options: { overrides: {}, tty: true } } }), /no entry/],
  ]
  for (const [what, change, why] of cases) {
    t.test(what, async (t) => {
      const cache = await cacheOf(t, 'build-a')
      const f = fixture(t)
      await runOnce(cache, f)
      const opts = change(f) ?? {}
      const r = await runOnce(cache, f, opts)
      t.match(r.outcome, why)
      t.equal(f.compiles, 2, 'compiled afresh')
      if (what.startsWith('the config')) t.same((r.config as unknown as { text: string }).text, fs.readFileSync(f.config, 'utf8'), 'from the file as it is now')
    })
  }
})

t.test('an input whose directory became a file: a miss, not a crash', async (t) => {
  const cache = await cacheOf(t, 'build-a')
  const f = fixture(t)
  fs.mkdirSync(path.join(f.root, 'sub'))
  f.profile = path.join(f.root, 'sub', 'profile.json')
  fs.writeFileSync(f.profile, '{}')
  await runOnce(cache, f)
  fs.rmSync(path.join(f.root, 'sub'), { recursive: true })
  fs.writeFileSync(path.join(f.root, 'sub'), '')
  t.equal(cache.fileSignature(f.profile), '!ENOTDIR')
  const r = await runOnce(cache, f)
  t.match(r.outcome, /changed: .*sub\/profile\.json/)
  t.equal(f.compiles, 2)
})

t.test('an entry from another build is not used', async (t) => {
  const f = fixture(t)
  await runOnce(await cacheOf(t, 'build-a'), f)
  const r = await runOnce(await cacheOf(t, 'build-b'), f)
  t.match(r.outcome, /another build/)
  t.equal(f.compiles, 2)
  t.equal((await runOnce(await cacheOf(t, 'build-b'), f)).outcome, 'hit', 'and is replaced')
})

t.test('without a build id (lite run from source) there is no cache', async (t) => {
  const cache = await cacheOf(t, '')
  const f = fixture(t)
  t.match((await runOnce(cache, f)).outcome, /no build id; no build id/)
  t.match((await runOnce(cache, f)).outcome, /^miss/)
  t.notOk(fs.existsSync(cache.cacheDir(f.state)))
})

t.test('corrupt, truncated or foreign entries fall back safely', async (t) => {
  const damage: [string, (file: string) => void, RegExp][] = [
    ['truncated', (file) => fs.truncateSync(file, fs.statSync(file).size - 10), /corrupt payload/],
    ['truncated in the header', (file) => fs.truncateSync(file, 20), /corrupt header/],
    ['empty', (file) => fs.truncateSync(file, 0), /corrupt header|not an entry/],
    ['a flipped byte in the payload', (file) => {
      const b = fs.readFileSync(file)
      const at = b.length - 5
      b[at] = b[at]! ^ 0x01
      fs.writeFileSync(file, b)
    }, /corrupt payload/],
    ['not JSON at all', (file) => fs.writeFileSync(file, '\x00\x01garbage\n{'), /corrupt header/],
    ['another file format', (file) => fs.writeFileSync(file, '{"magic":"something else"}\n{}'), /not an entry/],
    ['readable by others (not lite\'s)', (file) => fs.chmodSync(file, 0o644), /no entry/],
    ['a symlink', (file) => {
      fs.renameSync(file, file + '.real')
      fs.symlinkSync(file + '.real', file)
    }, /no entry/],
  ]
  for (const [what, spoil, why] of damage) {
    t.test(what, async (t) => {
      const cache = await cacheOf(t, 'build-a')
      const f = fixture(t)
      await runOnce(cache, f)
      const [entry] = fs.readdirSync(cache.cacheDir(f.state))
      spoil(path.join(cache.cacheDir(f.state), entry!))
      const r = await runOnce(cache, f)
      t.match(r.outcome, why)
      t.equal(f.compiles, 2, 'compiled afresh')
      t.same(r.plan, f.compile().plan, 'the fresh plan')
    })
  }
})

t.test('an input changed just now is not trusted: nothing is stored', async (t) => {
  const cache = await cacheOf(t, 'build-a')
  const f = fixture(t)
  const r = await runOnce(cache, f, { now: Date.now })
  t.match(r.outcome, /changed just now/)
  t.match((await runOnce(cache, f, { now: Date.now })).outcome, /no entry/)
})

t.test('--no-cache: no lookup, nothing stored', async (t) => {
  const cache = await cacheOf(t, 'build-a')
  const f = fixture(t)
  await runOnce(cache, f)
  const r = await runOnce(cache, f, { useCache: false })
  t.equal(r.outcome, 'not used')
  t.equal(f.compiles, 2)
})

t.test('results with parts resolved at every run are never stored', async (t) => {
  const cache = await cacheOf(t, 'build-a')
  const plain = { rootfs: {}, net: { type: 'none' } } as unknown as Compiled['config']
  t.ok(cache.cacheable(plain))
  t.ok(cache.cacheable({ ...plain, rootfs: { image: { ref: 'app:1' } } } as unknown as Compiled['config']), '[rootfs] image: its store files are inputs, its record is rechecked')
  t.notOk(cache.cacheable({ ...plain, net: { type: 'container' } } as unknown as Compiled['config']), 'container:NAME')
  t.notOk(cache.cacheable({ ...plain, net: { type: 'netns' } } as unknown as Compiled['config']), 'netns:PATH')
  const f = fixture(t)
  const result = { config: { rootfs: {}, net: { type: 'container' } }, plan: { native: {} } } as unknown as Compiled
  t.equal(cache.store(f.req, HOST, f.state, KERNEL, result, [], LATER()), 'not cacheable')
})

t.test('recheck: a hit it finds stale is a miss that compiles and stores again', async (t) => {
  const cache = await cacheOf(t, 'build-a')
  const f = fixture(t)
  // What moves outside the inputs (a run's store record): the entry keeps what it was compiled with.
  let record = 'pinned sha256:a'
  const compile = () => ({ ...f.compile(), imageChoice: record })
  let rechecks = 0
  const recheck = async (hit: Compiled) => {
    rechecks++
    return hit.imageChoice === record ? undefined : `the record chose ${record}, not ${hit.imageChoice}`
  }
  const once = () => cache.compiled(f.req, HOST, f.state, KERNEL, true, { compile, recheck }, LATER)
  t.match((await once()).outcome, /^miss \(no entry; stored\)$/)
  t.equal((await once()).outcome, 'hit', 'the same record: a hit')
  record = 'update sha256:b'
  const moved = await once()
  t.equal(moved.outcome, 'miss (the record chose update sha256:b, not pinned sha256:a; stored)')
  t.equal(moved.imageChoice, 'update sha256:b', 'compiled with the record as it is now')
  t.equal(f.compiles, 2)
  const again = await once()
  t.equal(again.outcome, 'hit')
  t.equal(again.imageChoice, 'update sha256:b', 'the entry was rewritten')
  t.equal(fs.readdirSync(cache.cacheDir(f.state)).length, 1, 'one entry for the one request')
  t.equal(rechecks, 3, 'one recheck per entry found (the stale one too), none without an entry')
  t.equal((await cache.compiled(f.req, HOST, f.state, KERNEL, false, { compile, recheck }, LATER)).outcome, 'not used')
  t.equal(rechecks, 3, '--no-cache: no recheck either')
})

t.test('only plain data is stored: JSON must give it back as it was', async (t) => {
  const cache = await cacheOf(t, 'build-a')
  t.ok(cache.survivesJson({ a: [1, 'x', null, { b: true }], c: undefined }))
  for (const bad of [[undefined], Number.NaN, Infinity, new Map(), new Date(0), () => 1, 10n, { a: [Number.POSITIVE_INFINITY] }]) t.notOk(cache.survivesJson(bad), String(bad))
})

t.test('lite cache clear removes every entry', async (t) => {
  const cache = await cacheOf(t, 'build-a')
  const f = fixture(t)
  await runOnce(cache, f)
  await runOnce(cache, f, { req: { ...f.req, purpose: 'exec' } })
  t.equal(cache.clearCache(f.state), 2)
  t.same(fs.readdirSync(cache.cacheDir(f.state)), [])
  t.equal(cache.clearCache(path.join(f.root, 'nowhere')), 0)
})

t.test('recordInputs: absolute paths, nested recordings reach the outer one', async (t) => {
  const outer = recordInputs(() => {
    noteInput('relative/file')
    const inner = recordInputs(() => noteInput('/abs/x'))
    t.same(inner.inputs, ['/abs/x'])
    return 1
  })
  t.same(outer.inputs.sort(), [path.resolve('relative/file'), '/abs/x'].sort())
  noteInput('/not/recorded') // outside a recording: a no-op
})
