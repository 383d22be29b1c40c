// The network tests' lab: lite never runs on the host's own interfaces or firewall.
// Each test makes two network namespaces of its own, "host" (where lite runs, as on a
// board) and "lan" (the LAN and the internet), joined by a veth:
//
//   host ns: lo, uplink 192.168.X.1/24, default route via .2   <->   lan ns: lo, uplink 192.168.X.2/24
//
// lite runs in the host ns through `nsenter --net=` (not `ip netns exec`, which
// remounts /sys, so lite would find no cgroups). The file system, /run/lite included,
// is the machine's own: state, leases and ports are where lite keeps them.
//
// Everything here is bounded in time (spawnSync timeouts, bounded polls), and every
// clean-up is a t.teardown, which tap runs last-registered first: a lab's teardown is
// registered before anything made in it, so it runs after the containers' removal.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { LITE, isRoot, leaksSince, eventually, spawnBackground, type Background, type HostSnapshot, type Result, uniqueName, writeConfig } from './integration.ts'
export type { Background }

export const NETNS_DIR = '/run/netns'
export const NET_STATE = join(process.env.LITE_STATE_ROOT || '/run/lite', '.net')
export const DEFAULT_BRIDGE = 'lite0'

const asResult = (r: SpawnSyncReturns<string>): Result => ({ code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' })

/** Runs argv to completion, bounded by `timeout` ms (killed with SIGKILL past it). */
export function run(argv: string[], opts: { input?: string; timeout?: number; env?: NodeJS.ProcessEnv } = {}): Result {
  const [cmd, ...args] = argv
  return asResult(spawnSync(cmd!, args, { input: opts.input ?? '', env: opts.env ?? process.env, encoding: 'utf8', timeout: opts.timeout ?? 10_000, killSignal: 'SIGKILL' }))
}

const show = (r: Result) => `exit ${r.code ?? r.signal}: ${(r.stderr || r.stdout).trim().slice(0, 400)}`

// ---- tools ----

/** The host tools the lab needs, and the Debian package of each. */
const TOOLS: Record<string, string> = { ip: 'iproute2', nsenter: 'util-linux', flock: 'util-linux', nft: 'nftables', busybox: 'busybox-static', gcc: 'gcc' }

function findTool(name: string): string | undefined {
  const dirs = new Set([...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/sbin', '/usr/bin', '/bin'])
  for (const d of dirs) {
    const p = join(d, name)
    try {
      if (statSync(p).isFile()) return p
    } catch {}
  }
  return undefined
}

const toolPaths: Record<string, string> = {}
/** The absolute path of a tool (nft lives in /usr/sbin, which a PATH may lack). */
export function tool(name: string): string {
  return (toolPaths[name] ??= findTool(name) ?? name)
}

let toolsChecked: boolean | undefined

/**
 * Skips a whole file unless root with the lab's tools. nftables is only used to LOOK
 * at lite's rules (lite itself uses no binary); scripts/setup may not install it, so
 * a missing tool is installed here with apt-get once. In CI (CI=true) a missing tool
 * that cannot be installed fails, never skips.
 */
export function requireNetTools(t: Test): boolean {
  if (toolsChecked !== undefined) return toolsChecked
  if (!isRoot) {
    t.comment('the network tests need root')
    if (process.env.CI) t.fail('CI must run the network tests as root')
    return (toolsChecked = false)
  }
  let missing = Object.keys(TOOLS).filter((n) => !findTool(n))
  if (missing.length) {
    const pkgs = [...new Set(missing.map((n) => TOOLS[n]!))]
    t.comment(`installing ${pkgs.join(' ')} for the network tests`)
    let r = run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...pkgs], { timeout: 300_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
    if (r.code !== 0) {
      run(['apt-get', 'update', '-qq'], { timeout: 300_000 })
      r = run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...pkgs], { timeout: 300_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
    }
    for (const k of Object.keys(toolPaths)) delete toolPaths[k]
    missing = Object.keys(TOOLS).filter((n) => !findTool(n))
  }
  if (missing.length) {
    t.comment(`the network tests need ${missing.join(', ')} (Debian: ${missing.map((n) => TOOLS[n]).join(' ')})`)
    if (process.env.CI) t.fail(`CI must have the network tests' tools: ${missing.join(', ')}`)
    return (toolsChecked = false)
  }
  return (toolsChecked = true)
}

// ---- polling ----

/**
 * Polls `fn` until it returns a truthy value (returned) or `timeoutMs` pass
 * (undefined). Bounded in time and in count.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T | undefined> {
  const timeoutMs = opts.timeoutMs ?? 5000
  const intervalMs = opts.intervalMs ?? 50
  const until = Date.now() + timeoutMs
  const maxTries = Math.ceil(timeoutMs / intervalMs) + 1
  for (let i = 0; i < maxTries; i++) {
    const v = await fn()
    if (v) return v
    if (Date.now() >= until) break
    await new Promise((r) => setTimeout(r, intervalMs))
  }
  return undefined
}

// ---- the lab ----

export interface Lab {
  /** the namespace lite runs in, as on a board */
  host: string
  /** the LAN (and the internet) */
  lan: string
  /** 192.168.X.0/24 on the uplink */
  x: number
  /** the host ns's address on the uplink: what the LAN sees after NAT */
  hostIp: string
  /** the lan ns's address */
  lanIp: string
  /** containers to remove (inside the host ns) before the namespaces go */
  containers: Set<string>
}

let labCounter = 0

/** `ip ...`, failing loudly: the lab's own set-up must work. */
function ip(args: string[]): void {
  const r = run([tool('ip'), ...args])
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${show(r)}`)
}

export function nsPids(ns: string): number[] {
  const r = run([tool('ip'), 'netns', 'pids', ns])
  return r.code === 0 ? r.stdout.split(/\s+/).filter(Boolean).map(Number) : []
}

function killAllIn(ns: string): void {
  for (let round = 0; round < 5; round++) {
    const pids = nsPids(ns).filter((p) => p !== process.pid)
    if (!pids.length) return
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL')
      } catch {}
    }
    spawnSync('sleep', ['0.05'])
  }
}

/** The pids a container's state file names (its init and its monitor). */
function statePids(name: string): number[] {
  try {
    const s = readFileSync(`/run/lite/${name}/state`, 'utf8')
    return [...s.matchAll(/^(?:pid|monitor_pid)=(\d+)$/gm)].map((m) => Number(m[1]))
  } catch {
    return []
  }
}

/**
 * Makes the two namespaces and the uplink between them. The teardown removes the
 * lab's containers (lite rm -f inside the host ns), kills whatever still runs in
 * either namespace, and deletes both.
 */
export function makeLab(t: Test): Lab {
  const n = ++labCounter
  // 192.168.100.0/24 .. 192.168.249.0/24: one per lab in this file's process.
  const x = 100 + ((process.pid + n * 37) % 150)
  const lab: Lab = {
    host: `lt-host-${process.pid}-${n}`,
    lan: `lt-lan-${process.pid}-${n}`,
    x,
    hostIp: `192.168.${x}.1`,
    lanIp: `192.168.${x}.2`,
    containers: new Set(),
  }
  t.teardown(() => {
    for (const name of lab.containers) {
      try {
        liteIn(lab, ['rm', '-f', name], { timeout: 30_000 })
      } catch {}
      for (const p of statePids(name)) {
        try {
          process.kill(p, 'SIGKILL')
        } catch {}
      }
    }
    // lite's claims of the lab's namespace (<state>/.net/<network>@<netns inode>): the
    // namespace goes, so do they.
    let ino: number | undefined
    try {
      ino = statSync(join(NETNS_DIR, lab.host)).ino
    } catch {}
    for (const ns of [lab.host, lab.lan]) {
      try {
        killAllIn(ns)
        run([tool('ip'), 'netns', 'del', ns])
      } catch {}
    }
    if (ino !== undefined) for (const d of readdirSafe(NET_STATE)) if (d.endsWith(`@${ino}`)) rmSync(join(NET_STATE, d), { recursive: true, force: true })
  })
  ip(['netns', 'add', lab.host])
  ip(['netns', 'add', lab.lan])
  ip(['link', 'add', 'uplink', 'netns', lab.host, 'type', 'veth', 'peer', 'name', 'uplink', 'netns', lab.lan])
  ip(['-n', lab.host, 'addr', 'add', `${lab.hostIp}/24`, 'dev', 'uplink'])
  ip(['-n', lab.lan, 'addr', 'add', `${lab.lanIp}/24`, 'dev', 'uplink'])
  for (const ns of [lab.host, lab.lan]) {
    ip(['-n', ns, 'link', 'set', 'lo', 'up'])
    ip(['-n', ns, 'link', 'set', 'uplink', 'up'])
  }
  ip(['-n', lab.host, 'route', 'add', 'default', 'via', lab.lanIp])
  return lab
}

const nsOf = (ns: string | Lab): string => (typeof ns === 'string' ? ns : ns.host)

/** Runs argv inside a namespace (a lab's name: its host ns), bounded. */
export function inNs(ns: string | Lab, argv: string[], opts: { input?: string; timeout?: number } = {}): Result {
  return run([tool('nsenter'), `--net=${join(NETNS_DIR, nsOf(ns))}`, ...argv], opts)
}

/** Runs argv in the network namespace of a process (a container's init). */
export function inPidNet(pid: number, argv: string[], opts: { timeout?: number } = {}): Result {
  return run([tool('nsenter'), `--net=/proc/${pid}/ns/net`, ...argv], opts)
}

/** Starts argv inside a namespace; the teardown kills it if it still runs. */
export function inNsBackground(t: Test, ns: string | Lab, argv: string[], env?: NodeJS.ProcessEnv): Background {
  return spawnBackground(t, tool('nsenter'), [`--net=${join(NETNS_DIR, nsOf(ns))}`, ...argv], env ? { ...process.env, ...env } : process.env)
}

/** `lite ARGS` inside the lab's host ns, as `lite()` of integration.ts. */
export function liteIn(ns: string | Lab, args: string[], opts: { input?: string; timeout?: number } = {}): Result {
  return inNs(ns, [LITE, ...args], { timeout: opts.timeout ?? 30_000, input: opts.input })
}

/** `lite ARGS` in the background inside the lab's host ns. */
export function liteBackgroundIn(t: Test, ns: string | Lab, args: string[], env?: NodeJS.ProcessEnv): Background {
  return inNsBackground(t, ns, [LITE, ...args], env)
}

// ---- configs and containers ----

export interface NetContainer {
  path: string
  name: string
  dir: string
}

/**
 * A busybox container config with a [net] section (the lines in `net`), `cmd` as its
 * command (a shell line: quoted as one JSON string), and `extra` ini text. It is
 * registered with the lab, whose teardown removes it.
 */
export function netConfig(t: Test, lab: Lab, net: string, opts: { cmd?: string; extra?: string; name?: string } = {}): NetContainer {
  const name = opts.name ?? uniqueName('ln')
  const cmd = opts.cmd === undefined ? '' : `[exec]\ncmd = ${JSON.stringify(`/bin/sh -c '${opts.cmd}'`)}\n`
  const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[net]\n${net.trim()}\n${cmd}${opts.extra ?? ''}`, name)
  lab.containers.add(name)
  return c
}

/** A directory with index.html holding `token`, and cgi-bin/ip printing the client's address. */
export function wwwDir(t: Test, token: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lite-www-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'index.html'), `${token}\n`)
  mkdirSync(join(dir, 'cgi-bin'))
  writeFileSync(join(dir, 'cgi-bin', 'ip'), '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "$REMOTE_ADDR"\n')
  chmodSync(join(dir, 'cgi-bin', 'ip'), 0o755)
  return dir
}

