// ContainerConfig + host facts -> LaunchPlan: every path resolved, the mount table in
// the order the child runs it, PATH candidates, masks. Pure (no system calls), so that
// tap tests it. Each op keeps the config line that asked for it, so that a failure
// the child reports as {step, index, errno} is told against that line.

import { ownsNetns } from '../net/values.ts'
import { posix } from 'node:path'
import type { ConfigError, ContainerConfig, Origin } from '../config/types.ts'
import type { FsOp, NativePlan } from '../native/index.ts'
import { type EtcFile, type HostFacts, etcFiles } from './etc-files.ts'
import { execCandidates } from './exec-path.ts'
import { cgroupMountOps } from './cgroup-mounts.ts'
import { DEV_LINKS, DEV_NODES } from './dev-nodes.ts'
import { fsOp as op } from './fs-op.ts'
import { CAP, MS, RLIMIT, S_IFBLK, S_IFCHR } from './linux.ts'
import { sysctlFile } from './sysctl.ts'
import { isBind, mountFlags } from './mount-options.ts'
import { kernelRelease } from '../host/uname.ts'
import { DEFAULT_PROFILE } from '../seccomp/default.ts'
import { resolveProfile, seccompArch } from '../seccomp/profile.ts'
import { type CgroupWrite, resourceWrites } from '../cgroup/resources.ts'
import type { CgroupLayout } from '../cgroup/detect.ts'

export interface OpInfo {
  /** what the op is for, in words: "mount /dev/i2c-1 on /dev/i2c-1 (bind)" */
  what: string
  /** "[mount] entry" etc.; absent for lite's own ops */
  key?: string
  origin?: Origin
}

export interface LaunchPlan {
  native: NativePlan
  /** parallel to native.ops */
  ops: OpInfo[]
  /** files lite writes into the state dir before clone (bind-mounted into /etc) */
  etcFiles: { hostPath: string; content: string }[]
  /** host directories to create before clone: mount points, a persistent upper */
  dirs: string[]
  stateDir: string
  /** the ini front end's validated config; absent for an OCI bundle (oci/plan.ts) */
  config?: ContainerConfig
  /** [resources] and raw cgroup keys, resolved for this host's hierarchies */
  cgroupWrites: CgroupWrite[]
  /** OCI: namespaces to join by path; the caller opens them into native.joinNs */
  joinNamespaces?: { kind: string; path: string; at: string }[]
  /** OCI: the device cgroup's allow rules in v1 syntax ("c 1:3 rwm"); "all": no device confinement */
  deviceRules?: string[] | 'all'
}

export interface PlanOptions {
  stateDir: string
  tty: boolean
  interactive: boolean
  /** whether a host path exists (bind sources); injectable for tests */
  exists: (path: string) => boolean
  /** the arch the seccomp filter is resolved for (process.arch); injectable for tests */
  arch?: string
  /** the kernel release, for the profile's minKernel rules (uname -r) */
  kernel?: string
  /** lite runs as a user (rootless): always a user namespace, nothing id-mapped, no
   * loop device, cgroups only in a delegated v2 subtree, network none or host */
  rootless?: boolean
}

/** runc's masked paths: files get /dev/null bound over them, directories an empty read-only tmpfs. */
export const MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
]
/** runc's read-only paths: bound onto themselves, then remounted read-only. */
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']

/**
 * Whether lite can confine device access on this host: a v1 devices hierarchy, or a
 * cgroup2 hierarchy for the BPF device program. Without either, nothing would stop a
 * container from making and opening a host disk's node, so CAP_MKNOD is dropped.
 */
export function hasDeviceControl(layout: CgroupLayout | undefined): boolean {
  if (!layout || layout.mode === 'none') return false
  return layout.mode !== 'v1' || layout.controllers.some((c) => c.controller === 'devices')
}

// overlayfs splits its options on ',' and ':'; lite does not escape them.
const OVERLAY_UNSAFE = /[,:\n]/

