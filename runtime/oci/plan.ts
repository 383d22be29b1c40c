// config.json (validated into an OciSpec) + host facts -> the same LaunchPlan the ini
// front end builds (plan/build.ts), so one set-up engine runs both. What runc and crun
// do with a bundle, as lite's ops: the root bound onto itself, config.json's mounts in
// order, runc's default /dev when /dev is not bound from the host, then after
// pivot_root the sysctls, the read-only and masked paths and a read-only root. Pure
// (no system calls): the host is passed in, so tap tests it.
//
// A new user namespace gets linux.uidMappings/gidMappings as its maps; the rootfs is
// not id-mapped (runc does not shift it either). Inside a user namespace, new or
// joined, nothing may need host privileges, as runc has it: device nodes are binds of
// the host's, and sysfs without a network namespace of the container's own is the
// host's /sys, bound.
//
// Each op keeps the JSON path that asked for it (".mounts[3]"), so that a failure the
// child reports as {step, index, errno} is told against it (oci/failure.ts).

import { posix } from 'node:path'
import { kernelRelease } from '../host/uname.ts'
import type { Origin } from '../config/types.ts'
import type { FsOp, NativePlan } from '../native/index.ts'
import type { LaunchPlan, OpInfo } from '../plan/build.ts'
import { cgroupMountOps } from '../plan/cgroup-mounts.ts'
import { ociCgroupPath } from './cgroup-path.ts'
import { DEV_LINKS, DEV_NODES } from '../plan/dev-nodes.ts'
import type { HostFacts } from '../plan/etc-files.ts'
import { envValue, execCandidates } from '../plan/exec-path.ts'
import { fsOp } from '../plan/fs-op.ts'
import { CAP, MS, RLIMIT, S_IFBLK, S_IFCHR } from '../plan/linux.ts'
import { KNOWN_MOUNT_OPTIONS, isBind, mountFlags } from '../plan/mount-options.ts'
import { sysctlFile } from '../plan/sysctl.ts'
import { type CompactProfile, parseDockerProfile, resolveProfile, seccompArch } from '../seccomp/profile.ts'
import { deviceRuleList, ociCgroupWrites } from './resources.ts'
import type { OciIdMapping, OciSeccomp, OciSpec, SpecError } from './spec.ts'

export interface OciPlanInput {
  spec: OciSpec
  /** config.json's path, for the ops' origin */
  specFile: string
  /** absolute */
  bundle: string
  id: string
  /** <root>/<id>, exists */
  stateDir: string
  host: HostFacts
  noPivot: boolean
  /** whether a host path exists (bind sources); injectable for tests */
  exists: (p: string) => boolean
  /** whether a host path is a directory (bind sources, the rootfs) */
  isDirectory: (p: string) => boolean
  /** the arch the seccomp filter is resolved for (process.arch) */
  arch?: string
  /** the kernel release (uname -r) */
  kernel?: string
}

/** OCI namespace types -> the addon's names; time namespaces lite lacks. */
const NS_KIND: Record<string, string> = { pid: 'pid', network: 'net', mount: 'mount', ipc: 'ipc', uts: 'uts', cgroup: 'cgroup', user: 'user' }

/** What runc lets a mount land on inside /proc (files lxcfs emulates); /proc itself takes only procfs. */
const PROC_MOUNTS = new Set([
  '/proc/cpuinfo', '/proc/diskstats', '/proc/meminfo', '/proc/stat', '/proc/swaps', '/proc/uptime',
  '/proc/loadavg', '/proc/slabinfo', '/proc/sys/kernel/ns_last_pid', '/proc/sys/crypto/fips_enabled',
])

/** runc's sysctls of the IPC namespace (validate/validator.go), beside fs.mqueue.*. */
const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'])

/** Mount options runc maps to mount_setattr or id mapping, which lite does not do. */
const UNSUPPORTED_OPTION = /^(r(ro|rw|nosuid|suid|nodev|dev|noexec|exec|nodiratime|diratime|relatime|norelatime|noatime|atime|strictatime|nostrictatime|nosymfollow|symfollow)|idmap|ridmap)$/

