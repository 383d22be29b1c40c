// lite update NAME REF|FILE and lite rollback NAME (DESIGN.md §14). The steps, each
// one rename of the container's record (containers/<name> in the store) before the step
// it names, so that a power cut at any instant leaves the old state or the new one:
//   1. the new image enters the store (pull or import; digests checked): nothing of
//      the container changes, and a failure here changes nothing;
//   2. the config is checked against the new image (a bad one changes nothing);
//   3. record: next = NEW, phase next-recorded; then phase restarting;
//   4. the monitor restarts the container (its own restart path, same pid: an init
//      system sees no change), and lite run starts NEW because the record says so;
//   5. phase checking: wait for healthy within [update] health_timeout;
//   6. commit: current = NEW, previous = OLD (older ones kept up to [update] keep, the
//      rest removed), next = none; or roll back: current stays OLD, next = none, then
//      the monitor restarts the container on OLD.
// A cut before the commit leaves a `next` without its lite update: the next lite run
// (lite boot) rolls it back first (interrupted.ts). LITE_UPDATE_CRASH_AT=PHASE makes
// lite update die there (SIGKILL), for the power-cut tests.

import { appendFileSync } from 'node:fs'
import { LiteError } from '../errors.ts'
import { configOrThrow } from '../lifecycle/compile.ts'
import { pinnedImage } from '../lifecycle/handover.ts'
import { observe, type Observation } from '../lifecycle/registry.ts'
import { RESTART_SETUP_MS, restartContainer } from '../lifecycle/restart.ts'
import type { LifecycleSystem } from '../lifecycle/system.ts'
import { loadNative } from '../native/index.ts'
import { bringImage } from '../image/fetch.ts'
import { loadImageSettings } from '../image/settings.ts'
import { readContainerRecord, recordImages, replaceContainerRecord, type ContainerRecord, type UpdateOutcome, type UpdatePhase } from '../image/store/containers.ts'
import { StoreLayout } from '../image/store/layout.ts'
import { holdUpdateLock } from './lock.ts'

/** Without [health], the new container is healthy once it has run this long (or health_timeout, if shorter). */
export const SETTLE_MS = 5000
/** How often the state is read while waiting. */
const POLL_MS = 50

export interface UpdateOptions {
  name: string
  /** a reference to pull, or an image archive / OCI layout to import */
  source: string
  insecure?: boolean
  arch?: 'amd64' | 'arm64'
  quiet?: boolean
  /** the test hook: die (SIGKILL) once this phase is recorded (LITE_UPDATE_CRASH_AT) */
  crashAt?: string
}

/** The container, its config and its image store: what update and rollback start from. */
interface Target {
  o: Observation
  config: string
  store: string
  /** the image it runs (or ran last) */
  running: string
  stopTimeoutMs: number
}