/** The rootless run's ceilings, each told against the line that asks for more. */
function rootlessRules(cfg: ContainerConfig, host: HostFacts, at: (key: string) => Origin | undefined, fail: (origin: Origin | undefined, message: string) => void): void {
  const uid = process.geteuid?.() ?? 0
  if (cfg.rootfs.kind !== 'dir') {
    fail(at('rootfs.path'), `[rootfs] ${cfg.rootfs.image ? 'image' : 'path'}: a ${cfg.rootfs.kind} image needs a loop device, which lite as a user (uid ${uid}) can't have; use a directory rootfs, or run as root`)
  }
  if (cfg.net.type !== 'none' && cfg.net.type !== 'host') {
    fail(at('net.type'), `[net] type: ${cfg.net.type} needs root (lite as a user has none and host)`)
  }
  // The ids ([user] map, [exec] user and groups) are checked at each run, against the
  // user's subordinate ranges then (userns/run-map.ts).
  // No cgroups of its own (no delegated v2 subtree): a limit would be silently not there.
  if (host.cgroups) return
  for (const [key, origin] of Object.entries(cfg.origins)) {
    const [section, name] = key.split('.')
    if ((section === 'resources' || section === 'cgroup' || section === 'cgroup2') && name !== 'parent' && origin) {
      fail(origin, `[${section}] ${name?.replace(/\[\d+\]$/, '')}: lite as a user (uid ${uid}) has no cgroup of its own: ${host.noCgroupsWhy ?? 'no cgroup v2 subtree is delegated to it'}; so limits can't be set: remove it, delegate a cgroup v2 subtree, or run as root`)
    }
  }
}

