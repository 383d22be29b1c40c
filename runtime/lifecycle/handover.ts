// What the Bun process hands over: to the monitor it execs into (its spec), and from a
// monitor that restarts the container (LITE_RESTARTS, LITE_BACKOFF_MS and the state
// lock's fd, in the environment of the lite it execs).

import { posix } from 'node:path'
import type { ContainerConfig } from '../config/types.ts'
import type { CgroupPlacement } from '../cgroup/manager.ts'
import { formatMonitorSpec, isNftRelease, type MonitorSpec } from '../monitor/spec.ts'
import { STATE_ROOT } from './state.ts'
import type { ContainerState } from './state-file.ts'
import { networkStateLines, type NetworkState } from '../net/state.ts'
import { userMapStateLines, type IdMap } from '../userns/id-map.ts'

export interface RunIdentity {
  name: string
  /** absolute */
  config: string
  detached: boolean
  /** unix seconds */
  started: number
  /** [rootfs] image: what the container runs, pinned for lite exec and restarts */
  image?: PinnedImage
  /** its network: type, address, published ports (net_* state lines) */
  network?: NetworkState
  /** [user] map: the ranges of its user namespace (user_* state lines) */
  userMap?: IdMap
  /** the fd this run, and then its monitor (same pid, same fd), holds the state lock on */
  lockFd?: number
}

/** The image a container started from, as its state records it. */
export interface PinnedImage {
  /** [rootfs] image as written */
  ref: string
  /** the manifest digest */
  digest: string
  /** the image file that is the lower layer */
  file: string
  /** the store it came from */
  store: string
  /** the image's ExposedPorts (informational) */
  ports: string[]
}

/** The state file's lines for a pinned image (kept by the monitor as fixed lines). */
export function imageStateLines(image: PinnedImage | undefined): Record<string, string> {
  if (!image) return {}
  return {
    image: image.ref,
    image_digest: image.digest,
    image_file: image.file,
    image_store: image.store,
    ...(image.ports.length ? { ports: image.ports.join(' ') } : {}),
  }
}

/** The pinned image of a container's state: what lite exec and a restart resolve [rootfs] image to. */
export function pinnedImage(state: Pick<ContainerState, 'extra'>): { digest: string; store: string } | undefined {
  const digest = state.extra.image_digest
  const store = state.extra.image_store
  if (!digest || !/^sha256:[0-9a-f]{64}$/.test(digest) || !store || !store.startsWith('/')) return undefined
  return { digest, store }
}

export interface RestartState {
  restarts: number
  backoffMs: number
  /** the state lock, still held, passed on by the monitor */
  lockFd?: number
}

function count(v: string | undefined): number {
  return v && /^\d+$/.test(v) ? Number(v) : 0
}

export function restartState(env: NodeJS.ProcessEnv): RestartState {
  const fd = env.LITE_STATE_LOCK_FD
  return { restarts: count(env.LITE_RESTARTS), backoffMs: count(env.LITE_BACKOFF_MS), lockFd: fd && /^\d+$/.test(fd) ? Number(fd) : undefined }
}

/**
 * How to start lite again: the compiled binary alone, or the runtime and the script
 * when lite runs from source (`bun runtime/cli.ts`).
 */
export function liteCommand(execPath = process.execPath, argv = process.argv): string[] {
  const script = argv[1]
  if (script && script.startsWith('/') && !script.startsWith('/$bunfs/') && /\.[cm]?[jt]s$/.test(script)) return [execPath, script]
  return [execPath]
}

/** The state file's `log`: where a detached container's output goes. */
function logValue(identity: RunIdentity, target: ContainerConfig['log']['target']): string {
  if (!identity.detached || target === 'none') return ''
  return target === 'syslog' ? 'syslog' : posix.join(STATE_ROOT, identity.name, 'log')
}

/** The state file before the monitor takes over: starting (or restarting). */
export function initialState(identity: RunIdentity, restarts: number, config: Pick<ContainerConfig, 'log' | 'exec'>): ContainerState {
  return {
    name: identity.name,
    config: identity.config,
    lite: liteCommand()[0]!,
    detached: identity.detached,
    status: restarts ? 'restarting' : 'starting',
    pid: null,
    pidStart: null,
    monitorPid: process.pid,
    started: identity.started,
    finished: null,
    exitCode: null,
    exitSignal: 0,
    oom: false,
    restarts,
    log: logValue(identity, config.log.target),
    stopTimeout: config.exec.stopTimeout,
    ...(identity.lockFd !== undefined ? { lockFd: identity.lockFd } : {}),
    extra: identityStateLines(identity),
  }
}

/** The state lines of what this run is: its image, network and user namespace. */
function identityStateLines(identity: RunIdentity): Record<string, string> {
  return { ...imageStateLines(identity.image), ...networkStateLines(identity.network), ...userMapStateLines(identity.userMap) }
}

/** 4M, 512K or a byte count, as a limit is written in a config. */
export function formatBytes(n: number): string {
  for (const [unit, size] of [['G', 1 << 30], ['M', 1 << 20], ['K', 1 << 10]] as const) if (n % size === 0) return `${n / size}${unit}`
  return String(n)
}