const S_IFIFO = 0o010000
/** RLIM_INFINITY and anything a signed 64-bit limit can't hold */
const rlim = (v: number) => (v < 0 || v >= 2 ** 63 ? -1 : v)

export function buildOciPlan(input: OciPlanInput): { plan?: LaunchPlan; errors: SpecError[]; warnings: string[] } {
  const { spec } = input
  const errors: SpecError[] = []
  const warnings: string[] = []
  const fail = (path: string, message: string) => errors.push({ path, message })
  const origin: Origin = { file: input.specFile, line: 0 }
  const ops: FsOp[] = []
  const info: OpInfo[] = []
  const add = (o: FsOp, what: string, key?: string) => {
    ops.push(o)
    info.push(key ? { what, key, origin } : { what, origin })
  }

  // --- namespaces: made (no path), joined (a path; the caller opens it), or inherited
  //     from the caller (not listed) ---
  const made: string[] = []
  const joinNamespaces: { kind: string; path: string; at: string }[] = []
  const listed = new Set<string>()
  spec.linux.namespaces.forEach((ns, i) => {
    const at = `.linux.namespaces[${i}]`
    const kind = Object.hasOwn(NS_KIND, ns.type) ? NS_KIND[ns.type] : undefined
    if (!kind) return fail(`${at}.type`, `${ns.type} namespaces are not supported by lite`)
    if (listed.has(kind)) return fail(`${at}.type`, `the ${ns.type} namespace is listed twice`)
    listed.add(kind)
    if (ns.path) joinNamespaces.push({ kind, path: ns.path, at: `${at}.path` })
    else made.push(kind)
  })
  const has = (kind: string) => listed.has(kind)
  const ownMounts = has('mount')
  const noMountNs = 'without a mount namespace of the container\'s own (linux.namespaces has no "mount")'
  // validate.ts saw to it that a new user namespace has both maps; in any user
  // namespace, made or joined, nothing in the set-up may need host privileges
  const newUserNs = made.includes('user')
  const inUserNs = has('user')
  const userNsAt = `.linux.namespaces[${spec.linux.namespaces.findIndex((ns) => ns.type === 'user')}]`

  // --- the root: bound onto itself (a mount of its own, as pivot_root needs) ---
  const rootfs = posix.resolve(input.bundle, spec.root.path)
  if (!input.isDirectory(rootfs)) fail('.root.path', `${rootfs} is not a directory`)
  let rootPropagation: number | undefined
  const propagation = spec.linux.rootfsPropagation
  if (propagation) {
    const parsed = mountFlags('none', [propagation])
    if (!parsed.propagation || parsed.data) {
      fail('.linux.rootfsPropagation', `${JSON.stringify(propagation)} is not a propagation (private, rprivate, slave, rslave, shared, rshared, unbindable or runbindable)`)
    } else if (!ownMounts) {
      fail('.linux.rootfsPropagation', `cannot be applied ${noMountNs}: it would change the host's mounts`)
    } else if (input.noPivot && parsed.propagation & MS.PRIVATE) {
      fail('.linux.rootfsPropagation', `${propagation} is not safe without pivot_root (--no-pivot), as runc says`)
    } else rootPropagation = parsed.propagation
  }
  if (ownMounts) add(fsOp({ kind: 'mount', resolve: 'host', target: rootfs, flags: MS.BIND | MS.REC }), `bind ${rootfs} onto itself (the container's root)`, '.root.path')
  if (spec.root.readonly && !ownMounts) fail('.root.readonly', `cannot make the root read-only ${noMountNs}`)
  for (const key of ['maskedPaths', 'readonlyPaths'] as const) {
    if (spec.linux[key].length && !ownMounts) fail(`.linux.${key}`, `unable to restrict paths ${noMountNs}, as runc says`)
  }

  // --- config.json's mounts, in order (crun's way without a mount namespace: none, since
  //     each would land in the host's) ---
  if (!ownMounts && spec.mounts.length) warnings.push(`.mounts ignored ${noMountNs}: each would be made in the host's (crun skips them too)`)
  const mountFlagsAt: { dest: string; flags: number }[] = []
  const lateRemounts: { op: FsOp; what: string; key: string }[] = []
  let devFromHost = false
  spec.mounts.forEach((m, i) => {
    const at = `.mounts[${i}]`
    const dest = posix.resolve('/', m.destination)
    const type = m.type ?? ''
    const bind = isBind(type, m.options)
    if (bind && dest === '/dev') devFromHost = true // runc's needsSetupDev
    if (!ownMounts) return
    if (dest === '/') return fail(`${at}.destination`, 'a mount on "/" would cover the root itself')

    const unsupported = m.options.filter((o) => UNSUPPORTED_OPTION.test(o))
    if (unsupported.length) return fail(`${at}.options`, `${unsupported.map((o) => JSON.stringify(o)).join(', ')}: recursive mount attributes and id-mapped mounts are not supported by lite`)
    if (m.options.includes('tmpcopyup')) warnings.push(`${at}.options: "tmpcopyup" ignored: lite does not copy the directory's content into the tmpfs, which starts empty`)
    let options = m.options.filter((o) => o !== 'tmpcopyup')
    // A bind mount has no filesystem of its own to read options such as size= or
    // mode=: the kernel ignores them, and so do runc and crun (runtime-tools' mounts
    // program passes them).
    const ignored = bind ? options.filter((o) => !KNOWN_MOUNT_OPTIONS.includes(o)) : []
    if (ignored.length) {
      warnings.push(`${at}.options: ${ignored.map((o) => JSON.stringify(o)).join(', ')} ignored: a bind mount takes no filesystem options`)
      options = options.filter((o) => !ignored.includes(o))
    }
    if (!bind && type === '') return fail(`${at}.type`, 'a mount that is not a bind mount needs a type')
    const parsed = mountFlags(type, options)
    for (const e of parsed.errors) fail(`${at}.options`, e)
    if (parsed.errors.length) return

    let source = m.source
    if (bind) {
      if (!source) return fail(`${at}.source`, 'a bind mount needs a source')
      source = posix.resolve(input.bundle, source)
      if (!input.exists(source)) return fail(`${at}.source`, `${source}: No such file or directory (ENOENT)`)
    }
    // runc's checkProcMount: procfs on /proc only (or a bind of the host's), and inside
    // /proc only the files lxcfs emulates.
    if (dest === '/proc' && !(bind ? source === '/proc' : type === 'proc')) {
      return fail(at, '"/proc" cannot be mounted because it is not of type proc')
    }
    if (dest.startsWith('/proc/') && !PROC_MOUNTS.has(dest)) {
      return fail(`${at}.destination`, `${dest} cannot be mounted because it is inside /proc (runc allows only ${[...PROC_MOUNTS].join(', ')})`)
    }
    mountFlagsAt.push({ dest, flags: parsed.flags | parsed.remountFlags })

    if (!bind && type === 'cgroup') {
      const layout = input.host.cgroups?.layout
      if (!layout || layout.mode === 'none') {
        warnings.push(`${at}: this host has no cgroup hierarchies, so nothing is mounted on ${dest}`)
        return
      }
      // this host's hierarchies, namespaced when the container has a cgroup namespace;
      // without one, its own cgroup directories bound in (runc's way), and so on a v1 or
      // hybrid host in a user namespace, where cgroup v1 can't be mounted
      let ownCgroup: string | undefined
      if (!has('cgroup') || (inUserNs && layout.mode !== 'v2')) {
        try {
          ownCgroup = ociCgroupPath(input.id, spec.linux.cgroupsPath)
        } catch (e) {
          return fail('.linux.cgroupsPath', (e as Error).message)
        }
      }
      for (const o of cgroupMountOps(layout, { target: dest, flags: parsed.flags, resolve: 'root', create: 'dir', ownCgroup })) {
        const what = o.kind === 'mkdir' ? `create ${o.target}` : o.fstype ? `mount ${o.fstype}${o.data ? ` (${o.data})` : ''} on ${o.target}` : o.source ? `bind ${o.source} on ${o.target}` : `make ${o.target} read-only`
        add(o, what, at)
      }
    } else if (!bind && type === 'sysfs' && inUserNs && !made.includes('net')) {
      // sysfs can be mounted only from the user namespace that owns the network
      // namespace, here the host's: the host's /sys, bound (runc's fallback), keeping
      // the nosuid, nodev and noexec that a user namespace may not clear
      add(fsOp({ kind: 'mount', resolve: 'strict', source: '/sys', target: dest, flags: MS.BIND | MS.REC, create: 'dir' }), `bind /sys on ${dest} (sysfs needs a network namespace of the container's own)`, at)
      const remount = MS.REMOUNT | MS.BIND | MS.NOSUID | MS.NODEV | MS.NOEXEC | (parsed.flags & MS.RDONLY)
      add(fsOp({ kind: 'mount', resolve: 'strict', target: dest, flags: remount }), `apply the options of ${dest} (bind remount)`, at)
    } else {
      // procfs and sysfs land on a plain directory reached without symlinks (runc's rule).
      const resolve = type === 'proc' || type === 'sysfs' ? 'strict' : 'root'
      let flags = parsed.flags
      // A read-only tmpfs or /dev is made writable and remounted read-only after
      // pivot_root, once the nodes and mount points in it exist (runc's finalizeRootfs).
      if (!bind && (type === 'tmpfs' || dest === '/dev') && flags & MS.RDONLY) {
        flags &= ~MS.RDONLY
        lateRemounts.push({
          op: fsOp({ kind: 'mount', resolve, target: dest, flags: MS.REMOUNT | MS.BIND | parsed.flags, afterPivot: true }),
          what: `make ${dest} read-only`,
          key: at,
        })
      }
      const create = bind && !input.isDirectory(source!) ? 'file' : 'dir'
      add(
        fsOp({ kind: 'mount', resolve, source: bind ? source : source ?? type, target: dest, fstype: bind ? undefined : type, flags, data: parsed.data || undefined, create }),
        bind ? `mount ${source} on ${dest} (bind)` : `mount ${type} on ${dest}`,
        at,
      )
      if (parsed.remountFlags) add(fsOp({ kind: 'mount', resolve, target: dest, flags: parsed.remountFlags }), `apply the options of ${dest} (bind remount)`, at)
    }
    if (parsed.propagation) add(fsOp({ kind: 'mount', resolve: 'root', target: dest, flags: parsed.propagation }), `set the propagation of ${dest}`, at)
  })

  // --- runc's /dev, unless /dev is bound from the host: its default nodes (those the
  //     spec redefines left out), linux.devices, /dev/ptmx, the /proc/self/fd links.
  //     In a user namespace, where mknod is refused, each node is the host's at the same
  //     path, bound (as runc does; its mode and owner are the host's) ---
  if (inUserNs && !devFromHost && !ownMounts) fail(userNsAt, `a user namespace cannot have the device nodes of /dev ${noMountNs}: mknod is refused in it, and a bind would land in the host's mounts`)
  const bindNode = (path: string) => fsOp({ kind: 'mount', resolve: 'strict', source: path, target: path, flags: MS.BIND, create: 'file' })
  if (!devFromHost) {
    const devPaths = new Set(spec.linux.devices.map((d) => posix.resolve('/', d.path)))
    const dirs = new Set<string>()
    const mkdirs = (path: string, key?: string) => {
      const parts = posix.dirname(path).split('/').filter(Boolean)
      for (let k = 1; k <= parts.length; k++) {
        const dir = '/' + parts.slice(0, k).join('/')
        if (dirs.has(dir)) continue
        dirs.add(dir)
        add(fsOp({ kind: 'mkdir', resolve: 'strict', target: dir, mode: 0o755 }), `create ${dir}`, key)
      }
    }
    mkdirs('/dev/null')
    for (const [name, major, minor] of DEV_NODES) {
      const path = `/dev/${name}`
      if (devPaths.has(path)) continue
      if (inUserNs) add(bindNode(path), `bind ${path} from the host (runc's default device ${major}:${minor})`)
      else add(fsOp({ kind: 'mknod', resolve: 'strict', target: path, mode: S_IFCHR | 0o666, major, minor }), `create ${path} (runc's default device ${major}:${minor})`)
    }
    spec.linux.devices.forEach((d, i) => {
      const at = `.linux.devices[${i}]`
      const path = posix.resolve('/', d.path)
      if (path === '/dev/ptmx') return // the link to pts/ptmx below, as runc makes it
      if (path === '/') return fail(`${at}.path`, 'a device node cannot replace the root')
      if (d.type !== 'p' && (d.major === undefined || d.minor === undefined)) return fail(at, `a ${d.type === 'b' ? 'block' : 'char'} device needs major and minor`)
      const kind = d.type === 'b' ? S_IFBLK : d.type === 'p' ? S_IFIFO : S_IFCHR
      const major = d.type === 'p' ? 0 : d.major!
      const minor = d.type === 'p' ? 0 : d.minor!
      mkdirs(path, at)
      if (inUserNs) return add(bindNode(path), `bind ${path} from the host (${d.type} ${major}:${minor})`, at)
      const owner = (d.uid ?? 0) !== 0 || (d.gid ?? 0) !== 0 ? { uid: d.uid ?? 0, gid: d.gid ?? 0 } : {}
      add(fsOp({ kind: 'mknod', resolve: 'strict', target: path, mode: kind | ((d.fileMode ?? 0o666) & 0o7777), major, minor, ...owner }), `create ${path} (${d.type} ${major}:${minor})`, at)
    })
    add(fsOp({ kind: 'symlink', resolve: 'strict', source: 'pts/ptmx', target: '/dev/ptmx' }), 'link /dev/ptmx to pts/ptmx')
    const links = [...DEV_LINKS, ...(input.exists('/proc/kcore') ? [['core', '/proc/kcore'] as const] : [])]
    for (const [name, to] of links) add(fsOp({ kind: 'symlink', resolve: 'strict', source: to, target: `/dev/${name}` }), `link /dev/${name} to ${to}`)
  }

  // --- the process ---
  const p = spec.process
  if (!p) fail('.process', 'config.json has no process to run')
  const argv = p?.args ?? []
  const env = p?.env ?? []
  const cwd = p?.cwd ?? '/'
  if (p && argv.length === 0) fail('.process.args', 'no command: process.args is empty')
  else if (p && argv[0] === '') fail('.process.args[0]', 'no command: the program name is empty')
  else if (p && !argv[0]!.includes('/') && envValue(env, 'PATH') === undefined) {
    fail('.process.env', `exec: ${JSON.stringify(argv[0])}: executable file not found in $PATH (process.env has no PATH)`)
  }
  // The working directory is made when missing, as runc and crun do.
  if (p && posix.resolve('/', cwd) !== '/') add(fsOp({ kind: 'mkdir', resolve: 'root', target: posix.resolve('/', cwd), mode: 0o755 }), `create the working directory ${cwd}`, '.process.cwd')

  // --- after pivot_root (paths inside the container), in runc's order ---
  if (rootPropagation !== undefined && !(rootPropagation & (MS.PRIVATE | MS.SLAVE))) {
    // shared and unbindable: on the new root itself (runc's prepareRootfs)
    add(fsOp({ kind: 'mount', resolve: 'strict', target: '/', flags: rootPropagation, afterPivot: true }), `make the root ${propagation}`, '.linux.rootfsPropagation')
  }
  for (const r of lateRemounts) add(r.op, r.what, r.key)
  for (const [key, value] of Object.entries(spec.linux.sysctl)) {
    const at = `.linux.sysctl[${JSON.stringify(key)}]`
    const file = sysctlFile(key)
    if (!file) {
      fail(at, 'not a sysctl name such as net.ipv4.ip_forward')
      continue
    }
    const problem = sysctlProblem(file, has)
    if (problem) fail(at, problem)
    else if (value.includes('\0')) fail(at, 'the value has a NUL byte')
    else add(fsOp({ kind: 'write', resolve: 'strict', target: file, data: value, afterPivot: true }), `write ${JSON.stringify(value)} to ${file}`, at)
  }
  spec.linux.readonlyPaths.forEach((raw, i) => {
    const path = posix.resolve('/', raw)
    const at = `.linux.readonlyPaths[${i}]`
    // runc keeps the nosuid, nodev and noexec of the mount the path is on (statfs); the
    // plan knows them from the mount that covers the path, if config.json made one.
    const cover = mountFlagsAt.filter((m) => m.dest === path || path.startsWith(m.dest === '/' ? '/' : m.dest + '/')).pop()
    const keep = (cover?.flags ?? 0) & (MS.NOSUID | MS.NODEV | MS.NOEXEC)
    add(fsOp({ kind: 'mount', resolve: 'strict', target: path, flags: MS.BIND | MS.REC, optional: true, afterPivot: true }), `make ${path} read-only`, at)
    add(fsOp({ kind: 'mount', resolve: 'strict', target: path, flags: MS.REMOUNT | MS.BIND | MS.RDONLY | keep, optional: true, afterPivot: true }), `make ${path} read-only`, at)
  })
  spec.linux.maskedPaths.forEach((raw, i) => {
    const path = posix.resolve('/', raw)
    add(fsOp({ kind: 'mask', resolve: 'strict', target: path, optional: true, afterPivot: true, maskAnywhere: true }), `mask ${path}`, `.linux.maskedPaths[${i}]`)
  })
  if (spec.root.readonly && ownMounts) {
    add(fsOp({ kind: 'mount', resolve: 'strict', target: '/', flags: MS.REMOUNT | MS.BIND | MS.RDONLY, afterPivot: true }), 'make the root read-only', '.root.readonly')
  }

  // --- identity, capabilities, limits ---
  for (const [field, value] of [['hostname', spec.hostname], ['domainname', spec.domainname]] as const) {
    if (value && !has('uts')) fail(`.${field}`, `unable to set the ${field} without a UTS namespace of the container's own (linux.namespaces has no "uts")`)
  }
  // In a new user namespace the child sets the container up as its root (an unmapped
  // id can't create a file), and the app's ids must be in the maps, or setuid fails
  // (runc's words)
  if (newUserNs) {
    const mapped = (id: number, map: readonly OciIdMapping[]) => map.some((m) => id >= m.containerID && id - m.containerID < m.size)
    const unmapped = (at: string, what: 'uid' | 'gid', id: number, why = '') => {
      if (!mapped(id, what === 'uid' ? spec.linux.uidMappings : spec.linux.gidMappings)) fail(at, `user namespaces enabled, but no mapping found for ${what} ${id}${why}`)
    }
    unmapped('.linux.uidMappings', 'uid', 0, ': lite sets the container up as its root')
    unmapped('.linux.gidMappings', 'gid', 0, ': lite sets the container up as its root')
    if (p) {
      unmapped('.process.user.uid', 'uid', p.user.uid)
      unmapped('.process.user.gid', 'gid', p.user.gid)
      p.user.additionalGids.forEach((gid, i) => unmapped(`.process.user.additionalGids[${i}]`, 'gid', gid))
    }
  }
  const sets = { bounding: [] as number[], effective: [] as number[], permitted: [] as number[], inheritable: [] as number[], ambient: [] as number[] }
  const unknownCaps = new Set<string>()
  for (const set of Object.keys(sets) as (keyof typeof sets)[]) {
    for (const name of p?.capabilities?.[set] ?? []) {
      const bare = name.startsWith('CAP_') ? name.slice(4) : undefined
      const n = bare !== undefined && Object.hasOwn(CAP, bare) ? CAP[bare]! : undefined
      if (n === undefined) unknownCaps.add(name)
      else if (!sets[set].includes(n)) sets[set].push(n)
    }
  }
  if (unknownCaps.size) warnings.push(`.process.capabilities: unknown capabilities ignored (as runc does): ${[...unknownCaps].join(', ')}`)
  const capName = Object.fromEntries(Object.entries(CAP).map(([k, v]) => [v, k]))
  // The kernel keeps a capability ambient only while it is permitted and inheritable
  // (capabilities(7)): any other raise is EPERM. `crun spec` and older `runc spec` list
  // ambient capabilities with no inheritable ones; the runtime spec says a capability
  // that cannot be granted is a warning, and crun and runc skip such raises. lite drops
  // them here, so that the child still fails on any EPERM it does not expect.
  const unraisable = sets.ambient.filter((n) => !sets.permitted.includes(n) || !sets.inheritable.includes(n))
  if (unraisable.length) {
    sets.ambient = sets.ambient.filter((n) => !unraisable.includes(n))
    warnings.push(`.process.capabilities.ambient: not raised, as they are not both permitted and inheritable: ${unraisable.map((n) => `CAP_${capName[n]}`).join(', ')}`)
  }

  const rlimits: NativePlan['rlimits'] = []
  const seenRlimits = new Set<string>()
  p?.rlimits.forEach((r, i) => {
    const at = `.process.rlimits[${i}]`
    const name = r.type.startsWith('RLIMIT_') ? r.type.slice(7).toLowerCase() : ''
    if (!Object.hasOwn(RLIMIT, name)) return fail(`${at}.type`, `unknown rlimit ${JSON.stringify(r.type)}`)
    if (seenRlimits.has(name)) return fail(`${at}.type`, `${r.type} is listed twice`)
    seenRlimits.add(name)
    const soft = rlim(r.soft)
    const hard = rlim(r.hard)
    if (hard !== -1 && (soft === -1 || soft > hard)) return fail(at, `the soft limit (${r.soft}) is above the hard limit (${r.hard})`)
    rlimits.push({ resource: RLIMIT[name]!, soft, hard })
  })

  // --- seccomp, resolved for this arch ---
  let seccomp: NativePlan['seccomp']
  if (spec.linux.seccomp) {
    const arch = input.arch ?? process.arch
    const converted = ociSeccompProfile(spec.linux.seccomp)
    errors.push(...converted.errors)
    if (!seccompArch(arch)) fail('.linux.seccomp', `lite has no seccomp support for ${arch}`)
    else if (converted.profile) {
      seccomp = resolveProfile(converted.profile, { nodeArch: arch, caps: sets.bounding.map((n) => capName[n]!), kernel: input.kernel ?? kernelRelease() })
    }
  }

  // --- what lite does not apply ---
  if (p?.apparmorProfile) warnings.push(`.process.apparmorProfile ${JSON.stringify(p.apparmorProfile)} ignored: lite applies no AppArmor profile`)
  if (p?.selinuxLabel) warnings.push(`.process.selinuxLabel ${JSON.stringify(p.selinuxLabel)} ignored: lite applies no SELinux label`)
  if (spec.linux.mountLabel) warnings.push(`.linux.mountLabel ${JSON.stringify(spec.linux.mountLabel)} ignored: lite applies no SELinux label`)

  // --- cgroups: the limits, and the device rules (applied by the caller) ---
  const resources = spec.linux.resources
  let cgroupWrites: LaunchPlan['cgroupWrites'] = []
  if (input.host.cgroups) {
    const r = ociCgroupWrites(resources, input.host.cgroups)
    errors.push(...r.errors)
    warnings.push(...r.warnings)
    cgroupWrites = r.writes.map((w) => ({ ...w, origin }))
  } else if (resources && (resources.memory || resources.cpu || resources.pids || resources.blockIO || resources.network || resources.hugepageLimits.length || Object.keys(resources.unified).length)) {
    warnings.push('.linux.resources ignored: this host has no cgroups')
  }
  const devices = deviceRuleList(spec)
  errors.push(...devices.errors)

  if (errors.length) return { errors, warnings }
  const native: NativePlan = {
    namespaces: made,
    ops,
    newRoot: rootfs,
    hostname: spec.hostname || undefined,
    domainname: spec.domainname || undefined,
    loopbackUp: made.includes('net'),
    netSocket: false,
    execCandidates: execCandidates(argv[0]!, env, cwd),
    argv,
    env,
    cwd,
    uid: p!.user.uid,
    gid: p!.user.gid,
    groups: p!.user.additionalGids,
    caps: sets.bounding,
    capSets: sets,
    umask: p!.user.umask,
    noNewPrivs: p!.noNewPrivileges,
    seccomp,
    rlimits,
    rlimitsEarly: true,
    oomScoreAdj: p!.oomScoreAdj,
    stubInit: false,
    tty: p!.terminal,
    // stdio goes straight through to the engine's (conmon's, the shim's) pipes
    stdin: true,
    noParentDeath: true,
    // lite runs as root, so setgroups stays allowed (a rootless lite would deny it)
    userNs: newUserNs
      ? {
          uidMap: spec.linux.uidMappings.map((m) => ({ containerId: m.containerID, hostId: m.hostID, size: m.size })),
          gidMap: spec.linux.gidMappings.map((m) => ({ containerId: m.containerID, hostId: m.hostID, size: m.size })),
          denySetgroups: false,
        }
      : undefined,
    mountPrivate: ownMounts,
    // pivot_root refuses a new root whose parent mount is shared (EINVAL): a shared or
    // unbindable root is made private until then, and gets its propagation after
    // pivot_root (the op above), where the old root's mounts are gone.
    rootPropagation: ownMounts ? (rootPropagation === undefined ? MS.REC | MS.SLAVE : rootPropagation & (MS.PRIVATE | MS.SLAVE) ? rootPropagation : MS.REC | MS.PRIVATE) : undefined,
    rootEntry: !ownMounts ? 'chroot' : input.noPivot ? 'move' : 'pivot',
    // filled in by the caller once the cgroups exist
    cgroupTasks: [],
  }
  return {
    plan: {
      native,
      ops: info,
      etcFiles: [],
      dirs: [],
      stateDir: input.stateDir,
      cgroupWrites,
      joinNamespaces,
      deviceRules: devices.rules,
    },
    errors: [],
    warnings,
  }
}

