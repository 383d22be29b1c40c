// `lite-oci exec ID` (--process FILE, or a command with runc's flags): a new process in
// a running container, through the same plan as its init: the container's config.json
// with this process in it, minus the filesystem part. A cloned child joins the init's
// namespaces (the addon's join path) and its cgroups, then runs with the process's
// user, capabilities, rlimits and the container's seccomp filter. --detach (podman's
// form) writes --pid-file and exits; otherwise lite waits and exits with its code.
//
// Health checks and probes exec the same process every few seconds: its plan (with the
// seccomp filter compiled) comes from the compiled-plan cache (plan/plan-cache.ts): its
// entries live in the container's own state dir, keyed by config.json's identity and the
// process asked for (--process by its content: engines write it to a new temp file every
// time). A hit loads neither the validator nor the planner. What the running container
// says (its namespaces, cgroups and pid) is read at every call.

import { existsSync, readFileSync, readlinkSync } from 'node:fs'
import { kernelRelease } from '../../host/uname.ts'
import { posix } from 'node:path'
import { loadNative, type Container, type Native } from '../../native/index.ts'
import { startContainer } from '../../lifecycle/launch.ts'
import { joinFilesOf } from '../../cgroup/manager.ts'
import { readHostFacts } from '../../host/facts.ts'
import type { LaunchPlan } from '../../plan/build.ts'
import { compiled, type ResultKind } from '../../plan/plan-cache.ts'
import { trace, traceNote } from '../../trace.ts'
import { NOT_RUNNING, OciError, warn, type OciGlobal } from '../errors.ts'
import { checkPreservedFds, writePidFile } from '../handoff.ts'
import { containerDir, ociStatus, readRecord } from '../state.ts'

export interface ExecOptions {
  id: string
  args: string[]
  process?: string
  tty: boolean
  'console-socket'?: string
  detach: boolean
  'pid-file'?: string
  cwd?: string
  env: string[]
  user?: string
  'additional-gids': number[]
  cap: string[]
  'no-new-privs': boolean
  'preserve-fds': number
}

type Json = Record<string, unknown>

/** --process FILE's text: read once, as it is part of the cache key. */
function readProcessFile(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (e) {
    throw new OciError(`--process ${file}: ${(e as Error).message}`)
  }
}

/** The flags that make the process when there is no --process (the cache key's part). */
function processFlags(a: ExecOptions) {
  return { args: a.args, tty: a.tty, cwd: a.cwd ?? null, env: a.env, user: a.user ?? null, gids: a['additional-gids'], cap: a.cap, noNewPrivs: a['no-new-privs'] }
}

/** The process to run, as config.json's `process` object, from --process or the flags. */
function processJson(a: ExecOptions, processText: string | undefined, base: Json | undefined): { json: Json; file: string } {
  if (a.process) {
    try {
      return { json: JSON.parse(processText!) as Json, file: a.process }
    } catch (e) {
      throw new OciError(`--process ${a.process}: not JSON: ${(e as Error).message}`)
    }
  }
  if (!a.args.length) throw new OciError('exec needs a command, or --process FILE')
  const p: Json = { ...(base ?? {}), args: a.args, terminal: a.tty }
  if (a.cwd) p.cwd = a.cwd
  if (a.env.length) p.env = [...((base?.env as string[]) ?? []), ...a.env]
  const user = { ...((base?.user as Json) ?? { uid: 0, gid: 0 }) }
  if (a.user) {
    const [uid, gid] = a.user.split(':')
    if (!/^\d+$/.test(uid ?? '') || (gid !== undefined && !/^\d+$/.test(gid))) throw new OciError(`--user ${a.user}: give UID[:GID] as numbers`)
    user.uid = Number(uid)
    if (gid !== undefined) user.gid = Number(gid)
  }
  if (a['additional-gids'].length) user.additionalGids = a['additional-gids']
  p.user = user
  if (a.cap.length) {
    const caps = { ...((base?.capabilities as Record<string, string[]>) ?? {}) }
    for (const set of ['bounding', 'effective', 'permitted']) caps[set] = [...new Set([...(caps[set] ?? []), ...a.cap])]
    p.capabilities = caps
  }
  if (a['no-new-privs']) p.noNewPrivileges = true
  return { json: p, file: '(command line)' }
}

