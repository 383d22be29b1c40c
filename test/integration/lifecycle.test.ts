// The daemonless lifecycle against the state-dir contract: lite run -d, ps, status,
// logs, stop (with stop_timeout escalation and -t), kill, rm, the restart policy,
// boot/shutdown order, kill -9 of a monitor (the next command settles it), and 20
// detached containers at once, each test ending with the host leak check.

import { readFileSync, existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { processStartTime } from '../../runtime/lifecycle/process-identity.ts'
import { STATE_ROOT, detachedConfig, runDetached, stateOf } from '../support/lifecycle.ts'
import { BUSYBOX, assertNoLeaks, eventually, lite, liteBackground, requireRootAndBuild, snapshotHost, uniqueName, writeConfig } from '../support/integration.ts'

const alive = (pid: number | null | undefined) => !!pid && existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')

const TRAP = 'trap \"echo bye; exit 0\" TERM; echo hello; echo oops >&2; while :; do sleep 0.1; done'

if (requireRootAndBuild(t)) {
  t.test('run -d, ps, status, logs, stop, kill, rm, with their exit codes', async (t) => {
    const before = snapshotHost()
    const c = detachedConfig(t, TRAP)
    const s = await runDetached(t, c.path, c.name)
    t.equal(s.name, c.name)
    t.equal(s.detached, true)
    t.equal(s.config, c.path)
    t.ok(alive(s.pid), 'the container runs')
    t.equal(processStartTime(s.pid!), s.pidStart, 'pid_start is /proc/PID/stat field 22')
    t.ok(alive(s.monitorPid), 'its monitor runs')
    t.equal(s.log, join(STATE_ROOT, c.name, 'log'))

    const again = lite(['run', '-d', c.path])
    t.equal(again.code, 125, 'the name is taken')
    t.match(again.stderr, /already running/)
    t.equal(again.stdout, '', 'a run -d that failed prints no name')
    const named = lite(['run', '-d', c.path, '--name', `${c.name}-b`])
    t.teardown(() => void lite(['rm', '-f', `${c.name}-b`], { timeout: 30_000 }))
    t.equal(named.stdout, `${c.name}-b\n`, 'the name given with --name')
    t.equal(lite(['stop', `${c.name}-b`]).code, 0)
    t.equal(lite(['rm', `${c.name}-b`]).code, 0)

    const ps = lite(['ps'])
    t.equal(ps.code, 0)
    t.match(ps.stdout, /^NAME\s+STATUS\s+PID\s+RESTARTS\s+UPTIME\/EXITED\s+NETWORK\s+CONFIG\n/)
    t.match(ps.stdout, new RegExp(`^${c.name}\\s+running\\s+${s.pid}\\s+0\\s+\\S+\\s+-\\s+${c.path}$`, 'm'))
    const json = JSON.parse(lite(['ps', '--json']).stdout) as { name: string; alive: boolean; pid: number }[]
    t.same(json.find((x) => x.name === c.name)?.alive, true)

    const st = lite(['status', c.name])
    t.equal(st.code, 0)
    t.match(st.stdout, /^status=running$/m)

    t.ok(await eventually(() => /hello\n/.test(lite(['logs', c.name]).stdout), 3000), 'stdout in the log')
    const logs = lite(['logs', c.name])
    t.equal(logs.code, 0)
    t.match(logs.stdout, /oops\n/, 'stderr too')

    const stop = lite(['stop', c.name])
    t.equal(stop.code, 0, stop.stderr)
    t.equal(stop.stdout, `${c.name}\n`)
    const after = stateOf(c.name)!
    t.equal(after.status, 'exited')
    t.equal(after.exitCode, 0, 'the trap ran: a clean exit')
    t.notOk(alive(s.pid), 'the container is gone')
    t.notOk(alive(s.monitorPid), 'so is its monitor')
    t.match(lite(['logs', c.name]).stdout, /bye\n/, 'the logs outlive the container')

    t.notMatch(lite(['ps']).stdout, c.name, 'ps: running ones only')
    t.match(lite(['ps', '-a']).stdout, new RegExp(`^${c.name}\\s+exited \\(0\\)`, 'm'))
    t.equal(lite(['status', c.name]).code, 1)

    const stopAgain = lite(['stop', c.name])
    t.equal(stopAgain.code, 0)
    t.match(stopAgain.stderr, /is not running/)
    t.equal(lite(['kill', c.name]).code, 1, 'kill: not running')
    t.equal(lite(['stop', 'lc8-no-such-name']).code, 1)
    t.equal(lite(['kill', 'lc8-no-such-name']).code, 1)
    t.equal(lite(['logs', 'lc8-no-such-name']).code, 1)
    t.equal(lite(['status', 'lc8-no-such-name']).code, 1)
    t.equal(lite(['kill', c.name, 'NOSUCHSIG']).code, 125)

    const rm = lite(['rm', c.name])
    t.equal(rm.code, 0)
    t.notOk(existsSync(join(STATE_ROOT, c.name)), 'rm removes the state dir')
    t.equal(lite(['rm', c.name]).code, 1, 'then it is unknown')
    await assertNoLeaks(t, before)
  })

  t.test('kill: a signal by name reaches the app; the default KILL ends it (137)', async (t) => {
    const before = snapshotHost()
    const c = detachedConfig(t, 'trap \"echo got USR1\" USR1; echo ready; while :; do sleep 0.1; done')
    await runDetached(t, c.path, c.name)
    t.ok(await eventually(() => lite(['logs', c.name]).stdout.includes('ready')))
    const usr1 = lite(['kill', c.name, 'USR1'])
    t.equal(usr1.code, 0, usr1.stderr)
    t.ok(await eventually(() => lite(['logs', c.name]).stdout.includes('got USR1')), 'the trap ran')
    t.equal(lite(['kill', c.name]).code, 0)
    t.ok(await eventually(() => stateOf(c.name)?.status === 'exited'), 'exited')
    t.equal(stateOf(c.name)?.exitCode, 137)
    t.equal(stateOf(c.name)?.exitSignal, 9)
    t.equal(lite(['rm', c.name]).code, 0)
    await assertNoLeaks(t, before)
  })

  t.test('rm of a running container needs -f; -f stops it and removes everything', async (t) => {
    const before = snapshotHost()
    const c = detachedConfig(t, 'while :; do sleep 0.1; done', '[start]\nrestart = always\n')
    const s = await runDetached(t, c.path, c.name)
    const rm = lite(['rm', c.name])
    t.equal(rm.code, 1)
    t.match(rm.stderr, /is running/)
    t.ok(alive(s.pid), 'still running')
    t.equal(lite(['rm', '-f', c.name]).code, 0)
    t.notOk(existsSync(join(STATE_ROOT, c.name)))
    t.notOk(alive(s.monitorPid), 'restart = always did not bring it back')
    await assertNoLeaks(t, before)
  })

  t.test('stop_timeout escalation: an app that ignores SIGTERM is SIGKILLed; -t kills earlier', async (t) => {
    const before = snapshotHost()
    const c = detachedConfig(t, 'trap \"\" TERM; while :; do sleep 0.1; done', 'stop_timeout = 1\n')
    await runDetached(t, c.path, c.name)
    t.equal(lite(['stop', c.name]).code, 0)
    t.equal(stateOf(c.name)?.exitCode, 137, 'SIGKILL after stop_timeout')

    const d = detachedConfig(t, 'trap \"\" TERM; while :; do sleep 0.1; done', 'stop_timeout = 3600\n')
    await runDetached(t, d.path, d.name)
    const stop = lite(['stop', '-t', '1', d.name], { timeout: 60_000 })
    t.equal(stop.code, 0, stop.stderr)
    t.equal(stateOf(d.name)?.exitCode, 137, '-t 1 SIGKILLs it without waiting an hour')
    t.equal(lite(['rm', c.name, d.name]).code, 0)
    await assertNoLeaks(t, before)
  })

  t.test('restart = on-failure:2 restarts a crashing app twice, then gives up', async (t) => {
    const before = snapshotHost()
    const c = detachedConfig(t, 'echo started; exit 3', '[start]\nrestart = on-failure:2\n')
    const r = lite(['run', '-d', c.path])
    t.equal(r.code, 0, r.stderr)
    t.ok(await eventually(() => stateOf(c.name)?.status === 'exited', 20_000), 'it gives up in the end')
    const s = stateOf(c.name)!
    t.equal(s.restarts, 2)
    t.equal(s.exitCode, 3)
    t.equal(lite(['logs', c.name]).stdout, 'started\nstarted\nstarted\n', 'three runs in one log')
    t.equal(lite(['rm', c.name]).code, 0)

    const ok = detachedConfig(t, 'exit 0', '[start]\nrestart = on-failure\n')
    t.equal(lite(['run', '-d', ok.path]).code, 0)
    t.ok(await eventually(() => stateOf(ok.name)?.status === 'exited', 10_000))
    t.equal(stateOf(ok.name)?.restarts, 0, 'a clean exit is not a failure')
    t.equal(lite(['rm', ok.name]).code, 0)
    await assertNoLeaks(t, before)
  })

  t.test('a detached restart that fails its set-up stays listed as exited (125), its reason in the log', async (t) => {
    const before = snapshotHost()
    // The app replaces its own cwd with a link the set-up refuses, in a persistent upper,
    // and fails: the restart cannot be set up.
    const upper = mkdtempSync(join(tmpdir(), 'lite-upper-'))
    t.teardown(() => rmSync(upper, { recursive: true, force: true }))
    mkdirSync(join(upper, 'root', 'srv'), { recursive: true })
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\nupper = ${upper}\n[exec]\ncwd = /srv\ncmd = "/bin/sh -c 'cd / && rmdir /srv && ln -s /proc/self/fd/10 /srv && exit 1'"\n[start]\nrestart = on-failure:1\n`)
    t.teardown(() => void lite(['rm', '-f', c.name], { timeout: 30_000 }))
    t.equal(lite(['run', '-d', c.path]).code, 0)
    t.ok(await eventually(() => stateOf(c.name)?.status === 'exited', 10_000), 'listed as exited')
    const s = stateOf(c.name)!
    t.equal(s.exitCode, 125)
    t.equal(s.restarts, 1)
    t.match(lite(['logs', c.name]).stdout + lite(['logs', c.name]).stderr, /c\.ini:\d+: \[exec\] cwd: \/srv: .*\(restart 1\)/, 'the reason, at its line')
    t.equal(lite(['rm', c.name]).code, 0)
    t.notOk(existsSync(join(STATE_ROOT, c.name)), 'rm removes it')
    await assertNoLeaks(t, before)
  })

  t.test('logs -f follows until the container exits; syslog and none say where the output went', async (t) => {
    const before = snapshotHost()
    const c = detachedConfig(t, 'echo ready; sleep 1; for i in 1 2 3; do echo line$i; sleep 0.1; done')
    await runDetached(t, c.path, c.name)
    const follow = liteBackground(t, ['logs', '-f', c.name])
    const r = await follow.done
    t.equal(r.code, 0, r.stderr)
    t.equal(r.stdout, 'ready\nline1\nline2\nline3\n')

    const sys = detachedConfig(t, 'sleep 30', '[log]\ntarget = syslog\n')
    await runDetached(t, sys.path, sys.name)
    const l = lite(['logs', sys.name])
    t.equal(l.code, 1)
    t.match(l.stderr, /syslog/)
    const none = detachedConfig(t, 'sleep 30', '[log]\ntarget = none\n')
    await runDetached(t, none.path, none.name)
    t.match(lite(['logs', none.name]).stderr, /target = none/)
    t.equal(lite(['rm', '-f', c.name, sys.name, none.name]).code, 0)
    await assertNoLeaks(t, before)
  })

  t.test('the log is a ring: log.1 and log stay within [log] size', async (t) => {
    const before = snapshotHost()
    // 200 lines of 100 bytes: 20 KB through a 16K ring that rotates at 8K.
    const c = detachedConfig(t, 'i=0; while [ $i -lt 200 ]; do printf "%099d\\n" $i; i=$((i+1)); done; sleep 30', '[log]\nsize = 16K\n')
    await runDetached(t, c.path, c.name)
    t.ok(await eventually(() => lite(['logs', c.name]).stdout.endsWith(`${'0'.repeat(96)}199\n`), 5000), 'the last line is there')
    const dir = join(STATE_ROOT, c.name)
    const size = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f)).length : 0)
    t.ok(existsSync(join(dir, 'log.1')), 'rotated')
    // Rotation happens once log reaches 8K, after the write that got it there: allow one
    // pipe read (4K) of slack over the 16K.
    t.ok(size('log') + size('log.1') <= 20 * 1024, `about 16K kept (${size('log')} + ${size('log.1')})`)
    // The oldest line may have been cut by a rotation in its middle: compare from the second.
    const lines = lite(['logs', c.name]).stdout.split('\n').filter(Boolean).slice(1)
    t.ok(lines.length > 50 && lines.length < 200, `the older lines are gone (${lines.length} kept)`)
    t.same(lines.map(Number), lines.map((_, i) => Number(lines[0]) + i), 'consecutive lines, oldest first')
    t.equal(lite(['rm', '-f', c.name]).code, 0)
    await assertNoLeaks(t, before)
  })

  t.test('kill -9 of the monitor: the next command settles the dead state, the name is free again', async (t) => {
    const before = snapshotHost()
    const c = detachedConfig(t, 'while :; do sleep 0.1; done')
    const s = await runDetached(t, c.path, c.name)
    process.kill(s.monitorPid!, 'SIGKILL')
    t.ok(await eventually(() => !alive(s.monitorPid)), 'the monitor is gone')
    const ps = lite(['ps', '-a'])
    t.equal(ps.code, 0)
    t.match(ps.stdout, new RegExp(`^${c.name}\\s+exited \\(\\?\\)`, 'm'), 'marked exited, code unknown')
    t.ok(await eventually(() => !alive(s.pid)), 'no container process is left')
    t.equal(lite(['status', c.name]).code, 1)
    // The name can be used again at once.
    await runDetached(t, c.path, c.name)
    t.equal(lite(['stop', c.name]).code, 0)
    t.equal(lite(['rm', c.name]).code, 0)
    await assertNoLeaks(t, before)
  })

  t.test('kill -9 of a foreground lite run: its state is removed by the next command', async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = sleep 30\n`, uniqueName('lc8'))
    const run = liteBackground(t, ['run', c.path])
    t.ok(await eventually(() => stateOf(c.name)?.status === 'running', 5000))
    const s = stateOf(c.name)!
    t.equal(s.detached, false)
    run.child.kill('SIGKILL')
    await run.done
    t.notMatch(lite(['ps', '-a']).stdout, c.name, 'a dead foreground run is not listed')
    t.notOk(existsSync(join(STATE_ROOT, c.name)), 'its state dir is gone')
    t.ok(await eventually(() => !alive(s.pid)))
    await assertNoLeaks(t, before)
  })

  t.test('boot starts auto configs by order with their delay; shutdown stops them in reverse', async (t) => {
    const before = snapshotHost()
    const dir = mkdtempSync(join(tmpdir(), 'lite-boot-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const shared = join(dir, 'shared')
    mkdirSync(shared)
    writeFileSync(join(shared, 'order'), '')
    const names = { first: uniqueName('lc8'), second: uniqueName('lc8'), third: uniqueName('lc8'), manual: uniqueName('lc8') }
    for (const n of Object.values(names)) t.teardown(() => void lite(['rm', '-f', n]))
    const config = (name: string, start: string) =>
      `[container]\nname = ${name}\n[rootfs]\npath = ${BUSYBOX}\n[exec]\n` +
      `cmd = ${JSON.stringify(`/bin/sh -c 'trap "echo stop-${name} >> /shared/order; exit 0" TERM; echo start-${name} >> /shared/order; while :; do sleep 0.1; done'`)}\n` +
      `[mount]\nentry[] = ${shared} /shared none bind,rw,create=dir\n[start]\n${start}`
    // File names in another order than the start order.
    writeFileSync(join(dir, 'a.ini'), config(names.third, 'auto = yes\norder = 30\n'))
    writeFileSync(join(dir, 'b.ini'), config(names.first, 'auto = yes\norder = 10\ndelay = 0.3\n'))
    writeFileSync(join(dir, 'c.ini'), config(names.second, 'auto = yes\norder = 20\ndelay = 0.3\n'))
    writeFileSync(join(dir, 'd.ini'), config(names.manual, 'auto = no\n'))
    writeFileSync(join(dir, 'e.ini'), `[rootfs]\npath = /nonexistent\n[exec]\ncmd = /bin/true\n[start]\nauto = yes\n`)

    const boot = lite(['boot', dir], { timeout: 60_000 })
    t.equal(boot.code, 1, 'e.ini is broken: reported, and the others still start')
    t.match(boot.stderr, /e\.ini:2: \[rootfs\] path/)
    t.equal(boot.stdout, `${names.first}\n${names.second}\n${names.third}\n`)
    for (const n of [names.first, names.second, names.third]) t.equal(stateOf(n)?.status, 'running', `${n} runs`)
    t.notOk(existsSync(join(STATE_ROOT, names.manual)), 'auto = no is not started')
    t.ok(await eventually(() => readFileSync(join(shared, 'order'), 'utf8').split('\n').filter(Boolean).length === 3))

    const shutdown = lite(['shutdown', dir], { timeout: 60_000 })
    t.equal(shutdown.code, 1, 'e.ini is still broken')
    t.equal(shutdown.stdout, `${names.third}\n${names.second}\n${names.first}\n`)
    t.same(readFileSync(join(shared, 'order'), 'utf8').split('\n').filter(Boolean), [
      `start-${names.first}`,
      `start-${names.second}`,
      `start-${names.third}`,
      `stop-${names.third}`,
      `stop-${names.second}`,
      `stop-${names.first}`,
    ])
    t.equal(lite(['rm', names.first, names.second, names.third]).code, 0)
    await assertNoLeaks(t, before)
  })

  t.test('20 detached containers at once, then all stopped and removed: nothing left', async (t) => {
    const before = snapshotHost()
    const configs = Array.from({ length: 20 }, () => detachedConfig(t, 'trap \"exit 0\" TERM; while :; do sleep 0.2; done'))
    for (const c of configs) t.equal(lite(['run', '-d', c.path], { timeout: 30_000 }).code, 0, `run -d ${c.name}`)
    const json = JSON.parse(lite(['ps', '--json']).stdout) as { name: string; alive: boolean; pid: number }[]
    const ours = json.filter((x) => configs.some((c) => c.name === x.name))
    t.equal(ours.length, 20, 'ps lists all 20')
    t.ok(ours.every((x) => x.alive && alive(x.pid)), 'all running')
    const names = configs.map((c) => c.name)
    const stop = lite(['stop', ...names], { timeout: 120_000 })
    t.equal(stop.code, 0, stop.stderr)
    t.same(stop.stdout.split('\n').filter(Boolean).sort(), [...names].sort(), 'each name once, as it stopped')
    t.ok(names.every((n) => stateOf(n)?.status === 'exited'), 'all exited')
    t.equal(lite(['rm', ...names]).code, 0)
    await assertNoLeaks(t, before)
  })
}
