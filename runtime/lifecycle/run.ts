// `lite run`: check -> plan -> state -> hooks -> native.create -> (cgroups) -> start
// -> supervise -> clean up. Returns the exit code; never calls process.exit itself.

import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { deviceNumbers } from '../config/resource-values.ts'
import { posix } from 'node:path'
import { loadConfig } from '../config/validate.ts'
import { formatConfigErrors } from '../config/report.ts'
import { EXIT_LITE_FAILED, LiteError, errorText } from '../errors.ts'
import { readHostFacts } from '../host/facts.ts'
import { loadNative, type Container } from '../native/index.ts'
import { buildPlan, type LaunchPlan } from '../plan/build.ts'
import { trace } from '../trace.ts'
import { failureError } from './failure.ts'
import { runHooks } from './hooks.ts'
import { acquireState, releaseState, writeStateFile, STATE_ROOT, type StateLock } from './state.ts'
import { supervise } from './supervise.ts'
import { allowDevice, attachPid, createCgroups, oomKills, placeCgroups, removeCgroups, type CgroupPlacement } from '../cgroup/manager.ts'
import type { HostFacts } from '../plan/etc-files.ts'
import { deviceRules } from '../cgroup/resources.ts'

export interface RunOptions {
  config: string
  name?: string
  cmd?: string[]
  tty: boolean
  interactive: boolean
}

const START_TIMEOUT_MS = 30_000

function say(e: LiteError): void {
  process.stderr.write(errorText(e) + '\n')
}

export async function runContainer(opts: RunOptions): Promise<number> {
  try {
    return await run(opts)
  } catch (e) {
    if (e instanceof LiteError) {
      say(e)
      return e.exitCode
    }
    process.stderr.write(`lite: error: ${(e as Error).stack ?? e}\n`)
    return EXIT_LITE_FAILED
  }
}

/** 4M, 512K or a byte count, as a limit is written in a config. */
function formatBytes(n: number): string {
  for (const [unit, size] of [['G', 1 << 30], ['M', 1 << 20], ['K', 1 << 10]] as const) if (n % size === 0) return `${n / size}${unit}`
  return String(n)
}

function configError(text: string): LiteError {
  return new LiteError(text.replace(/\n$/, ''), EXIT_LITE_FAILED, true)
}

/** Prepares the host side: mount points, a persistent upper, the /etc files. */
function prepareHost(plan: LaunchPlan): void {
  for (const dir of plan.dirs) mkdirSync(dir, { recursive: true, mode: 0o755 })
  if (plan.etcFiles.length) mkdirSync(posix.join(plan.stateDir, 'etc'), { mode: 0o755 })
  for (const f of plan.etcFiles) writeFileSync(f.hostPath, f.content, { mode: 0o644 })
}

async function run(opts: RunOptions): Promise<number> {
  trace('config')
  const { config, errors } = loadConfig(opts.config, { name: opts.name, cmd: opts.cmd?.length ? opts.cmd : undefined })
  if (!config) throw configError(formatConfigErrors(errors, opts.config))
  if (process.geteuid?.() !== 0) throw new LiteError('lite run needs root: it creates namespaces and mounts')

  trace('plan')
  const name = config.container.name
  const stateDir = posix.join(STATE_ROOT, name)
  const host: HostFacts = readHostFacts()
  const planned = buildPlan(config, host, { stateDir, tty: opts.tty, interactive: opts.interactive, exists: existsSync })
  if (!planned.plan) throw configError(formatConfigErrors(planned.errors, opts.config))
  const plan = planned.plan

  trace('addon')
  const native = await loadNative()
  trace('state')
  const lock: StateLock = acquireState(name, native)
  let container: Container | undefined
  let reaped = false
  let exitCode = EXIT_LITE_FAILED
  let cgroups: CgroupPlacement | undefined
  try {
    prepareHost(plan)
    trace('cgroups')
    if (host.cgroups && host.cgroups.layout.mode !== 'none') {
      cgroups = placeCgroups(host.cgroups.layout, config.cgroup.parent, name)
      // We hold the name's lock: a cgroup of that name is left over from a killed lite.
      await removeCgroups(cgroups)
      createCgroups(cgroups, plan.cgroupWrites)
    }
    const hookVars = { LITE_NAME: name, LITE_CONFIG: opts.config, LITE_ROOTFS: config.rootfs.path }
    const preFail = runHooks('pre-start', config.hooks.preStart, hookVars)
    if (preFail) throw preFail

    trace('clone')
    try {
      container = native.create(plan.native, cgroups?.v2)
    } catch (e) {
      throw new LiteError(`cannot create the container: ${(e as Error).message}`)
    }
    trace('attach')
    // Every hierarchy before GO, so that the app starts inside its limits.
    if (cgroups) {
      // Device access: v1's list (written with the limits) plus the image's loop device,
      // and on cgroup v2 a BPF_CGROUP_DEVICE program with the same rules.
      const rules = deviceRules(config).map((r) => r.rule)
      if (container.loopDevice) {
        const { major, minor } = deviceNumbers(statSync(container.loopDevice).rdev)
        rules.push(`b ${major}:${minor} r`)
        allowDevice(cgroups, `b ${major}:${minor} r`)
      }
      if (cgroups.v2) {
        try {
          native.attachDeviceFilter(cgroups.v2, rules)
        } catch (e) {
          throw new LiteError(`cannot confine the container's devices (cgroup v2 device program): ${(e as Error).message}`)
        }
      }
      attachPid(cgroups, container.pid, container.joinedCgroup)
    }
    trace('start')
    let started
    try {
      started = container.start(START_TIMEOUT_MS)
    } catch (e) {
      throw new LiteError(`the container did not start: ${(e as Error).message}`)
    }
    if (started.failure) {
      container.waitSync()
      reaped = true
      throw failureError(started.failure, plan, native.errnoText)
    }
    writeStateFile(lock, 'pid', `${container.pid}\n`)
    writeStateFile(lock, 'state.json', JSON.stringify({ name, pid: container.pid, config: posix.resolve(opts.config), status: 'running', started: new Date().toISOString() }) + '\n')
    trace('running')
    const exit = await supervise(container, { stopSignal: config.exec.stopSignal, stopTimeout: config.exec.stopTimeout }, { tty: opts.tty, interactive: opts.interactive })
    reaped = true
    exitCode = exit.code
    if (cgroups && exit.signal === 9 && oomKills(cgroups) > 0) {
      const limit = config.resources.memory
      process.stderr.write(`lite: ${name} was killed by the OOM killer${limit ? ` (memory limit ${formatBytes(limit)})` : ''}\n`)
    }
    const postFail = runHooks('post-stop', config.hooks.postStop, { ...hookVars, LITE_PID: String(container.pid), LITE_EXIT_CODE: String(exitCode) })
    if (postFail) say(postFail)
    return exitCode
  } finally {
    trace('cleanup')
    // Any failure between clone and the end of supervise: nothing may keep running.
    if (container && !reaped) {
      try {
        container.kill(9)
        container.waitSync()
      } catch {}
    }
    if (cgroups) {
      try {
        await removeCgroups(cgroups)
      } catch (e) {
        if (e instanceof LiteError) say(e)
      }
    }
    releaseState(lock)
    trace('done')
  }
}
