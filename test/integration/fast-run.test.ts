// The fast run end to end (runtime/fast-front.ts, lifecycle/fast-entry.ts,
// native-rs/src/fast_run): a warm plain `lite run FILE` is run by native code from the
// config's fast entry, and does what the full path does (output, exit code, state,
// signals, clean-up); anything it can't do as the full path would, or any change to
// what the entry was made from, goes to the full path, which says what is wrong as it
// always does and writes the entry again.

import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { withRecord } from '../support/fast-entries.ts'
import t from 'tap'
import { fastEntryPath } from '../../runtime/plan/cache-paths.ts'
import { BUSYBOX, LITE, assertNoLeaks, eventually, lite, monitorWaits, requireRootAndBuild, runningPid, snapshotHost, spawnBackground, writeConfig } from '../support/integration.ts'

// RACY_MS in plan-cache.ts: an input changed more recently is not trusted, so not stored.
const settle = () => new Promise((r) => setTimeout(r, 2100))
const traced = { env: { ...process.env, LITE_TRACE: '1' } }
const fastLine = (stderr: string) => /lite: trace: fast path: (.*)/.exec(stderr)?.[1] ?? '(none)'
const entryLine = (stderr: string) => /fast entry: (.*)/.exec(stderr)?.[1] ?? '(none)'
const entryOf = (config: string) => fastEntryPath('/run/lite', resolve(config))

/** Where the pids controller's cgroups are: its v1 hierarchy, or else the cgroup2 mount. */
function pidsHierarchy(): string {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' - '))
  const at = (pred: (fs: string, opts: string) => boolean) => mounts.find(([front, back]) => back && pred(back.split(' ')[0]!, back.split(' ')[2] ?? ''))?.[0]!.split(' ')[4]
  return at((fs, opts) => fs === 'cgroup' && opts.split(',').includes('pids')) ?? at((fs) => fs === 'cgroup2')!
}


