// IPv4 addresses and subnets as lite's network settings use them: parsing, the
// subnet's gateway and pool, and overlap. IPv4 only (see README: IPv6 in containers).

import { isIPv4Text as isIPv4 } from './ip-text.ts'
// A bad value throws ValueError: the key table adds FILE:LINE to its message.
import { ValueError } from '../config/value-error.ts'

export interface Ipv4Net {
  /** the network address, e.g. 10.111.0.0 */
  address: string
  prefix: number
}


export function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0)
}

export function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.')
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff - (2 ** (32 - prefix) - 1)) >>> 0
}

/** The network an address belongs to, e.g. 10.111.3.4/16 -> 10.111.0.0/16. */
export function networkOf(ip: string, prefix: number): Ipv4Net {
  return { address: intToIpv4((ipv4ToInt(ip) & mask(prefix)) >>> 0), prefix }
}

export function parseIpv4(raw: string): string {
  if (!isIPv4(raw)) throw new ValueError(`"${raw}" is not an IPv4 address`)
  return raw
}

/** "A.B.C.D/N" -> the address and the prefix, as written (not reduced to the network). */
export function parseCidr(raw: string, opts: { minPrefix?: number; maxPrefix?: number } = {}): { address: string; prefix: number } {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(raw)
  if (!m || !isIPv4(m[1]!)) throw new ValueError(`"${raw}" is not an IPv4 address with a prefix length, such as 10.111.0.0/16`)
  const prefix = Number(m[2])
  const min = opts.minPrefix ?? 0
  const max = opts.maxPrefix ?? 32
  if (prefix < min || prefix > max) throw new ValueError(`"${raw}": the prefix length must be ${min}..${max}`)
  return { address: m[1]!, prefix }
}

/** A subnet as written: its address must be the network address. */
export function parseSubnet(raw: string): Ipv4Net {
  // /30 is the smallest with a gateway and one container; /8 is plenty on a board.
  const { address, prefix } = parseCidr(raw, { minPrefix: 8, maxPrefix: 30 })
  const net = networkOf(address, prefix)
  if (net.address !== address) throw new ValueError(`"${raw}" is not a network address; did you mean ${net.address}/${prefix}?`)
  return net
}

export function formatNet(net: Ipv4Net): string {
  return `${net.address}/${net.prefix}`
}

export function contains(net: Ipv4Net, ip: string): boolean {
  return networkOf(ip, net.prefix).address === net.address
}

export function overlaps(a: Ipv4Net, b: Ipv4Net): boolean {
  const prefix = Math.min(a.prefix, b.prefix)
  return networkOf(a.address, prefix).address === networkOf(b.address, prefix).address
}

/** The gateway lite gives a bridge subnet: its first host address (.1). */
export function gatewayOf(net: Ipv4Net): string {
  return intToIpv4(ipv4ToInt(net.address) + 1)
}

export function broadcastOf(net: Ipv4Net): string {
  return intToIpv4(ipv4ToInt(net.address) + 2 ** (32 - net.prefix) - 1)
}

/** The addresses a container may get: all hosts of the subnet but the gateway, in order. */
export function* poolOf(net: Ipv4Net, limit = Infinity): Generator<string> {
  const first = ipv4ToInt(net.address) + 2
  const last = ipv4ToInt(broadcastOf(net)) - 1
  for (let n = first, i = 0; n <= last && i < limit; n++, i++) yield intToIpv4(n)
}

/** Why `ip` can't be a container's address in `net`, or undefined. */
export function hostAddressProblem(net: Ipv4Net, ip: string): string | undefined {
  if (!contains(net, ip)) return `${ip} is outside the subnet ${formatNet(net)}`
  if (ip === net.address) return `${ip} is the subnet's network address`
  if (ip === gatewayOf(net)) return `${ip} is the subnet's gateway (the bridge's own address)`
  if (ip === broadcastOf(net)) return `${ip} is the subnet's broadcast address`
  return undefined
}

/** Not podman's 10.88 or Docker's 172.17, which may share a board. */
export const DEFAULT_SUBNET: Ipv4Net = { address: '10.111.0.0', prefix: 16 }
