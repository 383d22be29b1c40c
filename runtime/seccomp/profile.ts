// seccomp profiles: Docker's JSON format -> lite's compact form -> the plain rule list
// that the native module compiles to BPF.
//
// The compact form keeps what decides a syscall's fate (names, action, errno, argument
// comparisons, and Docker's conditions on caps, arch and kernel version) and drops the
// rest. The build derives the default profile in this form from a pinned upstream file
// (scripts/seccomp); `[security] seccomp = PATH` reads a user's profile the same way.
// Resolution for one container (its arch, its caps, the kernel) happens at plan time.

import { FileReadError, readBoundedText } from '../config/bounded-read.ts'
import { CAP } from '../plan/linux.ts'
import { type JValue, JsonSyntaxError, parseJson } from './json.ts'

export type SeccompAction = 'allow' | 'errno' | 'kill_thread' | 'kill_process' | 'trap' | 'trace' | 'log'
export type SeccompOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'masked_eq'

export interface CompactArg {
  index: number
  op: SeccompOp
  /** decimal u64 text (a JS number cannot hold every 64-bit value) */
  value: string
  valueTwo?: string
}

export interface CompactRule {
  names: string[]
  action: SeccompAction
  errnoRet?: number
  args?: CompactArg[]
  /** the rule applies only with all of these caps (names without CAP_), on one of these arches (Docker's names), from this kernel */
  includes?: { caps?: string[]; arches?: string[]; minKernel?: string }
  /** the rule is dropped with any of these caps, or on any of these arches */
  excludes?: { caps?: string[]; arches?: string[] }
}

export interface CompactProfile {
  /** where the profile came from (the build's pinned upstream file) */
  source?: Record<string, string>
  defaultAction: SeccompAction
  defaultErrnoRet?: number
  rules: CompactRule[]
}

/** The rule list the native module takes (plan.rs SeccompSpec). */
export interface ResolvedSeccomp {
  arch: string
  defaultAction: SeccompAction
  defaultErrnoRet?: number
  rules: { names: string[]; action: SeccompAction; errnoRet?: number; args: CompactArg[] }[]
}

const ACTIONS: Record<string, SeccompAction> = {
  SCMP_ACT_ALLOW: 'allow',
  SCMP_ACT_ERRNO: 'errno',
  SCMP_ACT_KILL: 'kill_thread',
  SCMP_ACT_KILL_THREAD: 'kill_thread',
  SCMP_ACT_KILL_PROCESS: 'kill_process',
  SCMP_ACT_TRAP: 'trap',
  SCMP_ACT_TRACE: 'trace',
  SCMP_ACT_LOG: 'log',
}

const OPS: Record<string, SeccompOp> = {
  SCMP_CMP_EQ: 'eq',
  SCMP_CMP_NE: 'ne',
  SCMP_CMP_LT: 'lt',
  SCMP_CMP_LE: 'le',
  SCMP_CMP_GT: 'gt',
  SCMP_CMP_GE: 'ge',
  SCMP_CMP_MASKED_EQ: 'masked_eq',
}

/** Docker's arch names (Go's GOARCH) as the profile's includes/excludes use them. */
const ARCHES = ['amd64', 'arm64', 'x86', 'x32', 'arm', 'mips', 'mipsle', 'mips64', 'mips64le', 'mips64n32', 'mips64len32', 'mips3l64n32', 'mipsel', 'mipsel64', 'ppc', 'ppc64', 'ppc64le', 'riscv64', 's390', 's390x', 'loong64']

const U64_MAX = (1n << 64n) - 1n

export interface ProfileError {
  line: number
  message: string
}

function kindName(v: JValue): string {
  return v.kind === 'bool' ? 'a boolean' : v.kind === 'null' ? 'null' : v.kind === 'array' ? 'an array' : v.kind === 'object' ? 'an object' : `a ${v.kind}`
}

/**
 * A Docker-format profile (its text) -> the compact form, or every error found, each
 * with its line. Unknown fields are errors, as unknown config keys are.
 */