/** The ini line that binds `dir` to /www, read-only. */
export const wwwMount = (dir: string) => `[mount]\nentry[] = ${dir} /www none bind,ro,create=dir\n`

/** A client address as busybox httpd's REMOTE_ADDR gives it ("[::ffff:a.b.c.d]"), plain. */
export const plainIp = (s: string) => s.trim().replace(/^\[|\]$/g, '').replace(/^::ffff:/, '')

/** busybox wget of a URL, from a namespace; stdout is the body. Bounded by `timeout`. */
export function wgetIn(ns: string | Lab, url: string, timeout = 4000): Result {
  // No -T: this busybox's wget segfaults with it. The spawn timeout bounds it instead.
  return inNs(ns, [tool('busybox'), 'wget', '-q', '-O-', url], { timeout })
}

/** Polls a URL from a namespace until its body contains `want`; the last result. */
export async function waitForHttp(ns: string | Lab, url: string, want: string, timeoutMs = 8000): Promise<Result> {
  let last: Result = { code: null, signal: null, stdout: '', stderr: 'never tried' }
  await waitFor(() => (last = wgetIn(ns, url, 2000)).stdout.includes(want), { timeoutMs, intervalMs: 100 })
  return last
}

/** The JSON of `lite ps -a --json`, run inside the lab. */
export function psJson(lab: Lab): PsEntry[] {
  const r = liteIn(lab, ['ps', '-a', '--json'])
  if (r.code !== 0) throw new Error(`lite ps --json: ${show(r)}`)
  return JSON.parse(r.stdout) as PsEntry[]
}

