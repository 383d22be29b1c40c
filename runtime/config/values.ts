// Value parsers for config keys. Each takes the value text (already
// unquoted by the ini layer) and returns the typed value, or throws a
// ValueError whose message names the bad value. The caller adds the
// "[section] key: " prefix and the line.

import path from 'node:path'
import { ipVersion } from '../net/ip-text.ts'
import { quote, showText } from './show-text.ts'
import type { MountEntry, UserSpec } from './types.ts'
import { ValueError } from './value-error.ts'

export { quote } from './show-text.ts'

export { ValueError }
export { parseContainerName } from './container-name.ts'

function noNul(raw: string): void {
  if (raw.includes('\0')) throw new ValueError(`${quote(raw)} contains a NUL byte`)
}

// ---------------------------------------------------------------- booleans

const TRUE_WORDS = ['yes', 'true', 'on', '1']
const FALSE_WORDS = ['no', 'false', 'off', '0']

/** yes/no, true/false, on/off, 1/0, in any case (systemd's set). */
export function parseBool(raw: string): boolean {
  const word = raw.toLowerCase()
  if (TRUE_WORDS.includes(word)) return true
  if (FALSE_WORDS.includes(word)) return false
  throw new ValueError(`${quote(raw)} is not a boolean (use yes/no, true/false, on/off or 1/0)`)
}

/** A parser for a fixed set of words (exact, lower case). */
export function oneOf<const W extends string>(words: readonly W[]): (raw: string) => W {
  return (raw: string): W => {
    if ((words as readonly string[]).includes(raw)) return raw as W
    throw new ValueError(`${quote(raw)} is not one of: ${words.join(', ')}`)
  }
}

// ------------------------------------------------------------------- sizes

const SIZE = /^(\d+)(?:\.(\d+))?([KMGT])?(B|iB)?$/i
const POWERS = { '': 0n, K: 1n, M: 2n, G: 3n, T: 4n } as const

/**
 * Bytes: "4096", "512K", "64M", "1G", "1.5G"; K, M, G and T are powers of
 * 1024 and may be followed by "B" or "iB" ("64MiB"); any case. A fraction
 * must come out as a whole number of bytes, and the result must fit in
 * Number.MAX_SAFE_INTEGER.
 */
export function parseSize(raw: string): number {
  if (raw.startsWith('-')) throw new ValueError(`${quote(raw)}: a size can't be negative`)
  const m = SIZE.exec(raw)
  const unit = (m?.[3] ?? '').toUpperCase() as keyof typeof POWERS
  if (!m || (m[4] && m[4].length === 2 && unit === '')) {
    throw new ValueError(`${quote(raw)} is not a size (use bytes, or a number with K, M, G or T: 512K, 64M, 1G)`)
  }
  // exact arithmetic: 1.5K is 1536 bytes, 0.3K is not a whole number of bytes
  const fraction = m[2] ?? ''
  const scaled = BigInt(m[1]! + fraction) * 1024n ** POWERS[unit]
  const divisor = 10n ** BigInt(fraction.length)
  if (scaled % divisor !== 0n) throw new ValueError(`${quote(raw)} is not a whole number of bytes`)
  const bytes = scaled / divisor
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) throw new ValueError(`${quote(raw)} is too large`)
  return Number(bytes)
}

// ---------------------------------------------------------------- integers

/** A decimal integer in [min, max], with an optional sign. */
export function intRange(min: number, max: number): (raw: string) => number {
  return (raw: string): number => {
    if (!/^[+-]?\d+$/.test(raw)) throw new ValueError(`${quote(raw)} is not an integer`)
    const n = BigInt(raw)
    if (n < BigInt(min) || n > BigInt(max)) throw new ValueError(`${showText(raw)} is out of range (${min}..${max})`)
    return Number(n)
  }
}

// --------------------------------------------------------------- durations

/** A duration's units and their milliseconds, largest first: Go's (Docker's) units without ns and us. */
const DURATION_UNITS: ReadonlyArray<readonly [string, bigint]> = [
  ['h', 3_600_000n],
  ['m', 60_000n],
  ['s', 1000n],
  ['ms', 1n],
]