if (requireRootAndBuild(t)) {
  t.test('a warm plain run is the fast run, and does what the full path does', async (t) => {
    const before = snapshotHost()
    const script = `'/bin/sh -c "echo out $HOSTNAME; echo err >&2; grep -c . /proc/self/cgroup; exit 7"'`
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\nreadonly = yes\n[resources]\nmemory = 64M\npids = 32\n[exec]\ncmd = ${script}\n`)
    await settle()
    const first = lite(['run', c.path], traced)
    t.equal(first.code, 7, first.stderr)
    t.equal(fastLine(first.stderr), '(none)', 'no entry yet: the front passes it by')
    t.equal(entryLine(first.stderr), 'written')
    for (const [i, cwd] of [c.dir, '/'].entries()) {
      // The same file given relatively, from its directory, and absolutely.
      const r = lite(['run', i === 0 ? 'c.ini' : c.path], { ...traced, cwd })
      t.equal(r.code, 7, r.stderr)
      t.match(fastLine(r.stderr), /^hit, pid \d+$/)
      t.equal(r.stdout, first.stdout, 'the same output')
      t.match(r.stdout, new RegExp(`^out ${c.name}\\n\\d+\\n$`))
      t.match(r.stderr, /^err$/m)
      t.notMatch(r.stderr, /plan cache/, 'nothing of the full path ran')
      t.match(r.stderr, /^lite: trace: +[\d.]+ ms  bun start +\(/m, "the front's own trace line, written through libc")
    }
    // lite-oci's `run ID` is runc's: an entry for a config named like the ID is not used.
    const oci = join(c.dir, 'lite-oci')
    symlinkSync(LITE, oci)
    const r = lite(['run', 'c.ini'], { ...traced, cwd: c.dir, bin: oci })
    t.not(r.code, 0, 'no bundle here: runc says so')
    t.equal(fastLine(r.stderr), '(none)', 'lite-oci run is not the fast run')
    t.notMatch(r.stdout, /^out /m, 'the config did not run')
    await assertNoLeaks(t, before, 'no state, cgroup, mount or process left after fast runs')
  })

  t.test('state, status and ps while a fast-run container runs; SIGTERM reaches it', async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\nreadonly = yes\n[exec]\ncmd = /bin/sleep 30\ninit = yes\n`)
    t.teardown(() => {
      lite(['stop', '-t', '0', c.name])
      lite(['rm', c.name])
    })
    await settle()
    for (const expected of ['(none)', 'hit']) {
      const bg = spawnBackground(t, LITE, ['run', c.path], traced.env)
      t.ok(await eventually(() => runningPid(c.name) !== undefined, 10_000), 'running')
      if (expected === 'hit') {
        const state = readFileSync(`/run/lite/${c.name}/state`, 'utf8')
        t.match(state, new RegExp(`^config=${c.path}$`, 'm'))
        t.match(state, new RegExp(`^monitor_pid=${bg.child.pid}$`, 'm'), 'the process that ran lite monitors it')
        t.match(state, new RegExp(`^lite=${LITE}$`, 'm'))
        t.match(state, /^pid_start=\d+$/m)
        t.match(state, /^lock_fd=\d+$/m)
        const st = lite(['status', c.name])
        t.equal(st.code, 0, st.stderr)
        t.match(st.stdout, /running/)
        t.match(lite(['ps']).stdout, new RegExp(`^${c.name} +running +${runningPid(c.name)} `, 'm'))
      }
      bg.child.kill('SIGTERM')
      const done = await bg.done
      t.equal(done.code, 143, `the app got SIGTERM: ${done.stderr}`)
      t.equal(fastLine(done.stderr).slice(0, expected.length), expected)
    }
    await assertNoLeaks(t, before)
  })

  t.test('the fast run leaves the state and the monitor as the full path does', async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\nreadonly = yes\n[resources]\nmemory = 32M\n[exec]\ncmd = /bin/sleep 30\ninit = yes\n[hook]\npost-stop[] = /bin/true\n`)
    t.teardown(() => {
      lite(['stop', '-t', '0', c.name])
      lite(['rm', c.name])
    })
    await settle()
    // The per-run values differ by nature; everything else must be the same text.
    const normal = (state: string) =>
      state.replace(/^(pid|pid_start|monitor_pid|started|lock_fd)=\d+$/gm, '$1=N')
    const seen: { state: string; fds: number; path: string }[] = []
    for (const env of [{ LITE_FAST: '0' }, {}, {}]) {
      const bg = spawnBackground(t, LITE, ['run', c.path], { ...traced.env, ...env })
      const monitor = bg.child.pid!
      // Both paths say running before they exec the monitor, which then writes the state
      // in its own form and opens its log: compare once it waits in its loop.
      t.ok(await eventually(() => runningPid(c.name) !== undefined && monitorWaits(monitor), 10_000), 'the monitor waits')
      seen.push({ state: normal(readFileSync(`/run/lite/${c.name}/state`, 'utf8')), fds: readdirSync(`/proc/${monitor}/fd`).length, path: readFileSync(`/proc/${monitor}/cmdline`, 'utf8') })
      bg.child.kill('SIGTERM')
      const done = await bg.done
      t.equal(done.code, 143, done.stderr)
      seen[seen.length - 1]!.path += ` ${fastLine(done.stderr)}`
    }
    t.match(seen[2]!.path, /hit/, 'the third run is the fast run')
    t.equal(seen[2]!.state, seen[0]!.state, 'the same state file')
    t.equal(seen[2]!.fds, seen[0]!.fds, 'the monitor holds as many fds')
    await assertNoLeaks(t, before)
  })

  t.test('a cgroup that exists: the fast run leaves it, the full path refuses it', async (t) => {
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\nreadonly = yes\n[resources]\npids = 16\n[exec]\ncmd = /bin/true\n`)
    await settle()
    t.equal(entryLine(lite(['run', c.path], traced).stderr), 'written')
    const taken = `${pidsHierarchy()}/lite/${c.name}`
    mkdirSync(taken)
    t.teardown(() => rmdirSync(taken))
    const before = snapshotHost()
    const r = lite(['run', c.path], traced)
    t.equal(r.code, 125)
    t.match(fastLine(r.stderr), /^miss \(.*File exists/)
    t.match(r.stderr, /exists already, and lite did not make it/)
    t.ok(existsSync(taken), 'not removed: lite did not make it')
    await assertNoLeaks(t, before, 'the other hierarchies\' directories were removed')
  })

  t.test('each change to what the entry was made from sends the run to the full path', async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\nreadonly = yes\n[exec]\ncmd = /bin/echo one\n`)
    await settle()
    t.equal(entryLine(lite(['run', c.path], traced).stderr), 'written')
    const entry = entryOf(c.path)
    const good = readFileSync(entry, 'utf8')
    const cases: [string, () => void, RegExp][] = [
      ['a truncated entry', () => writeFileSync(entry, good.slice(0, 400)), /^miss \(a record is cut short\)$/],
      ['an entry of another build', () => writeFileSync(entry, withRecord(good, 'build', '0000000000000000')), /^miss \(another build\)$/],
      ['another kernel', () => writeFileSync(entry, withRecord(good, 'kernel', '4.19.0')), /^miss \(another kernel\)$/],
      ['other host facts', () => writeFileSync(entry, withRecord(good, 'host', '0'.repeat(64))), /^miss \(host facts changed\)$/],
      ['an entry readable by others', () => (writeFileSync(entry, good), chmodSync(entry, 0o644)), /^miss \(the entry is not lite's\)$/],
    ]
    for (const [what, damage, expected] of cases) {
      damage()
      const r = lite(['run', c.path], traced)
      t.equal(r.code, 0, `${what}: ${r.stderr}`)
      t.equal(r.stdout, 'one\n', what)
      t.match(fastLine(r.stderr), expected, what)
      t.equal(entryLine(r.stderr), 'written', `${what}: the full path writes it again`)
      t.match(fastLine(lite(['run', c.path], traced).stderr), /^hit/, `${what}: then it hits`)
    }
    // The config itself: the edit runs at once, through the full path.
    writeFileSync(c.path, readFileSync(c.path, 'utf8').replace('echo one', 'echo two'))
    const edited = lite(['run', c.path], traced)
    t.equal(edited.stdout, 'two\n')
    t.match(fastLine(edited.stderr), /^miss \(changed: .*c\.ini\)$/)
    t.match(entryLine(edited.stderr), /^none \(no cache entry\)$/, 'changed just now: no entry until it settles')
    await assertNoLeaks(t, before)
  })

  t.test('another host name (a UTS namespace) is other host facts', async (t) => {
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\nreadonly = yes\n[exec]\ncmd = /bin/true\n`)
    await settle()
    lite(['run', c.path])
    const r = spawnBackground(t, 'unshare', ['-u', 'sh', '-c', `hostname lite-fast-test && exec ${LITE} run ${c.path}`], traced.env)
    const done = await r.done
    t.equal(done.code, 0, done.stderr)
    t.equal(fastLine(done.stderr), 'miss (host facts changed)')
  })

  t.test('what the fast run does not do goes to the full path, with its answers', async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\nreadonly = yes\n[exec]\ncmd = /bin/echo plain\n`)
    // Another config with the same container name, which holds it while it sleeps.
    const other = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\nreadonly = yes\n[exec]\ncmd = /bin/sleep 30\n`, c.name)
    t.teardown(() => {
      lite(['stop', '-t', '0', c.name])
      lite(['rm', c.name])
    })
    await settle()
    t.equal(entryLine(lite(['run', c.path], traced).stderr), 'written')
    t.equal(lite(['run', '-d', other.path]).code, 0)
    const held = lite(['run', c.path], traced)
    t.equal(held.code, 125)
    t.match(held.stderr, /already running/)
    t.equal(fastLine(held.stderr), 'miss (the name is held)')
    t.equal(lite(['stop', '-t', '0', c.name]).code, 0)
    // The detached run kept its state (exited): the full path settles it, and runs.
    const kept = lite(['run', c.path], traced)
    t.equal(kept.code, 0, kept.stderr)
    t.equal(kept.stdout, 'plain\n')
    t.equal(fastLine(kept.stderr), 'miss (state left by an earlier run)')
    // Options, and the variables that change a run, skip the front.
    for (const [what, args, env] of [
      ['a command', ['run', c.path, '/bin/echo', 'plain'], {}],
      ['--no-cache', ['run', '--no-cache', c.path], {}],
      ['--name', ['run', '--name', `${c.name}-x`, c.path], {}],
      ['LITE_FAST=0', ['run', c.path], { LITE_FAST: '0' }],
      ['LITE_STATE_ROOT', ['run', c.path], { LITE_STATE_ROOT: '/run/lite' }],
    ] as [string, string[], Record<string, string>][]) {
      const r = lite(args, { env: { ...traced.env, ...env } })
      t.equal(r.code, 0, `${what}: ${r.stderr}`)
      t.equal(r.stdout, 'plain\n', what)
      t.equal(fastLine(r.stderr), '(none)', what)
    }
    t.match(fastLine(lite(['run', c.path], traced).stderr), /^hit/, 'the plain run still hits: the others left its entry alone')
    await assertNoLeaks(t, before)
  })

  t.test('a failed set-up from a valid entry: undone, and reported by the full path', async (t) => {
    const before = snapshotHost()
    // A private rootfs whose program's interpreter is in /app: the rootfs directory is an
    // input, /app is not, so the interpreter goes unseen by the entry's check.
    const dir = mkdtempSync(join(tmpdir(), 'lite-fast-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const rootfs = join(dir, 'rootfs')
    cpSync(BUSYBOX, rootfs, { recursive: true, verbatimSymlinks: true })
    mkdirSync(join(rootfs, 'app'))
    writeFileSync(join(rootfs, 'app/run'), '#!/app/sh\necho ran\n', { mode: 0o755 })
    symlinkSync('/bin/busybox', join(rootfs, 'app/sh'))
    const c = writeConfig(t, `[rootfs]\npath = ${rootfs}\nreadonly = yes\n[exec]\ncmd = /app/run\n`)
    await settle()
    const ok = lite(['run', c.path], traced)
    t.equal(ok.stdout, 'ran\n', ok.stderr)
    t.equal(entryLine(ok.stderr), 'written')
    unlinkSync(join(rootfs, 'app/sh'))
    const failed = lite(['run', c.path], traced)
    t.match(fastLine(failed.stderr), /^miss \(set-up failed at exec/, 'the fast run saw the failure and let go')
    t.equal(failed.code, 127, failed.stderr)
    t.match(failed.stderr, /c\.ini:\d+: \[exec\] cmd: /, 'the full path names the config line')
    await assertNoLeaks(t, before, 'the fast run undid its cgroups and state before the full path ran')
  })

  t.test('an ineligible plain config has no entry', async (t) => {
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\nreadonly = yes\n[hook]\npre-start[] = /bin/true\n[exec]\ncmd = /bin/true\n`)
    await settle()
    for (let i = 0; i < 2; i++) {
      const r = lite(['run', c.path], traced)
      t.equal(r.code, 0, r.stderr)
      t.equal(fastLine(r.stderr), '(none)')
      t.equal(entryLine(r.stderr), 'none (pre-start hooks)')
    }
    t.notOk(readdirSync('/run/lite/.lite-cache').includes(entryOf(c.path).split('/').pop()!))
  })
}
