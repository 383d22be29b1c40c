// lite ps and lite status: the containers under the state root as a table, as JSON,
// or one container's state. Looking settles dead state first (registry.ts), so what
// is shown as running is running.

import { listContainers, observeNamed, type Observation } from './registry.ts'
import { formatState } from './state-file.ts'
import type { LifecycleSystem } from './system.ts'
import { networkOfState } from '../net/state.ts'

/** 45s, 12m, 3h05m, 2d04h: how long, in the two largest units that matter. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m`
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`
}

/** running, restarting, ..., or "exited (137)", "exited (?)" for an unknown code. */
export function statusText(o: Observation): string {
  if (o.alive) {
    const health = o.state?.extra.health
    // As docker ps: "running (healthy)"; only while it runs.
    return `${o.state?.status ?? 'starting'}${health && o.state?.status === 'running' ? ` (${health})` : ''}`
  }
  const s = o.state!
  const code = s.exitCode === null ? '?' : String(s.exitCode)
  return `exited (${code})${s.oom ? ' oom' : ''}`
}

function timeText(o: Observation, nowSeconds: number): string {
  const s = o.state
  if (!s) return '-'
  if (o.alive) return s.started === null ? '-' : formatDuration(nowSeconds - s.started)
  return s.finished === null ? '-' : `${formatDuration(nowSeconds - s.finished)} ago`
}

const HEADER = ['NAME', 'STATUS', 'PID', 'RESTARTS', 'UPTIME/EXITED', 'NETWORK', 'CONFIG']

/** The address and published ports while it runs ("10.111.0.2 0.0.0.0:8080->80/tcp"), else the type. */
function networkText(o: Observation): string {
  const extra = o.state?.extra ?? {}
  if (!extra.net) return '-'
  if (!o.alive) return extra.net
  const parts = [extra.net_address?.split('/')[0] ?? extra.net, ...(extra.net_publish ?? '').split(' ').filter(Boolean)]
  return parts.join(' ')
}

export function formatTable(list: Observation[], nowSeconds: number): string {
  const rows = list.map((o) => [
    o.name,
    statusText(o),
    o.alive && o.state?.pid ? String(o.state.pid) : '-',
    String(o.state?.restarts ?? 0),
    timeText(o, nowSeconds),
    networkText(o),
    o.state?.config || '-',
  ])
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  // The last column is not padded (no trailing spaces).
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('   ')
  return [line(HEADER), ...rows.map(line)].join('\n') + '\n'
}

const count = (v: string | undefined) => (v !== undefined && /^-?\d+$/.test(v) ? Number(v) : null)

/** The monitor's health lines (none without [health]): status, failing streak, checks run, last exit (-1: timed out). */
function healthOfState(extra: Record<string, string>): { status: string; failures: number | null; checks: number | null; last_exit: number | null; last_ms: number | null } | null {
  if (!extra.health) return null
  return { status: extra.health, failures: count(extra.health_failures), checks: count(extra.health_checks), last_exit: count(extra.health_last_exit), last_ms: count(extra.health_last_ms) }
}

/** One object per container, with the state file's own key names. */
export function toJson(list: Observation[]): object[] {
  return list.map((o) => {
    const s = o.state
    return {
      name: o.name,
      alive: o.alive,
      status: o.alive ? (s?.status ?? 'starting') : 'exited',
      pid: s?.pid ?? null,
      pid_start: s?.pidStart ?? null,
      monitor_pid: s?.monitorPid ?? null,
      detached: s?.detached ?? false,
      restarts: s?.restarts ?? 0,
      started: s?.started ?? null,
      finished: s?.finished ?? null,
      exit_code: o.alive ? null : (s?.exitCode ?? null),
      exit_signal: s?.exitSignal ?? 0,
      oom: s?.oom ?? false,
      config: s?.config ?? '',
      log: s?.log ?? '',
      network: s ? (networkOfState(s.extra) ?? null) : null,
      health: s ? healthOfState(s.extra) : null,
      // [user] map: its user namespace's ranges, CONTAINER:HOST:COUNT
      user_map: s?.extra.user_uid_map ? { uid: s.extra.user_uid_map, gid: s.extra.user_gid_map ?? '' } : null,
    }
  })
}

export async function listCommand(opts: { all: boolean; json: boolean }, sys: LifecycleSystem): Promise<number> {
  const list = (await listContainers(sys)).filter((o) => opts.all || o.alive)
  if (opts.json) sys.stdout(JSON.stringify(toJson(list), null, 2) + '\n')
  else sys.stdout(formatTable(list, Math.floor(sys.now() / 1000)))
  return 0
}

/** lite status NAME: its state as key=value lines; 0 while it is alive, 1 otherwise. */
export async function statusCommand(name: string, sys: LifecycleSystem, opts: { json?: boolean } = {}): Promise<number> {
  const o = await observeNamed(name, sys)
  if (!o) return 1
  if (opts.json) sys.stdout(JSON.stringify(toJson([o])[0], null, 2) + '\n')
  else if (o.state) sys.stdout(formatState({ ...o.state, status: o.alive ? o.state.status : 'exited' }))
  else sys.stdout(`name=${name}\nstatus=starting\n`)
  return o.alive ? 0 : 1
}
