// What a bridge network meets on the host: a firewall whose forward chain drops by
// policy (warned, naming the chain), a subnet that overlaps a host route or another
// container's subnet on the same bridge (refused, leaving nothing), and the host
// settings lite changes (ip_forward, route_localnet), all inside a test's namespaces.

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { requireRootAndBuild, snapshotHost } from '../support/integration.ts'
import { assertNoHostLeaks, inNs, liteIn, linksIn, makeLab, netConfig, newLinks, requireNetTools, tool, liteRules } from '../support/netns.ts'

if (requireRootAndBuild(t) && requireNetTools(t)) {
  t.test('a forward chain that drops by policy in another table is reported at start', async (t) => {
    const before = snapshotHost()
    const lab = makeLab(t)
    const nft = (script: string) => inNs(lab, [tool('nft'), '-f', '-'], { input: script })
    t.equal(nft('table ip filter {\n chain FORWARD {\n  type filter hook forward priority 0; policy drop;\n }\n}\n').code, 0, 'a DROP forward chain in table ip filter')
    const c = netConfig(t, lab, 'type = bridge\nbridge = ltfw0', { cmd: 'true' })
    const r = liteIn(lab, ['run', c.path])
    t.equal(r.code, 0, 'the container still runs')
    t.match(r.stderr, /lite: warning: the host's nf_tables chain ip filter FORWARD drops forwarded packets by policy/, r.stderr)
    t.equal(inNs(lab, ['cat', '/proc/sys/net/ipv4/ip_forward']).stdout.trim(), '1', 'ip_forward is on in the namespace that has the bridge')
    t.equal(inNs(lab, ['cat', '/proc/sys/net/ipv4/conf/ltfw0/route_localnet']).stdout.trim(), '1', 'route_localnet is on for the bridge')
    t.same(liteRules(lab).filter((l) => l.includes(c.name)), [], 'its rules went with it')
    await assertNoHostLeaks(t, before)
  })

  t.test('a subnet that overlaps a host route, or another subnet on the same bridge, is refused and leaves nothing', async (t) => {
    const before = snapshotHost()
    const lab = makeLab(t)
    const links = linksIn(lab)
    // The uplink's 192.168.X.0/24 is a host route of the lab's namespace.
    const overlap = netConfig(t, lab, `type = bridge\nbridge = ltov0\nsubnet = 192.168.${lab.x}.0/24`, { cmd: 'true' })
    const r = liteIn(lab, ['run', overlap.path])
    t.equal(r.code, 125, 'exit 125')
    t.match(r.stderr, new RegExp(`${overlap.path}:\\d+: \\[net\\] subnet: 192\\.168\\.${lab.x}\\.0/24 overlaps the host's route to 192\\.168\\.${lab.x}\\.0/24`), r.stderr)
    t.same(newLinks(links, linksIn(lab)).filter((l) => l.startsWith('lv')), [], 'no veth left')

    const first = netConfig(t, lab, 'type = bridge\nbridge = ltsn0\nsubnet = 10.123.0.0/16', { cmd: 'true' })
    t.equal(liteIn(lab, ['run', first.path]).code, 0, 'a first container gives the bridge its subnet')
    const other = netConfig(t, lab, 'type = bridge\nbridge = ltsn0\nsubnet = 10.124.0.0/16', { cmd: 'true' })
    const r2 = liteIn(lab, ['run', other.path])
    t.equal(r2.code, 125, 'another subnet on the same bridge: 125')
    t.match(r2.stderr, /\[net\] subnet: the bridge ltsn0 has the subnet 10\.123\.0\.0\/16, not 10\.124\.0\.0\/16/, r2.stderr)
    t.same(newLinks(links, linksIn(lab)).filter((l) => l.startsWith('lv')), [], 'no veth left')
    t.same(liteRules(lab).filter((l) => l.includes(other.name)), [], 'no rule left')
    await assertNoHostLeaks(t, before)
  })

  t.test('joining what is not a running container or a network namespace fails clearly and leaves nothing', async (t) => {
    const before = snapshotHost()
    const lab = makeLab(t)
    const absent = netConfig(t, lab, 'type = container:lt-no-such-container', { cmd: 'true' })
    const r = liteIn(lab, ['run', absent.path])
    t.equal(r.code, 125, 'container:NAME of no container: 125')
    t.match(r.stderr, new RegExp(`${absent.path}:\\d+: \\[net\\] type = container:lt-no-such-container: no running container lt-no-such-container`), r.stderr)
    const file = join(absent.dir, 'not-a-netns')
    writeFileSync(file, 'x')
    const notNs = netConfig(t, lab, `type = netns:${file}`, { cmd: 'true' })
    const r2 = liteIn(lab, ['run', notNs.path])
    t.equal(r2.code, 125, 'netns:PATH of a plain file: 125')
    t.match(r2.stderr, /\[net\] type = netns:.*not-a-netns: cannot join its network namespace: it is not a network namespace \(EINVAL\)/, r2.stderr)
    await assertNoHostLeaks(t, before)
  })
}