const DURATION_FORMS = 'seconds such as 30 or 0.5, or a number with ms, s, m or h such as 500ms, 2m, 1m30s'

/** Milliseconds as a parseDuration() text, largest units first: 0, 100ms, 30s, 1m30s, 24h. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0'
  let left = BigInt(ms)
  let out = ''
  for (const [unit, size] of DURATION_UNITS) {
    const n = left / size
    if (n > 0n) out += `${n}${unit}`
    left -= n * size
  }
  return out
}

/**
 * A duration in whole milliseconds, in [min, max] (milliseconds): bare seconds
 * ("30", "0.5", as [start] delay takes them), or Go-style numbers with units h, m,
 * s and ms ("500ms", "2m", "1.5h", "1m30s"), each unit at most once and largest
 * first. Exact: a fraction must come out as whole milliseconds.
 */
export function parseDuration(min: number, max: number): (raw: string) => number {
  const range = `${formatDuration(min)}..${formatDuration(max)}`
  return (raw: string): number => {
    if (raw.startsWith('-')) throw new ValueError(`${quote(raw)}: a duration can't be negative`)
    const notDuration = () => new ValueError(`${quote(raw)} is not a duration (use ${DURATION_FORMS})`)
    const parts: Array<{ whole: string; fraction: string; unit: string }> = []
    const bare = /^(\d+)(?:\.(\d+))?$/.exec(raw)
    if (bare) {
      parts.push({ whole: bare[1]!, fraction: bare[2] ?? '', unit: 's' })
    } else {
      const part = /(\d+)(?:\.(\d+))?([A-Za-zµμ]*)/y
      while (part.lastIndex < raw.length) {
        const m = part.exec(raw)
        if (!m || m[3] === '') throw notDuration()
        parts.push({ whole: m[1]!, fraction: m[2] ?? '', unit: m[3]! })
      }
      if (parts.length === 0) throw notDuration()
    }
    let total = 0n
    let last = -1
    for (const { whole, fraction, unit } of parts) {
      const index = DURATION_UNITS.findIndex(([u]) => u === unit)
      if (index < 0) throw new ValueError(`${quote(raw)}: unknown unit ${quote(unit)} (use ms, s, m or h)`)
      if (index <= last) throw new ValueError(`${quote(raw)}: write each unit once, largest first (as in 1h30m or 1m30s)`)
      last = index
      // exact arithmetic: 1.5s is 1500 ms, 0.0005s is not a whole number of them
      const scaled = BigInt(whole + fraction) * DURATION_UNITS[index]![1]
      const divisor = 10n ** BigInt(fraction.length)
      if (scaled % divisor !== 0n) throw new ValueError(`${quote(raw)} is not a whole number of milliseconds`)
      total += scaled / divisor
    }
    if (total < BigInt(min) || total > BigInt(max)) throw new ValueError(`${showText(raw)} is out of range (${range})`)
    return Number(total)
  }
}

// ------------------------------------------------------------------- paths

function normalize(p: string): string {
  const n = path.posix.normalize(p)
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n
}

/** An absolute path, normalised ("/a//b/" → "/a/b"). */
export function parseAbsolutePath(raw: string): string {
  noNul(raw)
  if (!raw.startsWith('/')) throw new ValueError(`${quote(raw)} is not an absolute path`)
  return normalize(raw)
}

/**
 * A path on the host: absolute, or relative to `baseDir` (the directory of
 * the config file, so that a config and its rootfs can move together).
 */
export function parseHostPath(raw: string, baseDir: string): string {
  noNul(raw)
  if (raw === '') throw new ValueError('empty path')
  return normalize(path.posix.resolve(baseDir, raw))
}

/**
 * A path inside the container: absolute, normalised, and without ".."
 * components (they would be resolved against the host's view while lite is
 * still setting up the mounts).
 */
export function parseContainerPath(raw: string): string {
  noNul(raw)
  if (!raw.startsWith('/')) throw new ValueError(`${quote(raw)} is not an absolute path inside the container`)
  if (raw.split('/').includes('..')) throw new ValueError(`${quote(raw)} has a ".." component`)
  return normalize(raw)
}