export interface PsEntry {
  name: string
  alive: boolean
  status: string
  pid: number | null
  monitor_pid?: number | null
  monitorPid?: number | null
  network?: unknown
  [k: string]: unknown
}

/** One container's entry (settling dead state, as every lite command does), or undefined. */
export function entryOf(lab: Lab, name: string): PsEntry | undefined {
  return psJson(lab).find((e) => e.name === name)
}

export interface NetworkInfo {
  type: string
  /** without a prefix */
  address?: string
  gateway?: string
  bridge?: string
  /** the veth's host end (bridge) */
  hostInterface?: string
  publish: { hostIp?: string; hostPort: number; port: number; proto: string }[]
}

/**
 * The `network` object of a ps/status entry, whatever the exact field names: the one
 * place that knows them.
 */
export function networkOf(e: PsEntry | undefined): NetworkInfo | undefined {
  const n = e?.network as Record<string, unknown> | undefined
  if (!n || typeof n !== 'object') return undefined
  const str = (...keys: string[]) => {
    for (const k of keys) if (typeof n[k] === 'string' && n[k]) return n[k] as string
    return undefined
  }
  const pub = (Array.isArray(n.publish) ? n.publish : Array.isArray(n.ports) ? n.ports : []) as Record<string, unknown>[]
  return {
    type: str('type', 'mode') ?? '',
    address: str('address', 'ip', 'ipv4')?.replace(/\/\d+$/, ''),
    gateway: str('gateway'),
    bridge: str('bridge', 'link'),
    hostInterface: str('hostInterface', 'host_interface', 'veth'),
    publish: pub.map((p) => ({
      hostIp: (p.hostIp ?? p.host_ip) as string | undefined,
      hostPort: Number(p.hostPort ?? p.host_port),
      port: Number(p.port ?? p.containerPort ?? p.container_port),
      proto: String(p.proto ?? p.protocol ?? 'tcp'),
    })),
  }
}

