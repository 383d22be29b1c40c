// config.json -> LaunchPlan (oci/plan.ts) and linux.resources -> cgroup writes and
// device rules (oci/resources.ts): runc's default config, a podman-like one, namespace
// inheritance and joining, the root, /dev, the late ops' order, the process, seccomp,
// and the cgroup mapping on v1, v2 and hybrid hosts.

import t, { type Test } from 'tap'
import type { CgroupLayout } from '../../runtime/cgroup/detect.ts'
import type { HostCgroups } from '../../runtime/cgroup/resources.ts'
import type { FsOp } from '../../runtime/native/index.ts'
import { exampleSpec } from '../../runtime/oci/commands/spec.ts'
import { buildOciPlan, ociSeccompProfile, type OciPlanInput } from '../../runtime/oci/plan.ts'
import type { LaunchPlan } from '../../runtime/plan/build.ts'
import { blkioToIoWeight, deviceRuleList, ociCgroupWrites, ociDeviceRules, sharesToWeight } from '../../runtime/oci/resources.ts'
import type { OciResources, OciSpec } from '../../runtime/oci/spec.ts'
import type { HostFacts } from '../../runtime/plan/etc-files.ts'
import { CAP, MS, RLIMIT, S_IFBLK, S_IFCHR } from '../../runtime/plan/linux.ts'

// --- fixtures ---

const V1 = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'net_cls', 'net_prio', 'hugetlb']

/** A host's cgroups as detect.ts finds them: v1 (with a named systemd hierarchy), v2, or hybrid (cgroup2 holding hugetlb). */
function layout(mode: 'v1' | 'v2' | 'hybrid'): CgroupLayout {
  const root = '/sys/fs/cgroup'
  const v1 = mode === 'hybrid' ? V1.filter(c => c !== 'hugetlb') : V1
  const v2ctl = mode === 'v2' ? ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids'] : ['hugetlb']
  const hierarchies = [
    ...(mode === 'v2' ? [] : v1.map(c => ({ version: 1 as const, mountPoint: `${root}/${c}`, options: [c] }))),
    ...(mode === 'v2' ? [] : [{ version: 1 as const, mountPoint: `${root}/systemd`, options: ['name=systemd'] }]),
    ...(mode === 'v1' ? [] : [{ version: 2 as const, mountPoint: mode === 'v2' ? root : `${root}/unified`, options: v2ctl }]),
  ]
  const controllers = hierarchies.flatMap(h => h.options.filter(o => !o.startsWith('name=')).map(c => ({ controller: c, version: h.version, mountPoint: h.mountPoint })))
  return { mode, unified: hierarchies.find(h => h.version === 2)?.mountPoint, controllers, hierarchies }
}

const cgroups = (mode: 'v1' | 'v2' | 'hybrid', missing: string[] = []): HostCgroups => ({ layout: layout(mode), hasFile: (_c, f) => !missing.includes(f) })

const HOST: HostFacts = { resolvConf: 'nameserver 198.51.100.1\n', localtime: null, hostname: 'host-machine', cgroups: cgroups('hybrid') }
const BUNDLE = '/srv/bundle'
const SPEC_FILE = `${BUNDLE}/config.json`

/** config.json as validate.ts hands it over: every list and map present. */
function spec(json: any): OciSpec {
  const j = structuredClone(json)
  const s: any = {
    ociVersion: j.ociVersion ?? '1.0.2',
    root: { path: j.root?.path ?? 'rootfs', readonly: j.root?.readonly ?? false },
    mounts: (j.mounts ?? []).map((m: any) => ({ ...m, options: m.options ?? [] })),
    hostname: j.hostname,
    domainname: j.domainname,
    hooks: { prestart: [], createRuntime: [], createContainer: [], startContainer: [], poststart: [], poststop: [], ...j.hooks },
    annotations: j.annotations ?? {},
  }
  if (j.process) {
    const p = j.process
    s.process = {
      ...p,
      terminal: p.terminal ?? false,
      user: { uid: 0, gid: 0, ...p.user, additionalGids: p.user?.additionalGids ?? [] },
      args: p.args ?? [],
      env: p.env ?? [],
      cwd: p.cwd ?? '/',
      capabilities: p.capabilities && { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [], ...p.capabilities },
      rlimits: p.rlimits ?? [],
      noNewPrivileges: p.noNewPrivileges ?? false,
    }
  }
  const l = j.linux ?? {}
  s.linux = {
    ...l,
    namespaces: l.namespaces ?? [],
    uidMappings: l.uidMappings ?? [],
    gidMappings: l.gidMappings ?? [],
    devices: l.devices ?? [],
    sysctl: l.sysctl ?? {},
    maskedPaths: l.maskedPaths ?? [],
    readonlyPaths: l.readonlyPaths ?? [],
    resources: l.resources && resources(l.resources),
    seccomp: l.seccomp && {
      architectures: [],
      flags: [],
      ...l.seccomp,
      syscalls: (l.seccomp.syscalls ?? []).map((c: any) => ({ ...c, args: c.args ?? [] })),
    },
  }
  return s as OciSpec
}

function resources(r: any): OciResources {
  return {
    ...r,
    devices: r.devices ?? [],
    hugepageLimits: r.hugepageLimits ?? [],
    unified: r.unified ?? {},
    blockIO: r.blockIO && {
      weightDevice: [], throttleReadBpsDevice: [], throttleWriteBpsDevice: [], throttleReadIOPSDevice: [], throttleWriteIOPSDevice: [], ...r.blockIO,
    },
    network: r.network && { priorities: [], ...r.network },
  }
}

function plan(json: any, opts: Partial<OciPlanInput> = {}) {
  return buildOciPlan({
    spec: spec(json),
    specFile: SPEC_FILE,
    bundle: BUNDLE,
    id: 'c1',
    stateDir: '/run/lite-oci/c1',
    host: HOST,
    noPivot: false,
    exists: p => p !== '/proc/kcore' && !p.includes('missing'),
    isDirectory: p => !p.endsWith('.conf') && !p.endsWith('hostname'),
    arch: 'x64',
    kernel: '6.1.0',
    ...opts,
  })
}

function mustPlan(t: Test, r: ReturnType<typeof plan>): LaunchPlan {
  t.same(r.errors, [], 'no plan errors')
  if (!r.plan) throw new Error(`no plan: ${JSON.stringify(r.errors)}`)
  t.equal(r.plan.ops.length, r.plan.native.ops.length, 'one OpInfo per op')
  return r.plan
}

/** "kind source -> resolve:target", late ops marked. */
function label(o: FsOp): string {
  const where = o.resolve && o.resolve !== 'host' ? `${o.resolve}:` : 'host:'
  return `${o.afterPivot ? 'late ' : ''}${o.kind}${o.source === undefined ? '' : ` ${o.source}`} -> ${where}${o.target}`
}

// `runc spec` (runc 1.1.5), as it writes it.
const RUNC_SPEC = {
  ociVersion: '1.0.2-dev',
  process: {
    terminal: true,
    user: { uid: 0, gid: 0 },
    args: ['sh'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
    cwd: '/',
    capabilities: {
      bounding: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      effective: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      permitted: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      ambient: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
    },
    rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
    noNewPrivileges: true,
  },
  root: { path: 'rootfs', readonly: true },
  hostname: 'runc',
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ],
  linux: {
    resources: { devices: [{ allow: false, access: 'rwm' }] },
    namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
    maskedPaths: [
      '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
      '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
    ],
    readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
  },
}

