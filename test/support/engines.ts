// Container engines driving an OCI runtime, for the lite-oci tests: Debian's podman (with
// conmon) and Debian's containerd (with its io.containerd.runc.v2 shim), each isolated
// under build/oci/ and removed by a t.teardown even when a test fails:
//
//   podman:     its own storage root, runroot, tmpdir, containers.conf (no network: netns
//               "none", a network config dir of its own, so that no CNI plugin and no
//               firewall rule is ever set up), registries.conf (no registry), storage.conf,
//               and an image imported from lite's busybox rootfs (`podman import`).
//   containerd: a daemon of its own (root, state, socket under build/oci/containerd, CRI off),
//               started in the background, killed in the teardown with its shims, and the
//               busybox rootfs imported as a docker archive made here (`ctr image import`).
//
// The OCI runtime under test is chosen by LITE_OCI_TEST_RUNTIME:
//   unset or "lite-oci"  build/oci/lite-oci, a symlink to ../../dist/lite made here (lite
//                        dispatches on the name it was invoked by)
//   "crun", "runc"       Debian's (crun 1.8.1 refuses a hybrid cgroup host while cgroup2
//                        holds hugetlb: bench/lib/hugetlb.sh moves it to v1 for the file)
//   /an/absolute/path    any other runtime
// LITE_OCI_TEST_LOG=1 puts a wrapper of the same name in front of the runtime that appends
// each call ("$@", cwd, parent) to build/oci/calls.log before it execs the runtime.
//
// Every engine command is bounded in time (spawnSync timeout, SIGKILL past it).

import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
import { basename, join } from 'node:path'
import type { Test } from 'tap'
import { BUSYBOX, REPO, eventually, isRoot, leaksSince, snapshotHost, type HostSnapshot, type Result } from './integration.ts'

export const OCI_DIR = join(REPO, 'build/oci')
export const IMAGE = 'localhost/lite-test:busybox'
/** containerd's namespace for the tests (also its cgroup parent: /lite-test/ID). */
export const CTR_NAMESPACE = 'lite-test'

/** The Debian packages the engine tests need (scripts/setup does not install them). */
export const ENGINE_PACKAGES = ['podman', 'conmon', 'containerd', 'runc', 'crun', 'util-linux']

export interface RunOpts {
  timeout?: number
  input?: string
  env?: NodeJS.ProcessEnv
}

/** Runs argv to completion, bounded by `timeout` ms (SIGKILL past it). */
export function run(argv: string[], opts: RunOpts = {}): Result {
  const [cmd, ...args] = argv
  const r = spawnSync(cmd!, args, {
    input: opts.input ?? '',
    env: opts.env ?? process.env,
    encoding: 'utf8',
    timeout: opts.timeout ?? 60_000,
    killSignal: 'SIGKILL',
    cwd: REPO,
  })
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
}

/** One line about a result, for assertion messages. */
export const show = (r: Result) => `exit ${r.code ?? r.signal}: ${(r.stderr.trim() || r.stdout.trim()).slice(-600)}`