export const monitorPidOf = (e: PsEntry | undefined) => (e?.monitor_pid ?? e?.monitorPid ?? undefined) || undefined

/** lite run -d inside the lab; fails the test (not throws) on a bad start. Returns the entry. */
export async function runDetachedIn(t: Test, lab: Lab, c: NetContainer, args: string[] = []): Promise<PsEntry | undefined> {
  const r = liteIn(lab, ['run', '-d', c.path, ...args], { timeout: 30_000 })
  t.equal(r.code, 0, `run -d ${c.name}: ${r.stderr.trim()}`)
  if (r.code !== 0) return undefined
  return waitFor(() => {
    const e = entryOf(lab, c.name)
    return e?.alive && e.status === 'running' && e.pid ? e : undefined
  }, { timeoutMs: 8000, intervalMs: 50 })
}

/** The IPv4 address (no prefix) of `dev` in a process's network namespace. */
export function addrIn(pid: number, dev = 'eth0'): string | undefined {
  const r = inPidNet(pid, [tool('ip'), '-j', '-4', 'addr', 'show', 'dev', dev])
  if (r.code !== 0) return undefined
  try {
    const j = JSON.parse(r.stdout) as { addr_info?: { local?: string }[] }[]
    return j[0]?.addr_info?.[0]?.local
  } catch {
    return undefined
  }
}

/** The links of a namespace: name -> kind (veth, bridge, macvlan, or '' for plain ones). */
export function linksIn(ns: string | Lab): Map<string, string> {
  const r = inNs(ns, [tool('ip'), '-d', '-j', 'link', 'show'])
  const out = new Map<string, string>()
  if (r.code !== 0) throw new Error(`ip link: ${show(r)}`)
  for (const l of JSON.parse(r.stdout) as { ifname: string; linkinfo?: { info_kind?: string } }[]) out.set(l.ifname, l.linkinfo?.info_kind ?? '')
  return out
}

/** The names of the links that are in `now` and not in `before`. */
export const newLinks = (before: Map<string, string>, now: Map<string, string>) => [...now.keys()].filter((k) => !before.has(k))

