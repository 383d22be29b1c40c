// A container's network at `lite run`: reserve what it claims before clone (an address,
// host ports, the bridge), attach it after clone and before GO (the veth or macvlan in
// the child's netns, eth0 configured through the netlink socket the child opened there,
// the NAT rules), and give everything back when the start fails. The steps in order, as
// crun's linux.c lays them out; the kernel work is the addon's (native-rs/src/net).

import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { processStartTime } from '../lifecycle/process-identity.ts'
import { posix } from 'node:path'
import type { ContainerConfig } from '../config/types.ts'
import { LiteError } from '../errors.ts'
import type { Container, Native } from '../native/index.ts'
import { contains, formatNet, gatewayOf, overlaps, poolOf, type Ipv4Net } from './address.ts'
import { leasePath, networkDir, portPath, releaseClaims, tryClaim, type Claim } from './claims.ts'
import { hostPortInUse } from './host-ports.ts'
import type { Publish } from './values.ts'
import { hostSetting } from './host-settings.ts'
import { readState } from '../lifecycle/state-file.ts'
import { isHeld } from '../lifecycle/registry.ts'
import { networkState, type NetworkState } from './state.ts'

/** How long the child may take to open its netlink socket (it does so at once). */
const NET_SOCKET_TIMEOUT_MS = 10_000

/** What a run holds of its network, from reserve to the monitor. */
export interface NetRun {
  state: NetworkState
  /** flock-held claims (address, ports): the monitor keeps these fds */
  claims: Claim[]
  /** /etc/hosts lines: the container's own address and its links */
  hostsLines: string[]
  /** container:NAME, netns:PATH: the netns fd the child joins */
  joinFd?: number
  /** set once the rules went in: the clean-up removes them */
  rulesAdded: boolean
  /** the netlink messages (hex) that delete exactly the added rules: the monitor sends them */
  nftRelease?: string
  /** a warning to print once the container runs (a DROP policy elsewhere, say) */
  warnings: string[]
}

export interface NetContext {
  name: string
  config: ContainerConfig
  native: Native
  /** the state root (/run/lite): where a linked or joined container's state is read */
  stateRoot: string
  /** the address this name had before a restart: kept if it is still free */
  previousAddress?: string
}

function origin(cfg: ContainerConfig, key: string): string {
  const o = cfg.origins[`net.${key}`]
  return o ? `${o.file}:${o.line}: ` : ''
}

function nativeError(e: unknown): string {
  return (e as Error).message
}

/** The addon's error, naming the kernel option when the link kind seems missing (EOPNOTSUPP, ENOENT, EINVAL). */
function linkError(native: Native, kind: string, e: unknown): string {
  const text = nativeError(e)
  return /\(os error (95|2|22)\)/.test(text) ? `${text}; the kernel may lack ${native.netKindOption(kind)}` : text
}

/**
 * The veth's host end: short (IFNAMSIZ 16) and unique; it dies with the container's netns.
 * Web Crypto's random bytes, which need no import: node:crypto costs ~1.5 ms to load.
 */
function hostInterfaceName(): string {
  return `lv${Buffer.from(crypto.getRandomValues(new Uint8Array(5))).toString('hex')}`
}

/** Reserves the network before clone; throws a LiteError with nothing left held. */
export function reserveNetwork(ctx: NetContext): NetRun | undefined {
  const net = ctx.config.net
  const run: NetRun = { state: networkState(ctx.config), claims: [], hostsLines: [], rulesAdded: false, warnings: [] }
  try {
    switch (net.type) {
      case 'none':
      case 'host':
        return undefined
      case 'container':
        run.joinFd = openJoinedContainer(ctx)
        return run
      case 'netns':
        run.joinFd = openNamedNetns(ctx)
        return run
      case 'macvlan':
      case 'ipvlan':
        reserveMacvlan(ctx, run)
        return run
      case 'bridge':
        reserveBridge(ctx, run)
        return run
    }
  } catch (e) {
    releaseNetwork(ctx, run)
    throw e
  }
}

