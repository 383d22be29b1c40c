// `lite-oci update ID`: new limits for a running (or created, or paused) container,
// written into its cgroups. Either --resources FILE (or "-": standard input), a JSON of
// the runtime spec's linux.resources (what containerd's shim and podman send), or
// runc's flags (what docker update passes): --memory, --cpu-share, ... As runc: with
// --resources the flags are ignored, memory sizes take suffixes ("512m", "1g") and -1,
// kernel memory is ignored with a warning, and devices are never touched.
//
// The values go through the same mapping as create's (ociCgroupWrites: OCI resources ->
// cgroup files of this host's v1 or v2 hierarchies), then each write goes into the
// container's directory in the hierarchy holding its controller (manager.ts's dirFor).

import { readFileSync } from 'node:fs'
import { posix } from 'node:path'
import type { CgroupLayout } from '../../cgroup/detect.ts'
import { dirFor, writeCgroupValues, type CgroupPlacement } from '../../cgroup/manager.ts'
import type { CgroupWrite, HostCgroups } from '../../cgroup/resources.ts'
import { NOT_RUNNING, OciError, warn, type OciGlobal } from '../errors.ts'
import { ociCgroupWrites } from '../resources.ts'
import type { OciResources, SpecError } from '../spec.ts'
import { ociStatus, processIo, readRecord, type OciIo, type OciRecord } from '../state.ts'
import { parseSpec } from '../validate.ts'

/** The arguments as the CLI parses them (yargs: runc's flag names). */
export interface UpdateArgs {
  id: string
  resources?: string
  memory?: string
  'memory-reservation'?: string
  'memory-swap'?: string
  'kernel-memory'?: string
  'kernel-memory-tcp'?: string
  /** runc's name of the flag (docker passes it) */
  'cpu-share'?: string
  'cpu-shares'?: string
  'cpu-quota'?: string
  'cpu-period'?: string
  'cpu-burst'?: string
  'cpu-rt-runtime'?: string
  'cpu-rt-period'?: string
  'cpuset-cpus'?: string
  'cpuset-mems'?: string
  'cpu-idle'?: string
  'pids-limit'?: string | number
  'blkio-weight'?: string | number
  'l3-cache-schema'?: string
  'mem-bw-schema'?: string
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }

/** docker/go-units' RAMInBytes, as runc reads --memory: "512m", "1.5g", "1024", "2 GiB"; and -1 (unlimited). */
export function parseMemory(flag: string, text: string): number {
  if (text === '-1') return -1
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(text)
  const n = m ? Math.trunc(Number(m[1]) * UNITS[(m[2] ?? '').toLowerCase()]!) : NaN
  if (!Number.isSafeInteger(n)) throw new OciError(`invalid value for ${flag}: invalid size: '${text}'`)
  return n
}

function parseInteger(flag: string, text: string | number, unsigned: boolean): number {
  const s = String(text).trim()
  const n = (unsigned ? /^\d+$/ : /^-?\d+$/).test(s) ? Number(s) : NaN
  if (!Number.isSafeInteger(n)) throw new OciError(`invalid value for ${flag}: ${JSON.stringify(s)} is not ${unsigned ? 'a non-negative' : 'an'} integer`)
  return n
}

const EMPTY_BLOCK_IO = { weightDevice: [], throttleReadBpsDevice: [], throttleWriteBpsDevice: [], throttleReadIOPSDevice: [], throttleWriteIOPSDevice: [] }

/**
 * The JSON of --resources (runtime spec's linux.resources) -> OciResources, checked by
 * the config validator (wrapped in a minimal config.json); errors name the key at fault.
 */
