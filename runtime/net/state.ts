// A container's network as its state file records it (net_* lines, kept by the monitor
// as fixed lines): what ps, status and link[] show and read, and what the clean-up
// after the container's end needs (its name tags the rules; the claims are files).

import type { ContainerConfig } from '../config/types.ts'
import { formatPublish, parsePublish, type NetType, type Publish } from './values.ts'

export interface NetworkState {
  type: NetType
  /** container:NAME, netns:PATH */
  target?: string
  address?: string
  prefix?: number
  gateway?: string
  bridge?: string
  parent?: string
  /** the veth's host end */
  hostInterface?: string
  mtu?: number
  publish: Publish[]
  /** the claim files (address, ports): what the clean-up after its end tidies */
  claims?: string[]
}

export function networkState(cfg: ContainerConfig): NetworkState {
  const net = cfg.net
  const s: NetworkState = { type: net.type, publish: net.publish }
  if (net.target !== undefined) s.target = net.target
  if (net.type === 'macvlan' || net.type === 'ipvlan') {
    s.address = net.address?.address
    s.prefix = net.address?.prefix
    s.gateway = net.gateway
    s.parent = net.parent
  }
  return s
}

/** The state file's lines (key=value). */
export function networkStateLines(s: NetworkState | undefined): Record<string, string> {
  if (!s) return {}
  const lines: Record<string, string> = { net: s.target !== undefined ? `${s.type}:${s.target}` : s.type }
  if (s.address) lines.net_address = s.prefix !== undefined ? `${s.address}/${s.prefix}` : s.address
  if (s.gateway) lines.net_gateway = s.gateway
  if (s.bridge) lines.net_bridge = s.bridge
  if (s.parent) lines.net_parent = s.parent
  if (s.hostInterface) lines.net_host_interface = s.hostInterface
  if (s.publish.length) lines.net_publish = s.publish.map(formatPublish).join(' ')
  if (s.claims?.length) lines.net_claims = s.claims.join(' ')
  return lines
}

/** The network of a container's state, for ps and status (--json); undefined without net_ lines. */
export function networkOfState(extra: Record<string, string>): Record<string, unknown> | undefined {
  if (!extra.net) return undefined
  const [address, prefix] = (extra.net_address ?? '').split('/')
  return {
    type: extra.net,
    ...(address ? { address, prefix: prefix ? Number(prefix) : undefined } : {}),
    ...(extra.net_gateway ? { gateway: extra.net_gateway } : {}),
    ...(extra.net_bridge ? { bridge: extra.net_bridge } : {}),
    ...(extra.net_parent ? { parent: extra.net_parent } : {}),
    ...(extra.net_host_interface ? { hostInterface: extra.net_host_interface } : {}),
    publish: (extra.net_publish ?? '').split(' ').filter(Boolean).map(parseStatePublish),
  }
}

/** "HOSTIP:HOSTPORT->PORT/PROTO" back into its parts. */
function parseStatePublish(text: string): Publish | { text: string } {
  const m = /^([0-9.]+):(\d+)->(\d+)\/(tcp|udp)$/.exec(text)
  if (!m) return { text }
  return parsePublish(`${m[1]}:${m[2]}:${m[3]}/${m[4]}`)
}
