// runtime/oci/validate.ts: config.json, untrusted, to an OciSpec or to every error in
// it, each named by its JSON path. Valid configs come from `runc spec`, `crun spec` and
// podman; the malformed ones are snapshots of the error text a user would read.

import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { formatSpecErrors, MAX_SHOWN_ERRORS, parseSpec, readSpec, SPEC_FILE_LIMIT } from '../../runtime/oci/validate.ts'
import { HOOK_KINDS, type OciSpec } from '../../runtime/oci/spec.ts'

/** `runc spec` of runc 1.1.5, as it wrote it (tabs and all). */
const RUNC_SPEC = `{
	"ociVersion": "1.0.2-dev",
	"process": {
		"terminal": true,
		"user": {
			"uid": 0,
			"gid": 0
		},
		"args": [
			"sh"
		],
		"env": [
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"TERM=xterm"
		],
		"cwd": "/",
		"capabilities": {
			"bounding": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"effective": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"permitted": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"ambient": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			]
		},
		"rlimits": [
			{
				"type": "RLIMIT_NOFILE",
				"hard": 1024,
				"soft": 1024
			}
		],
		"noNewPrivileges": true
	},
	"root": {
		"path": "rootfs",
		"readonly": true
	},
	"hostname": "runc",
	"mounts": [
		{
			"destination": "/proc",
			"type": "proc",
			"source": "proc"
		},
		{
			"destination": "/dev",
			"type": "tmpfs",
			"source": "tmpfs",
			"options": [
				"nosuid",
				"strictatime",
				"mode=755",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/pts",
			"type": "devpts",
			"source": "devpts",
			"options": [
				"nosuid",
				"noexec",
				"newinstance",
				"ptmxmode=0666",
				"mode=0620",
				"gid=5"
			]
		},
		{
			"destination": "/dev/shm",
			"type": "tmpfs",
			"source": "shm",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"mode=1777",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/mqueue",
			"type": "mqueue",
			"source": "mqueue",
			"options": [
				"nosuid",
				"noexec",
				"nodev"
			]
		},
		{
			"destination": "/sys",
			"type": "sysfs",
			"source": "sysfs",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"ro"
			]
		},
		{
			"destination": "/sys/fs/cgroup",
			"type": "cgroup",
			"source": "cgroup",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"relatime",
				"ro"
			]
		}
	],
	"linux": {
		"resources": {
			"devices": [
				{
					"allow": false,
					"access": "rwm"
				}
			]
		},
		"namespaces": [
			{
				"type": "pid"
			},
			{
				"type": "network"
			},
			{
				"type": "ipc"
			},
			{
				"type": "uts"
			},
			{
				"type": "mount"
			}
		],
		"maskedPaths": [
			"/proc/acpi",
			"/proc/asound",
			"/proc/kcore",
			"/proc/keys",
			"/proc/latency_stats",
			"/proc/timer_list",
			"/proc/timer_stats",
			"/proc/sched_debug",
			"/sys/firmware",
			"/proc/scsi"
		],
		"readonlyPaths": [
			"/proc/bus",
			"/proc/fs",
			"/proc/irq",
			"/proc/sys",
			"/proc/sysrq-trigger"
		]
	}
}`

/**
 * What podman 4.3.1 wrote for `podman create --rootfs DIR /bin/busybox sh` (podman
 * writes it on one line), with the container id shortened and the seccomp profile's
 * long allow list cut to its first names.
 */