export function parseDockerProfile(text: string): { profile?: CompactProfile; errors: ProfileError[] } {
  let root: JValue
  try {
    root = parseJson(text)
  } catch (err) {
    if (err instanceof JsonSyntaxError) return { errors: [{ line: err.line, message: `not valid JSON: ${err.message}` }] }
    throw err
  }
  const errors: ProfileError[] = []
  const bad = (v: JValue, message: string) => {
    errors.push({ line: v.line, message })
    return undefined
  }
  const fieldsOf = (v: JValue, where: string, known: string[]): Map<string, JValue> | undefined => {
    if (v.kind !== 'object') return bad(v, `${where} must be an object, not ${kindName(v)}`)
    for (const [k, field] of v.fields) {
      if (!known.includes(k)) bad(field, `${where}: unknown field "${k}" (known: ${known.join(', ')})`)
    }
    return v.fields
  }
  const str = (v: JValue | undefined, where: string): string | undefined => {
    if (!v) return undefined
    if (v.kind !== 'string') return bad(v, `${where} must be a string, not ${kindName(v)}`)
    return v.value
  }
  const strings = (v: JValue | undefined, where: string): string[] | undefined => {
    if (!v) return undefined
    if (v.kind !== 'array') return bad(v, `${where} must be an array of strings, not ${kindName(v)}`)
    const out: string[] = []
    v.items.forEach((item, i) => {
      const s = str(item, `${where}[${i}]`)
      if (s !== undefined) out.push(s)
    })
    return out
  }
  const integer = (v: JValue | undefined, where: string, max: bigint): bigint | undefined => {
    if (!v) return undefined
    if (v.kind !== 'number' || !/^\d+$/.test(v.raw)) return bad(v, `${where} must be a non-negative integer`)
    const n = BigInt(v.raw)
    if (n > max) return bad(v, `${where} ${v.raw} is out of range (0..${max})`)
    return n
  }
  const action = (v: JValue | undefined, where: string): SeccompAction | undefined => {
    const s = str(v, where)
    if (s === undefined || !v) return undefined
    if (s === 'SCMP_ACT_NOTIFY') return bad(v, `${where}: SCMP_ACT_NOTIFY needs a seccomp agent, which lite does not have`)
    const a = ACTIONS[s]
    if (!a) return bad(v, `${where}: unknown action "${s}" (use ${Object.keys(ACTIONS).join(', ')})`)
    return a
  }
  const errnoFor = (v: JValue | undefined, act: SeccompAction | undefined, where: string): number | undefined => {
    if (!v) return undefined
    const n = integer(v, where, 4095n)
    if (n === undefined) return undefined
    if (act !== undefined && act !== 'errno' && act !== 'trace') return bad(v, `${where} applies only to SCMP_ACT_ERRNO and SCMP_ACT_TRACE`)
    return Number(n)
  }
  const caps = (v: JValue | undefined, where: string): string[] | undefined => {
    const list = strings(v, where)
    if (!list || !v || v.kind !== 'array') return list
    const out: string[] = []
    list.forEach((name, i) => {
      const bare = name.toUpperCase().replace(/^CAP_/, '')
      if (CAP[bare] === undefined) bad(v.items[i]!, `${where}[${i}]: unknown capability "${name}"`)
      else out.push(bare)
    })
    return out
  }
  const arches = (v: JValue | undefined, where: string): string[] | undefined => {
    const list = strings(v, where)
    if (!list || !v || v.kind !== 'array') return list
    list.forEach((a, i) => {
      if (!ARCHES.includes(a)) bad(v.items[i]!, `${where}[${i}]: unknown arch "${a}" (Docker's names: amd64, arm64, ...)`)
    })
    return list
  }

  const top = fieldsOf(root, 'the profile', ['defaultAction', 'defaultErrnoRet', 'architectures', 'archMap', 'syscalls', 'flags', 'listenerPath', 'listenerMetadata'])
  if (!top) return { errors }
  const defaultV = top.get('defaultAction')
  if (!defaultV) bad(root, 'the profile has no "defaultAction"')
  const defaultAction = action(defaultV, 'defaultAction')
  const defaultErrnoRet = errnoFor(top.get('defaultErrnoRet'), defaultAction, 'defaultErrnoRet')
  // Which arches a profile lists matters to libseccomp; lite filters the one it runs
  // on, with the names of that arch. Their shape is still checked.
  strings(top.get('architectures'), 'architectures')
  const archMap = top.get('archMap')
  if (archMap) {
    if (archMap.kind !== 'array') bad(archMap, `archMap must be an array, not ${kindName(archMap)}`)
    else archMap.items.forEach((m, i) => {
      const f = fieldsOf(m, `archMap[${i}]`, ['architecture', 'subArchitectures'])
      if (f) {
        str(f.get('architecture'), `archMap[${i}].architecture`)
        strings(f.get('subArchitectures'), `archMap[${i}].subArchitectures`)
      }
    })
  }
  const flags = strings(top.get('flags'), 'flags')
  if (flags?.length) bad(top.get('flags')!, 'flags are not supported by lite')
  const listener = str(top.get('listenerPath'), 'listenerPath')
  if (listener) bad(top.get('listenerPath')!, 'listenerPath (a seccomp agent) is not supported by lite')
  if (top.get('listenerMetadata')) str(top.get('listenerMetadata'), 'listenerMetadata')

  const rules: CompactRule[] = []
  const syscalls = top.get('syscalls')
  if (syscalls && syscalls.kind !== 'array') bad(syscalls, `syscalls must be an array, not ${kindName(syscalls)}`)
  else syscalls?.items.forEach((entry, i) => {
    const where = `syscalls[${i}]`
    const f = fieldsOf(entry, where, ['names', 'name', 'action', 'errnoRet', 'args', 'comment', 'includes', 'excludes'])
    if (!f) return
    const names = [...(strings(f.get('names'), `${where}.names`) ?? [])]
    const one = str(f.get('name'), `${where}.name`)
    if (one !== undefined) names.push(one)
    if (!f.has('names') && !f.has('name')) bad(entry, `${where} has no "names"`)
    for (const n of names) if (!/^[a-z0-9_]+$/.test(n)) bad(entry, `${where}: "${n}" is not a syscall name`)
    if (!f.has('action')) bad(entry, `${where} has no "action"`)
    const act = action(f.get('action'), `${where}.action`)
    const errnoRet = errnoFor(f.get('errnoRet'), act, `${where}.errnoRet`)
    str(f.get('comment'), `${where}.comment`)
    const args: CompactArg[] = []
    const argsV = f.get('args')
    if (argsV && argsV.kind === 'array') {
      argsV.items.forEach((a, j) => {
        const aw = `${where}.args[${j}]`
        const af = fieldsOf(a, aw, ['index', 'value', 'valueTwo', 'op'])
        if (!af) return
        const index = integer(af.get('index'), `${aw}.index`, 5n)
        const value = integer(af.get('value'), `${aw}.value`, U64_MAX)
        const valueTwo = integer(af.get('valueTwo'), `${aw}.valueTwo`, U64_MAX)
        const opText = str(af.get('op'), `${aw}.op`)
        for (const k of ['index', 'value', 'op']) if (!af.has(k)) bad(a, `${aw} has no "${k}"`)
        const op = opText === undefined ? undefined : OPS[opText]
        if (opText !== undefined && !op) bad(af.get('op')!, `${aw}.op: unknown comparison "${opText}" (use ${Object.keys(OPS).join(', ')})`)
        if (op === 'masked_eq' && value !== undefined && valueTwo !== undefined && (valueTwo & ~value) !== 0n) {
          bad(a, `${aw}: valueTwo has bits outside the mask in value, so it can never match`)
        }
        if (index === undefined || value === undefined || !op) return
        args.push({ index: Number(index), op, value: String(value), ...(op === 'masked_eq' ? { valueTwo: String(valueTwo ?? 0n) } : {}) })
      })
    } else if (argsV && argsV.kind !== 'null') bad(argsV, `${where}.args must be an array, not ${kindName(argsV)}`)
    const rule: CompactRule = { names, action: act ?? 'allow' }
    if (errnoRet !== undefined) rule.errnoRet = errnoRet
    if (args.length) rule.args = args
    const inc = f.get('includes')
    if (inc) {
      const fi = fieldsOf(inc, `${where}.includes`, ['caps', 'arches', 'minKernel'])
      if (fi) {
        const c = caps(fi.get('caps'), `${where}.includes.caps`)
        const a = arches(fi.get('arches'), `${where}.includes.arches`)
        const k = str(fi.get('minKernel'), `${where}.includes.minKernel`)
        if (k !== undefined && !/^\d+\.\d+$/.test(k)) bad(fi.get('minKernel')!, `${where}.includes.minKernel: "${k}" is not a kernel version such as "4.8"`)
        const includes: CompactRule['includes'] = {}
        if (c?.length) includes.caps = c
        if (a?.length) includes.arches = a
        if (k) includes.minKernel = k
        if (Object.keys(includes).length) rule.includes = includes
      }
    }
    const exc = f.get('excludes')
    if (exc) {
      const fe = fieldsOf(exc, `${where}.excludes`, ['caps', 'arches'])
      if (fe) {
        const c = caps(fe.get('caps'), `${where}.excludes.caps`)
        const a = arches(fe.get('arches'), `${where}.excludes.arches`)
        const excludes: CompactRule['excludes'] = {}
        if (c?.length) excludes.caps = c
        if (a?.length) excludes.arches = a
        if (Object.keys(excludes).length) rule.excludes = excludes
      }
    }
    if (names.length) rules.push(rule)
  })
  if (errors.length || !defaultAction) return { errors: errors.sort((a, b) => a.line - b.line) }
  const profile: CompactProfile = { defaultAction, rules }
  if (defaultErrnoRet !== undefined) profile.defaultErrnoRet = defaultErrnoRet
  return { profile, errors: [] }
}

