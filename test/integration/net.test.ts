// [net] type = bridge (and container:NAME), run for real inside network namespaces that
// each test makes (test/support/netns.ts): never on the machine's own interfaces or
// firewall. Two containers by name (link[]), NAT to the "lan" namespace, published TCP
// and UDP ports from the LAN and from the host's loopback, a port taken twice, the
// network of another container, 20 containers at once, and `lite check`'s FILE:LINE
// errors. Each test ends with its network gone and the host leak check.

import { existsSync, readlinkSync } from 'node:fs'
import t, { type Test } from 'tap'
import { lite, requireRootAndBuild, snapshotHost, uniqueName, writeConfig } from '../support/integration.ts'
import {
  DEFAULT_BRIDGE,
  addrIn,
  assertNoHostLeaks,
  entryOf,
  heldLeases,
  hostPort,
  inNs,
  inNsBackground,
  leaseFiles,
  linksIn,
  liteBackgroundIn,
  liteIn,
  liteRules,
  liteTable,
  makeLab,
  netConfig,
  netFilesNaming,
  netLeftovers,
  networkOf,
  names,
  plainIp,
  requireNetTools,
  runDetachedIn,
  tool,
  udpTool,
  waitFor,
  waitForHttp,
  waitNoNetLeftovers,
  wgetIn,
  wwwDir,
  wwwMount,
  type Lab,
} from '../support/netns.ts'

/** busybox httpd on PORT serving /www, in a shell that ends cleanly on SIGTERM (lite stop). */
const httpd = (port = 8080) => `trap "exit 0" TERM; busybox httpd -p ${port} -h /www; while :; do sleep 0.2; done`
const SLEEPER = 'trap "exit 0" TERM; while :; do sleep 0.2; done'

/** lite run CONFIG -- /bin/sh -c SCRIPT inside the lab (foreground, bounded). */
const shIn = (lab: Lab, config: string, script: string, timeout = 20_000) => liteIn(lab, ['run', config, '--', '/bin/sh', '-c', script], { timeout })

