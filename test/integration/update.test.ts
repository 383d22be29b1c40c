// lite update and lite rollback through the real dist/lite: images made here from the
// busybox rootfs (a layer of it, and a layer with /etc/release), imported from OCI
// layouts into a store of the test's own. The container's [health] check greps
// /etc/release for "good"; a "bad" image fails it. Each test ends with the leak check.

import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { stateOf } from '../support/lifecycle.ts'
import { BUSYBOX, assertNoLeaks, eventually, lite, requireRootAndBuild, snapshotHost, uniqueName, writeConfig, type Result } from '../support/integration.ts'
import { writeOciLayout } from '../support/layer-fixtures.ts'

if (!requireRootAndBuild(t)) process.exit(0)

const work = mkdtempSync(join(tmpdir(), 'lite-update-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))
const store = join(work, 'store')

function tarOf(dir: string): Buffer {
  const r = spawnSync('tar', ['-C', dir, '--numeric-owner', '-cf', '-', '.'], { maxBuffer: 64 << 20 })
  if (r.status !== 0) throw new Error(`tar: ${r.stderr}`)
  return r.stdout
}

const base = tarOf(BUSYBOX)

/** An OCI layout of busybox plus /etc/release = `release`; its directory and manifest digest. */
function image(tag: string, release: string): { dir: string; digest: string } {
  const extra = join(work, `extra-${tag}`)
  mkdirSync(join(extra, 'etc'), { recursive: true })
  writeFileSync(join(extra, 'etc/release'), `${release}\n`)
  const dir = join(work, `layout-${tag}`)
  const layout = writeOciLayout(dir, [base, tarOf(extra)], { annotations: { 'org.opencontainers.image.ref.name': tag }, config: { Cmd: ['/bin/sh', '-c', 'cat /etc/release; exec sleep 3600'] } })
  return { dir, digest: layout.manifest }
}

const v1 = image('1', 'good v1')
const v2 = image('2', 'good v2')
const bad = image('3', 'bad v3')

const imageCmd = (args: string[]): Result => lite(['image', ...args, '--store', store], { timeout: 120_000 })
t.equal(imageCmd(['import', v1.dir, '--tag', 'local.test/app:1']).code, 0, 'v1 imported')

const recordOf = (name: string) => JSON.parse(readFileSync(join(store, 'containers', name), 'utf8')) as { current: string; next: string | null; previous: string | null; older: string[]; pinned: boolean; last: { result: string; reason?: string } | null }

/** A detached container on local.test/app:1 with the release health check. */
async function started(t: Test, extra = ''): Promise<{ name: string; path: string }> {
  const c = writeConfig(
    t,
    `[rootfs]\nimage = local.test/app:1\n[exec]\nstop_timeout = 1\n[health]\ncmd = grep -q good /etc/release\ninterval = 200ms\nretries = 2\n[update]\nhealth_timeout = 15s\n${extra}`,
    uniqueName('up'),
  )
  t.teardown(() => void lite(['rm', '-f', c.name], { timeout: 30_000 }))
  const r = lite(['run', '-d', '--store', store, c.path], { timeout: 30_000 })
  t.equal(r.code, 0, r.stderr)
  t.ok(await eventually(() => stateOf(c.name)?.extra.health === 'healthy', 15_000), 'v1 is healthy')
  return c
}

const release = (name: string) => lite(['exec', name, '--', 'cat', '/etc/release']).stdout.trim()

t.test('an update to a good image is committed; the monitor stays; rollback goes back', async (t) => {
  const before = snapshotHost()
  const c = await started(t)
  const monitor = stateOf(c.name)!.monitorPid
  const pid = stateOf(c.name)!.pid
  const u = lite(['update', c.name, v2.dir], { timeout: 120_000 })
  t.equal(u.code, 0, u.stderr)
  t.equal(u.stdout, `${v2.digest}\n`, 'prints the new digest')
  t.match(u.stderr, new RegExp(`updated to ${v2.digest} \\(healthy after`))
  t.equal(release(c.name), 'good v2', 'runs the new image')
  const s = stateOf(c.name)!
  t.equal(s.monitorPid, monitor, 'the same monitor pid (an init system sees no change)')
  t.not(s.pid, pid, 'a new container')
  t.equal(s.extra.image_digest, v2.digest)
  const r = recordOf(c.name)
  t.same([r.current, r.previous, r.next, r.pinned, r.last?.result], [v2.digest, v1.digest, null, true, 'committed'])

  const back = lite(['rollback', c.name], { timeout: 60_000 })
  t.equal(back.code, 0, back.stderr)
  t.ok(await eventually(() => stateOf(c.name)?.status === 'running' && stateOf(c.name)?.extra.image_digest === v1.digest, 15_000), 'restarted on v1')
  t.equal(release(c.name), 'good v1')
  t.same([recordOf(c.name).current, recordOf(c.name).previous], [v1.digest, v2.digest])
  t.equal(lite(['rm', '-f', c.name]).code, 0)
  await assertNoLeaks(t, before)
})

t.test('an update to an image that fails its health check is rolled back on its own', async (t) => {
  const before = snapshotHost()
  const c = await started(t)
  const u = lite(['update', c.name, bad.dir], { timeout: 120_000 })
  t.equal(u.code, 1, 'exit 1: not updated')
  t.match(u.stderr, /the update to sha256:\S+ failed: its health check failed 2 times in a row; rolled back to/)
  t.ok(await eventually(() => stateOf(c.name)?.status === 'running' && stateOf(c.name)?.extra.image_digest === v1.digest, 15_000), 'back on v1')
  t.equal(release(c.name), 'good v1')
  const r = recordOf(c.name)
  t.same([r.current, r.next, r.last?.result], [v1.digest, null, 'rolled-back'])
  t.match(lite(['logs', c.name]).stdout + lite(['logs', c.name]).stderr, /rolled back to/, 'the log says so')
  t.equal(lite(['rm', '-f', c.name]).code, 0)
  await assertNoLeaks(t, before)
})

t.test('a tampered image is refused and changes nothing', async (t) => {
  const before = snapshotHost()
  const c = await started(t)
  const pid = stateOf(c.name)!.pid
  const record = readFileSync(join(store, 'containers', c.name), 'utf8')
  // A layout whose layer blob no longer matches its digest.
  const tampered = image('4', 'good v4')
  const manifest = JSON.parse(readFileSync(join(tampered.dir, 'blobs/sha256', tampered.digest.slice(7)), 'utf8')) as { layers: { digest: string }[] }
  const blob = join(tampered.dir, 'blobs/sha256', manifest.layers[1]!.digest.slice(7))
  const bytes = readFileSync(blob)
  bytes[bytes.length - 600] ^= 0xff
  writeFileSync(blob, bytes)
  const u = lite(['update', c.name, tampered.dir], { timeout: 120_000 })
  t.equal(u.code, 125, u.stderr)
  t.match(u.stderr, /digest/)
  t.equal(stateOf(c.name)?.pid, pid, 'the old container runs on')
  t.equal(readFileSync(join(store, 'containers', c.name), 'utf8'), record, 'the record is unchanged')
  t.equal(lite(['rm', '-f', c.name]).code, 0)
  await assertNoLeaks(t, before)
})

t.test('an update killed before its commit is rolled back by the next lite run (as at boot)', async (t) => {
  const before = snapshotHost()
  const c = await started(t)
  const u = lite(['update', c.name, v2.dir], { timeout: 120_000, env: { ...process.env, LITE_UPDATE_CRASH_AT: 'checking' } })
  t.equal(u.signal, 'SIGKILL', 'lite update died after recording the checking phase')
  t.equal(recordOf(c.name).next, v2.digest, 'the record has a next without a commit')
  // A power cut: everything stops; then the board starts the container again.
  t.equal(lite(['rm', '-f', c.name], { timeout: 30_000 }).code, 0)
  const r = lite(['run', '-d', '--store', store, c.path], { timeout: 30_000 })
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, new RegExp(`an update to ${v2.digest} was interrupted \\(phase checking\\); rolled back to ${v1.digest}`))
  t.ok(await eventually(() => stateOf(c.name)?.status === 'running', 15_000))
  t.equal(release(c.name), 'good v1', 'on the old image')
  const rec = recordOf(c.name)
  t.same([rec.current, rec.next, rec.last?.result], [v1.digest, null, 'interrupted'])
  t.equal(lite(['rm', '-f', c.name]).code, 0)
  await assertNoLeaks(t, before)
})

t.test('[update] keep = 1: an image two updates back leaves the store', async (t) => {
  const before = snapshotHost()
  const c = await started(t)
  t.equal(lite(['update', c.name, v2.dir], { timeout: 120_000 }).code, 0)
  const v5 = image('5', 'good v5')
  const u = lite(['update', c.name, v5.dir], { timeout: 120_000 })
  t.equal(u.code, 0, u.stderr)
  const r = recordOf(c.name)
  t.same([r.current, r.previous, r.older], [v5.digest, v2.digest, []])
  t.notOk(existsSync(join(store, 'images', v1.digest.slice(7))), 'v1 was removed (no other container uses it)')
  t.equal(lite(['rm', '-f', c.name]).code, 0)
  // v1 is gone from the store: the next test's containers need it again.
  t.equal(imageCmd(['import', v1.dir, '--tag', 'local.test/app:1']).code, 0)
  await assertNoLeaks(t, before)
})

/** A cut at the host's level: the monitor and the container die at once (SIGKILL), as in a power cut; /run keeps the stale state that the next command settles. */
function cutPower(name: string): void {
  const s = stateOf(name)
  for (const pid of [s?.monitorPid, s?.pid]) {
    try {
      if (pid) process.kill(pid, 'SIGKILL')
    } catch {}
  }
}

t.test('a cut after each step of an update: the container comes back on the old image or the new one, and the store stays consistent', async (t) => {
  const before = snapshotHost()
  // phase -> the image it must come back on, and how the record says it ended
  const cases: [string, string, 'good v1' | 'good v2', string][] = [
    ['next-recorded', v2.dir, 'good v1', 'interrupted'],
    ['restarting', v2.dir, 'good v1', 'interrupted'],
    ['checking', v2.dir, 'good v1', 'interrupted'],
    ['rolling-back', bad.dir, 'good v1', 'interrupted'],
    ['committed', v2.dir, 'good v2', 'committed'],
  ]
  const landed: Record<string, number> = {}
  for (const [phase, source, expected, outcome] of cases) {
    const c = await started(t)
    const u = lite(['update', c.name, source], { timeout: 120_000, env: { ...process.env, LITE_UPDATE_CRASH_AT: phase } })
    t.equal(u.signal, 'SIGKILL', `${phase}: lite update died there`)
    cutPower(c.name)
    // The board starts again: lite boot runs lite run -d for each config.
    const r = lite(['run', '-d', '--store', store, c.path], { timeout: 30_000 })
    t.equal(r.code, 0, `${phase}: ${r.stderr}`)
    t.ok(await eventually(() => stateOf(c.name)?.status === 'running', 15_000), `${phase}: running again`)
    t.equal(release(c.name), expected, `${phase}: on ${expected}`)
    const rec = recordOf(c.name)
    t.equal(rec.next, null, `${phase}: no update left half-done`)
    t.equal(rec.last?.result, outcome, `${phase}: the record says ${outcome}`)
    landed[phase] = (landed[phase] ?? 0) + 1
    const ls = imageCmd(['ls', '--json'])
    t.equal(ls.code, 0, ls.stderr)
    t.ok((JSON.parse(ls.stdout) as { digest: string }[]).some((i) => i.digest === stateOf(c.name)?.extra.image_digest), `${phase}: the image it runs is listed`)
    t.equal(lite(['rm', '-f', c.name], { timeout: 30_000 }).code, 0)
    // The committed case pruned v1 (keep = 1): the next cases start on it again.
    if (!existsSync(join(store, 'images', v1.digest.slice(7)))) t.equal(imageCmd(['import', v1.dir, '--tag', 'local.test/app:1']).code, 0)
  }
  const prune = imageCmd(['prune'])
  t.equal(prune.code, 0, prune.stderr)
  t.equal(imageCmd(['ls']).code, 0)
  t.comment(`cuts per phase: ${JSON.stringify(landed)}`)
  await assertNoLeaks(t, before)
})