/** The cgroup file whose oom_kill line counts OOM kills of this container. */
function oomFile(cgroups: CgroupPlacement): string | undefined {
  for (const d of cgroups.dirs) {
    if (d.hierarchy.version === 2) return posix.join(d.path, 'memory.events')
    if (d.hierarchy.options.includes('memory')) return posix.join(d.path, 'memory.oom_control')
  }
  return undefined
}

export interface HandoverInput {
  config: ContainerConfig
  identity: RunIdentity
  opts: { cmd?: string[]; tty: boolean; interactive: boolean }
  stateDir: string
  lockFd: number
  cgroups?: CgroupPlacement
  restart: RestartState
  pid: number
  pidStart?: number
  logFd?: number
  /** the network's claims (address, ports): the monitor closes them when the container ends */
  claimFds?: number[]
  /** their files: the monitor unlinks them (still locked) before it closes the fds */
  claimPaths?: string[]
  /** the netlink messages that delete the container's rules (nftAddContainerRules) */
  nftRelease?: string
  hookVars: Record<string, string>
}

export function monitorSpec(input: HandoverInput): MonitorSpec {
  const { config, identity, opts, cgroups } = input
  const [lite, ...prefix] = liteCommand()
  const args = [...prefix, 'run', identity.config, '--name', identity.name]
  if (identity.detached) args.push('--detached')
  if (opts.tty) args.push('-t')
  if (opts.interactive) args.push('-i')
  // A restart runs the image this run started from, even if the tag has moved since.
  if (identity.image) args.push('--store', identity.image.store, '--image-digest', identity.image.digest)
  if (opts.cmd?.length) args.push('--', ...opts.cmd)
  const dirs = cgroups?.dirs ?? []
  const state = [
    `name=${identity.name}`,
    `config=${identity.config}`,
    `lite=${lite}`,
    `detached=${identity.detached ? 1 : 0}`,
    `pid_start=${input.pidStart ?? ''}`,
    `started=${identity.started}`,
    `log=${logValue(identity, config.log.target)}`,
    `stop_timeout=${config.exec.stopTimeout}`,
    `lock_fd=${input.lockFd}`,
    ...Object.entries(identityStateLines(identity)).map(([k, v]) => `${k}=${v}`),
  ]
  return {
    name: identity.name,
    stateDir: input.stateDir,
    keepState: identity.detached,
    lockFd: input.lockFd,
    stopSignal: config.exec.stopSignal,
    stopTimeoutMs: config.exec.stopTimeout * 1000,
    restart: config.start.restart,
    restarts: input.restart.restarts,
    backoffMs: input.restart.backoffMs,
    lite: lite!,
    args,
    hookEnv: [
      `PATH=${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`,
      // lite's own commands run by the monitor (health checks, net-release) find the state there.
      ...(process.env.LITE_STATE_ROOT ? [`LITE_STATE_ROOT=${process.env.LITE_STATE_ROOT}`] : []),
      ...Object.entries(input.hookVars).map(([k, v]) => `${k}=${v}`),
    ],
    hooks: config.hooks.postStop.map((h) => ({ at: `${h.origin.file}:${h.origin.line}`, argv: h.argv })),
    // The container's own directories, which this run made; never a parent (manager.ts).
    cgroups: dirs.map((d) => d.path),
    oomFile: cgroups ? oomFile(cgroups) : undefined,
    memoryLimit: config.resources.memory ? formatBytes(config.resources.memory) : undefined,
    logTarget: identity.detached ? config.log.target : 'inherit',
    logFd: input.logFd,
    logSize: config.log.size,
    state,
    claimFds: input.claimFds ?? [],
    claimPaths: input.claimPaths ?? [],
    // The monitor deletes the rules by their handles; a release too long for it (a great
    // many published ports) is left to the command below.
    nftRelease: input.nftRelease && isNftRelease(input.nftRelease) ? input.nftRelease : undefined,
    // Rules in nf_tables outlive the container: the monitor removes them when it ends,
    // with nftRelease, or else by running this; after a killed monitor the next lite
    // command does.
    release: needsRelease(identity.network) ? [lite!, ...prefix, 'net-release', identity.name, posix.dirname(input.stateDir)] : [],
    // The monitor runs each check as `lite exec`: Bun runs only while a check does.
    ...(config.health.cmd
      ? {
          health: {
            argv: [lite!, ...prefix, 'exec', identity.name, '--', ...config.health.cmd],
            intervalMs: config.health.intervalMs,
            timeoutMs: config.health.timeoutMs,
            retries: config.health.retries,
            startPeriodMs: config.health.startPeriodMs,
            onUnhealthy: config.health.onUnhealthy,
          },
        }
      : {}),
  }
}

/** Whether the container's end leaves something for lite to remove (bridge rules, claims). */
function needsRelease(net: NetworkState | undefined): boolean {
  return net?.type === 'bridge'
}

export function monitorSpecFor(input: HandoverInput): string {
  return formatMonitorSpec(monitorSpec(input))
}
