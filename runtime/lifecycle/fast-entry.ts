// The fast entry of a config (native-rs/src/fast_run/entry.rs reads it): what a warm
// plain `lite run FILE` does on the host, resolved by a run of the full path whose plan
// came from the compiled-plan cache or was just stored there. The next `lite run FILE`
// hands it to native code (fast-front.ts), which checks it against the host (the same
// input signatures as the cache entry, the kernel, a digest of the host facts' sources)
// and runs it without Bun's part of the work.
//
// Only runs that the fast run does exactly as lite run would get an entry: root, the
// plain command line, a network of none or host, no image, user namespace, pre-start
// hooks or health check, no loop device, nothing said on stderr. A
// plain run of a config that is not such a run removes its entry (the entry's inputs
// would miss anyway; this spares the next run the try). Runs with options leave it be.
//
// Format (entry.rs): the line "lite-fast 1", then records "KEY LEN\n" + LEN bytes + "\n".

import { renameSync, rmSync, writeFileSync } from 'node:fs'
import { posix } from 'node:path'
import type { ContainerConfig } from '../config/types.ts'
import { BUILD_ID } from '../build-info.ts'
import { FAST_STATE_ROOT, FULL_PATH_ENV } from '../fast-front.ts'
import type { CgroupWrite } from '../cgroup/resources.ts'
import { copiesCpuset, dirFor, needsDeviceProgram, subtreeControllers, type CgroupPlacement } from '../cgroup/manager.ts'
import type { LaunchPlan } from '../plan/build.ts'
import { absolutePath, fastEntryPath } from '../plan/cache-paths.ts'
import { trimCacheDir } from '../plan/plan-cache.ts'
import type { RunOptions } from './run.ts'
import type { RestartState } from './handover.ts'

const MAGIC = 'lite-fast 1\n'

export interface FastRunFacts {
  opts: RunOptions
  config: ContainerConfig
  plan: LaunchPlan
  /** the cache entry's inputs and signatures (a hit's, or those just stored) */
  inputs?: [string, string][]
  cgroups?: CgroupPlacement
  /** the rules of the cgroup v2 device program this run attached (none on v1) */
  deviceProgram?: string[]
  delegated: boolean
  restart: RestartState
  stateRoot: string
  stateDir: string
  /** where the addon was loaded from: the front looks for it in the state root only */
  addonDir: string
  rootless: boolean
  /** a warning this run printed (the resolvers, a resolv.conf not copied): the fast run would not */
  warned: boolean
  env: NodeJS.ProcessEnv
}

/**
 * Why this run is not the plain `lite run FILE` that the front hands over (its entry is
 * then left alone: another request's run says nothing about the plain one's).
 */
export function notPlain(f: Pick<FastRunFacts, 'opts' | 'restart' | 'env' | 'rootless' | 'stateRoot' | 'addonDir'>): string | undefined {
  const { opts } = f
  if (!BUILD_ID) return 'no build id'
  if (f.rootless || f.stateRoot !== FAST_STATE_ROOT || f.addonDir !== FAST_STATE_ROOT) return 'not root in /run/lite'
  if (opts.name || opts.cmd?.length || opts.store || opts.imagesConfig || opts.imageDigest || opts.tty || opts.interactive || opts.detached || opts.noCache) {
    return 'not a plain lite run FILE'
  }
  if (f.restart.restarts || f.restart.lockFd !== undefined) return 'a restart'
  // LITE_FAST is this run's own mark when the fast run sent it here.
  const set = FULL_PATH_ENV.find((key) => key !== 'LITE_FAST' && f.env[key] !== undefined)
  return set ? `${set} is set` : undefined
}

/** Why a plain run's config gets no fast entry, or undefined when it does. */
export function fastIneligible(f: FastRunFacts): string | undefined {
  const { config, plan } = f
  if (!f.inputs) return 'no cache entry'
  if (config.net.type !== 'none' && config.net.type !== 'host') return `[net] type = ${config.net.type}`
  if (config.rootfs.image) return '[rootfs] image'
  if (config.user.map !== 'none') return '[user] map'
  if (config.hooks.preStart.length) return 'pre-start hooks'
  if (config.health.cmd) return '[health]'
  const n = plan.native
  if (n.loopImage || n.netSocket || n.tty || n.stdin || n.netJoinFd !== undefined || n.userNs || n.ops.some((o) => o.idmap)) return 'the plan needs the full path'
  if (f.delegated) return 'a delegated cgroup'
  // A cgroup v2 host's device rules are a program this run attached: the fast run attaches the same.
  if (f.cgroups && needsDeviceProgram(f.cgroups) && !f.deviceProgram) return 'a device program not attached'
  if (plan.cgroupWrites.some((w) => w.parentToo)) return 'a write in the parent cgroup'
  if (f.warned) return 'a warning'
  return undefined
}

export function record(key: string, value: string): string {
  return `${key} ${Buffer.byteLength(value)}\n${value}\n`
}