/** The init's namespaces that differ from lite's own: the ones to join. */
function namespacesToJoin(pid: number): string[] {
  const kinds: [string, string][] = [['user', 'user'], ['mnt', 'mount'], ['pid', 'pid'], ['uts', 'uts'], ['ipc', 'ipc'], ['net', 'net'], ['cgroup', 'cgroup']]
  return kinds
    .filter(([file]) => {
      try {
        return readlinkSync(`/proc/${pid}/ns/${file}`) !== readlinkSync(`/proc/self/ns/${file}`)
      } catch {
        return false
      }
    })
    .map(([, kind]) => kind)
}

/** What an exec plans from config.json and its process: the part the cache keeps. */
interface ExecPlan {
  plan: LaunchPlan
  warnings: string[]
  consoleSize?: { height: number; width: number }
}

const EXEC_PLAN: ResultKind<ExecPlan> = {
  storable: () => true,
  isResult: (v): v is ExecPlan => {
    const r = v as Partial<ExecPlan> | null
    return !!r && typeof r === 'object' && !!r.plan?.native && Array.isArray(r.warnings)
  },
}

interface Planner {
  validate: typeof import('../validate.ts')
  plan: typeof import('../plan.ts')
  compile: typeof import('../../lifecycle/compile.ts')
  inputs: typeof import('../../plan/inputs.ts')
  native: Native
}

/**
 * The process's plan, from config.json with the process in it: validated and planned
 * as its init was, with the seccomp filter compiled; only the process part applies.
 */
function planExec(a: ExecOptions, specFile: string, processText: string | undefined, bundle: string, id: string, stateDir: string, host: ReturnType<typeof readHostFacts>, p: Planner): ExecPlan {
  p.inputs.noteInput(specFile)
  let raw: Json
  try {
    raw = JSON.parse(readFileSync(specFile, 'utf8')) as Json
  } catch (e) {
    throw new OciError(`${specFile}: ${(e as Error).message}`)
  }
  const proc = processJson(a, processText, raw.process as Json | undefined)
  const parsed = p.validate.parseSpec(JSON.stringify({ ...raw, process: proc.json }), proc.file)
  if (!parsed.spec) throw new OciError(p.validate.formatSpecErrors(proc.file, parsed.errors))
  const planned = p.plan.buildOciPlan({
    spec: parsed.spec,
    specFile: proc.file,
    bundle,
    id,
    stateDir,
    host,
    noPivot: false,
    // The container's mounts are made: what their sources are now does not matter to a
    // process joining it, and is no input of the cached plan (a volume's changing mtime
    // would make every exec a miss).
    exists: () => true,
    isDirectory: () => true,
  })
  if (!planned.plan) throw new OciError(p.validate.formatSpecErrors(proc.file, planned.errors))
  const plan = planned.plan
  const joining: LaunchPlan = {
    ...plan,
    // the container's file system is made: no op, no file, no directory of its own
    ops: [],
    etcFiles: [],
    dirs: [],
    cgroupWrites: [],
    native: {
      ...plan.native,
      ops: [],
      loopImage: undefined,
      hostname: undefined,
      domainname: undefined,
      loopbackUp: false,
      netSocket: false,
      stubInit: false,
      joinNs: undefined,
      // the container's user namespace is joined, its maps written already
      userNs: undefined,
      readyWaitFd: undefined,
      // the root exists already: nothing of its entry applies to a joining process
      mountPrivate: undefined,
      rootPropagation: undefined,
      rootEntry: undefined,
    },
  }
  const compiledPlan = p.compile.withSeccompFilter(joining, p.native, (why) => new OciError(`${specFile}: .linux.seccomp: ${why}`))
  const size = parsed.spec.process?.consoleSize
  return { plan: compiledPlan, warnings: planned.warnings, ...(size ? { consoleSize: { height: size.height, width: size.width } } : {}) }
}

