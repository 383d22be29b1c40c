// lite's own IP address check against node:net's, which it replaces on the start path.

import { isIP } from 'node:net'
import t from 'tap'
import { ipVersion, isIPv4Text, isIPv6Text } from '../../runtime/net/ip-text.ts'

const samples = [
  '0.0.0.0', '10.111.0.2', '255.255.255.255', '256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.04', '1..2.3', '1.2.3.4 ', ' 1.2.3.4', '', '.', 'a.b.c.d', '1.2.3.-4',
  '::', '::1', '1::', 'fe80::1', 'fe80::1%eth0', 'fe80::1%', 'fe80::1%eth 0', '2001:db8::8a2e:370:7334', '2001:0db8:0000:0000:0000:ff00:0042:8329',
  '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8::', '1::2::3', ':::', '1:::2',
  '::ffff:192.0.2.1', '64:ff9b::10.0.0.1', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', '::1.2.3.256', '1.2.3.4::', '12345::', 'g::1', ':1', '1:', 'ABCD:EF01::', '[::1]',
]

t.test('the same answer as node:net for every sample', async t => {
  for (const s of samples) t.equal(ipVersion(s), isIP(s), JSON.stringify(s))
})

t.test('the two halves', async t => {
  t.ok(isIPv4Text('192.168.1.1'))
  t.notOk(isIPv4Text('::1'))
  t.ok(isIPv6Text('::1'))
  t.notOk(isIPv6Text('192.168.1.1'))
})
