// The `state` file of /run/lite/<name>: one key=value per line, written by lite run and
// then by the monitor, replaced atomically (state.tmp, rename). This module is its one
// reader and writer on the TypeScript side. Unknown keys are kept (a newer monitor may
// write more) but never interpreted.

import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { posix } from 'node:path'

export const STATUSES = ['starting', 'running', 'stopping', 'restarting', 'exited'] as const
export type Status = (typeof STATUSES)[number]

export interface ContainerState {
  name: string
  /** absolute path of the config */
  config: string
  /** absolute path of the lite binary that started it */
  lite: string
  detached: boolean
  /** an unknown word reads as 'starting': not exited, so a dead one is still recognised */
  status: Status
  /** the container's init on the host; null before it is known */
  pid: number | null
  /** field 22 of /proc/PID/stat (clock ticks after boot): tells a reused pid apart */
  pidStart: number | null
  monitorPid: number | null
  /** unix seconds */
  started: number | null
  finished: number | null
  /** null: unknown (the monitor died before it could say) */
  exitCode: number | null
  /** 0 if it was not killed by a signal */
  exitSignal: number
  oom: boolean
  restarts: number
  /** absolute path of the log file, 'syslog', or '' (none, or a foreground run) */
  log: string
  /**
   * [exec] stop_timeout at the start, in seconds, so that stop and restart need not read
   * a config that may have changed or gone since; absent in an older lite's state.
   */
  stopTimeout?: number
  /** the fd the monitor holds the lock on (lock-holder.ts); absent in an older lite's state */
  lockFd?: number
  /** keys this version does not know, kept as they were */
  extra: Record<string, string>
}

export const STATE_FILE = 'state'

const KNOWN = new Set(['name', 'config', 'lite', 'detached', 'status', 'pid', 'pid_start', 'monitor_pid', 'started', 'finished', 'exit_code', 'exit_signal', 'oom', 'restarts', 'log', 'stop_timeout', 'lock_fd'])

function int(text: string | undefined): number | null {
  return text !== undefined && /^-?\d+$/.test(text) ? Number(text) : null
}

/** key=value lines → a state; missing or malformed values read as unknown. */
export function parseState(text: string): ContainerState {
  const kv: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=')
    if (eq <= 0) continue
    kv[line.slice(0, eq)] = line.slice(eq + 1)
  }
  const extra: Record<string, string> = {}
  for (const [k, v] of Object.entries(kv)) if (!KNOWN.has(k)) extra[k] = v
  const status = (STATUSES as readonly string[]).includes(kv.status ?? '') ? (kv.status as Status) : 'starting'
  return {
    name: kv.name ?? '',
    config: kv.config ?? '',
    lite: kv.lite ?? '',
    detached: kv.detached === '1',
    status,
    pid: positive(int(kv.pid)),
    pidStart: int(kv.pid_start),
    monitorPid: positive(int(kv.monitor_pid)),
    started: int(kv.started),
    finished: int(kv.finished),
    exitCode: int(kv.exit_code),
    exitSignal: int(kv.exit_signal) ?? 0,
    oom: kv.oom === '1',
    restarts: int(kv.restarts) ?? 0,
    log: kv.log ?? '',
    ...(int(kv.stop_timeout) !== null && int(kv.stop_timeout)! >= 0 ? { stopTimeout: int(kv.stop_timeout)! } : {}),
    ...(int(kv.lock_fd) !== null && int(kv.lock_fd)! >= 0 ? { lockFd: int(kv.lock_fd)! } : {}),
    extra,
  }
}

function positive(n: number | null): number | null {
  return n !== null && n > 0 ? n : null
}

const text = (v: number | null) => (v === null ? '' : String(v))

/** The file's text: known keys in the contract's order, then the kept unknown ones. */
export function formatState(s: ContainerState): string {
  const lines = [
    `name=${s.name}`,
    `config=${s.config}`,
    `lite=${s.lite}`,
    `detached=${s.detached ? 1 : 0}`,
    `status=${s.status}`,
    `pid=${text(s.pid)}`,
    `pid_start=${text(s.pidStart)}`,
    `monitor_pid=${text(s.monitorPid)}`,
    `started=${text(s.started)}`,
    `finished=${text(s.finished)}`,
    `exit_code=${text(s.exitCode)}`,
    `exit_signal=${s.exitSignal}`,
    `oom=${s.oom ? 1 : 0}`,
    `restarts=${s.restarts}`,
    `log=${s.log}`,
    ...(s.stopTimeout !== undefined ? [`stop_timeout=${s.stopTimeout}`] : []),
    ...(s.lockFd !== undefined ? [`lock_fd=${s.lockFd}`] : []),
    ...Object.entries(s.extra).map(([k, v]) => `${k}=${v}`),
  ]
  return lines.join('\n') + '\n'
}

/** The state in `dir`, or null when there is none (yet). */
export function readState(dir: string): ContainerState | null {
  let body: string
  try {
    body = readFileSync(posix.join(dir, STATE_FILE), 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw e
  }
  return parseState(body)
}

/** Replaces the state atomically: a reader sees the old file or the new one. */
export function writeState(dir: string, state: ContainerState): void {
  const path = posix.join(dir, STATE_FILE)
  writeFileSync(`${path}.tmp`, formatState(state), { mode: 0o644 })
  renameSync(`${path}.tmp`, path)
}
