// [resources] and the raw [cgroup]/[cgroup2] keys -> cgroup file writes for this host:
// each value goes to the file of the hierarchy that holds its controller here (v1 or
// v2), as in DESIGN.md §5 and crun's cgroup-resources.c. Pure: what the host has is
// passed in, so that v1, v2 and hybrid are all tested against fake layouts.

import { rawCgroupKeyProblem } from '../config/resource-values.ts'
import type { ConfigError, ContainerConfig, Origin } from '../config/types.ts'
import type { CgroupLayout } from './detect.ts'

export interface CgroupWrite {
  /** the controller whose hierarchy holds the file ('cgroup' for core files) */
  controller: string
  version: 1 | 2
  file: string
  value: string
  /** "[resources] memory" */
  key: string
  origin?: Origin
  /** also written, first, in the parent cgroup (v1 rt_runtime: a child can't exceed it) */
  parentToo?: boolean
}

export interface HostCgroups {
  layout: CgroupLayout
  /** whether a file exists at the root of the hierarchy holding `controller` */
  hasFile: (controller: string, file: string) => boolean
}

const CPU_PERIOD_US = 100_000

/** Docker's default device rules: mknod of any node; the minimal /dev, the pts and tun. */
export const DEFAULT_DEVICE_RULES = [
  'c *:* m', 'b *:* m',
  'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm',
  'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm', 'c 10:200 rwm',
]

/** crun's conversion between cgroup v2 cpu.weight (1..10000) and v1 cpu.shares (2..262144). */
export function weightToShares(weight: number): number {
  return 2 + Math.floor(((weight - 1) * 262142) / 9999)
}

export const MISSING_HINT: Record<string, string> = {
  memory:
    'the memory controller is disabled on this kernel; on a Raspberry Pi, add "cgroup_enable=memory cgroup_memory=1" to the kernel command line (cmdline.txt) and reboot',
}

/** The device allowlist in v1 devices.allow syntax: Docker's defaults, then [devices]. */
export function deviceRules(cfg: ContainerConfig): { rule: string; key: string; origin?: Origin }[] {
  return [
    ...DEFAULT_DEVICE_RULES.map((rule) => ({ rule, key: '[devices] (defaults)' })),
    ...cfg.devices.map((d) => ({ rule: `${d.type} ${d.major}:${d.minor} ${d.access}`, key: '[devices] allow', origin: d.origin })),
  ]
}

