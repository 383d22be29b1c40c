// `lite exec NAME CMD...`: a new process in a running container. A cloned child joins
// every namespace of the container's init (never setns in Bun), its sibling enters the
// pid namespace and the cgroups, and runs with the container's confinement (user, caps,
// no_new_privs, seccomp, rlimits) from its config. Then lite execs into the monitor in
// exec mode: it relays the terminal, forwards signals and exits with the process's code.
// A plain exec leaves the container a fast exec entry (fast-exec-entry.ts), so that the
// next plain one is done by native code alone (native-rs/src/fast_run/exec.rs).

import { cgroupJoinFiles, placeCgroups } from '../cgroup/manager.ts'
import { LiteError } from '../errors.ts'
import { readHostFacts } from '../host/facts.ts'
import { formatMonitorSpec } from '../monitor/spec.ts'
import { addonDirectory, loadNative, type Native } from '../native/index.ts'
import { monitorImage, startContainer } from './launch.ts'
import { compiled, hostFingerprint } from '../plan/plan-cache.ts'
import { updateFastExecEntry } from './fast-exec-entry.ts'
import { kernelRelease } from '../host/uname.ts'
import { readFileSync } from 'node:fs'
import { trace, traceHandover, traceNote } from '../trace.ts'
import { liteCommand, pinnedImage } from './handover.ts'
import { observe, stateWhenWritten } from './registry.ts'
import { ROOTLESS } from './state.ts'
import type { LifecycleSystem } from './system.ts'

export interface ExecOptions {
  name: string
  cmd: string[]
  tty: boolean
  interactive: boolean
  /** --no-cache: validate and plan afresh, and leave the compiled-plan cache alone */
  noCache?: boolean
}


/** Returns only when the exec failed: 1 no such container or not running, 125 lite failed, 126/127. */
export async function execInContainer(opts: ExecOptions, sys: LifecycleSystem): Promise<number> {
  const o = await observe(opts.name, sys)
  const state = o?.alive ? await stateWhenWritten(o, sys) : undefined
  if (!o || !state || state.status !== 'running' || state.pid === null || sys.startTime(state.pid) !== state.pidStart) {
    sys.stderr(`lite: error: ${o ? `${opts.name} is not running` : `no such container: ${opts.name}`}\n`)
    return 1
  }
  // The image the container started from, whatever its tag names now.
  const pinned = pinnedImage(state)
  const overrides = { name: opts.name, cmd: opts.cmd, ...(pinned ? { store: pinned.store, imageDigest: pinned.digest } : {}) }
  trace('host facts')
  const host = readHostFacts()
  trace('plan cache')
  // A health check runs the same exec every few seconds: its plan comes from the cache.
  const request = { purpose: 'exec', file: state.config, options: { overrides, tty: opts.tty, interactive: opts.interactive, stateDir: o.dir } }
  let compiler: typeof import('./compile.ts') | undefined
  let addon: Native | undefined
  const { config, plan, outcome, inputs } = await compiled(request, host, sys.root, kernelRelease(), !opts.noCache, {
    prepare: async () => {
      compiler = await import('./compile.ts')
      // Loaded here, not in compile: its unpack reads mountinfo, which is no input of the plan.
      addon = await loadNative()
    },
    compile: () => {
      const config = compiler!.configOrThrow(state.config, overrides)
      // lite exec runs its command as given, as docker exec does: no entrypoint in front.
      config.exec.entrypoint = []
      const plan = compiler!.planOrThrow(config, state.config, host, { stateDir: o.dir, tty: opts.tty, interactive: opts.interactive, rootless: ROOTLESS })
      return { config, plan: compiler!.withSeccompFilter(plan, addon!) }
    },
  })
  traceNote(`plan cache: ${outcome}`)

  trace('addon')
  const native = await loadNative()
  const image = monitorImage(native)
  // The container is built already: only the process part of the plan applies.
  // A container on another's network (container:NAME, netns:PATH) joined it at start:
  // its init's net namespace is that one, and exec joins it too.
  // Its user namespace is the one it started with (the state says), joined first.
  const made = plan.native.namespaces.filter((ns) => ns !== 'user')
  const namespaces = [...made, ...(config.net.type === 'container' || config.net.type === 'netns' ? ['net'] : []), ...(state.extra.user_uid_map ? ['user'] : [])]
  // The new process joins the container's cgroups itself, before it joins the
  // namespaces (cgroupJoinFiles: no RCU grace period to wait out, as lite's own write
  // of its pid had).
  const cgroups = host.cgroups && host.cgroups.layout.mode !== 'none' ? placeCgroups(host.cgroups.layout, config.cgroup.parent, opts.name) : undefined
  const joinPlan = { ...plan.native, ...(cgroups ? cgroupJoinFiles(cgroups) : {}), namespaces, userNs: undefined, ops: [], loopImage: undefined, hostname: undefined, loopbackUp: false, netSocket: false, netJoinFd: undefined, stubInit: false, joinPid: state.pid, joinSetgroupsDenied: namespaces.includes('user') && setgroupsDenied(state.pid) }
  let container
  trace('clone')
  try {
    container = native.create(joinPlan, cgroups?.v2)
  } catch (e) {
    throw new LiteError(`cannot enter ${opts.name}: ${(e as Error).message}`)
  }
  try {
    trace('start')
    await startContainer(native, container, plan)
    trace('monitor')
    const [lite] = liteCommand()
    const spec = formatMonitorSpec({
      name: opts.name,
      stateDir: o.dir,
      keepState: false,
      execOnly: true,
      lockFd: -1,
      stopSignal: 15,
      stopTimeoutMs: config.exec.stopTimeout * 1000,
      restart: { policy: 'no', max: 0 },
      restarts: 0,
      backoffMs: 0,
      lite: lite!,
      args: [],
      hookEnv: [],
      hooks: [],
      cgroups: [],
      logTarget: 'inherit',
      logSize: config.log.size,
      state: [],
    })
    trace('fast entry')
    const fast = updateFastExecEntry(
      { name: opts.name, tty: opts.tty, interactive: opts.interactive, noCache: !!opts.noCache, inputs, joinPlan, v2: cgroups?.v2, pid: state.pid, pidStart: state.pidStart, spec, stateRoot: sys.root, stateDir: o.dir, addonDir: addonDirectory(), rootless: ROOTLESS, env: process.env },
      () => ({ host: native.fastHostFingerprint(), hostSteady: hostFingerprint(readHostFacts(() => {})) === hostFingerprint(host), kernel: kernelRelease(), signature: native.fastFileSignature }),
    )
    traceNote(`fast exec entry: ${fast}`)
    traceHandover()
    container.execMonitor(image.fd, spec, [], false, opts.interactive)
    throw new LiteError('the monitor returned')
  } catch (e) {
    try {
      container.kill(9)
      container.waitSync()
    } catch {}
    if (e instanceof LiteError) throw e
    throw new LiteError(`cannot exec in ${opts.name}: ${(e as Error).message}`)
  }
}

/**
 * Whether the container's user namespace denies setgroups (a rootless one whose maps lite
 * wrote itself; newgidmap's and root's don't): the kernel's own answer, not a guess.
 */
function setgroupsDenied(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/setgroups`, 'utf8').trim() === 'deny'
  } catch {
    return true
  }
}