/** Whether this dist/lite knows type = bridge (the feature), checked once. */
function bridgeSupported(t: Test): boolean {
  const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n[net]\ntype = bridge\n`)
  const r = lite(['check', c.path])
  if (r.code === 0) return true
  t.comment(`dist/lite does not take [net] type = bridge yet: ${r.stderr.trim()}`)
  if (process.env.CI) t.fail('CI: dist/lite must support [net] type = bridge')
  return false
}

if (requireRootAndBuild(t) && requireNetTools(t)) {
  t.test('the lab itself: two namespaces, an uplink, a server in lan reachable from host; all gone after', async (t) => {
    let lab!: Lab
    await t.test('made', async (t) => {
      lab = makeLab(t)
      t.ok(existsSync(`/run/netns/${lab.host}`) && existsSync(`/run/netns/${lab.lan}`), 'both namespaces exist')
      const links = linksIn(lab)
      t.same([...links.keys()].sort(), ['lo', 'uplink'], 'the host ns has lo and the uplink only')
      t.equal(links.get('uplink'), 'veth')
      const www = wwwDir(t, 'lab-token')
      inNsBackground(t, lab.lan, [tool('busybox'), 'httpd', '-f', '-p', '8080', '-h', www])
      const r = await waitForHttp(lab, `http://${lab.lanIp}:8080/`, 'lab-token')
      t.match(r.stdout, /lab-token/, 'the host ns reaches the lan server')
      const cgi = wgetIn(lab, `http://${lab.lanIp}:8080/cgi-bin/ip`)
      t.equal(plainIp(cgi.stdout), lab.hostIp, 'the lan server sees the uplink address')
      t.equal(wgetIn(lab.lan, `http://127.0.0.1:8080/`).stdout.trim(), 'lab-token', 'and serves its own loopback')
      const udp = udpTool(t)
      const srv = inNsBackground(t, lab.lan, [udp, 'serve', '5353'])
      const echo = inNs(lab, [udp, 'send', lab.lanIp, '5353', 'ping'], { timeout: 8000 })
      t.equal(echo.stdout.trim(), 'echo:ping', `the UDP tool answers: ${echo.stderr}`)
      t.ok(await waitFor(() => srv.output().includes(`FROM ${lab.hostIp}:`), { timeoutMs: 2000 }), `the UDP server saw the uplink address: ${srv.output()}`)
      t.same(inNs(lab, [tool('nft'), 'list', 'ruleset']).stdout.trim(), '', 'the host ns starts with no firewall')
    })
    t.notOk(existsSync(`/run/netns/${lab.host}`), 'the teardown deleted the host ns')
    t.notOk(existsSync(`/run/netns/${lab.lan}`), 'and the lan ns')
  })

  if (bridgeSupported(t)) {
    t.test('two containers on one bridge reach each other by name (link[])', async (t) => {
      const before = snapshotHost()
      const lab = makeLab(t)
      const linksBefore = linksIn(lab)
      const first = netConfig(t, lab, 'type = bridge', { cmd: httpd(), extra: wwwMount(wwwDir(t, 'first-token')) })
      const e1 = await runDetachedIn(t, lab, first)
      if (!e1) return
      const a1 = addrIn(e1.pid!)
      t.match(a1, /^10\.111\.\d+\.\d+$/, `eth0 has an address of the default subnet (${a1})`)
      const n1 = networkOf(e1)
      t.equal(n1?.type, 'bridge', 'ps --json: network.type')
      t.equal(n1?.address, a1, 'ps --json: network.address is eth0\'s')
      t.equal(n1?.gateway, '10.111.0.1', 'ps --json: network.gateway')
      t.equal(n1?.bridge, DEFAULT_BRIDGE, 'ps --json: network.bridge')
      const bridge = linksIn(lab)
      t.equal(bridge.get(DEFAULT_BRIDGE), 'bridge', 'lite0 was made in the host ns')
      t.ok(inNs(lab, [tool('ip'), '-4', '-o', 'addr', 'show', 'dev', DEFAULT_BRIDGE]).stdout.includes('10.111.0.1/16'), 'with the gateway address')
      t.match((await waitForHttp(lab, `http://${a1}:8080/`, 'first-token')).stdout, /first-token/, 'the host reaches the first over the bridge')
      const linksWithFirst = linksIn(lab)

      const second = netConfig(t, lab, `type = bridge\nlink[] = ${first.name}`)
      const r = shIn(lab, second.path, `cat /etc/hosts; busybox ip -4 -o addr show dev eth0; busybox ip route; busybox timeout 5 busybox wget -q -O- http://${first.name}:8080/`)
      t.equal(r.code, 0, r.stderr)
      t.match(r.stdout, new RegExp(`^${a1!.replaceAll('.', '\\.')}\\s.*\\b${first.name}\\b`, 'm'), '/etc/hosts names the first')
      t.match(r.stdout, /^default via 10\.111\.0\.1 dev eth0/m, 'the default route is the bridge\'s gateway')
      const a2 = /inet (10\.111\.\d+\.\d+)\/16/.exec(r.stdout)?.[1]
      t.ok(a2 && a2 !== a1, `the second has its own address (${a2})`)
      t.match(r.stdout, /first-token/, 'the second reaches the first by name')
      t.same(await waitNoNetLeftovers(lab, second.name, linksWithFirst), {}, 'the second\'s network is gone once it exits')

      const rm = liteIn(lab, ['rm', '-f', first.name])
      t.equal(rm.code, 0, rm.stderr)
      t.same(await waitNoNetLeftovers(lab, first.name, linksBefore), {}, 'the first\'s network is gone after rm -f')
      t.ok(linksIn(lab).has(DEFAULT_BRIDGE), 'the bridge is kept')
      await assertNoHostLeaks(t, before)
    })

    t.test('NAT: the lan sees a container\'s traffic from the uplink\'s address', async (t) => {
      const before = snapshotHost()
      const lab = makeLab(t)
      const linksBefore = linksIn(lab)
      inNsBackground(t, lab.lan, [tool('busybox'), 'httpd', '-f', '-p', '8080', '-h', wwwDir(t, 'lan-token')])
      t.match((await waitForHttp(lab.lan, 'http://127.0.0.1:8080/', 'lan-token')).stdout, /lan-token/, 'the lan server runs')
      const c = netConfig(t, lab, 'type = bridge')
      const r = shIn(lab, c.path, `busybox ip -4 -o addr show dev eth0; echo src=$(busybox timeout 5 busybox wget -q -O- http://${lab.lanIp}:8080/cgi-bin/ip)`)
      t.equal(r.code, 0, r.stderr)
      t.match(r.stdout, /inet 10\.111\./, 'the container is on the bridge')
      t.equal(plainIp(/^src=(.*)$/m.exec(r.stdout)?.[1] ?? ''), lab.hostIp, 'masqueraded to the uplink\'s address')
      t.same(await waitNoNetLeftovers(lab, c.name, linksBefore), {}, 'nothing of it is left')
      await assertNoHostLeaks(t, before)
    })

    t.test('published ports: TCP from the lan and from the host\'s loopback, UDP from the lan', async (t) => {
      const before = snapshotHost()
      const lab = makeLab(t)
      const linksBefore = linksIn(lab)
      const tcp = hostPort()
      const udpPort = hostPort()
      const udp = udpTool(t)
      const c = netConfig(t, lab, `type = bridge\npublish[] = ${tcp}:8080\npublish[] = ${udpPort}:5353/udp`, {
        cmd: `trap "exit 0" TERM; busybox httpd -p 8080 -h /www; /udp serve 5353 & while :; do sleep 0.2; done`,
        extra: wwwMount(wwwDir(t, 'pub-token')) + `entry[] = ${udp} /udp none bind,ro,create=file\n`,
      })
      const e = await runDetachedIn(t, lab, c)
      if (!e) return
      const pub = networkOf(e)?.publish ?? []
      t.same(
        pub.map((p) => `${p.hostPort}:${p.port}/${p.proto}`).sort(),
        [`${tcp}:8080/tcp`, `${udpPort}:5353/udp`].sort(),
        'ps --json: network.publish',
      )
      t.match((await waitForHttp(lab.lan, `http://${lab.hostIp}:${tcp}/`, 'pub-token')).stdout, /pub-token/, 'the lan reaches the published TCP port')
      t.match((await waitForHttp(lab, `http://127.0.0.1:${tcp}/`, 'pub-token')).stdout, /pub-token/, 'the host reaches it on 127.0.0.1')
      t.match((await waitForHttp(lab, `http://${lab.hostIp}:${tcp}/`, 'pub-token')).stdout, /pub-token/, 'and on its own uplink address')
      const echo = await waitFor(() => {
        const r = inNs(lab.lan, [udp, 'send', lab.hostIp, String(udpPort), 'udp-token'], { timeout: 8000 })
        return r.stdout.includes('echo:udp-token') ? r : undefined
      }, { timeoutMs: 10_000, intervalMs: 200 })
      t.ok(echo, 'the lan reaches the published UDP port, and the answer comes back')
      t.match(liteIn(lab, ['logs', c.name]).stdout, new RegExp(`FROM ${lab.lanIp.replaceAll('.', '\\.')}:\\d+ udp-token`), 'the container sees the lan\'s own address')
      t.not(liteTable(lab), '', 'table ip lite exists while it runs')
      t.ok(liteTable(lab).split('\n').some((l) => names(l, c.name)), 'its rules are tagged with its name')

      const stop = liteIn(lab, ['stop', c.name])
      t.equal(stop.code, 0, stop.stderr)
      const rm = liteIn(lab, ['rm', c.name])
      t.equal(rm.code, 0, rm.stderr)
      t.same(await waitNoNetLeftovers(lab, c.name, linksBefore), {}, 'its veth, rules and claims are gone')
      t.not(wgetIn(lab.lan, `http://${lab.hostIp}:${tcp}/`, 2000).stdout.includes('pub-token'), 'the port is no longer forwarded')
      await assertNoHostLeaks(t, before)
    })

    t.test('a port published twice: the second fails (125) naming the first, and leaves nothing', async (t) => {
      const before = snapshotHost()
      const lab = makeLab(t)
      const port = hostPort()
      const first = netConfig(t, lab, `type = bridge\npublish[] = ${port}:8080`, { cmd: httpd(), extra: wwwMount(wwwDir(t, 'one-token')) })
      const e1 = await runDetachedIn(t, lab, first)
      if (!e1) return
      const linksWithFirst = linksIn(lab)
      const rulesWithFirst = liteTable(lab)
      const second = netConfig(t, lab, `type = bridge\npublish[] = ${port}:80`, { cmd: SLEEPER })
      for (const detach of [true, false]) {
        const r = liteIn(lab, ['run', ...(detach ? ['-d'] : []), second.path])
        t.equal(r.code, 125, `run ${detach ? '-d ' : ''}of the second: exit 125`)
        t.match(r.stderr, new RegExp(`${port}`), 'the message names the port')
        t.match(r.stderr, new RegExp(first.name), 'and the container that has it')
        t.match(r.stderr, new RegExp(second.name), 'and the one that asked')
        t.equal(r.stdout, '', 'no name printed')
        t.same(netLeftovers(lab, second.name, linksWithFirst), {}, 'no link, rule, claim or state of the second')
        t.same(leaseFiles().filter((f) => netFilesNaming(second.name).includes(f)), [], 'no lease of the second')
      }
      t.equal(liteTable(lab), rulesWithFirst, 'the rules are the first\'s, unchanged')
      t.match((await waitForHttp(lab.lan, `http://${lab.hostIp}:${port}/`, 'one-token')).stdout, /one-token/, 'the first still serves the port')

      // A host process on a port: lite says which port.
      const busy = hostPort()
      inNsBackground(t, lab, [tool('busybox'), 'httpd', '-f', '-p', String(busy), '-h', wwwDir(t, 'host-token')])
      t.ok(await waitForHttp(lab, `http://127.0.0.1:${busy}/`, 'host-token'), 'a host server listens')
      const third = netConfig(t, lab, `type = bridge\npublish[] = ${busy}:80`, { cmd: SLEEPER })
      const r = liteIn(lab, ['run', '-d', third.path])
      t.equal(r.code, 125, 'a port a host process listens on: exit 125')
      t.match(r.stderr, new RegExp(`\\b${busy}\\b`), `the message names the port: ${r.stderr.trim()}`)
      t.same(netLeftovers(lab, third.name, linksWithFirst), {}, 'nothing of it is left')

      t.equal(liteIn(lab, ['rm', '-f', first.name]).code, 0)
      // The port is free again once the first is gone.
      const again = netConfig(t, lab, `type = bridge\npublish[] = ${port}:80`, { cmd: SLEEPER })
      t.ok(await runDetachedIn(t, lab, again), 'the port can be published again')
      t.equal(liteIn(lab, ['rm', '-f', again.name]).code, 0)
      await assertNoHostLeaks(t, before)
    })

    t.test('type = container:NAME shares a running container\'s network', async (t) => {
      const before = snapshotHost()
      const lab = makeLab(t)
      const linksBefore = linksIn(lab)
      const first = netConfig(t, lab, 'type = bridge', { cmd: httpd(), extra: wwwMount(wwwDir(t, 'shared-token')) })
      const e1 = await runDetachedIn(t, lab, first)
      if (!e1) return
      const a1 = addrIn(e1.pid!)
      t.ok(a1, `the first has ${a1}`)
      t.ok(await waitForHttp(lab, `http://${a1}:8080/`, 'shared-token'), 'the first serves')
      const linksWithFirst = linksIn(lab)
      const joined = netConfig(t, lab, `type = container:${first.name}`)
      const r = shIn(lab, joined.path, 'busybox readlink /proc/self/ns/net; busybox ip -4 -o addr show dev eth0; busybox timeout 5 busybox wget -q -O- http://127.0.0.1:8080/')
      t.equal(r.code, 0, r.stderr)
      t.equal(r.stdout.split('\n')[0], readlinkSync(`/proc/${e1.pid}/ns/net`), 'the same network namespace')
      t.match(r.stdout, new RegExp(`inet ${a1!.replaceAll('.', '\\.')}/`), 'the same eth0')
      t.match(r.stdout, /shared-token/, 'the first\'s server on 127.0.0.1')
      t.same(newLinksSince(linksWithFirst, lab), [], 'no link of its own')
      t.equal(addrIn(e1.pid!), a1, 'the first keeps its address after the second ends')
      t.ok(await waitForHttp(lab, `http://${a1}:8080/`, 'shared-token'), 'and still serves')

      const none = netConfig(t, lab, `type = container:${uniqueName('ln-absent')}`)
      const bad = liteIn(lab, ['run', none.path, '--', '/bin/true'])
      t.equal(bad.code, 125, 'container:NAME of no running container: 125')
      t.match(bad.stderr, /ln-absent/)

      t.equal(liteIn(lab, ['rm', '-f', first.name]).code, 0)
      t.same(await waitNoNetLeftovers(lab, first.name, linksBefore), {}, 'nothing left')
      await assertNoHostLeaks(t, before)
    })

    t.test('20 containers started at once get 20 addresses; stopped and removed, no lease or rule is left', async (t) => {
      const before = snapshotHost()
      const lab = makeLab(t)
      const linksBefore = linksIn(lab)
      // A bridge of this test's own, so that its lease directory holds only this test's.
      const bridge = `ltb${process.pid % 100000}`
      const cs = Array.from({ length: 20 }, () => netConfig(t, lab, `type = bridge\nbridge = ${bridge}`, { cmd: SLEEPER }))
      const started = Date.now()
      const runs = cs.map((c) => liteBackgroundIn(t, lab, ['run', '-d', c.path]))
      const results = await Promise.race([
        Promise.all(runs.map((r) => r.done)),
        new Promise<undefined>((res) => setTimeout(() => res(undefined), 90_000).unref()),
      ])
      t.ok(results, `all 20 lite run -d returned (${Date.now() - started} ms)`)
      if (!results) return
      results.forEach((r, i) => t.equal(r.code, 0, `run -d ${cs[i]!.name}: ${r.stderr.trim()}`))
      const ps = await waitFor(() => {
        const list = cs.map((c) => entryOf(lab, c.name))
        return list.every((e) => e?.alive && e.pid) ? list : undefined
      }, { timeoutMs: 10_000, intervalMs: 200 })
      t.ok(ps, 'all 20 run')
      if (!ps) return
      const addrs = ps.map((e) => addrIn(e!.pid!))
      t.ok(addrs.every((a) => a && /^10\.111\.\d+\.\d+$/.test(a)), `each has an address in 10.111.0.0/16: ${addrs.join(' ')}`)
      t.equal(new Set(addrs).size, 20, '20 distinct addresses')
      t.same(ps.map((e) => networkOf(e)?.address), addrs, 'ps --json shows each one\'s address')
      t.ok(heldLeases(bridge).length >= 20, `20 held leases (${heldLeases(bridge).length} held files)`)
      // Each reaches the bridge's gateway (the host).
      const ping = shIn(lab, netConfig(t, lab, `type = bridge\nbridge = ${bridge}`).path, `busybox ping -c 1 -W 2 ${addrs[19]}`)
      t.equal(ping.code, 0, `a 21st container reaches the 20th: ${ping.stdout}${ping.stderr}`)

      const names_ = cs.map((c) => c.name)
      const stop = liteIn(lab, ['stop', ...names_], { timeout: 120_000 })
      t.equal(stop.code, 0, stop.stderr)
      const rm = liteIn(lab, ['rm', ...names_], { timeout: 60_000 })
      t.equal(rm.code, 0, rm.stderr)
      t.same(await waitFor(() => heldLeases(bridge).length === 0, { timeoutMs: 5000 }) ? [] : heldLeases(bridge), [], `no held lease under /run/lite/.net/${bridge}/`)
      const table = liteTable(lab)
      t.same(table.split('\n').filter((l) => names_.some((n) => names(l, n))), [], 'no rule names any of them')
      t.same(liteRules(lab), [], `table ip lite has no rule left:\n${table}`)
      for (const n of names_) {
        const left = netLeftovers(lab, n, linksBefore)
        if (Object.keys(left).length) t.same(left, {}, `nothing of ${n} is left`)
      }
      t.same(newLinksSince(linksBefore, lab).filter((l) => l !== bridge), [], 'no veth is left; only the bridge')
      // The addresses are free again: a new container takes one.
      const next = netConfig(t, lab, `type = bridge\nbridge = ${bridge}`)
      const r = shIn(lab, next.path, 'busybox ip -4 -o addr show dev eth0')
      t.equal(r.code, 0, r.stderr)
      t.match(r.stdout, /inet 10\.111\./, 'a new container gets an address')
      await assertNoHostLeaks(t, before)
    })

    t.test('lite check: [net] errors at their FILE:LINE', async (t) => {
      const cases: { name: string; net: string; want: RegExp; line: number }[] = [
        { name: 'address outside the subnet', net: 'type = bridge\naddress = 10.5.0.2', want: /address.*10\.5\.0\.2.*outside the subnet 10\.111\.0\.0\/16/, line: 2 },
        { name: 'the gateway as the address', net: 'type = bridge\nsubnet = 10.112.0.0/24\naddress = 10.112.0.1', want: /address.*gateway/, line: 3 },
        { name: 'a port out of range', net: 'type = bridge\npublish[] = 70000:80', want: /publish.*70000.*not a port/, line: 2 },
        { name: 'a container port of 0', net: 'type = bridge\npublish[] = 8080:0', want: /publish.*"0" is not a port/, line: 2 },
        { name: 'a bad protocol', net: 'type = bridge\npublish[] = 8080:80/sctp', want: /publish.*protocol must be tcp or udp/, line: 2 },
        { name: 'a publish given twice', net: 'type = bridge\npublish[] = 8080:80\npublish[] = 8080:81', want: /publish.*8080.*again \(line \d+\)/, line: 3 },
        { name: 'macvlan without parent', net: 'type = macvlan\naddress = 192.168.77.50/24', want: /macvlan needs parent/, line: 1 },
        { name: 'macvlan without a prefix', net: 'type = macvlan\nparent = eth0\naddress = 192.168.77.50', want: /address.*prefix/, line: 3 },
        { name: 'a gateway off the LAN', net: 'type = macvlan\nparent = eth0\naddress = 192.168.77.50/24\ngateway = 10.0.0.1', want: /gateway.*outside/, line: 4 },
        { name: 'publish with type = none', net: 'publish[] = 8080:80', want: /publish.*only for type = bridge/, line: 1 },
        { name: 'an unknown type', net: 'type = vxlan', want: /"vxlan" is not a network type/, line: 1 },
        { name: 'a bad bridge name', net: 'type = bridge\nbridge = way-too-long-bridge-name', want: /bridge.*not an interface name/, line: 2 },
      ]
      for (const c of cases) {
        // [container] name (lines 1-2), [rootfs] path (3-4), [exec] cmd (5-6), [net] (7), its keys from line 8.
        const cfg = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n[net]\n${c.net}\n`, uniqueName('lnc'))
        const r = lite(['check', cfg.path])
        t.equal(r.code, 1, `${c.name}: lite check fails`)
        const line = 7 + c.line
        const errors = r.stderr.split('\n').filter((l) => l.startsWith('lite: error: '))
        t.equal(errors.length, 1, `${c.name}: one error: ${r.stderr.trim()}`)
        t.match(errors[0] ?? '', new RegExp(`^lite: error: ${cfg.path.replaceAll('.', '\\.')}:${line}: `), `${c.name}: at line ${line}`)
        t.match(errors[0] ?? '', c.want, `${c.name}: ${errors[0]}`)
      }
      // lite run refuses the same with 125 and starts nothing.
      const cfg = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n[net]\ntype = bridge\npublish[] = 8080:80/sctp\n`, uniqueName('lnc'))
      const r = lite(['run', cfg.path])
      t.equal(r.code, 125, 'lite run: 125')
      t.match(r.stderr, /nothing was started/)
    })
  }
}

function newLinksSince(before: Map<string, string>, lab: Lab): string[] {
  return [...linksIn(lab).keys()].filter((k) => !before.has(k))
}
