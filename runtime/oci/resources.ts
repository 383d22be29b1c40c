// config.json's linux.resources -> cgroup file writes for this host, and its device
// rules -> the allow list lite's device confinement takes. The OCI twin of
// cgroup/resources.ts: each value goes to the file of the hierarchy that holds its
// controller here (v1 or v2), named as runc and crun write it. Pure: what the host has
// is passed in, so v1, v2 and hybrid hosts are all tested against fake layouts.

import { rawCgroupKeyProblem } from '../config/resource-values.ts'
import { type CgroupWrite, type HostCgroups, MISSING_HINT } from '../cgroup/resources.ts'
import type { OciResources, OciSpec, OciThrottle, SpecError } from './spec.ts'

const R = '.linux.resources'

/** crun's cpu.shares (2..262144) -> cpu.weight (1..10000): a quadratic in log2 that keeps 1024 -> 100. */
export function sharesToWeight(shares: number): number {
  if (shares <= 2) return 1
  if (shares >= 262144) return 10000
  const l = Math.log2(shares)
  return Math.ceil(10 ** ((l * l + 125 * l) / 612 - 7 / 34))
}

/** runc's and crun's blkio weight (10..1000) -> io.weight (1..10000), linear. */
export function blkioToIoWeight(weight: number): number {
  return 1 + Math.floor(((weight - 10) * 9999) / 990)
}

type Files = { v1?: [string, string][]; v2?: [string, string][] }

/**
 * The writes for `resources` on this host. A key whose controller the host lacks, or
 * that its version of the controller cannot take, is an error naming the JSON path;
 * what runc ignores (kernel memory, leaf weights) is a warning.
 */
