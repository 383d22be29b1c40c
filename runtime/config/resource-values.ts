// Value parsers of [resources] and the raw cgroup sections.

import { statSync } from 'node:fs'
import { deviceNumbers } from '../host/device-numbers.ts'
import { noteInput } from '../plan/inputs.ts'
import { showText } from './show-text.ts'
import { ValueError, parseHostPath, parseSize, quote } from './values.ts'

/**
 * The smallest memory limit under which the busybox container still starts /bin/true
 * with a cold page cache, in pages, with a margin (bench/memory-floor; README "Memory
 * floor"). Cold, the container pays for reading busybox into the page cache, and pages
 * still being read in cannot be reclaimed: under other disk IO (`bench/memory-floor
 * --load`) 384 pages failed 2 to 11 starts in 30 to 40, 448 pages 1 in 40, and 512 and
 * 640 pages none in 110 and 40. Warm, about 62 pages suffice.
 */
export const MEMORY_FLOOR_PAGES = 640
export const PAGE_SIZE = 4096

/** A memory limit: a size, at least the measured floor. */
export function parseMemory(raw: string): number {
  const bytes = parseSize(raw)
  const floor = MEMORY_FLOOR_PAGES * PAGE_SIZE
  if (bytes < floor) {
    throw new ValueError(`${quote(raw)} is below lite's floor of ${floor / 1024}K (${MEMORY_FLOOR_PAGES} pages): a container does not start under less`)
  }
  return bytes
}

/** CPUs of time: a positive decimal with at most 3 places, e.g. 0.5 or 2. */
export function parseCpus(raw: string): number {
  if (!/^\d+(\.\d{1,3})?$/.test(raw)) throw new ValueError(`${quote(raw)} is not a number of CPUs (e.g. 0.5, 1, 2.25)`)
  const n = Number(raw)
  if (n < 0.01) throw new ValueError(`${quote(raw)} is too small: at least 0.01 CPU`)
  if (n > 1024) throw new ValueError(`${quote(raw)} is too large`)
  return n
}

/** A CPU or memory-node list as the kernel writes it: "0-3,6". */
export function parseCpuList(raw: string): string {
  const parts = raw.split(',')
  for (const p of parts) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(p.trim())
    if (!m || (m[2] !== undefined && Number(m[2]) < Number(m[1]))) {
      throw new ValueError(`${quote(raw)} is not a list such as 0-3,6`)
    }
  }
  return parts.map(p => p.trim()).join(',')
}

/** pids: a count of at least 1, or max. */
export function parsePids(raw: string): number {
  if (raw === 'max') return -1
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 4194304) throw new ValueError(`${quote(raw)} is not a number of processes (1..4194304, or max)`)
  return Number(raw)
}

/** "DEVICE VALUE": a block device on the host and a rate (a size for bytes per second). */
export function ioLimitParser(rate: 'bytes' | 'ops') {
  return (raw: string, baseDir: string): { device: string; major: number; minor: number; value: number } => {
    const words = raw.trim().split(/\s+/)
    if (words.length !== 2) throw new ValueError(`${quote(raw)} is not "DEVICE ${rate === 'bytes' ? 'SIZE' : 'COUNT'}" (e.g. /dev/mmcblk0 ${rate === 'bytes' ? '10M' : '500'})`)
    const device = parseHostPath(words[0]!, baseDir)
    let st
    noteInput(device)
    try {
      st = statSync(device)
    } catch {
      throw new ValueError(`${showText(words[0]!)}: no such device on this host`)
    }
    if (!st.isBlockDevice()) throw new ValueError(`${showText(words[0]!)} is not a block device`)
    const value = rate === 'bytes' ? parseSize(words[1]!) : Number(words[1])
    if (rate === 'ops' && !/^\d+$/.test(words[1]!)) throw new ValueError(`${quote(words[1]!)} is not a number of operations per second`)
    if (value < 1) throw new ValueError(`${quote(words[1]!)}: a rate must be at least 1`)
    return { device: words[0]!, ...deviceNumbers(st.rdev), value }
  }
}