// A podman-like config: a joined network namespace, the engine's /etc files bound in,
// a cgroup namespace, limits, and a seccomp profile.
const USERDATA = '/var/lib/containers/storage/overlay-containers/abc/userdata'
const PODMAN_SPEC = {
  ociVersion: '1.1.0',
  process: {
    user: { uid: 1000, gid: 1000, umask: 0o022, additionalGids: [10, 1000] },
    args: ['/usr/bin/app', '--serve'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'container=podman', 'HOSTNAME=web'],
    cwd: '/srv/app',
    capabilities: {
      bounding: ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_NET_BIND_SERVICE', 'CAP_SETUID', 'CAP_SETGID'],
      effective: ['CAP_NET_BIND_SERVICE'],
      permitted: ['CAP_NET_BIND_SERVICE'],
    },
    rlimits: [
      { type: 'RLIMIT_NOFILE', hard: 1048576, soft: 1048576 },
      { type: 'RLIMIT_NPROC', hard: 4194304, soft: 4194304 },
    ],
    noNewPrivileges: true,
    apparmorProfile: 'containers-default-0.50.1',
    oomScoreAdj: 100,
  },
  root: { path: '/var/lib/containers/storage/overlay/123/merged' },
  hostname: 'web',
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/etc/resolv.conf', type: 'bind', source: `${USERDATA}/resolv.conf`, options: ['bind', 'rprivate'] },
    { destination: '/etc/hostname', type: 'bind', source: `${USERDATA}/hostname`, options: ['bind', 'rprivate', 'ro'] },
    { destination: '/dev/shm', type: 'bind', source: `${USERDATA}/shm`, options: ['bind', 'rprivate', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['rprivate', 'nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'] },
    { destination: '/data', type: 'bind', source: 'volumes/data', options: ['rbind'] },
  ],
  linux: {
    sysctl: { 'net.ipv4.ping_group_range': '0 0' },
    resources: {
      devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' }],
      memory: { limit: 268435456, swap: 536870912 },
      pids: { limit: 2048 },
    },
    cgroupsPath: 'machine.slice:libpod:abc',
    namespaces: [
      { type: 'pid' },
      { type: 'network', path: '/run/netns/netns-1234' },
      { type: 'ipc' },
      { type: 'uts' },
      { type: 'mount' },
      { type: 'cgroup' },
    ],
    seccomp: {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 38,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [
        { names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 4294967295, op: 'SCMP_CMP_EQ' }] },
        { names: ['bdflush'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      ],
    },
    maskedPaths: ['/proc/acpi', '/proc/kcore', '/proc/keys', '/sys/firmware', '/sys/fs/selinux', '/sys/dev/block'],
    readonlyPaths: ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
  },
}

/** A minimal config of the parts a test is about. */
const BASE = {
  process: { args: ['/bin/sh'], env: ['PATH=/bin'], cwd: '/' },
  root: { path: 'rootfs' },
  linux: { namespaces: [{ type: 'mount' }, { type: 'pid' }] },
}
const withLinux = (linux: any, extra: any = {}) => ({ ...BASE, ...extra, linux: { ...BASE.linux, ...linux } })

// --- the plans ---

t.test("runc spec's default config", async t => {
  const p = mustPlan(t, plan(RUNC_SPEC))
  const n = p.native
  t.same(n.ops[0], { kind: 'mount', resolve: 'host', target: `${BUNDLE}/rootfs`, flags: MS.BIND | MS.REC, optional: false, mode: 0, major: 0, minor: 0, afterPivot: false },
    'the root is bound onto itself first, as runc does')
  t.equal(n.newRoot, `${BUNDLE}/rootfs`, 'root.path is relative to the bundle')
  t.same(n.namespaces, ['pid', 'net', 'ipc', 'uts', 'mount'])
  t.equal(n.loopbackUp, true, 'a new network namespace gets lo up, as runc does')
  t.same([n.mountPrivate, n.rootPropagation, n.rootEntry], [true, MS.REC | MS.SLAVE, 'pivot'], "runc's default propagation for /")
  t.same(n.capSets, { bounding: [29, 5, 10], effective: [29, 5, 10], permitted: [29, 5, 10], inheritable: [], ambient: [] }, "runc spec's ambient set has no inheritable one: not raised")
  t.same(n.rlimits, [{ resource: RLIMIT.nofile, soft: 1024, hard: 1024 }])
  t.same([n.rlimitsEarly, n.noParentDeath, n.tty, n.stdin, n.noNewPrivs, n.stubInit], [true, true, true, true, true, false])
  t.equal(n.execCandidates.at(-1), '/bin/sh', 'PATH from the process env')
  t.same(p.deviceRules, ['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:8 rwm', 'c 1:7 rwm', 'c 5:0 rwm', 'c 1:5 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 5:2 rwm', 'c 10:200 rwm'],
    "deny all, then runc's default allows")
  t.same(p.joinNamespaces, [])
  t.same(p.cgroupWrites, [])
  t.equal(p.ops.at(-1)?.key, '.root.readonly')
  t.same(n.ops.at(-1), { kind: 'mount', resolve: 'strict', target: '/', flags: MS.REMOUNT | MS.BIND | MS.RDONLY, optional: false, mode: 0, major: 0, minor: 0, afterPivot: true },
    'the root is made read-only last')
  const cg = n.ops.filter(o => o.target.startsWith('/sys/fs/cgroup'))
  t.equal(cg[0]?.fstype, 'tmpfs', 'v1/hybrid: a tmpfs holds the hierarchies')
  t.ok(cg.filter(o => o.fstype === 'cgroup' || o.fstype === 'cgroup2').every(o => o.flags & MS.RDONLY), 'read-only, as the mount asks')
  t.ok(p.ops.every(o => o.origin?.file === SPEC_FILE && o.origin.line === 0), 'every op is told against config.json')
  t.matchSnapshot(n.ops.map(label), 'ops')
  t.matchSnapshot(p.ops.map(o => `${o.key ?? '-'}: ${o.what}`), 'what each op is for')
  const { ops: _ops, ...rest } = n
  t.matchSnapshot(rest, 'native plan but the ops')
})

