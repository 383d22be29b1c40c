// The monitor (native-rs/monitor): lite run execs into it once the container runs, so
// the process an init system started keeps its pid and shrinks to a few KiB; PID 1 of
// init = yes is the same binary in init mode; lite exec joins a running container.

import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { LITE, assertNoLeaks, eventually, lite, liteBackground, monitorWaits, requireRootAndBuild, runningPid, snapshotHost, uniqueName, writeConfig } from '../support/integration.ts'

/** The monitor's size goal (DESIGN.md §6) and the per-container resident goal (issue 8). */
const MONITOR_MAX_BYTES = 64 * 1024
const PSS_MAX_KIB = 256

function stateValue(name: string, key: string): string | undefined {
  try {
    return new RegExp(`^${key}=(.*)$`, 'm').exec(readFileSync(`/run/lite/${name}/state`, 'utf8'))?.[1]
  } catch {
    return undefined
  }
}

function pssKiB(pid: number): number {
  const m = /^Pss:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))
  return m ? Number(m[1]) : NaN
}

function statusField(pid: number | string, field: string): string | undefined {
  return new RegExp(`^${field}:\\s+(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
}

/** Trace lines lite prints (LITE_TRACE=1) as it enters each phase of a run. */
const PHASES = ['state', 'cgroups', 'clone', 'attach', 'start', 'monitor'] as const

interface SignalledRun {
  code: number | null
  signal: NodeJS.Signals | null
  ms: number
  stderr: string
}

/**
 * lite run with LITE_TRACE=1; once stderr shows the trace line `mark` (a phase, or
 * 'phases': the summary printed just before the exec into the monitor), `act` runs
 * with the pid after a busy wait of `spinMs`. Bounded by `timeoutMs`.
 */
function runAndSignal(args: string[], mark: string, spinMs: number, act: (pid: number, done: () => boolean) => void, timeoutMs = 20_000): Promise<SignalledRun> {
  const started = Date.now()
  // LITE_FAST=0: the phases are the full path's (fast-run.test.ts signals the fast run).
  const child = spawn(LITE, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LITE_TRACE: '1', LITE_FAST: '0' } })
  let stderr = ''
  let acted = false
  let finished = false
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  child.stderr.on('data', (d) => {
    stderr += d
    const seen = mark === 'phases' ? stderr.includes('lite: trace: phases') : new RegExp(`ms  ${mark} `).test(stderr)
    if (acted || !seen) return
    acted = true
    const until = performance.now() + spinMs
    while (performance.now() < until);
    act(child.pid!, () => finished)
  })
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      finished = true
      clearTimeout(timer)
      resolve({ code, signal, ms: Date.now() - started, stderr: stderr.split('\n').filter((l) => !l.startsWith('lite: trace:')).join('\n') })
    }),
  )
}

if (requireRootAndBuild(t)) {
  t.test('lite run becomes the monitor: same pid, a sealed memfd, small and light', async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ninit = yes\ncmd = sleep 30\n`)
    const run = liteBackground(t, ['run', c.path])
    const monitor = run.child.pid!
    t.ok(await eventually(() => runningPid(c.name) !== undefined && monitorWaits(monitor), 5000), 'running, the monitor waits')
    t.equal(Number(stateValue(c.name, 'monitor_pid')), monitor, 'the pid an init system sees is the monitor')
    t.equal(readlinkSync(`/proc/${monitor}/exe`), '/memfd:lite-monitor (deleted)', 'entered from a memfd, not a file')
    t.ok(statSync(`/proc/${monitor}/exe`).size <= MONITOR_MAX_BYTES, `the monitor is at most ${MONITOR_MAX_BYTES} bytes`)
    t.equal(readFileSync(`/proc/${monitor}/comm`, 'utf8').trim(), 'lite-monitor')
    // The container's PID 1 (init = yes) is the same binary in init mode.
    const init = runningPid(c.name)!
    t.equal(readlinkSync(`/proc/${init}/exe`), '/memfd:lite-monitor (deleted)')
    const pss = pssKiB(monitor) + pssKiB(init)
    t.ok(pss <= PSS_MAX_KIB, `monitor + init PSS ${pss} KiB <= ${PSS_MAX_KIB} KiB`)
    // The memfd is sealed: nobody can change the running monitor's code.
    const fdinfo = readdirSync(`/proc/${monitor}/fd`).map((fd) => readlinkSync(`/proc/${monitor}/fd/${fd}`))
    t.notOk(fdinfo.some((l) => l.includes('lite-monitor')), 'the monitor holds no writable copy of itself')
    run.child.kill('SIGTERM')
    t.equal((await run.done).code, 143, 'a stop request ends the app (SIGTERM through init: 143)')
    await assertNoLeaks(t, before)
  })

  t.test('foreground restart: on-failure:2 runs three times under the same pid, then exits with the code', async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = '/bin/sh -c "echo run; exit 3"'\n[start]\nrestart = on-failure:2\n`)
    const r = lite(['run', c.path], { timeout: 20_000 })
    t.equal(r.code, 3)
    t.equal(r.stdout, 'run\nrun\nrun\n', 'the first run and two restarts')
    await assertNoLeaks(t, before)
  })

  t.test('a post-stop hook runs from the monitor with the exit code', async (t) => {
    const out = join(t.testdir({}), 'hook.out')
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = '/bin/sh -c "exit 4"'\n[hook]\npost-stop[] = '/bin/sh -c "echo hook $LITE_NAME $LITE_EXIT_CODE > ${out}"'\n`)
    const r = lite(['run', c.path])
    t.equal(r.code, 4, r.stderr)
    t.equal(readFileSync(out, 'utf8'), `hook ${c.name} 4\n`)
  })

  t.test('a SIGTERM while lite sets up ends the run cleanly (an init system stopping a starting service)', async (t) => {
    const before = snapshotHost()
    const marker = join(t.testdir({}), 'hook-ran')
    // The pre-start hook holds lite in its set-up for a moment: the signal comes then.
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n[hook]\npre-start[] = '/bin/sh -c "touch ${marker}; sleep 1"'\n`)
    const run = liteBackground(t, ['run', c.path])
    t.ok(await eventually(() => existsSync(marker), 5000), 'lite is in its pre-start hook')
    run.child.kill('SIGTERM')
    const r = await run.done
    t.equal(r.code, 143, r.stderr)
    t.match(r.stderr, /a stop request came before the container started; nothing was started/)
    await assertNoLeaks(t, before)
  })

  t.test('the addon is unpacked once: 100 runs leave one copy', async (t) => {
    const dir = t.testdir({})
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n[net]\ntype = host\n`)
    const env = { ...process.env, BUN_TMPDIR: dir, TMPDIR: dir }
    let failures = 0
    for (let i = 0; i < 100; i++) if (lite(['run', c.path], { env }).code !== 0) failures++
    t.equal(failures, 0, '100 runs')
    const copies = readdirSync(dir).filter((f) => f.endsWith('.node'))
    t.ok(copies.length <= 1, `at most one addon copy in the extraction dir: ${copies.join(' ')}`)
  })

  t.test('where vm.memfd_noexec forbids an executable memfd, the monitor runs from an unnamed O_TMPFILE', async (t) => {
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = '/bin/sh -c "echo inside"'\n`)
    // The sysctl is per pid namespace: set it to 2 in a namespace of the test's own.
    const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'sh', '-c', `echo 2 > /proc/sys/vm/memfd_noexec && ${LITE} run ${c.path}`], {
      encoding: 'utf8',
      timeout: 20_000,
    })
    if (/memfd_noexec: No such file/.test(r.stderr)) {
      t.comment('this kernel has no vm.memfd_noexec (before 6.3): nothing to fall back from')
      return
    }
    t.equal(r.status, 0, r.stderr)
    t.equal(r.stdout, 'inside\n')
  })

  t.test('lite exec joins the namespaces, cgroups and confinement of a running container', async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = sleep 30\n[resources]\nmemory = 32M\n`)
    const run = liteBackground(t, ['run', c.path])
    t.ok(await eventually(() => runningPid(c.name) !== undefined, 5000))
    const init = runningPid(c.name)!
    const r = lite(['exec', c.name, '--', '/bin/sh', '-c', 'echo $$; for n in mnt pid net uts; do readlink /proc/self/ns/$n; done; grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'])
    t.equal(r.code, 0, r.stderr)
    const lines = r.stdout.trim().split('\n')
    t.not(lines[0], '1', 'not PID 1: a new process inside the pid namespace')
    t.ok(Number(lines[0]) > 1 && Number(lines[0]) < 100, 'a pid of the container\'s namespace')
    for (const [i, ns] of ['mnt', 'pid', 'net', 'uts'].entries()) t.equal(lines[1 + i], readlinkSync(`/proc/${init}/ns/${ns}`), `same ${ns} namespace`)
    for (const field of ['CapEff', 'CapBnd', 'NoNewPrivs', 'Seccomp']) {
      t.match(r.stdout, new RegExp(`^${field}:\\s+${statusField(init, field)}$`, 'm'), `${field} as the container's`)
    }
    t.match(lines[lines.length - 1], /^33554432$/, 'inside the container\'s memory cgroup')
    t.equal(lite(['exec', c.name, '--', '/bin/sh', '-c', 'exit 7']).code, 7, 'the exit code is the command\'s')
    const missing = lite(['exec', c.name, '--', 'no-such-command'])
    t.equal(missing.code, 127)
    t.match(missing.stderr, /command not found in the container/)
    const unknown = lite(['exec', 'no-such-container-x', '--', 'true'])
    t.equal(unknown.code, 1)
    t.match(unknown.stderr, /no such container/)
    // SIGKILL to the container; its monitor cleans up and exits with 137.
    t.equal(lite(['kill', c.name]).code, 0)
    t.equal((await run.done).code, 137)
    await assertNoLeaks(t, before)
  })

  t.test('lite exec -ti: an interactive shell inside, through a terminal', async (t) => {
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = sleep 30\n`)
    const run = liteBackground(t, ['run', c.path])
    t.ok(await eventually(() => runningPid(c.name) !== undefined, 5000))
    const r = spawnSync('script', ['-qec', `${LITE} exec -ti ${c.name} -- /bin/sh; echo "rc=$?"`, '/dev/null'], {
      encoding: 'utf8',
      timeout: 20_000,
      input: 'tty; echo typed-$((6*7))\nexit 9\n',
    })
    const out = r.stdout.replace(/\r/g, '')
    t.match(out, /^\/dev\/pts\/\d+$/m, 'a pty of the container\'s devpts')
    t.match(out, /^typed-42$/m)
    t.match(out, /rc=9/)
    t.equal(lite(['kill', c.name]).code, 0)
    await run.done
  })

  t.test('a stop request around the hand-over to the monitor is never lost: 100 runs, exit 128 + the signal', async (t) => {
    const before = snapshotHost()
    // The app would run 5 s: a stop request that is lost shows as a run of its whole course.
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ninit = yes\ncmd = sleep 5\n`)
    const marks = [...PHASES.slice(2), 'phases']
    const odd: string[] = []
    const deadline = Date.now() + 90_000
    let runs = 0
    for (let i = 0; i < 100 && Date.now() < deadline; i++, runs++) {
      const sig: NodeJS.Signals = i % 2 ? 'SIGINT' : 'SIGTERM'
      const mark = marks[i % marks.length]!
      const spin = (Math.floor(i / marks.length) % 5) / 5
      const r = await runAndSignal(['run', c.path, '--name', `${c.name}-${i}`], mark, spin, (pid) => process.kill(pid, sig))
      const want = sig === 'SIGINT' ? 130 : 143
      if (r.code !== want || r.ms > 4000) odd.push(`${sig} at ${mark}+${spin}ms: exit ${r.code ?? r.signal} after ${r.ms} ms ${r.stderr.trim()}`)
    }
    t.equal(runs, 100, 'every run within the bound')
    t.same(odd, [], 'each run ended at once with 128 + the signal it got')
    await assertNoLeaks(t, before)
  })

  t.test('a burst of SIGUSR2 during set-up (forwarded, never fatal): 20 starts, none fails', async (t) => {
    const before = snapshotHost()
    // The app is PID 1 without a handler: the kernel drops the forwarded SIGUSR2.
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n`)
    const failed: string[] = []
    let sent = 0
    for (let i = 0; i < 20; i++) {
      const mark = PHASES[1 + (i % 3)]!
      const r = await runAndSignal(['run', c.path, '--name', `${c.name}-${i}`], mark, 0, (pid, done) => {
        // Until lite exits, at most 200 000 signals: the device BPF program is loaded meanwhile.
        const burst = (left: number) => {
          for (let k = 0; k < 500 && left > 0 && !done(); k++, left--, sent++) {
            try {
              process.kill(pid, 'SIGUSR2')
            } catch {
              return
            }
          }
          if (left > 0 && !done()) setImmediate(() => burst(left))
        }
        burst(200_000)
      })
      if (r.code !== 0) failed.push(`at ${mark}: exit ${r.code ?? r.signal}: ${r.stderr.trim()}`)
    }
    t.same(failed, [], `20 starts under ${sent} signals`)
    await assertNoLeaks(t, before)
  })

  t.test('an unpack killed half-way leaves a temp file that the next unpack removes', async (t) => {
    const dir = t.testdir({})
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n`)
    // A pid that ran and is gone: a lite killed with -9 in the middle of its unpack.
    const gone = spawnSync('/bin/true')
    t.equal(gone.status, 0)
    const deadPid = gone.pid!
    const stale = join(dir, `.lite-some-build.node.${deadPid}.tmp`)
    writeFileSync(stale, Buffer.alloc(512 * 1024))
    const livePid = process.pid
    const live = join(dir, `.lite-some-build.node.${livePid}.tmp`)
    writeFileSync(live, 'a concurrent unpack')
    const r = lite(['run', c.path, '--name', uniqueName('unpack')], { env: { ...process.env, BUN_TMPDIR: dir, TMPDIR: dir } })
    t.equal(r.code, 0, r.stderr)
    t.notOk(existsSync(stale), 'the dead unpack\'s file is gone')
    t.ok(existsSync(live), 'a live one stays')
    t.same(readdirSync(dir).filter((f) => f.endsWith('.node')).length, 1, 'the new unpack is there')
  })
}
