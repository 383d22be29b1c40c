// Process behaviour like docker run: exit codes, signal forwarding and escalation, the
// stub init, a pty (-t) and stdin (-i).

import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { LITE, assertNoLeaks, eventually, lite, liteBackground, requireRootAndBuild, sh, snapshotHost, writeConfig, runningPid } from '../support/integration.ts'

const BASE = `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n`

const containerPid = runningPid

if (requireRootAndBuild(t)) {
  t.test('exit codes: the container\'s own, 126 not executable, 127 not found', async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, BASE)
    t.equal(sh(c.path, 'exit 0').code, 0)
    t.equal(sh(c.path, 'exit 3').code, 3)
    const notExec = lite(['run', c.path, '--', '/etc/passwd'])
    t.equal(notExec.code, 126)
    t.match(notExec.stderr, /cannot execute \/etc\/passwd: Permission denied \(EACCES\)/)
    const notFound = lite(['run', c.path, '--', 'no-such-command'])
    t.equal(notFound.code, 127)
    t.match(notFound.stderr, /"no-such-command": command not found in the container \(tried \/usr\/local\/sbin\/no-such-command, /)
    const notFoundInConfig = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /opt/app --flag\n`)
    const r = lite(['run', notFoundInConfig.path])
    t.equal(r.code, 127)
    t.match(r.stderr, /c\.ini:6: \[exec\] cmd: "\/opt\/app": command not found/, 'the config line is named')
    await assertNoLeaks(t, before)
  })

  t.test('137 when the container is killed', async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, BASE)
    const run = liteBackground(t, ['run', c.path, '--', 'sleep', '30'])
    t.ok(await eventually(() => containerPid(c.name) !== undefined), 'the pid is in the state dir')
    process.kill(containerPid(c.name)!, 'SIGKILL')
    const r = await run.done
    t.equal(r.code, 137, r.stderr)
    await assertNoLeaks(t, before)
  })

  t.test('SIGTERM to lite runs the trap of a shell that is PID 1', async (t) => {
    const c = writeConfig(t, BASE)
    const run = liteBackground(t, ['run', c.path, '--', '/bin/sh', '-c', 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.05; done'])
    t.ok(await eventually(() => run.output().includes('ready')))
    run.child.kill('SIGTERM')
    const r = await run.done
    t.equal(r.code, 7, r.stderr)
    t.match(r.stdout, /got TERM/)
  })

  t.test('init = yes: PID 1 is a stub, the app is PID 2, SIGTERM ends an app with no handler (143)', async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ninit = yes\ncmd = /bin/true\n`)
    const r = sh(c.path, 'echo $$; tr "\\0" " " < /proc/1/cmdline; echo; tr "\\0" "\\n" < /proc/1/environ | grep -c . || true', {
      env: { ...process.env, LITE_HOST_SECRET: 'must-not-leak' },
    })
    t.equal(r.code, 0, r.stderr)
    const [pid, cmdline, envCount] = r.stdout.split('\n')
    t.same([pid, cmdline?.trim(), envCount], ['2', 'lite-init 2', '0'], 'the app is PID 2; PID 1 is the monitor in init mode, with no lite argv and no host environment')
    const run = liteBackground(t, ['run', c.path, '--', 'sleep', '30'])
    t.ok(await eventually(() => containerPid(c.name) !== undefined))
    run.child.kill('SIGTERM')
    t.equal((await run.done).code, 143)
    await assertNoLeaks(t, before)
  })

  t.test('without init, SIGTERM to an app with no handler is dropped; stop_timeout ends it with SIGKILL', async (t) => {
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\nstop_timeout = 1\ncmd = /bin/true\n`)
    const run = liteBackground(t, ['run', c.path, '--', 'sleep', '30'])
    t.ok(await eventually(() => containerPid(c.name) !== undefined))
    const sent = Date.now()
    run.child.kill('SIGTERM')
    const r = await run.done
    t.equal(r.code, 137)
    t.ok(Date.now() - sent >= 900, 'SIGKILL came after stop_timeout, not at once')
  })

  t.test('stop_signal replaces SIGTERM', async (t) => {
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\nstop_signal = SIGUSR1\ncmd = /bin/true\n`)
    const run = liteBackground(t, ['run', c.path, '--', '/bin/sh', '-c', 'trap "echo got USR1; exit 0" USR1; echo ready; while :; do sleep 0.05; done'])
    t.ok(await eventually(() => run.output().includes('ready')))
    run.child.kill('SIGTERM')
    const r = await run.done
    t.equal(r.code, 0)
    t.match(r.stdout, /got USR1/)
  })

  t.test('-i forwards stdin; without it the container reads /dev/null', async (t) => {
    const c = writeConfig(t, BASE)
    t.equal(lite(['run', '-i', c.path, '--', 'cat'], { input: 'line one\nline two\n' }).stdout, 'line one\nline two\n')
    t.equal(lite(['run', c.path, '--', 'cat'], { input: 'not forwarded\n' }).stdout, '')
  })

  t.test('-t: a pty from the container\'s devpts, its size follows the terminal, the terminal is restored', async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, BASE)
    const dir = t.testdir({})
    // script(1) gives lite a real terminal. The size changes while the container runs;
    // the kernel sends SIGWINCH to lite, which copies the size to the pty. No sleeps to
    // order the steps (a loaded machine outlasts them): the terminal is resized once the
    // container has printed its first size (it touches /tmp/sized, seen through
    // /proc/PID/root), and the container waits for the new size, both bounded to 10 s.
    // GNU stty sets rows and cols in two ioctls, so 30 50 may be seen on the way.
    const sized = `/proc/$(sed -n 's/^pid=//p' /run/lite/${c.name}/state 2>/dev/null)/root/tmp/sized`
    const inner =
      `stty rows 20 cols 50; stty -g > ${dir}/before; ` +
      `(i=0; until [ -e ${sized} ] || [ $i -ge 200 ]; do sleep 0.05; i=$((i+1)); done; stty rows 30 cols 70 < /dev/tty) & ` +
      `${LITE} run -t ${c.path} -- /bin/sh -c 'tty; ls $(tty); stty size; touch /tmp/sized; ` +
      `i=0; until [ "$(stty size)" = "30 70" ] || [ $i -ge 200 ]; do sleep 0.05; i=$((i+1)); done; stty size; exit 5'; echo "rc=$?"; ` +
      `stty -g > ${dir}/after`
    const r = spawnSync('script', ['-qec', inner, '/dev/null'], { encoding: 'utf8', timeout: 20_000, input: '' })
    const out = r.stdout.replace(/\r/g, '')
    t.match(out, /^\/dev\/pts\/0\n\/dev\/pts\/0\n20 50\n30 70\n/m, 'tty names /dev/pts/0, which exists inside; the size follows')
    t.match(out, /rc=5/, 'the exit code passes through')
    t.equal(readFileSync(join(dir, 'after'), 'utf8'), readFileSync(join(dir, 'before'), 'utf8'), 'stty -g is the same afterwards')
    await assertNoLeaks(t, before)
  })

  t.test('-ti: an interactive shell typed into through a terminal', async (t) => {
    const c = writeConfig(t, BASE)
    const dir = t.testdir({})
    // script(1) types the input into lite's terminal; the container's sh reads it
    // from its own pty, in raw mode passed through.
    const inner = `stty -g > ${dir}/before; ${LITE} run -ti ${c.path} -- /bin/sh; echo "rc=$?"; stty -g > ${dir}/after`
    const r = spawnSync('script', ['-qec', inner, '/dev/null'], { encoding: 'utf8', timeout: 20_000, input: 'echo typed-$((6*7))\nexit 9\n' })
    const out = r.stdout.replace(/\r/g, '')
    t.match(out, /^typed-42$/m, 'the command ran in the container')
    t.match(out, /rc=9/)
    t.equal(readFileSync(join(dir, 'after'), 'utf8'), readFileSync(join(dir, 'before'), 'utf8'), 'the terminal is restored')
  })

  t.test('-t without a terminal on stdin still gives the container a pty', async (t) => {
    const c = writeConfig(t, BASE)
    const r = lite(['run', '-t', c.path, '--', '/bin/sh', '-c', 'tty; echo $TERM'])
    t.equal(r.code, 0, r.stderr)
    t.equal(r.stdout.replace(/\r/g, ''), '/dev/pts/0\nxterm\n')
  })
}