t.test('a podman-like config', async t => {
  const r = plan(PODMAN_SPEC)
  const p = mustPlan(t, r)
  const n = p.native
  t.same(p.joinNamespaces, [{ kind: 'net', path: '/run/netns/netns-1234', at: '.linux.namespaces[1].path' }], 'the network namespace is joined')
  t.same(n.namespaces, ['pid', 'ipc', 'uts', 'mount', 'cgroup'])
  t.equal(n.loopbackUp, false, 'a joined network namespace is left as it is')
  t.same([n.uid, n.gid, n.groups, n.umask, n.oomScoreAdj], [1000, 1000, [10, 1000], 0o022, 100])
  t.same(n.execCandidates, ['/usr/bin/app'])
  t.same(n.capSets, { bounding: [0, 1, 10, 7, 6], effective: [10], permitted: [10], inheritable: [], ambient: [] })
  t.same(n.caps, n.capSets?.bounding)
  t.same(n.seccomp, {
    arch: 'x86_64',
    defaultAction: 'errno',
    defaultErrnoRet: 38,
    rules: [
      { names: ['read', 'write', 'exit_group'], action: 'allow', args: [] },
      { names: ['personality'], action: 'allow', args: [{ index: 0, op: 'eq', value: '4294967295' }] },
      { names: ['bdflush'], action: 'errno', errnoRet: 1, args: [] },
    ],
  })
  const byTarget = (target: string) => n.ops.filter(o => o.target === target && !o.afterPivot)
  t.same(byTarget('/etc/resolv.conf').map(o => [o.source, o.flags, o.create]), [[`${USERDATA}/resolv.conf`, MS.BIND, 'file'], [undefined, MS.PRIVATE | MS.REC, undefined]],
    'a file bind: created as a file; rprivate as a separate op')
  t.same(byTarget('/etc/hostname').map(o => o.flags), [MS.BIND, MS.REMOUNT | MS.BIND | MS.RDONLY, MS.PRIVATE | MS.REC], 'ro on a bind: a remount')
  t.same(byTarget('/data').map(o => [o.source, o.flags, o.create]), [[`${BUNDLE}/volumes/data`, MS.BIND | MS.REC, 'dir']], 'a relative source is in the bundle')
  t.equal(byTarget('/tmp')[0]?.data, undefined, 'tmpcopyup is not passed to the kernel')
  t.same(n.ops.filter(o => o.kind === 'write'), [
    { kind: 'write', resolve: 'strict', target: '/proc/sys/net/ipv4/ping_group_range', data: '0 0', flags: 0, optional: false, mode: 0, major: 0, minor: 0, afterPivot: true },
  ], 'a net sysctl in a joined network namespace')
  t.same(r.warnings, [
    '.mounts[9].options: "tmpcopyup" ignored: lite does not copy the directory\'s content into the tmpfs, which starts empty',
    '.process.apparmorProfile "containers-default-0.50.1" ignored: lite applies no AppArmor profile',
  ])
  t.same(p.cgroupWrites.map(w => `v${w.version} ${w.file}=${w.value} (${w.key})`), [
    'v1 memory.limit_in_bytes=268435456 (.linux.resources.memory.limit)',
    'v1 memory.memsw.limit_in_bytes=536870912 (.linux.resources.memory.swap)',
    'v1 pids.max=2048 (.linux.resources.pids.limit)',
  ])
  t.ok(p.cgroupWrites.every(w => w.origin?.file === SPEC_FILE))
  t.same(p.deviceRules?.slice(0, 3), ['c 10:229 rwm', 'c *:* m', 'b *:* m'], "the spec's allows, then runc's")
  t.equal(n.ops.filter(o => o.target === '/proc/sys' && o.afterPivot)[1]?.flags, MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC,
    'a read-only path keeps the nosuid, nodev and noexec of the /proc mount it is on')
  t.matchSnapshot(n.ops.map(label), 'ops')
})

