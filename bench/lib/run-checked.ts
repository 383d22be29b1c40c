// A bench's set-up step: runs a program to the end and returns its output, or throws
// with its stderr (a failed step must not leave a figure that measured nothing).

import { spawnSync } from 'node:child_process'

export function runChecked(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`)
  return r.stdout
}
