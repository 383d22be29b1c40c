// config.json -> OciSpec. The bundle's config.json is untrusted input: it is read
// with a cap on its size, parsed by a JSON reader that keeps big integers exact and
// says where a syntax error is (line:column), then checked in one pass that collects
// every error, each named by its JSON path (".mounts[3].destination"), as lite's ini
// validation collects every error with its line.
//
// What the runtime spec allows and lite cannot honour is refused here, by name, so
// that nothing is half-created: a time namespace, seccomp notify, Intel RDT, idmapped
// mounts. Keys lite does not know are ignored (the spec allows extensions, and runc
// ignores them); a near miss of a key lite knows ("capabilites") gives a warning.

import path from 'node:path'
import { FileReadError, readBoundedText } from '../config/bounded-read.ts'
import { joinedUserNsMaps, mapText, sameRanges } from '../userns/joined.ts'
import { escapeControls, quote, showText } from '../config/show-text.ts'
import { closest } from '../config/suggest.ts'
import { CAP, RLIMIT } from '../plan/linux.ts'
import {
  HOOK_KINDS,
  NAMESPACE_TYPES,
  type NamespaceType,
  type OciCapabilities,
  type OciDevice,
  type OciDeviceRule,
  type OciHook,
  type OciHooks,
  type OciIdMapping,
  type OciLinux,
  type OciMount,
  type OciNamespace,
  type OciProcess,
  type OciResources,
  type OciRlimit,
  type OciSeccomp,
  type OciSeccompArg,
  type OciSeccompSyscall,
  type OciSpec,
  type OciThrottle,
  type OciUser,
  type SpecError,
} from './spec.ts'

/** The largest config.json lite reads; podman's are about 12 KiB. */
export const SPEC_FILE_LIMIT = 4 * 1024 * 1024

export interface SpecResult {
  /** absent when there is any error */
  spec?: OciSpec
  errors: SpecError[]
  /** "FILE: .process.capabilites: unknown key, ignored (did you mean ...?)" */
  warnings: string[]
}

// ------------------------------------------------------------------ JSON with positions

/** A JSON value; a number keeps its text, so that 18446744073709551615 stays exact. */
type Json =
  | { kind: 'object'; members: Map<string, Json> }
  | { kind: 'array'; items: Json[] }
  | { kind: 'string'; value: string }
  | { kind: 'number'; raw: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }

class JsonSyntaxError extends Error {
  constructor(
    /** where in the text, in UTF-16 units */
    readonly offset: number,
    message: string,
  ) {
    super(message)
  }
}