t.test('namespaces', async t => {
  t.test('not listed: inherited from the caller, mount namespace included (runtime-tools linux_ns_itype)', async t => {
    const r = plan({ ...RUNC_SPEC, hostname: undefined, root: { path: 'rootfs' }, linux: { resources: RUNC_SPEC.linux.resources } })
    const p = mustPlan(t, r)
    const n = p.native
    t.same(n.namespaces, [])
    t.same(p.joinNamespaces, [])
    t.same([n.mountPrivate, n.rootPropagation, n.rootEntry, n.loopbackUp, n.hostname], [false, undefined, 'chroot', false, undefined],
      "the host's propagation is never touched; a chroot into the root")
    t.notOk(n.ops.some(o => o.kind === 'mount' || o.kind === 'mask'), 'no mount would land in the host\'s mount namespace')
    t.ok(n.ops.some(o => o.kind === 'mknod' && o.target === '/dev/null'), "runc's and crun's default nodes are still made in the root's /dev")
    t.match(r.warnings, [/^\.mounts ignored without a mount namespace of the container's own/])
  })

  t.test('what needs a namespace of its own is an error without it', async t => {
    const r = plan({
      ...BASE,
      root: { path: 'rootfs', readonly: true },
      hostname: 'box',
      domainname: 'example.org',
      linux: {
        namespaces: [{ type: 'pid' }],
        maskedPaths: ['/proc/kcore'],
        readonlyPaths: ['/proc/sys'],
        rootfsPropagation: 'rshared',
        sysctl: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1' },
      },
    })
    t.equal(r.plan, undefined)
    t.matchSnapshot(r.errors.map(e => `${e.path}: ${e.message}`), 'errors')
  })

  t.test('joined by path: the caller opens them, in order; a joined mount namespace is the container\'s own', async t => {
    const p = mustPlan(t, plan(withLinux({
      namespaces: [{ type: 'pid', path: '/proc/42/ns/pid' }, { type: 'ipc', path: '/proc/42/ns/ipc' }, { type: 'mount', path: '/proc/42/ns/mnt' }, { type: 'uts' }],
    }, { hostname: 'box' })))
    t.same(p.joinNamespaces, [
      { kind: 'pid', path: '/proc/42/ns/pid', at: '.linux.namespaces[0].path' },
      { kind: 'ipc', path: '/proc/42/ns/ipc', at: '.linux.namespaces[1].path' },
      { kind: 'mount', path: '/proc/42/ns/mnt', at: '.linux.namespaces[2].path' },
    ])
    t.same(p.native.namespaces, ['uts'])
    t.same([p.native.mountPrivate, p.native.rootEntry], [true, 'pivot'])
    t.equal(p.native.ops[0]?.flags, MS.BIND | MS.REC, 'the root is bound in the joined mount namespace')
    t.equal(p.native.hostname, 'box')
  })

  t.test('a namespace twice, and the kind lite lacks', async t => {
    const r = plan(withLinux({ namespaces: [{ type: 'mount' }, { type: 'mount', path: '/proc/1/ns/mnt' }, { type: 'time' }] }))
    t.same(r.errors.map(e => e.path), ['.linux.namespaces[1].type', '.linux.namespaces[2].type'])
  })
})

// runtime-tools' linux_uid_mappings: its default config (runc's, but for sysfs' mount
// options and a network namespace of its own) in a new user namespace.
const USERNS_SPEC = {
  ...RUNC_SPEC,
  root: { path: 'rootfs' },
  mounts: RUNC_SPEC.mounts.filter(m => m.destination !== '/sys/fs/cgroup'),
  linux: {
    ...RUNC_SPEC.linux,
    namespaces: [...RUNC_SPEC.linux.namespaces, { type: 'user' }],
    uidMappings: [{ containerID: 0, hostID: 1000, size: 2000 }],
    gidMappings: [{ containerID: 0, hostID: 1000, size: 3000 }],
  },
}

t.test('user namespaces', async t => {
  t.test('a new one: its maps, written by lite; the host\'s device nodes bound; the rootfs as it is', async t => {
    const r = plan(USERNS_SPEC)
    const p = mustPlan(t, r)
    const n = p.native
    t.same(n.namespaces, ['pid', 'net', 'ipc', 'uts', 'mount', 'user'])
    t.same(n.userNs, {
      uidMap: [{ containerId: 0, hostId: 1000, size: 2000 }],
      gidMap: [{ containerId: 0, hostId: 1000, size: 3000 }],
      denySetgroups: false,
    }, 'setgroups stays allowed: lite is root')
    t.notOk(n.ops.some(o => o.kind === 'mknod'), 'no mknod: the kernel refuses it in a user namespace')
    const binds = n.ops.filter(o => o.kind === 'mount' && o.target.startsWith('/dev/') && o.source === o.target)
    t.same(binds.map(o => o.target), ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty'], "runc's default nodes")
    t.ok(binds.every(o => o.flags === MS.BIND && o.create === 'file' && o.resolve === 'strict'), 'each a bind of the host\'s node onto a file made for it, without symlinks')
    t.equal(p.ops.find(o => o.what.startsWith('bind /dev/null'))?.what, "bind /dev/null from the host (runc's default device 1:3)")
    t.notOk(n.ops.some(o => o.idmap), 'the rootfs is not id-mapped (runc does not shift it)')
    t.same(n.ops.filter(o => o.target === '/sys').map(o => [o.fstype, o.flags]), [['sysfs', MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RDONLY]],
      'sysfs itself: the network namespace is the container\'s own')
    t.same(p.joinNamespaces, [])
    t.same(r.warnings, ['.process.capabilities.ambient: not raised, as they are not both permitted and inheritable: CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE'], "only runc spec's ambient set is warned of")
    const sysctl = mustPlan(t, plan({ ...USERNS_SPEC, linux: { ...USERNS_SPEC.linux, sysctl: { 'user.max_user_namespaces': '0' } } }))
    t.ok(sysctl.native.ops.some(o => o.kind === 'write' && o.target === '/proc/sys/user/max_user_namespaces'), "a user.* sysctl is the container's user namespace's own")
  })

  t.test('linux.devices: the host\'s nodes at their paths', async t => {
    const p = mustPlan(t, plan({
      ...USERNS_SPEC,
      linux: {
        ...USERNS_SPEC.linux,
        devices: [{ path: '/dev/null', type: 'c', major: 1, minor: 3 }, { path: '/dev/i2c/1', type: 'c', major: 89, minor: 1, fileMode: 0o660, gid: 998 }, { path: '/dev/ptmx', type: 'c', major: 5, minor: 2 }],
      },
    }))
    const devOps = p.native.ops.filter(o => o.target.startsWith('/dev/') && (o.kind !== 'mount' || o.source === o.target) && o.kind !== 'symlink')
    t.same(devOps.map(label), [
      'mount /dev/zero -> strict:/dev/zero',
      'mount /dev/full -> strict:/dev/full',
      'mount /dev/random -> strict:/dev/random',
      'mount /dev/urandom -> strict:/dev/urandom',
      'mount /dev/tty -> strict:/dev/tty',
      'mount /dev/null -> strict:/dev/null',
      'mkdir -> strict:/dev/i2c',
      'mount /dev/i2c/1 -> strict:/dev/i2c/1',
    ], 'a node the spec gives replaces runc\'s; /dev/ptmx stays the link')
    t.same(p.ops.filter(o => o.what.startsWith('bind /dev/i2c/1')).map(o => [o.key, o.what]), [['.linux.devices[1]', 'bind /dev/i2c/1 from the host (c 89:1)']])
    t.notOk(p.native.ops.some(o => o.uid !== undefined || o.gid !== undefined), 'a bound node keeps the host\'s owner')
  })

  t.test('without a network namespace of its own: the host\'s /sys, bound and remounted with its options', async t => {
    const p = mustPlan(t, plan({
      ...USERNS_SPEC,
      linux: { ...USERNS_SPEC.linux, namespaces: USERNS_SPEC.linux.namespaces.filter(ns => ns.type !== 'network') },
    }))
    const sys = p.native.ops.filter(o => o.target === '/sys')
    t.same(sys.map(o => [o.source, o.fstype, o.flags, o.create, o.resolve]), [
      ['/sys', undefined, MS.BIND | MS.REC, 'dir', 'strict'],
      [undefined, undefined, MS.REMOUNT | MS.BIND | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RDONLY, undefined, 'strict'],
    ])
    t.same(p.ops.filter(o => o.key === '.mounts[5]').map(o => o.what), ["bind /sys on /sys (sysfs needs a network namespace of the container's own)", 'apply the options of /sys (bind remount)'])
    const rw = mustPlan(t, plan({
      ...USERNS_SPEC,
      hostname: undefined,
      mounts: [{ destination: '/sys', type: 'sysfs', source: 'sysfs' }],
      linux: { ...USERNS_SPEC.linux, namespaces: [{ type: 'mount' }, { type: 'user' }] },
    }))
    t.equal(rw.native.ops.filter(o => o.target === '/sys')[1]?.flags, MS.REMOUNT | MS.BIND | MS.NOSUID | MS.NODEV | MS.NOEXEC,
      'read-write when asked; nosuid, nodev and noexec kept, as the host\'s /sys has them locked')
  })

  t.test('cgroups: cgroup v1 can\'t be mounted in it, so the container\'s own directories are bound in; cgroup2 can', async t => {
    const cgroupSpec = {
      ...USERNS_SPEC,
      mounts: [{ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'ro'] }],
      linux: { ...USERNS_SPEC.linux, namespaces: [...USERNS_SPEC.linux.namespaces, { type: 'cgroup' }] },
    }
    for (const mode of ['v1', 'hybrid'] as const) {
      const ops = mustPlan(t, plan(cgroupSpec, { host: { ...HOST, cgroups: cgroups(mode) } })).native.ops.filter(o => o.target.startsWith('/sys/fs/cgroup'))
      t.notOk(ops.some(o => o.fstype === 'cgroup' || o.fstype === 'cgroup2'), `${mode}: no cgroup mount`)
      t.ok(ops.some(o => o.source === '/sys/fs/cgroup/memory/c1' && o.target === '/sys/fs/cgroup/memory'), `${mode}: the container's own memory cgroup, bound`)
    }
    const v2 = mustPlan(t, plan(cgroupSpec, { host: { ...HOST, cgroups: cgroups('v2') } })).native.ops.filter(o => o.target.startsWith('/sys/fs/cgroup'))
    t.same(v2.map(o => o.fstype), ['cgroup2'], 'v2: cgroup2 in the container\'s cgroup namespace')
  })

  t.test('the ids lite and the app take must be mapped', async t => {
    const r = plan({
      ...USERNS_SPEC,
      process: { ...USERNS_SPEC.process, user: { uid: 2001, gid: 5, additionalGids: [10, 3000] } },
      linux: { ...USERNS_SPEC.linux, uidMappings: [{ containerID: 1, hostID: 1000, size: 2000 }], gidMappings: [{ containerID: 1, hostID: 1000, size: 2999 }] },
    })
    t.equal(r.plan, undefined)
    t.matchSnapshot(r.errors.map(e => `${e.path}: ${e.message}`), 'errors')
    t.same(r.errors.map(e => e.path), ['.linux.uidMappings', '.linux.gidMappings', '.process.user.uid', '.process.user.additionalGids[1]'])
  })

  t.test('joined by path: opened by the caller like the others, no maps; nodes and /sys still bound', async t => {
    const p = mustPlan(t, plan({
      ...USERNS_SPEC,
      hostname: undefined,
      linux: {
        ...USERNS_SPEC.linux,
        namespaces: [{ type: 'mount' }, { type: 'user', path: '/proc/42/ns/user' }],
        uidMappings: [],
        gidMappings: [],
      },
    }))
    t.same(p.joinNamespaces, [{ kind: 'user', path: '/proc/42/ns/user', at: '.linux.namespaces[1].path' }])
    t.same(p.native.namespaces, ['mount'])
    t.equal(p.native.userNs, undefined)
    t.notOk(p.native.ops.some(o => o.kind === 'mknod'))
    t.equal(p.native.ops.find(o => o.target === '/sys')?.source, '/sys')
  })

  t.test('without a mount namespace of its own, /dev\'s nodes can\'t be made', async t => {
    const r = plan({ ...BASE, linux: { namespaces: [{ type: 'pid' }, { type: 'user' }], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] } })
    t.same(r.errors.map(e => `${e.path}: ${e.message}`), [
      '.linux.namespaces[1]: a user namespace cannot have the device nodes of /dev without a mount namespace of the container\'s own (linux.namespaces has no "mount"): mknod is refused in it, and a bind would land in the host\'s mounts',
    ])
  })

  t.test('lite-oci spec --rootless, as root: planned', async t => {
    const rootless = exampleSpec({ cgroupNamespace: true, rootless: { uid: 0, gid: 0 } }) as any
    const p = mustPlan(t, plan(rootless, { host: { ...HOST, cgroups: cgroups('v2') } }))
    t.same(p.native.userNs?.uidMap, [{ containerId: 0, hostId: 0, size: 1 }])
    t.ok(p.native.namespaces.includes('user') && !p.native.namespaces.includes('net'))
  })
})

t.test('the root', async t => {
  t.test('read-only: the last late op; a read-only tmpfs is remounted read-only after pivot_root, first', async t => {
    const p = mustPlan(t, plan({
      ...BASE,
      root: { path: 'rootfs', readonly: true },
      mounts: [{ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'ro', 'size=1m'] }],
      linux: { ...BASE.linux, sysctl: {}, maskedPaths: ['/proc/kcore'] },
    }))
    const run = p.native.ops.filter(o => o.target === '/run')
    t.same(run.map(o => [o.flags, o.afterPivot]), [[MS.NOSUID, false], [MS.REMOUNT | MS.BIND | MS.NOSUID | MS.RDONLY, true]])
    const late = p.native.ops.filter(o => o.afterPivot).map(label)
    t.same(late, ['late mount -> root:/run', 'late mask -> strict:/proc/kcore', 'late mount -> strict:/'])
    const writable = mustPlan(t, plan(BASE))
    t.notOk(writable.native.ops.some(o => o.target === '/' && o.afterPivot), 'a writable root is left as it is')
  })

  t.test('--no-pivot moves the root; a private propagation is refused then, as runc does', async t => {
    t.equal(mustPlan(t, plan(BASE, { noPivot: true })).native.rootEntry, 'move')
    const r = plan(withLinux({ rootfsPropagation: 'rprivate' }), { noPivot: true })
    t.match(r.errors, [{ path: '.linux.rootfsPropagation', message: /not safe without pivot_root/ }])
  })

  t.test('rootfsPropagation: the flags of "/"; shared and unbindable also on the new root after pivot_root', async t => {
    const slave = mustPlan(t, plan(withLinux({ rootfsPropagation: 'slave' })))
    t.equal(slave.native.rootPropagation, MS.SLAVE)
    t.notOk(slave.native.ops.some(o => o.afterPivot && o.target === '/'))
    const shared = mustPlan(t, plan(withLinux({ rootfsPropagation: 'rshared' })))
    t.equal(shared.native.rootPropagation, MS.PRIVATE | MS.REC, 'private until pivot_root, which refuses a shared parent')
    t.same(shared.native.ops.find(o => o.afterPivot), { kind: 'mount', resolve: 'strict', target: '/', flags: MS.SHARED | MS.REC, optional: false, mode: 0, major: 0, minor: 0, afterPivot: true })
    t.match(plan(withLinux({ rootfsPropagation: 'sideways' })).errors, [{ path: '.linux.rootfsPropagation', message: /is not a propagation/ }])
  })

  t.test('a root that is not a directory', async t => {
    t.match(plan(BASE, { isDirectory: () => false }).errors, [{ path: '.root.path', message: `${BUNDLE}/rootfs is not a directory` }])
  })
})