/** A word for `sh -c` (script -c runs its command through a shell). */
export const shQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function findTool(name: string): string | undefined {
  for (const d of new Set([...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/sbin', '/usr/bin', '/bin'])) {
    try {
      if (statSync(join(d, name)).isFile()) return join(d, name)
    } catch {}
  }
  return undefined
}

// ---------------------------------------------------------------- packages

const ENGINE_TOOLS: Record<string, string> = { podman: 'podman', conmon: 'conmon', containerd: 'containerd', ctr: 'containerd', 'containerd-shim-runc-v2': 'containerd', script: 'util-linux' }

/**
 * Root, a built dist/lite and the busybox rootfs, and the engines' tools: missing
 * Debian packages are installed once with scripts/lib.sh's apt_install. In CI a missing
 * piece fails the file; elsewhere it is skipped with the reason as a comment.
 */
export function requireEngines(t: Test, tools: string[]): boolean {
  const refuse = (why: string) => {
    t.comment(`the OCI engine tests need ${why}`)
    if (process.env.CI) t.fail(`CI must be able to run the OCI engine tests: ${why}`)
    return false
  }
  if (!isRoot) return refuse('root')
  if (!existsSync(BUSYBOX)) return refuse(`the busybox rootfs (${BUSYBOX}: scripts/build)`)
  let missing = tools.filter((n) => !findTool(n))
  if (missing.length) {
    const pkgs = [...new Set(missing.map((n) => ENGINE_TOOLS[n] ?? n))]
    t.comment(`installing ${pkgs.join(' ')} for the OCI engine tests`)
    const r = run(['bash', '-c', 'source scripts/lib.sh && apt_install "$@"', 'apt_install', ...pkgs], { timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
    if (r.code !== 0) t.comment(`apt_install: ${show(r)}`)
    missing = tools.filter((n) => !findTool(n))
  }
  if (missing.length) return refuse(`${missing.join(', ')} (Debian: ${[...new Set(missing.map((n) => ENGINE_TOOLS[n] ?? n))].join(' ')})`)
  return true
}

// ---------------------------------------------------------------- the runtime

export interface OciRuntime {
  /** lite-oci, crun, runc or the basename of a path */
  name: string
  /** what the engines are given (the wrapper with LITE_OCI_TEST_LOG=1) */
  path: string
  /** the runtime itself */
  real: string
}

/** Whether this binary speaks runc's command line (its --help names create and delete). */
function speaksOci(path: string): boolean {
  const r = run([path, '--help'], { timeout: 20_000 })
  const text = r.stdout + r.stderr
  return r.code === 0 && /\bcreate\b/.test(text) && /\bdelete\b/.test(text)
}

/** Makes build/oci/lite-oci -> ../../dist/lite (replaced when it is anything else). */
export function liteOciLink(): string {
  const link = join(OCI_DIR, 'lite-oci')
  mkdirSync(OCI_DIR, { recursive: true })
  let ok = false
  try {
    ok = lstatSync(link).isSymbolicLink() && readlinkSync(link) === '../../dist/lite'
  } catch {}
  if (!ok) {
    rmSync(link, { force: true })
    symlinkSync('../../dist/lite', link)
  }
  return link
}

/** Moves hugetlb from cgroup2 to v1 for crun, given back in the root teardown. */
function hugetlbForCrun(t: Test): void {
  const lib = join(REPO, 'bench/lib/hugetlb.sh')
  const r = run(['bash', '-c', `source ${shQuote(lib)} && hugetlb_to_v1 && echo "moved=$hugetlb_moved"`], { timeout: 30_000 })
  if (!/moved=1/.test(r.stdout)) return
  t.comment('hugetlb moved from cgroup2 to v1 for crun (restored at the end of the file)')
  t.teardown(() => {
    // The engines' cgroups are gone by now (their teardowns were registered later and
    // ran first), so the v1 hierarchy can be released.
    run(['bash', '-c', `source ${shQuote(lib)} && hugetlb_moved=1 && hugetlb_restore`], { timeout: 60_000 })
  })
}

function loggingWrapper(real: string, name: string): string {
  const dir = join(OCI_DIR, 'log')
  mkdirSync(dir, { recursive: true })
  const wrapper = join(dir, name)
  const log = join(OCI_DIR, 'calls.log')
  writeFileSync(
    wrapper,
    `#!/bin/sh\n# Appends each call to ${log}, then execs the runtime (test/support/engines.ts).\n` +
      `echo "$(date +%s.%N) ${name} $* | cwd=$PWD | parent=$(cat /proc/$PPID/comm 2>/dev/null)" >> ${shQuote(log)}\n` +
      `exec ${shQuote(real)} "$@"\n`,
  )
  chmodSync(wrapper, 0o755)
  return wrapper
}

/**
 * The runtime under test (LITE_OCI_TEST_RUNTIME), or undefined (with the reason as a
 * comment; a failure in CI) when lite-oci does not speak the OCI command line yet.
 */
export function ociRuntime(t: Test): OciRuntime | undefined {
  const want = process.env.LITE_OCI_TEST_RUNTIME || 'lite-oci'
  let real: string
  if (want === 'lite-oci') {
    real = liteOciLink()
    if (!existsSync(real)) {
      t.comment('dist/lite is missing (scripts/build)')
      if (process.env.CI) t.fail('CI: dist/lite must be built')
      return undefined
    }
    if (!speaksOci(real)) {
      t.comment('build/oci/lite-oci (dist/lite invoked as lite-oci) does not speak the OCI command line yet: its --help names no create/delete')
      if (process.env.CI) t.fail('CI: dist/lite invoked as lite-oci must be an OCI runtime')
      return undefined
    }
  } else if (want.includes('/')) {
    real = want
  } else {
    real = findTool(want) ?? want
  }
  if (!existsSync(real)) {
    t.fail(`LITE_OCI_TEST_RUNTIME=${want}: ${real} does not exist`)
    return undefined
  }
  const name = want.includes('/') ? basename(want) : want
  if (basename(realpathSync(real)) === 'crun') hugetlbForCrun(t)
  const path = process.env.LITE_OCI_TEST_LOG ? loggingWrapper(real, name) : real
  t.comment(`OCI runtime: ${name} (${path})`)
  return { name, path, real }
}

// ---------------------------------------------------------------- the host around the engines

/** Every live process (no zombies): pid, cmdline, cgroup lines. */
function processes(): { pid: number; cmd: string; cgroup: string }[] {
  const out: { pid: number; cmd: string; cgroup: string }[] = []
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue
    try {
      if (/^State:\s+Z/m.test(readFileSync(`/proc/${p}/status`, 'utf8'))) continue
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()
      out.push({ pid: Number(p), cmd, cgroup: readFileSync(`/proc/${p}/cgroup`, 'utf8') })
    } catch {}
  }
  return out
}

/** SIGKILL by pid; a process that is already gone is fine. */
function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {}
}

/** Live processes whose cgroup path or command line contains `needle` (a container id, a dir). */
export function processesWith(needle: string): string[] {
  return processes()
    .filter((p) => p.cgroup.includes(needle) || p.cmd.includes(needle))
    .map((p) => `${p.pid} ${p.cmd.slice(0, 200)}`)
}

/** The cgroup hierarchies' mount points (v1 controllers and cgroup2). */
function cgroupRoots(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => {
      const dash = f.indexOf('-')
      return dash > 0 && (f[dash + 1] === 'cgroup' || f[dash + 1] === 'cgroup2')
    })
    .map((f) => f[4]!)
}

/** Every cgroup dir, in any hierarchy, below a top-level dir named `parent`. */
export function cgroupsUnder(parent: string): string[] {
  const out: string[] = []
  const walk = (dir: string, depth: number) => {
    out.push(dir)
    if (depth > 4) return
    try {
      for (const d of readdirSync(dir, { withFileTypes: true })) if (d.isDirectory()) walk(join(dir, d.name), depth + 1)
    } catch {}
  }
  for (const root of cgroupRoots()) if (existsSync(join(root, parent))) walk(join(root, parent), 0)
  return out
}

/** Cgroup dirs whose name contains `id` (a container's own cgroup, in any hierarchy). */
export function cgroupsNamed(parent: string, id: string): string[] {
  return cgroupsUnder(parent).filter((d) => basename(d).includes(id))
}

/** rmdir, deepest first, every cgroup dir below `parent` that is not in `keep`. */
function removeCgroups(parent: string, keep: Set<string>): void {
  for (const d of cgroupsUnder(parent).sort((a, b) => b.length - a.length)) {
    if (keep.has(d)) continue
    try {
      rmdirCgroup(d)
    } catch {}
  }
}

function rmdirCgroup(dir: string): void {
  // A cgroup dir holds only the kernel's files: rmdir, not rm -r.
  spawnSync('rmdir', [dir])
}

/** Unmounts everything mounted at or below `dir`, deepest first (lazily when busy). */
export function unmountUnder(dir: string): void {
  for (let pass = 0; pass < 3; pass++) {
    const targets = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4])
      .filter((m): m is string => !!m && (m === dir || m.startsWith(dir + '/')))
      .map((m) => m.replace(/\\040/g, ' '))
      .sort((a, b) => b.length - a.length)
    if (!targets.length) return
    for (const m of targets) if (spawnSync('umount', [m]).status !== 0) spawnSync('umount', ['-l', m])
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

/** Host links and nf_tables tables: an engine must not touch the host's network. */
export function hostNetwork(): string[] {
  const links = run(['ip', '-o', 'link', 'show'], { timeout: 10_000 })
    .stdout.split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0])
    .filter((l): l is string => !!l)
    .map((l) => `link ${l}`)
  const tables = findTool('nft')
    ? run([findTool('nft')!, 'list', 'tables'], { timeout: 10_000 })
        .stdout.split('\n')
        .filter(Boolean)
        .map((l) => l.trim())
    : []
  return [...links, ...tables, ...listDir('/run/netns').map((n) => `netns ${n}`)]
}

