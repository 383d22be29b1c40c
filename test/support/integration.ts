// Shared by the integration tests: run the real dist/lite, write configs, and check
// that nothing was left behind (mounts, loop devices, processes, state, container
// cgroups).

import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Test } from 'tap'

export const REPO = resolve(import.meta.dirname, '../..')
export const LITE = process.env.LITE_BIN ?? join(REPO, 'dist/lite')
export const BUSYBOX = join(REPO, 'build/rootfs/busybox')
export const BUSYBOX_SQUASHFS = join(REPO, 'build/rootfs/busybox.squashfs')

export const isRoot = process.geteuid?.() === 0

/** Skips a whole file unless root with a built dist/lite and rootfs (CI has both). */
export function requireRootAndBuild(t: Test): boolean {
  const missing = [LITE, BUSYBOX, BUSYBOX_SQUASHFS].filter((p) => !existsSync(p))
  if (!isRoot || missing.length) {
    t.comment(`integration tests need root and a build (scripts/build); missing: ${isRoot ? missing.join(' ') : 'root'}`)
    if (process.env.CI) t.fail('CI must run the integration tests as root after scripts/build')
    return false
  }
  return true
}

export interface Result {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

const asResult = (r: SpawnSyncReturns<string>): Result => ({ code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' })

/** Runs lite to completion (bounded by `timeout` ms). */
export function lite(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeout?: number; bin?: string; cwd?: string } = {}): Result {
  return asResult(
    spawnSync(opts.bin ?? LITE, args, { input: opts.input ?? '', env: opts.env ?? process.env, encoding: 'utf8', timeout: opts.timeout ?? 30_000, cwd: opts.cwd }),
  )
}

export interface Background {
  child: ChildProcess
  done: Promise<Result>
  output: () => string
  errors: () => string
}

/** Starts a program in the background; the teardown kills it if the test did not finish it. */
export function spawnBackground(t: Test, file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Background {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => (stdout += d))
  child.stderr!.on('data', (d) => (stderr += d))
  const done = new Promise<Result>((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })))
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    return done
  })
  return { child, done, output: () => stdout, errors: () => stderr }
}

/** Starts lite in the background; the teardown kills it if the test did not finish it. */
export function liteBackground(t: Test, args: string[]): Background {
  return spawnBackground(t, LITE, args)
}

/** `lite run CONFIG -- /bin/sh -c SCRIPT` */
export function sh(config: string, script: string, opts: Parameters<typeof lite>[1] = {}): Result {
  return lite(['run', config, '--', '/bin/sh', '-c', script], opts)
}

let counter = 0
/** A unique container name per config, so that tests never share state. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}-${process.pid}-${++counter}`
}

/** Writes a config into the test's dir; `body` may use {BUSYBOX} and {SQUASHFS}. */
export function writeConfig(t: Test, body: string, name = uniqueName()): { path: string; name: string; dir: string } {
  // Its own temp dir (t.testdir is one dir per test, which a fixture may already use).
  const dir = mkdtempSync(join(tmpdir(), 'lite-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const text = `[container]\nname = ${name}\n` + body.replaceAll('{BUSYBOX}', BUSYBOX).replaceAll('{SQUASHFS}', BUSYBOX_SQUASHFS)
  const path = join(dir, 'c.ini')
  writeFileSync(path, text)
  return { path, name, dir }
}

/** Polls `check` until it returns true or `ms` pass; bounded in time and count. */
export async function eventually(check: () => boolean, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms
  for (let i = 0; i < 1000; i++) {
    if (check()) return true
    if (Date.now() > until) return false
    await new Promise((r) => setTimeout(r, 20))
  }
  return false
}

// ---- leak checks ----

export interface HostSnapshot {
  mounts: Set<string>
  loops: Set<string>
  pids: Set<string>
  state: Set<string>
  cgroups: Set<string>
}

function hostMountNs(): string {
  return readlinkSync('/proc/self/ns/mnt')
}

function loopDevices(): string[] {
  const out: string[] = []
  for (const dev of readdirSync('/sys/block')) {
    if (!dev.startsWith('loop')) continue
    try {
      const backing = readFileSync(`/sys/block/${dev}/loop/backing_file`, 'utf8').trim()
      if (backing) out.push(`${dev} ${backing}`)
    } catch {}
  }
  return out
}

/** Processes in another mount namespace than ours: containers (and the lite inside a test). */
function foreignPids(): string[] {
  const mine = hostMountNs()
  const out: string[] = []
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue
    try {
      if (readlinkSync(`/proc/${p}/ns/mnt`) !== mine) out.push(`${p} ${readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()}`)
    } catch {}
  }
  return out
}

function liteProcesses(): string[] {
  const out: string[] = []
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8')
      if (cmd.startsWith(LITE + '\0') || cmd.includes('/lite\0run\0')) out.push(`${p} ${cmd.replaceAll('\0', ' ').trim()}`)
    } catch {}
  }
  return out
}