export function resourceWrites(cfg: ContainerConfig, host: HostCgroups): { writes: CgroupWrite[]; errors: ConfigError[] } {
  const writes: CgroupWrite[] = []
  const errors: ConfigError[] = []
  const r = cfg.resources
  const at = (key: string) => cfg.origins[key]
  const fail = (origin: Origin | undefined, message: string) => errors.push({ file: origin?.file ?? cfg.file, line: origin?.line ?? 0, message })
  const home = (controller: string) => host.layout.controllers.find((c) => c.controller === controller)

  /** Adds a write to the controller's hierarchy, or an error when the host lacks it. */
  function put(configKey: string, controller: string, files: { v1?: [string, string][]; v2?: [string, string][] }, extra: Partial<CgroupWrite> = {}): void {
    const [section, name] = configKey.split('.')
    const key = `[${section}] ${name}`
    const origin = at(configKey)
    const h = home(controller)
    if (!h) {
      fail(origin, `${key}: this host has no ${controller} cgroup controller${MISSING_HINT[controller] ? `: ${MISSING_HINT[controller]}` : ''}`)
      return
    }
    const list = h.version === 2 ? files.v2 : files.v1
    if (!list) {
      fail(origin, `${key}: not available with cgroup v${h.version}, which holds the ${controller} controller on this host`)
      return
    }
    for (const [file] of list) {
      if (!host.hasFile(controller, file)) {
        fail(origin, `${key}: this kernel has no ${file} (cgroup v${h.version} ${controller})`)
        return
      }
    }
    for (const [file, value] of list) writes.push({ controller, version: h.version, file, value, key, origin, ...extra })
  }

  if (r.memory !== null) put('resources.memory', 'memory', { v2: [['memory.max', String(r.memory)]], v1: [['memory.limit_in_bytes', String(r.memory)]] })
  if (r.swap !== null && r.memory !== null) {
    // v1's memsw is memory + swap, written after memory (the kernel refuses memsw < memory).
    put('resources.swap', 'memory', { v2: [['memory.swap.max', String(r.swap)]], v1: [['memory.memsw.limit_in_bytes', String(r.memory + r.swap)]] })
  }
  if (r.cpus !== null) {
    const quota = Math.round(r.cpus * CPU_PERIOD_US)
    put('resources.cpus', 'cpu', {
      v2: [['cpu.max', `${quota} ${CPU_PERIOD_US}`]],
      v1: [['cpu.cfs_period_us', String(CPU_PERIOD_US)], ['cpu.cfs_quota_us', String(quota)]],
    })
  }
  if (r.weight !== null) put('resources.weight', 'cpu', { v2: [['cpu.weight', String(r.weight)]], v1: [['cpu.shares', String(weightToShares(r.weight))]] })
  if (r.cpuset !== null) put('resources.cpuset', 'cpuset', { v2: [['cpuset.cpus', r.cpuset]], v1: [['cpuset.cpus', r.cpuset]] })
  if (r.mems !== null) put('resources.mems', 'cpuset', { v2: [['cpuset.mems', r.mems]], v1: [['cpuset.mems', r.mems]] })
  if (r.pids !== null) {
    const v = r.pids < 0 ? 'max' : String(r.pids)
    put('resources.pids', 'pids', { v2: [['pids.max', v]], v1: [['pids.max', v]] })
  }
  const ioController = home('io') ? 'io' : 'blkio'
  const perKind: Record<string, number> = {}
  for (const io of r.io) {
    const i = (perKind[io.kind] = (perKind[io.kind] ?? -1) + 1)
    const dev = `${io.major}:${io.minor}`
    const v2key = { read_bps: 'rbps', write_bps: 'wbps', read_iops: 'riops', write_iops: 'wiops' }[io.kind]
    const before = writes.length
    put(`resources.io_${io.kind}[${i}]`, ioController, {
      v2: [['io.max', `${dev} ${v2key}=${io.value}`]],
      v1: [[`blkio.throttle.${io.kind}_device`, `${dev} ${io.value}`]],
    })
    for (const w of writes.slice(before)) w.key = `[resources] io_${io.kind}`
  }
  if (r.ioWeight !== null) {
    const controller = ioController
    const h = home(controller)
    if (h?.version === 1 && r.ioWeight > 1000) {
      fail(at('resources.io_weight'), '[resources] io_weight: cgroup v1 (blkio.bfq.weight) takes 1..1000')
    } else if (h?.version === 1 && !host.hasFile('blkio', 'blkio.bfq.weight')) {
      fail(at('resources.io_weight'), '[resources] io_weight: cgroup v1 has an I/O weight only with the BFQ I/O scheduler (blkio.bfq.weight), which this host lacks')
    } else {
      put('resources.io_weight', controller, { v2: [['io.weight', `default ${r.ioWeight}`]], v1: [['blkio.bfq.weight', String(r.ioWeight)]] })
    }
  }
  if (r.rtRuntime !== null) {
    const h = home('cpu')
    if (h?.version === 2) fail(at('resources.rt_runtime'), '[resources] rt_runtime: cgroup v2 has no real-time group scheduling (this host has cpu on v2)')
    else put('resources.rt_runtime', 'cpu', { v1: [['cpu.rt_runtime_us', String(r.rtRuntime)]] }, { parentToo: true })
  }

  // Devices (v1): deny everything, then Docker's defaults and the passed devices. mknod
  // of any node is allowed; opening one outside the list fails with EPERM. (On cgroup
  // v2 alone, lite run attaches a BPF_CGROUP_DEVICE program with the same rules.)
  const devices = home('devices')
  if (devices?.version === 1) {
    writes.push({ controller: 'devices', version: 1, file: 'devices.deny', value: 'a', key: '[devices] (defaults)' })
    for (const r of deviceRules(cfg)) writes.push({ controller: 'devices', version: 1, file: 'devices.allow', value: r.rule, key: r.key, origin: r.origin })
  }

  // Raw keys: only limits (validation refuses the rest; checked again here, since a
  // write to cgroup.procs or devices.allow would undo the confinement), and their
  // controller must live on that version here.
  for (const raw of cfg.cgroup.v1) {
    const controller = raw.file.split('.')[0]!
    const h = home(controller)
    const problem = rawCgroupKeyProblem(raw.file)
    if (problem) fail(raw.origin, `[cgroup] ${raw.file}: ${problem}`)
    else if (!h) fail(raw.origin, `[cgroup] ${raw.file}: this host has no ${controller} cgroup controller`)
    else if (h.version !== 1) fail(raw.origin, `[cgroup] ${raw.file}: this host has ${controller} on cgroup v2; use [cgroup2] or [resources]`)
    else writes.push({ controller, version: 1, file: raw.file, value: raw.value, key: `[cgroup] ${raw.file}`, origin: raw.origin })
  }
  for (const raw of cfg.cgroup.v2) {
    const controller = raw.file.split('.')[0]!
    const problem = rawCgroupKeyProblem(raw.file)
    if (problem) {
      fail(raw.origin, `[cgroup2] ${raw.file}: ${problem}`)
      continue
    }
    if (!host.layout.unified) {
      fail(raw.origin, `[cgroup2] ${raw.file}: this host has no cgroup v2 (it is cgroup v1); use [cgroup] or [resources]`)
      continue
    }
    const h = home(controller)
    if (controller !== 'cgroup' && h?.version !== 2) {
      fail(raw.origin, `[cgroup2] ${raw.file}: this host has ${h ? `${controller} on cgroup v1; use [cgroup] or [resources]` : `no ${controller} controller on cgroup v2`}`)
      continue
    }
    writes.push({ controller, version: 2, file: raw.file, value: raw.value, key: `[cgroup2] ${raw.file}`, origin: raw.origin })
  }
  return { writes, errors: errors.sort((a, b) => a.line - b.line) }
}