/** `nft list ruleset` of a namespace ('' when it has none). */
export function nftRuleset(ns: string | Lab): string {
  const r = inNs(ns, [tool('nft'), 'list', 'ruleset'])
  if (r.code !== 0) throw new Error(`nft list ruleset: ${show(r)}`)
  return r.stdout
}

/** `nft list table ip lite` of a namespace, or '' when there is no such table. */
export function liteTable(ns: string | Lab): string {
  const r = inNs(ns, [tool('nft'), 'list', 'table', 'ip', 'lite'])
  return r.code === 0 ? r.stdout : ''
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Whether `text` names `name` as a whole word (c-1 is not c-10). */
export const names = (text: string, name: string) => new RegExp(`(^|[^A-Za-z0-9_.-])${escapeRe(name)}($|[^A-Za-z0-9_.-])`).test(text)

/** The ruleset lines of a namespace that name a container. */
export function nftLinesNaming(ns: string | Lab, name: string): string[] {
  return nftRuleset(ns).split('\n').filter((l) => names(l, name))
}

/** The rules (lines with a verdict or a statement) of the table ip lite. */
export function liteRules(ns: string | Lab): string[] {
  return liteTable(ns)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /\b(accept|drop|dnat|snat|masquerade|jump|goto|return|counter)\b/.test(l) && !/^(type|policy)\b/.test(l) && !/^chain\b/.test(l))
}

/** The regular files under /run/lite/.net/<bridge>/ (recursively, one level). */
export function leaseFiles(bridge = DEFAULT_BRIDGE): string[] {
  // <state>/.net/<bridge>@<netns inode>/: one directory per namespace that has the bridge.
  return readdirSafe(NET_STATE)
    .filter((d) => d.startsWith(`${bridge}@`))
    .flatMap((d) => filesUnder(join(NET_STATE, d)))
    .filter((f) => !f.endsWith('/subnet'))
}

function filesUnder(dir: string): string[] {
  const out: string[] = []
  let entries: string[] = []
  try {
    entries = readdirSync(dir)
  } catch {
    return out
  }
  for (const e of entries) {
    const p = join(dir, e)
    try {
      const s = statSync(p)
      if (s.isFile()) out.push(p)
      else if (s.isDirectory()) for (const f of readdirSync(p)) if (statSync(join(p, f)).isFile()) out.push(join(p, f))
    } catch {}
  }
  return out
}

/** Whether another process holds a flock on `file` (flock -n fails). */
export function isLocked(file: string): boolean {
  const r = run([tool('flock'), '-n', '-E', '75', file, 'true'])
  return r.code === 75
}

/** The lease files under /run/lite/.net/<bridge>/ that some process holds. */
export const heldLeases = (bridge = DEFAULT_BRIDGE) => leaseFiles(bridge).filter(isLocked)

/** The held port files under /run/lite/.net/ports/. */
export const heldPorts = () => leaseFiles('ports').filter(isLocked)

/** Lease and port files that name the container, in their path or their content. */
export function netFilesNaming(name: string): string[] {
  return filesUnder(NET_STATE)
    .concat(...readdirSafe(NET_STATE).map((d) => filesUnder(join(NET_STATE, d))))
    .filter((f, i, all) => all.indexOf(f) === i)
    .filter((f) => {
      if (names(f, name)) return true
      try {
        return names(readFileSync(f, 'utf8'), name)
      } catch {
        return false
      }
    })
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

/** Held lease/port files that name the container: what a live container keeps. */
export const heldNaming = (name: string) => netFilesNaming(name).filter(isLocked)

/**
 * Everything of a container's network that must be gone once it ended: links named
 * after it or new since `linksBefore` in the host ns, ruleset lines naming it, held
 * net files naming it, its state dir. An empty object when clean.
 */
export function netLeftovers(lab: Lab, name: string, linksBefore?: Map<string, string>): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  const links = linksIn(lab)
  const extra = linksBefore ? newLinks(linksBefore, links) : []
  // The bridge is created on first use and kept: not a leftover.
  const leftLinks = extra.filter((l) => links.get(l) !== 'bridge')
  if (leftLinks.length) out.links = leftLinks
  const rules = nftLinesNaming(lab, name)
  if (rules.length) out.rules = rules
  const held = heldNaming(name)
  if (held.length) out.held = held
  if (existsSync(`/run/lite/${name}`)) out.state = [`/run/lite/${name}`]
  return out
}