t.test('mounts', async t => {
  t.test("runc's /proc rules, and what lite can't mount", async t => {
    const r = plan({
      ...BASE,
      mounts: [
        { destination: '/proc', type: 'tmpfs', source: 'tmpfs' },
        { destination: '/proc/sys/kernel', type: 'tmpfs', source: 'tmpfs' },
        { destination: '/proc/meminfo', type: 'bind', source: '/var/lib/lxcfs/proc/meminfo', options: ['bind'] },
        { destination: '/', type: 'tmpfs', source: 'tmpfs' },
        { destination: '/data', type: 'bind', source: '/srv/missing', options: ['rbind'] },
        { destination: '/ro', type: 'bind', source: '/srv/ro', options: ['rbind', 'rro'] },
        { destination: '/x', source: 'x', options: ['nosuid'] },
        { destination: '/y', type: 'bind', source: '/srv/y', options: ['bind', 'size=1m'] },
        { destination: '/sys/fs/cgroup/memory', type: 'cgroup2', source: 'cgroup2' },
      ],
    })
    t.matchSnapshot(r.errors.map(e => `${e.path}: ${e.message}`), 'errors')
    t.equal(r.errors.length, 6, 'the lxcfs file and a plain cgroup2 mount are fine')
    t.match(r.warnings, [/\.mounts\[7\]\.options: "size=1m" ignored: a bind mount takes no filesystem options/], "a bind's filesystem options are ignored, as runc's and crun's")
  })

  t.test('procfs and sysfs are mounted without following symlinks; others inside the root', async t => {
    const p = mustPlan(t, plan(RUNC_SPEC))
    t.same(p.native.ops.slice(1, 4).map(label), ['mount proc -> strict:/proc', 'mount tmpfs -> root:/dev', 'mount devpts -> root:/dev/pts'])
  })

  t.test('a cgroup mount on a v2 host, read-write; a host without cgroups', async t => {
    const v2 = mustPlan(t, plan({ ...BASE, linux: { namespaces: [{ type: 'mount' }, { type: 'cgroup' }] }, mounts: [{ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid'] }] },
      { host: { ...HOST, cgroups: cgroups('v2') } }))
    t.same(v2.native.ops.filter(o => o.target.startsWith('/sys/fs/cgroup')).map(o => [o.fstype, o.flags, o.create]), [['cgroup2', MS.NOSUID, 'dir']])
    const none = plan({ ...BASE, mounts: [{ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup' }] }, { host: { ...HOST, cgroups: undefined } })
    t.match(none.warnings, [/no cgroup hierarchies, so nothing is mounted on \/sys\/fs\/cgroup/])
  })
})

t.test('/dev', async t => {
  t.test("runc's default nodes and links after the mounts, then linux.devices", async t => {
    const r = plan({
      ...BASE,
      mounts: [{ destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755'] }],
      linux: {
        ...BASE.linux,
        devices: [
          { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o600 },
          { path: '/dev/i2c/1', type: 'c', major: 89, minor: 1, fileMode: 0o660, gid: 998 },
          { path: '/dev/sda', type: 'b', major: 8, minor: 0 },
          { path: '/dev/fifo', type: 'p' },
          { path: '/dev/ptmx', type: 'c', major: 5, minor: 2 },
        ],
      },
    }, { exists: () => true })
    const p = mustPlan(t, r)
    t.same(p.native.ops.map(label), [
      `mount -> host:${BUNDLE}/rootfs`,
      'mount tmpfs -> root:/dev',
      'mkdir -> strict:/dev',
      'mknod -> strict:/dev/zero',
      'mknod -> strict:/dev/full',
      'mknod -> strict:/dev/random',
      'mknod -> strict:/dev/urandom',
      'mknod -> strict:/dev/tty',
      'mknod -> strict:/dev/null',
      'mkdir -> strict:/dev/i2c',
      'mknod -> strict:/dev/i2c/1',
      'mknod -> strict:/dev/sda',
      'mknod -> strict:/dev/fifo',
      'symlink pts/ptmx -> strict:/dev/ptmx',
      'symlink /proc/self/fd -> strict:/dev/fd',
      'symlink /proc/self/fd/0 -> strict:/dev/stdin',
      'symlink /proc/self/fd/1 -> strict:/dev/stdout',
      'symlink /proc/self/fd/2 -> strict:/dev/stderr',
      'symlink /proc/kcore -> strict:/dev/core',
    ], 'a device the spec redefines replaces runc\'s; /dev/ptmx stays the link to pts/ptmx')
    const node = (path: string) => p.native.ops.find(o => o.target === path)!
    t.same([node('/dev/null').mode, node('/dev/null').major, node('/dev/null').minor], [S_IFCHR | 0o600, 1, 3])
    t.same([node('/dev/sda').mode, node('/dev/sda').major], [S_IFBLK | 0o666, 8])
    t.same([node('/dev/fifo').mode, node('/dev/fifo').major], [0o010000 | 0o666, 0])
    t.equal(p.ops.find(o => o.what.startsWith('create /dev/i2c/1'))?.key, '.linux.devices[1]')
    t.same(r.warnings, [])
    t.same([node('/dev/i2c/1').uid, node('/dev/i2c/1').gid], [0, 998], 'the node gets the owner the spec gives')
    t.same([node('/dev/sda').uid, node('/dev/sda').gid], [undefined, undefined], 'root: nothing to change')
    t.notOk(p.deviceRules!.includes('c 1:3 rwm'), "the redefined /dev/null's default allow is dropped too, as runc does")
  })

  t.test('/dev bound from the host: no nodes, no links', async t => {
    const p = mustPlan(t, plan({ ...BASE, mounts: [{ destination: '/dev/', type: 'bind', source: '/dev', options: ['rbind'] }] }))
    t.notOk(p.native.ops.some(o => o.kind === 'mknod' || o.kind === 'symlink'))
  })
})

t.test('after pivot_root: sysctls, read-only paths, masked paths, then the read-only root', async t => {
  const r = plan(withLinux({
    namespaces: [{ type: 'mount' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }],
    sysctl: { 'net.ipv4.ip_forward': '1', 'net/ipv4/conf/eth0.100/rp_filter': '2', 'net.ipv4.conf.eth0/100.forwarding': '1', 'kernel.shmmax': '65536', 'kernel.domainname': 'example.org' },
    readonlyPaths: ['/proc/sys', '/etc/app.conf'],
    maskedPaths: ['/proc/kcore', '/secret'],
  }, { root: { path: 'rootfs', readonly: true } }))
  const p = mustPlan(t, r)
  t.same(p.native.ops.filter(o => o.afterPivot).map(o => `${label(o)}${o.data ? ` = ${o.data}` : ''}`), [
    'late write -> strict:/proc/sys/net/ipv4/ip_forward = 1',
    'late write -> strict:/proc/sys/net/ipv4/conf/eth0.100/rp_filter = 2',
    'late write -> strict:/proc/sys/net/ipv4/conf/eth0.100/forwarding = 1',
    'late write -> strict:/proc/sys/kernel/shmmax = 65536',
    'late write -> strict:/proc/sys/kernel/domainname = example.org',
    'late mount -> strict:/proc/sys',
    'late mount -> strict:/proc/sys',
    'late mount -> strict:/etc/app.conf',
    'late mount -> strict:/etc/app.conf',
    'late mask -> strict:/proc/kcore',
    'late mask -> strict:/secret',
    'late mount -> strict:/',
  ])
  t.ok(p.native.ops.filter(o => o.kind === 'mask' || (o.afterPivot && o.target !== '/' && o.kind === 'mount')).every(o => o.optional), 'a path the kernel or the rootfs lacks is skipped')
  t.equal(p.native.ops.find(o => o.target === '/etc/app.conf' && o.flags & MS.REMOUNT)?.flags, MS.REMOUNT | MS.BIND | MS.RDONLY, 'a path of the root keeps its flags')

  const bad = plan(withLinux({
    namespaces: [{ type: 'mount' }, { type: 'uts' }],
    sysctl: { 'kernel.hostname': 'x', 'vm.swappiness': '10', 'net.core.somaxconn': '1024', 'fs.mqueue.msg_max': '10', 'user.max_user_namespaces': '0', 'net..x': '1', 'net.ipv4.ip_forward': 'a\u0000b' },
  }))
  t.matchSnapshot(bad.errors.map(e => `${e.path}: ${e.message}`), "runc's sysctl rules")
})

t.test('the process', async t => {
  t.test('capability sets: names to numbers; none given is none at all; unknown ones warned of', async t => {
    const none = mustPlan(t, plan(BASE)).native
    t.same([none.caps, none.capSets], [[], { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] }])
    const r = plan({ ...BASE, process: { ...BASE.process, capabilities: { bounding: ['CAP_SYS_ADMIN', 'CAP_BOGUS', 'CAP_SYS_ADMIN'], inheritable: ['CAP_KILL'], ambient: ['NET_ADMIN'] } } })
    const n = mustPlan(t, r).native
    t.same(n.capSets, { bounding: [CAP.SYS_ADMIN], effective: [], permitted: [], inheritable: [CAP.KILL], ambient: [] })
    t.same(r.warnings, ['.process.capabilities: unknown capabilities ignored (as runc does): CAP_BOGUS, NET_ADMIN'])
  })

  t.test('ambient capabilities that are not permitted and inheritable are dropped with a warning (crun spec lists them)', async t => {
    const caps = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']
    const crunSpec = plan({ ...BASE, process: { ...BASE.process, capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: caps } } })
    t.same(mustPlan(t, crunSpec).native.capSets?.ambient, [])
    t.same(crunSpec.warnings, ['.process.capabilities.ambient: not raised, as they are not both permitted and inheritable: CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE'])
    const some = plan({ ...BASE, process: { ...BASE.process, capabilities: { bounding: caps, effective: caps, permitted: ['CAP_KILL', 'CAP_AUDIT_WRITE'], inheritable: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'], ambient: caps } } })
    t.same(mustPlan(t, some).native.capSets?.ambient, [CAP.KILL], 'only the one both permitted and inheritable')
    t.same(some.warnings, ['.process.capabilities.ambient: not raised, as they are not both permitted and inheritable: CAP_AUDIT_WRITE, CAP_NET_BIND_SERVICE'])
  })

  t.test('rlimits as given, applied early; infinity; unknown, twice, soft above hard', async t => {
    const n = mustPlan(t, plan({ ...BASE, process: { ...BASE.process, rlimits: [{ type: 'RLIMIT_CORE', soft: -1, hard: -1 }, { type: 'RLIMIT_NOFILE', soft: 64, hard: 2 ** 64 }] } })).native
    t.same(n.rlimits, [{ resource: RLIMIT.core, soft: -1, hard: -1 }, { resource: RLIMIT.nofile, soft: 64, hard: -1 }])
    t.equal(n.rlimitsEarly, true)
    const bad = plan({ ...BASE, process: { ...BASE.process, rlimits: [{ type: 'RLIMIT_FOO', soft: 1, hard: 1 }, { type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }, { type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }, { type: 'RLIMIT_CPU', soft: 9, hard: 3 }, { type: 'RLIMIT_CONSTRUCTOR', soft: 1, hard: 1 }] } })
    t.same(bad.errors.map(e => e.path), ['.process.rlimits[0].type', '.process.rlimits[2].type', '.process.rlimits[3]', '.process.rlimits[4].type'])
  })

  t.test('the command: PATH from the process env; none; cwd made when missing', async t => {
    const n = mustPlan(t, plan({ ...BASE, process: { args: ['app'], env: ['PATH=/opt/bin:/bin'], cwd: '/work' } })).native
    t.same(n.execCandidates, ['/opt/bin/app', '/bin/app'])
    t.same(n.ops.filter(o => o.target === '/work'), [{ kind: 'mkdir', resolve: 'root', target: '/work', mode: 0o755, flags: 0, optional: false, major: 0, minor: 0, afterPivot: false }])
    t.match(plan({ ...BASE, process: { args: ['app'], env: [], cwd: '/' } }).errors, [{ path: '.process.env', message: /"app": executable file not found in \$PATH/ }])
    t.match(plan({ ...BASE, process: { args: [], cwd: '/' } }).errors, [{ path: '.process.args' }])
    t.match(plan({ root: { path: 'rootfs' }, linux: BASE.linux }).errors, [{ path: '.process' }])
  })

  t.test('what lite does not apply is warned of', async t => {
    const r = plan({ ...BASE, process: { ...BASE.process, selinuxLabel: 'system_u:system_r:container_t:s0' }, linux: { ...BASE.linux, mountLabel: 'system_u:object_r:container_file_t:s0' } })
    t.same(r.warnings, [
      '.process.selinuxLabel "system_u:system_r:container_t:s0" ignored: lite applies no SELinux label',
      '.linux.mountLabel "system_u:object_r:container_file_t:s0" ignored: lite applies no SELinux label',
    ])
  })
})

t.test('seccomp', async t => {
  t.test('the OCI profile through the Docker-format parser, 64-bit values exact', async t => {
    const s = spec(withLinux({
      seccomp: {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 1, value: 0xffffffff00000000n, valueTwo: 0x1234_0000_0000n, op: 'SCMP_CMP_MASKED_EQ' }] }],
      },
    }))
    t.same(ociSeccompProfile(s.linux.seccomp!), {
      profile: { defaultAction: 'allow', rules: [{ names: ['ioctl'], action: 'errno', errnoRet: 1, args: [{ index: 1, op: 'masked_eq', value: '18446744069414584320', valueTwo: '20014547599360' }] }] },
      errors: [],
    })
    const arm = mustPlan(t, plan(withLinux({ seccomp: { defaultAction: 'SCMP_ACT_KILL_PROCESS', syscalls: [] } }), { arch: 'arm64' })).native.seccomp
    t.same(arm, { arch: 'aarch64', defaultAction: 'kill_process', rules: [] })
    t.equal(mustPlan(t, plan(BASE)).native.seccomp, undefined, 'no linux.seccomp: no filter, as runc')
  })

  t.test('errors at their JSON path', async t => {
    const r = plan(withLinux({
      seccomp: {
        defaultAction: 'SCMP_ACT_BOGUS',
        syscalls: [
          { names: ['read'], action: 'SCMP_ACT_ALLOW', errnoRet: 5 },
          { names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 7, value: 1, op: 'SCMP_CMP_EQ' }, { index: 0, value: 1, op: 'SCMP_CMP_LIKE' }] },
        ],
      },
    }))
    t.matchSnapshot(r.errors.map(e => `${e.path}: ${e.message}`), 'errors')
    t.match(plan(withLinux({ seccomp: { defaultAction: 'SCMP_ACT_ALLOW' } }), { arch: 'riscv64' }).errors, [{ path: '.linux.seccomp', message: /no seccomp support for riscv64/ }])
  })
})

// --- resources ---

const brief = (ws: { version: number; file: string; value: string; parentToo?: boolean }[]) => ws.map(w => `v${w.version} ${w.file}=${w.value}${w.parentToo ? ' (parent too)' : ''}`)

const ALL: any = {
  memory: { limit: 67108864, reservation: 33554432, swap: 100663296, swappiness: 10, disableOOMKiller: true, kernel: 1, kernelTCP: 1 },
  cpu: { shares: 1024, quota: 50000, period: 100000, burst: 1000, realtimeRuntime: 950, realtimePeriod: 1000, cpus: '0-1', mems: '0', idle: 0 },
  pids: { limit: -1 },
  blockIO: {
    weight: 500,
    leafWeight: 300,
    weightDevice: [{ major: 8, minor: 0, weight: 600 }],
    throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
    throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 100 }],
  },
  hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }],
  network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 5 }] },
}

