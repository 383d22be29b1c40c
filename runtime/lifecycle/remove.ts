// lite rm NAME [-f]: removes the state dir of a container that no longer runs (its
// status, exit code and logs). A running one is refused unless -f, which stops it
// first: a stop request (so the restart policy does not bring it back), SIGKILL at
// once, and the monitor itself killed if it does not let go.

import { LiteError } from '../errors.ts'
import { observe, observeNamed, removeStateDir, tryLock } from './registry.ts'
import { stopAndWait } from './stop.ts'
import type { LifecycleSystem } from './system.ts'
import { closeSync } from 'node:fs'

/** 0 removed; 1 no such container, or running without -f. */
export async function removeContainer(name: string, force: boolean, sys: LifecycleSystem): Promise<number> {
  let o = await observeNamed(name, sys)
  if (!o) return 1
  if (o.alive) {
    if (!force) {
      sys.stderr(`lite: error: ${name} is running: stop it first (lite stop ${name}) or use lite rm -f\n`)
      return 1
    }
    await stopAndWait(o, { timeout: 0, killMonitor: true }, sys)
    // Settles a monitor killed above: its cgroups and the processes in them.
    o = await observe(name, sys)
    if (!o) {
      sys.stdout(`${name}\n`)
      return 0
    }
  }
  const fd = tryLock(o.dir, sys)
  if (fd === 'busy') throw new LiteError(`${name} was started again meanwhile; nothing removed`)
  if (fd !== 'gone') {
    try {
      removeStateDir(o.dir)
    } finally {
      closeSync(fd)
    }
  }
  sys.stdout(`${name}\n`)
  return 0
}