export function buildPlan(cfg: ContainerConfig, host: HostFacts, opts: PlanOptions): { plan?: LaunchPlan; errors: ConfigError[] } {
  const errors: ConfigError[] = []
  const fail = (origin: Origin | undefined, message: string) =>
    errors.push({ file: origin?.file ?? cfg.file, line: origin?.line ?? 0, message })
  // with [rootfs] image, the rootfs's ops are told against that line
  const at = (key: string): Origin | undefined => cfg.origins[key === 'rootfs.path' && cfg.rootfs.image ? 'rootfs.image' : key]
  const rootfsKey = cfg.rootfs.image ? '[rootfs] image' : '[rootfs] path'

  const state = opts.stateDir
  const root = posix.join(state, 'root')
  const ops: FsOp[] = []
  const info: OpInfo[] = []
  const dirs = [root]
  const add = (o: FsOp, i: OpInfo) => {
    ops.push(o)
    info.push(i)
  }
  const writable = !cfg.rootfs.readonly
  // [user] map: a user namespace of the container's own. The lower layer is then an
  // id-mapped mount that lite makes and the child moves into place (the image keeps its
  // owners on disk), and nothing in the set-up may need host privileges: /dev nodes are
  // binds of the host's, /sys without a netns of its own is a bind, and v1 cgroups are
  // the container's own directories bound in.
  // Rootless, the user namespace is always there, and nothing can be id-mapped (that
  // takes CAP_SYS_ADMIN on the host): the user's own directory is bound as it is.
  const rootless = !!opts.rootless
  const userNs = cfg.user.map !== 'none' || rootless
  const idmap = userNs && !rootless ? { idmap: true } : {}
  if (rootless) rootlessRules(cfg, host, at, fail)

  // --- rootfs: the read-only lower, and the overlay with its upper ---
  const rootfsInfo: OpInfo = { what: `rootfs ${cfg.rootfs.path}`, key: rootfsKey, origin: at('rootfs.path') }
  const image = cfg.rootfs.kind !== 'dir'
  const lowerMount = (target: string) =>
    image
      ? add(op({ kind: 'mount', source: '@loop', target, fstype: cfg.rootfs.kind, flags: MS.RDONLY | MS.NODEV, ...idmap }), rootfsInfo)
      : add(op({ kind: 'mount', source: cfg.rootfs.path, target, flags: MS.BIND | MS.REC, ...idmap }), rootfsInfo)
  if (cfg.rootfs.readonly) {
    lowerMount(root)
    if (!image) add(op({ kind: 'mount', target: root, flags: MS.REMOUNT | MS.BIND | MS.RDONLY }), rootfsInfo)
  } else {
    let upper: string
    let work: string
    let lower = cfg.rootfs.path
    if (cfg.rootfs.upper === 'tmpfs') {
      const layers = posix.join(state, 'layers')
      dirs.push(layers)
      const sized = at('rootfs.size')
      const upperInfo: OpInfo = { what: `tmpfs upper layer (size ${cfg.rootfs.size})`, key: sized ? '[rootfs] size' : rootfsKey, origin: sized ?? at('rootfs.path') }
      add(op({ kind: 'mount', source: 'tmpfs', target: layers, fstype: 'tmpfs', data: `size=${cfg.rootfs.size},mode=755` }), upperInfo)
      upper = posix.join(layers, 'upper')
      work = posix.join(layers, 'work')
      add(op({ kind: 'mkdir', target: upper, mode: 0o755 }), upperInfo)
      add(op({ kind: 'mkdir', target: work, mode: 0o700 }), upperInfo)
      // An image needs its own mount point; so does an id-mapped directory.
      if (image || idmap.idmap) {
        lower = posix.join(layers, 'lower')
        add(op({ kind: 'mkdir', target: lower, mode: 0o755 }), upperInfo)
        lowerMount(lower)
      }
    } else {
      upper = posix.join(cfg.rootfs.upper, 'root')
      work = posix.join(cfg.rootfs.upper, 'work')
      dirs.push(upper, work)
      if (image || idmap.idmap) {
        lower = posix.join(state, 'lower')
        dirs.push(lower)
        lowerMount(lower)
      }
    }
    for (const [what, p, key] of [['rootfs', lower, 'rootfs.path'], ['upper', upper, 'rootfs.upper']] as const) {
      if (OVERLAY_UNSAFE.test(p)) fail(at(key), `[rootfs] ${what} path ${JSON.stringify(p)} has a ',' or ':', which overlayfs cannot take`)
    }
    add(
      op({ kind: 'mount', source: 'overlay', target: root, fstype: 'overlay', data: `lowerdir=${lower},upperdir=${upper},workdir=${work}` }),
      { what: 'overlay of the rootfs', key: rootfsKey, origin: at('rootfs.path') },
    )
  }

  // --- /proc, /sys, a minimal /dev (before [mount], so a passed device is not hidden) ---
  const apiFs = (what: string): OpInfo => ({ what, key: rootfsKey, origin: at('rootfs.path') })
  const create = writable ? 'dir' : undefined
  const newNs = new Set(['mount', 'pid'])
  for (const ns of ['uts', 'ipc', 'cgroup'] as const) if (!cfg.namespaces.keep.includes(ns)) newNs.add(ns)
  if (ownsNetns(cfg.net.type)) newNs.add('net')
  if (userNs) newNs.add('user')

  add(op({ resolve: 'strict', kind: 'mount', source: 'proc', target: '/proc', fstype: 'proc', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, create }), apiFs('mount /proc'))
  if (userNs && !newNs.has('net')) {
    // sysfs can be mounted only by the owner of the network namespace: the host's, bound.
    add(op({ resolve: 'strict', kind: 'mount', source: '/sys', target: '/sys', flags: MS.BIND | MS.REC, create }), apiFs('mount /sys (bind, read-only)'))
    add(op({ resolve: 'strict', kind: 'mount', target: '/sys', flags: MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC }), apiFs('mount /sys (bind, read-only)'))
  } else {
    add(op({ resolve: 'strict', kind: 'mount', source: 'sysfs', target: '/sys', fstype: 'sysfs', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RDONLY, create }), apiFs('mount /sys (read-only)'))
  }
  // The container's own cgroups, read-only: the cgroup namespace (unshared by the
  // child before any mount) makes the container's cgroup the root of each hierarchy,
  // so a JVM or Go runtime reads its own limits there.
  const layout = host.cgroups?.layout
  if (layout && newNs.has('cgroup')) {
    const what = apiFs('mount /sys/fs/cgroup (read-only)')
    const flags = MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RDONLY
    // v1 hierarchies can't be mounted inside a user namespace: its own directories, bound.
    const ownCgroup = userNs && layout.mode !== 'v2' ? posix.join(cfg.cgroup.parent, cfg.container.name) : undefined
    for (const o of cgroupMountOps(layout, { target: '/sys/fs/cgroup', flags, resolve: 'strict', ownCgroup })) add(o, what)
  }
  add(op({ resolve: 'strict', kind: 'mount', source: 'tmpfs', target: '/dev', fstype: 'tmpfs', flags: MS.NOSUID | MS.STRICTATIME, data: 'mode=755,size=65536k', create }), apiFs('mount /dev'))
  // mknod is refused inside a user namespace: there each node is the host's, bound.
  const node = (target: string, mode: number, major: number, minor: number): FsOp =>
    userNs
      ? op({ resolve: 'strict', kind: 'mount', source: target, target, flags: MS.BIND | MS.NOSUID | MS.NOEXEC, create: 'file' })
      : op({ resolve: 'strict', kind: 'mknod', target, mode, major, minor })
  for (const [name, major, minor] of DEV_NODES) {
    add(node(`/dev/${name}`, S_IFCHR | 0o666, major, minor), apiFs(`create /dev/${name}`))
  }
  // [devices] allow[]: the host's node at the same path, with its numbers and mode.
  cfg.devices.forEach((d, i) => {
    const where: OpInfo = { what: `create ${d.path} (${d.type} ${d.major}:${d.minor})`, key: '[devices] allow', origin: d.origin ?? at(`devices.allow[${i}]`) }
    const parts = posix.dirname(d.path).split('/').slice(2)
    for (let k = 1; k <= parts.length; k++) add(op({ resolve: 'strict', kind: 'mkdir', target: posix.join('/dev', ...parts.slice(0, k)), mode: 0o755 }), where)
    add(node(d.path, (d.type === 'c' ? S_IFCHR : S_IFBLK) | d.mode, d.major, d.minor), where)
  })
  add(op({ resolve: 'strict', kind: 'mkdir', target: '/dev/pts', mode: 0o755 }), apiFs('create /dev/pts'))
  // The tty group (5) owns the ptys, where it exists: rootless maps only root.
  const ttyGroup = rootless ? '' : ',gid=5'
  add(op({ resolve: 'strict', kind: 'mount', source: 'devpts', target: '/dev/pts', fstype: 'devpts', flags: MS.NOSUID | MS.NOEXEC, data: `newinstance,ptmxmode=0666,mode=0620${ttyGroup}` }), apiFs('mount /dev/pts'))
  add(op({ resolve: 'strict', kind: 'symlink', source: 'pts/ptmx', target: '/dev/ptmx' }), apiFs('link /dev/ptmx'))
  add(op({ resolve: 'strict', kind: 'mkdir', target: '/dev/shm', mode: 0o1777 }), apiFs('create /dev/shm'))
  add(op({ resolve: 'strict', kind: 'mount', source: 'shm', target: '/dev/shm', fstype: 'tmpfs', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, data: 'mode=1777,size=65536k' }), apiFs('mount /dev/shm'))
  if (newNs.has('ipc')) {
    add(op({ resolve: 'strict', kind: 'mkdir', target: '/dev/mqueue', mode: 0o755 }), apiFs('create /dev/mqueue'))
    add(op({ resolve: 'strict', kind: 'mount', source: 'mqueue', target: '/dev/mqueue', fstype: 'mqueue', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC }), apiFs('mount /dev/mqueue'))
  }
  for (const [name, to] of DEV_LINKS) {
    add(op({ resolve: 'strict', kind: 'symlink', source: to, target: `/dev/${name}` }), apiFs(`link /dev/${name}`))
  }

  // --- [mount] entries, in order ---
  cfg.mounts.forEach((m, i) => {
    const where: OpInfo = { what: '', key: '[mount] entry', origin: m.origin ?? at(`mount.entry[${i}]`) }
    const parsed = mountFlags(m.fstype, m.options)
    for (const e of parsed.errors) fail(where.origin, `[mount] entry: ${e}`)
    const bind = isBind(m.fstype, m.options)
    if (bind && !opts.exists(m.source)) {
      if (m.optional) return
      fail(where.origin, `[mount] entry: ${m.source}: No such file or directory (ENOENT)`)
      return
    }
    const target = m.target
    where.what = bind ? `mount ${m.source} on ${m.target} (bind)` : `mount ${m.source} on ${m.target} (${m.fstype})`
    const createTarget = m.create === 'none' ? undefined : m.create
    add(
      op({
        kind: 'mount',
        resolve: 'root',
        source: m.source,
        target,
        fstype: bind ? undefined : m.fstype,
        flags: parsed.flags,
        data: parsed.data || undefined,
        create: createTarget,
        optional: m.optional,
      }),
      where,
    )
    if (parsed.remountFlags) add(op({ kind: 'mount', resolve: 'root', target, flags: parsed.remountFlags, optional: m.optional }), where)
    if (parsed.propagation) add(op({ kind: 'mount', resolve: 'root', target, flags: parsed.propagation, optional: m.optional }), where)
  })

  // --- /etc files, bind-mounted read-only (created on an overlay, skipped on a
  //     read-only rootfs that lacks them) ---
  const files: EtcFile[] = etcFiles(cfg, host, newNs.has('uts'))
  const etcBinds: { source: string; path: string; origin?: Origin; key: string }[] = files.map((f) => ({
    source: posix.join(state, 'etc', posix.basename(f.path)),
    path: f.path,
    origin: f.path === '/etc/resolv.conf' ? at('net.dns[0]') ?? at('net.resolv_conf') : f.path === '/etc/hosts' ? at('net.hosts[0]') : at('container.hostname'),
    key: f.path === '/etc/resolv.conf' ? '[net] resolv_conf' : f.path === '/etc/hosts' ? '[net] hosts' : '[container] hostname',
  }))
  if (cfg.net.dns.length === 0 && cfg.net.resolvConf !== 'host' && cfg.net.resolvConf !== 'rootfs') {
    etcBinds.push({ source: cfg.net.resolvConf, path: '/etc/resolv.conf', origin: at('net.resolv_conf'), key: '[net] resolv_conf' })
  }
  if (cfg.container.localtime === 'host' && host.localtime) {
    etcBinds.push({ source: host.localtime, path: '/etc/localtime', origin: at('container.localtime'), key: '[container] localtime' })
  }
  for (const b of etcBinds) {
    const where: OpInfo = { what: `mount ${b.source} on ${b.path} (bind, read-only)`, key: b.key, origin: b.origin }
    const target = b.path
    add(op({ kind: 'mount', resolve: 'root', source: b.source, target, flags: MS.BIND, create: writable ? 'file' : undefined, optional: !writable }), where)
    add(op({ kind: 'mount', resolve: 'root', target, flags: MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, optional: !writable }), where)
  }

  // --- after pivot_root (paths inside the container): the sysctls while /proc/sys is
  //     still writable, then the masked and read-only paths; a path the kernel lacks is skipped ---
  for (const s of cfg.sysctl) {
    const file = sysctlFile(s.key) ?? posix.join('/proc/sys', ...s.key.split('.'))
    add(op({ kind: 'write', resolve: 'strict', target: file, data: s.value, afterPivot: true }), { what: `write ${JSON.stringify(s.value)} to ${file}`, key: `[sysctl] ${s.key}`, origin: s.origin })
  }
  for (const p of MASKED_PATHS) add(op({ kind: 'mask', resolve: 'strict', target: p, optional: true, afterPivot: true }), { what: `mask ${p}` })
  for (const p of READONLY_PATHS) {
    const what = { what: `make ${p} read-only` }
    add(op({ kind: 'mount', resolve: 'strict', target: p, flags: MS.BIND | MS.REC, optional: true, afterPivot: true }), what)
    add(op({ kind: 'mount', resolve: 'strict', target: p, flags: MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, optional: true, afterPivot: true }), what)
  }

  // --- seccomp: the profile resolved for this container's arch, caps and kernel ---
  const choice = cfg.security.seccomp
  const arch = opts.arch ?? process.arch
  let seccomp: NativePlan['seccomp']
  if (choice.kind !== 'unconfined') {
    if (!seccompArch(arch)) fail(at('security.seccomp'), `[security] seccomp: lite has no seccomp support for ${arch}; set seccomp = unconfined`)
    else seccomp = resolveProfile(choice.kind === 'file' ? choice.profile : DEFAULT_PROFILE, { nodeArch: arch, caps: cfg.security.caps, kernel: opts.kernel ?? kernelRelease() })
  }

  // --- the process ---
  // Docker's ENTRYPOINT + CMD (validate.ts settled which of the image's apply)
  const argv = [...cfg.exec.entrypoint, ...cfg.exec.cmd]
  if (argv.length === 0) fail(at('exec.cmd'), 'no command: set [exec] cmd or give one after --')
  else if (argv[0] === '') fail(at(cfg.exec.entrypoint.length ? 'exec.entrypoint' : 'exec.cmd'), 'no command: the program name is empty')
  const env = [...cfg.exec.env]
  const has = (k: string) => env.some((e) => e.startsWith(k + '='))
  if (!has('HOSTNAME') && newNs.has('uts')) env.push(`HOSTNAME=${cfg.container.hostname}`)
  if (opts.tty && !has('TERM')) env.push('TERM=xterm')
  const candidates = argv.length ? execCandidates(argv[0], env, cfg.exec.cwd) : []

  const rlimits = cfg.limits.rlimits.map((r) => ({ resource: RLIMIT[r.resource], soft: r.soft, hard: r.hard }))
  for (const [i, r] of cfg.limits.rlimits.entries()) if (rlimits[i].resource === undefined) fail(r.origin, `[limits] ${r.resource}: unknown resource`)

  const cgroup = host.cgroups ? resourceWrites(cfg, host.cgroups) : { writes: [], errors: [] }
  errors.push(...cgroup.errors)

  if (errors.length) return { errors }
  const native: NativePlan = {
    namespaces: [...newNs],
    ops,
    newRoot: root,
    loopImage: image ? cfg.rootfs.path : undefined,
    hostname: newNs.has('uts') ? cfg.container.hostname : undefined,
    loopbackUp: newNs.has('net'),
    // bridge, macvlan, ipvlan: the child hands back a netlink socket in its netns, through
    // which lite run configures eth0 before GO (net/attach.ts).
    netSocket: cfg.net.type === 'bridge' || cfg.net.type === 'macvlan' || cfg.net.type === 'ipvlan',
    execCandidates: candidates,
    argv,
    env,
    cwd: cfg.exec.cwd,
    uid: cfg.exec.user.uid,
    gid: cfg.exec.user.gid,
    groups: cfg.exec.groups,
    caps: cfg.security.caps.filter((c) => c !== 'MKNOD' || !host.cgroups || hasDeviceControl(host.cgroups.layout)).map((c) => CAP[c]),
    noNewPrivs: cfg.security.noNewPrivs,
    seccomp,
    rlimits,
    oomScoreAdj: cfg.limits.oomScoreAdj ?? undefined,
    stubInit: cfg.exec.init,
    tty: opts.tty,
    stdin: opts.interactive,
    // Filled in by lite run once the cgroups exist (lifecycle/run.ts).
    cgroupTasks: [],
  }
  return {
    plan: {
      native,
      ops: info,
      etcFiles: files.map((f) => ({ hostPath: posix.join(state, 'etc', posix.basename(f.path)), content: f.content })),
      dirs,
      stateDir: state,
      config: cfg,
      cgroupWrites: cgroup.writes,
    },
    errors: [],
  }
}
