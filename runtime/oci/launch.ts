// `create`, as runc does it, over lite's one set-up engine: config.json becomes a
// LaunchPlan (plan.ts), the addon clones the init from it, and the init sets up
// everything, then blocks on <root>/<id>/exec.fifo until `start`. lite then exits:
// the engine's supervisor (conmon, containerd-shim) is the subreaper that waits on the
// pid in --pid-file, so no lite process stays the container's parent.
//
// Order: record dir (the id is taken) → plan → cgroups → fifo → clone → devices → GO
// → ready (set-up done, waiting on the fifo) → pty to the console socket → hooks →
// state → pid file. Any failure undoes all of it: the init is killed, the cgroups and
// the record dir removed.

import { closeSync, existsSync, openSync, statSync, writeFileSync, constants as fsc } from 'node:fs'
import { posix } from 'node:path'
import { allowDevice, cgroupJoinFiles, createCgroups, loopDeviceRule, needsDeviceProgram, placeCgroups, removeCgroupDirs, v1DevicesDir, type CgroupPlacement } from '../cgroup/manager.ts'
import { describeFsError } from '../config/errno.ts'
import { LiteError } from '../errors.ts'
import { readHostFacts } from '../host/facts.ts'
import { loadNative, type Container, type Native } from '../native/index.ts'
import { startContainer } from '../lifecycle/launch.ts'
import { processStartTime } from '../lifecycle/process-identity.ts'
import type { LaunchPlan } from '../plan/build.ts'
import { OciError, warn, type OciGlobal } from './errors.ts'
import { checkPreservedFds, writePidFile } from './handoff.ts'
import { ociFailure } from './failure.ts'
import { runContainerHooks, runHostHooks } from './hooks.ts'
import { buildOciPlan } from './plan.ts'
import { ociCgroupPath } from './cgroup-path.ts'
import type { OciSpec, OciState } from './spec.ts'
import { checkId, fifoPath, lockContainer, makeContainerDir, removeContainerDir, unlockContainer, writeRecord, type OciRecord } from './state.ts'
import { formatSpecErrors, readSpec } from './validate.ts'

export interface CreateOptions {
  id: string
  bundle?: string
  'pid-file'?: string
  'console-socket'?: string
  'no-pivot': boolean
  'preserve-fds': number
}

/** systemd's "slice:prefix:name" cgroupsPath, or --systemd-cgroup: refused without systemd. */
function refuseSystemd(g: OciGlobal, cgroupsPath: string | undefined): void {
  const systemdForm = !!cgroupsPath && !cgroupsPath.startsWith('/') && cgroupsPath.split(':').length === 3
  if (!g.systemdCgroup && !systemdForm) return
  const asked = g.systemdCgroup ? '--systemd-cgroup' : `the systemd form of linux.cgroupsPath ("${cgroupsPath}")`
  if (!existsSync('/run/systemd/system')) {
    throw new OciError(`${asked} needs a running systemd, and this host has none (no /run/systemd/system): use the cgroupfs driver (an absolute linux.cgroupsPath such as "/lite/ID")`)
  }
  throw new OciError(`${asked}: lite drives cgroups through cgroupfs only; use an absolute linux.cgroupsPath such as "/lite/ID"`)
}

/** Device access: v1's devices list (deny all, then the allows), else v2's BPF program. */
function confineDevices(native: Native, container: Container, cgroups: CgroupPlacement, rules: string[] | 'all'): void {
  if (rules === 'all') return
  const all = [...rules]
  if (container.loopDevice) all.push(loopDeviceRule(container.loopDevice))
  const v1 = v1DevicesDir(cgroups)
  if (v1) {
    try {
      writeFileSync(posix.join(v1.path, 'devices.deny'), 'a')
    } catch (e) {
      throw new OciError(`cannot confine the container's devices in ${v1.path}: ${describeFsError(e)}`)
    }
    for (const rule of all) allowDevice(cgroups, rule)
  }
  if (cgroups.v2 && needsDeviceProgram(cgroups)) {
    try {
      native.attachDeviceFilter(cgroups.v2, all)
    } catch (e) {
      throw new OciError(`cannot confine the container's devices (cgroup v2 device program): ${(e as Error).message}`)
    }
  }
}

export function stateOf(rec: Pick<OciRecord, 'id' | 'bundle' | 'pid' | 'annotations'>, status: OciState['status'], ociVersion: string): OciState {
  return { ociVersion, id: rec.id, status, pid: rec.pid, bundle: rec.bundle, annotations: rec.annotations }
}

function openNamespaces(plan: LaunchPlan): { kind: string; fd: number }[] {
  const fds: { kind: string; fd: number }[] = []
  try {
    for (const ns of plan.joinNamespaces ?? []) {
      try {
        fds.push({ kind: ns.kind, fd: openSync(ns.path, fsc.O_RDONLY) })
      } catch (e) {
        throw new OciError(`${ns.at}: cannot open ${ns.path}: ${describeFsError(e)}`)
      }
    }
  } catch (e) {
    for (const { fd } of fds) closeSync(fd)
    throw e
  }
  return fds
}

export interface Created {
  record: OciRecord
  spec: OciSpec
  native: Native
  container: Container
}

