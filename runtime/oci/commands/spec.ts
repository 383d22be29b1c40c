// `lite-oci spec [--bundle DIR] [--rootless]`: a starting config.json, runc's example
// (libcontainer/specconv/example.go) key for key but for the hostname ("lite", as
// crun writes "crun"): `sh` on a terminal, three capabilities, the usual /proc, /dev,
// /dev/pts, /dev/shm, /dev/mqueue, /sys and /sys/fs/cgroup mounts, runc's masked and
// read-only paths, and new pid, network, ipc, uts and mount namespaces (and cgroup on
// a cgroup v2 host, as runc). --rootless is runc's rootless variant: a user namespace
// mapping the caller's uid and gid to 0, no network namespace, /sys bound from the
// host, no uid=/gid= mount options and no cgroup resources. lite-oci runs as root for
// now, so there it maps root to root: a user namespace of one uid and one gid.
// Written as runc writes it: tab-indented, no newline at the end; an existing
// config.json is never replaced.

import { existsSync, writeFileSync } from 'node:fs'
import { posix } from 'node:path'
import { OciError, type OciGlobal } from '../errors.ts'
import { OCI_VERSION_MAX } from './features.ts'

export interface ExampleOptions {
  /** add a cgroup namespace (runc does on a pure cgroup v2 host) */
  cgroupNamespace: boolean
  /** runc's ToRootless, with the caller's ids */
  rootless?: { uid: number; gid: number }
}

const CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']

interface Mount {
  destination: string
  type: string
  source: string
  options?: string[]
}

export function exampleSpec(o: ExampleOptions): Record<string, unknown> {
  let mounts: Mount[] = [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ]
  let namespaces = ['pid', 'network', 'ipc', 'uts', 'mount', ...(o.cgroupNamespace ? ['cgroup'] : [])]
  const linux: Record<string, unknown> = {}
  if (o.rootless) {
    namespaces = [...namespaces.filter((n) => n !== 'network' && n !== 'user'), 'user']
    linux.uidMappings = [{ containerID: 0, hostID: o.rootless.uid, size: 1 }]
    linux.gidMappings = [{ containerID: 0, hostID: o.rootless.gid, size: 1 }]
    mounts = mounts.map((m) => {
      if (m.destination === '/sys') return { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
      if (!m.options) return m
      return { ...m, options: m.options.filter((opt) => !opt.startsWith('uid=') && !opt.startsWith('gid=')) }
    })
  } else {
    linux.resources = { devices: [{ allow: false, access: 'rwm' }] }
  }
  linux.namespaces = namespaces.map((type) => ({ type }))
  linux.maskedPaths = ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi']
  linux.readonlyPaths = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']
  return {
    ociVersion: OCI_VERSION_MAX,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: CAPS, effective: CAPS, permitted: CAPS },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'lite',
    mounts,
    linux,
  }
}

/** runc's test (cgroups.IsCgroup2UnifiedMode): /sys/fs/cgroup itself is the cgroup2 mount. */
function cgroup2Unified(): boolean {
  return existsSync('/sys/fs/cgroup/cgroup.controllers')
}

export async function ociSpec(a: { bundle?: string; rootless?: boolean }, _g: OciGlobal): Promise<number> {
  const dir = a.bundle ? posix.resolve(a.bundle) : process.cwd()
  if (a.bundle && !existsSync(dir)) throw new OciError(`chdir ${a.bundle}: no such file or directory`)
  const spec = exampleSpec({
    cgroupNamespace: cgroup2Unified(),
    rootless: a.rootless ? { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 } : undefined,
  })
  const file = posix.join(dir, 'config.json')
  try {
    // 'wx': never replaces a config.json, not even one made in between.
    writeFileSync(file, JSON.stringify(spec, null, '\t'), { flag: 'wx', mode: 0o666 })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new OciError('File config.json exists. Remove it first')
    throw new OciError(`cannot write ${file}: ${(e as Error).message}`)
  }
  return 0
}