export function ociCgroupWrites(
  resources: OciResources | undefined,
  host: HostCgroups,
): { writes: CgroupWrite[]; errors: SpecError[]; warnings: string[] } {
  const writes: CgroupWrite[] = []
  const errors: SpecError[] = []
  const warnings: string[] = []
  if (!resources) return { writes, errors, warnings }
  const fail = (path: string, message: string) => errors.push({ path, message })
  const home = (controller: string) => host.layout.controllers.find((c) => c.controller === controller)
  const version = (controller: string) => home(controller)?.version

  /** Adds the writes to the controller's hierarchy, or an error when the host can't take them. */
  function put(path: string, controller: string, files: Files, extra: Partial<CgroupWrite> = {}): boolean {
    const h = home(controller)
    if (!h) {
      fail(path, `this host has no ${controller} cgroup controller${MISSING_HINT[controller] ? `: ${MISSING_HINT[controller]}` : ''}`)
      return false
    }
    const list = h.version === 2 ? files.v2 : files.v1
    if (!list) {
      fail(path, `not available with cgroup v${h.version}, which holds the ${controller} controller on this host`)
      return false
    }
    for (const [file] of list) {
      if (!host.hasFile(controller, file)) {
        fail(path, `this kernel has no ${file} (cgroup v${h.version} ${controller})`)
        return false
      }
    }
    for (const [file, value] of list) writes.push({ controller, version: h.version, file, value, key: path, ...extra })
    return true
  }
  const set = (v: number | undefined): v is number => v !== undefined && v !== 0
  /** v2's "max" for -1 (and any negative), as runc's numToStr */
  const v2num = (v: number) => (v < 0 ? 'max' : String(v))

  // --- memory (0 is "unset", as in runc) ---
  const m = resources.memory
  if (m) {
    const limit = m.limit
    if (set(limit)) put(`${R}.memory.limit`, 'memory', { v1: [['memory.limit_in_bytes', String(limit)]], v2: [['memory.max', v2num(limit)]] })
    if (set(m.swap)) {
      // OCI's swap is memory + swap: v1's memsw as it is; v2's swap.max is the swap alone.
      const swap = m.swap
      const at = `${R}.memory.swap`
      if (swap > 0 && !(set(limit) && limit > 0)) fail(at, 'a swap limit needs a memory limit (linux.resources.memory.limit)')
      else if (swap > 0 && swap < limit!) fail(at, `memory+swap (${swap}) must be at least the memory limit (${limit})`)
      else if (version('memory') === 1 && !host.hasFile('memory', 'memory.memsw.limit_in_bytes')) {
        // crun's way: a kernel without swap accounting (a Raspberry Pi's default) has
        // nothing to limit; engines pass a swap value with every memory limit.
        warnings.push(`${at} ignored: this kernel has no swap accounting (memory.memsw.limit_in_bytes; add "swapaccount=1" to the kernel command line)`)
      } else {
        put(at, 'memory', { v1: [['memory.memsw.limit_in_bytes', String(swap)]], v2: [['memory.swap.max', swap < 0 ? 'max' : String(swap - limit!)]] })
      }
    }
    if (set(m.reservation)) {
      put(`${R}.memory.reservation`, 'memory', { v1: [['memory.soft_limit_in_bytes', String(m.reservation)]], v2: [['memory.low', v2num(m.reservation)]] })
    }
    if (m.swappiness !== undefined) {
      const at = `${R}.memory.swappiness`
      if (m.swappiness > 100) fail(at, `${m.swappiness} is out of range (0..100)`)
      else if (version('memory') === 2) warnings.push(`${at} ignored: cgroup v2 has no per-cgroup swappiness`)
      else put(at, 'memory', { v1: [['memory.swappiness', String(m.swappiness)]] })
    }
    if (m.disableOOMKiller) {
      const at = `${R}.memory.disableOOMKiller`
      if (version('memory') === 2) warnings.push(`${at} ignored: cgroup v2 cannot disable the OOM killer`)
      else put(at, 'memory', { v1: [['memory.oom_control', '1']] })
    }
    for (const k of ['kernel', 'kernelTCP'] as const) {
      if (m[k] !== undefined) warnings.push(`${R}.memory.${k} ignored: kernel memory limits are deprecated (as runc does)`)
    }
    if (m.useHierarchy !== undefined) warnings.push(`${R}.memory.useHierarchy ignored: memory cgroups are always hierarchical on current kernels`)
  }

  // --- cpu, cpuset ---
  const c = resources.cpu
  if (c) {
    if (set(c.shares)) put(`${R}.cpu.shares`, 'cpu', { v1: [['cpu.shares', String(c.shares)]], v2: [['cpu.weight', String(sharesToWeight(c.shares))]] })
    if (set(c.quota) || set(c.period)) {
      const at = set(c.quota) ? `${R}.cpu.quota` : `${R}.cpu.period`
      if (version('cpu') === 2) {
        const quota = set(c.quota) && c.quota > 0 ? String(c.quota) : 'max'
        put(at, 'cpu', { v2: [['cpu.max', `${quota} ${set(c.period) ? c.period : 100_000}`]] })
      } else {
        // the period first: the kernel checks a quota against it
        const list: [string, string][] = []
        if (set(c.period)) list.push(['cpu.cfs_period_us', String(c.period)])
        if (set(c.quota)) list.push(['cpu.cfs_quota_us', String(c.quota)])
        put(at, 'cpu', { v1: list })
      }
    }
    if (c.burst !== undefined) put(`${R}.cpu.burst`, 'cpu', { v1: [['cpu.cfs_burst_us', String(c.burst)]], v2: [['cpu.max.burst', String(c.burst)]] })
    if (set(c.realtimePeriod)) put(`${R}.cpu.realtimePeriod`, 'cpu', { v1: [['cpu.rt_period_us', String(c.realtimePeriod)]] })
    if (set(c.realtimeRuntime)) {
      // the parent's budget first: a child cgroup can't exceed it
      put(`${R}.cpu.realtimeRuntime`, 'cpu', { v1: [['cpu.rt_runtime_us', String(c.realtimeRuntime)]] }, { parentToo: true })
    }
    if (c.idle !== undefined) put(`${R}.cpu.idle`, 'cpu', { v1: [['cpu.idle', String(c.idle)]], v2: [['cpu.idle', String(c.idle)]] })
    if (c.cpus) put(`${R}.cpu.cpus`, 'cpuset', { v1: [['cpuset.cpus', c.cpus]], v2: [['cpuset.cpus', c.cpus]] })
    if (c.mems) put(`${R}.cpu.mems`, 'cpuset', { v1: [['cpuset.mems', c.mems]], v2: [['cpuset.mems', c.mems]] })
  }

  // --- pids ---
  if (resources.pids && resources.pids.limit !== 0) {
    const v = resources.pids.limit < 0 ? 'max' : String(resources.pids.limit)
    put(`${R}.pids.limit`, 'pids', { v1: [['pids.max', v]], v2: [['pids.max', v]] })
  }

  // --- block I/O: v1 blkio (BFQ's weight files: CFQ left the kernel in 5.0), v2 io ---
  const b = resources.blockIO
  if (b) {
    const io = home('io') ? 'io' : 'blkio'
    const v1Bfq = () => host.hasFile('blkio', 'blkio.bfq.weight')
    const noBfq = 'cgroup v1 has an I/O weight only with the BFQ I/O scheduler (blkio.bfq.weight), which this host lacks'
    const weightOk = (at: string, w: number) => {
      if (w < 10 || w > 1000) fail(at, `${w} is out of range (10..1000)`)
      else if (version(io) === 1 && !v1Bfq()) fail(at, noBfq)
      else return true
      return false
    }
    if (set(b.weight) && weightOk(`${R}.blockIO.weight`, b.weight)) {
      put(`${R}.blockIO.weight`, io, { v1: [['blkio.bfq.weight', String(b.weight)]], v2: [['io.weight', `default ${blkioToIoWeight(b.weight)}`]] })
    }
    if (set(b.leafWeight)) warnings.push(`${R}.blockIO.leafWeight ignored: leaf weights left the kernel with CFQ (5.0)`)
    b.weightDevice.forEach((d, i) => {
      const at = `${R}.blockIO.weightDevice[${i}]`
      if (set(d.weight) && weightOk(`${at}.weight`, d.weight)) {
        const dev = `${d.major}:${d.minor}`
        put(`${at}.weight`, io, { v1: [['blkio.bfq.weight_device', `${dev} ${d.weight}`]], v2: [['io.weight', `${dev} ${blkioToIoWeight(d.weight)}`]] })
      }
      if (set(d.leafWeight)) warnings.push(`${at}.leafWeight ignored: leaf weights left the kernel with CFQ (5.0)`)
    })
    const throttle = (field: string, list: OciThrottle[], v1: string, v2: string) =>
      list.forEach((t, i) => {
        const dev = `${t.major}:${t.minor}`
        put(`${R}.blockIO.${field}[${i}]`, io, { v1: [[`blkio.throttle.${v1}_device`, `${dev} ${t.rate}`]], v2: [['io.max', `${dev} ${v2}=${t.rate}`]] })
      })
    throttle('throttleReadBpsDevice', b.throttleReadBpsDevice, 'read_bps', 'rbps')
    throttle('throttleWriteBpsDevice', b.throttleWriteBpsDevice, 'write_bps', 'wbps')
    throttle('throttleReadIOPSDevice', b.throttleReadIOPSDevice, 'read_iops', 'riops')
    throttle('throttleWriteIOPSDevice', b.throttleWriteIOPSDevice, 'write_iops', 'wiops')
  }

  // --- huge pages: the size as the kernel spells it in the file name (2MB, 1GB, 64KB) ---
  resources.hugepageLimits.forEach((h, i) => {
    const at = `${R}.hugepageLimits[${i}]`
    if (!/^[1-9][0-9]*[KMG]B$/.test(h.pageSize)) {
      fail(`${at}.pageSize`, `${JSON.stringify(h.pageSize)} is not a huge page size as the kernel names it (such as 2MB or 1GB)`)
      return
    }
    put(`${at}.limit`, 'hugetlb', { v1: [[`hugetlb.${h.pageSize}.limit_in_bytes`, String(h.limit)]], v2: [[`hugetlb.${h.pageSize}.max`, String(h.limit)]] })
  })

  // --- network: v1 only (cgroup v2 classifies by cgroup path in nftables/BPF instead) ---
  const n = resources.network
  if (n) {
    if (n.classID !== undefined) put(`${R}.network.classID`, 'net_cls', { v1: [['net_cls.classid', String(n.classID)]] })
    n.priorities.forEach((p, i) => {
      if (!/^[^\s/]{1,15}$/.test(p.name)) fail(`${R}.network.priorities[${i}].name`, `${JSON.stringify(p.name)} is not a network interface name`)
      else put(`${R}.network.priorities[${i}]`, 'net_prio', { v1: [['net_prio.ifpriomap', `${p.name} ${p.priority}`]] })
    })
  }

  // --- unified: cgroup v2 files by name, into the v2 hierarchy (a hybrid host's too) ---
  for (const [file, value] of Object.entries(resources.unified)) {
    const at = `${R}.unified[${JSON.stringify(file)}]`
    const controller = file.split('.')[0]!
    const problem = !/^[a-z0-9_]+\.[A-Za-z0-9_.-]+$/.test(file) || file.includes('..') ? 'not a cgroup v2 file name such as memory.high' : rawCgroupKeyProblem(file)
    if (problem) fail(at, problem)
    else if (value === '' || /[\n\r\0]/.test(value)) fail(at, 'a cgroup value is one non-empty line')
    else if (!host.layout.unified) fail(at, 'this host has no cgroup v2 (it is cgroup v1), so unified keys cannot be written')
    else if (controller !== 'cgroup' && version(controller) !== 2) {
      fail(at, version(controller) === 1 ? `this host has ${controller} on cgroup v1, not in its cgroup v2 hierarchy` : `this host has no ${controller} controller on cgroup v2`)
    } else writes.push({ controller, version: 2, file, value, key: at })
  }
  return { writes, errors, warnings }
}

