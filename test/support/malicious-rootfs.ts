// Shared by the attack regression tests (issue 12): a copy of the busybox rootfs to
// plant symlinks in, decoy trees under the test's own directory with before/after
// snapshots, runs of dist/lite bounded by SIGKILL, a probe of the app's cwd, and a
// clean-up that also removes what a vulnerable lite leaves behind (child cgroups made
// through a leaked directory fd, the state and cgroups of a run killed at its bound).

import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Test } from 'tap'
import { BUSYBOX, LITE, type Result } from './integration.ts'

/** The fd numbers an attacker tries as /proc/self/fd/N: lite's own fds live there. */
export const FDS: readonly number[] = Array.from({ length: 18 }, (_, i) => i + 3)

/** A symlink target, and what kind of escape it tries. */
export interface LinkTarget {
  /** "absolute", "relative", "fd 11", ... */
  via: string
  target: string
}

/** A relative link that climbs far above any root, then walks down to `hostPath`. */
export function climbTo(hostPath: string): string {
  return '../'.repeat(16) + hostPath.replace(/^\/+/, '')
}

/** The three ways out of a root: an absolute host path, a `../` climb to it, and lite's own fds. */
export function escapeTargets(hostPath: string): LinkTarget[] {
  return [{ via: 'absolute', target: hostPath }, { via: 'relative', target: climbTo(hostPath) }, ...fdTargets()]
}

export function fdTargets(): LinkTarget[] {
  return FDS.map((n) => ({ via: `fd ${n}`, target: `/proc/self/fd/${n}` }))
}

/** `cp -a` of the busybox rootfs into `dir/rootfs`. */
export function copyRootfs(dir: string): string {
  const rootfs = join(dir, 'rootfs')
  const r = spawnSync('cp', ['-a', BUSYBOX, rootfs], { encoding: 'utf8', timeout: 30_000 })
  if (r.status !== 0) throw new Error(`cp -a ${BUSYBOX} ${rootfs}: ${r.stderr}`)
  return rootfs
}

/** Makes `inside` (a path in the rootfs) a symlink to `target`, replacing what was there. */
export function plantLink(rootfs: string, inside: string, target: string): void {
  const at = join(rootfs, inside)
  rmSync(at, { recursive: true, force: true })
  mkdirSync(dirname(at), { recursive: true })
  symlinkSync(target, at)
}

/** Makes `inside` a plain directory or an empty file again (the control of a case). */
export function plantPlain(rootfs: string, inside: string, kind: 'dir' | 'file'): void {
  const at = join(rootfs, inside)
  rmSync(at, { recursive: true, force: true })
  mkdirSync(kind === 'dir' ? at : dirname(at), { recursive: true })
  if (kind === 'file') writeFileSync(at, '')
}

/** A file with a name no container can guess, in `dir`: seen from inside, it proves a host view. */
export function hostMarker(dir: string): string {
  const name = `host-only-marker-${randomBytes(8).toString('hex')}`
  writeFileSync(join(dir, name), 'host\n')
  return name
}

// ---- what changed outside the root ----

/** Every entry under `root` (bounded): type, mode, size, mtime and link target, by relative path. */
export type TreeSnapshot = Map<string, string>

export function snapshotTree(root: string, skip: readonly string[] = []): TreeSnapshot {
  const out: TreeSnapshot = new Map()
  const walk = (rel: string, depth: number) => {
    if (out.size > 5000) return
    const abs = join(root, rel)
    let st
    try {
      st = lstatSync(abs, { bigint: true })
    } catch {
      return
    }
    const type = st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isFIFO() ? 'fifo' : 'other'
    const link = st.isSymbolicLink() ? ` -> ${readlinkSync(abs)}` : ''
    out.set(rel || '.', `${type} mode=${(st.mode & 0o7777n).toString(8)} size=${st.size} mtime=${st.mtimeNs}${link}`)
    if (!st.isDirectory() || depth > 12) return
    for (const e of readdirSync(abs).sort()) if (!(rel === '' && skip.includes(e))) walk(rel ? join(rel, e) : e, depth + 1)
  }
  walk('', 0)
  return out
}

