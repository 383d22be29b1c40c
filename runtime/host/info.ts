// `lite info`: what this host offers a container runtime, and which fallbacks lite uses.

import { readdirSync, existsSync } from 'node:fs'
import { arch } from 'node:os'
import { kernelRelease } from './uname.ts'
import { readCgroupLayout } from '../cgroup/detect.ts'
import { hasDeviceControl } from '../plan/build.ts'
import { delegatedLayout } from '../cgroup/delegated.ts'
import { readBoundedText } from '../config/bounded-read.ts'
import { pickAddonDir } from '../native/addon-dir.ts'
import type { Features } from '../native/index.ts'
import { readMountInfo } from './mountinfo.ts'
import { DEFAULT_PROFILE } from '../seccomp/default.ts'
import { netKernelSupport, type OptionState } from '../net/kernel.ts'
import { HOST_SETTINGS } from '../net/host-settings.ts'
import { AUTO_SIZE, autoPool } from '../userns/ranges.ts'

export interface HostInfo {
  kernel: string
  arch: string
  euid: number
  cgroup: ReturnType<typeof readCgroupLayout>
  /** rootless: the cgroup v2 subtree delegated to this user, or why there is none */
  delegation?: string
  filesystems: Record<string, 'yes' | 'module' | 'no'>
  namespaces: string[]
  addonDir: { dir?: string; checks: { dir: string; ok: boolean; why?: string }[] }
  features?: Features
  /** seccomp filters (CONFIG_SECCOMP_FILTER) and the actions the kernel has; the default profile's source */
  seccomp?: { filter: boolean; actions: string[]; defaultProfile: string }
  /** the kernel options container networks need, and the host settings lite changes */
  network?: { kernel: Record<string, OptionState>; ipForward: string }
  /** [user] map = auto's pool, and the limit of user namespaces */
  userNamespaces?: { pool: string; maxUserNamespaces: string }
}

/** The small /proc files lite info reads (a few hundred bytes each). */
const PROC_FILE_LIMIT = 64 * 1024
const readProcFile = (path: string) => readBoundedText(path, PROC_FILE_LIMIT, 'a /proc file')

function probeSeccomp(): HostInfo['seccomp'] {
  let actions: string[] = []
  try {
    actions = readProcFile('/proc/sys/kernel/seccomp/actions_avail').trim().split(/\s+/)
  } catch {}
  let filter = actions.length > 0
  try {
    // "Seccomp:" is in /proc/self/status with CONFIG_SECCOMP; filters need 3.5+ and CONFIG_SECCOMP_FILTER.
    if (!filter) filter = /^Seccomp:/m.test(readProcFile('/proc/self/status')) && existsSync('/proc/sys/kernel/seccomp')
  } catch {}
  const s = DEFAULT_PROFILE.source
  return { filter, actions, defaultProfile: `Docker's default.json from ${s.package} ${s.version}` }
}

/** A filesystem is usable if the kernel lists it, or a module for it is installed. */
function filesystemState(name: string, listed: string[], kernel: string): 'yes' | 'module' | 'no' {
  if (listed.includes(name)) return 'yes'
  const dir = `/lib/modules/${kernel}/kernel/fs/${name}`
  return existsSync(dir) ? 'module' : 'no'
}

export function probeHost(features?: Features): HostInfo {
  const kernel = kernelRelease()
  const mounts = readMountInfo()
  let listed: string[] = []
  try {
    listed = readProcFile('/proc/filesystems').split('\n').map((l) => l.split('\t').pop() ?? '')
  } catch {}
  let namespaces: string[] = []
  try {
    namespaces = readdirSync('/proc/self/ns').filter((n) => !n.endsWith('_for_children')).sort()
  } catch {}
  const euid = process.geteuid?.() ?? -1
  const cgroup = readCgroupLayout(mounts)
  return {
    kernel,
    arch: arch(),
    euid,
    cgroup,
    delegation: euid === 0 ? undefined : delegationText(cgroup, euid),
    filesystems: Object.fromEntries(['overlay', 'squashfs', 'erofs', 'tmpfs'].map((fs) => [fs, filesystemState(fs, listed, kernel)])),
    namespaces,
    addonDir: pickAddonDir(process.env, euid, mounts),
    features,
    seccomp: probeSeccomp(),
    network: { kernel: netKernelSupport(), ipForward: readSetting('/proc/sys/net/ipv4/ip_forward') },
    userNamespaces: { pool: poolText(), maxUserNamespaces: readSetting('/proc/sys/user/max_user_namespaces') },
  }
}