/** Deeper than any config.json; a bound on the recursion for a hostile one. */
const MAX_DEPTH = 200
const SPACE = /[ \t\n\r]*/y
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const PLAIN = /[^"\\\u0000-\u001f]*/y
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y
const ESCAPES = new Map(Object.entries({ '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }))
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

/**
 * A recursive-descent JSON reader (RFC 8259). A key given twice keeps its last value,
 * as Go's encoding/json (runc's reader) does; a lone surrogate from a \u escape
 * becomes U+FFFD, as there too.
 */
class JsonReader {
  private pos = 0

  constructor(private readonly text: string) {}

  document(): Json {
    if (this.text.charCodeAt(0) === 0xfeff) this.pos = 1
    this.space()
    if (this.pos >= this.text.length) this.fail('the file is empty; config.json holds one JSON object')
    const value = this.value(0)
    this.space()
    if (this.pos < this.text.length) this.fail(`${this.found()} after the end of the JSON value`)
    return value
  }

  private fail(message: string, at = this.pos): never {
    throw new JsonSyntaxError(at, message)
  }

  /** What is at the current position, for a message. */
  private found(): string {
    if (this.pos >= this.text.length) return 'the end of the file'
    return `'${escapeControls(String.fromCodePoint(this.text.codePointAt(this.pos)!))}'`
  }

  /** A hint when the next value starts where a comma should be. */
  private missingComma(): string {
    return /["{[\d-]/.test(this.text[this.pos] ?? '') ? ' (is a comma missing?)' : ''
  }

  private space(): void {
    SPACE.lastIndex = this.pos
    SPACE.exec(this.text)
    this.pos = SPACE.lastIndex
  }

  private value(depth: number): Json {
    if (depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels`)
    const c = this.text[this.pos]
    if (c === '{') return this.object(depth)
    if (c === '[') return this.array(depth)
    if (c === '"') return { kind: 'string', value: this.string() }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number()
    return this.word()
  }

  private object(depth: number): Json {
    const members = new Map<string, Json>()
    this.pos++
    this.space()
    if (this.text[this.pos] === '}') {
      this.pos++
      return { kind: 'object', members }
    }
    for (;;) {
      if (this.text[this.pos] === '}') this.fail("a comma before '}' (JSON has no trailing commas)")
      if (this.text[this.pos] !== '"') this.fail(`expected a member name in double quotes but found ${this.found()}`)
      const key = this.string()
      this.space()
      if (this.text[this.pos] !== ':') this.fail(`expected ':' after the member name but found ${this.found()}`)
      this.pos++
      this.space()
      members.set(key, this.value(depth + 1))
      this.space()
      const c = this.text[this.pos]
      if (c !== ',' && c !== '}') this.fail(`expected ',' or '}' after an object member but found ${this.found()}${this.missingComma()}`)
      this.pos++
      if (c === '}') return { kind: 'object', members }
      this.space()
    }
  }

  private array(depth: number): Json {
    const items: Json[] = []
    this.pos++
    this.space()
    if (this.text[this.pos] === ']') {
      this.pos++
      return { kind: 'array', items }
    }
    for (;;) {
      if (this.text[this.pos] === ']') this.fail("a comma before ']' (JSON has no trailing commas)")
      items.push(this.value(depth + 1))
      this.space()
      const c = this.text[this.pos]
      if (c !== ',' && c !== ']') this.fail(`expected ',' or ']' after an array item but found ${this.found()}${this.missingComma()}`)
      this.pos++
      if (c === ']') return { kind: 'array', items }
      this.space()
    }
  }

  private string(): string {
    const start = this.pos
    this.pos++
    let out = ''
    for (;;) {
      PLAIN.lastIndex = this.pos
      out += PLAIN.exec(this.text)![0]
      this.pos = PLAIN.lastIndex
      const c = this.text[this.pos]
      if (c === '"') {
        this.pos++
        return out.replace(LONE_SURROGATE, '\ufffd')
      }
      if (c === '\\') out += this.escape()
      else if (c === undefined) this.fail('a string is not closed', start)
      else if (c === '\n') this.fail('a string is not closed on its line', start)
      else this.fail(`a control character (U+${c.charCodeAt(0).toString(16).padStart(4, '0')}) must be escaped inside a string`)
    }
  }

  private escape(): string {
    const e = this.text[this.pos + 1]
    if (e === 'u') {
      const hex = this.text.slice(this.pos + 2, this.pos + 6)
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('"\\u" must be followed by four hex digits')
      this.pos += 6
      return String.fromCharCode(parseInt(hex, 16))
    }
    const plain = e === undefined ? undefined : ESCAPES.get(e)
    if (plain === undefined) this.fail(`"\\${showText(e ?? '')}" is not a JSON escape`)
    this.pos += 2
    return plain
  }

  private number(): Json {
    NUMBER.lastIndex = this.pos
    const m = NUMBER.exec(this.text)
    if (!m) this.fail(`expected a number but found ${this.found()}`)
    if (/^-?0$/.test(m[0]) && /\d/.test(this.text[this.pos + m[0].length] ?? '')) this.fail('a number must not start with 0 (JSON has no octal; write a file mode in decimal, 0644 as 420)')
    this.pos += m[0].length
    return { kind: 'number', raw: m[0] }
  }

  private word(): Json {
    WORD.lastIndex = this.pos
    const word = WORD.exec(this.text)?.[0]
    if (word === 'true' || word === 'false') {
      this.pos += word.length
      return { kind: 'boolean', value: word === 'true' }
    }
    if (word === 'null') {
      this.pos += 4
      return { kind: 'null' }
    }
    if (word !== undefined) this.fail(`${quote(word)} is not a JSON value (true, false and null are lower-case; strings are in double quotes)`)
    return this.fail(`expected a value but found ${this.found()}`)
  }
}

/** 1-based line and column (in characters) of a text offset. */
function positionOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset)
  const lineStart = before.lastIndexOf('\n') + 1
  let line = 1
  for (let i = before.indexOf('\n'); i >= 0; i = before.indexOf('\n', i + 1)) line++
  return { line, column: [...before.slice(lineStart)].length + 1 }
}

// ------------------------------------------------------------------ the check and its readers

/** One pass over the document: every error and warning found so far. */
interface Check {
  file: string
  errors: SpecError[]
  warnings: string[]
  /** ociVersion's minor (1.x); what 1.1 allows depends on it */
  minor: number
}

/** Records an error; returns undefined, so that a reader can `return report(...)`. */
function report(check: Check, at: string, message: string): undefined {
  check.errors.push({ path: at, message })
  return undefined
}

function describeKind(node: Json): string {
  switch (node.kind) {
    case 'object':
      return 'an object'
    case 'array':
      return 'an array'
    case 'null':
      return 'null'
    default:
      return `a ${node.kind}`
  }
}

/** ".linux" + "namespaces" -> ".linux.namespaces"; a key that is not a name: `.annotations["a.b"]`. */
function memberPath(parent: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${parent}.${key}` : `${parent}[${quote(key)}]`
}

function wrongKind(check: Check, node: Json, at: string, expected: string): undefined {
  return report(check, at, `must be ${expected}, not ${describeKind(node)}`)
}

function readString(check: Check, node: Json, at: string): string | undefined {
  if (node.kind !== 'string') return wrongKind(check, node, at, 'a string')
  // every string may reach the kernel (a path, an argument), where NUL ends it early
  if (node.value.includes('\0')) return report(check, at, `${quote(node.value)} contains a NUL character`)
  return node.value
}

function readBoolean(check: Check, node: Json, at: string): boolean | undefined {
  if (node.kind !== 'boolean') return wrongKind(check, node, at, 'true or false')
  return node.value
}

/** An integer range; `shown` replaces "min..max" in messages (octal modes). */
interface IntRange {
  min: bigint
  max: bigint
  shown?: string
}

function range(min: number | bigint, max: number | bigint, shown?: string): IntRange {
  return { min: BigInt(min), max: BigInt(max), shown }
}

const SAFE_MAX = Number.MAX_SAFE_INTEGER
/** uid_t and gid_t without (uid_t)-1, which setresuid takes as "leave unchanged" */
const ID = range(0, 4294967294)
const U16 = range(0, 65535)
const U32 = range(0, 4294967295)
/** an unsigned count that a JS number holds exactly */
const COUNT = range(0, SAFE_MAX)
/** an int64 where -1 means "no limit" */
const LIMIT = range(-1, SAFE_MAX)
const MAJOR = range(0, 4095)
const MINOR = range(0, 1048575)
const U64_MAX = (1n << 64n) - 1n

/** An integer as JSON wrote it, exactly; a fraction or an exponent is not one (as for Go's int fields). */
function readBigInteger(check: Check, node: Json, at: string, limits: IntRange): bigint | undefined {
  if (node.kind !== 'number') return wrongKind(check, node, at, 'an integer')
  if (!/^-?\d+$/.test(node.raw)) return report(check, at, `${showText(node.raw)} is not an integer`)
  // no range here is wider than 20 digits; a longer number is not converted (BigInt of a
  // million digits takes long), and JSON allows no leading zeros to pad a small one
  const n = node.raw.replace('-', '').length > 20 ? undefined : BigInt(node.raw)
  if (n === undefined || n < limits.min || n > limits.max) {
    return report(check, at, `${showText(node.raw)} is out of range (${limits.shown ?? `${limits.min}..${limits.max}`})`)
  }
  return n
}

function readInteger(check: Check, node: Json, at: string, limits: IntRange): number | undefined {
  const n = readBigInteger(check, node, at, limits)
  return n === undefined ? undefined : Number(n)
}

/** A resource limit (rlimit): 0..2^64-1, where 2^64-1 is RLIM_INFINITY, returned as -1. */
function readRlimitValue(check: Check, node: Json, at: string): number | undefined {
  const n = readBigInteger(check, node, at, range(0, U64_MAX))
  if (n === undefined) return undefined
  if (n === U64_MAX) return -1
  if (n > BigInt(SAFE_MAX)) {
    return report(check, at, `${n} is larger than lite can hold exactly (at most ${SAFE_MAX}, or ${U64_MAX} for unlimited)`)
  }
  return Number(n)
}

/**
 * A memory limit in bytes: -1 for none, or a count. Above 2^53 (8 PiB) a JS number
 * is not exact, and no board has that much memory, so such a limit (Go writers use
 * 2^63-1 for "none") is taken as none.
 */
function readMemoryLimit(check: Check, node: Json, at: string): number | undefined {
  const n = readBigInteger(check, node, at, range(-1, (1n << 63n) - 1n))
  if (n === undefined) return undefined
  return n > BigInt(SAFE_MAX) ? -1 : Number(n)
}

function readArray(check: Check, node: Json, at: string, expected = 'an array'): Json[] | undefined {
  if (node.kind !== 'array') return wrongKind(check, node, at, expected)
  return node.items
}

function readStrings(check: Check, node: Json, at: string): string[] | undefined {
  const items = readArray(check, node, at, 'an array of strings')
  if (!items) return undefined
  const out: string[] = []
  let ok = true
  items.forEach((item, i) => {
    const s = readString(check, item, `${at}[${i}]`)
    if (s === undefined) ok = false
    else out.push(s)
  })
  return ok ? out : undefined
}

/**
 * A JSON object of strings (annotations, sysctl, unified). `keyProblem` says what is
 * wrong with a key, if anything. The result is built with fromEntries, so a key such
 * as "__proto__" is an own property like any other.
 */
function readStringMap(
  check: Check,
  node: Json,
  at: string,
  keyProblem: (key: string) => string | undefined = () => undefined,
): Record<string, string> | undefined {
  if (node.kind !== 'object') return wrongKind(check, node, at, 'an object of strings')
  const entries: [string, string][] = []
  for (const [key, value] of node.members) {
    const where = memberPath(at, key)
    const problem = key.includes('\0') ? 'a key must not contain a NUL character' : keyProblem(key)
    if (problem) report(check, where, problem)
    const s = readString(check, value, where)
    if (!problem && s !== undefined) entries.push([key, s])
  }
  return Object.fromEntries(entries)
}

/**
 * The choice `value` probably meant: the name with its prefix ("SYS_ADMIN" ->
 * "CAP_SYS_ADMIN", "x86_64" -> "SCMP_ARCH_X86_64"), a near miss ("CAP_NET_ADMN"), or
 * the one choice that starts with it ("net" -> "network").
 */
function suggest(value: string, choices: readonly string[], prefix = ''): string | undefined {
  const prefixed = prefix + value.toUpperCase()
  if (prefix && choices.includes(prefixed)) return prefixed
  const near = closest(value, choices)
  if (near) return near
  const starting = value.length >= 3 ? choices.filter(c => c.toLowerCase().startsWith(value.toLowerCase())) : []
  return starting.length === 1 ? starting[0] : undefined
}

/** "unknown namespace type "ut" (did you mean "uts"?)", or the choices when they are few. */
function unknownChoice(what: string, value: string, choices: readonly string[], prefix = ''): string {
  const near = suggest(value, choices, prefix)
  if (near) return `unknown ${what} ${quote(value)} (did you mean "${near}"?)`
  if (choices.length <= 12) return `unknown ${what} ${quote(value)} (one of: ${choices.join(', ')})`
  return `unknown ${what} ${quote(value)}`
}

/** One of `choices`; `prefix` is what they all start with ("CAP_"), for suggestions. */
function readChoice<T extends string>(check: Check, node: Json, at: string, what: string, choices: readonly T[], prefix = ''): T | undefined {
  const s = readString(check, node, at)
  if (s === undefined) return undefined
  if (!(choices as readonly string[]).includes(s)) return report(check, at, unknownChoice(what, s, choices, prefix))
  return s as T
}

/**
 * The members of a JSON object at `at`, read by key. null counts as absent, as in
 * Go's encoding/json. Keys outside `known` are extensions and ignored, but a near miss
 * of a known key gets a warning.
 */
class Fields {
  constructor(
    readonly check: Check,
    readonly at: string,
    private readonly members: Map<string, Json>,
  ) {}

  pathOf(key: string): string {
    return memberPath(this.at, key)
  }

  node(key: string): Json | undefined {
    const node = this.members.get(key)
    return node?.kind === 'null' ? undefined : node
  }

  required(key: string): Json | undefined {
    const node = this.node(key)
    if (!node) report(this.check, this.pathOf(key), 'required but missing')
    return node
  }

  /** A key the spec defines and lite cannot honour: an error if it is given at all. */
  refuse(key: string, message: string): void {
    if (this.node(key)) report(this.check, this.pathOf(key), message)
  }

  string(key: string): string | undefined {
    const node = this.node(key)
    return node && readString(this.check, node, this.pathOf(key))
  }

  requiredString(key: string): string | undefined {
    const node = this.required(key)
    return node && readString(this.check, node, this.pathOf(key))
  }

  boolean(key: string): boolean | undefined {
    const node = this.node(key)
    return node && readBoolean(this.check, node, this.pathOf(key))
  }

  integer(key: string, limits: IntRange): number | undefined {
    const node = this.node(key)
    return node && readInteger(this.check, node, this.pathOf(key), limits)
  }

  requiredInteger(key: string, limits: IntRange): number | undefined {
    const node = this.required(key)
    return node && readInteger(this.check, node, this.pathOf(key), limits)
  }

  memoryLimit(key: string): number | undefined {
    const node = this.node(key)
    return node && readMemoryLimit(this.check, node, this.pathOf(key))
  }

  choice<T extends string>(key: string, what: string, choices: readonly T[]): T | undefined {
    const node = this.node(key)
    return node && readChoice(this.check, node, this.pathOf(key), what, choices)
  }

  /** An array of strings; absent: []. */
  strings(key: string): string[] {
    const node = this.node(key)
    return (node && readStrings(this.check, node, this.pathOf(key))) ?? []
  }

  stringMap(key: string, keyProblem?: (key: string) => string | undefined): Record<string, string> {
    const node = this.node(key)
    return (node && readStringMap(this.check, node, this.pathOf(key), keyProblem)) ?? {}
  }

  object(key: string, known: readonly string[]): Fields | undefined {
    const node = this.node(key)
    return node && readObject(this.check, node, this.pathOf(key), known)
  }

  /** An array of items, each read by `read`; absent: []. Items in error are left out. */
  list<T>(key: string, read: (node: Json, at: string) => T | undefined): T[] {
    const node = this.node(key)
    const items = node && readArray(this.check, node, this.pathOf(key))
    const out: T[] = []
    items?.forEach((item, i) => {
      const value = read(item, `${this.pathOf(key)}[${i}]`)
      if (value !== undefined) out.push(value)
    })
    return out
  }
}

function readObject(check: Check, node: Json, at: string, known: readonly string[]): Fields | undefined {
  if (node.kind !== 'object') return wrongKind(check, node, at, 'an object')
  for (const key of node.members.keys()) {
    if (known.includes(key)) continue
    const near = closest(key, known)
    if (near) check.warnings.push(escapeControls(`${check.file}: ${memberPath(at, key)}: unknown key, ignored (did you mean "${near}"?)`))
  }
  return new Fields(check, at, node.members)
}

/** The object without its undefined members (optional fields stay absent). */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}

// ------------------------------------------------------------------ paths

function hasDotDot(p: string): boolean {
  return p.split('/').includes('..')
}

/** "/a//b/./c/" -> "/a/b/c" (no ".." is left to resolve: callers refuse it first). */
function cleanAbsolute(p: string): string {
  const clean = path.posix.normalize(p)
  return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean
}

/** A path inside the container: absolute, without "..". */
function readContainerPath(check: Check, node: Json, at: string): string | undefined {
  const p = readString(check, node, at)
  if (p === undefined) return undefined
  if (!p.startsWith('/')) return report(check, at, `${quote(p)} is not an absolute path`)
  if (hasDotDot(p)) return report(check, at, `${quote(p)} has a ".." component`)
  return p
}

/** A path on the host (a hook, a namespace to join): absolute. */
function readHostPath(check: Check, node: Json | undefined, at: string): string | undefined {
  const p = node && readString(check, node, at)
  if (p === undefined) return undefined
  if (!p.startsWith('/')) return report(check, at, `${quote(p)} is not an absolute path`)
  return p
}

/** An environment: "NAME=value" entries, as runc requires; absent: []. */
function readEnvironment(check: Check, fields: Fields, key: string): string[] {
  return fields.list(key, (item, at) => readEnvironmentEntry(check, item, at))
}

function readEnvironmentEntry(check: Check, node: Json, at: string): string | undefined {
  const entry = readString(check, node, at)
  if (entry === undefined) return undefined
  const eq = entry.indexOf('=')
  if (eq < 0) return report(check, at, `${quote(entry)} is not NAME=VALUE`)
  if (eq === 0) return report(check, at, `${quote(entry)} has an empty name`)
  return entry
}

// ------------------------------------------------------------------ the keys lite knows, level by level

const TOP_KEYS = ['ociVersion', 'root', 'mounts', 'process', 'hostname', 'domainname', 'hooks', 'annotations', 'linux', 'solaris', 'windows', 'vm', 'zos']
const ROOT_KEYS = ['path', 'readonly']
const PROCESS_KEYS = [
  'terminal', 'consoleSize', 'cwd', 'env', 'args', 'commandLine', 'rlimits', 'apparmorProfile', 'capabilities',
  'noNewPrivileges', 'oomScoreAdj', 'scheduler', 'selinuxLabel', 'ioPriority', 'execCPUAffinity', 'user',
]
const CONSOLE_KEYS = ['height', 'width']
const USER_KEYS = ['uid', 'gid', 'umask', 'additionalGids', 'username']
const CAPABILITY_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const
const RLIMIT_KEYS = ['type', 'soft', 'hard']
const MOUNT_KEYS = ['destination', 'source', 'options', 'type', 'uidMappings', 'gidMappings']
const HOOK_KEYS = ['path', 'args', 'env', 'timeout']
const LINUX_KEYS = [
  'namespaces', 'uidMappings', 'gidMappings', 'timeOffsets', 'devices', 'netDevices', 'cgroupsPath', 'rootfsPropagation',
  'resources', 'intelRdt', 'sysctl', 'seccomp', 'maskedPaths', 'readonlyPaths', 'mountLabel', 'personality', 'memoryPolicy',
]
const NAMESPACE_KEYS = ['type', 'path']
const ID_MAPPING_KEYS = ['containerID', 'hostID', 'size']
const DEVICE_KEYS = ['type', 'path', 'major', 'minor', 'fileMode', 'uid', 'gid']
const RESOURCES_KEYS = ['devices', 'memory', 'cpu', 'pids', 'blockIO', 'hugepageLimits', 'network', 'rdma', 'unified']
const DEVICE_RULE_KEYS = ['allow', 'type', 'major', 'minor', 'access']
const MEMORY_KEYS = ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP', 'swappiness', 'disableOOMKiller', 'useHierarchy', 'checkBeforeUpdate']
const CPU_KEYS = ['shares', 'quota', 'burst', 'period', 'realtimeRuntime', 'realtimePeriod', 'cpus', 'mems', 'idle']
const PIDS_KEYS = ['limit']
const BLOCK_IO_KEYS = [
  'weight', 'leafWeight', 'weightDevice', 'throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice',
]
const WEIGHT_DEVICE_KEYS = ['major', 'minor', 'weight', 'leafWeight']
const THROTTLE_KEYS = ['major', 'minor', 'rate']
const HUGEPAGE_KEYS = ['pageSize', 'limit']
const NETWORK_KEYS = ['classID', 'priorities']
const PRIORITY_KEYS = ['name', 'priority']
const SECCOMP_KEYS = ['defaultAction', 'defaultErrnoRet', 'architectures', 'flags', 'listenerPath', 'listenerMetadata', 'syscalls']
const SYSCALL_KEYS = ['names', 'action', 'errnoRet', 'args']
const SECCOMP_ARG_KEYS = ['index', 'value', 'valueTwo', 'op']
const PERSONALITY_KEYS = ['domain', 'flags']

// ------------------------------------------------------------------ ociVersion and root

const SUPPORTED_VERSIONS = '1.0, 1.1 and 1.2'
/** SemVer, with the patch optional ("1.0" is seen in the wild); runc writes "1.0.2-dev". */
const VERSION = /^(\d+)\.(\d+)(?:\.\d+)?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/

function readVersion(check: Check, top: Fields): string | undefined {
  const version = top.requiredString('ociVersion')
  if (version === undefined) return undefined
  const at = top.pathOf('ociVersion')
  const m = VERSION.exec(version)
  if (!m) return report(check, at, `${quote(version)} is not a version such as "1.2.0"`)
  if (m[1] !== '1') return report(check, at, `runtime-spec ${quote(version)} is not supported; lite supports runtime-spec ${SUPPORTED_VERSIONS}`)
  check.minor = Number(m[2])
  if (check.minor > 2) {
    check.warnings.push(escapeControls(`${check.file}: ${at}: runtime-spec ${quote(version)} is newer than lite knows (${SUPPORTED_VERSIONS}); what is new in it is ignored`))
  }
  return version
}

function readRoot(check: Check, top: Fields): OciSpec['root'] | undefined {
  const node = top.required('root')
  const root = node && readObject(check, node, top.pathOf('root'), ROOT_KEYS)
  if (!root) return undefined
  const rootPath = root.requiredString('path')
  const readonly = root.boolean('readonly') ?? false
  if (rootPath === undefined) return undefined
  const at = root.pathOf('path')
  if (rootPath === '') return report(check, at, 'must not be empty')
  const clean = path.posix.normalize(rootPath)
  if (!rootPath.startsWith('/') && (clean === '..' || clean.startsWith('../'))) {
    return report(check, at, `${quote(rootPath)} is outside the bundle (a relative root path is taken from the bundle directory)`)
  }
  return { path: rootPath, readonly }
}

// ------------------------------------------------------------------ process

const CAPABILITY_NAMES = Object.keys(CAP).map(name => `CAP_${name}`)
const RLIMIT_NAMES = Object.keys(RLIMIT).map(name => `RLIMIT_${name.toUpperCase()}`)

function readProcess(check: Check, node: Json, at: string): OciProcess | undefined {
  const p = readObject(check, node, at, PROCESS_KEYS)
  if (!p) return undefined
  const terminal = p.boolean('terminal') ?? false
  const consoleSize = readConsoleSize(p)
  const user = readUser(check, p)
  const args = readArgs(check, p)
  const env = readEnvironment(check, p, 'env')
  const cwd = readCwd(check, p)
  const capabilitiesNode = p.node('capabilities')
  const capabilities = capabilitiesNode && readCapabilities(check, capabilitiesNode, p.pathOf('capabilities'))
  const rlimits = readRlimits(check, p)
  const noNewPrivileges = p.boolean('noNewPrivileges') ?? false
  const apparmorProfile = p.string('apparmorProfile')
  const selinuxLabel = p.string('selinuxLabel')
  const oomScoreAdj = p.integer('oomScoreAdj', range(-1000, 1000))
  p.refuse('scheduler', 'a scheduling policy (process.scheduler) is not supported')
  p.refuse('ioPriority', 'an I/O priority (process.ioPriority) is not supported')
  p.refuse('execCPUAffinity', 'a CPU affinity for exec (process.execCPUAffinity) is not supported')
  if (!user || !args || cwd === undefined) return undefined
  return withoutUndefined({
    terminal, consoleSize, user, args, env, cwd, capabilities, rlimits, noNewPrivileges, apparmorProfile, selinuxLabel, oomScoreAdj,
  })
}

function readConsoleSize(p: Fields): OciProcess['consoleSize'] {
  const size = p.object('consoleSize', CONSOLE_KEYS)
  if (!size) return undefined
  const height = size.requiredInteger('height', U16)
  const width = size.requiredInteger('width', U16)
  return height === undefined || width === undefined ? undefined : { height, width }
}

function readUser(check: Check, p: Fields): OciUser | undefined {
  const node = p.required('user')
  const user = node && readObject(check, node, p.pathOf('user'), USER_KEYS)
  if (!user) return undefined
  const uid = user.requiredInteger('uid', ID)
  const gid = user.requiredInteger('gid', ID)
  const umask = user.integer('umask', range(0, 0o777, '0..511, i.e. 0o777'))
  const additionalGids = user.list('additionalGids', (item, at) => readInteger(check, item, at, ID))
  if (uid === undefined || gid === undefined) return undefined
  return withoutUndefined({ uid, gid, umask, additionalGids })
}

function readArgs(check: Check, p: Fields): string[] | undefined {
  const node = p.required('args')
  const args = node && readStrings(check, node, p.pathOf('args'))
  if (!args) return undefined
  if (args.length === 0) return report(check, p.pathOf('args'), 'must name the program to run (it is empty)')
  if (args[0] === '') return report(check, `${p.pathOf('args')}[0]`, 'the program to run must not be empty')
  return args
}

function readCwd(check: Check, p: Fields): string | undefined {
  const cwd = p.requiredString('cwd')
  if (cwd === undefined) return undefined
  if (!cwd.startsWith('/')) return report(check, p.pathOf('cwd'), `${quote(cwd)} is not an absolute path`)
  return cwd
}

function readCapabilities(check: Check, node: Json, at: string): OciCapabilities | undefined {
  const caps = readObject(check, node, at, CAPABILITY_SETS)
  if (!caps) return undefined
  const sets = CAPABILITY_SETS.map(set => caps.list(set, (item, where) => readChoice(check, item, where, 'capability', CAPABILITY_NAMES, 'CAP_')))
  const [bounding, effective, inheritable, permitted, ambient] = sets as [string[], string[], string[], string[], string[]]
  return { bounding, effective, inheritable, permitted, ambient }
}

function readRlimits(check: Check, p: Fields): OciRlimit[] {
  const seen = new Set<string>()
  return p.list('rlimits', (item, at) => readRlimit(check, item, at, seen))
}

function readRlimit(check: Check, node: Json, at: string, seen: Set<string>): OciRlimit | undefined {
  const r = readObject(check, node, at, RLIMIT_KEYS)
  if (!r) return undefined
  const typeNode = r.required('type')
  const type = typeNode && readChoice(check, typeNode, r.pathOf('type'), 'resource limit', RLIMIT_NAMES, 'RLIMIT_')
  const softNode = r.required('soft')
  const hardNode = r.required('hard')
  const soft = softNode && readRlimitValue(check, softNode, r.pathOf('soft'))
  const hard = hardNode && readRlimitValue(check, hardNode, r.pathOf('hard'))
  if (type !== undefined) {
    if (seen.has(type)) report(check, r.pathOf('type'), `${type} is set twice`)
    seen.add(type)
  }
  if (soft === undefined || hard === undefined || type === undefined) return undefined
  if (hard !== -1 && (soft === -1 || soft > hard)) {
    const shown = (v: number) => (v === -1 ? 'unlimited' : String(v))
    return report(check, at, `the soft limit (${shown(soft)}) is above the hard limit (${shown(hard)})`)
  }
  return { type, soft, hard }
}

// ------------------------------------------------------------------ mounts

function readMount(check: Check, node: Json, at: string): OciMount | undefined {
  const m = readObject(check, node, at, MOUNT_KEYS)
  if (!m) return undefined
  const destination = readMountDestination(check, m)
  const type = m.string('type')
  const source = m.string('source')
  const options = m.strings('options')
  m.refuse('uidMappings', 'idmapped mounts (uidMappings on a mount) are not supported')
  m.refuse('gidMappings', 'idmapped mounts (gidMappings on a mount) are not supported')
  if (destination === undefined) return undefined
  return withoutUndefined({ destination, type, source, options })
}

/**
 * Absolute (runtime-spec 1.1 allows a relative one, taken from the container's /, as
 * runc does), without "..", and not / itself. Returned clean: "/dev//shm/" -> "/dev/shm".
 */
function readMountDestination(check: Check, m: Fields): string | undefined {
  const dest = m.requiredString('destination')
  if (dest === undefined) return undefined
  const at = m.pathOf('destination')
  if (dest === '') return report(check, at, 'must not be empty')
  if (!dest.startsWith('/') && check.minor < 1) {
    return report(check, at, `${quote(dest)} is not an absolute path (runtime-spec 1.0 requires one; 1.1 allows a relative path)`)
  }
  const absolute = dest.startsWith('/') ? dest : `/${dest}`
  if (hasDotDot(absolute)) return report(check, at, `mount onto ${quote(dest)}: a destination must not have a ".." component`)
  const clean = cleanAbsolute(absolute)
  if (clean === '/') return report(check, at, `mount onto ${quote(dest)}: that is the container's / itself, which root.path sets up`)
  return clean
}

// ------------------------------------------------------------------ hooks

function readHooks(check: Check, top: Fields): OciHooks {
  const hooks = top.object('hooks', HOOK_KINDS)
  const entries = HOOK_KINDS.map(kind => [kind, hooks?.list(kind, (item, at) => readHook(check, item, at)) ?? []])
  return Object.fromEntries(entries) as OciHooks
}

function readHook(check: Check, node: Json, at: string): OciHook | undefined {
  const h = readObject(check, node, at, HOOK_KEYS)
  if (!h) return undefined
  const hookPath = readHostPath(check, h.required('path'), h.pathOf('path'))
  const args = h.node('args') && h.strings('args')
  const env = h.node('env') && readEnvironment(check, h, 'env')
  const timeout = h.integer('timeout', range(1, 2 ** 31 - 1))
  if (hookPath === undefined) return undefined
  return withoutUndefined({ path: hookPath, args, env, timeout })
}

// ------------------------------------------------------------------ linux

const ROOTFS_PROPAGATIONS = ['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable'] as const

function readLinux(check: Check, node: Json | undefined, at: string): OciLinux {
  const l = node && readObject(check, node, at, LINUX_KEYS)
  if (!l) return { namespaces: [], uidMappings: [], gidMappings: [], devices: [], sysctl: {}, maskedPaths: [], readonlyPaths: [] }
  const namespaces = readNamespaces(check, l)
  const uidMappings = readIdMappings(check, l, 'uidMappings')
  const gidMappings = readIdMappings(check, l, 'gidMappings')
  checkUserNamespace(check, l, namespaces, { uidMappings, gidMappings })
  l.refuse('timeOffsets', 'time namespaces (linux.timeOffsets) are not supported')
  const devices = l.list('devices', (item, where) => readDevice(check, item, where))
  l.refuse('netDevices', 'moving network devices into the container (linux.netDevices) is not supported')
  const cgroupsPath = readCgroupsPath(check, l)
  const resourcesNode = l.node('resources')
  const resources = resourcesNode && readResources(check, resourcesNode, l.pathOf('resources'))
  const rootfsPropagation = l.choice('rootfsPropagation', 'rootfs propagation', ROOTFS_PROPAGATIONS)
  l.refuse('intelRdt', 'intelRdt is not supported')
  const sysctl = l.stringMap('sysctl', sysctlKeyProblem)
  const seccompNode = l.node('seccomp')
  const seccomp = seccompNode && readSeccomp(check, seccompNode, l.pathOf('seccomp'))
  const maskedPaths = l.list('maskedPaths', (item, where) => readContainerPath(check, item, where))
  const readonlyPaths = l.list('readonlyPaths', (item, where) => readContainerPath(check, item, where))
  const mountLabel = l.string('mountLabel')
  const personalityNode = l.node('personality')
  const personality = personalityNode && readPersonality(check, personalityNode, l.pathOf('personality'))
  l.refuse('memoryPolicy', 'a NUMA memory policy (linux.memoryPolicy) is not supported')
  return withoutUndefined({
    namespaces, uidMappings, gidMappings, devices, cgroupsPath, resources, rootfsPropagation, seccomp, sysctl,
    maskedPaths, readonlyPaths, mountLabel, personality,
  })
}

function readNamespaces(check: Check, l: Fields): OciNamespace[] {
  const seen = new Set<NamespaceType>()
  return l.list('namespaces', (item, at) => readNamespace(check, item, at, seen))
}

function readNamespace(check: Check, node: Json, at: string, seen: Set<NamespaceType>): OciNamespace | undefined {
  const ns = readObject(check, node, at, NAMESPACE_KEYS)
  if (!ns) return undefined
  const typeNode = ns.required('type')
  const type = typeNode && readChoice(check, typeNode, ns.pathOf('type'), 'namespace type', NAMESPACE_TYPES)
  const nsPath = readHostPath(check, ns.node('path'), ns.pathOf('path'))
  if (type === undefined) return undefined
  if (seen.has(type)) report(check, ns.pathOf('type'), `the ${type} namespace is listed twice`)
  seen.add(type)
  if (type === 'time') report(check, ns.pathOf('type'), 'time namespaces are not supported')
  return withoutUndefined({ type, path: nsPath })
}

/**
 * runc's rules, in its words: a new user namespace needs both maps (lite writes them),
 * a joined one has its own (mappings given with it must be those, as runc 1.2 checks:
 * read through a process in the namespace, userns/joined.ts), and mappings need a
 * user namespace.
 */
function checkUserNamespace(check: Check, l: Fields, namespaces: OciNamespace[], mappings: Record<'uidMappings' | 'gidMappings', OciIdMapping[]>): void {
  const keys = ['uidMappings', 'gidMappings'] as const
  const given = keys.filter(k => {
    const node = l.node(k)
    return node?.kind === 'array' && node.items.length > 0
  })
  const user = namespaces.find(ns => ns.type === 'user')
  if (!user) {
    for (const k of given) report(check, l.pathOf(k), 'uid/gid mappings without user namespace: linux.namespaces has no "user"')
  } else if (user.path !== undefined) {
    // Mappings with a path must be the joined namespace's own (containerd sends both).
    if (!given.length) return
    const joined = joinedUserNsMaps(user.path)
    for (const k of given) {
      const at = l.pathOf(k)
      if (typeof joined === 'string') {
        report(check, at, `user namespaces enabled with both a namespace path and mappings, and lite can't check that they agree: ${joined}`)
        continue
      }
      const theirs = k === 'uidMappings' ? joined.uid : joined.gid
      const ours = mappings[k].map((m) => ({ containerId: m.containerID, hostId: m.hostID, size: m.size }))
      if (!sameRanges(ours, theirs)) report(check, at, `these mappings (${mapText(ours)}) are not those of the joined user namespace ${user.path} (${mapText(theirs)})`)
    }
  } else {
    for (const k of keys.filter(k => !given.includes(k))) {
      report(check, l.pathOf(k), `user namespaces enabled, but no ${k === 'uidMappings' ? 'uid' : 'gid'} mappings found: a new user namespace (a "user" entry without a path) needs them`)
    }
  }
}

/** The kernel's limit on the lines of uid_map and gid_map (since Linux 4.15). */
const MAX_ID_MAPPINGS = 340
/** The largest id a map can hold: (uid_t)-1 is "no id", and a range must not wrap past it. */
const LAST_ID = 4294967294

function readIdMappings(check: Check, l: Fields, key: 'uidMappings' | 'gidMappings'): OciIdMapping[] {
  const node = l.node(key)
  if (node?.kind === 'array' && node.items.length > MAX_ID_MAPPINGS) {
    report(check, l.pathOf(key), `${node.items.length} mappings; the kernel takes at most ${MAX_ID_MAPPINGS}`)
    return []
  }
  const seen: { mapping: OciIdMapping; at: string }[] = []
  return l.list(key, (item, at) => readIdMapping(check, item, at, seen))
}

/** One range of a map: within the ids, and overlapping no range before it on either side (the kernel's EINVAL). */
function readIdMapping(check: Check, node: Json, at: string, seen: { mapping: OciIdMapping; at: string }[]): OciIdMapping | undefined {
  const m = readObject(check, node, at, ID_MAPPING_KEYS)
  if (!m) return undefined
  const containerID = m.requiredInteger('containerID', ID)
  const hostID = m.requiredInteger('hostID', ID)
  const size = m.requiredInteger('size', range(1, LAST_ID + 1))
  if (containerID === undefined || hostID === undefined || size === undefined) return undefined
  let fits = true
  for (const [key, start] of [['containerID', containerID], ['hostID', hostID]] as const) {
    if (start + size - 1 <= LAST_ID) continue
    report(check, at, `the ${key} range ${start}..${start + size - 1} runs past ${LAST_ID}, the largest id`)
    fits = false
  }
  if (!fits) return undefined
  const overlap = (a: number, b: number, bSize: number) => a < b + bSize && b < a + size
  for (const other of seen) {
    const o = other.mapping
    const key = overlap(containerID, o.containerID, o.size) ? 'containerID' : overlap(hostID, o.hostID, o.size) ? 'hostID' : undefined
    if (key) return report(check, at, `its ${key} range overlaps that of ${other.at}; the kernel refuses overlapping ranges`)
  }
  const mapping = { containerID, hostID, size }
  seen.push({ mapping, at })
  return mapping
}

const DEVICE_TYPES = ['c', 'b', 'u', 'p'] as const

function readDevice(check: Check, node: Json, at: string): OciDevice | undefined {
  const d = readObject(check, node, at, DEVICE_KEYS)
  if (!d) return undefined
  const typeNode = d.required('type')
  const type = typeNode && readChoice(check, typeNode, d.pathOf('type'), 'device type', DEVICE_TYPES)
  const devicePath = readDevicePath(check, d)
  // major and minor are required of c, b and u (not asked again of an unknown type)
  const numbered = type !== undefined && type !== 'p'
  const major = numbered ? d.requiredInteger('major', MAJOR) : d.integer('major', MAJOR)
  const minor = numbered ? d.requiredInteger('minor', MINOR) : d.integer('minor', MINOR)
  const fileMode = d.integer('fileMode', range(0, 0o7777, '0..4095, i.e. 0o7777'))
  const uid = d.integer('uid', ID)
  const gid = d.integer('gid', ID)
  if (type === undefined || devicePath === undefined || (numbered && (major === undefined || minor === undefined))) return undefined
  return withoutUndefined({ type, path: devicePath, major, minor, fileMode, uid, gid })
}

function readDevicePath(check: Check, d: Fields): string | undefined {
  const node = d.required('path')
  const at = d.pathOf('path')
  const p = node && readContainerPath(check, node, at)
  if (p === undefined) return undefined
  if (!cleanAbsolute(p).startsWith('/dev/')) return report(check, at, `${quote(p)} is not under /dev`)
  return p
}

function readCgroupsPath(check: Check, l: Fields): string | undefined {
  const p = l.string('cgroupsPath')
  // "/a/b", "a/b" or systemd's "slice:prefix:name": none may climb out of lite's cgroup
  if (p !== undefined && p.split(/[/:]/).includes('..')) return report(check, l.pathOf('cgroupsPath'), `${quote(p)} has a ".." component`)
  return p
}

/** "net.ipv4.ip_forward": dotted, no empty part, no "/" (which would be another directory under /proc/sys). */
function sysctlKeyProblem(key: string): string | undefined {
  if (key.split('.').some(part => part === '' || part.includes('/'))) {
    return 'a sysctl name is dotted ("net.ipv4.ip_forward"), without "/" and without empty parts'
  }
  return undefined
}

function readPersonality(check: Check, node: Json, at: string): OciLinux['personality'] {
  const p = readObject(check, node, at, PERSONALITY_KEYS)
  if (!p) return undefined
  const domainNode = p.required('domain')
  const domain = domainNode && readChoice(check, domainNode, p.pathOf('domain'), 'personality domain', ['LINUX', 'LINUX32'])
  const flags = p.strings('flags')
  // the spec defines no flags yet, so there is none lite could set
  if (flags.length > 0) report(check, p.pathOf('flags'), `personality flags are not supported (${flags.map(f => quote(f)).join(', ')})`)
  return domain === undefined ? undefined : { domain, flags }
}

// ------------------------------------------------------------------ linux.resources

function readResources(check: Check, node: Json, at: string): OciResources | undefined {
  const r = readObject(check, node, at, RESOURCES_KEYS)
  if (!r) return undefined
  const devices = r.list('devices', (item, where) => readDeviceRule(check, item, where))
  const memoryFields = r.object('memory', MEMORY_KEYS)
  const memory = memoryFields && readMemory(check, memoryFields)
  const cpuFields = r.object('cpu', CPU_KEYS)
  const cpu = cpuFields && readCpu(check, cpuFields)
  const pidsFields = r.object('pids', PIDS_KEYS)
  const pids = pidsFields && readPids(pidsFields)
  const blockIOFields = r.object('blockIO', BLOCK_IO_KEYS)
  const blockIO = blockIOFields && readBlockIO(check, blockIOFields)
  const hugepageLimits = r.list('hugepageLimits', (item, where) => readHugepageLimit(check, item, where))
  const networkFields = r.object('network', NETWORK_KEYS)
  const network = networkFields && readNetwork(check, networkFields)
  r.refuse('rdma', 'the rdma cgroup controller (linux.resources.rdma) is not supported')
  const unified = r.stringMap('unified', unifiedKeyProblem)
  return withoutUndefined({ devices, memory, cpu, pids, blockIO, hugepageLimits, network, unified })
}

const DEVICE_RULE_TYPES = ['a', 'c', 'b'] as const

function readDeviceRule(check: Check, node: Json, at: string): OciDeviceRule | undefined {
  const d = readObject(check, node, at, DEVICE_RULE_KEYS)
  if (!d) return undefined
  const allowNode = d.required('allow')
  const allow = allowNode && readBoolean(check, allowNode, d.pathOf('allow'))
  const type = d.choice('type', 'device rule type', DEVICE_RULE_TYPES)
  // -1 is "any", as absent is (runc's wildcard)
  const major = d.integer('major', range(-1, 4095))
  const minor = d.integer('minor', range(-1, 1048575))
  const access = d.string('access')
  if (access !== undefined && !/^[rwm]*$/.test(access)) return report(check, d.pathOf('access'), `${quote(access)} is not a subset of "rwm"`)
  if (allow === undefined) return undefined
  return withoutUndefined({ allow, type, major: major === -1 ? undefined : major, minor: minor === -1 ? undefined : minor, access })
}

function readMemory(check: Check, m: Fields): OciResources['memory'] {
  const memory = withoutUndefined({
    limit: m.memoryLimit('limit'),
    reservation: m.memoryLimit('reservation'),
    swap: m.memoryLimit('swap'),
    kernel: m.memoryLimit('kernel'),
    kernelTCP: m.memoryLimit('kernelTCP'),
    swappiness: m.integer('swappiness', range(0, 100)),
    disableOOMKiller: m.boolean('disableOOMKiller'),
    useHierarchy: m.boolean('useHierarchy'),
    checkBeforeUpdate: m.boolean('checkBeforeUpdate'),
  })
  // swap is memory + swap (cgroup v1's memsw), so it cannot be below the memory limit
  const { limit, swap } = memory
  if (limit !== undefined && swap !== undefined && limit > 0 && swap > 0 && swap < limit) {
    report(check, m.pathOf('swap'), `${swap} is below the memory limit (${limit}); swap counts memory plus swap`)
  }
  return memory
}

/** "0-3,6": what cpuset.cpus and cpuset.mems take; empty leaves them as they are. */
const CPU_LIST = /^(\d+(-\d+)?)(,\d+(-\d+)?)*$/

function readCpuList(check: Check, c: Fields, key: string): string | undefined {
  const list = c.string(key)
  if (list === undefined || list === '' || CPU_LIST.test(list)) return list
  return report(check, c.pathOf(key), `${quote(list)} is not a list such as "0-3,6"`)
}

function readCpu(check: Check, c: Fields): OciResources['cpu'] {
  return withoutUndefined({
    shares: c.integer('shares', COUNT),
    quota: c.integer('quota', LIMIT),
    burst: c.integer('burst', COUNT),
    period: c.integer('period', COUNT),
    realtimeRuntime: c.integer('realtimeRuntime', LIMIT),
    realtimePeriod: c.integer('realtimePeriod', COUNT),
    cpus: readCpuList(check, c, 'cpus'),
    mems: readCpuList(check, c, 'mems'),
    idle: c.integer('idle', range(0, 1)),
  })
}

function readPids(p: Fields): OciResources['pids'] {
  const limit = p.requiredInteger('limit', LIMIT)
  return limit === undefined ? undefined : { limit }
}

function readBlockIO(check: Check, b: Fields): OciResources['blockIO'] {
  const throttles = (key: string) => b.list(key, (item, at) => readThrottle(check, item, at))
  return withoutUndefined({
    weight: b.integer('weight', U16),
    leafWeight: b.integer('leafWeight', U16),
    weightDevice: b.list('weightDevice', (item, at) => readWeightDevice(check, item, at)),
    throttleReadBpsDevice: throttles('throttleReadBpsDevice'),
    throttleWriteBpsDevice: throttles('throttleWriteBpsDevice'),
    throttleReadIOPSDevice: throttles('throttleReadIOPSDevice'),
    throttleWriteIOPSDevice: throttles('throttleWriteIOPSDevice'),
  })
}

type WeightDevice = NonNullable<OciResources['blockIO']>['weightDevice'][number]

function readWeightDevice(check: Check, node: Json, at: string): WeightDevice | undefined {
  const w = readObject(check, node, at, WEIGHT_DEVICE_KEYS)
  if (!w) return undefined
  const major = w.requiredInteger('major', MAJOR)
  const minor = w.requiredInteger('minor', MINOR)
  const weight = w.integer('weight', U16)
  const leafWeight = w.integer('leafWeight', U16)
  if (major === undefined || minor === undefined) return undefined
  return withoutUndefined({ major, minor, weight, leafWeight })
}

function readThrottle(check: Check, node: Json, at: string): OciThrottle | undefined {
  const t = readObject(check, node, at, THROTTLE_KEYS)
  if (!t) return undefined
  const major = t.requiredInteger('major', MAJOR)
  const minor = t.requiredInteger('minor', MINOR)
  const rate = t.requiredInteger('rate', COUNT)
  if (major === undefined || minor === undefined || rate === undefined) return undefined
  return { major, minor, rate }
}

function readHugepageLimit(check: Check, node: Json, at: string): OciResources['hugepageLimits'][number] | undefined {
  const h = readObject(check, node, at, HUGEPAGE_KEYS)
  if (!h) return undefined
  const pageSize = h.requiredString('pageSize')
  const limit = h.requiredInteger('limit', COUNT)
  if (pageSize !== undefined && !/^[1-9]\d*[KMGTP]B$/.test(pageSize)) {
    return report(check, h.pathOf('pageSize'), `${quote(pageSize)} is not a page size such as "2MB" or "1GB"`)
  }
  if (pageSize === undefined || limit === undefined) return undefined
  return { pageSize, limit }
}

function readNetwork(check: Check, n: Fields): OciResources['network'] {
  return withoutUndefined({
    classID: n.integer('classID', U32),
    priorities: n.list('priorities', (item, at) => readPriority(check, item, at)),
  })
}

function readPriority(check: Check, node: Json, at: string): { name: string; priority: number } | undefined {
  const p = readObject(check, node, at, PRIORITY_KEYS)
  if (!p) return undefined
  const name = p.requiredString('name')
  const priority = p.requiredInteger('priority', U32)
  return name === undefined || priority === undefined ? undefined : { name, priority }
}

/** A cgroup v2 file ("memory.high"): a plain name in the container's cgroup directory. */
function unifiedKeyProblem(key: string): string | undefined {
  if (key === '' || key === '.' || key === '..' || key.includes('/')) return 'must be a plain cgroup file name such as "memory.high"'
  return undefined
}

// ------------------------------------------------------------------ linux.seccomp

const SECCOMP_ACTIONS = [
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG',
]
const SECCOMP_OPS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ']
const SECCOMP_ARCHES = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64',
  'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
]
/** TSYNC syncs the filter to every thread; the container's init has one, so it is a no-op. */
const SECCOMP_FLAGS_HONOURED = ['SECCOMP_FILTER_FLAG_TSYNC']
const SECCOMP_FLAGS_REFUSED: ReadonlyMap<string, string> = new Map([
  ['SECCOMP_FILTER_FLAG_LOG', "lite's seccomp filter cannot ask the kernel to log its actions yet"],
  ['SECCOMP_FILTER_FLAG_SPEC_ALLOW', "lite's seccomp filter cannot leave speculative store bypass mitigation off yet"],
  ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV', 'it goes with seccomp notify, which lite does not have'],
])
const SECCOMP_NOTIFY_UNSUPPORTED = 'seccomp notify (SCMP_ACT_NOTIFY) is not supported: lite has no seccomp agent'
/** errno's largest value (MAX_ERRNO) */
const ERRNO = range(0, 4095)

function readSeccomp(check: Check, node: Json, at: string): OciSeccomp | undefined {
  const s = readObject(check, node, at, SECCOMP_KEYS)
  if (!s) return undefined
  const defaultAction = readSeccompAction(check, s.required('defaultAction'), s.pathOf('defaultAction'))
  const defaultErrnoRet = readErrnoRet(check, s, 'defaultErrnoRet', defaultAction)
  const architectures = s.list('architectures', (item, where) => readChoice(check, item, where, 'seccomp architecture', SECCOMP_ARCHES, 'SCMP_ARCH_'))
  const flags = s.list('flags', (item, where) => readSeccompFlag(check, item, where))
  s.refuse('listenerPath', 'seccomp notify (listenerPath) is not supported: lite has no seccomp agent')
  const syscalls = s.list('syscalls', (item, where) => readSyscallRule(check, item, where))
  if (defaultAction === undefined) return undefined
  return withoutUndefined({ defaultAction, defaultErrnoRet, architectures, flags, syscalls })
}

function readSeccompAction(check: Check, node: Json | undefined, at: string): string | undefined {
  const action = node && readString(check, node, at)
  if (action === 'SCMP_ACT_NOTIFY') return report(check, at, SECCOMP_NOTIFY_UNSUPPORTED)
  if (action === undefined || SECCOMP_ACTIONS.includes(action)) return action
  return report(check, at, unknownChoice('seccomp action', action, SECCOMP_ACTIONS, 'SCMP_ACT_'))
}

/** An errno for SCMP_ACT_ERRNO (or a message for SCMP_ACT_TRACE); other actions take none. */
function readErrnoRet(check: Check, f: Fields, key: string, action: string | undefined): number | undefined {
  const errnoRet = f.integer(key, ERRNO)
  if (errnoRet !== undefined && action !== undefined && action !== 'SCMP_ACT_ERRNO' && action !== 'SCMP_ACT_TRACE') {
    return report(check, f.pathOf(key), `applies only to SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not ${action}`)
  }
  return errnoRet
}

function readSeccompFlag(check: Check, node: Json, at: string): string | undefined {
  const flag = readString(check, node, at)
  if (flag === undefined || SECCOMP_FLAGS_HONOURED.includes(flag)) return flag
  const why = SECCOMP_FLAGS_REFUSED.get(flag)
  if (why) return report(check, at, `seccomp flag ${flag} is not supported: ${why}`)
  return report(check, at, unknownChoice('seccomp flag', flag, [...SECCOMP_FLAGS_HONOURED, ...SECCOMP_FLAGS_REFUSED.keys()], 'SECCOMP_FILTER_FLAG_'))
}

function readSyscallRule(check: Check, node: Json, at: string): OciSeccompSyscall | undefined {
  const r = readObject(check, node, at, SYSCALL_KEYS)
  if (!r) return undefined
  const namesNode = r.required('names')
  const names = namesNode && readSyscallNames(check, namesNode, r.pathOf('names'))
  const action = readSeccompAction(check, r.required('action'), r.pathOf('action'))
  const errnoRet = readErrnoRet(check, r, 'errnoRet', action)
  const args = r.list('args', (item, where) => readSeccompArg(check, item, where))
  if (names === undefined || action === undefined) return undefined
  return withoutUndefined({ names, action, errnoRet, args })
}

function readSyscallNames(check: Check, node: Json, at: string): string[] | undefined {
  const names = readStrings(check, node, at)
  if (!names) return undefined
  if (names.length === 0) return report(check, at, 'must name at least one system call')
  const bad = names.findIndex(name => !/^[a-z0-9_]+$/.test(name))
  if (bad >= 0) return report(check, `${at}[${bad}]`, `${quote(names[bad]!)} is not a system call name`)
  return names
}

function readSeccompArg(check: Check, node: Json, at: string): OciSeccompArg | undefined {
  const a = readObject(check, node, at, SECCOMP_ARG_KEYS)
  if (!a) return undefined
  const indexNode = a.required('index')
  const index = indexNode && readInteger(check, indexNode, a.pathOf('index'), range(0, 5))
  const valueNode = a.required('value')
  const value = valueNode && readBigInteger(check, valueNode, a.pathOf('value'), range(0, U64_MAX))
  const valueTwoNode = a.node('valueTwo')
  const valueTwo = valueTwoNode && readBigInteger(check, valueTwoNode, a.pathOf('valueTwo'), range(0, U64_MAX))
  const opNode = a.required('op')
  const op = opNode && readChoice(check, opNode, a.pathOf('op'), 'seccomp comparison', SECCOMP_OPS, 'SCMP_CMP_')
  if (index === undefined || value === undefined || op === undefined) return undefined
  return withoutUndefined({ index, value, valueTwo, op })
}

// ------------------------------------------------------------------ the document

function readDocument(check: Check, root: Json): OciSpec | undefined {
  if (root.kind !== 'object') return report(check, '', `the top level must be a JSON object, not ${describeKind(root)}`)
  const top = readObject(check, root, '', TOP_KEYS)!
  const ociVersion = readVersion(check, top)
  const root_ = readRoot(check, top)
  const processNode = top.node('process')
  const process = processNode && readProcess(check, processNode, top.pathOf('process'))
  const mounts = top.list('mounts', (item, at) => readMount(check, item, at))
  const hostname = readHostname(check, top, 'hostname')
  const domainname = readHostname(check, top, 'domainname')
  const hooks = readHooks(check, top)
  const annotations = top.stringMap('annotations')
  const linux = readLinux(check, top.node('linux'), top.pathOf('linux'))
  if (check.errors.length > 0 || ociVersion === undefined || !root_) return undefined
  return withoutUndefined({ ociVersion, root: root_, mounts, process, hostname, domainname, hooks, annotations, linux })
}

/** A host or domain name: the kernel takes at most 64 bytes (__NEW_UTS_LEN). */
function readHostname(check: Check, top: Fields, key: string): string | undefined {
  const name = top.string(key)
  if (name !== undefined && Buffer.byteLength(name) > 64) return report(check, top.pathOf(key), `${quote(name)} is longer than 64 bytes, the kernel's limit`)
  return name
}

// ------------------------------------------------------------------ the API

/**
 * The text of a config.json -> the spec, or every error in it (each with its JSON
 * path; a syntax error with its line and column instead). `file` names the file in
 * warnings.
 */
export function parseSpec(text: string, file: string): SpecResult {
  let root: Json
  try {
    root = new JsonReader(text).document()
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err
    return { errors: [{ path: '', ...positionOf(text, err.offset), message: `not valid JSON: ${err.message}` }], warnings: [] }
  }
  const check: Check = { file, errors: [], warnings: [], minor: 2 }
  const spec = readDocument(check, root)
  return spec ? { spec, errors: [], warnings: check.warnings } : { errors: check.errors, warnings: check.warnings }
}

/**
 * BUNDLE/config.json, read with a cap (SPEC_FILE_LIMIT) and parsed. A file that cannot
 * be read is one error that says why ("No such file or directory (ENOENT)").
 * `file` is the path errors should name.
 */
export function readSpec(bundle: string): SpecResult & { file: string } {
  const file = path.join(bundle, 'config.json')
  let text: string
  try {
    text = readBoundedText(file, SPEC_FILE_LIMIT, 'an OCI config.json')
  } catch (err) {
    if (!(err instanceof FileReadError)) throw err
    return { errors: [{ path: '', message: err.message }], warnings: [], file }
  }
  return { ...parseSpec(text, file), file }
}

function formatSpecError(file: string, e: SpecError): string {
  if (e.line !== undefined) return `${file}:${e.line}:${e.column ?? 1}: ${e.message}`
  return e.path ? `${file}: ${e.path}: ${e.message}` : `${file}: ${e.message}`
}

/** The most error lines shown: a 4 MiB config can hold a million bad items, and engines log all of stderr. */
export const MAX_SHOWN_ERRORS = 100

/**
 * One line per error, "FILE: .linux.namespaces[2].type: unknown namespace type ...",
 * then "2 errors in FILE; nothing was created". No "lite: error: " prefix (the
 * caller's error printer adds its own) and no final newline; control characters
 * are escaped. Past MAX_SHOWN_ERRORS, one line says how many more there are.
 * '' for no errors.
 */
export function formatSpecErrors(file: string, errors: readonly SpecError[]): string {
  if (errors.length === 0) return ''
  const count = errors.length === 1 ? '1 error' : `${errors.length} errors`
  const lines = errors.slice(0, MAX_SHOWN_ERRORS).map(e => formatSpecError(file, e))
  if (errors.length > MAX_SHOWN_ERRORS) lines.push(`(${errors.length - MAX_SHOWN_ERRORS} more errors not shown)`)
  lines.push(`${count} in ${file}; nothing was created`)
  return lines.map(escapeControls).join('\n')
}
