// `lite-oci exec ID` (--process FILE, or a command with runc's flags): a new process in
// a running container, through the same plan as its init: the container's config.json
// with this process in it, minus the filesystem part. A cloned child joins the init's
// namespaces (the addon's join path) and its cgroups, then runs with the process's
// user, capabilities, rlimits and the container's seccomp filter. --detach (podman's
// form) writes --pid-file and exits; otherwise lite waits and exits with its code.

import { existsSync, readFileSync, readlinkSync } from 'node:fs'
import { posix } from 'node:path'
import { loadNative, type Container } from '../../native/index.ts'
import { startContainer } from '../../lifecycle/launch.ts'
import { joinFilesOf } from '../../cgroup/manager.ts'
import { readHostFacts } from '../../host/facts.ts'
import { NOT_RUNNING, OciError, warn, type OciGlobal } from '../errors.ts'
import { ociFailure } from '../failure.ts'
import { checkPreservedFds, writePidFile } from '../launch.ts'
import { buildOciPlan } from '../plan.ts'
import { containerDir, ociStatus, readRecord } from '../state.ts'
import { formatSpecErrors, parseSpec } from '../validate.ts'

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

/** The process to run, as config.json's `process` object, from --process or the flags. */
function processJson(a: ExecOptions, base: Json | undefined): { json: Json; file: string } {
  if (a.process) {
    let text: string
    try {
      text = readFileSync(a.process, 'utf8')
    } catch (e) {
      throw new OciError(`--process ${a.process}: ${(e as Error).message}`)
    }
    try {
      return { json: JSON.parse(text) as Json, file: a.process }
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

export async function ociExec(a: ExecOptions, g: OciGlobal): Promise<number> {
  checkPreservedFds(a['preserve-fds'])
  const rec = readRecord(g.root, a.id)
  const status = ociStatus(g.root, rec)
  if (status !== 'running' && status !== 'created') throw new OciError(status === 'paused' ? 'cannot exec in a paused container' : NOT_RUNNING)
  const specFile = posix.join(rec.bundle, 'config.json')
  let raw: Json
  try {
    raw = JSON.parse(readFileSync(specFile, 'utf8')) as Json
  } catch (e) {
    throw new OciError(`${specFile}: ${(e as Error).message}`)
  }
  const proc = processJson(a, raw.process as Json | undefined)
  const parsed = parseSpec(JSON.stringify({ ...raw, process: proc.json }), proc.file)
  if (!parsed.spec) throw new OciError(formatSpecErrors(proc.file, parsed.errors))
  const planned = buildOciPlan({
    spec: parsed.spec,
    specFile: proc.file,
    bundle: rec.bundle,
    id: rec.id,
    stateDir: containerDir(g.root, rec.id),
    host: readHostFacts(),
    noPivot: false,
    exists: existsSync,
    isDirectory: () => true,
  })
  if (!planned.plan) throw new OciError(formatSpecErrors(proc.file, planned.errors))
  const plan = planned.plan
  plan.native = {
    ...plan.native,
    namespaces: namespacesToJoin(rec.pid),
    ops: [],
    loopImage: undefined,
    hostname: undefined,
    domainname: undefined,
    loopbackUp: false,
    netSocket: false,
    stubInit: false,
    joinPid: rec.pid,
    joinNs: undefined,
    // the container's user namespace is joined ("user" above), its maps written already
    userNs: undefined,
    readyWaitFd: undefined,
    preserveFds: a['preserve-fds'] || undefined,
    // the root exists already: nothing of its entry applies to a joining process
    mountPrivate: undefined,
    rootPropagation: undefined,
    rootEntry: undefined,
    // The new process joins the container's cgroups itself, by the host's paths before it
    // joins any namespace (as lite exec's does): lite-oci writing its pid into each
    // cgroup.procs could wait out an RCU grace period. A v1 directory has a tasks file.
    ...cgroupJoinOf(rec.cgroups),
  }
  if (plan.native.tty && !a['console-socket']) throw new OciError('--tty needs --console-socket (lite-oci does not relay a terminal itself)')

  const native = await loadNative()
  let container: Container
  try {
    // clone3 places it in the v2 cgroup where the kernel can (CLONE_INTO_CGROUP).
    container = native.create(plan.native, cgroupV2Of(rec.cgroups))
  } catch (e) {
    throw new OciError(`cannot enter ${a.id}: ${(e as Error).message}`)
  }
  try {
    await startContainer(native, container, plan, ociFailure)
  } catch (e) {
    throw new OciError((e as Error).message, 1)
  }
  if (plan.native.tty) {
    const master = container.takePtyMaster()
    if (master !== null) {
      try {
        const size = parsed.spec.process?.consoleSize
        if (size) native.setWindowSize(master, size.height, size.width)
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
  for (const w of planned.warnings) if (g.debug) warn(g, w)
  if (a.detach) return 0
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