/**
 * The runtimes' state dirs: podman gives no --root (lite-oci: /run/lite-oci, crun:
 * /run/crun, runc: /run/runc), containerd's shim gives --runc-root DIR/NAMESPACE.
 * A deleted container must leave no entry there.
 */
export function runtimeState(): string[] {
  const roots = ['/run/lite-oci', '/run/crun', '/run/runc', join(OCI_DIR, 'containerd/runc', CTR_NAMESPACE)]
  return roots.flatMap((r) => listDir(r).map((e) => join(r, e)))
}

/**
 * A process of these tests' engines: its root is a container rootfs under build/oci, it
 * runs from build/oci (conmon, shims, lite-oci), or it is in their cgroups.
 */
function ours(pid: number): boolean {
  try {
    if (readlinkSync(`/proc/${pid}/root`).startsWith(OCI_DIR)) return true
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(OCI_DIR)) return true
    const cg = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    return cg.includes('/libpod_parent/') || cg.includes(`:/${CTR_NAMESPACE}/`)
  } catch {
    return false
  }
}

export interface EngineSnapshot {
  host: HostSnapshot
  network: Set<string>
  state: Set<string>
}

export function engineSnapshot(): EngineSnapshot {
  return { host: snapshotHost(), network: new Set(hostNetwork()), state: new Set(runtimeState()) }
}