/** Polls until netLeftovers is empty (the monitor cleans up as it exits), bounded. */
export async function waitNoNetLeftovers(lab: Lab, name: string, linksBefore?: Map<string, string>, timeoutMs = 5000): Promise<Record<string, string[]>> {
  let left: Record<string, string[]> = {}
  await waitFor(() => Object.keys((left = netLeftovers(lab, name, linksBefore))).length === 0, { timeoutMs, intervalMs: 100 })
  return left
}

/**
 * The integration leak check with /run/lite/.net taken out: the net state dir is made
 * on first use and kept (as the bridge is), so it is not a leak; what is in it is
 * checked by the tests themselves.
 */
export async function assertNoHostLeaks(t: Test, before: HostSnapshot, what = 'nothing left behind on the host'): Promise<void> {
  let leaks: Record<string, string[]> = {}
  const clean = () => {
    leaks = leaksSince(before)
    // The labs' own namespaces (deleted by their teardowns, after this check).
    if (leaks.mounts) {
      leaks.mounts = leaks.mounts.filter((m) => !/^\/run\/netns(\/lt-(host|lan)-\d+-\d+)? /.test(m))
      if (!leaks.mounts.length) delete leaks.mounts
    }
    if (leaks.state) {
      leaks.state = leaks.state.filter((s) => s !== 'net')
      if (!leaks.state.length) delete leaks.state
    }
    return Object.keys(leaks).length === 0
  }
  await eventually(clean, 3000)
  t.same(leaks, {}, what)
}

// ---- a UDP tool (busybox nc here has no -u) ----

const UDP_SOURCE = String.raw`
/* udp serve PORT: prints "FROM ADDR:PORT MSG" for each datagram and answers "echo:MSG".
   udp send HOST PORT MSG: sends MSG up to 20 times, 250 ms apart, until an answer comes;
   prints it; exit 1 without one. Written for lite's network tests. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) { perror("socket"); return 2; }
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  char buf[1024];
  if (argc == 3 && !strcmp(argv[1], "serve")) {
    a.sin_port = htons(atoi(argv[2]));
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) { perror("bind"); return 2; }
    setvbuf(stdout, NULL, _IONBF, 0);
    for (int i = 0; i < 100000; i++) {
      struct sockaddr_in from;
      socklen_t fl = sizeof from;
      ssize_t n = recvfrom(s, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &fl);
      if (n < 0) continue;
      buf[n] = 0;
      printf("FROM %s:%d %s\n", inet_ntoa(from.sin_addr), ntohs(from.sin_port), buf);
      char out[1100];
      int m = snprintf(out, sizeof out, "echo:%s", buf);
      sendto(s, out, m, 0, (struct sockaddr *)&from, fl);
    }
    return 0;
  }
  if (argc == 5 && !strcmp(argv[1], "send")) {
    a.sin_port = htons(atoi(argv[3]));
    if (inet_pton(AF_INET, argv[2], &a.sin_addr) != 1) { fprintf(stderr, "bad address\n"); return 2; }
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) { perror("connect"); return 2; }
    for (int i = 0; i < 20; i++) {
      send(s, argv[4], strlen(argv[4]), 0);
      struct pollfd p = { s, POLLIN, 0 };
      if (poll(&p, 1, 250) == 1) {
        ssize_t n = recv(s, buf, sizeof buf - 1, 0);
        if (n > 0) { buf[n] = 0; printf("%s\n", buf); return 0; }
      }
    }
    return 1;
  }
  fprintf(stderr, "usage: udp serve PORT | udp send HOST PORT MSG\n");
  return 2;
}
`

let udpBinary: string | undefined

/** A static UDP tool (serve/send) built with gcc -static, once per process. */
export function udpTool(t: Test): string {
  if (udpBinary && existsSync(udpBinary)) return udpBinary
  const dir = mkdtempSync(join(tmpdir(), 'lite-udp-'))
  // Kept for the process (several tests use it); removed when the top-level test ends.
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'udp.c'), UDP_SOURCE)
  const r = run([tool('gcc'), '-static', '-O1', '-o', join(dir, 'udp'), join(dir, 'udp.c')], { timeout: 60_000 })
  if (r.code !== 0) throw new Error(`gcc -static udp.c: ${show(r)}`)
  void t
  return (udpBinary = join(dir, 'udp'))
}

/** A host port per test: distinct within a run, unlikely to collide with anything. */
let portCounter = 0
export function hostPort(): number {
  return 20000 + ((process.pid * 13 + ++portCounter * 101) % 20000)
}