/** Everything of `create` but the exit: the init waits on the fifo when this returns. */
export async function createContainer(opts: CreateOptions, g: OciGlobal): Promise<Created> {
  checkId(opts.id)
  if (process.geteuid?.() !== 0) throw new OciError('lite-oci needs root: it creates namespaces and mounts (rootless containers come with user namespaces)')
  const bundle = posix.resolve(opts.bundle ?? process.cwd())
  const read = readSpec(bundle)
  if (!read.spec) throw new OciError(formatSpecErrors(read.file, read.errors))
  const spec = read.spec
  refuseSystemd(g, spec.linux.cgroupsPath)
  checkPreservedFds(opts['preserve-fds'])

  const dir = makeContainerDir(g.root, opts.id)
  const native = await loadNative()
  // Held until the record exists: a delete meanwhile would take the half-made directory
  // for an aborted create's and remove it.
  const lock = await lockContainer(g.root, opts.id, native)
  const made: string[] = []
  let container: Container | undefined
  let fifoFd: number | undefined
  let nsFds: { kind: string; fd: number }[] = []
  try {
    const host = readHostFacts()
    const planned = buildOciPlan({
      spec,
      specFile: read.file,
      bundle,
      id: opts.id,
      stateDir: dir,
      host,
      noPivot: opts['no-pivot'],
      exists: existsSync,
      isDirectory: (p) => {
        try {
          return statSync(p).isDirectory()
        } catch {
          return false
        }
      },
    })
    for (const w of planned.warnings) warn(g, w)
    if (!planned.plan) throw new OciError(formatSpecErrors(read.file, planned.errors))
    const plan = planned.plan

    let cgroups: CgroupPlacement | undefined
    if (host.cgroups && host.cgroups.layout.mode !== 'none') {
      const path = ociCgroupPath(opts.id, spec.linux.cgroupsPath)
      cgroups = placeCgroups(host.cgroups.layout, posix.dirname(path), posix.basename(path))
      try {
        createCgroups(cgroups, plan.cgroupWrites, { record: () => {}, created: made })
      } catch (e) {
        throw new OciError((e as Error).message)
      }
      Object.assign(plan.native, cgroupJoinFiles(cgroups))
    }

    const fifo = fifoPath(g.root, opts.id)
    native.makeFifo(fifo, 0o600)
    fifoFd = openSync(fifo, fsc.O_RDONLY | fsc.O_NONBLOCK)
    plan.native.readyWaitFd = fifoFd
    plan.native.preserveFds = opts['preserve-fds'] || undefined
    nsFds = openNamespaces(plan)
    if (nsFds.length) plan.native.joinNs = nsFds

    try {
      container = native.create(plan.native, cgroups?.v2)
    } catch (e) {
      throw new OciError(`cannot create the container: ${(e as Error).message}`)
    }
    for (const { fd } of nsFds) closeSync(fd)
    nsFds = []
    if (cgroups) confineDevices(native, container, cgroups, plan.deviceRules ?? 'all')
    try {
      await startContainer(native, container, plan, async () => ociFailure)
    } catch (e) {
      container = undefined // reaped by startContainer
      throw new OciError((e as LiteError).message, 1)
    }
    closeSync(fifoFd)
    fifoFd = undefined

    const record: OciRecord = {
      id: opts.id,
      bundle,
      rootfs: plan.native.newRoot,
      ociVersion: spec.ociVersion,
      created: new Date().toISOString(),
      pid: container.pid,
      pidStart: processStartTime(container.pid) ?? null,
      annotations: spec.annotations,
      cgroups: cgroups?.dirs.map((d) => d.path) ?? [],
      cgroupsMade: made,
      poststop: spec.hooks.poststop,
      startContainer: spec.hooks.startContainer,
      poststart: spec.hooks.poststart,
      terminal: !!spec.process?.terminal,
      owner: '',
    }
    if (plan.native.tty) sendConsole(native, container, spec, opts['console-socket'])
    // 'created', as runc and crun report it to these hooks (runtime-tools' hooks_stdin checks it)
    const creating = stateOf(record, 'created', spec.ociVersion)
    const hookFailure =
      runHostHooks('prestart', spec.hooks.prestart, creating) ??
      runHostHooks('createRuntime', spec.hooks.createRuntime, creating) ??
      runContainerHooks(native, 'createContainer', spec.hooks.createContainer, creating)
    if (hookFailure) throw hookFailure
    writeRecord(g.root, record)
    if (opts['pid-file']) writePidFile(posix.resolve(opts['pid-file']), container.pid)
    unlockContainer(lock)
    return { record, spec, native, container }
  } catch (e) {
    for (const { fd } of nsFds) closeSync(fd)
    if (fifoFd !== undefined) closeSync(fifoFd)
    if (container) {
      try {
        container.kill(9)
        container.waitSync()
      } catch {}
    }
    if (made.length) {
      try {
        await removeCgroupDirs(made)
      } catch (err) {
        warn(g, (err as Error).message)
      }
    }
    removeContainerDir(g.root, opts.id)
    unlockContainer(lock)
    throw e
  }
}

/** process.terminal: the pty master goes to --console-socket (runc's protocol), sized as asked. */
function sendConsole(native: Native, container: Container, spec: OciSpec, socket: string | undefined): void {
  if (!socket) throw new OciError('process.terminal is set, so --console-socket is needed (lite-oci does not relay a terminal itself)')
  const master = container.takePtyMaster()
  if (master === null) throw new OciError('the container\'s pty did not come back')
  try {
    const size = spec.process?.consoleSize
    if (size) native.setWindowSize(master, size.height, size.width)
    native.sendFdToSocket(posix.resolve(socket), master, '/dev/ptmx')
  } catch (e) {
    throw new OciError(`cannot pass the pty to the console socket ${socket}: ${(e as Error).message}`)
  } finally {
    native.closeFd(master)
  }
}

export async function ociCreate(opts: CreateOptions, g: OciGlobal): Promise<number> {
  await createContainer(opts, g)
  return 0
}
