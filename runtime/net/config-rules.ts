// [net]'s rules across keys, checked by `lite check` with the line at fault: which keys
// go with which type, an address that fits the subnet, one publish per host port. What
// needs the host (an overlapping route, a parent that isn't there, a port in use) is
// checked at run.

import type { ContainerConfig } from '../config/types.ts'
import type { FinishContext } from '../config/schema.ts'
import { contains, formatNet, hostAddressProblem, networkOf } from './address.ts'
import { formatPublish, samePort, type NetType } from './values.ts'

/** The keys each type takes (dns, hosts and resolv_conf go with every type but host's own files). */
const KEYS_FOR: Record<string, NetType[]> = {
  bridge: ['bridge'],
  subnet: ['bridge'],
  publish: ['bridge'],
  link: ['bridge'],
  address: ['bridge', 'macvlan', 'ipvlan'],
  gateway: ['macvlan', 'ipvlan'],
  parent: ['macvlan', 'ipvlan'],
}

function typeText(cfg: ContainerConfig): string {
  return cfg.net.target !== undefined ? `${cfg.net.type}:${cfg.net.target}` : cfg.net.type
}

export function netFinish(cfg: ContainerConfig, ctx: FinishContext): void {
  const net = cfg.net
  const typeLine = ctx.origin('net.type')?.line
  const typeAt = typeLine ? ` (line ${typeLine})` : ''
  for (const [key, types] of Object.entries(KEYS_FOR)) {
    const line = ctx.written(`net.${key}`)
    if (line !== undefined && !types.includes(net.type)) {
      ctx.error(line, `[net] ${key}: only for type = ${types.join(' or ')}; this container's type is ${typeText(cfg)}${typeAt}`)
    }
  }
  const addressLine = ctx.origin('net.address')?.line
  if (net.type === 'bridge' && net.address && addressLine) {
    const { address, prefix } = net.address
    if (prefix !== undefined && prefix !== net.subnet.prefix) {
      ctx.error(addressLine, `[net] address: the prefix /${prefix} differs from the subnet ${formatNet(net.subnet)}; give the address alone`)
    } else {
      const problem = hostAddressProblem(net.subnet, address)
      if (problem) ctx.error(addressLine, `[net] address: ${problem}`)
    }
  }
  if (net.type === 'macvlan' || net.type === 'ipvlan') {
    const line = typeLine ?? 0
    if (!net.parent) ctx.error(line, `[net] type = ${net.type} needs parent = the host interface it sits on, e.g. parent = eth0`)
    if (!net.address) ctx.error(line, `[net] type = ${net.type} needs address = an address with its prefix on the parent's LAN, e.g. address = 192.168.1.50/24 (DHCP is not supported)`)
    else if (net.address.prefix === undefined && addressLine) ctx.error(addressLine, `[net] address: give the prefix too, e.g. ${net.address.address}/24`)
    const gatewayLine = ctx.origin('net.gateway')?.line
    if (net.gateway && gatewayLine && net.address?.prefix !== undefined) {
      const lan = networkOf(net.address.address, net.address.prefix)
      if (!contains(lan, net.gateway)) ctx.error(gatewayLine, `[net] gateway: ${net.gateway} is outside the address's network ${formatNet(lan)}`)
      else if (net.gateway === net.address.address) ctx.error(gatewayLine, `[net] gateway: ${net.gateway} is the container's own address`)
    }
  }
  if (net.type === 'container' && net.target === cfg.container.name && cfg.container.name) {
    ctx.error(typeLine ?? 0, `[net] type: container:${net.target} is this container itself; name another, running container`)
  }
  net.publish.forEach((p, i) => {
    const earlier = net.publish.findIndex((q, j) => j < i && samePort(p, q))
    if (earlier >= 0) {
      const line = ctx.origin(`net.publish[${i}]`)?.line ?? 0
      const first = ctx.origin(`net.publish[${earlier}]`)?.line
      ctx.error(line, `[net] publish: ${formatPublish(p)} takes host port ${p.hostPort}/${p.proto} again (line ${first})`)
    }
  })
  net.links.forEach((name, i) => {
    if (name === cfg.container.name) ctx.error(ctx.origin(`net.link[${i}]`)?.line ?? 0, `[net] link: ${name} is this container itself`)
  })
}
