// The fast exec entry of a running container (native-rs/src/fast_run/exec.rs reads it):
// what a plain `lite exec NAME CMD...` into it does, but for the command, written by an
// exec on lite's full path whose plan came from the compiled-plan cache or was just
// stored there. The next plain exec into the container is handed to native code
// (fast-front.ts), which checks the entry against the host (the cache entry's input
// signatures, the kernel, a digest of the host facts' sources) and the container (its
// first process and that process's start time, which a restart changes), puts the
// command into the plan and joins the container without Bun's part of the work.
//
// It lies in the container's state dir (fastExecEntryPath), so it goes when the
// container goes. Only root's plain execs (no -t, -i or --no-cache, no variable that
// changes what lite does) write it; the command is not part of it.
//
// Format (entry.rs ExecEntry): the line "lite-fast-exec 1", then records as fast-entry.ts.

import { BUILD_ID } from '../build-info.ts'
import { FAST_STATE_ROOT, FULL_PATH_ENV } from '../fast-front.ts'
import type { NativePlan } from '../native/index.ts'
import { fastExecEntryPath } from '../plan/cache-paths.ts'
import { record, storeEntry, type NativeAgreement } from './fast-entry.ts'

const MAGIC = 'lite-fast-exec 1\n'

export interface FastExecFacts {
  name: string
  tty: boolean
  interactive: boolean
  noCache: boolean
  /** the cache entry's inputs and signatures (a hit's, or those just stored) */
  inputs?: [string, string][]
  /** the plan the child joined with (exec.ts joinPlan) */
  joinPlan: NativePlan
  /** the container's cgroup2 directory */
  v2?: string
  /** the container's first process and its start time, as its state says */
  pid: number
  pidStart: number | null
  /** the exec monitor's spec */
  spec: string
  stateRoot: string
  stateDir: string
  addonDir: string
  rootless: boolean
  env: NodeJS.ProcessEnv
}

export interface FastExecParts extends NativeAgreement {
  /** the native digest of the host facts' sources (fast_run/check.rs) */
  host: string
  kernel: string
}

/** Why this exec leaves the container's entry alone (another request says nothing of the plain one). */
export function notPlainExec(f: FastExecFacts): string | undefined {
  if (!BUILD_ID) return 'no build id'
  if (f.rootless || f.stateRoot !== FAST_STATE_ROOT || f.addonDir !== FAST_STATE_ROOT) return 'not root in /run/lite'
  if (f.tty || f.interactive || f.noCache) return 'not a plain lite exec'
  const set = FULL_PATH_ENV.find((key) => key !== 'LITE_FAST' && f.env[key] !== undefined)
  return set ? `${set} is set` : undefined
}

/** Why a plain exec's container gets no entry, or undefined when it does. */
export function fastExecIneligible(f: FastExecFacts): string | undefined {
  if (f.pidStart === null) return 'no start time'
  const p = f.joinPlan
  if (p.tty || p.stdin || p.netSocket || p.ops.length || p.stubInit || p.initExeFd !== undefined || p.outputFd !== undefined) return 'the plan needs the full path'
  return undefined
}

/** The entry's text. */
export function fastExecEntryText(f: FastExecFacts, parts: FastExecParts): string {
  const lines = [
    MAGIC,
    record('build', BUILD_ID),
    record('kernel', parts.kernel),
    record('host', parts.host),
    ...f.inputs!.map(([path, sig]) => record('input', `${path}\0${sig}`)),
    record('name', f.name),
    record('state_dir', f.stateDir),
    record('pid', String(f.pid)),
    record('pid_start', String(f.pidStart)),
    // The command is each exec's own (exec.rs puts it in, with its PATH candidates).
    record('plan', JSON.stringify({ ...f.joinPlan, argv: [], execCandidates: [] })),
  ]
  if (f.v2) lines.push(record('v2', f.v2))
  lines.push(record('spec', f.spec))
  return lines.join('')
}

/**
 * Writes the container's fast exec entry when this exec may have one, or removes it;
 * never fails the exec. Returns what it did, for LITE_TRACE.
 */
export function updateFastExecEntry(f: FastExecFacts, parts: () => FastExecParts, path = fastExecEntryPath(f.stateRoot, f.name)): string {
  const other = notPlainExec(f)
  return other ? `left alone (${other})` : storeEntry(path, f.inputs, fastExecIneligible(f), parts, (p) => fastExecEntryText(f, p))
}
