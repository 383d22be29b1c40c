// Detached containers for the lifecycle-shaped integration tests (lifecycle, restart,
// health, update, fd-escape): their state file, a busybox config that runs a script,
// and a checked `lite run -d`.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'tap'
import { parseState, type ContainerState } from '../../runtime/lifecycle/state-file.ts'
import { eventually, lite, uniqueName, writeConfig } from './integration.ts'

export const STATE_ROOT = '/run/lite'

/** The container's state file, parsed; undefined when there is none (yet). */
export function stateOf(name: string): ContainerState | undefined {
  try {
    return parseState(readFileSync(join(STATE_ROOT, name, 'state'), 'utf8'))
  } catch {
    return undefined
  }
}

/** A config for a detached container running `script` in busybox sh; removed (rm -f) whatever happens. */
export function detachedConfig(t: Test, script: string, extra = '', name = uniqueName('lc8')) {
  // Quoted as a whole (a JSON string): the script's ';' stays in the value.
  const cmd = JSON.stringify(`/bin/sh -c '${script}'`)
  const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = ${cmd}\n${extra}`, name)
  t.teardown(() => void lite(['rm', '-f', c.name], { timeout: 30_000 }))
  return c
}

/** lite run -d, checked: exit 0, the name on stdout, and a running state. */
export async function runDetached(t: Test, config: string, name: string): Promise<ContainerState> {
  const r = lite(['run', '-d', config], { timeout: 30_000 })
  t.equal(r.code, 0, `run -d ${name}: ${r.stderr}`)
  t.equal(r.stdout, `${name}\n`, 'run -d prints the name, as docker run -d prints the id')
  t.ok(await eventually(() => stateOf(name)?.status === 'running', 5000), `${name} is running`)
  return stateOf(name)!
}