/** The largest profile lite reads: Docker's default is about 20 KiB. */
export const PROFILE_FILE_LIMIT = 4 * 1024 * 1024

/** Reads and parses a profile file; errors are "FILE:LINE: message". */
export function readDockerProfile(path: string, shown = path): { profile?: CompactProfile; errors: string[] } {
  let text: string
  try {
    text = readBoundedText(path, PROFILE_FILE_LIMIT, 'a seccomp profile')
  } catch (err) {
    if (!(err instanceof FileReadError)) throw err
    return { errors: [`${shown}: ${err.message}`] }
  }
  const r = parseDockerProfile(text)
  return { profile: r.profile, errors: r.errors.map((e) => `${shown}:${e.line}: ${e.message}`) }
}

/** lite's arch (process.arch) -> the seccomp arch and Docker's name for it. */
export function seccompArch(nodeArch: string): { arch: string; docker: string } | undefined {
  if (nodeArch === 'x64') return { arch: 'x86_64', docker: 'amd64' }
  if (nodeArch === 'arm64') return { arch: 'aarch64', docker: 'arm64' }
  return undefined
}

function kernelAtLeast(release: string, min: string): boolean {
  const have = release.split(/[.-]/).map((n) => parseInt(n, 10))
  const want = min.split('.').map((n) => parseInt(n, 10))
  for (let i = 0; i < want.length; i++) {
    const h = have[i] ?? 0
    if (Number.isNaN(h) || h !== want[i]) return !Number.isNaN(h) && h > want[i]!
  }
  return true
}