function openJoinedContainer(ctx: NetContext): number {
  const target = ctx.config.net.target!
  const dir = posix.join(ctx.stateRoot, target)
  const state = existsSync(dir) ? readState(dir) : null
  if (!state || state.pid === null || state.status === 'exited' || !isHeld(dir, ctx.native)) {
    throw new LiteError(`${origin(ctx.config, 'type')}[net] type = container:${target}: no running container ${target}`)
  }
  let fd: number
  try {
    fd = openSync(`/proc/${state.pid}/ns/net`, 'r')
  } catch (e) {
    throw new LiteError(`${origin(ctx.config, 'type')}[net] type = container:${target}: cannot open its network namespace: ${(e as Error).message}`)
  }
  // The pid is still that container's (not reused since its state was written).
  if (state.pidStart !== null && processStartTime(state.pid) !== state.pidStart) {
    closeSync(fd)
    throw new LiteError(`${origin(ctx.config, 'type')}[net] type = container:${target}: no running container ${target}`)
  }
  return fd
}

function openNamedNetns(ctx: NetContext): number {
  const path = ctx.config.net.target!
  try {
    // The child's setns(CLONE_NEWNET) refuses anything that is not a network namespace;
    // O_NONBLOCK: a FIFO at PATH must not hang the start.
    return openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (e) {
    throw new LiteError(`${origin(ctx.config, 'type')}[net] type = netns:${path}: ${(e as Error).message}`)
  }
}

function reserveMacvlan(ctx: NetContext, run: NetRun): void {
  const net = ctx.config.net
  const parent = ctx.native.netLink(net.parent!)
  if (!parent) throw new LiteError(`${origin(ctx.config, 'parent')}[net] parent: the host has no interface ${net.parent}`)
  run.state.parent = net.parent
}

function reserveBridge(ctx: NetContext, run: NetRun): void {
  const { native, config, name } = ctx
  const net = config.net
  const missing = native.nftAvailable()
  if (missing) throw new LiteError(`${origin(config, 'type')}[net] type = bridge: ${missing}`)
  checkSubnet(ctx)
  // Ports first: the commonest conflict, and the cheapest to find.
  for (const [i, p] of net.publish.entries()) {
    const at = config.origins[`net.publish[${i}]`]
    const where = at ? `${at.file}:${at.line}: ` : ''
    if (hostPortInUse(p.proto, p.hostPort)) throw new LiteError(`${where}[net] publish: host port ${p.hostPort}/${p.proto} is in use by a process of the host`)
    const claim = tryClaim(native, portPath(ctx.stateRoot, p), name)
    if ('heldBy' in claim) throw new LiteError(`${where}[net] publish: host port ${p.hostPort}/${p.proto} is already published by container ${claim.heldBy}; ${name} cannot publish it too`)
    run.claims.push(claim)
  }
  const address = leaseAddress(ctx, run)
  run.state.claims = run.claims.map((c) => c.path)
  run.state.address = address
  run.state.prefix = net.subnet.prefix
  run.state.gateway = gatewayOf(net.subnet)
  run.state.bridge = net.bridge
  run.state.hostInterface = hostInterfaceName()
  run.hostsLines.push(`${address}\t${config.container.hostname || name}`)
  for (const [i, other] of net.links.entries()) run.hostsLines.push(`${linkedAddress(ctx, other, i)}\t${other}`)

  let bridge
  try {
    bridge = native.netEnsureBridge(net.bridge, gatewayOf(net.subnet), net.subnet.prefix)
  } catch (e) {
    throw new LiteError(`${origin(config, 'bridge')}[net] cannot set up the bridge ${net.bridge}: ${linkError(native, 'bridge', e)}`)
  }
  run.state.mtu = bridge.mtu
  checkRoutes(ctx, bridge.index)
  // The host settings a bridge network needs (lite info lists them).
  hostSetting('/proc/sys/net/ipv4/ip_forward', '1')
  hostSetting(`/proc/sys/net/ipv4/conf/${net.bridge}/route_localnet`, '1')
  const drop = safe(() => native.nftForwardDrop())
  if (drop) {
    run.warnings.push(
      `the host's nf_tables chain ${drop} drops forwarded packets by policy; lite's table cannot override it, so ${name} may not reach the network or get published traffic. Accept traffic of ${net.bridge} there (iifname/oifname ${net.bridge} accept).`,
    )
  }
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f()
  } catch {
    return undefined
  }
}