/** Where [user] map = auto takes its ranges on this host. */
function poolText(): string {
  try {
    const pool = autoPool()
    const first = pool.uidSlots[0]
    const where = pool.source === 'subid' ? "lite's entries in /etc/subuid and /etc/subgid" : "lite's default pool (no lite entry in /etc/subuid and /etc/subgid)"
    return first === undefined ? `${where}: no free slot` : `${where}: ${pool.uidSlots.length} ranges of ${AUTO_SIZE} ids from host id ${first}`
  } catch (e) {
    return (e as Error).message
  }
}

function readSetting(path: string): string {
  try {
    return readProcFile(path).trim()
  } catch {
    return 'unknown'
  }
}

export function formatHostInfo(h: HostInfo): string {
  const yn = (b: boolean | undefined) => (b === undefined ? 'unknown' : b ? 'yes' : 'no (fallback)')
  const byHome = new Map<string, string[]>()
  for (const c of h.cgroup.controllers) {
    const k = `v${c.version} ${c.mountPoint}`
    byHome.set(k, [...(byHome.get(k) ?? []), c.controller])
  }
  const [major, minor] = h.kernel.split('.').map(Number)
  const tooOld = major < 4 || (major === 4 && minor < 19)
  const lines = [
    `kernel:       ${h.kernel} (${h.arch})${tooOld ? '  [older than 4.19: unsupported]' : ''}`,
    `user:         ${h.euid === 0 ? 'root' : `uid ${h.euid} (rootless: network none or host; cgroups: ${h.delegation ?? 'unknown'})`}`,
    `cgroup:       ${h.cgroup.mode}${h.cgroup.unified ? ` (cgroup2 at ${h.cgroup.unified})` : ''}`,
    ...[...byHome].map(([home, list]) => `  ${home}: ${list.join(' ')}`),
    `devices:      ${hasDeviceControl(h.cgroup) ? 'confined (cgroup device controller or BPF program)' : 'no device cgroup: containers run without CAP_MKNOD'}`,
    `filesystems:  ${Object.entries(h.filesystems).map(([k, v]) => `${k}=${v}`).join(' ')}`,
    `namespaces:   ${h.namespaces.join(' ')}`,
    `addon dir:    ${h.addonDir.dir ? `${h.addonDir.dir} (exec allowed)` : 'none usable'}` +
      h.addonDir.checks.filter((c) => !c.ok).map((c) => `\n  skipped ${c.dir}: ${c.why}`).join(''),
  ]
  if (h.seccomp) {
    lines.push(`seccomp:      ${h.seccomp.filter ? `filters (${h.seccomp.actions.join(' ') || 'actions unknown'})` : 'no filters: [security] seccomp = unconfined is needed'}`)
    lines.push(`  default profile: ${h.seccomp.defaultProfile}`)
  }
  if (h.network) {
    const k = Object.entries(h.network.kernel)
    lines.push(`network:      ${k.map(([o, v]) => `${o.replace('CONFIG_', '')}=${v}`).join(' ')}`)
    lines.push('  host settings a bridge network sets (only when one runs):')
    for (const s of HOST_SETTINGS) lines.push(`    ${s.path.replace('/proc/sys/', '').replaceAll('/', '.')} = ${s.value}: ${s.why}${s.path.endsWith('ip_forward') ? ` (now ${h.network.ipForward})` : ''}`)
  }
  if (h.userNamespaces) {
    lines.push(`user ns:      max ${h.userNamespaces.maxUserNamespaces}; [user] map = auto: ${h.userNamespaces.pool}`)
  }
  if (h.features) {
    lines.push(
      `clone3:       ${yn(h.features.clone3)}`,
      `pidfd:        ${yn(h.features.pidfdOpen)}`,
      `close_range:  ${yn(h.features.closeRangeCloexec)}`,
      `memfd exec:   ${yn(h.features.memfdExec)}`,
      `idmap mounts: ${h.features.mountSetattr ? 'yes (mount_setattr; each filesystem is asked at the mount)' : 'no: [user] map needs Linux 5.12 or later'}`,
      `last cap:     ${h.features.lastCap}`,
    )
  }
  return lines.join('\n') + '\n'
}

function delegationText(layout: ReturnType<typeof readCgroupLayout>, uid: number): string {
  const d = delegatedLayout(layout, uid)
  return typeof d === 'string' ? `none, since ${d}` : `the delegated subtree ${d.unified} (${d.hierarchies[0]!.options.join(' ') || 'no controllers'})`
}