/**
 * lite's own directories beside the containers, made at first use and kept by design:
 * the addon and caches (.lite-*), and the claim roots of network leases and ports (.net)
 * and of user-namespace slots (.userns), whose claims are flocks, not files (a test that
 * claims checks that they are let go).
 */
const isLiteOwn = (entry: string) => entry.startsWith('.lite-') || entry === '.net' || entry === '.userns'

function stateEntries(): string[] {
  try {
    return readdirSync('/run/lite').filter((e) => !isLiteOwn(e))
  } catch {
    return []
  }
}

function liteCgroups(): string[] {
  const out: string[] = []
  const walk = (dir: string, depth: number) => {
    if (depth > 3) return
    let entries: string[] = []
    try {
      entries = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)
    } catch {
      return
    }
    for (const e of entries) {
      if (!e.startsWith('lite')) {
        walk(join(dir, e), depth + 1)
        continue
      }
      // Every container's cgroup in a lite parent. The parent itself stays by design
      // (lite never removes one: another run may be starting under it), so it is not
      // a leak.
      try {
        for (const c of readdirSync(join(dir, e), { withFileTypes: true })) if (c.isDirectory()) out.push(join(dir, e, c.name))
      } catch {}
    }
  }
  walk('/sys/fs/cgroup', 0)
  return out
}

export function snapshotHost(): HostSnapshot {
  return {
    mounts: new Set(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ').slice(4).join(' '))),
    loops: new Set(loopDevices()),
    pids: new Set([...foreignPids(), ...liteProcesses()]),
    state: new Set(stateEntries()),
    cgroups: new Set(liteCgroups()),
  }
}

function added(before: Set<string>, now: Set<string>): string[] {
  return [...now].filter((x) => !before.has(x))
}

export function leaksSince(before: HostSnapshot): Record<string, string[]> {
  const now = snapshotHost()
  const leaks: Record<string, string[]> = {}
  for (const k of ['mounts', 'loops', 'pids', 'state', 'cgroups'] as const) {
    const a = added(before[k], now[k])
    if (a.length) leaks[k] = a
  }
  return leaks
}

/**
 * Asserts, polling within a bound (the kernel releases loop devices and reaps
 * asynchronously), that nothing appeared on the host since `before`.
 */
export async function assertNoLeaks(t: Test, before: HostSnapshot, what = 'nothing left behind'): Promise<void> {
  let leaks: Record<string, string[]> = {}
  await eventually(() => Object.keys((leaks = leaksSince(before))).length === 0, 3000)
  t.same(leaks, {}, what)
}

export function hostNs(kind: string): string {
  return readlinkSync(`/proc/self/ns/${kind}`)
}

// ppoll, where the monitor's loop waits (native-rs/monitor/sys.rs).
const PPOLL = process.arch === 'arm64' ? 73 : 271

/**
 * `pid` runs the monitor (not lite or the addon before their exec) and waits in its
 * loop: the state is the monitor's own and its fds are the ones it keeps. `running` in
 * the state comes earlier, from lite, just before the exec.
 */
export function monitorWaits(pid: number): boolean {
  try {
    if (readlinkSync(`/proc/${pid}/exe`) !== '/memfd:lite-monitor (deleted)') return false
    return Number(readFileSync(`/proc/${pid}/syscall`, 'utf8').split(' ')[0]) === PPOLL
  } catch {
    return false
  }
}

/** The container's pid once its monitor says it runs (the state file), else undefined. */
export function runningPid(name: string): number | undefined {
  try {
    const state = readFileSync(`/run/lite/${name}/state`, 'utf8')
    if (!/^status=running$/m.test(state)) return undefined
    const m = /^pid=(\d+)$/m.exec(state)
    return m ? Number(m[1]) : undefined
  } catch {
    return undefined
  }
}