// ------------------------------------------------------------------- names

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/

/** RFC 1123 host name: dot-separated labels of letters, digits and inner '-'. */
export function isHostname(name: string, maxLength: number): boolean {
  return name.length > 0 && name.length <= maxLength && name.split('.').every(label => LABEL.test(label))
}

/** The container's host name; 64 bytes is the kernel's limit (HOST_NAME_MAX). */
export function parseHostname(raw: string): string {
  if (isHostname(raw, 64)) return raw
  throw new ValueError(
    `${quote(raw)} is not a valid hostname (at most 64 characters; labels of letters, digits and '-', separated by '.')`,
  )
}

// -------------------------------------------------------------------- argv

/**
 * Split a command line the way a shell would, without any expansion:
 * spaces and tabs separate words; '...' is literal; "..." is literal except
 * for \" and \\; outside quotes a backslash makes the next character literal.
 * Quotes join with what is next to them: a"b c"d is one word, "a b c d" minus
 * the quotes.
 */
export function parseArgv(raw: string): string[] {
  noNul(raw)
  const words: string[] = []
  let word = ''
  let inWord = false
  let i = 0
  while (i < raw.length) {
    const c = raw[i]!
    if (c === ' ' || c === '\t') {
      if (inWord) words.push(word)
      word = ''
      inWord = false
      i++
      continue
    }
    inWord = true
    if (c === "'") {
      const end = raw.indexOf("'", i + 1)
      if (end < 0) throw new ValueError(`unterminated ' quote in ${quote(raw)}`)
      word += raw.slice(i + 1, end)
      i = end + 1
    } else if (c === '"') {
      i++
      for (;;) {
        if (i >= raw.length) throw new ValueError(`unterminated " quote in ${quote(raw)}`)
        const d = raw[i]!
        if (d === '"') {
          i++
          break
        }
        if (d === '\\' && (raw[i + 1] === '"' || raw[i + 1] === '\\')) {
          word += raw[i + 1]
          i += 2
        } else {
          word += d
          i++
        }
      }
    } else if (c === '\\') {
      if (i + 1 >= raw.length) throw new ValueError(`trailing backslash in ${quote(raw)}`)
      word += raw[i + 1]
      i += 2
    } else {
      word += c
      i++
    }
  }
  if (inWord) words.push(word)
  if (words.length === 0) throw new ValueError('empty command')
  return words
}

// --------------------------------------------------------------------- env

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

export interface EnvVar {
  name: string
  value: string
}

/** KEY=VALUE; the value may be empty and may contain '='. */
export function parseEnv(raw: string): EnvVar {
  noNul(raw)
  const eq = raw.indexOf('=')
  const name = eq < 0 ? raw : raw.slice(0, eq)
  if (eq < 0 || !ENV_NAME.test(name)) {
    throw new ValueError(
      `${quote(raw)} is not KEY=VALUE (KEY is letters, digits and '_', not starting with a digit)`,
    )
  }
  return { name, value: raw.slice(eq + 1) }
}

// --------------------------------------------------------------------- ids

/** 2^32-1 is (uid_t)-1, "no change" to setresuid: not a usable id */
export const MAX_ID = 4294967294

function parseId(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined
  const n = Number(text)
  return n <= MAX_ID ? n : undefined
}

/** uid[:gid], numeric (names would need the rootfs's /etc/passwd); gid defaults to uid. */
export function parseUser(raw: string): UserSpec {
  const [u, g, ...rest] = raw.split(':')
  const uid = parseId(u ?? '')
  const gid = g === undefined ? uid : parseId(g)
  if (uid === undefined || gid === undefined || rest.length > 0) {
    throw new ValueError(`${quote(raw)} is not uid[:gid] (numbers from 0 to ${MAX_ID}; names are not looked up)`)
  }
  return { uid, gid }
}

/** Supplementary group ids, separated by spaces or commas; may be empty. */
export function parseGroups(raw: string): number[] {
  const words = raw.split(/[\s,]+/).filter(w => w !== '')
  return words.map(w => {
    const gid = parseId(w)
    if (gid === undefined) throw new ValueError(`${quote(w)} is not a group id (a number from 0 to ${MAX_ID})`)
    return gid
  })
}

