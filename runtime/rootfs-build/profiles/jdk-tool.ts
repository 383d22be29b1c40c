// The build host's tools as the java profile and its --trace run them (jdeps, jlink,
// javac, jar, jimage, the target's strip, its java for -Xshare:dump): stdout back, or
// an error that names the step and ends with the tool's last lines.

import { spawnSync } from 'node:child_process'

export function runTool(what: string, cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts })
  if (r.status !== 0) throw new Error(`${what} failed: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-5).join(' ')}`)
  return r.stdout
}
