// `lite run`: check -> plan -> state -> hooks -> native.create -> (cgroups) -> start
// -> exec into the monitor. After start nothing runs in Bun: the monitor (a few KiB,
// same pid) waits, relays, cleans up and exits with the container's code (DESIGN §6).
// Returns an exit code only when the run failed; never calls process.exit itself.

import { appendFileSync, closeSync, existsSync, mkdirSync, writeFileSync, writeSync } from 'node:fs'
import { posix } from 'node:path'
import type { ContainerConfig } from '../config/types.ts'
import { EXIT_LITE_FAILED, LiteError, errorText } from '../errors.ts'
import { readHostFacts } from '../host/facts.ts'
import { addonDirectory, loadNative, type Container, type Native } from '../native/index.ts'
import type { LaunchPlan } from '../plan/build.ts'
import { trace, traceHandover, traceNote } from '../trace.ts'
import { writeErr } from '../output.ts'
import { monitorImage, startContainer } from './launch.ts'
import { acquireState, releaseState, ROOTLESS, rootlessProblem, STATE_ROOT, type StateLock } from './state.ts'
import { formatState, writeState, type ContainerState } from './state-file.ts'
import { updateFastEntry } from './fast-entry.ts'
import { processStartTime } from './process-identity.ts'
import { allowDevice, cgroupJoinFiles, createCgroups, loopDeviceRule, needsDeviceProgram, placeCgroups, removeCgroupDirs, type CgroupPlacement } from '../cgroup/manager.ts'
import { removableCgroups, writeCgroupRecord } from './cgroup-record.ts'
import { hostsWithLines, type HostFacts } from '../plan/etc-files.ts'
import { initialState, monitorSpecFor, restartState, type RunIdentity } from './handover.ts'
import type { NetContext, NetRun } from '../net/attach.ts'
import { resolverWarning } from '../net/resolvers.ts'
import { readState } from './state-file.ts'
import { isContainerName } from './registry.ts'
import { compiled, hostFingerprint } from '../plan/plan-cache.ts'
import { noteInput } from '../plan/inputs.ts'
import { kernelRelease } from '../host/uname.ts'
import type { RunUserMap } from '../userns/run-map.ts'
import { releaseClaims } from '../net/claims.ts'

export interface RunOptions {
  config: string
  name?: string
  cmd?: string[]
  tty: boolean
  interactive: boolean
  /** The detached runner (`lite run -d` started it): output to the log, state kept. */
  detached?: boolean
  /** Where the detached runner says "ok" once the container runs. */
  detachStatusFd?: number
  /** [rootfs] image: the store (--store) and images.ini (--images-config) to look it up in */
  store?: string
  imagesConfig?: string
  /** a restart: the manifest digest the container started from (the monitor passes it) */
  imageDigest?: string
  /** --no-cache: validate and plan afresh, and leave the compiled-plan cache alone */
  noCache?: boolean
}


function say(e: LiteError): void {
  writeErr(errorText(e) + '\n')
}

export async function runContainer(opts: RunOptions): Promise<number> {
  try {
    return await run(opts)
  } catch (e) {
    if (e instanceof LiteError) {
      say(e)
      return e.exitCode
    }
    writeErr(`lite: error: ${(e as Error).stack ?? e}\n`)
    return EXIT_LITE_FAILED
  }
}


/** Prepares the host side: mount points, a persistent upper, the /etc files. */
function prepareHost(plan: LaunchPlan, net: NetRun | undefined): void {
  for (const dir of plan.dirs) mkdirSync(dir, { recursive: true, mode: 0o755 })
  if (plan.etcFiles.length) mkdirSync(posix.join(plan.stateDir, 'etc'), { mode: 0o755 })
  for (const f of plan.etcFiles) {
    const content = net && f.hostPath.endsWith('/hosts') ? hostsWithLines(f.content, net.hostsLines) : f.content
    writeFileSync(f.hostPath, content, { mode: 0o644 })
  }
}