// ------------------------------------------------------------------ rlimit

export interface RlimitValue {
  /** -1 = unlimited */
  soft: number
  hard: number
}

function parseLimit(text: string, raw: string): number {
  const word = text.toLowerCase()
  if (word === 'unlimited' || word === 'infinity') return -1
  if (/^\d+$/.test(text)) {
    const n = Number(text)
    if (n <= Number.MAX_SAFE_INTEGER) return n
    throw new ValueError(`${quote(raw)}: ${showText(text)} is too large`)
  }
  throw new ValueError(`${quote(raw)} is not soft[:hard] (each a non-negative integer or "unlimited")`)
}

/** soft[:hard], each an integer or unlimited/infinity; one value sets both. */
export function parseRlimit(raw: string): RlimitValue {
  const parts = raw.split(':')
  if (parts.length > 2) throw new ValueError(`${quote(raw)} is not soft[:hard] (each a non-negative integer or "unlimited")`)
  const soft = parseLimit(parts[0]!, raw)
  const hard = parts.length === 2 ? parseLimit(parts[1]!, raw) : soft
  const above = hard !== -1 && (soft === -1 || soft > hard)
  if (above) throw new ValueError(`${quote(raw)}: the soft limit is above the hard limit`)
  return { soft, hard }
}

// ----------------------------------------------------------------- network

/** An IPv4 or IPv6 address, as written. */
export function parseIpAddress(raw: string): string {
  if (ipVersion(raw) === 0) throw new ValueError(`${quote(raw)} is not an IP address`)
  return raw
}

/** An /etc/hosts line "ADDRESS NAME [NAME...]", returned with single spaces. */
export function parseHostsLine(raw: string): string {
  const words = raw.split(/\s+/).filter(w => w !== '')
  if (words.length < 2) throw new ValueError(`${quote(raw)} is not "ADDRESS NAME [NAME...]"`)
  const [address, ...names] = words
  if (ipVersion(address!) === 0) throw new ValueError(`${quote(address!)} is not an IP address`)
  for (const name of names) {
    if (!isHostname(name, 253)) throw new ValueError(`${quote(name)} is not a valid host name`)
  }
  return words.join(' ')
}

// ------------------------------------------------------------------ mounts

/** fstab writes a space as \040 (and tab \011, backslash \134) */
function unescapeFstab(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))
}

/** True for a bind mount: a "bind" or "rbind" option, or the type "bind". */
export function isBindMount(entry: Pick<MountEntry, 'fstype' | 'options'>): boolean {
  return entry.fstype === 'bind' || entry.options.includes('bind') || entry.options.includes('rbind')
}

const USE_A_BIND = 'if the container must see part of it, bind that host path (e.g. with bind,ro) instead'

/**
 * File system types a [mount] entry may not have: each shows the host's kernel
 * state (or its devices) in full, without the masks and read-only paths that lite
 * puts over its own /proc and /sys, so a container could write host settings
 * through it (/proc2/sys/kernel/core_pattern). The reasons say what to use.
 */