/**
 * One bridge, one subnet: the container that creates the bridge records its subnet
 * beside the claims, and every later one must give the same. A record whose bridge is
 * gone (a reboot, a deleted namespace) is replaced.
 */
function checkSubnet(ctx: NetContext): void {
  const net = ctx.config.net
  const file = posix.join(networkDir(ctx.stateRoot, net.bridge), 'subnet')
  const want = formatNet(net.subnet)
  let have: string | undefined
  try {
    have = readFileSync(file, 'utf8').trim()
  } catch {}
  if (have === want) return
  if (have !== undefined && ctx.native.netLink(net.bridge)) {
    throw new LiteError(`${origin(ctx.config, 'subnet')}[net] subnet: the bridge ${net.bridge} has the subnet ${have}, not ${want}; give subnet = ${have}, or another bridge`)
  }
  try {
    mkdirSync(posix.dirname(file), { recursive: true, mode: 0o755 })
    writeFileSync(`${file}.${process.pid}.tmp`, want + '\n', { mode: 0o644 })
    renameSync(`${file}.${process.pid}.tmp`, file)
  } catch (e) {
    throw new LiteError(`cannot record the subnet of ${net.bridge}: ${(e as Error).message}`)
  }
}

/** A subnet that overlaps a route of the host (other than the bridge's own) would hide it. */
function checkRoutes(ctx: NetContext, bridgeIndex: number): void {
  const net = ctx.config.net
  let routes: { dst: string; prefix: number; oif: number }[]
  try {
    routes = ctx.native.netIpv4Routes()
  } catch {
    return
  }
  for (const r of routes) {
    if (r.prefix === 0 || r.oif === bridgeIndex) continue
    const route: Ipv4Net = { address: r.dst, prefix: r.prefix }
    if (overlaps(route, net.subnet)) {
      throw new LiteError(`${origin(ctx.config, 'subnet')}[net] subnet: ${formatNet(net.subnet)} overlaps the host's route to ${formatNet(route)}; choose another subnet`)
    }
  }
}

function leaseAddress(ctx: NetContext, run: NetRun): string {
  const { config, name, native } = ctx
  const net = config.net
  const take = (address: string): boolean => {
    const claim = tryClaim(native, leasePath(ctx.stateRoot, net.bridge, address), name)
    if ('heldBy' in claim) return false
    run.claims.push(claim)
    return true
  }
  if (net.address) {
    const path = leasePath(ctx.stateRoot, net.bridge, net.address.address)
    const claim = tryClaim(native, path, name)
    if ('heldBy' in claim) throw new LiteError(`${origin(config, 'address')}[net] address: ${net.address.address} is in use by container ${claim.heldBy}`)
    run.claims.push(claim)
    return net.address.address
  }
  if (ctx.previousAddress && contains(net.subnet, ctx.previousAddress) && take(ctx.previousAddress)) return ctx.previousAddress
  // Bounded by the pool: at most 2^(32-prefix) tries, each an open and a flock.
  for (const address of poolOf(net.subnet)) if (take(address)) return address
  throw new LiteError(`${origin(config, 'subnet')}[net] subnet: no free address left in ${formatNet(net.subnet)} on ${net.bridge}`)
}