/** "added x", "removed y", "changed z: before => after" */
export function treeChanges(before: TreeSnapshot, after: TreeSnapshot): string[] {
  const changes: string[] = []
  for (const [p, v] of after) {
    const was = before.get(p)
    if (was === undefined) changes.push(`added ${p}: ${v}`)
    else if (was !== v) changes.push(`changed ${p}: ${was} => ${v}`)
  }
  for (const p of before.keys()) if (!after.has(p)) changes.push(`removed ${p}`)
  return changes
}

// ---- running lite ----

/** Runs lite to completion, SIGKILLed at `timeout` ms (a set-up that hangs must not hang the test). */
export function runLite(args: string[], timeout = 20_000): Result & { ms: number } {
  const start = Date.now()
  const r = spawnSync(LITE, args, { input: '', encoding: 'utf8', timeout, killSignal: 'SIGKILL' })
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: Date.now() - start }
}

/** The 1-based line of the first line of `text` that starts with `prefix`. */
export function lineOf(text: string, prefix: string): number {
  const i = text.split('\n').findIndex((l) => l.startsWith(prefix))
  if (i < 0) throw new Error(`no line starts with ${JSON.stringify(prefix)}`)
  return i + 1
}

/** The cgroup hierarchies mounted on the host (from our mountinfo). */
function cgroupMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => / - cgroup2? /.test(l))
    .map((l) => l.split(' ')[4]!)
}

/** Removes `dir` and the directories under it, deepest first (a cgroup tree), bounded. */
function rmdirTree(dir: string, depth = 0): void {
  if (depth > 8) return
  let subdirs: string[] = []
  try {
    subdirs = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).slice(0, 100)
  } catch {
    return
  }
  for (const s of subdirs) rmdirTree(join(dir, s), depth + 1)
  try {
    rmdirSync(dir)
  } catch {}
}

/**
 * Removes whatever the container `name` left: the state and cgroups of a run killed at
 * its bound (lite rm -f settles them), then cgroups that a vulnerable lite made inside
 * the container's own cgroup through a leaked fd, which keep it from being removed.
 */
export function cleanUpContainer(name: string): void {
  if (existsSync(`/run/lite/${name}`)) spawnSync(LITE, ['rm', '-f', name], { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' })
  for (const mount of cgroupMounts()) {
    const dir = join(mount, 'lite', name)
    if (existsSync(dir)) rmdirTree(dir)
  }
}

// ---- where the app's cwd is ----

/**
 * Shell lines that print the app's cwd as getcwd sees it (empty when the cwd is not
 * reachable from the root) and as the kernel names it, then list the cwd, five levels
 * above it, and the test's directory reached by climbing from it: a cwd on the host
 * shows the marker there.
 */
export function cwdProbe(dir: string): string {
  return `echo "pwd=$(pwd -P)"; echo "cwd=$(readlink /proc/self/cwd)"; ls -a . ../../../../.. ${climbTo(dir)} 2>&1; true`
}

/** Asserts that the output of cwdProbe shows a cwd inside the container's root. */
export function assertCwdInside(t: Test, stdout: string, opts: { marker: string; name: string }): void {
  const pwd = /^pwd=(.*)$/m.exec(stdout)?.[1]
  const cwd = /^cwd=(.*)$/m.exec(stdout)?.[1]
  t.notMatch(stdout, opts.marker, 'the host-only marker is never seen from inside')
  t.match(pwd ?? '', /^\//, `getcwd works: the cwd is reachable from the root (pwd=${pwd})`)
  t.equal(cwd, pwd, 'the kernel names the same cwd, relative to the container root')
  t.notMatch(cwd ?? '', new RegExp(`/lite/${opts.name}$|^/sys/fs/cgroup/.+/lite/`), 'the cwd is not the container\'s cgroup directory on the host')
}