export const HOST_STATE_FSTYPES: Readonly<Record<string, string>> = {
  proc: 'lite mounts the container\'s own /proc, with host paths masked and /proc/sys read-only; a second procfs would have neither. Use /proc',
  sysfs: 'lite mounts /sys read-only with /sys/firmware masked; a second sysfs would be neither. Use /sys',
  cgroup: 'it would show the host\'s cgroup hierarchy; the container sees its own cgroup at /sys/fs/cgroup. Set limits with [resources], [cgroup] or [cgroup2]',
  cgroup2: 'it would show the host\'s cgroup hierarchy; the container sees its own cgroup at /sys/fs/cgroup. Set limits with [resources], [cgroup] or [cgroup2]',
  devtmpfs: 'it holds a node for every host device, past the device rules; pass a device with [devices] allow[]',
  securityfs: `it exposes the host's security modules (their policies, IMA, TPM logs); ${USE_A_BIND}`,
  debugfs: `it exposes the host kernel's debugging interfaces; ${USE_A_BIND}`,
  tracefs: `it controls the host kernel's tracing; ${USE_A_BIND}`,
  bpf: `it holds the host's pinned BPF programs and maps; ${USE_A_BIND}`,
  configfs: `it configures host kernel objects (USB gadgets, targets); ${USE_A_BIND}`,
  efivarfs: `it writes the firmware's EFI variables (a bad write can stop the board from booting); ${USE_A_BIND}`,
  pstore: `it holds the host's crash logs; ${USE_A_BIND}`,
  binfmt_misc: 'it registers interpreters for the programs the host runs, so the container could have the host run its code',
  fusectl: `it controls (and can abort) every FUSE mount of the host; ${USE_A_BIND}`,
  selinuxfs: `it controls the host's SELinux policy; ${USE_A_BIND}`,
  smackfs: `it controls the host's Smack policy; ${USE_A_BIND}`,
  resctrl: `it controls the host's cache and memory bandwidth allocation; ${USE_A_BIND}`,
  xenfs: `it talks to the Xen hypervisor for the host; ${USE_A_BIND}`,
  nfsd: `it controls the host's NFS server; ${USE_A_BIND}`,
  rpc_pipefs: `it carries the host's NFS client upcalls; ${USE_A_BIND}`,
}

/**
 * An fstab-like line "SOURCE TARGET TYPE [OPTIONS [DUMP [PASS]]]" (DUMP and
 * PASS are accepted and ignored). \040-style octal escapes work as in fstab.
 * TARGET is inside the container: absolute, or relative to its root; ".." is
 * refused. lite's own options create=dir|file and optional are taken out of
 * OPTIONS. A bind mount (option bind/rbind, type none or bind) may name a
 * SOURCE relative to `baseDir`, the config file's directory. A type that shows
 * the host's kernel state (HOST_STATE_FSTYPES) is refused.
 */
export function parseMountEntry(raw: string, baseDir: string): Omit<MountEntry, 'origin'> {
  noNul(raw)
  const fields = raw.split(/\s+/).filter(f => f !== '').map(unescapeFstab)
  if (fields.length < 3 || fields.length > 6) {
    throw new ValueError(`${quote(raw)} is not "SOURCE TARGET TYPE [OPTIONS]" (${fields.length} field${fields.length === 1 ? '' : 's'})`)
  }
  const [source0, target0, fstype, optionText = ''] = fields as [string, string, string, string?]
  for (const extra of fields.slice(4)) {
    if (!/^\d+$/.test(extra)) throw new ValueError(`${quote(raw)}: unexpected field ${quote(extra)} after the options`)
  }

  const target = parseContainerPath(target0.startsWith('/') ? target0 : `/${target0}`)
  if (target === '/') throw new ValueError(`${quote(raw)}: can't mount over the container's root`)

  let create: MountEntry['create'] = 'none'
  let optional = false
  const options: string[] = []
  for (const option of optionText.split(',')) {
    if (option === '') continue
    if (option === 'optional') {
      optional = true
    } else if (option.startsWith('create=')) {
      const what = option.slice('create='.length)
      if (what !== 'dir' && what !== 'file') throw new ValueError(`${quote(option)}: create= takes dir or file`)
      if (create !== 'none' && create !== what) throw new ValueError(`${quote(raw)}: create=dir and create=file together`)
      create = what
    } else {
      options.push(option)
    }
  }

  const hostState = Object.hasOwn(HOST_STATE_FSTYPES, fstype.toLowerCase()) ? HOST_STATE_FSTYPES[fstype.toLowerCase()] : undefined
  if (hostState) throw new ValueError(`the type ${quote(fstype)} is refused: ${hostState}`)

  let source = source0
  if (isBindMount({ fstype, options })) {
    if (fstype !== 'none' && fstype !== 'bind') {
      throw new ValueError(`${quote(raw)}: a bind mount needs the type "none" or "bind", not ${quote(fstype)}`)
    }
    source = parseHostPath(source0, baseDir)
  }
  return { source, target, fstype, options, create, optional }
}