/** Device rules before GO, so that the app starts inside its limits. */
/** Returns the rules of the cgroup v2 device program it attached, if it attached one. */
async function confine(native: Native, container: Container, cgroups: CgroupPlacement, config: ContainerConfig, delegated: boolean): Promise<string[] | undefined> {
  // Device access: v1's list (written with the limits) plus the image's loop device,
  // or, where no v1 devices controller is mounted, a BPF_CGROUP_DEVICE program with the
  // same rules (needsDeviceProgram).
  const loopRule = container.loopDevice ? loopDeviceRule(container.loopDevice) : undefined
  if (loopRule) allowDevice(cgroups, loopRule)
  // A delegated subtree (rootless) takes no device program: a user can't attach one,
  // and its container, in a user namespace, can't mknod; its /dev is binds of nodes
  // that the host's permissions guard.
  if (cgroups.v2 && !delegated && needsDeviceProgram(cgroups)) {
    // Imported here: a hybrid host's warm run does not evaluate the config's rules.
    const { deviceRules } = await import('../cgroup/resources.ts')
    const rules = deviceRules(config).map((r) => r.rule)
    if (loopRule) rules.push(loopRule)
    try {
      native.attachDeviceFilter(cgroups.v2, rules)
    } catch (e) {
      throw new LiteError(`cannot confine the container's devices (cgroup v2 device program): ${(e as Error).message}`)
    }
    return rules
  }
  // The child joined its cgroups itself before anything else (cgroupJoinFiles).
  return undefined
}