export function resourcesFromJson(text: string, file: string): OciResources {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (e) {
    throw new OciError(`${file}: not valid JSON: ${(e as Error).message}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new OciError(`${file}: not a JSON object of linux.resources`)
  // The text itself (checked above to be one JSON object) goes in, so large integers stay exact.
  const wrapped = `{"ociVersion":"1.2.0","root":{"path":"rootfs"},"linux":{"resources":${text.replace(/^\uFEFF/, '')}\n}}`
  const r = parseSpec(wrapped, file)
  const errors = r.errors.map((e) => `${file}: ${e.path.replace(/^\.linux\.resources/, '') || '.'}: ${e.message}`)
  if (errors.length || !r.spec) throw new OciError(errors.join('\n') || `${file}: not a JSON object of linux.resources`)
  return r.spec.linux.resources ?? { devices: [], hugepageLimits: [], unified: {} }
}

/**
 * What an update asks for: the JSON of --resources (the flags are then ignored, as
 * runc), or the flags. Kernel memory is ignored with runc's warning; Intel RDT is
 * refused with runc's words.
 */
export function updateResources(a: UpdateArgs, readStdin: () => string, warnFn: (msg: string) => void): OciResources {
  if (a['l3-cache-schema']) throw new OciError('Intel RDT/CAT: l3 cache schema is not enabled')
  if (a['mem-bw-schema']) throw new OciError('Intel RDT/MBA: memory bandwidth schema is not enabled')
  let r: OciResources
  if (a.resources) {
    const file = a.resources === '-' ? 'standard input' : a.resources
    let text: string
    try {
      text = a.resources === '-' ? readStdin() : readFileSync(a.resources, 'utf8')
    } catch (e) {
      throw new OciError(`cannot read ${file}: ${(e as Error).message}`)
    }
    r = resourcesFromJson(text, file)
  } else {
    r = { devices: [], hugepageLimits: [], unified: {} }
    const memory: NonNullable<OciResources['memory']> = {}
    const cpu: NonNullable<OciResources['cpu']> = {}
    const mem = (flag: keyof UpdateArgs, key: 'limit' | 'reservation' | 'swap' | 'kernel' | 'kernelTCP') => {
      const v = a[flag]
      if (v !== undefined && v !== '') memory[key] = parseMemory(flag, String(v))
    }
    mem('memory', 'limit')
    mem('memory-reservation', 'reservation')
    mem('memory-swap', 'swap')
    mem('kernel-memory', 'kernel')
    mem('kernel-memory-tcp', 'kernelTCP')
    const int = (flag: keyof UpdateArgs, key: 'shares' | 'quota' | 'burst' | 'period' | 'realtimeRuntime' | 'realtimePeriod' | 'idle', unsigned: boolean) => {
      const v = a[flag]
      if (v !== undefined && v !== '') cpu[key] = parseInteger(flag, String(v), unsigned)
    }
    int('cpu-share', 'shares', true)
    int('cpu-shares', 'shares', true)
    int('cpu-quota', 'quota', false)
    int('cpu-period', 'period', true)
    int('cpu-burst', 'burst', true)
    int('cpu-rt-runtime', 'realtimeRuntime', false)
    int('cpu-rt-period', 'realtimePeriod', true)
    int('cpu-idle', 'idle', false)
    if (a['cpuset-cpus']) cpu.cpus = a['cpuset-cpus']
    if (a['cpuset-mems']) cpu.mems = a['cpuset-mems']
    if (Object.keys(memory).length) r.memory = memory
    if (Object.keys(cpu).length) r.cpu = cpu
    if (a['pids-limit'] !== undefined && a['pids-limit'] !== '') r.pids = { limit: parseInteger('pids-limit', a['pids-limit'], false) }
    if (a['blkio-weight'] !== undefined && a['blkio-weight'] !== '') {
      const weight = parseInteger('blkio-weight', a['blkio-weight'], true)
      if (weight !== 0) r.blockIO = { weight, ...EMPTY_BLOCK_IO }
    }
  }
  if (r.memory && (r.memory.kernel !== undefined || r.memory.kernelTCP !== undefined)) {
    warnFn('Kernel memory settings are ignored and will be removed')
    const { kernel: _k, kernelTCP: _t, ...rest } = r.memory
    r = { ...r, memory: rest }
  }
  // runc's update never changes the device rules.
  return { ...r, devices: [] }
}

/** The record's cgroup directories, each with the hierarchy it lies in (the longest mount point that holds it). */
export function placementOf(layout: CgroupLayout, dirs: readonly string[]): CgroupPlacement {
  const placed = dirs.flatMap((path) => {
    const hierarchy = layout.hierarchies
      .filter((h) => path === h.mountPoint || path.startsWith(h.mountPoint.endsWith('/') ? h.mountPoint : `${h.mountPoint}/`))
      .sort((a, b) => b.mountPoint.length - a.mountPoint.length)[0]
    return hierarchy ? [{ hierarchy, relative: posix.relative(hierarchy.mountPoint, path), path }] : []
  })
  return { parent: '', dirs: placed, v2: placed.find((d) => d.hierarchy.version === 2)?.path }
}

type WritesOf = (resources: OciResources | undefined, host: HostCgroups) => { writes: CgroupWrite[]; errors: SpecError[]; warnings?: string[] }

/**
 * cgroup v1 keeps memory.limit_in_bytes <= memory.memsw.limit_in_bytes at every write,
 * so when both change, the order depends on the current limit (runc's
 * setMemoryAndSwap): memsw first when it grows past it (or goes unlimited), else the
 * limit first.
 */
function orderMemoryWrites(p: CgroupPlacement, writes: CgroupWrite[]): CgroupWrite[] {
  const limit = writes.find((w) => w.version === 1 && w.file === 'memory.limit_in_bytes')
  const swap = writes.find((w) => w.version === 1 && w.file === 'memory.memsw.limit_in_bytes')
  const dir = limit && dirFor(p, limit)
  if (!limit || !swap || !dir) return writes
  let current = NaN
  try {
    current = Number(readFileSync(posix.join(dir.path, 'memory.limit_in_bytes'), 'utf8').trim())
  } catch {}
  const swapFirst = swap.value === '-1' || !(current >= Number(swap.value))
  if (!swapFirst) return writes
  return writes.flatMap((w) => (w === limit ? [swap, limit] : w === swap ? [] : [w]))
}

/**
 * Writes the new values into the container's cgroups. Nothing is written when a value
 * can't be set on this host, or when the container has no directory in the hierarchy
 * that holds its file.
 */
export function applyUpdate(
  rec: OciRecord,
  resources: OciResources,
  host: HostCgroups,
  warnFn: (msg: string) => void = () => {},
  writesOf: WritesOf = ociCgroupWrites,
): CgroupWrite[] {
  const { writes, errors, warnings = [] } = writesOf(resources, host)
  for (const w of warnings) warnFn(w)
  if (errors.length) throw new OciError(errors.map((e) => `linux.resources${e.path.replace(/^\.linux\.resources/, '')}: ${e.message}`).join('\n'))
  const wanted = writes.filter((w) => w.controller !== 'devices')
  const placement = placementOf(host.layout, rec.cgroups)
  const homeless = wanted.find((w) => !dirFor(placement, w))
  if (homeless) {
    const where = homeless.version === 2 ? 'cgroup v2' : `the v1 ${homeless.controller} hierarchy`
    throw new OciError(`cannot set ${homeless.key}: container ${rec.id} has no cgroup in ${where}`)
  }
  try {
    writeCgroupValues(placement, orderMemoryWrites(placement, wanted))
  } catch (e) {
    throw new OciError((e as Error).message)
  }
  return wanted
}

/** This host's cgroup hierarchies, read when needed (an update with bad flags reads none). */
async function readHost(): Promise<HostCgroups> {
  const [{ readCgroupLayout }, { readMountInfo }, { hostCgroups }] = await Promise.all([import('../../cgroup/detect.ts'), import('../../host/mountinfo.ts'), import('../../host/facts.ts')])
  return hostCgroups(readCgroupLayout(readMountInfo()))
}

export async function ociUpdate(a: UpdateArgs, g: OciGlobal, io: OciIo = processIo, host?: HostCgroups): Promise<number> {
  const rec = readRecord(g.root, a.id)
  // runc refuses a stopped container (its Set); created and paused ones are updated.
  if (ociStatus(g.root, rec) === 'stopped') throw new OciError(NOT_RUNNING)
  const resources = updateResources(a, io.readStdin, (msg) => warn(g, msg))
  applyUpdate(rec, resources, host ?? (await readHost()), (msg) => warn(g, msg))
  return 0
}