t.test('resources', async t => {
  t.test('v1: every key, in the files runc and crun write', async t => {
    const r = ociCgroupWrites(resources(ALL), cgroups('v1'))
    t.same(r.errors, [])
    t.matchSnapshot(brief(r.writes), 'writes')
    t.matchSnapshot(r.warnings, 'warnings')
    t.ok(r.writes.every(w => w.key.startsWith('.linux.resources.')), 'each write keeps its JSON path')
  })

  t.test('v2: cpu.weight from shares (crun), cpu.max, swap.max = swap - limit, io.max', async t => {
    const { cpu: _cpu, ...rest } = ALL
    const r = ociCgroupWrites(resources({ ...rest, cpu: { shares: 1024, quota: 50000, cpus: '0-1', idle: 1 }, network: undefined }), cgroups('v2'))
    t.same(r.errors, [])
    t.matchSnapshot(brief(r.writes), 'writes')
    t.matchSnapshot(r.warnings, 'warnings')
    t.same(sharesToWeight(1024), 100, 'the default share is the default weight')
    t.same([sharesToWeight(2), sharesToWeight(262144), sharesToWeight(0)], [1, 10000, 1])
    t.same([blkioToIoWeight(10), blkioToIoWeight(500), blkioToIoWeight(1000)], [1, 4950, 10000])
    const rt = ociCgroupWrites(resources({ cpu: { realtimeRuntime: 950 }, memory: { limit: -1, swap: -1 } }), cgroups('v2'))
    t.same(brief(rt.writes), ['v2 memory.max=max', 'v2 memory.swap.max=max'])
    t.match(rt.errors, [{ path: '.linux.resources.cpu.realtimeRuntime', message: /not available with cgroup v2/ }])
    t.same(brief(ociCgroupWrites(resources({ memory: { limit: 1000, swap: 1000 } }), cgroups('v2')).writes), ['v2 memory.max=1000', 'v2 memory.swap.max=0'], 'swap = limit: no swap')
  })

  t.test('hybrid: each key where its controller is; unified keys into the v2 hierarchy', async t => {
    const r = ociCgroupWrites(resources({ memory: { limit: 1048576 }, hugepageLimits: [{ pageSize: '1GB', limit: 0 }], unified: { 'hugetlb.2MB.max': '0', 'cgroup.max.depth': '2', 'memory.high': '1M' } }), cgroups('hybrid'))
    t.same(brief(r.writes), ['v1 memory.limit_in_bytes=1048576', 'v2 hugetlb.1GB.max=0', 'v2 hugetlb.2MB.max=0', 'v2 cgroup.max.depth=2'])
    t.same(r.errors, [{ path: '.linux.resources.unified["memory.high"]', message: 'this host has memory on cgroup v1, not in its cgroup v2 hierarchy' }])
    const v1 = ociCgroupWrites(resources({ unified: { 'memory.high': '1M' } }), cgroups('v1'))
    t.match(v1.errors, [{ path: '.linux.resources.unified["memory.high"]', message: /no cgroup v2/ }])
    const unsafe = ociCgroupWrites(resources({ unified: { 'cgroup.procs': '1', '../x.y': '1', 'memory.max': 'a\nb' } }), cgroups('v2'))
    t.same(unsafe.errors.map(e => e.path), ['.linux.resources.unified["cgroup.procs"]', '.linux.resources.unified["../x.y"]', '.linux.resources.unified["memory.max"]'])
  })

  t.test('a missing controller or kernel file names the JSON path', async t => {
    const noMem: HostCgroups = { layout: { ...layout('v1'), controllers: layout('v1').controllers.filter(c => c.controller !== 'memory') }, hasFile: () => true }
    t.matchSnapshot(ociCgroupWrites(resources({ memory: { limit: 1 } }), noMem).errors, 'no memory controller')
    const v2 = ociCgroupWrites(resources({ network: { classID: 1, priorities: [] } }), cgroups('v2'))
    t.same(v2.errors, [{ path: '.linux.resources.network.classID', message: 'this host has no net_cls cgroup controller' }])
    const noBfq = ociCgroupWrites(resources({ blockIO: { weight: 100 } }), cgroups('v1', ['blkio.bfq.weight']))
    t.match(noBfq.errors, [{ path: '.linux.resources.blockIO.weight', message: /BFQ/ }])
    const noSwap = ociCgroupWrites(resources({ memory: { limit: 10, swap: 20 } }), cgroups('v1', ['memory.memsw.limit_in_bytes']))
    t.same([noSwap.errors, brief(noSwap.writes)], [[], ['v1 memory.limit_in_bytes=10']], "no swap accounting: the swap value is skipped, as crun does")
    t.match(noSwap.warnings, [/no swap accounting/])
    const swap = ociCgroupWrites(resources({ memory: { limit: 100, swap: 50 } }), cgroups('v1'))
    t.match(swap.errors, [{ path: '.linux.resources.memory.swap', message: /at least the memory limit/ }])
    t.match(ociCgroupWrites(resources({ hugepageLimits: [{ pageSize: '2M', limit: 1 }] }), cgroups('v1')).errors, [{ path: '.linux.resources.hugepageLimits[0].pageSize' }])
    t.same(ociCgroupWrites(undefined, cgroups('v1')), { writes: [], errors: [], warnings: [] })
  })

  t.test('in the plan: the writes carry config.json as origin; errors stop the plan', async t => {
    const p = mustPlan(t, plan(withLinux({ resources: { pids: { limit: 10 } } })))
    t.same(p.cgroupWrites, [{ controller: 'pids', version: 1, file: 'pids.max', value: '10', key: '.linux.resources.pids.limit', origin: { file: SPEC_FILE, line: 0 } }])
    t.match(plan(withLinux({ resources: { cpu: { realtimeRuntime: 1 } } }), { host: { ...HOST, cgroups: cgroups('v2') } }).errors, [{ path: '.linux.resources.cpu.realtimeRuntime' }])
    t.match(plan(withLinux({ resources: { pids: { limit: 10 } } }), { host: { ...HOST, cgroups: undefined } }).warnings, ['.linux.resources ignored: this host has no cgroups'])
  })
})