async function run(opts: RunOptions): Promise<number> {
  trace('host facts')
  const overrides = {
    name: opts.name,
    cmd: opts.cmd?.length ? opts.cmd : undefined,
    store: opts.store,
    imagesConfig: opts.imagesConfig,
    imageDigest: opts.imageDigest,
  }
  const rootlessWhy = rootlessProblem()
  if (rootlessWhy) throw new LiteError(`lite run: ${rootlessWhy}`)
  // A warning said here (resolv.conf) is one the fast run would not say: such a run gets no fast entry.
  let hostWarned = false
  const host: HostFacts = readHostFacts((line) => {
    hostWarned = true
    writeErr(line)
  })
  trace('plan cache')
  // Set by a hit's recheck and a miss's prepare step (closures: hence the box).
  const record: { chosen?: RecordChoice; asked?: boolean; compiler?: typeof import('./compile.ts'); settings?: typeof import('../image/settings.ts'); native?: Native } = {}
  const env = { LITE_STORE: process.env.LITE_STORE ?? null, LITE_IMAGES_CONFIG: process.env.LITE_IMAGES_CONFIG ?? null }
  const request = { purpose: 'run', file: opts.config, options: { overrides, tty: opts.tty, interactive: opts.interactive, env, ...(ROOTLESS ? { rootless: true } : {}) } }
  const { config, plan, outcome, inputs } = await compiled(request, host, STATE_ROOT, kernelRelease(), !opts.noCache, {
    // A hit with an image: the store's record is asked as a miss asks it (below), and
    // must choose what it chose when the entry was compiled.
    recheck: async (hit) => {
      const image = hit.config.rootfs.image
      if (!image) return undefined
      record.chosen = await recordedChoice(image.store, hit.config.container.name)
      record.asked = true
      const now = choiceText(record.chosen)
      return now === hit.imageChoice ? undefined : `the store's record chose ${now ?? 'the tag'}, not ${hit.imageChoice ?? 'the tag'}`
    },
    // The store's record may choose the image (an update, a rollback): asked before the
    // config is read, since the config's tag may name another image, or none any more.
    prepare: async () => {
      if (!record.asked) record.chosen = await recordedImageOf(opts)
      if (record.chosen) record.settings = await import('../image/settings.ts')
      record.compiler = await import('./compile.ts')
      // Loaded here, not in compile: its unpack reads mountinfo, which is no input of the plan.
      record.native = await loadNative()
    },
    compile: () => {
      trace('config')
      const { configOrThrow, planOrThrow } = record.compiler!
      const chosen = record.chosen
      // The record's store came from images.ini, which validation does not read when it is
      // given the store: an input all the same (a new [store] there is another record).
      if (chosen) noteInput(record.settings!.imagesConfigPath({ imagesConfig: opts.imagesConfig }, process.env).file)
      const config = configOrThrow(opts.config, chosen ? { ...overrides, store: chosen.store, imageDigest: chosen.digest } : overrides)
      trace('plan')
      const stateDir = posix.join(STATE_ROOT, config.container.name)
      const plan = planOrThrow(config, opts.config, host, { stateDir, tty: opts.tty, interactive: opts.interactive, rootless: ROOTLESS })
      const imageChoice = choiceText(chosen)
      return { config, plan: record.compiler!.withSeccompFilter(plan, record.native!), ...(imageChoice ? { imageChoice } : {}) }
    },
  })
  traceNote(`plan cache: ${outcome}`)
  const name = config.container.name

  trace('addon')
  const native = await loadNative()
  // From here a SIGTERM (an init system stopping a service that is still starting) is
  // noted, not fatal: before clone it ends the run cleanly, after it the monitor acts on it.
  native.watchEarlySignals()
  trace('state')
  const restart = restartState(process.env)
  const lock: StateLock = acquireState(name, native, STATE_ROOT, { adoptFd: restart.lockFd })
  const image = config.rootfs.image
  const identity: RunIdentity = {
    name,
    config: posix.resolve(opts.config),
    detached: !!opts.detached,
    started: Math.floor(Date.now() / 1000),
    lockFd: lock.fd,
    ...(image ? { image: { ref: image.ref, digest: image.digest, file: image.file, store: image.store, ports: image.defaults.exposedPorts } } : {}),
  }
  let container: Container | undefined
  let cgroups: CgroupPlacement | undefined
  /** the container's cgroup directories this run made: the clean-up removes exactly these */
  const madeCgroups: string[] = []
  let logPipe: number[] | undefined
  let net: NetRun | undefined
  let userMap: RunUserMap | undefined
  // Only a network of the container's own or a joined one has work here: none and host
  // load none of the network modules.
  const netModule = config.net.type === 'none' || config.net.type === 'host' ? undefined : await import('../net/attach.ts')
  const netContext: NetContext = { name, config, native, stateRoot: STATE_ROOT, previousAddress: config.net.type === 'bridge' ? previousAddress(lock.dir) : undefined }
  try {
    // [user] map: resolved at every run (an auto range is claimed, never cached).
    if (config.user.map !== 'none' || ROOTLESS) {
      trace('user ns')
      const { resolveUserMap } = await import('../userns/run-map.ts')
      const store = async () => (await import('../image/settings.ts')).loadImageSettings({ store: opts.store, imagesConfig: opts.imagesConfig }, process.env).store
      userMap = await resolveUserMap(config, { locker: native, stateRoot: STATE_ROOT, store, name, rootless: ROOTLESS })
      identity.userMap = userMap!.map
    }
    trace('network')
    if (config.net.type === 'bridge') {
      const { settleDeadNetworks } = await import('../net/release.ts')
      await settleDeadNetworks(native, STATE_ROOT, name)
    }
    net = netModule?.reserveNetwork(netContext)
    if (net) {
      identity.network = net.state
      if (net.joinFd !== undefined) plan.native.netJoinFd = net.joinFd
    }
    const resolvers = resolverWarning(config.net.type, host.resolvConf, config.net.dns)
    if (resolvers) writeErr(`lite: warning: ${name}: ${resolvers}\n`)
    // The fast run prints nothing: a run that warns gets no entry.
    const warned = !!resolvers || hostWarned
    prepareHost(plan, net)
    if (userMap) (await import('../userns/run-map.ts')).applyUserMap(plan, config, userMap)
    writeState(lock.dir, initialState(identity, restart.restarts, config))
    // An update's next is in the record already, and must not become its current yet.
    if (image && record.chosen?.why !== 'update') await recordImage(native, image.store, name, image.digest)
    // The monitor's image exists before clone: PID 1 of init = yes runs it too, and a
    // host that cannot exec it (vm.memfd_noexec) fails here, before anything runs.
    const monitor = monitorImage(native)
    if (plan.native.stubInit) plan.native.initExeFd = monitor.fd
    if (opts.detached) {
      logPipe = native.pipe()
      plan.native.outputFd = logPipe[1]
    }
    trace('cgroups')
    if (host.cgroups && host.cgroups.layout.mode !== 'none') {
      cgroups = placeCgroups(host.cgroups.layout, config.cgroup.parent, name)
      // We hold the name's lock: what a killed run of the name recorded is left over.
      await removeCgroupDirs(removableCgroups(lock.leftCgroups, host.cgroups.layout))
      createCgroups(cgroups, plan.cgroupWrites, { record: (paths) => writeCgroupRecord(lock.dir, paths), created: madeCgroups })
      Object.assign(plan.native, cgroupJoinFiles(cgroups))
    }
    const hookVars = { LITE_NAME: name, LITE_CONFIG: opts.config, LITE_ROOTFS: config.rootfs.path }
    // Imported only with hooks to run: hooks.ts brings node:child_process.
    const preFail = config.hooks.preStart.length ? (await import('./hooks.ts')).runHooks('pre-start', config.hooks.preStart, hookVars) : undefined
    if (preFail) throw preFail

    const early = native.earlyStopSignal()
    if (early) throw new LiteError(`${name}: a stop request came before the container started; nothing was started`, 128 + early)
    trace('clone')
    try {
      container = native.create(plan.native, cgroups?.v2)
    } catch (e) {
      throw new LiteError(`cannot create the container: ${(e as Error).message}`)
    }
    if (net?.joinFd !== undefined) {
      // The child has joined it (or failed and reports so at start): the parent's copy goes.
      closeSync(net.joinFd)
      net.joinFd = undefined
    }
    if (userMap?.helpers) {
      // Rootless with subordinate ids: the setuid helpers write the maps the child
      // waits for (lite may write only its own id).
      const { writeMapsWithHelpers } = await import('../userns/subordinate.ts')
      writeMapsWithHelpers(userMap.helpers, container.pid, userMap.map)
    }
    trace('attach')
    const deviceProgram = cgroups ? await confine(native, container, cgroups, config, !!host.cgroups?.layout.delegated) : undefined
    trace('network attach')
    netModule?.attachNetwork(netContext, net, container)
    for (const w of net?.warnings ?? []) writeErr(`lite: warning: ${w}\n`)
    trace('start')
    // A reported failure is reaped there; a timeout is killed by the clean-up below.
    await startContainer(native, container, plan)
    if (logPipe) native.closeFd(logPipe[1]!)

    trace('monitor')
    // Held by the monitor while the container lives: its address, ports and id range.
    const claims = [...(net?.claims ?? []), ...(userMap?.auto ? [userMap.auto.claim] : [])]
    const pidStart = processStartTime(container.pid)
    const spec = monitorSpecFor({
      config,
      identity,
      opts,
      stateDir: lock.dir,
      lockFd: lock.fd,
      cgroups,
      restart,
      pid: container.pid,
      pidStart,
      logFd: logPipe?.[0],
      claimFds: claims.map((c) => c.fd),
      claimPaths: claims.map((c) => c.path),
      nftRelease: net?.nftRelease,
      hookVars,
    })
    // Running from here on, as `lite run -d` will say: the state says so before the
    // monitor's first write (same pid, so monitor_pid is already right).
    const running: ContainerState = { ...initialState(identity, restart.restarts, config), status: 'running', pid: container.pid, pidStart: pidStart ?? null }
    writeState(lock.dir, running)
    if (opts.detachStatusFd !== undefined) writeSync(opts.detachStatusFd, `ok ${container.pid} ${name}\n`)
    const keep = [lock.fd, ...(logPipe ? [logPipe[0]!] : []), ...claims.map((c) => c.fd)]
    trace('fast entry')
    const facts = { opts, config, plan, inputs, cgroups, deviceProgram, delegated: !!host.cgroups?.layout.delegated, restart, stateRoot: STATE_ROOT, stateDir: lock.dir, addonDir: addonDirectory(), rootless: ROOTLESS, warned, env: process.env }
    const fast = updateFastEntry(facts, () => {
      // The digest first, then the facts again: equal to those this run planned with, the
      // digest is theirs (a resolv.conf rewritten meanwhile would otherwise pair the new
      // digest with the old file in the plan).
      const digest = native.fastHostFingerprint()
      const steady = hostFingerprint(readHostFacts(() => {})) === hostFingerprint(host)
      return { host: digest, hostSteady: steady, kernel: kernelRelease(), state: formatState(running), spec, signature: native.fastFileSignature }
    })
    traceNote(`fast entry: ${fast}`)
    traceHandover()
    try {
      container.execMonitor(monitor.fd, spec, keep, !!opts.detached, opts.interactive)
    } catch (e) {
      throw new LiteError(`cannot exec the monitor: ${(e as Error).message}`)
    }
    throw new LiteError('the monitor returned')
  } catch (e) {
    // Nothing may keep running after a failed start.
    trace('cleanup')
    if (opts.detachStatusFd !== undefined) {
      try {
        writeSync(opts.detachStatusFd, 'failed\n')
      } catch {}
    }
    if (container) {
      try {
        container.kill(9)
        container.waitSync()
      } catch {}
    }
    netModule?.releaseNetwork(netContext, net)
    if (userMap?.auto) releaseClaims([userMap.auto.claim])
    if (madeCgroups.length) {
      try {
        await removeCgroupDirs(madeCgroups)
      } catch (err) {
        if (err instanceof LiteError) say(err)
      }
    }
    // A detached container whose restart fails its set-up stays listed as exited, with
    // the reason in its log: the monitor that would have said so is gone (it exec'd
    // this run), and its stderr is /dev/null. `lite rm` removes it.
    if (opts.detached && restart.restarts > 0) keepFailedRestart(lock, identity, restart.restarts, config, e)
    else releaseState(lock)
    throw e
  }
}