/** The controllers each v2 ancestor of the container must enable (manager.ts makePath). */
function subtree(cgroups: CgroupPlacement, writes: CgroupWrite[]): [string, string][] {
  const d = cgroups.dirs.find((x) => x.hierarchy.version === 2)
  const controllers = subtreeControllers(writes)
  if (!d || !controllers.length) return []
  const out: [string, string][] = []
  let dir = d.hierarchy.mountPoint
  for (const part of d.relative.split('/').slice(0, -1)) {
    for (const c of controllers) out.push([dir, c])
    dir = posix.join(dir, part)
  }
  for (const c of controllers) out.push([dir, c])
  return out
}

export interface FastEntryParts extends NativeAgreement {
  /** the native digest of the host facts' sources (fast_run/check.rs) */
  host: string
  kernel: string
  /** the state file of the running container, and the monitor's spec, as this run wrote them */
  state: string
  spec: string
}

/** The entry's text. */
export function fastEntryText(f: FastRunFacts, parts: FastEntryParts): string {
  const { plan, cgroups } = f
  // This run's fds are not the next one's: the fast run makes its own monitor image.
  const { initExeFd: _exe, outputFd: _out, ...native } = plan.native
  const lines = [
    MAGIC,
    record('build', BUILD_ID),
    record('config', absolutePath(f.opts.config, process.cwd())),
    record('state_root', f.stateRoot),
    record('kernel', parts.kernel),
    record('host', parts.host),
    ...f.inputs!.map(([path, sig]) => record('input', `${path}\0${sig}`)),
    record('name', f.config.container.name),
    record('state_dir', f.stateDir),
    record('plan', JSON.stringify(native)),
  ]
  if (cgroups) {
    if (cgroups.v2) lines.push(record('v2', cgroups.v2))
    for (const d of cgroups.dirs) lines.push(record('cgroup', d.path))
    for (const d of cgroups.dirs) if (copiesCpuset(d)) lines.push(record('cpuset', d.path))
    for (const [dir, c] of subtree(cgroups, plan.cgroupWrites)) lines.push(record('subtree', `${dir}\0${c}`))
    for (const w of plan.cgroupWrites) {
      const d = dirFor(cgroups, w)
      if (d) lines.push(record('write', `${posix.join(d.path, w.file)}\0${w.value}`))
    }
    if (f.deviceProgram) {
      lines.push(record('device_program', ''))
      for (const rule of f.deviceProgram) lines.push(record('device', rule))
    }
  }
  for (const dir of plan.dirs) lines.push(record('dir', dir))
  for (const file of plan.etcFiles) lines.push(record('file', `${file.hostPath}\0${file.content}`))
  lines.push(record('state', parts.state), record('spec', parts.spec))
  return lines.join('')
}

/** What the native check needs to agree with before an entry is written. */
export interface NativeAgreement {
  /** whether the host facts read after the digest are those the plan was made with */
  hostSteady: boolean
  /** the native side's signature of a file (fast_run/check.rs file_signature) */
  signature: (path: string) => string
}

/**
 * Writes an entry at `path` (mode 0600, by rename) unless `ineligible` says why not or
 * the native check would not see the inputs as the cache entry signed them (a file type
 * it names otherwise: every run would miss there and pay twice); else removes it. Never
 * throws: an entry not written costs only the next run's speed. Returns what it did.
 */
export function storeEntry<P extends NativeAgreement>(path: string, inputs: [string, string][] | undefined, ineligible: string | undefined, parts: () => P, text: (p: P) => string): string {
  const temp = `${path}.${process.pid}.tmp`
  try {
    let why = ineligible ?? (inputs ? undefined : 'no cache entry')
    const p = why ? undefined : parts()
    const differs = p && inputs!.find(([input, sig]) => p.signature(input) !== sig)
    if (differs) why = `the native signature of ${differs[0]} differs`
    else if (p && !p.hostSteady) why = 'the host facts changed meanwhile'
    if (why || !p) {
      rmSync(path, { force: true })
      return `none (${why})`
    }
    writeFileSync(temp, text(p), { mode: 0o600 })
    renameSync(temp, path)
    return 'written'
  } catch (e) {
    rmSync(temp, { force: true })
    return `not written: ${(e as Error).message}`
  }
}

/**
 * Writes the config's fast entry when this run may have one, or removes it; never
 * fails the run. Returns what it did, for LITE_TRACE.
 */
export function updateFastEntry(f: FastRunFacts, parts: () => FastEntryParts, path = fastEntryPath(FAST_STATE_ROOT, absolutePath(f.opts.config, process.cwd()))): string {
  const other = notPlain(f)
  if (other) return `left alone (${other})`
  const done = storeEntry(path, f.inputs, fastIneligible(f), parts, (p) => fastEntryText(f, p))
  if (done === 'written') {
    try {
      trimCacheDir(posix.dirname(path))
    } catch {
      // files beyond the cap cost only space; the next store trims again
    }
  }
  return done
}
