// The [net] values that are more than a word: the type, a published port, an interface
// name. Parsers throw ValueError with the reason; the key table adds FILE:LINE.

import { ValueError } from '../config/value-error.ts'
import { parseIpv4 } from './address.ts'

export type NetType = 'none' | 'host' | 'bridge' | 'macvlan' | 'ipvlan' | 'container' | 'netns'

export interface NetMode {
  type: NetType
  /** container:NAME -> NAME, netns:PATH -> PATH */
  target?: string
}

export interface Publish {
  /** the host address it listens on; undefined: all of the host's addresses */
  hostIp?: string
  hostPort: number
  port: number
  proto: 'tcp' | 'udp'
}

const PLAIN: NetType[] = ['none', 'host', 'bridge', 'macvlan', 'ipvlan']

export function parseNetType(raw: string): NetMode {
  if ((PLAIN as string[]).includes(raw)) return { type: raw as NetType }
  const m = /^(container|netns):(.+)$/.exec(raw)
  if (m) {
    const target = m[2]!
    if (m[1] === 'netns' && !target.startsWith('/')) throw new ValueError(`netns:${target}: the path must be absolute, such as /run/netns/NAME`)
    return { type: m[1] as NetType, target }
  }
  throw new ValueError(`"${raw}" is not a network type (use ${PLAIN.join(', ')}, container:NAME or netns:PATH)`)
}

function parsePort(raw: string, what: string): number {
  if (!/^[0-9]{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) throw new ValueError(`${what} "${raw}" is not a port (1-65535)`)
  return Number(raw)
}

/** [HOSTIP:]HOSTPORT:PORT[/tcp|udp] */
export function parsePublish(raw: string): Publish {
  const [spec, proto = 'tcp', ...rest] = raw.split('/')
  if (rest.length || (proto !== 'tcp' && proto !== 'udp')) throw new ValueError(`"${raw}": the protocol must be tcp or udp`)
  const parts = spec!.split(':')
  if (parts.length < 2 || parts.length > 3) throw new ValueError(`"${raw}" is not [HOSTIP:]HOSTPORT:PORT[/tcp|udp]`)
  const hostIp = parts.length === 3 ? parseIpv4(parts[0]!) : undefined
  const hostPort = parsePort(parts[parts.length - 2]!, 'the host port')
  const port = parsePort(parts[parts.length - 1]!, 'the container port')
  return { ...(hostIp && hostIp !== '0.0.0.0' ? { hostIp } : {}), hostPort, port, proto }
}

export function formatPublish(p: Publish): string {
  return `${p.hostIp ?? '0.0.0.0'}:${p.hostPort}->${p.port}/${p.proto}`
}

/** Two publishes take the same host port when their protocols match and their addresses can meet. */
export function samePort(a: Publish, b: Publish): boolean {
  return a.proto === b.proto && a.hostPort === b.hostPort && (!a.hostIp || !b.hostIp || a.hostIp === b.hostIp)
}

/** A Linux interface name: 1-15 bytes, no '/', ':' or white space. */
export function parseInterfaceName(raw: string): string {
  if (!/^[A-Za-z0-9_.@-]{1,15}$/.test(raw) || raw === '.' || raw === '..') {
    throw new ValueError(`"${raw}" is not an interface name (1-15 letters, digits, '-', '_', '.')`)
  }
  return raw
}

export const DEFAULT_BRIDGE = 'lite0'

/** Types that give the container a network namespace of its own (net.* sysctls are its own). */
export function ownsNetns(type: NetType): boolean {
  return type === 'none' || type === 'bridge' || type === 'macvlan' || type === 'ipvlan'
}