function targetOf(o: Observation | undefined, name: string): Target {
  if (!o?.state) throw new LiteError(`no such container: ${name}`, 1)
  const pin = pinnedImage(o.state)
  if (!pin) throw new LiteError(`${name} does not run an image from the store ([rootfs] image): there is nothing to update`, 1)
  const config = configOrThrow(o.state.config, { name, store: pin.store, imageDigest: pin.digest })
  return { o, config: o.state.config, store: pin.store, running: pin.digest, stopTimeoutMs: config.exec.stopTimeout * 1000 }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
const now = () => Math.floor(Date.now() / 1000)

/** A line in the container's log (a file log), and on stderr. */
function say(o: Observation, line: string, sys: LifecycleSystem): void {
  sys.stderr(`${line}\n`)
  const log = o.state?.log
  if (log && log.startsWith('/')) {
    try {
      appendFileSync(log, `${line}\n`)
    } catch {}
  }
}

/**
 * Waits until the restarted container is healthy: what its [health] check says, or,
 * without one, still the same process after SETTLE_MS. Undefined when healthy, else why not.
 */
async function waitHealthy(name: string, pid: number, hasCheck: boolean, timeoutMs: number, sys: LifecycleSystem): Promise<string | undefined> {
  const began = sys.now()
  const settle = Math.min(SETTLE_MS, timeoutMs)
  // Bounded by timeoutMs; each turn sleeps POLL_MS.
  for (;;) {
    const o = await observe(name, sys)
    const s = o?.state
    if (!o?.alive || !s) return 'it exited'
    if (s.pid !== pid) return s.status === 'restarting' || s.restarts ? 'it exited and was restarted' : 'it is not the process that was started'
    if (hasCheck) {
      if (s.extra.health === 'healthy') return undefined
      if (s.extra.health === 'unhealthy') return `its health check failed ${s.extra.health_failures ?? '?'} times in a row`
    } else if (s.status === 'running' && sys.now() - began >= settle) {
      return undefined
    }
    if (sys.now() - began >= timeoutMs) return hasCheck ? `it was not healthy within ${seconds(timeoutMs)} (health: ${s.extra.health ?? 'unknown'})` : `it did not keep running for ${seconds(settle)}`
    await sys.sleep(POLL_MS)
  }
}

export async function updateContainer(opts: UpdateOptions, sys: LifecycleSystem): Promise<number> {
  const native = await loadNative()
  const target = targetOf(await observe(opts.name, sys), opts.name)
  const lock = holdUpdateLock(native, opts.name)
  try {
    return await update(opts, target, sys)
  } finally {
    lock.release()
  }
}

async function update(opts: UpdateOptions, target: Target, sys: LifecycleSystem): Promise<number> {
  const { name } = opts
  const layout = new StoreLayout(target.store)
  const crash = (phase: UpdatePhase | 'committed') => {
    if (opts.crashAt === phase) process.kill(process.pid, 'SIGKILL')
  }

  // 1. The image, into the store.
  const settings = loadImageSettings({ store: target.store })
  const digest = await bringImage(settings, opts.source, { insecure: opts.insecure, arch: opts.arch, quiet: opts.quiet, progress: (l) => sys.stderr(`${l}\n`) })
  const old: ContainerRecord = readContainerRecord(layout, name) ?? { current: target.running, next: null, previous: null, older: [], pinned: false, update: null, last: null }
  if (digest === old.current) {
    sys.stdout(`${name}: already on ${digest}\n`)
    return 0
  }
  // 2. The config must take the new image (its command, user, healthcheck).
  const newConfig = configOrThrow(target.config, { name, store: target.store, imageDigest: digest })
  const healthTimeoutMs = newConfig.update.healthTimeoutMs

  // 3. Recorded: from here a restart starts the new image.
  const progress = (phase: UpdatePhase): ContainerRecord => ({ ...old, next: digest, update: { phase, source: opts.source, started: now() } })
  replaceContainerRecord(layout, name, progress('next-recorded'))
  crash('next-recorded')

  const alive = target.o.alive && target.o.state?.status === 'running'
  let why: string | undefined
  let took = 0
  if (!alive) {
    // Not running: nothing to check; its next start runs the new image.
    sys.stderr(`lite: ${name} is not running: the update is committed without a health check\n`)
  } else {
    replaceContainerRecord(layout, name, progress('restarting'))
    crash('restarting')
    const began = sys.now()
    try {
      const { newPid } = await restartContainer(name, sys, { timeoutMs: target.stopTimeoutMs + RESTART_SETUP_MS })
      replaceContainerRecord(layout, name, progress('checking'))
      crash('checking')
      why = await waitHealthy(name, newPid, newConfig.health.cmd !== undefined, healthTimeoutMs, sys)
    } catch (e) {
      why = `it did not start: ${(e as Error).message}`
    }
    took = sys.now() - began
  }

  if (why === undefined) {
    commit(layout, name, old, digest, newConfig.update.keep)
    crash('committed')
    await pruneDropped(target.store, old, readContainerRecord(layout, name)!)
    say(target.o, `lite: ${name}: updated to ${digest}${alive ? ` (healthy after ${seconds(took)})` : ''}`, sys)
    sys.stdout(`${digest}\n`)
    return 0
  }

  // 6b. Back to the old image, on its own.
  replaceContainerRecord(layout, name, { ...progress('rolling-back') })
  crash('rolling-back')
  const outcome: UpdateOutcome = { result: 'rolled-back', from: old.current, to: digest, at: now(), reason: why }
  // Pinned: the monitor's restart arguments name the new image; the record must win.
  replaceContainerRecord(layout, name, { ...old, next: null, pinned: true, update: null, last: outcome })
  say(target.o, `lite: ${name}: the update to ${digest} failed: ${why}; rolled back to ${old.current}`, sys)
  await restartOnCurrent(name, sys, target)
  return 1
}

/** current = NEW; previous = OLD; older keep up to keep - 1 more. */
function commit(layout: StoreLayout, name: string, old: ContainerRecord, digest: string, keep: number): void {
  const history = [old.current, ...(old.previous ? [old.previous] : []), ...old.older].filter((d) => d !== digest)
  const kept = [...new Set(history)].slice(0, keep)
  replaceContainerRecord(layout, name, {
    current: digest,
    next: null,
    previous: kept[0] ?? null,
    older: kept.slice(1),
    pinned: true,
    update: null,
    last: { result: 'committed', from: old.current, to: digest, at: now() },
  })
}

/** Removes the images that dropped out of the record, unless another container uses them. */
async function pruneDropped(store: string, before: ContainerRecord, after: ContainerRecord): Promise<void> {
  const kept = new Set(recordImages(after))
  const dropped = recordImages(before).filter((d) => !kept.has(d))
  if (!dropped.length) return
  const { ImageStore } = await import('../image/store/store.ts')
  const { imageNative } = await import('../image/native-image.ts')
  const images = new ImageStore(store, await imageNative())
  const r = await images.remove(dropped)
  for (const e of r.errors) process.stderr.write(`lite: note: ${e}\n`)
}

/**
 * After a rollback: the monitor restarts the container on the record's current. If the
 * new one is gone altogether (it failed its set-up, its monitor exited), a detached
 * container is started again; a foreground one is its init system's to restart.
 */
async function restartOnCurrent(name: string, sys: LifecycleSystem, target: Target): Promise<void> {
  const o = await observe(name, sys)
  if (o?.alive && o.state?.status === 'running') {
    try {
      await restartContainer(name, sys, { timeoutMs: target.stopTimeoutMs + RESTART_SETUP_MS })
      return
    } catch (e) {
      sys.stderr(`lite: ${name}: the restart on the old image failed: ${(e as Error).message}\n`)
    }
  }
  if (o?.alive || !target.o.state?.detached) return
  const { spawnSync } = await import('node:child_process')
  const { liteCommand } = await import('../lifecycle/handover.ts')
  const [lite, ...prefix] = liteCommand()
  const r = spawnSync(lite!, [...prefix, 'run', '-d', target.config, '--name', name], { stdio: ['ignore', 'ignore', 'pipe'], timeout: RESTART_SETUP_MS })
  if (r.status !== 0) sys.stderr(`lite: ${name}: cannot start it again on the old image: ${r.stderr?.toString().trim() || `exit ${r.status}`}\n`)
}

/** lite rollback NAME: back to the previous image (which becomes the one to roll back to). */
export async function rollbackContainer(name: string, sys: LifecycleSystem): Promise<number> {
  const native = await loadNative()
  const target = targetOf(await observe(name, sys), name)
  const lock = holdUpdateLock(native, name)
  try {
    const layout = new StoreLayout(target.store)
    const r = readContainerRecord(layout, name)
    if (!r?.previous) throw new LiteError(`${name} has no previous image to roll back to`, 1)
    replaceContainerRecord(layout, name, {
      current: r.previous,
      next: null,
      previous: r.current,
      older: r.older,
      pinned: true,
      update: null,
      last: { result: 'rollback', from: r.current, to: r.previous, at: now() },
    })
    say(target.o, `lite: ${name}: rolled back to ${r.previous} (from ${r.current})`, sys)
    if (target.o.alive) await restartOnCurrent(name, sys, target)
    sys.stdout(`${r.previous}\n`)
    return 0
  } finally {
    lock.release()
  }
}