/**
 * Asserts, polling within a bound, that nothing appeared since `before`: mounts, loop
 * devices, lite state and cgroups (integration.ts), the engines' processes (containers,
 * conmon, shims, lite-oci), host links, nf_tables tables or /run/netns entries, and the
 * runtime's state entries.
 */
export async function assertNoEngineLeaks(t: Test, before: EngineSnapshot, what = 'nothing left on the host'): Promise<void> {
  let leaks: Record<string, string[]> = {}
  await eventually(() => {
    leaks = leaksSince(before.host)
    // Only the engines' own: other tests on this machine may run containers meanwhile.
    const pids = (leaks.pids ?? []).filter((p) => ours(Number(p.split(' ')[0])))
    if (pids.length) leaks.pids = pids
    else delete leaks.pids
    // The overlay driver's private bind mount of its home stays while podman's storage exists.
    const mounts = (leaks.mounts ?? []).filter((m) => !m.startsWith(join(OCI_DIR, 'podman/root/overlay ')))
    if (mounts.length) leaks.mounts = mounts
    else delete leaks.mounts
    const net = hostNetwork().filter((n) => !before.network.has(n))
    if (net.length) leaks.network = net
    const state = runtimeState().filter((e) => !before.state.has(e))
    if (state.length) leaks.runtimeState = state
    return Object.keys(leaks).length === 0
  }, 5000)
  t.same(leaks, {}, what)
}

