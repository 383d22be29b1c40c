// The monitor (native-rs/monitor): lite run execs into it once the container runs, so
// the process an init system started keeps its pid and shrinks to a few KiB; PID 1 of
// init = yes is the same binary in init mode; lite exec joins a running container.

import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { LITE, assertNoLeaks, eventually, lite, liteBackground, requireRootAndBuild, runningPid, snapshotHost, writeConfig } from '../support/integration.ts'

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

if (requireRootAndBuild(t)) {
  t.test('lite run becomes the monitor: same pid, a sealed memfd, small and light', async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ninit = yes\ncmd = sleep 30\n`)
    const run = liteBackground(t, ['run', c.path])
    t.ok(await eventually(() => runningPid(c.name) !== undefined, 5000), 'running')
    const monitor = run.child.pid!
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
}