// --- device rules ---

/** runc's AllowedDevices (libcontainer/specconv): appended to every spec's rules. */
const RUNC_DEFAULT_RULES: { rule: Rule; path?: string }[] = [
  { rule: { type: 'c', major: -1, minor: -1, access: 'm' } },
  { rule: { type: 'b', major: -1, minor: -1, access: 'm' } },
  { rule: { type: 'c', major: 1, minor: 3, access: 'rwm' }, path: '/dev/null' },
  { rule: { type: 'c', major: 1, minor: 8, access: 'rwm' }, path: '/dev/random' },
  { rule: { type: 'c', major: 1, minor: 7, access: 'rwm' }, path: '/dev/full' },
  { rule: { type: 'c', major: 5, minor: 0, access: 'rwm' }, path: '/dev/tty' },
  { rule: { type: 'c', major: 1, minor: 5, access: 'rwm' }, path: '/dev/zero' },
  { rule: { type: 'c', major: 1, minor: 9, access: 'rwm' }, path: '/dev/urandom' },
  // /dev/pts/*, /dev/ptmx, and /dev/net/tun (kept by runc for compatibility)
  { rule: { type: 'c', major: 136, minor: -1, access: 'rwm' } },
  { rule: { type: 'c', major: 5, minor: 2, access: 'rwm' } },
  { rule: { type: 'c', major: 10, minor: 200, access: 'rwm' } },
]