t.test('device rules', async t => {
  const rules = (devices: any[], extra: any = {}) => deviceRuleList(spec(withLinux({ ...extra, resources: { devices } })))
  const DEFAULTS = ['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:8 rwm', 'c 1:7 rwm', 'c 5:0 rwm', 'c 1:5 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 5:2 rwm', 'c 10:200 rwm']
  t.same(rules([]).rules, DEFAULTS, "no rules: runc's defaults alone (a deny-all start)")
  t.same(rules([{ allow: false, access: 'rwm' }, { allow: true, type: 'b', major: 8, access: 'r' }, { allow: true, type: 'b', major: 8, access: 'w' }]).rules,
    ['b 8:* rw', ...DEFAULTS], 'rules for one device merge their access')
  t.same(rules([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 4, minor: 1, access: 'rw' }, { allow: false, type: 'c', major: 4, minor: 1, access: 'w' }]).rules,
    ['c 4:1 r', ...DEFAULTS], 'a deny takes back part of an allow')
  t.equal(rules([{ allow: true, access: 'rwm' }]).rules, 'all', 'allow all: no confinement')
  t.equal(rules([{ allow: false, access: 'rwm' }, { allow: true, type: 'a', access: 'rwm' }]).rules, 'all')
  t.same(rules([{ allow: false, access: 'rwm' }], { devices: [{ path: '/dev/tty', type: 'c', major: 5, minor: 0 }] }).rules, DEFAULTS.filter(r => r !== 'c 5:0 rwm'),
    "a default device the spec redefines loses its allow, as in runc's specconv")

  t.equal(rules([{ allow: true, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'rwm' }]).rules, 'all', "runc's default allows come last and take back a deny of /dev/null")
  const denyAfterAll = rules([{ allow: true, access: 'rwm' }, { allow: false, type: 'c', major: 4, minor: 1, access: 'rwm' }])
  t.match(denyAfterAll, { rules: [], errors: [{ path: '.linux.resources.devices[1]', message: /after allowing every device/ }] })
  const hole = rules([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'r' }])
  t.match(hole.errors, [{ path: '.linux.resources.devices[2]', message: /punch a hole in the wildcard rule c \*:\* rwm/ }])
  t.match(rules([{ allow: false, access: 'rwx' }]).errors, [{ path: '.linux.resources.devices[0].access' }])

  t.same(ociDeviceRules(spec(withLinux({ resources: { devices: [{ allow: true, access: 'rwm' }] } }))), 'all')
  t.throws(() => ociDeviceRules(spec(withLinux({ resources: { devices: [{ allow: true, access: 'rwm' }, { allow: false, type: 'b', access: 'w' }] } }))),
    { name: 'DeviceRuleError', errors: [{ path: '.linux.resources.devices[1]' }] })
  t.match(plan(withLinux({ resources: { devices: [{ allow: true, access: 'rwm' }, { allow: false, type: 'b', access: 'w' }] } })).errors, [{ path: '.linux.resources.devices[1]' }])
})
