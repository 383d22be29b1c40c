// [net]: the values (addresses, subnets, publish), the rules across keys that lite
// check reports with FILE:LINE, and the /etc files a container's own network gets.

import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { validateText } from '../../runtime/config/validate.ts'
import { formatConfigErrors } from '../../runtime/config/report.ts'
import { contains, gatewayOf, hostAddressProblem, overlaps, parseSubnet, poolOf } from '../../runtime/net/address.ts'
import { formatPublish, parseNetType, parsePublish, samePort } from '../../runtime/net/values.ts'
import { loopbackResolvers, resolverWarning, withoutLoopbackResolvers } from '../../runtime/net/resolvers.ts'
import { boundPorts, hostPortInUse } from '../../runtime/net/host-ports.ts'
import { networkOfState, networkStateLines } from '../../runtime/net/state.ts'
import { natRules } from '../../runtime/net/attach.ts'
import { hostsWithLines } from '../../runtime/plan/etc-files.ts'

t.test('addresses and subnets', async (t) => {
  const net = parseSubnet('10.111.0.0/16')
  t.same(net, { address: '10.111.0.0', prefix: 16 })
  t.equal(gatewayOf(net), '10.111.0.1')
  t.same([...poolOf(net, 3)], ['10.111.0.2', '10.111.0.3', '10.111.0.4'])
  t.same([...poolOf(parseSubnet('192.168.5.0/30'))], ['192.168.5.2'], 'a /30 has one address besides the gateway')
  t.ok(contains(net, '10.111.255.254'))
  t.notOk(contains(net, '10.112.0.1'))
  t.ok(overlaps(net, { address: '10.0.0.0', prefix: 8 }))
  t.notOk(overlaps(net, { address: '10.112.0.0', prefix: 16 }))
  t.throws(() => parseSubnet('10.111.0.1/16'), /not a network address; did you mean 10\.111\.0\.0\/16/)
  t.throws(() => parseSubnet('10.111.0.0/31'), /prefix length must be 8\.\.30/)
  t.throws(() => parseSubnet('10.111.0/16'), /not an IPv4 address with a prefix/)
  t.equal(hostAddressProblem(net, '10.111.0.1'), '10.111.0.1 is the subnet\'s gateway (the bridge\'s own address)')
  t.equal(hostAddressProblem(net, '10.111.255.255'), '10.111.255.255 is the subnet\'s broadcast address')
  t.equal(hostAddressProblem(net, '10.112.0.5'), '10.112.0.5 is outside the subnet 10.111.0.0/16')
  t.equal(hostAddressProblem(net, '10.111.3.4'), undefined)
})

t.test('types and published ports', async (t) => {
  t.same(parseNetType('bridge'), { type: 'bridge' })
  t.same(parseNetType('container:web'), { type: 'container', target: 'web' })
  t.same(parseNetType('netns:/run/netns/x'), { type: 'netns', target: '/run/netns/x' })
  t.throws(() => parseNetType('netns:x'), /must be absolute/)
  t.throws(() => parseNetType('nat'), /not a network type/)
  t.same(parsePublish('8080:80'), { hostPort: 8080, port: 80, proto: 'tcp' })
  t.same(parsePublish('127.0.0.1:53:5353/udp'), { hostIp: '127.0.0.1', hostPort: 53, port: 5353, proto: 'udp' })
  t.same(parsePublish('0.0.0.0:80:80'), { hostPort: 80, port: 80, proto: 'tcp' }, '0.0.0.0 means every address')
  t.throws(() => parsePublish('80'), /is not \[HOSTIP:\]HOSTPORT:PORT/)
  t.throws(() => parsePublish('80:70000'), /the container port "70000" is not a port/)
  t.throws(() => parsePublish('80:80/sctp'), /protocol must be tcp or udp/)
  t.throws(() => parsePublish('x.y:80:80'), /not an IPv4 address/)
  t.equal(formatPublish(parsePublish('8080:80/udp')), '0.0.0.0:8080->80/udp')
  t.ok(samePort(parsePublish('8080:80'), parsePublish('10.0.0.1:8080:81')))
  t.notOk(samePort(parsePublish('8080:80'), parsePublish('8080:80/udp')))
  t.notOk(samePort(parsePublish('10.0.0.1:8080:80'), parsePublish('10.0.0.2:8080:80')))
})

function check(t: Test, net: string): string {
  const dir = t.testdir({})
  const file = path.join(dir, 'c.ini')
  const text = `[container]\nname = web\n[rootfs]\npath = ${dir}\n[exec]\ncmd = /bin/true\n[net]\n${net}\n`
  fs.writeFileSync(file, text)
  const r = validateText(text, file)
  return r.errors.length ? formatConfigErrors(r.errors, file).replaceAll(dir, 'DIR') : 'ok'
}