interface Rule {
  type: 'c' | 'b'
  /** -1: any */
  major: number
  minor: number
  access: string
}

const ACCESS = ['r', 'w', 'm']
const access = (s: string) => ACCESS.filter((a) => s.includes(a)).join('')
const num = (n: number) => (n < 0 ? '*' : String(n))

/**
 * The device rules of `spec` as the allow list lite confines devices with (v1
 * devices.allow lines: "c 1:3 rwm"), or "all" for no confinement. As runc does: the
 * spec's linux.resources.devices in order, then runc's default allows (those for a
 * path the spec's linux.devices redefine left out), played from "deny everything" as
 * the kernel's v1 devices list would (runc's device emulator). A deny rule that leaves
 * exceptions to an allow-everything state, or punches a hole in a wildcard allow, has
 * no allow-list form and is an error naming the rule.
 */
export function deviceRuleList(spec: OciSpec): { rules: string[] | 'all'; errors: SpecError[] } {
  const errors: SpecError[] = []
  const specRules = spec.linux.resources?.devices ?? []
  const redefined = new Set(spec.linux.devices.map((d) => d.path))
  const list: { rule: Rule | 'all'; allow: boolean; at: string }[] = []
  specRules.forEach((r, i) => {
    const at = `${R}.devices[${i}]`
    const acc = r.access ?? 'rwm'
    if (acc === '' || /[^rwm]/.test(acc)) {
      errors.push({ path: `${at}.access`, message: `${JSON.stringify(acc)} is not a device access: one or more of r, w and m` })
      return
    }
    const type = r.type ?? 'a'
    list.push({ rule: type === 'a' ? 'all' : { type, major: r.major ?? -1, minor: r.minor ?? -1, access: access(acc) }, allow: r.allow, at })
  })
  for (const d of RUNC_DEFAULT_RULES) if (!d.path || !redefined.has(d.path)) list.push({ rule: d.rule, allow: true, at: `${R}.devices (runc's default devices)` })

  // The emulated state: allow-listed (defaultAllow false) or deny-listed, with exceptions.
  let defaultAllow = false
  let exceptions = new Map<string, { rule: Rule; access: string; at: string }>()
  const id = (r: Rule) => `${r.type} ${num(r.major)}:${num(r.minor)}`
  for (const { rule, allow, at } of list) {
    if (rule === 'all') {
      defaultAllow = allow
      exceptions = new Map()
      continue
    }
    const add = allow !== defaultAllow // an allow on an allow list, a deny on a deny list
    const key = id(rule)
    const old = exceptions.get(key)
    if (add) {
      exceptions.set(key, { rule, access: access((old?.access ?? '') + rule.access), at: old?.at ?? at })
      continue
    }
    // Removing access: the kernel's v1 list cannot split a wildcard exception.
    const wild: Rule[] = [
      { ...rule, major: -1 },
      { ...rule, minor: -1 },
      { ...rule, major: -1, minor: -1 },
    ]
    const hole = wild.find((w) => id(w) !== key && [...(exceptions.get(id(w))?.access ?? '')].some((a) => rule.access.includes(a)))
    if (hole) {
      errors.push({ path: at, message: `${allow ? 'allowing' : 'denying'} ${key} ${rule.access} would punch a hole in the wildcard rule ${id(hole)} ${exceptions.get(id(hole))!.access}, which device rules cannot express` })
      continue
    }
    const left = [...(old?.access ?? '')].filter((a) => !rule.access.includes(a)).join('')
    if (left) exceptions.set(key, { ...old!, access: left })
    else exceptions.delete(key)
  }
  if (errors.length) return { rules: [], errors }
  if (defaultAllow) {
    if (exceptions.size === 0) return { rules: 'all', errors }
    const first = [...exceptions.values()][0]!
    errors.push({
      path: first.at,
      message: `denies ${id(first.rule)} ${first.access} after allowing every device: lite confines devices with an allow list, so deny all devices first ({"allow": false, "access": "rwm"}) and allow the ones needed`,
    })
    return { rules: [], errors }
  }
  return { rules: [...exceptions.values()].map((e) => `${id(e.rule)} ${e.access}`), errors }
}

/** A spec's device rules that deviceRuleList could not turn into an allow list. */
export class DeviceRuleError extends Error {
  override readonly name = 'DeviceRuleError'
  constructor(readonly errors: SpecError[]) {
    super(errors.map((e) => `${e.path}: ${e.message}`).join('\n'))
  }
}

/** deviceRuleList's rules; throws DeviceRuleError when the spec's rules have no allow-list form. */
export function ociDeviceRules(spec: OciSpec): string[] | 'all' {
  const r = deviceRuleList(spec)
  if (r.errors.length) throw new DeviceRuleError(r.errors)
  return r.rules
}
