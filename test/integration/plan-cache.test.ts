// The compiled-plan cache end to end: a config that has settled is planned once, then
// run from the cache; an edit takes effect at the very next run (never a stale plan);
// --no-cache and `lite cache clear`; lite exec's plan too. Unit tests cover each
// invalidation input (test/unit/plan-cache.test.ts).

import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import t from 'tap'
import { fnv64 } from '../../runtime/plan/fnv.ts'
import { BUSYBOX, BUSYBOX_SQUASHFS, assertNoLeaks, lite, requireRootAndBuild, snapshotHost, writeConfig } from '../support/integration.ts'

const CACHE = '/run/lite/.lite-cache'
// RACY_MS in plan-cache.ts: a file changed more recently is not trusted to show a change.
const SETTLE_MS = 2100
const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
// LITE_FAST=0: these runs test the cache of lite's full path; a plain warm run would
// otherwise be taken by the fast run (fast-run.test.ts), which has no such trace line.
const traced = { env: { ...process.env, LITE_TRACE: '1', LITE_FAST: '0' } }
const outcome = (stderr: string) => /plan cache: (.*)/.exec(stderr)?.[1] ?? '(no trace line)'

if (requireRootAndBuild(t)) {
  t.test('settled config: miss and store, then hits; an edit applies at once', async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\nreadonly = yes\n[exec]\ncmd = /bin/echo first\n`)
    await settle()
    const a = lite(['run', c.path], traced)
    t.equal(a.code, 0, a.stderr)
    t.equal(a.stdout, 'first\n')
    t.match(outcome(a.stderr), /^miss \(.*stored\)$/)
    const b = lite(['run', c.path], traced)
    t.equal(b.code, 0, b.stderr)
    t.equal(b.stdout, 'first\n', 'the cached plan runs the same')
    t.equal(outcome(b.stderr), 'hit')
    // The edit, then a run right away: the new config, not the cached plan.
    writeFileSync(c.path, `[container]\nname = ${c.name}\n[rootfs]\npath = ${BUSYBOX}\nreadonly = yes\n[exec]\ncmd = /bin/echo second\n`)
    const e = lite(['run', c.path], traced)
    t.equal(e.stdout, 'second\n', 'the edited config runs')
    t.match(outcome(e.stderr), /^miss \(changed: .*c\.ini; .*changed just now\)$/)
    const n = lite(['run', '--no-cache', c.path], traced)
    t.equal(n.stdout, 'second\n')
    t.equal(outcome(n.stderr), 'not used')
    await assertNoLeaks(t, before)
  })

  t.test('the seccomp filter is compiled once and cached: a hit runs as confined as a miss', async (t) => {
    const before = snapshotHost()
    const probe = `'/bin/sh -c "grep ^Seccomp: /proc/self/status; unshare -U true 2>/dev/null && echo unshared || echo refused"'`
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\nreadonly = yes\n[exec]\ncmd = ${probe}\n`)
    await settle()
    const a = lite(['run', c.path], traced)
    t.equal(a.code, 0, a.stderr)
    t.match(outcome(a.stderr), /stored/)
    const names = readdirSync(CACHE).filter((n) => n.startsWith(`run-${fnv64(resolve(c.path))}-`))
    t.equal(names.length, 1, names.join(' '))
    const entry = readFileSync(`${CACHE}/${names[0]}`, 'utf8')
    const native = JSON.parse(entry.slice(entry.indexOf('\n') + 1)).plan.native
    t.ok(Array.isArray(native.seccompFilter) && native.seccompFilter.length > 100 && native.seccompFilter.length % 2 === 0, 'the BPF, two words an instruction')
    t.equal(native.seccomp, undefined, 'not the rules')
    const b = lite(['run', c.path], traced)
    t.equal(outcome(b.stderr), 'hit')
    for (const r of [a, b]) t.equal(r.stdout, 'Seccomp:\t2\nrefused\n', 'filter mode; unshare(CLONE_NEWUSER) refused by the default profile')
    await assertNoLeaks(t, before)
  })

  t.test('a bad config is never cached: the error every time', async (t) => {
    const c = writeConfig(t, `[rootfs]\npath = /nonexistent/rootfs\n[exec]\ncmd = /bin/true\n`)
    await settle()
    for (let i = 0; i < 2; i++) {
      const r = lite(['run', c.path])
      t.equal(r.code, 125)
      t.match(r.stderr, /c\.ini:\d+: \[rootfs\] path: .*nonexistent/)
    }
  })

  t.test('lite exec: the same cache for the plan of a health check', async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\nreadonly = yes\n[exec]\ncmd = /bin/sleep 60\n`)
    await settle()
    const d = lite(['run', '-d', c.path])
    t.equal(d.code, 0, d.stderr)
    t.teardown(() => {
      lite(['stop', '-t', '0', c.name])
      lite(['rm', c.name])
    })
    const x1 = lite(['exec', c.name, '--', '/bin/echo', 'in'], traced)
    t.equal(x1.stdout, 'in\n', x1.stderr)
    const x2 = lite(['exec', c.name, '--', '/bin/echo', 'in'], traced)
    t.equal(x2.stdout, 'in\n', x2.stderr)
    t.equal(outcome(x2.stderr), 'hit', 'the second exec plans nothing')
    const x3 = lite(['exec', c.name, '--', '/bin/echo', 'other'], traced)
    t.equal(x3.stdout, 'other\n', 'another command: another plan')
    t.match(outcome(x3.stderr), /^miss \(no entry; stored\)$/, 'an entry of its own')
    const x4 = lite(['exec', c.name, '--', '/bin/echo', 'in'], traced)
    t.equal(outcome(x4.stderr), 'hit', 'the first command still hits: a probe and a health check alternate without missing')
    t.equal(lite(['stop', '-t', '0', c.name]).code, 0)
    t.equal(lite(['rm', c.name]).code, 0)
    await assertNoLeaks(t, before)
  })

  t.test('[rootfs] image: the store files are inputs, the record is asked at every run', async (t) => {
    const before = snapshotHost()
    const store = mkdtempSync(join(tmpdir(), 'lite-store-'))
    const settingsDir = mkdtempSync(join(tmpdir(), 'lite-images-ini-'))
    t.teardown(() => {
      rmSync(store, { recursive: true, force: true })
      rmSync(settingsDir, { recursive: true, force: true })
    })
    const [A, B] = ['a1', 'b2'].map((h) => `sha256:${h.repeat(32)}`) as [string, string]
    for (const [digest, mark] of [[A, 'a'], [B, 'b']]) {
      const dir = join(store, 'images', digest.slice(7))
      mkdirSync(dir, { recursive: true })
      copyFileSync(BUSYBOX_SQUASHFS, join(dir, 'image.sqfs'))
      const config = { Env: ['PATH=/bin', `MARK=${mark}`], Cmd: ['/bin/sh', '-c', 'echo $MARK'] }
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ architecture: 'amd64', os: 'linux', config, rootfs: { type: 'layers', diff_ids: [] } }))
    }
    const tagFile = join(store, 'refs/127.0.0.1:5000/test/cached/:1')
    mkdirSync(dirname(tagFile), { recursive: true })
    // As a pull moves a tag or writes an image file: a new file renamed over the old one.
    const replace = (file: string, write: (tmp: string) => void) => {
      write(`${file}.tmp`)
      renameSync(`${file}.tmp`, file)
    }
    const tag = (digest: string) => replace(tagFile, (tmp) => writeFileSync(tmp, `${digest}\n`))
    tag(A)
    const settings = join(settingsDir, 'images.ini')
    writeFileSync(settings, '# the test\'s images.ini: the defaults\n')
    const env = { env: { ...process.env, LITE_STORE: store, LITE_IMAGES_CONFIG: settings, LITE_TRACE: '1' } }
    const c = writeConfig(t, `[rootfs]\nimage = 127.0.0.1:5000/test/cached:1\nreadonly = yes\n`)
    const runFull = (expected: string, what: string) => {
      const r = lite(['run', c.path], env)
      t.equal(r.code, 0, r.code === 0 ? 'exit 0' : r.stderr)
      t.equal(r.stdout, expected, what)
      return r
    }
    const run = (expected: string, what: string) => outcome(runFull(expected, what).stderr)
    const record = join(store, 'containers', c.name)
    const editRecord = (change: Record<string, unknown>) => writeFileSync(record, JSON.stringify({ ...JSON.parse(readFileSync(record, 'utf8')), ...change }))
    await settle()
    t.match(run('a\n', 'the tag\'s image'), /^miss \(no entry; stored\)$/)
    t.equal(run('a\n', 'the same image from the cache'), 'hit')
    tag(B)
    t.match(run('b\n', 'the moved tag at the very next run'), /^miss \(changed: .*test\/cached\/:1; .*\)$/)
    await settle()
    t.match(run('b\n', 'settled'), /stored\)$/)
    replace(join(store, 'images', B.slice(7), 'image.sqfs'), (tmp) => copyFileSync(BUSYBOX_SQUASHFS, tmp))
    t.match(run('b\n', 'an image file written again'), /^miss \(changed: .*\/image\.sqfs; /)

    // An update's rollback pins the container to an image, whatever the tag names.
    editRecord({ current: A, pinned: true })
    await settle()
    t.match(run('a\n', 'the pinned image'), /stored\)$/)
    t.equal(run('a\n', 'pinned, from the cache'), 'hit')
    // The record's store comes from images.ini, which validation does not read then.
    writeFileSync(settings, '# the test\'s images.ini: the defaults, edited\n', { flag: 'a' })
    t.match(run('a\n', 'still pinned'), /^miss \(changed: .*images\.ini; /, 'images.ini is an input of a pinned plan too')
    await settle()
    t.match(run('a\n', 'settled'), /stored\)$/)
    editRecord({ pinned: false })
    t.equal(run('b\n', 'the tag decides again at the very next run'), `miss (the store's record chose the tag, not pinned ${A}; stored)`)
    t.equal(run('b\n', 'and from the cache'), 'hit')

    // An update to A that a power cut interrupted (a next, no update lock): rolled back at
    // the next start, hit or not, and said once.
    editRecord({ current: B, next: A, pinned: false, update: null })
    const rolled = runFull('b\n', 'the image the update started from')
    t.equal(outcome(rolled.stderr), `miss (the store's record chose pinned ${B}, not the tag; stored)`)
    t.equal(rolled.stderr.match(/an update to sha256:(a1){32} was interrupted \(phase next-recorded\); rolled back to sha256:(b2){32}/g)?.length, 1, 'the rollback, said once')
    t.match(JSON.parse(readFileSync(record, 'utf8')), { current: B, next: null, pinned: true, last: { result: 'interrupted' } })
    t.equal(run('b\n', 'pinned after the rollback'), 'hit')

    rmSync(join(store, 'images', B.slice(7)), { recursive: true })
    const gone = lite(['run', c.path], env)
    t.equal(gone.code, 125, 'a removed image is never run from a cached plan')
    t.match(gone.stderr, /is not in the store/)
    await assertNoLeaks(t, before)
  })

  t.test('lite cache clear', async (t) => {
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\nreadonly = yes\n[exec]\ncmd = /bin/true\n`)
    await settle()
    t.equal(lite(['run', c.path]).code, 0)
    t.ok(existsSync(CACHE) && readdirSync(CACHE).length > 0)
    const r = lite(['cache', 'clear'])
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, /^removed \d+ cached plans?\n$/)
    t.same(readdirSync(CACHE), [])
    t.match(outcome(lite(['run', c.path], traced).stderr), /no entry/)
  })
}