t.test('lite check: [net] rules across keys, with the line at fault', async (t) => {
  t.equal(check(t, 'type = bridge\npublish[] = 8080:80\npublish[] = 9090:81\nlink[] = db'), 'ok')
  t.matchSnapshot(check(t, 'type = bridge\npublish[] = 8080:80\npublish[] = 8080:81'), 'a duplicate host port')
  t.matchSnapshot(check(t, 'type = bridge\naddress = 10.112.0.5'), 'an address outside the subnet')
  t.matchSnapshot(check(t, 'type = bridge\nsubnet = 192.168.7.0/24\naddress = 192.168.7.1'), 'the gateway as an address')
  t.matchSnapshot(check(t, 'type = bridge\npublish[] = 8080:99999'), 'a bad port')
  t.matchSnapshot(check(t, 'type = bridge\npublish[] = 8080:80/sctp'), 'a bad protocol')
  t.matchSnapshot(check(t, 'type = macvlan\naddress = 192.168.1.5'), 'macvlan without parent, address without prefix')
  t.matchSnapshot(check(t, 'type = macvlan\nparent = eth0\naddress = 192.168.1.5/24\ngateway = 192.168.2.1'), 'a gateway outside the LAN')
  t.matchSnapshot(check(t, 'type = none\npublish[] = 80:80\nparent = eth0'), 'keys of another type')
  t.matchSnapshot(check(t, 'type = container:web'), 'joining itself')
  t.matchSnapshot(check(t, 'type = host\n[sysctl]\nnet.ipv4.ip_forward = 1'), 'net sysctls need an own netns')
  t.equal(check(t, 'type = bridge\n[sysctl]\nnet.ipv4.ip_forward = 1'), 'ok', 'a bridge container has its own netns')
  t.equal(check(t, 'type = macvlan\nparent = eth0\naddress = 192.168.1.5/24\ngateway = 192.168.1.1'), 'ok')
  t.equal(check(t, 'type = netns:/run/netns/x'), 'ok')
})

t.test('resolv.conf on a network of its own', async (t) => {
  const host = 'search lan\nnameserver 127.0.0.53\nnameserver 192.168.1.1\noptions edns0\n'
  t.same(loopbackResolvers(host), ['127.0.0.53'])
  t.equal(withoutLoopbackResolvers(host), 'search lan\nnameserver 192.168.1.1\noptions edns0\n')
  t.match(resolverWarning('bridge', host, []), /127\.0\.0\.53 is on its loopback.*left out of \/etc\/resolv\.conf\. Set \[net\] dns/)
  t.match(resolverWarning('bridge', 'nameserver 127.0.0.53\n', []), /now names no nameserver/)
  t.equal(resolverWarning('bridge', host, ['1.1.1.1']), undefined, 'dns[] replaces it')
  t.equal(resolverWarning('host', host, []), undefined, 'the host network reaches it')
})

t.test('host ports in use, from /proc/net', async (t) => {
  const tcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1',
    '   1: 0100007F:0050 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 2 1',
  ].join('\n')
  t.same([...boundPorts(tcp, true)], [8080], 'LISTEN only')
  t.same([...boundPorts(tcp, false)].sort(), [80, 8080], 'udp: every bound port')
  t.ok(hostPortInUse('tcp', 8080, (p) => (p === '/proc/net/tcp' ? tcp : '')))
  t.notOk(hostPortInUse('tcp', 80, (p) => (p === '/proc/net/tcp' ? tcp : '')))
  t.notOk(hostPortInUse('udp', 8080, () => { throw new Error('ENOENT') }))
})

t.test('state lines, ps/status JSON, /etc/hosts and rules', async (t) => {
  const state = { type: 'bridge' as const, address: '10.111.0.7', prefix: 16, gateway: '10.111.0.1', bridge: 'lite0', hostInterface: 'lv0011223344', publish: [parsePublish('8080:80')] }
  const lines = networkStateLines(state)
  t.same(lines, { net: 'bridge', net_address: '10.111.0.7/16', net_gateway: '10.111.0.1', net_bridge: 'lite0', net_host_interface: 'lv0011223344', net_publish: '0.0.0.0:8080->80/tcp' })
  t.same(networkOfState(lines), { type: 'bridge', address: '10.111.0.7', prefix: 16, gateway: '10.111.0.1', bridge: 'lite0', hostInterface: 'lv0011223344', publish: [{ hostPort: 8080, port: 80, proto: 'tcp' }] })
  t.equal(networkOfState({}), undefined)
  t.same(networkStateLines({ type: 'container', target: 'web', publish: [] }), { net: 'container:web' })
  const hosts = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tweb\n'
  const run = { state, claims: [], hostsLines: ['10.111.0.7\tweb', '10.111.0.9\tdb'], rulesAdded: false, warnings: [] }
  t.equal(hostsWithLines(hosts, run.hostsLines), '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.111.0.7\tweb\n10.111.0.9\tdb\n')
  t.equal(hostsWithLines(hosts, []), hosts)
  t.same(natRules(state, state.publish), [
    { kind: 'masquerade', source: '10.111.0.7', bridge: 'lite0' },
    { kind: 'dnat', proto: 'tcp', hostIp: undefined, hostPort: 8080, address: '10.111.0.7', port: 80 },
    { kind: 'localnet-masquerade', address: '10.111.0.7', bridge: 'lite0' },
  ])
})