function linkedAddress(ctx: NetContext, other: string, i: number): string {
  const at = ctx.config.origins[`net.link[${i}]`]
  const where = at ? `${at.file}:${at.line}: ` : ''
  const dir = posix.join(ctx.stateRoot, other)
  const state = existsSync(dir) ? readState(dir) : null
  const address = state?.extra.net_address?.split('/')[0]
  if (!state || state.status === 'exited' || !address) throw new LiteError(`${where}[net] link: ${other} is not a running container with a bridge network (start it first)`)
  if (state.extra.net_bridge !== ctx.config.net.bridge) throw new LiteError(`${where}[net] link: ${other} is on the bridge ${state.extra.net_bridge ?? '(none)'}, not ${ctx.config.net.bridge}`)
  return address
}

/**
 * After clone, before GO: the child's eth0 and the NAT. The child opened a netlink
 * socket in its new netns and passed it over the handshake; eth0 is configured through
 * it, so Bun's process never enters the container's namespace.
 */
export function attachNetwork(ctx: NetContext, run: NetRun | undefined, container: Container): void {
  if (!run || (ctx.config.net.type !== 'bridge' && ctx.config.net.type !== 'macvlan' && ctx.config.net.type !== 'ipvlan')) return
  const { native, config, name } = ctx
  const net = config.net
  const sock = container.takeNetSocket(NET_SOCKET_TIMEOUT_MS)
  try {
    if (net.type === 'bridge') {
      const s = run.state
      try {
        native.netCreateVeth(s.hostInterface!, net.bridge, container.pid, s.mtu ?? 1500)
      } catch (e) {
        throw new LiteError(`${origin(config, 'type')}[net] cannot create the veth pair of ${name}: ${linkError(native, 'veth', e)}`)
      }
      configureInside(ctx, sock, s.address!, s.prefix!, s.gateway)
      const rules = natRules(run.state, net.publish)
      try {
        run.rulesAdded = true // a batch that fails adds nothing; removing is harmless
        run.nftRelease = native.nftAddContainerRules(name, rules).release
      } catch (e) {
        throw new LiteError(`${origin(config, 'type')}[net] cannot add the NAT rules of ${name}: ${nativeError(e)}`)
      }
    } else {
      try {
        native.netCreateMacvlan(net.type, net.parent!, container.pid)
      } catch (e) {
        throw new LiteError(`${origin(config, 'type')}[net] type = ${net.type}: cannot create eth0 on ${net.parent}: ${linkError(native, net.type, e)}`)
      }
      configureInside(ctx, sock, net.address!.address, net.address!.prefix!, net.gateway)
    }
  } finally {
    closeSync(sock)
  }
}

function configureInside(ctx: NetContext, sock: number, address: string, prefix: number, gateway: string | undefined): void {
  try {
    ctx.native.netConfigureInside(sock, address, prefix, gateway)
  } catch (e) {
    throw new LiteError(`${origin(ctx.config, 'address')}[net] cannot configure eth0 (${address}/${prefix}) in ${ctx.name}: ${nativeError(e)}`)
  }
}

/** The container's rules in table ip lite: outbound masquerade, and each published port. */
export function natRules(s: NetworkState, publish: Publish[]) {
  const rules: { kind: string; source?: string; address?: string; bridge?: string; proto?: string; hostIp?: string; hostPort?: number; port?: number }[] = [
    { kind: 'masquerade', source: s.address, bridge: s.bridge },
  ]
  for (const p of publish) {
    rules.push({ kind: 'dnat', proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort, address: s.address, port: p.port })
  }
  if (publish.length) rules.push({ kind: 'localnet-masquerade', address: s.address, bridge: s.bridge })
  return rules
}

/** Gives back what reserve and attach took (a failed start). The veth dies with the netns. */
export function releaseNetwork(ctx: Pick<NetContext, 'native' | 'name'>, run: NetRun | undefined): void {
  if (!run) return
  if (run.rulesAdded) {
    try {
      ctx.native.nftDeleteContainerRules(ctx.name)
    } catch {}
  }
  if (run.state.hostInterface) {
    try {
      ctx.native.netDeleteLink(run.state.hostInterface)
    } catch {}
  }
  releaseClaims(run.claims)
  run.claims = []
  if (run.joinFd !== undefined) {
    try {
      closeSync(run.joinFd)
    } catch {}
    run.joinFd = undefined
  }
}