// ---------------------------------------------------------------- the image

/**
 * build/oci/busybox.tar (the rootfs as one tar, for `podman import`) and
 * build/oci/busybox-docker.tar (a docker archive of it, for `ctr image import`):
 * manifest.json, the image config, and the rootfs as its one layer.
 */
export function busyboxArchives(): { tar: string; docker: string } {
  mkdirSync(OCI_DIR, { recursive: true })
  const tar = join(OCI_DIR, 'busybox.tar')
  const docker = join(OCI_DIR, 'busybox-docker.tar')
  const stage = join(OCI_DIR, 'busybox-docker')
  // Fixed owners and times, so that the archives (and the image ids) are the same each time.
  const r = run(['tar', '-C', BUSYBOX, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-cf', tar, '.'])
  if (r.code !== 0) throw new Error(`tar of ${BUSYBOX}: ${show(r)}`)
  rmSync(stage, { recursive: true, force: true })
  mkdirSync(stage)
  const layer = readFileSync(tar)
  writeFileSync(join(stage, 'layer.tar'), layer)
  const diffId = `sha256:${createHash('sha256').update(layer).digest('hex')}`
  const config = JSON.stringify({
    architecture: process.arch === 'arm64' ? 'arm64' : 'amd64',
    os: 'linux',
    created: '1970-01-01T00:00:00Z',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: [diffId] },
  })
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`
  writeFileSync(join(stage, configName), config)
  writeFileSync(join(stage, 'manifest.json'), JSON.stringify([{ Config: configName, RepoTags: [IMAGE], Layers: ['layer.tar'] }]))
  const d = run(['tar', '-C', stage, '-cf', docker, 'manifest.json', configName, 'layer.tar'])
  if (d.code !== 0) throw new Error(`docker archive: ${show(d)}`)
  rmSync(stage, { recursive: true, force: true })
  return { tar, docker }
}

// ---------------------------------------------------------------- podman

export interface Podman {
  /** podman GLOBAL_ARGS ...args, bounded (60 s unless told) */
  (args: string[], opts?: RunOpts): Result
  /** the same command line as one shell string (for `script -c`) */
  line: (args: string[]) => string
  env: NodeJS.ProcessEnv
  base: string
  runtime: OciRuntime
}

/**
 * Podman with storage, runroot, tmpdir and configs of its own under build/oci/podman,
 * the busybox image imported, the OCI runtime given with --runtime. Its teardown
 * removes every container, unmounts and deletes the dir, kills any conmon left, and
 * removes the cgroups that it created (libpod_parent).
 */
export async function startPodman(t: Test, runtime: OciRuntime): Promise<Podman | undefined> {
  const base = join(OCI_DIR, 'podman')
  const conf = join(base, 'conf')
  const stale = existsSync(base)
  const netnsBefore = new Set(listDir('/run/netns'))

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CONTAINERS_CONF: join(conf, 'containers.conf'),
    CONTAINERS_REGISTRIES_CONF: join(conf, 'registries.conf'),
    CONTAINERS_STORAGE_CONF: join(conf, 'storage.conf'),
    CONTAINERS_POLICY_JSON: join(conf, 'policy.json'),
  }
  const globalArgs = [
    '--root', join(base, 'root'),
    '--runroot', join(base, 'run'),
    '--tmpdir', join(base, 'tmp'),
    '--storage-driver', 'overlay',
    '--cgroup-manager', 'cgroupfs',
    '--events-backend', 'file',
    '--log-level', 'warning',
    '--runtime', runtime.path,
  ]
  const podman = ((args: string[], opts: RunOpts = {}) => run(['podman', ...globalArgs, ...args], { ...opts, env: opts.env ?? env })) as Podman
  podman.line = (args) => ['podman', ...globalArgs, ...args].map(shQuote).join(' ')
  podman.env = env
  podman.base = base
  podman.runtime = runtime

  const clean = () => {
    if (existsSync(join(base, 'root'))) podman(['rm', '--all', '--force', '--time', '0'], { timeout: 60_000 })
    // conmon outlives a podman that was killed: end those of this dir, by pid.
    for (const p of processes()) if (p.cmd.startsWith('/usr/bin/conmon ') && p.cmd.includes(base)) kill(p.pid)
    // And a container whose conmon is gone (its cgroup is podman's, libpod-ID).
    for (const p of processes()) if (/\/libpod_parent\/libpod-[0-9a-f]{64}/.test(p.cgroup) && !p.cmd.startsWith('/usr/bin/conmon ')) kill(p.pid)
    unmountUnder(base)
    rmSync(base, { recursive: true, force: true })
    // Network namespaces that podman made (none with netns = "none", but a bridge run would).
    for (const n of listDir('/run/netns')) {
      if (netnsBefore.has(n) || !n.startsWith('netns-')) continue
      spawnSync('umount', ['-l', join('/run/netns', n)])
      try {
        unlinkSync(join('/run/netns', n))
      } catch {}
    }
  }
  // A previous run that was killed may have left its dir: start from nothing, its
  // empty cgroups included (rmdir fails on a cgroup in use: another podman's stay).
  clean()
  if (stale) removeCgroups('libpod_parent', new Set())
  const cgroupsBefore = new Set(cgroupsUnder('libpod_parent'))
  t.teardown(async () => {
    clean()
    await eventually(() => processesWith('/libpod_parent/libpod-').length === 0, 5000)
    removeCgroups('libpod_parent', cgroupsBefore)
  })

  mkdirSync(conf, { recursive: true })
  mkdirSync(join(base, 'netconf'), { recursive: true })
  // The sandbox's hard rlimits are below podman's defaults (root lacks CAP_SYS_RESOURCE here):
  // explicit ones that every host allows. netns = "none": a private network namespace
  // with loopback only, no CNI, no firewall.
  writeFileSync(
    join(conf, 'containers.conf'),
    [
      '[containers]',
      'netns = "none"',
      'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]',
      '[engine]',
      'events_logger = "file"',
      'cgroup_manager = "cgroupfs"',
      `tmp_dir = "${join(base, 'tmp')}"`,
      `static_dir = "${join(base, 'root/libpod')}"`,
      `volume_path = "${join(base, 'root/volumes')}"`,
      '[network]',
      `network_config_dir = "${join(base, 'netconf')}"`,
      '',
    ].join('\n'),
  )
  writeFileSync(join(conf, 'registries.conf'), 'unqualified-search-registries = []\n')
  writeFileSync(join(conf, 'storage.conf'), `[storage]\ndriver = "overlay"\ngraphroot = "${join(base, 'root')}"\nrunroot = "${join(base, 'run')}"\n`)
  writeFileSync(join(conf, 'policy.json'), JSON.stringify({ default: [{ type: 'reject' }], transports: { docker: {} } }))

  const { tar } = busyboxArchives()
  const imp = podman(['import', '--quiet', tar, IMAGE], { timeout: 120_000 })
  if (imp.code !== 0) {
    t.fail(`podman import of the busybox rootfs: ${show(imp)}`)
    return undefined
  }
  return podman
}

/** Flags for every podman run of the tests: never pull, never a network. */
export const PODMAN_RUN = ['--pull', 'never', '--network', 'none']

// ---------------------------------------------------------------- containerd

export interface Containerd {
  /** ctr -a SOCK -n lite-test ...args, bounded (60 s unless told) */
  ctr: (args: string[], opts?: RunOpts) => Result
  /** `ctr run` flags that select the runtime: --runc-binary PATH --runc-root DIR */
  runtimeArgs: string[]
  sock: string
  base: string
  log: () => string
  runtime: OciRuntime
}

/**
 * A containerd of its own (config, root, state and socket under build/oci/containerd;
 * the CRI plugin off), the busybox image imported into the lite-test namespace.
 * Its teardown removes the namespace's tasks and containers, stops containerd, kills
 * its shims and their containers by pid, unmounts and deletes the dir, and removes
 * what it made in /run/containerd and the /lite-test cgroups.
 */
export async function startContainerd(t: Test, runtime: OciRuntime): Promise<Containerd | undefined> {
  const base = join(OCI_DIR, 'containerd')
  // The socket path must fit in sun_path (108 bytes, and ".ttrpc" is appended).
  let sockDir = base
  if (join(sockDir, 'c.sock.ttrpc').length > 100) sockDir = `/run/lite-oci-test-ctd`
  const sock = join(sockDir, 'c.sock')
  const runcRoot = join(base, 'runc')
  const runBefore: Record<string, Set<string>> = {}
  for (const d of ['/run/containerd', '/run/containerd/s', '/run/containerd/fifo', '/run/containerd/runc']) runBefore[d] = new Set(existsSync(d) ? listDir(d) : ['<absent>'])

  const config = join(base, 'config.toml')
  const ctr = (args: string[], opts: RunOpts = {}) => run(['ctr', '--address', sock, '--namespace', CTR_NAMESPACE, ...args], opts)
  const ourShim = (cmd: string) => cmd.includes('containerd-shim') && cmd.includes(`-address ${sock}`)

  const clean = async (daemon?: ReturnType<typeof spawn>) => {
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
      const tasks = ctr(['task', 'ls', '--quiet'], { timeout: 20_000 })
      for (const id of tasks.stdout.split('\n').filter(Boolean)) {
        ctr(['task', 'kill', '--signal', 'SIGKILL', id], { timeout: 20_000 })
        ctr(['task', 'delete', '--force', id], { timeout: 30_000 })
      }
      const cs = ctr(['container', 'ls', '--quiet'], { timeout: 20_000 })
      for (const id of cs.stdout.split('\n').filter(Boolean)) ctr(['container', 'delete', id], { timeout: 20_000 })
      daemon.kill('SIGTERM')
      await eventually(() => daemon.exitCode !== null || daemon.signalCode !== null, 15_000)
      if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL')
    }
    // A daemon of a killed run, shims of this containerd (they outlive it), then any
    // container left in its cgroups.
    for (const p of processes()) if (p.cmd === `containerd --config ${config}` || ourShim(p.cmd)) kill(p.pid)
    for (const p of processes()) if (p.cgroup.split('\n').some((l) => l.split(':')[2]?.startsWith(`/${CTR_NAMESPACE}/`))) kill(p.pid)
    await eventually(() => processes().every((p) => !ourShim(p.cmd) && !p.cgroup.includes(`:/${CTR_NAMESPACE}/`)), 5000)
    unmountUnder(base)
    rmSync(base, { recursive: true, force: true })
    if (sockDir !== base) rmSync(sockDir, { recursive: true, force: true })
    // The namespace's cgroups (/lite-test/ID, made by the runtime) are these tests' own.
    removeCgroups(CTR_NAMESPACE, new Set())
    // /run/containerd: the shims' sockets (s/) and ctr's fifos (fifo/) are made there
    // whatever the config says. Removed: what appeared since the start, a socket that no
    // live process holds (/proc/net/unix), a fifo dir of one of these tests' ids, and then
    // each of these dirs that is empty (the shim makes them again when it needs them).
    const bound = new Set(readFileSync('/proc/net/unix', 'utf8').split('\n').map((l) => l.trim().split(/\s+/)[7]).filter(Boolean))
    for (const d of ['/run/containerd/s', '/run/containerd/fifo', '/run/containerd/runc']) {
      for (const e of listDir(d)) {
        const path = join(d, e)
        const mine = !runBefore[d]!.has(e) || (d.endsWith('/s') && !bound.has(path)) || (d.endsWith('/fifo') && listDir(path).some((f) => f.startsWith('lite-oci-')))
        if (mine) rmSync(path, { recursive: true, force: true })
      }
      spawnSync('rmdir', [d])
    }
    spawnSync('rmdir', ['/run/containerd'])
  }

  // A previous run that was killed may have left its dir and shims: start from nothing.
  await clean()
  mkdirSync(base, { recursive: true })
  mkdirSync(sockDir, { recursive: true })
  const q = (s: string) => JSON.stringify(s)
  writeFileSync(
    config,
    [
      'version = 2',
      `root = ${q(join(base, 'root'))}`,
      `state = ${q(join(base, 'state'))}`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp"]',
      '[grpc]',
      `  address = ${q(sock)}`,
      '[ttrpc]',
      `  address = ${q(sock + '.ttrpc')}`,
      '[debug]',
      '  address = ""',
      '[metrics]',
      '  address = ""',
      '',
    ].join('\n'),
  )
  const daemon = spawn('containerd', ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'], cwd: base })
  let log = ''
  daemon.stderr!.on('data', (d) => (log = (log + d).slice(-20_000)))
  t.teardown(() => clean(daemon))

  const up = await eventually(() => daemon.exitCode === null && existsSync(sock) && ctr(['version'], { timeout: 10_000 }).code === 0, 30_000)
  if (!up) {
    t.fail(`containerd did not answer on ${sock} within 30 s: ${log.split('\n').filter(Boolean).slice(-3).join(' | ')}`)
    return undefined
  }
  const { docker } = busyboxArchives()
  const imp = ctr(['image', 'import', docker], { timeout: 120_000 })
  if (imp.code !== 0) {
    t.fail(`ctr image import of the busybox archive: ${show(imp)}`)
    return undefined
  }
  return { ctr, runtimeArgs: ['--runc-binary', runtime.path, '--runc-root', runcRoot], sock, base, log: () => log, runtime }
}

/**
 * Runs a shell command line under script(1), which gives it a pty as its stdin, stdout
 * and stderr (CI has no terminal), and returns script's exit code (-e: the command's).
 * script's own stdin stays open until the command ends: at its end script would pass an
 * EOF on to the pty, which podman forwards and the pty echoes as "^@".
 */
export function runInPty(line: string, env: NodeJS.ProcessEnv, timeout = 60_000): Promise<Result> {
  const child = spawn('script', ['-qec', line, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env, cwd: REPO })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => (stdout += d))
  child.stderr!.on('data', (d) => (stderr += d))
  child.stdin!.on('error', () => {})
  const timer = setTimeout(() => child.kill('SIGKILL'), timeout)
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      child.stdin!.destroy()
      resolve({ code, signal, stdout, stderr })
    }),
  )
}

/** Polls `check` (bounded); a small helper for the engine tests. */
export async function until<T>(check: () => T | undefined | false, ms = 10_000, step = 100): Promise<T | undefined> {
  const end = Date.now() + ms
  for (let i = 0; i < Math.ceil(ms / step) + 1; i++) {
    const v = check()
    if (v) return v
    if (Date.now() > end) break
    await sleep(step)
  }
  return undefined
}

/** The tail of build/oci/calls.log (LITE_OCI_TEST_LOG=1), for a failing test's comment. */
export function callsLogTail(lines = 20): string {
  const f = join(OCI_DIR, 'calls.log')
  if (!existsSync(f)) return ''
  return readFileSync(f, 'utf8').split('\n').filter(Boolean).slice(-lines).join('\n')
}