/**
 * runc's sysctl rule (validate.sysctl): only what the container's own namespaces hold,
 * and a namespace joined by path counts as its own. `file` is under /proc/sys.
 */
function sysctlProblem(file: string, has: (kind: string) => boolean): string | undefined {
  const name = file.slice('/proc/sys/'.length).split('/').map((p) => p.replaceAll('.', '/')).join('.')
  if (IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.')) {
    return has('ipc') ? undefined : `${name} is not allowed in the host's IPC namespace (linux.namespaces has no "ipc")`
  }
  if (name.startsWith('net.')) return has('net') ? undefined : `${name} is not allowed in the host's network namespace (linux.namespaces has no "network")`
  if (has('uts') && name === 'kernel.domainname') return undefined
  if (has('uts') && name === 'kernel.hostname') return `${name} conflicts with the "hostname" field; set that instead`
  if (name.startsWith('user.')) return has('user') ? undefined : `${name} is not allowed in the host's user namespace (linux.namespaces has no "user")`
  return `${name} is not in a separate kernel namespace: setting it would change the host`
}

/**
 * linux.seccomp -> lite's compact profile, through the Docker-format parser (the OCI
 * fields are Docker's): its checks (actions, comparisons, errno ranges, masks) apply,
 * and its errors are told at their JSON path under .linux.seccomp.
 */
