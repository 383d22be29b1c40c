// A container's network is cleaned up however its lite ends: kill -9 of the monitor
// while the container runs, and kill -9 of a foreground `lite run` at moments spread
// over its set-up. After the next lite command (lite ps), no veth of the container is
// left in the host namespace, no nf_tables rule names it, no lease or port of it is
// held, and its port and address can be taken again. Inside the test's own network
// namespaces (test/support/netns.ts).

import { readFileSync } from 'node:fs'
import t, { type Test } from 'tap'
import { lite, requireRootAndBuild, snapshotHost, writeConfig } from '../support/integration.ts'
import {
  assertNoHostLeaks,
  heldNaming,
  hostPort,
  linksIn,
  liteBackgroundIn,
  liteIn,
  makeLab,
  monitorPidOf,
  netConfig,
  netLeftovers,
  networkOf,
  nftLinesNaming,
  requireNetTools,
  runDetachedIn,
  waitFor,
  waitForHttp,
  waitNoNetLeftovers,
  wgetIn,
  wwwDir,
  wwwMount,
} from '../support/netns.ts'

const alive = (pid: number | null | undefined) => {
  if (!pid) return false
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')
  } catch {
    return false
  }
}

const SLEEPER = 'trap "exit 0" TERM; while :; do sleep 0.2; done'

function bridgeSupported(t: Test): boolean {
  const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n[net]\ntype = bridge\n`)
  const r = lite(['check', c.path])
  if (r.code === 0) return true
  t.comment(`dist/lite does not take [net] type = bridge yet: ${r.stderr.trim()}`)
  if (process.env.CI) t.fail('CI: dist/lite must support [net] type = bridge')
  return false
}

if (requireRootAndBuild(t) && requireNetTools(t) && bridgeSupported(t)) {
  t.test('kill -9 of the monitor: the next lite ps removes the veth, the rules and the claims', async (t) => {
    const before = snapshotHost()
    const lab = makeLab(t)
    const linksBefore = linksIn(lab)
    const port = hostPort()
    const c = netConfig(t, lab, `type = bridge\npublish[] = ${port}:8080`, {
      cmd: 'trap "exit 0" TERM; busybox httpd -p 8080 -h /www; while :; do sleep 0.2; done',
      extra: wwwMount(wwwDir(t, 'mon-token')),
    })
    const e = await runDetachedIn(t, lab, c)
    if (!e) return
    const net = networkOf(e)
    t.ok(net?.address, `it has an address (${net?.address})`)
    t.ok(await waitForHttp(lab.lan, `http://${lab.hostIp}:${port}/`, 'mon-token'), 'its port is published')
    const withIt = linksIn(lab)
    const veths = [...withIt.keys()].filter((k) => !linksBefore.has(k) && withIt.get(k) === 'veth')
    t.equal(veths.length, 1, `one veth in the host ns (${veths.join(' ')})`)
    if (net?.hostInterface) t.same(veths, [net.hostInterface], 'ps --json names it')
    t.ok(nftLinesNaming(lab, c.name).length > 0, 'rules name it')
    t.ok(heldNaming(c.name).length >= 2, 'its lease and its port are held')

    const monitor = monitorPidOf(e)
    t.ok(alive(monitor), `its monitor (${monitor}) runs`)
    process.kill(monitor!, 'SIGKILL')
    t.ok(await waitFor(() => !alive(monitor), { timeoutMs: 3000 }), 'the monitor is gone')
    t.same(heldNaming(c.name), [], 'its claims were freed with the monitor (flock)')

    const ps = liteIn(lab, ['ps', '-a'])
    t.equal(ps.code, 0, ps.stderr)
    t.match(ps.stdout, new RegExp(`^${c.name}\\s+exited`, 'm'), 'ps: exited')
    t.ok(await waitFor(() => !alive(e.pid), { timeoutMs: 3000 }), 'the container is gone')
    const left = netLeftovers(lab, c.name, linksBefore)
    delete left.state // exited, kept until rm
    t.same(left, {}, 'after lite ps: no veth, rule or claim of it')
    t.notMatch(wgetIn(lab.lan, `http://${lab.hostIp}:${port}/`, 2000).stdout, /mon-token/, 'the port is no longer forwarded')

    // Its port and name can be used again at once.
    const again = await runDetachedIn(t, lab, c)
    t.ok(again, 'the same config runs again, with the same published port')
    t.equal(liteIn(lab, ['rm', '-f', c.name]).code, 0)
    t.same(await waitNoNetLeftovers(lab, c.name, linksBefore), {}, 'nothing left after rm -f')
    await assertNoHostLeaks(t, before)
  })

  t.test('kill -9 of a foreground lite run during its set-up, at spread moments: nothing is left', async (t) => {
    const before = snapshotHost()
    const lab = makeLab(t)
    const linksBefore = linksIn(lab)
    const port = hostPort()
    const c = netConfig(t, lab, `type = bridge\npublish[] = ${port}:80`, { cmd: SLEEPER })

    // How long a run takes here (set-up, a /bin/true, clean-up), to spread the kills over it.
    const t0 = Date.now()
    const probe = liteIn(lab, ['run', c.path, '--', '/bin/true'])
    const startMs = Math.max(20, Date.now() - t0)
    t.equal(probe.code, 0, `a run takes about ${startMs} ms: ${probe.stderr}`)

    // Kills spread over the measured start time, with a little jitter, so that some
    // land before the veth exists, some while the rules are added, some after GO.
    // (A LITE_TEST_STALL hook in the runtime would let each land at a named step.)
    const delays = [0, 0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 1.0].map((f) => Math.round(f * startMs + Math.random() * 5))
    for (let i = 0; i < delays.length; i++) {
      const run = liteBackgroundIn(t, lab, ['run', c.path])
      await new Promise((r) => setTimeout(r, delays[i]))
      run.child.kill('SIGKILL')
      const r = await run.done
      // The next command settles whatever that run left.
      const ps = liteIn(lab, ['ps', '-a'])
      t.equal(ps.code, 0, ps.stderr)
      const left = await waitNoNetLeftovers(lab, c.name, linksBefore, 5000)
      // A foreground run's state dir goes with the next command; a finished one leaves none.
      t.same(left, {}, `killed after ${delays[i]} ms (${r.signal ?? r.code}): no veth, rule, claim or state left`)
      if (Object.keys(left).length) break
    }
    // The port and the addresses are free: a full run works.
    const ok = liteIn(lab, ['run', c.path, '--', '/bin/sh', '-c', 'busybox ip -4 -o addr show dev eth0'])
    t.equal(ok.code, 0, ok.stderr)
    t.match(ok.stdout, /inet 10\.111\./, 'a run after all of it gets its network')
    t.same(await waitNoNetLeftovers(lab, c.name, linksBefore), {}, 'and leaves nothing')
    await assertNoHostLeaks(t, before)
  })
}