export async function ociExec(a: ExecOptions, g: OciGlobal): Promise<number> {
  checkPreservedFds(a['preserve-fds'])
  const rec = readRecord(g.root, a.id)
  const status = ociStatus(g.root, rec)
  if (status !== 'running' && status !== 'created') throw new OciError(status === 'paused' ? 'cannot exec in a paused container' : NOT_RUNNING)
  const specFile = posix.join(rec.bundle, 'config.json')
  const stateDir = containerDir(g.root, rec.id)
  const processText = a.process ? readProcessFile(a.process) : undefined
  trace('host facts')
  const host = readHostFacts()
  trace('plan cache')
  let planner: Planner | undefined
  const request = {
    purpose: 'oci-exec',
    file: specFile,
    dir: stateDir,
    options: { id: rec.id, bundle: rec.bundle, process: processText ?? null, flags: processText === undefined ? processFlags(a) : null },
  }
  const { plan: cached, warnings, consoleSize, outcome } = await compiled(request, host, g.root, kernelRelease(), true, {
    prepare: async () => {
      const [validate, plan, compile, inputs, native] = await Promise.all([import('../validate.ts'), import('../plan.ts'), import('../../lifecycle/compile.ts'), import('../../plan/inputs.ts'), loadNative()])
      planner = { validate, plan, compile, inputs, native }
    },
    compile: () => planExec(a, specFile, processText, rec.bundle, rec.id, stateDir, host, planner!),
    kind: EXEC_PLAN,
  })
  traceNote(`plan cache: ${outcome}`)
  // What the running container says, read at every call.
  const plan: LaunchPlan = {
    ...cached,
    native: {
      ...cached.native,
      namespaces: namespacesToJoin(rec.pid),
      joinPid: rec.pid,
      preserveFds: a['preserve-fds'] || undefined,
      // The new process joins the container's cgroups itself, by the host's paths before it
      // joins any namespace (as lite exec's does): lite-oci writing its pid into each
      // cgroup.procs could wait out an RCU grace period. A v1 directory has a tasks file.
      ...cgroupJoinOf(rec.cgroups),
    },
  }
  if (plan.native.tty && !a['console-socket']) throw new OciError('--tty needs --console-socket (lite-oci does not relay a terminal itself)')

  trace('addon')
  const native = await loadNative()
  let container: Container
  trace('clone')
  try {
    // clone3 places it in the v2 cgroup where the kernel can (CLONE_INTO_CGROUP).
    container = native.create(plan.native, cgroupV2Of(rec.cgroups))
  } catch (e) {
    throw new OciError(`cannot enter ${a.id}: ${(e as Error).message}`)
  }
  trace('start')
  try {
    await startContainer(native, container, plan, async () => (await import('../failure.ts')).ociFailure)
  } catch (e) {
    throw new OciError((e as Error).message, 1)
  }
  if (plan.native.tty) {
    const master = container.takePtyMaster()
    if (master !== null) {
      try {
        if (consoleSize) native.setWindowSize(master, consoleSize.height, consoleSize.width)
        native.sendFdToSocket(posix.resolve(a['console-socket']!), master, '/dev/ptmx')
      } catch (e) {
        container.kill(9)
        throw new OciError(`cannot pass the pty to the console socket: ${(e as Error).message}`)
      } finally {
        native.closeFd(master)
      }
    }
  }
  if (a['pid-file']) writePidFile(posix.resolve(a['pid-file']), container.pid)
  for (const w of warnings) if (g.debug) warn(g, w)
  if (a.detach) return 0
  trace('wait')
  const exit = container.waitSync()
  return exit.signal ? 128 + exit.signal : exit.code
}

/** The recorded cgroup2 directory (it has no v1 tasks file), if any. */
function cgroupV2Of(dirs: string[]): string | undefined {
  return dirs.find((d) => !existsSync(posix.join(d, 'tasks')))
}

/** What the new process writes "0" to, joining: each v1 tasks file and the v2 cgroup.procs. */
function cgroupJoinOf(dirs: string[]): { cgroupTasks: string[]; cgroupV2Procs?: string } {
  const v2 = cgroupV2Of(dirs)
  return joinFilesOf(dirs.filter((d) => d !== v2), v2)
}
