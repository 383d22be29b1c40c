// [hook] pre-start and post-stop: host executables run by lite with LITE_* variables.
// A failing pre-start stops the run (125); a failing post-stop is reported.

import { spawnSync } from 'node:child_process'
import type { Hook } from '../config/types.ts'
import { LiteError } from '../errors.ts'
import { describeFsError } from '../config/errno.ts'

export interface HookEnv {
  LITE_NAME: string
  LITE_CONFIG: string
  LITE_ROOTFS: string
  LITE_PID?: string
  LITE_EXIT_CODE?: string
}

export function runHooks(kind: 'pre-start' | 'post-stop', hooks: readonly Hook[], vars: HookEnv): LiteError | undefined {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' }
  for (const [k, v] of Object.entries(vars)) if (v !== undefined) env[k] = v
  for (const hook of hooks) {
    const [cmd, ...args] = hook.argv
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env })
    const at = `${hook.origin.file}:${hook.origin.line}`
    if (r.error) return new LiteError(`${at}: [hook] ${kind}: ${cmd}: ${describeFsError(r.error)}`)
    if (r.status !== 0) {
      const how = r.signal ? `was killed by ${r.signal}` : `exited with ${r.status}`
      return new LiteError(`${at}: [hook] ${kind}: ${cmd} ${how}`)
    }
  }
  return undefined
}
