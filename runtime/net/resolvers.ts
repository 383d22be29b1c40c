// The host's nameservers as a container sees them. A container with a network of its
// own (bridge, macvlan, ipvlan) cannot reach a resolver on the host's loopback, such as
// systemd-resolved's 127.0.0.53; `none` reaches nothing anyway, and host, container:
// and netns: networks see what they see.

import type { NetType } from './values.ts'

const NAMESERVER = /^\s*nameserver\s+(\S+)/

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1'
}

/** Whether the container's network is one where the host's loopback resolvers work (or nothing does). */
export function reachesLoopback(type: NetType): boolean {
  return type !== 'bridge' && type !== 'macvlan' && type !== 'ipvlan'
}

/** The loopback nameservers of a resolv.conf text. */
export function loopbackResolvers(resolvConf: string): string[] {
  return resolvConf
    .split('\n')
    .map((l) => NAMESERVER.exec(l)?.[1])
    .filter((a): a is string => a !== undefined && isLoopback(a))
}

export function withoutLoopbackResolvers(resolvConf: string): string {
  return resolvConf
    .split('\n')
    .filter((l) => {
      const a = NAMESERVER.exec(l)?.[1]
      return a === undefined || !isLoopback(a)
    })
    .join('\n')
}

/** lite run's warning, when the copied resolv.conf lost its only nameservers. */
export function resolverWarning(type: NetType, resolvConf: string | null, dns: string[]): string | undefined {
  if (reachesLoopback(type) || dns.length || resolvConf === null) return undefined
  const lost = loopbackResolvers(resolvConf)
  if (!lost.length) return undefined
  const left = resolvConf.split('\n').some((l) => NAMESERVER.test(l) && !lost.includes(NAMESERVER.exec(l)![1]!))
  return `the host's resolver ${lost.join(', ')} is on its loopback, which the container's network cannot reach; it was left out of /etc/resolv.conf${left ? '' : ', which now names no nameserver'}. Set [net] dns[] (for example the LAN's resolver).`
}
