// The fast exec end to end (runtime/fast-front.ts, lifecycle/fast-exec-entry.ts,
// native-rs/src/fast_run/exec.rs): a plain `lite exec NAME CMD...` leaves the running
// container an exec entry, and the next plain exec is done by native code from it,
// with what the full path gives (output, exit code, namespaces, cgroups, confinement,
// errors). Anything the entry no longer holds for goes to the full path, which says
// what is wrong as it always does and writes the entry again.

import { chmodSync, existsSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { withRecord } from '../support/fast-entries.ts'
import t, { type Test } from 'tap'
import { fastExecEntryPath } from '../../runtime/plan/cache-paths.ts'
import { assertNoLeaks, lite, requireRootAndBuild, runningPid, snapshotHost, writeConfig } from '../support/integration.ts'

// RACY_MS in plan-cache.ts: an input changed more recently is not trusted, so not stored.
const settle = () => new Promise((r) => setTimeout(r, 2100))
const traced = { env: { ...process.env, LITE_TRACE: '1' } }
const full = { env: { ...process.env, LITE_FAST: '0' } }
const fastLine = (stderr: string) => /lite: trace: fast path: (.*)/.exec(stderr)?.[1] ?? '(none)'
const entryLine = (stderr: string) => /fast exec entry: (.*)/.exec(stderr)?.[1] ?? '(none)'
/** stderr without LITE_TRACE's lines */
const said = (stderr: string) => stderr.split('\n').filter((l) => !l.startsWith('lite: trace:')).join('\n')


if (requireRootAndBuild(t)) {
  /** A detached sleeping container whose config has settled; stopped and removed at the end. */
  async function sleeper(t: Test) {
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\nreadonly = yes\n[resources]\nmemory = 32M\npids = 32\n[exec]\ncmd = /bin/sleep 120\n`)
    t.teardown(() => {
      lite(['stop', '-t', '0', c.name])
      lite(['rm', c.name])
    })
    await settle()
    const d = lite(['run', '-d', c.path])
    t.equal(d.code, 0, d.stderr)
    return { ...c, entry: fastExecEntryPath('/run/lite', c.name) }
  }

  t.test('a plain exec leaves an entry; the next plain exec is the fast exec, and does what the full path does', async (t) => {
    const before = snapshotHost()
    const c = await sleeper(t)
    const first = lite(['exec', c.name, '--', '/bin/echo', 'in'], traced)
    t.equal(first.stdout, 'in\n', first.stderr)
    t.equal(fastLine(first.stderr), '(none)', 'no entry yet: the front passes it by')
    t.equal(entryLine(first.stderr), 'written')
    t.equal(statSync(c.entry).mode & 0o777, 0o600, 'root\'s alone')
    const script = 'for n in mnt pid net uts ipc cgroup; do readlink /proc/self/ns/$n; done; grep -E "^(Uid|Gid|Groups|CapEff|CapBnd|CapPrm|NoNewPrivs|Seccomp):" /proc/self/status; cat /proc/self/cgroup; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; pwd; [ "$(cat /proc/self/cgroup)" = "$(cat /proc/1/cgroup)" ] && echo same-cgroups; echo err >&2; exit 5'
    const slow = lite(['exec', c.name, '--', '/bin/sh', '-c', script], full)
    const fast = lite(['exec', c.name, '--', '/bin/sh', '-c', script], traced)
    t.match(fastLine(fast.stderr), /^hit, pid \d+$/)
    t.notMatch(fast.stderr, /plan cache/, 'nothing of the full path ran')
    t.equal(fast.code, 5, 'the exit code is the command\'s')
    t.equal(slow.code, 5)
    t.equal(fast.stdout, slow.stdout, 'the same namespaces, ids, caps, seccomp, cgroups and working directory')
    t.match(fast.stdout, /^33554432$/m, 'inside the container\'s memory cgroup')
    t.equal(said(fast.stderr), said(slow.stderr))
    t.match(fast.stdout, /^same-cgroups$/m, 'the cgroups of the container\'s first process')
    // PATH lookup in the container, and words that yargs keeps as they are.
    for (const argv of [['echo', '1.0', '0x10', 'true'], ['--', 'echo', '-n', 'x'], ['sh', '--', '-c', 'echo $0', 'zero']]) {
      const a = lite(['exec', c.name, ...argv], traced)
      const b = lite(['exec', c.name, ...argv], full)
      t.match(fastLine(a.stderr), /^hit/, argv.join(' '))
      t.same([a.code, a.stdout], [b.code, b.stdout], `${argv.join(' ')}: as the full path`)
    }
    t.equal(lite(['exec', c.name, 'echo', '1.0']).stdout, '1.0\n')
    // stdin is not the command's without -i, on either path.
    const catFast = lite(['exec', c.name, '--', 'cat'], { ...traced, input: 'typed\n' })
    const catFull = lite(['exec', c.name, '--', 'cat'], { ...full, input: 'typed\n' })
    t.same([catFast.code, catFast.stdout], [catFull.code, catFull.stdout])
    // A command that is not there: the child fails before its exec, the full path says why.
    const missing = lite(['exec', c.name, '--', 'no-such-command'], traced)
    t.equal(missing.code, 127)
    t.match(missing.stderr, /fast path: miss \(set-up failed/)
    t.equal(said(missing.stderr), said(lite(['exec', c.name, '--', 'no-such-command'], full).stderr), 'its error as the full path gives it')
    // Not plain: the full path, which leaves the entry be.
    for (const args of [['exec', '--no-cache', c.name, '--', 'true'], ['exec', c.name, '-i', '--', 'true']]) {
      const r = lite(args, traced)
      t.equal(r.code, 0, r.stderr)
      t.equal(fastLine(r.stderr), '(none)', args.join(' '))
      t.match(entryLine(r.stderr), /^left alone/)
    }
    t.equal(lite(['stop', '-t', '0', c.name]).code, 0)
    // Stopped, its state kept until rm: the entry no longer holds; the full path says so.
    const after = lite(['exec', c.name, '--', 'true'], traced)
    t.equal(after.code, 1)
    t.match(after.stderr, /fast path: miss \(the container is not the one the entry is for\)/)
    t.match(after.stderr, /is not running/)
    t.equal(lite(['rm', c.name]).code, 0)
    t.notOk(existsSync(c.entry), 'the entry went with the container')
    await assertNoLeaks(t, before, 'no process, cgroup or state left after fast execs')
  })

  t.test('an entry that no longer holds sends the exec to the full path, which writes it again', async (t) => {
    const before = snapshotHost()
    const c = await sleeper(t)
    t.equal(lite(['exec', c.name, '--', 'true']).code, 0)
    const good = readFileSync(c.entry, 'utf8')
    const expectMiss = (why: RegExp, what: string) => {
      const r = lite(['exec', c.name, '--', 'echo', 'ok'], traced)
      t.equal(r.stdout, 'ok\n', `${what}: ${r.stderr}`)
      t.match(fastLine(r.stderr), why, what)
      return r
    }
    writeFileSync(c.entry, withRecord(good, 'build', 'another'), { mode: 0o600 })
    t.equal(entryLine(expectMiss(/^miss \(another build\)$/, 'another build').stderr), 'written')
    writeFileSync(c.entry, withRecord(good, 'pid', '1'), { mode: 0o600 })
    expectMiss(/^miss \(the plan joins another process\)$/, 'another process')
    writeFileSync(c.entry, withRecord(good, 'kernel', '0.0-other'), { mode: 0o600 })
    expectMiss(/^miss \(another kernel\)$/, 'another kernel')
    writeFileSync(c.entry, good.slice(0, good.length / 2), { mode: 0o600 })
    expectMiss(/^miss \(/, 'a cut entry')
    t.equal(readFileSync(c.entry, 'utf8'), good, 'each miss wrote it again, the same: the command is not part of it')
    // Not root's alone: the native side refuses it; not a file: the front passes it by.
    chmodSync(c.entry, 0o644)
    expectMiss(/^miss \(the entry is not lite's\)$/, 'readable by others')
    t.equal(statSync(c.entry).mode & 0o777, 0o600, 'written again as root\'s')
    rmSync(c.entry)
    symlinkSync('/etc/passwd', c.entry)
    expectMiss(/^\(none\)$/, 'a symlink')
    t.equal(readFileSync('/etc/passwd', 'utf8').startsWith('lite-fast'), false, 'the link was replaced, not followed')
    t.ok(statSync(c.entry).isFile())
    // An edit of the config: a miss; the new plan is cached once the edit has settled.
    const now = new Date()
    utimesSync(c.path, now, now)
    const edited = expectMiss(/^miss \(changed: /, 'a touched config')
    t.equal(entryLine(edited.stderr), 'none (no cache entry)', 'a plan from a config touched just now is not kept')
    t.notOk(existsSync(c.entry))
    await settle()
    t.equal(entryLine(lite(['exec', c.name, '--', 'true'], traced).stderr), 'written')
    t.match(fastLine(lite(['exec', c.name, '--', 'true'], traced).stderr), /^hit/)
    // The container started again: a new first process, a new entry.
    const oldPid = runningPid(c.name)
    t.equal(lite(['stop', '-t', '0', c.name]).code, 0)
    t.equal(lite(['rm', c.name]).code, 0)
    t.equal(lite(['run', '-d', c.path]).code, 0)
    t.not(runningPid(c.name), oldPid)
    t.equal(fastLine(lite(['exec', c.name, '--', 'true'], traced).stderr), '(none)', 'no entry in the new state dir')
    t.match(fastLine(lite(['exec', c.name, '--', 'true'], traced).stderr), /^hit/)
    t.equal(lite(['stop', '-t', '0', c.name]).code, 0)
    t.equal(lite(['rm', c.name]).code, 0)
    await assertNoLeaks(t, before)
  })
}
