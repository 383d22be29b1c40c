// The front of the fast run (native-rs/src/fast_run): a warm plain `lite run FILE` is
// handed to native code before any of lite's run path is loaded. Bun's own start and
// its exec are then all that Bun costs the run (bench/START-PATH.md, "The fast run").
// A plain `lite exec NAME CMD...` into a container that has a fast exec entry goes the
// same way (fast_run/exec.rs).
//
// Here only what is cheap is looked at: the command line, the environment, and that
// the addon and the config's fast entry exist. No node module is loaded for it (cli.ts
// says why): the files are looked at, and the addon exec'd, through libc. The addon,
// exec'd as a program, checks the entry against the host and runs the container; on a
// miss, or anything it can't do as lite run would, it execs `lite run FILE` again with
// LITE_FAST=0, which comes back here, goes on to lite's full path, and rewrites the entry.

import { ADDON_BYTES, ADDON_ID, BUILD_ID } from './build-info.ts'
import { addonFileName, isOwnFile } from './native/addon-name.ts'
import { openLibc } from './native/libc-ffi.ts'
import { absolutePath, fastEntryPath, fastExecEntryPath } from './plan/cache-paths.ts'
import { CONTAINER_NAME } from './config/container-name.ts'
import { programName } from './program-name.ts'
import { TRACE_ENABLED, bunStartLine } from './trace-clock.ts'

/** root's state root: the only one the fast run serves (LITE_STATE_ROOT is not looked at) */
export const FAST_STATE_ROOT = '/run/lite'
/**
 * The variables that change what `lite run` does (another state root or store, a
 * restart by the monitor, a development addon, a test's crash point), and LITE_FAST, the
 * full path's mark: with any of them set, the run takes the full path. A unit test
 * holds this list to the variables the runtime reads.
 */
export const FULL_PATH_ENV = [
  'LITE_STATE_ROOT',
  'LITE_STORE',
  'LITE_IMAGES_CONFIG',
  'LITE_RESTARTS',
  'LITE_BACKOFF_MS',
  'LITE_STATE_LOCK_FD',
  'LITE_NATIVE_ADDON',
  'LITE_UPDATE_CRASH_AT',
  'LITE_FAST',
]

/** Whether this command line and environment may take the fast run at all. */
export function fastCandidate(argv: string[], env: NodeJS.ProcessEnv, euid: number): string | undefined {
  if (argv.length !== 2 || argv[0] !== 'run') return undefined
  const file = argv[1]!
  if (file === '' || file.startsWith('-')) return undefined
  if (!BUILD_ID || ADDON_BYTES <= 0 || euid !== 0) return undefined
  if (FULL_PATH_ENV.some((key) => env[key] !== undefined)) return undefined
  return file
}

export interface ExecCandidate {
  name: string
  cmd: string[]
}

/**
 * Whether this is a plain `lite exec NAME CMD...` (no option: yargs would take any
 * word with a leading dash before `--` for one), and what it runs.
 */
export function fastExecCandidate(argv: string[], env: NodeJS.ProcessEnv, euid: number): ExecCandidate | undefined {
  if (argv.length < 3 || argv[0] !== 'exec' || !CONTAINER_NAME.test(argv[1]!)) return undefined
  if (!BUILD_ID || ADDON_BYTES <= 0 || euid !== 0) return undefined
  if (FULL_PATH_ENV.some((key) => env[key] !== undefined)) return undefined
  const rest = argv.slice(2)
  const dashes = rest.indexOf('--')
  const words = dashes < 0 ? rest : rest.slice(0, dashes)
  if (words.some((w) => w.startsWith('-'))) return undefined
  const cmd = dashes < 0 ? words : [...words, ...rest.slice(dashes + 1)]
  if (!cmd.length || cmd[0] === '') return undefined
  return { name: argv[1]!, cmd }
}

/**
 * Execs the addon for a warm `lite run FILE` or a plain `lite exec NAME CMD...`;
 * returns when it is not one (or the exec failed), and lite goes on as always.
 */
export async function tryFastPath(argv: string[]): Promise<void> {
  const euid = process.geteuid?.() ?? -1
  const file = fastCandidate(argv, process.env, euid)
  const exec = file === undefined ? fastExecCandidate(argv, process.env, euid) : undefined
  if (file === undefined && exec === undefined) return
  // `lite-oci run ID` is runc's run, not lite's; its exec is runc's too.
  if (programName() === 'lite-oci') return
  try {
    const config = exec ? '' : absolutePath(file!, process.cwd())
    const entry = exec ? fastExecEntryPath(FAST_STATE_ROOT, exec.name) : fastEntryPath(FAST_STATE_ROOT, config)
    const addon = addonFileName(FAST_STATE_ROOT, ADDON_ID, 0)
    const libc = await openLibc()
    if (!isOwnFile(libc.lstat(entry), 0) || !isOwnFile(libc.lstat(addon), 0, ADDON_BYTES)) return
    if (TRACE_ENABLED) libc.write(2, bunStartLine())
    const args = exec
      ? [addon, 'fast-exec', process.execPath, BUILD_ID, entry, exec.name, ...exec.cmd]
      : [addon, 'fast-run', process.execPath, BUILD_ID, entry, file!, config]
    libc.execv(addon, args)
  } catch {
    // Whatever stops the front (no libc to call, a path it can't look at) leaves the full path.
  }
}
