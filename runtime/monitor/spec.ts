// What `lite run` hands the monitor when it execs into it (native-rs/monitor/spec.rs
// reads it): one `key value` per line; repeated keys are lists. The addon appends the
// container's own fds (pid, pidfd, pty master) before the exec.

import { LiteError } from '../errors.ts'

export type LogTarget = 'inherit' | 'file' | 'syslog' | 'none'

export interface MonitorHook {
  /** FILE:LINE of the hook in the config, for its error message */
  at: string
  argv: string[]
}

export interface MonitorSpec {
  name: string
  stateDir: string
  /** detached: the state stays (status=exited) until lite rm */
  keepState: boolean
  /** lite exec: relay and wait only; the container's state, cgroups and hooks are not ours */
  execOnly?: boolean
  /** the state lock: held by the monitor for the container's life */
  lockFd: number
  stopSignal: number
  stopTimeoutMs: number
  restart: { policy: 'no' | 'on-failure' | 'always'; max: number }
  /** restarts so far, and the last back-off (0: none yet) */
  restarts: number
  backoffMs: number
  /** how the monitor starts the container again: exec of lite with these arguments */
  lite: string
  args: string[]
  /** the environment of post-stop hooks (PATH and the LITE_* variables) */
  hookEnv: string[]
  hooks: MonitorHook[]
  /** the container's own cgroup directories to remove (never a parent) */
  cgroups: string[]
  /** the cgroup file with the oom_kill count, and the limit for the message */
  oomFile?: string
  memoryLimit?: string
  logTarget: LogTarget
  logFd?: number
  logSize: number
  /** the fixed lines of the state file (key=value), written again with each update */
  state: string[]
  /** fds the monitor closes as soon as the container has ended (network claims) */
  claimFds?: number[]
  /** the claims' files: unlinked by the monitor, while still locked, before it closes their fds */
  claimPaths?: string[]
  /** hex of the netlink messages that delete the container's nf_tables rules (nftAddContainerRules) */
  nftRelease?: string
  /** run once the container has ended, before the post-stop hooks: lite net-release NAME
   *  (without nftRelease, or when sending it failed) */
  release?: string[]
  /** [health]: the monitor runs `argv` (lite exec NAME -- CMD) every intervalMs */
  health?: MonitorHealth
}

export interface MonitorHealth {
  argv: string[]
  intervalMs: number
  timeoutMs: number
  retries: number
  startPeriodMs: number
  onUnhealthy: 'none' | 'restart'
}

/** The monitor parses in place; a value may not hold a line break or a NUL. */
function clean(what: string, v: string): string {
  if (/[\n\0]/.test(v)) throw new LiteError(`${what} contains a line break or a NUL byte, which the monitor cannot take: ${JSON.stringify(v)}`)
  return v
}

/** 0x1f separates a hook's FILE:LINE and arguments on its one line. */
const UNIT = '\x1f'

/** The most entries of one list key the monitor takes (spec.rs MAX_LIST). */
export const MAX_LIST = 64

/** The most bytes of an nf_tables release the monitor takes (nlrelease.rs RELEASE_MAX). */
export const NFT_RELEASE_MAX = 4096

/** Lower-case hex of at most NFT_RELEASE_MAX bytes: what the monitor can send. */
export function isNftRelease(hex: string): boolean {
  return hex.length <= 2 * NFT_RELEASE_MAX && hex.length % 2 === 0 && /^[0-9a-f]*$/.test(hex)
}

export function formatMonitorSpec(s: MonitorSpec): string {
  for (const [what, list] of [['arguments', s.args], ['hook variables', s.hookEnv], ['post-stop hooks', s.hooks], ['cgroups', s.cgroups], ['state lines', s.state], ['claims', s.claimFds ?? []], ['claim files', s.claimPaths ?? []]] as const) {
    if (list.length > MAX_LIST) throw new LiteError(`too many ${what} for the monitor (${list.length}; at most ${MAX_LIST})`)
  }
  const lines: string[] = []
  const put = (key: string, value: string | number | boolean | undefined) => {
    if (value === undefined) return
    const v = typeof value === 'boolean' ? (value ? '1' : '0') : String(value)
    lines.push(`${key} ${clean(key, v)}`)
  }
  put('name', s.name)
  put('state_dir', s.stateDir)
  put('keep_state', s.keepState)
  put('exec_only', s.execOnly)
  put('lock_fd', s.lockFd)
  put('stop_signal', s.stopSignal)
  put('stop_timeout_ms', s.stopTimeoutMs)
  put('restart', s.restart.policy)
  put('restart_max', s.restart.max)
  put('restarts', s.restarts)
  put('backoff_ms', s.backoffMs)
  put('lite', s.lite)
  for (const a of s.args) put('arg', a)
  for (const e of s.hookEnv) put('env', e)
  for (const h of s.hooks) {
    const parts = [h.at, ...h.argv]
    if (parts.some((p) => p.includes(UNIT))) throw new LiteError(`${h.at}: [hook] a hook argument contains the byte 0x1f`)
    put('hook', parts.join(UNIT))
  }
  for (const c of s.cgroups) put('cgroup', c)
  put('oom_file', s.oomFile)
  put('memory_limit', s.memoryLimit)
  put('log_target', s.logTarget)
  put('log_fd', s.logFd)
  put('log_size', s.logSize)
  for (const l of s.state) put('state', l)
  for (const fd of s.claimFds ?? []) put('claim_fd', fd)
  for (const p of s.claimPaths ?? []) {
    if (!p.startsWith('/')) throw new LiteError(`a claim file is not an absolute path: ${p}`)
    put('claim', p)
  }
  if (s.nftRelease) {
    if (!isNftRelease(s.nftRelease)) throw new LiteError('the nf_tables release is not hex or is too long for the monitor')
    put('nft_release', s.nftRelease)
  }
  if (s.release?.length) {
    if (s.release.some((p) => p.includes(UNIT))) throw new LiteError('the release command contains the byte 0x1f')
    put('release', s.release.join(UNIT))
  }
  if (s.health) {
    if (s.health.argv.some((p) => p.includes(UNIT))) throw new LiteError('[health] cmd contains the byte 0x1f')
    put('health_cmd', s.health.argv.join(UNIT))
    put('health_interval_ms', s.health.intervalMs)
    put('health_timeout_ms', s.health.timeoutMs)
    put('health_retries', s.health.retries)
    put('health_start_period_ms', s.health.startPeriodMs)
    put('health_on_unhealthy', s.health.onUnhealthy)
  }
  // The addon appends pending_signal: a signal lite noted before it became the monitor.
  return lines.join('\n') + '\n'
}