/**
 * The rules that apply to one container, as Docker decides: a rule with includes
 * applies only if the container has every listed cap, runs on a listed arch and the
 * kernel is at least minKernel; a rule with excludes is dropped if the container has
 * any listed cap or runs on a listed arch.
 */
export function resolveProfile(profile: CompactProfile, env: { nodeArch: string; caps: readonly string[]; kernel: string }): ResolvedSeccomp {
  const arch = seccompArch(env.nodeArch)
  if (!arch) throw new Error(`seccomp: lite knows no seccomp arch for ${env.nodeArch}`)
  const has = (cap: string) => env.caps.includes(cap)
  const rules: ResolvedSeccomp['rules'] = []
  for (const r of profile.rules) {
    const inc = r.includes
    if (inc?.caps && !inc.caps.every(has)) continue
    if (inc?.arches && !inc.arches.includes(arch.docker)) continue
    if (inc?.minKernel && !kernelAtLeast(env.kernel, inc.minKernel)) continue
    if (r.excludes?.caps?.some(has)) continue
    if (r.excludes?.arches?.includes(arch.docker)) continue
    rules.push({ names: r.names, action: r.action, ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}), args: r.args ?? [] })
  }
  return { arch: arch.arch, defaultAction: profile.defaultAction, ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: profile.defaultErrnoRet } : {}), rules }
}