/** "DEVICE [rwm]": a host character or block device under /dev, and the access to allow. */
export function parseDeviceAllow(raw: string): { path: string; type: 'c' | 'b'; major: number; minor: number; access: string; mode: number } {
  const words = raw.trim().split(/\s+/)
  if (words.length > 2 || !words[0]) throw new ValueError(`${quote(raw)} is not "DEVICE [rwm]" (e.g. /dev/i2c-1 rw)`)
  const path = words[0]
  if (!path.startsWith('/dev/') || path.split('/').includes('..')) throw new ValueError(`${quote(path)}: a device is a path under /dev`)
  const access = words[1] ?? 'rw'
  if (!/^(r?w?m?)$/.test(access) || access === '') throw new ValueError(`${quote(access)} is not an access of r, w and m, in that order (e.g. rw)`)
  let st
  noteInput(path)
  try {
    st = statSync(path)
  } catch {
    throw new ValueError(`${showText(path)}: No such file or directory (ENOENT)`)
  }
  if (!st.isCharacterDevice() && !st.isBlockDevice()) throw new ValueError(`${showText(path)} is not a device node`)
  const { major, minor } = deviceNumbers(st.rdev)
  return { path, type: st.isCharacterDevice() ? 'c' : 'b', major, minor, access, mode: st.mode & 0o7777 }
}

/** The cgroup core files that are limits, and so may be written raw. */
const CGROUP_CORE_LIMITS = new Set(['cgroup.max.depth', 'cgroup.max.descendants'])

const MOVES_A_PROCESS = 'it takes a pid and would move that host process into the container\'s cgroup (where lite\'s clean-up kills it)'

/** Interface files that are not limits: they move, kill or freeze processes, or change the hierarchy or device access. */
const NOT_LIMITS: Readonly<Record<string, string>> = {
  'cgroup.procs': MOVES_A_PROCESS,
  'cgroup.threads': MOVES_A_PROCESS,
  tasks: MOVES_A_PROCESS,
  'cgroup.kill': 'it kills every process of the container; use lite stop or lite kill',
  'cgroup.freeze': 'it freezes the container, which lite\'s stop and clean-up would then wait on',
  'cgroup.subtree_control': 'it changes the controllers of the hierarchy that lite manages',
  'cgroup.type': 'it changes the kind of the cgroup that lite manages',
  notify_on_release: 'it makes the kernel run the host\'s release_agent, as root, when the cgroup empties',
  release_agent: 'it names a host program that the kernel runs as root',
}

/**
 * Why a raw [cgroup] or [cgroup2] file may not be written, or undefined if it may:
 * only limits are written raw. `file` is the key as written (memory.high, tasks).
 */
export function rawCgroupKeyProblem(file: string): string | undefined {
  const reason =
    (Object.hasOwn(NOT_LIMITS, file) ? NOT_LIMITS[file] : undefined) ??
    (file.startsWith('devices.') ? 'it would change the device rules that lite writes; pass devices with [devices] allow[]' : undefined) ??
    (file.startsWith('freezer.') ? 'it freezes the container, which lite\'s stop and clean-up would then wait on' : undefined) ??
    (file.startsWith('cgroup.') && !CGROUP_CORE_LIMITS.has(file)
      ? `it is a cgroup core file, not a limit (of those, only ${[...CGROUP_CORE_LIMITS].join(' and ')} may be set)`
      : undefined)
  return reason && `not a limit: ${reason}`
}

/** A raw cgroup value: written as is, but one line, not empty. */
export function parseRawCgroupValue(raw: string): string {
  if (raw === '' || /[\n\r]/.test(raw)) throw new ValueError('a cgroup value is one non-empty line')
  return raw
}

/** [cgroup] parent: a relative cgroup path without "." or ".." parts. */
export function parseCgroupParent(raw: string): string {
  const p = raw.replace(/^\/+|\/+$/g, '')
  if (p === '' || p.split('/').some(part => part === '' || part === '.' || part === '..' || !/^[A-Za-z0-9_.:@-]+$/.test(part))) {
    throw new ValueError(`${quote(raw)} is not a cgroup path such as lite or system.slice/lite`)
  }
  return p
}