/**
 * What the store's record says this container runs (runtime/update/interrupted.ts):
 * only for a config with [rootfs] image, and cheap without a record. A config or
 * settings problem is left to the full validation that follows.
 */
async function recordedImageOf(opts: RunOptions): Promise<RecordChoice | undefined> {
  const { peekConfig } = await import('./config-peek.ts')
  const peek = peekConfig(opts.config)
  if (peek.image === undefined) return undefined
  const { loadImageSettings } = await import('../image/settings.ts')
  let store: string
  try {
    store = loadImageSettings({ store: opts.store, imagesConfig: opts.imagesConfig }, process.env).store
  } catch {
    return undefined
  }
  return recordedChoice(store, opts.name ?? peek.name)
}

type RecordChoice = { digest: string; why: 'update' | 'pinned'; store: string }

/** What the record of `name` in `store` chooses, if it decides (rolling back an interrupted update). */
async function recordedChoice(store: string, name: string): Promise<RecordChoice | undefined> {
  if (!isContainerName(name) || !existsSync(posix.join(store, 'containers', name))) return undefined
  const { recordedImage } = await import('../update/interrupted.ts')
  const chosen = recordedImage(await loadNative(), store, name, (line) => writeErr(`${line}\n`))
  return chosen ? { ...chosen, store } : undefined
}