const PODMAN_SPEC = {
  ociVersion: '1.0.2-dev',
  process: {
    user: { uid: 0, gid: 0, umask: 18 },
    args: ['/bin/busybox', 'sh'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm', 'HOSTNAME=6a0e1f1c5b2d'],
    cwd: '/',
    capabilities: {
      bounding: [
        'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP',
        'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
      ],
      effective: [
        'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP',
        'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
      ],
      permitted: [
        'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP',
        'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
      ],
    },
    rlimits: [
      { type: 'RLIMIT_NOFILE', hard: 1048576, soft: 1048576 },
      { type: 'RLIMIT_NPROC', hard: 32768, soft: 32768 },
    ],
  },
  root: { path: '/var/lib/containers/storage/overlay/3f2a9c/merged' },
  hostname: '6a0e1f1c5b2d',
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'noexec', 'strictatime', 'mode=755', 'size=65536k'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/etc/resolv.conf',
      type: 'bind',
      source: '/run/containers/storage/overlay-containers/6a0e1f1c5b2d/userdata/resolv.conf',
      options: ['bind', 'rprivate'],
    },
    {
      destination: '/etc/hosts',
      type: 'bind',
      source: '/run/containers/storage/overlay-containers/6a0e1f1c5b2d/userdata/hosts',
      options: ['bind', 'rprivate'],
    },
    {
      destination: '/dev/shm',
      type: 'bind',
      source: '/var/lib/containers/storage/overlay-containers/6a0e1f1c5b2d/userdata/shm',
      options: ['bind', 'rprivate', 'nosuid', 'noexec', 'nodev'],
    },
    {
      destination: '/run/.containerenv',
      type: 'bind',
      source: '/run/containers/storage/overlay-containers/6a0e1f1c5b2d/userdata/.containerenv',
      options: ['bind', 'rprivate'],
    },
    {
      destination: '/etc/hostname',
      type: 'bind',
      source: '/run/containers/storage/overlay-containers/6a0e1f1c5b2d/userdata/hostname',
      options: ['bind', 'rprivate'],
    },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['rprivate', 'nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
    },
  ],
  annotations: {
    'io.container.manager': 'libpod',
    'io.kubernetes.cri-o.Created': '2026-12-03T11:28:46.018934283Z',
    'io.kubernetes.cri-o.TTY': 'false',
    'io.podman.annotations.autoremove': 'FALSE',
    'io.podman.annotations.init': 'FALSE',
    'io.podman.annotations.privileged': 'FALSE',
    'io.podman.annotations.publish-all': 'FALSE',
    'org.opencontainers.image.stopSignal': '15',
  },
  linux: {
    sysctl: { 'net.ipv4.ping_group_range': '0 0' },
    resources: { devices: [{ allow: false, access: 'rwm' }], pids: { limit: 2048 } },
    cgroupsPath: '/libpod_parent/libpod-6a0e1f1c5b2d',
    namespaces: [
      { type: 'pid' },
      { type: 'network', path: '/run/netns/netns-beef94d5-461a-888a-1ca5-5a82bbb82c4b' },
      { type: 'ipc' },
      { type: 'uts' },
      { type: 'mount' },
    ],
    seccomp: {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 38,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [
        {
          names: ['bdflush', 'io_pgetevents', 'kexec_file_load', 'kexec_load', 'migrate_pages', 'move_pages'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 1,
        },
        {
          names: [
            '_llseek', '_newselect', 'accept', 'accept4', 'access', 'adjtimex', 'alarm', 'bind', 'brk', 'capget',
            'capset', 'chdir',
          ],
          action: 'SCMP_ACT_ALLOW',
        },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 131072, op: 'SCMP_CMP_EQ' }] },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 131080, op: 'SCMP_CMP_EQ' }] },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 4294967295, op: 'SCMP_CMP_EQ' }] },
        { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW' },
        { names: ['modify_ldt'], action: 'SCMP_ACT_ALLOW' },
        { names: ['open_by_handle_at'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
        {
          names: [
            'bpf', 'fanotify_init', 'lookup_dcookie', 'perf_event_open', 'quotactl', 'setdomainname', 'sethostname',
            'setns',
          ],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 1,
        },
        { names: ['chroot'], action: 'SCMP_ACT_ALLOW' },
        {
          names: ['delete_module', 'finit_module', 'init_module', 'query_module'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 1,
        },
        { names: ['acct'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
        { names: ['kcmp', 'process_madvise'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
        { names: ['ioperm', 'iopl'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
        { names: ['clock_settime', 'clock_settime64', 'settimeofday', 'stime'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
        { names: ['vhangup'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
        {
          names: ['socket'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 22,
          args: [{ index: 0, value: 16, op: 'SCMP_CMP_EQ' }, { index: 2, value: 9, op: 'SCMP_CMP_EQ' }],
        },
        { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 2, value: 9, op: 'SCMP_CMP_NE' }] },
        { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 16, op: 'SCMP_CMP_NE' }] },
        { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 2, value: 9, op: 'SCMP_CMP_NE' }] },
      ],
    },
    maskedPaths: [
      '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
      '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/fs/selinux', '/sys/dev/block',
    ],
    readonlyPaths: ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
  },
}

// A config that is the smallest valid one; each malformed case below changes it.
const MINIMAL = {
  ociVersion: '1.2.0',
  root: { path: 'rootfs' },
  process: { user: { uid: 0, gid: 0 }, args: ['/bin/app'], cwd: '/' },
  linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }] },
}

/** a config.json being broken on purpose: any shape at all */
type Config = any

/**
 * MINIMAL changed by `change`, as JSON text. A JS number cannot hold 2^64-1 or 2^63-1,
 * so the rounded forms JSON.stringify writes for them are put back exact.
 */
function minimalWith(change: (c: Config) => void): string {
  const c = structuredClone(MINIMAL) as Config
  change(c)
  return JSON.stringify(c, null, 2)
    .replaceAll('18446744073709552000', '18446744073709551615')
    .replaceAll('9223372036854776000', '9223372036854775807')
}

function valid(t: Test, text: string): OciSpec {
  const r = parseSpec(text, 'config.json')
  t.same(r.errors, [], 'no errors')
  if (!r.spec) throw new Error(formatSpecErrors('config.json', r.errors))
  return r.spec
}

function errorText(text: string): string {
  const r = parseSpec(text, 'config.json')
  return formatSpecErrors('config.json', r.errors)
}

const NO_HOOKS = Object.fromEntries(HOOK_KINDS.map(k => [k, []]))

t.test('runc spec', async t => {
  const spec = valid(t, RUNC_SPEC)
  t.equal(spec.ociVersion, '1.0.2-dev')
  t.same(spec.root, { path: 'rootfs', readonly: true })
  t.same(spec.process, {
    terminal: true,
    user: { uid: 0, gid: 0, additionalGids: [] },
    args: ['sh'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
    cwd: '/',
    capabilities: {
      bounding: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      effective: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      inheritable: [],
      permitted: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      ambient: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
    },
    rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }],
    noNewPrivileges: true,
  })
  t.equal(spec.hostname, 'runc')
  t.same(spec.mounts[0], { destination: '/proc', type: 'proc', source: 'proc', options: [] })
  t.same(spec.mounts.map(m => m.destination), ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup'])
  t.same(spec.linux.namespaces, [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }])
  t.same(spec.linux.resources, { devices: [{ allow: false, access: 'rwm' }], hugepageLimits: [], unified: {} })
  t.equal(spec.linux.maskedPaths.length, 10)
  t.same(spec.linux.readonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'])
  t.same(spec.hooks, NO_HOOKS, 'every hook kind, empty')
  t.same(spec.annotations, {})
  t.same(spec.linux.uidMappings, [])
  t.same(spec.linux.sysctl, {})
  t.equal(spec.linux.seccomp, undefined)
})

/** A message why `tool` cannot be run here, or false. */
function missing(tool: string): string | false {
  const r = spawnSync(tool, ['--version'])
  return r.error || r.status !== 0 ? `${tool} is not installed` : false
}

/** Runs `tool spec` (+ args) in a new directory: the bundle. */
function toolSpec(t: Test, tool: string, args: string[] = []): string {
  const dir = t.testdir({})
  const r = spawnSync(tool, ['spec', ...args], { cwd: dir, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${tool} spec: ${r.stderr}`)
  return dir
}

t.test('what the installed runc and crun write', async t => {
  for (const tool of ['runc', 'crun']) {
    t.test(tool, { skip: missing(tool) }, async t => {
      const dir = toolSpec(t, tool)
      const r = readSpec(dir)
      t.same(r.errors, [])
      t.same(r.warnings, [])
      t.equal(r.file, path.join(dir, 'config.json'))
      t.same(r.spec?.process?.args, ['sh'])
    })
  }
  t.test('runc spec --rootless: its user namespace and maps are taken', { skip: missing('runc') }, async t => {
    const r = readSpec(toolSpec(t, 'runc', ['--rootless']))
    t.same(r.errors, [])
    t.ok(r.spec?.linux.namespaces.some(ns => ns.type === 'user' && ns.path === undefined))
    t.same(r.spec?.linux.uidMappings, [{ containerID: 0, hostID: process.geteuid!(), size: 1 }])
  })
})

t.test('a podman config', async t => {
  const spec = valid(t, JSON.stringify(PODMAN_SPEC))
  t.same(spec.process?.user, { uid: 0, gid: 0, umask: 18, additionalGids: [] })
  t.same(spec.process?.capabilities?.ambient, [])
  t.equal(spec.process?.capabilities?.bounding.length, 11)
  t.same(spec.process?.rlimits, [
    { type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 },
    { type: 'RLIMIT_NPROC', soft: 32768, hard: 32768 },
  ])
  t.equal(spec.root.readonly, false)
  t.same(spec.linux.namespaces[1], { type: 'network', path: '/run/netns/netns-beef94d5-461a-888a-1ca5-5a82bbb82c4b' })
  t.equal(spec.linux.cgroupsPath, '/libpod_parent/libpod-6a0e1f1c5b2d')
  t.same(spec.linux.resources?.pids, { limit: 2048 })
  t.same(spec.linux.sysctl, { 'net.ipv4.ping_group_range': '0 0' })
  t.equal(spec.annotations['io.container.manager'], 'libpod')
  const seccomp = spec.linux.seccomp!
  t.equal(seccomp.defaultAction, 'SCMP_ACT_ERRNO')
  t.equal(seccomp.defaultErrnoRet, 38)
  t.same(seccomp.flags, [])
  t.equal(seccomp.syscalls.length, 22)
  t.same(seccomp.syscalls[6], { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 4294967295n, op: 'SCMP_CMP_EQ' }] })
  t.same(seccomp.syscalls[0]!.args, [])
})

t.test('defaults', async t => {
  const spec = valid(t, minimalWith(() => {}))
  t.same(spec, {
    ociVersion: '1.2.0',
    root: { path: 'rootfs', readonly: false },
    mounts: [],
    process: {
      terminal: false,
      user: { uid: 0, gid: 0, additionalGids: [] },
      args: ['/bin/app'],
      env: [],
      cwd: '/',
      rlimits: [],
      noNewPrivileges: false,
    },
    hooks: NO_HOOKS,
    annotations: {},
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }],
      uidMappings: [],
      gidMappings: [],
      devices: [],
      sysctl: {},
      maskedPaths: [],
      readonlyPaths: [],
    },
  })
  t.equal(spec.process?.capabilities, undefined, 'no capabilities object: none at all')
  const bare = valid(t, '{"ociVersion": "1.0.0", "root": {"path": "/srv/rootfs"}}')
  t.equal(bare.process, undefined, 'process is optional')
  t.same(bare.linux.namespaces, [])
  t.same(bare.hooks, NO_HOOKS)
})

t.test('a fuller config: hooks, devices, resources, seccomp, personality', async t => {
  const spec = valid(
    t,
    minimalWith(c => {
      c.ociVersion = '1.1.0'
      c.process.user.additionalGids = [5, 20]
      c.process.apparmorProfile = 'docker-default'
      c.process.selinuxLabel = 'system_u:system_r:container_t:s0'
      c.process.oomScoreAdj = -500
      c.process.consoleSize = { height: 24, width: 80 }
      c.hooks = {
        prestart: [{ path: '/usr/bin/old-hook' }],
        createRuntime: [{ path: '/usr/libexec/netns-hook', args: ['netns-hook', 'up'], env: ['A=1'], timeout: 5 }],
        poststop: [{ path: '/usr/bin/cleanup' }],
        someFutureHook: [{ path: 'not checked' }],
      }
      c.mounts = [{ destination: 'data', type: 'bind', source: './data', options: ['rbind', 'ro'] }]
      c.linux.devices = [
        { type: 'c', path: '/dev/i2c-1', major: 89, minor: 1, fileMode: 0o660, uid: 0, gid: 993 },
        { type: 'p', path: '/dev/fifo0' },
      ]
      c.linux.resources = {
        devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 89, minor: -1, access: 'rw' }],
        memory: { limit: 67108864, swap: -1, reservation: 9223372036854775807, disableOOMKiller: false },
        cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0-1,3', mems: '0' },
        pids: { limit: -1 },
        blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 179, minor: 0, rate: 1048576 }] },
        hugepageLimits: [{ pageSize: '2MB', limit: 0 }],
        network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 5 }] },
        unified: { 'memory.high': '48M', ['__proto__']: 'own property' },
      }
      c.linux.rootfsPropagation = 'rslave'
      c.linux.mountLabel = 'system_u:object_r:container_file_t:s0'
      c.linux.personality = { domain: 'LINUX32' }
      c.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ERRNO',
        flags: ['SECCOMP_FILTER_FLAG_TSYNC'],
        architectures: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
        syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_ERRNO', errnoRet: 25, args: [{ index: 1, value: 21505, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] }],
      }
    }),
  )
  t.same(spec.hooks.prestart, [{ path: '/usr/bin/old-hook' }], 'the deprecated prestart is kept')
  t.same(spec.hooks.createRuntime, [{ path: '/usr/libexec/netns-hook', args: ['netns-hook', 'up'], env: ['A=1'], timeout: 5 }])
  t.notOk('someFutureHook' in spec.hooks, 'an unknown hook kind is ignored')
  t.same(spec.mounts[0]!.destination, '/data', 'a relative destination (1.1) is taken from /')
  t.same(spec.process?.user.additionalGids, [5, 20])
  t.equal(spec.process?.apparmorProfile, 'docker-default', 'kept for the caller to warn about')
  t.same(spec.linux.devices[1], { type: 'p', path: '/dev/fifo0' })
  t.same(spec.linux.resources?.devices[1], { allow: true, type: 'c', major: 89, access: 'rw' }, 'minor -1 is any')
  t.same(spec.linux.resources?.memory, { limit: 67108864, swap: -1, reservation: -1, disableOOMKiller: false }, 'a limit above 2^53 is none')
  t.equal(Object.getOwnPropertyDescriptor(spec.linux.resources?.unified, '__proto__')?.value, 'own property')
  t.same(spec.linux.personality, { domain: 'LINUX32', flags: [] })
  t.same(spec.linux.seccomp?.syscalls[0]?.args, [{ index: 1, value: 21505n, valueTwo: 0n, op: 'SCMP_CMP_MASKED_EQ' }])
})

t.test('64-bit integers are read exactly from the text', async t => {
  const text = minimalWith(c => {
    c.process.rlimits = [
      { type: 'RLIMIT_CORE', soft: 'SOFT', hard: 'HARD' },
      { type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 },
    ]
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 'VALUE', op: 'SCMP_CMP_GT' }] }] }
  })
  const withValues = (soft: string, hard: string, value: string) => text.replace('"SOFT"', soft).replace('"HARD"', hard).replace('"VALUE"', value)
  const spec = valid(t, withValues('18446744073709551615', '18446744073709551615', '18446744073709551615'))
  t.same(spec.process?.rlimits[0], { type: 'RLIMIT_CORE', soft: -1, hard: -1 }, 'RLIM_INFINITY is -1')
  t.equal(spec.linux.seccomp?.syscalls[0]?.args[0]?.value, 18446744073709551615n)
  t.equal(valid(t, withValues('0', '9007199254740991', '9223372036854775808')).process?.rlimits[0]?.hard, Number.MAX_SAFE_INTEGER)
  t.matchSnapshot(errorText(withValues('9007199254740993', '18446744073709551616', '18446744073709551616')), 'beyond what is exact, or beyond 64 bits')
  t.matchSnapshot(errorText(withValues('1.5', '1e3', '-1')), 'not integers, or negative')
})

t.test('duplicate keys: the last one counts, as in Go', async t => {
  const spec = valid(t, '{"ociVersion": "9.9.9", "ociVersion": "1.0.0", "root": {"path": "a"}, "root": {"path": "b"}}')
  t.equal(spec.ociVersion, '1.0.0')
  t.equal(spec.root.path, 'b')
})

t.test('unknown keys are ignored; near misses of known keys are warned about', async t => {
  const r = parseSpec(
    minimalWith(c => {
      c['org.example.extension'] = { anything: [1, 2] }
      c.process.capabilites = { bounding: [] }
      c.process.user.additionalGIDs = [1]
      c.linux.namespace = []
      c.hooks = { poststrat: [] }
      c.windows = { layerFolders: [] }
    }),
    'bundle/config.json',
  )
  t.same(r.errors, [])
  t.ok(r.spec)
  t.matchSnapshot(r.warnings.join('\n'))
  t.same(parseSpec(minimalWith(c => (c.ociVersion = '1.3.0')), 'config.json').warnings, [
    'config.json: .ociVersion: runtime-spec "1.3.0" is newer than lite knows (1.0, 1.1 and 1.2); what is new in it is ignored',
  ])
})

// name -> a change to MINIMAL that breaks it
const MALFORMED: Record<string, (c: Config) => void> = {
  'wrong types at several paths': c => {
    c.ociVersion = 1.2
    c.root.readonly = 'yes'
    c.process.args = 'sh -c true'
    c.process.env = ['PATH=/bin', 42, 'NOEQUALS', '=value']
    c.process.terminal = 1
    c.process.user.uid = '1000'
    c.process.user.gid = 1.5
    c.process.user.additionalGids = [4294967295]
    c.mounts = { destination: '/data' }
    c.linux.namespaces = [{ type: 'pid' }, 'mount']
    c.linux.resources = { memory: { limit: '1G', swappiness: 101 }, cpu: { cpus: '0-3;5' }, pids: {} }
    c.linux.sysctl = { 'net.ipv4.ip_forward': 1 }
    c.annotations = { 'io.example.count': 3 }
  },
  'unknown namespace type': c => {
    c.linux.namespaces = [{ type: 'pid' }, { type: 'mount' }, { type: 'foo' }, { type: 'net' }, { type: 'ut' }, { type: 'ipc', path: 'proc/1/ns/ipc' }, { type: 'pid' }]
  },
  'relative root that escapes the bundle': c => {
    c.root.path = '../x'
  },
  'relative root that escapes the bundle after going down': c => {
    c.root.path = 'rootfs/../../etc'
  },
  'a mount onto /proc/..': c => {
    c.mounts = [
      { destination: '/proc/..', type: 'bind', source: '/etc' },
      { destination: '/', type: 'tmpfs' },
      { destination: '/.', type: 'tmpfs' },
      { destination: '', type: 'tmpfs' },
    ]
  },
  'a relative mount destination in a 1.0 config': c => {
    c.ociVersion = '1.0.2-dev'
    c.mounts = [{ destination: 'data', type: 'bind', source: '/srv/data', options: ['rbind', 4] }]
  },
  'seccomp notify and listenerPath': c => {
    c.linux.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath: '/run/seccomp-agent.sock',
      listenerMetadata: 'x',
      syscalls: [{ names: ['mount'], action: 'SCMP_ACT_NOTIFY' }],
    }
  },
  'seccomp flags, arches, actions and arguments': c => {
    c.linux.seccomp = {
      defaultAction: 'SCMP_ACT_KIL',
      defaultErrnoRet: 1,
      flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSINC'],
      architectures: ['SCMP_ARCH_X86_46', 'x86_64'],
      syscalls: [
        { names: [], action: 'SCMP_ACT_ALLOW' },
        { names: ['Read'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 },
        { names: ['write'], action: 'SCMP_ACT_ERRNO', errnoRet: 4096, args: [{ index: 6, value: -1, op: 'SCMP_CMP_EQQ' }, { value: 1 }] },
      ],
    }
  },
  'intelRdt': c => {
    c.linux.intelRdt = { closID: 'guaranteed_group', l3CacheSchema: 'L3:0=7f0' }
  },
  'a new user namespace without its gid mappings': c => {
    c.linux.namespaces.push({ type: 'user' })
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]
    c.linux.gidMappings = []
  },
  'a joined user namespace with mappings, where no process is': c => {
    // above the kernel's pid_max: no such process, ever
    c.linux.namespaces.push({ type: 'user', path: '/proc/4194305/ns/user' })
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]
    c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]
  },
  'mappings without a user namespace': c => {
    c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]
  },
  'mappings out of range, empty or overlapping': c => {
    c.linux.namespaces.push({ type: 'user' })
    c.linux.uidMappings = [
      { containerID: 0, hostID: 100000, size: 0 },
      { containerID: 4294967295, hostID: 1, size: 1 },
      { containerID: 10, hostID: 4294967290, size: 10 },
      { containerID: 0, hostID: 100000, size: 65536 },
      { containerID: 65535, hostID: 300000, size: 2 },
      { containerID: 70000, hostID: 165535, size: 1 },
      { containerID: 0, hostID: 1 },
    ]
    c.linux.gidMappings = Array.from({ length: 341 }, (_, i) => ({ containerID: i, hostID: 100000 + i, size: 1 }))
  },
  'time namespace': c => {
    c.linux.namespaces.push({ type: 'time' })
    c.linux.timeOffsets = { monotonic: { secs: 10 } }
  },
  'unknown capability': c => {
    c.process.capabilities = {
      bounding: ['CAP_NET_ADMN', 'SYS_ADMIN', 'cap_chown', 'CAP_FLY'],
      effective: ['CAP_KILL'],
      permitted: 'CAP_KILL',
    }
  },
  'process: args, cwd, user and rlimits': c => {
    c.process.args = ['']
    c.process.cwd = 'home'
    delete c.process.user.gid
    c.process.umask = 18
    c.process.oomScoreAdj = 1001
    c.process.rlimits = [
      { type: 'RLIMIT_NOFLIE', soft: 1, hard: 1 },
      { type: 'RLIMIT_NOFILE', soft: 4096, hard: 1024 },
      { type: 'RLIMIT_NOFILE', soft: 1, hard: 1 },
      { type: 'RLIMIT_CORE', soft: 18446744073709551615, hard: 0 },
      { type: 'RLIMIT_AS' },
    ]
    c.process.scheduler = { policy: 'SCHED_FIFO', priority: 10 }
  },
  'process without args': c => {
    c.process.args = []
    delete c.process.cwd
    delete c.process.user
  },
  'devices, rules and resources': c => {
    c.linux.devices = [
      { type: 'c', path: '/tmp/null', major: 1, minor: 3 },
      { type: 'x', path: 'dev/null' },
      { type: 'b', path: '/dev/../etc/shadow', major: 4096, minor: 0, fileMode: 0o10000 },
      { type: 'u', path: '/dev/x' },
    ]
    c.linux.resources = {
      devices: [{ access: 'rwm' }, { allow: true, type: 'd', access: 'rwx' }],
      memory: { limit: 67108864, swap: 33554432, kernel: -2 },
      cpu: { shares: -1, idle: 2 },
      blockIO: { weight: 70000, weightDevice: [{ weight: 10 }], throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 1.5 }] },
      hugepageLimits: [{ pageSize: '2M', limit: 1 }, { limit: 1 }],
      unified: { '../memory.max': '1', 'memory.high': 5, '': 'x' },
      rdma: { mlx5_0: { hcaHandles: 3 } },
    }
  },
  'paths, sysctl, propagation, personality': c => {
    c.linux.maskedPaths = ['proc/kcore', '/proc/../etc/shadow']
    c.linux.readonlyPaths = ['/proc/sys', '']
    c.linux.sysctl = { 'net/ipv4/ip_forward': '1', 'net..ipv4': '1', 'kernel.msgmax': '65536' }
    c.linux.rootfsPropagation = 'rprivat'
    c.linux.cgroupsPath = '../../escape'
    c.linux.personality = { domain: 'LINUX64', flags: ['ADDR_NO_RANDOMIZE'] }
    c.linux.netDevices = { eth1: {} }
  },
  'hooks': c => {
    c.hooks = {
      prestart: [{ path: 'relative/hook' }],
      createContainer: [{ path: '/bin/hook', args: 'x', env: ['NOEQUALS'], timeout: 0 }],
      poststart: { path: '/bin/hook' },
      poststop: [{ args: [] }],
    }
  },
  'version': c => {
    c.ociVersion = '2.0.0'
  },
  'not a version': c => {
    c.ociVersion = 'v1'
  },
  'required parts missing': c => {
    delete c.ociVersion
    delete c.root
  },
  'control characters and long values are escaped and cut': c => {
    c.hostname = 'x\u001b[31m'.repeat(20)
    c.process.cwd = 'relative\u202e/\n' + 'x'.repeat(200)
    c.annotations = { 'a\u001b[2J': 1 }
  },
}

t.test('malformed configs: every error, with its JSON path', async t => {
  for (const [name, change] of Object.entries(MALFORMED)) {
    t.test(name, async t => {
      const r = parseSpec(minimalWith(change), 'config.json')
      t.equal(r.spec, undefined, 'no spec')
      t.ok(r.errors.length > 0, 'errors')
      for (const e of r.errors) t.ok(e.path === '' || e.path.startsWith('.'), `a JSON path: ${e.path}`)
      t.matchSnapshot(formatSpecErrors('config.json', r.errors))
    })
  }
})

t.test('a new user namespace with its maps', async t => {
  const spec = valid(t, minimalWith(c => {
    c.linux.namespaces.push({ type: 'user' })
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }, { containerID: 65536, hostID: 1000, size: 1 }]
    c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 4294967295 - 100000 }]
  }))
  t.same(spec.linux.namespaces[2], { type: 'user' })
  t.same(spec.linux.uidMappings, [{ containerID: 0, hostID: 100000, size: 65536 }, { containerID: 65536, hostID: 1000, size: 1 }])
  t.same(spec.linux.gidMappings, [{ containerID: 0, hostID: 100000, size: 4294967295 - 100000 }], 'a range may end at 4294967294, the largest id')
  const joined = valid(t, minimalWith(c => c.linux.namespaces.push({ type: 'user', path: '/proc/42/ns/user' })))
  t.same(joined.linux.namespaces[2], { type: 'user', path: '/proc/42/ns/user' }, 'a joined one needs none')
  // containerd sends the mappings with the path: they must be the namespace's own (this
  // process's, the host's: 0 0 4294967295).
  const own = `/proc/${process.pid}/ns/user`
  const whole = [{ containerID: 0, hostID: 0, size: 4294967295 }]
  const withMaps = valid(t, minimalWith(c => {
    c.linux.namespaces.push({ type: 'user', path: own })
    c.linux.uidMappings = whole
    c.linux.gidMappings = whole
  }))
  t.same(withMaps.linux.uidMappings, whole, 'mappings that match the joined namespace pass')
  const other = parseSpec(minimalWith(c => {
    c.linux.namespaces.push({ type: 'user', path: own })
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]
  }), 'config.json')
  t.match(other.errors.map(e => `${e.path}: ${e.message}`), [/^\.linux\.uidMappings: these mappings \(0 100000 65536\) are not those of the joined user namespace \/proc\/\d+\/ns\/user \(0 0 4294967295\)$/])
  const max = valid(t, minimalWith(c => {
    c.linux.namespaces.push({ type: 'user' })
    c.linux.uidMappings = Array.from({ length: 340 }, (_, i) => ({ containerID: i, hostID: 100000 + i, size: 1 }))
    c.linux.gidMappings = [{ containerID: 0, hostID: 0, size: 1 }]
  }))
  t.equal(max.linux.uidMappings.length, 340, 'as many lines as the kernel takes')
})

const BAD_JSON: Record<string, string> = {
  'a missing comma': '{\n  "ociVersion": "1.0.0",\n  "root": {"path": "rootfs"}\n  "process": {}\n}\n',
  'a trailing comma': '{\n\t"ociVersion": "1.0.0",\n\t"mounts": [\n\t\t"a",\n\t],\n}',
  'a string broken by a newline': '{"hostname": "a\nb"}',
  'a raw tab inside a string': '{"hostname": "a\tb"}',
  'single quotes': "{'ociVersion': '1.0.0'}",
  'True': '{"process": {"terminal": True}}',
  'an octal-looking file mode': '{"linux": {"devices": [{"fileMode": 0644}]}}',
  'a bad escape': '{"hostname": "C:\\data"}',
  'a short \\u escape': '{"hostname": "\\u12"}',
  'text after the object': '{"ociVersion": "1.0.0"} {}',
  'not closed': '{"ociVersion": "1.0.0",\n "root": {"path": "rootfs"',
  'a string not closed': '{"ociVersion": "1.0.0',
  'an empty file': '',
  'only spaces': '  \n\n ',
  'characters before the error are counted, not bytes': '{"hostname": "été 日本", "x": ?}',
  'nested too deeply': '{"a": ' + '['.repeat(1000),
  'an array, not an object': '[{"ociVersion": "1.0.0"}]',
}

t.test('bad JSON: line and column', async t => {
  for (const [name, text] of Object.entries(BAD_JSON)) {
    t.test(name, async t => {
      const r = parseSpec(text, 'config.json')
      t.equal(r.spec, undefined)
      t.equal(r.errors.length, 1)
      t.matchSnapshot(formatSpecErrors('config.json', r.errors))
    })
  }
  const r = parseSpec(BAD_JSON['a missing comma']!, 'config.json')
  t.same(r.errors, [{ path: '', line: 4, column: 3, message: "not valid JSON: expected ',' or '}' after an object member but found '\"' (is a comma missing?)" }])
  t.same(parseSpec('\ufeff' + minimalWith(() => {}), 'config.json').errors, [], 'a byte order mark is skipped')
  t.equal(parseSpec('{"ociVersion": "1.0.0", "root": {"path": "\\ud800x"}}', 'c').spec?.root.path, '\ufffdx', 'a lone surrogate becomes U+FFFD, as in Go')
})

t.test('readSpec: the bundle\'s config.json, bounded', async t => {
  const dir = t.testdir({
    ok: { 'config.json': minimalWith(() => {}) },
    huge: { 'config.json': minimalWith(() => {}) + ' '.repeat(SPEC_FILE_LIMIT) },
    empty: {},
    dir: { 'config.json': {} },
  })
  const ok = readSpec(path.join(dir, 'ok'))
  t.same(ok.errors, [])
  t.equal(ok.spec?.root.path, 'rootfs')
  const cases: [string, string][] = [
    ['huge', 'larger than 4 MiB, the most lite reads of an OCI config.json'],
    ['empty', 'No such file or directory (ENOENT)'],
    ['dir', 'a directory, not a regular file'],
  ]
  for (const [name, message] of cases) {
    const r = readSpec(path.join(dir, name))
    t.same(r.errors, [{ path: '', message }], name)
    t.equal(r.file, path.join(dir, name, 'config.json'))
  }
  t.equal(
    formatSpecErrors('bundle/config.json', [{ path: '', message: 'No such file or directory (ENOENT)' }]),
    'bundle/config.json: No such file or directory (ENOENT)\n1 error in bundle/config.json; nothing was created',
  )
  t.equal(SPEC_FILE_LIMIT, 4 * 1024 * 1024)
  t.ok(fs.statSync(path.join(dir, 'huge', 'config.json')).size > SPEC_FILE_LIMIT)
})

t.test('formatSpecErrors', async t => {
  t.equal(formatSpecErrors('config.json', []), '')
  t.equal(
    formatSpecErrors('b/config.json', [
      { path: '.linux.namespaces[2].type', message: 'unknown namespace type "ut" (did you mean "uts"?)' },
      { path: '.annotations["x\u001b"]', message: 'must be a string, not a number' },
    ]),
    'b/config.json: .linux.namespaces[2].type: unknown namespace type "ut" (did you mean "uts"?)\n' +
      'b/config.json: .annotations["x\\x1b"]: must be a string, not a number\n' +
      '2 errors in b/config.json; nothing was created',
  )
})

t.test('a config with a great many errors: all are returned, the first ones shown', async t => {
  const r = parseSpec(minimalWith(c => (c.process.env = new Array(5000).fill(1))), 'config.json')
  t.equal(r.errors.length, 5000)
  const lines = formatSpecErrors('config.json', r.errors).split('\n')
  t.equal(lines.length, MAX_SHOWN_ERRORS + 2)
  t.same(lines.slice(-2), [`(${5000 - MAX_SHOWN_ERRORS} more errors not shown)`, '5000 errors in config.json; nothing was created'])
})