export function ociSeccompProfile(s: OciSeccomp): { profile?: CompactProfile; errors: SpecError[] } {
  const doc = {
    defaultAction: s.defaultAction,
    ...(s.defaultErrnoRet !== undefined ? { defaultErrnoRet: s.defaultErrnoRet } : {}),
    architectures: s.architectures,
    syscalls: s.syscalls.map((c) => ({
      names: c.names,
      action: c.action,
      ...(c.errnoRet !== undefined ? { errnoRet: c.errnoRet } : {}),
      args: c.args.map((a) => ({ index: a.index, value: a.value, ...(a.valueTwo !== undefined ? { valueTwo: a.valueTwo } : {}), op: a.op })),
    })),
  }
  // 64-bit argument values as exact decimal text (the parser keeps them as bigints)
  const text = JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'bigint' ? `\u0000big:${v}` : v)).replace(/"\\u0000big:(-?\d+)"/g, '$1')
  const r = parseDockerProfile(text)
  const errors = r.errors.map((e) => {
    const m = /^(defaultAction|defaultErrnoRet|architectures(?:\[\d+\])?|syscalls\[\d+\](?:\.[A-Za-z]+(?:\[\d+\])?)*)(?::\s*|\s+|$)/.exec(e.message)
    return m ? { path: `.linux.seccomp.${m[1]}`, message: e.message.slice(m[0].length) || e.message } : { path: '.linux.seccomp', message: e.message }
  })
  return { profile: r.profile, errors }
}