/** A record's choice as a cache entry keeps it: "pinned sha256:...". */
function choiceText(chosen: RecordChoice | undefined): string | undefined {
  return chosen ? `${chosen.why} ${chosen.digest}` : undefined
}

/**
 * The store's record of the image this container runs (containers/<name>): prune and
 * `lite image rm` keep it. Written holding the store shared, after checking that the
 * image is still there (ImageStore.recordContainer): an rm or prune that holds the
 * store now found no record, and may have deleted the image since the config looked it
 * up; the run then refuses rather than start an image that a restart cannot find. A
 * store that can't be written (read-only, full) does not stop the container: the state
 * pins the image anyway.
 */
async function recordImage(native: Native, store: string, name: string, digest: string): Promise<void> {
  const { ImageStore } = await import('../image/store/store.ts')
  const { storedImage } = await import('../image/store/lookup.ts')
  const images = new ImageStore(store, native)
  try {
    await images.recordContainer(name, digest)
  } catch (e) {
    if (!storedImage(images.layout, digest)) {
      throw new LiteError(`${name}: the image ${digest} is no longer in the store ${store}: it was removed (lite image rm or prune) while the container started; pull or import it again`)
    }
    writeErr(`lite: warning: ${name}: cannot record its image in the store ${store}: ${(e as Error).message}\n`)
  }
}

/** The address this name had (a restart keeps it when it is still free). */
function previousAddress(dir: string): string | undefined {
  try {
    return readState(dir)?.extra.net_address?.split('/')[0]
  } catch {
    return undefined
  }
}

function keepFailedRestart(lock: StateLock, identity: RunIdentity, restarts: number, config: ContainerConfig, e: unknown): void {
  const code = e instanceof LiteError ? e.exitCode : EXIT_LITE_FAILED
  const state = { ...initialState(identity, restarts, config), status: 'exited' as const, monitorPid: null, finished: Math.floor(Date.now() / 1000), exitCode: code }
  try {
    if (state.log && state.log !== 'syslog') {
      const text = e instanceof LiteError ? errorText(e) : `lite: error: ${(e as Error).message}`
      appendFileSync(state.log, `${text} (restart ${restarts})\n`)
    }
    writeState(lock.dir, state)
  } finally {
    closeSync(lock.fd)
  }
}
