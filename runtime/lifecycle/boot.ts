// lite boot DIR and lite shutdown DIR: the configs in DIR with [start] auto = yes,
// started detached in `order` (then by name) with each one's `delay` after it, and
// stopped in the reverse order, each with its own stop_timeout. A container that fails
// is reported and the others go on (an init script must not stop at the first
// failure); the exit code then says that something failed.

import { readdirSync, statSync } from 'node:fs'
import { posix } from 'node:path'
import { describeFsError } from '../config/errno.ts'
import { formatConfigErrors } from '../config/report.ts'
import { loadConfig } from '../config/validate.ts'
import { LiteError, errorText } from '../errors.ts'
import { observe } from './registry.ts'
import { stopAndWait } from './stop.ts'
import type { LifecycleSystem } from './system.ts'

export interface BootEntry {
  /** the config's path, as DIR/FILE */
  config: string
  name: string
  order: number
  /** seconds */
  delay: number
}

/** Starts a container detached: 0 once it runs, else the printed error's exit code. */
export type Starter = (opts: { config: string }) => Promise<number>

/** The *.ini files of DIR, by file name. */
function configFiles(dir: string): string[] {
  let names: string[]
  try {
    if (!statSync(dir).isDirectory()) throw new LiteError(`${dir} is not a directory`)
    names = readdirSync(dir)
  } catch (e) {
    if (e instanceof LiteError) throw e
    throw new LiteError(`cannot read ${dir}: ${describeFsError(e)}`)
  }
  return names.filter((n) => n.endsWith('.ini')).sort().map((n) => posix.join(dir, n))
}

/**
 * The auto-start entries of DIR in start order, and how many configs were invalid
 * (their errors printed: such a config can't be started, and its name isn't known).
 */
export function bootEntries(dir: string, sys: Pick<LifecycleSystem, 'stderr'>): { entries: BootEntry[]; invalid: number } {
  const entries: BootEntry[] = []
  let invalid = 0
  for (const file of configFiles(dir)) {
    const { config, errors } = loadConfig(file)
    if (!config) {
      sys.stderr(formatConfigErrors(errors, file))
      invalid++
      continue
    }
    if (config.start.auto) entries.push({ config: file, name: config.container.name, order: config.start.order, delay: config.start.delay })
  }
  entries.sort((a, b) => a.order - b.order || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  return { entries, invalid }
}

/** lite boot DIR: 0 when every auto-start container runs, 1 when one failed. */
export async function bootDir(dir: string, start: Starter, sys: LifecycleSystem): Promise<number> {
  const { entries, invalid } = bootEntries(dir, sys)
  let failed = invalid
  if (!entries.length) sys.stderr(`lite: no config in ${dir} has [start] auto = yes\n`)
  for (const [i, e] of entries.entries()) {
    const existing = await observe(e.name, sys)
    if (existing?.alive) {
      sys.stderr(`lite: ${e.name} is already running\n`)
      continue
    }
    let code: number
    try {
      code = await start({ config: e.config })
    } catch (err) {
      sys.stderr(err instanceof LiteError ? errorText(err) + '\n' : `lite: error: ${(err as Error).message}\n`)
      code = err instanceof LiteError ? err.exitCode : 125
    }
    if (code !== 0) {
      sys.stderr(`lite: boot: ${e.name} (${e.config}) did not start (exit code ${code}); going on\n`)
      failed++
      continue
    }
    sys.stdout(`${e.name}\n`)
    if (e.delay > 0 && i < entries.length - 1) await sys.sleep(e.delay * 1000)
  }
  return failed ? 1 : 0
}

/** lite shutdown DIR: the running ones of boot's list, in reverse order. 0, or 1 when one failed. */
export async function shutdownDir(dir: string, sys: LifecycleSystem): Promise<number> {
  const { entries, invalid } = bootEntries(dir, sys)
  let failed = invalid
  for (const e of [...entries].reverse()) {
    const o = await observe(e.name, sys)
    if (!o?.alive) continue
    try {
      await stopAndWait(o, {}, sys)
      await observe(e.name, sys)
      sys.stdout(`${e.name}\n`)
    } catch (err) {
      sys.stderr(err instanceof LiteError ? errorText(err) + '\n' : `lite: error: ${(err as Error).message}\n`)
      failed++
    }
  }
  return failed ? 1 : 0
}
