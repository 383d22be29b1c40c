// [net] type = macvlan: the container's eth0 sits on the host's uplink with a static
// address of the LAN, reachable from the LAN (the test's "lan" namespace) and reaching
// it. type = ipvlan: on a kernel without CONFIG_IPVLAN, a clear 125 that leaves
// nothing; with it, the same reachability. Inside the test's own network namespaces
// (test/support/netns.ts).

import t, { type Test } from 'tap'
import { lite, requireRootAndBuild, snapshotHost, writeConfig } from '../support/integration.ts'
import {
  addrIn,
  assertNoHostLeaks,
  inNs,
  linksIn,
  liteIn,
  makeLab,
  netConfig,
  netLeftovers,
  networkOf,
  requireNetTools,
  runDetachedIn,
  tool,
  waitFor,
  waitForHttp,
  waitNoNetLeftovers,
  wwwDir,
  wwwMount,
  type Lab,
} from '../support/netns.ts'

const httpd = 'trap "exit 0" TERM; busybox httpd -p 8080 -h /www; while :; do sleep 0.2; done'

function macvlanSupported(t: Test): boolean {
  const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n[net]\ntype = macvlan\nparent = eth0\naddress = 192.168.77.50/24\n`)
  const r = lite(['check', c.path])
  if (r.code === 0) return true
  t.comment(`dist/lite does not take [net] type = macvlan yet: ${r.stderr.trim()}`)
  if (process.env.CI) t.fail('CI: dist/lite must support [net] type = macvlan')
  return false
}

/** Whether the kernel makes an ipvlan link (probed in the lab's host ns, then removed). */
function kernelHasIpvlan(lab: Lab): boolean {
  const r = inNs(lab, [tool('ip'), 'link', 'add', 'ltipvprobe', 'link', 'uplink', 'type', 'ipvlan', 'mode', 'l2'])
  if (r.code !== 0) return false
  inNs(lab, [tool('ip'), 'link', 'del', 'ltipvprobe'])
  return true
}

/** A lan-side check that `addr` serves the token, and that the container reaches the lan. */
async function reachable(t: Test, lab: Lab, type: 'macvlan' | 'ipvlan') {
  const linksBefore = linksIn(lab)
  const addr = `192.168.${lab.x}.50`
  const c = netConfig(t, lab, `type = ${type}\nparent = uplink\naddress = ${addr}/24\ngateway = ${lab.lanIp}`, {
    cmd: httpd,
    extra: wwwMount(wwwDir(t, `${type}-token`)),
  })
  const e = await runDetachedIn(t, lab, c)
  if (!e) return
  t.equal(addrIn(e.pid!), addr, `eth0 has ${addr}`)
  const n = networkOf(e)
  t.equal(n?.type, type, 'ps --json: network.type')
  t.equal(n?.address, addr, 'ps --json: network.address')
  t.equal(n?.gateway, lab.lanIp, 'ps --json: network.gateway')
  t.match((await waitForHttp(lab.lan, `http://${addr}:8080/`, `${type}-token`)).stdout, new RegExp(`${type}-token`), 'the lan reaches its server')
  const ping = await waitFor(() => inNs(lab.lan, [tool('busybox'), 'ping', '-c', '1', '-W', '2', addr], { timeout: 5000 }).code === 0, { timeoutMs: 6000, intervalMs: 200 })
  t.ok(ping, 'the lan pings it')
  const out = liteIn(lab, ['exec', c.name, '--', '/bin/sh', '-c', `busybox ip route; busybox ping -c 1 -W 2 ${lab.lanIp}`])
  t.equal(out.code, 0, `it pings the lan: ${out.stdout}${out.stderr}`)
  t.match(out.stdout, new RegExp(`^default via ${lab.lanIp.replaceAll('.', '\\.')} dev eth0`, 'm'), 'its default route is the gateway')
  t.same([...linksIn(lab).keys()].filter((k) => !linksBefore.has(k)), [], `no link of it in the host ns (the ${type} is in the container's)`)
  t.equal(liteIn(lab, ['rm', '-f', c.name]).code, 0)
  t.same(await waitNoNetLeftovers(lab, c.name, linksBefore), {}, 'nothing left after rm -f')
  t.equal(inNs(lab.lan, [tool('busybox'), 'ping', '-c', '1', '-W', '1', addr], { timeout: 4000 }).code === 0, false, 'the address is gone from the LAN')
}

if (requireRootAndBuild(t) && requireNetTools(t) && macvlanSupported(t)) {
  t.test('macvlan: a static address on the uplink\'s LAN, reachable from the lan and reaching it', async (t) => {
    const before = snapshotHost()
    const lab = makeLab(t)
    await reachable(t, lab, 'macvlan')
    await assertNoHostLeaks(t, before)
  })

  t.test('macvlan on a parent that is not there: 125 naming it, nothing left', async (t) => {
    const before = snapshotHost()
    const lab = makeLab(t)
    const linksBefore = linksIn(lab)
    const c = netConfig(t, lab, `type = macvlan\nparent = nosuchlink0\naddress = 192.168.${lab.x}.51/24`)
    const r = liteIn(lab, ['run', c.path, '--', '/bin/true'])
    t.equal(r.code, 125, 'exit 125')
    t.match(r.stderr, /nosuchlink0/, `the message names the parent: ${r.stderr.trim()}`)
    t.same(netLeftovers(lab, c.name, linksBefore), {}, 'nothing left')
    await assertNoHostLeaks(t, before)
  })

  t.test('ipvlan: without CONFIG_IPVLAN a 125 naming it; with it, reachable like macvlan', async (t) => {
    const before = snapshotHost()
    const lab = makeLab(t)
    if (kernelHasIpvlan(lab)) {
      t.comment('this kernel has ipvlan')
      await reachable(t, lab, 'ipvlan')
    } else {
      const linksBefore = linksIn(lab)
      const c = netConfig(t, lab, `type = ipvlan\nparent = uplink\naddress = 192.168.${lab.x}.52/24`, { cmd: 'sleep 30' })
      for (const detach of [false, true]) {
        const r = liteIn(lab, detach ? ['run', '-d', c.path] : ['run', c.path, '--', '/bin/true'])
        t.equal(r.code, 125, `run ${detach ? '-d' : ''}: exit 125`)
        t.match(r.stderr, /CONFIG_IPVLAN/, `the message names CONFIG_IPVLAN: ${r.stderr.trim()}`)
        t.same(netLeftovers(lab, c.name, linksBefore), {}, 'nothing left')
      }
    }
    await assertNoHostLeaks(t, before)
  })
}
