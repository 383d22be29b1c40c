/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/unit/net-config.test.ts > TAP > lite check: [net] rules across keys, with the line at fault > a bad port 1`] = `
lite: error: DIR/c.ini:9: [net] publish: the container port "99999" is not a port (1-65535)
lite: 1 error in DIR/c.ini; nothing was started

`

exports[`test/unit/net-config.test.ts > TAP > lite check: [net] rules across keys, with the line at fault > a bad protocol 1`] = `
lite: error: DIR/c.ini:9: [net] publish: "8080:80/sctp": the protocol must be tcp or udp
lite: 1 error in DIR/c.ini; nothing was started

`

exports[`test/unit/net-config.test.ts > TAP > lite check: [net] rules across keys, with the line at fault > a duplicate host port 1`] = `
lite: error: DIR/c.ini:10: [net] publish: 0.0.0.0:8080->81/tcp takes host port 8080/tcp again (line 9)
lite: 1 error in DIR/c.ini; nothing was started

`

exports[`test/unit/net-config.test.ts > TAP > lite check: [net] rules across keys, with the line at fault > a gateway outside the LAN 1`] = `
lite: error: DIR/c.ini:11: [net] gateway: 192.168.2.1 is outside the address's network 192.168.1.0/24
lite: 1 error in DIR/c.ini; nothing was started

`

exports[`test/unit/net-config.test.ts > TAP > lite check: [net] rules across keys, with the line at fault > an address outside the subnet 1`] = `
lite: error: DIR/c.ini:9: [net] address: 10.112.0.5 is outside the subnet 10.111.0.0/16
lite: 1 error in DIR/c.ini; nothing was started

`

exports[`test/unit/net-config.test.ts > TAP > lite check: [net] rules across keys, with the line at fault > joining itself 1`] = `
lite: error: DIR/c.ini:8: [net] type: container:web is this container itself; name another, running container
lite: 1 error in DIR/c.ini; nothing was started

`

exports[`test/unit/net-config.test.ts > TAP > lite check: [net] rules across keys, with the line at fault > keys of another type 1`] = `
lite: error: DIR/c.ini:9: [net] publish: only for type = bridge; this container's type is none (line 8)
lite: error: DIR/c.ini:10: [net] parent: only for type = macvlan or ipvlan; this container's type is none (line 8)
lite: 2 errors in DIR/c.ini; nothing was started

`

exports[`test/unit/net-config.test.ts > TAP > lite check: [net] rules across keys, with the line at fault > macvlan without parent, address without prefix 1`] = `
lite: error: DIR/c.ini:8: [net] type = macvlan needs parent = the host interface it sits on, e.g. parent = eth0
lite: error: DIR/c.ini:9: [net] address: give the prefix too, e.g. 192.168.1.5/24
lite: 2 errors in DIR/c.ini; nothing was started

`

exports[`test/unit/net-config.test.ts > TAP > lite check: [net] rules across keys, with the line at fault > net sysctls need an own netns 1`] = `
lite: error: DIR/c.ini:10: [sysctl] net.ipv4.ip_forward: net.* sysctls need the container's own network namespace, and [net] type = host shares the host's
lite: 1 error in DIR/c.ini; nothing was started

`

exports[`test/unit/net-config.test.ts > TAP > lite check: [net] rules across keys, with the line at fault > the gateway as an address 1`] = `
lite: error: DIR/c.ini:10: [net] address: 192.168.7.1 is the subnet's gateway (the bridge's own address)
lite: 1 error in DIR/c.ini; nothing was started

`
