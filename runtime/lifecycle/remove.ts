// lite rm NAME [-f]: removes the state dir of a container that no longer runs (its
// status, exit code and logs). A running one is refused unless -f, which stops it
// first: a stop request (so the restart policy does not bring it back), SIGKILL at
// once, and the monitor itself killed if it does not let go.

import { LiteError } from '../errors.ts'
import { observe, removeStateDir, tryLock } from './registry.ts'
import { stopAndWait } from './stop.ts'
import type { LifecycleSystem } from './system.ts'
import { closeSync } from 'node:fs'
import { deleteContainerRecord, readContainerRecord } from '../image/store/containers.ts'
import { StoreLayout } from '../image/store/layout.ts'
import { loadImageSettings } from '../image/settings.ts'
import { pinnedImage } from './handover.ts'
import type { ContainerState } from './state-file.ts'
import { releaseSticky, stickyRange } from '../userns/ranges.ts'

/** 0 removed; 1 no such container, or running without -f. */
export async function removeContainer(name: string, force: boolean, sys: LifecycleSystem): Promise<number> {
  let o = await observe(name, sys)
  if (!o) {
    const hadRange = releaseUserRange(name, sys)
    if (releaseStoppedRecord(name, sys) || hadRange) {
      if (hadRange) sys.stdout(`${name}\n`)
      return 0
    }
    sys.stderr(`lite: error: no such container: ${name}\n`)
    return 1
  }
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
  if (o.state) releaseImage(name, o.state, sys)
  releaseUserRange(name, sys)
  sys.stdout(`${name}\n`)
  return 0
}

/**
 * The id range a container kept for its files on the host ([user] map = auto) goes
 * back to the pool. Whether there was one.
 */
function releaseUserRange(name: string, sys: LifecycleSystem): boolean {
  try {
    const store = loadImageSettings().store
    if (!stickyRange(store, name)) return false
    releaseSticky(store, name)
    return true
  } catch (e) {
    sys.stderr(`lite: warning: ${name}: cannot release its id range: ${(e as Error).message}\n`)
    return false
  }
}

/**
 * A foreground run leaves no state when it ends, but its image record stays (it is
 * what keeps a board's image from prune between boots): lite rm NAME then removes
 * just the record, from the store LITE_STORE or images.ini names.
 */
function releaseStoppedRecord(name: string, sys: LifecycleSystem): boolean {
  let layout: StoreLayout
  try {
    layout = new StoreLayout(loadImageSettings().store)
    if (!readContainerRecord(layout, name)) return false
  } catch {
    return false
  }
  deleteContainerRecord(layout, name)
  sys.stdout(`${name}\n`)
  return true
}

/**
 * A container that ran an image leaves the store's record of it (containers/<name>), so
 * that the image is no longer a root for prune nor refused by lite image rm; only when
 * the record still names the image this container was pinned to (an update may have
 * moved it on). A store that can't be written is a warning: the state is gone anyway.
 */
function releaseImage(name: string, state: ContainerState, sys: LifecycleSystem): void {
  const pin = pinnedImage(state)
  if (!pin) return
  const layout = new StoreLayout(pin.store)
  try {
    if (readContainerRecord(layout, name)?.current !== pin.digest) return
    deleteContainerRecord(layout, name)
  } catch (e) {
    sys.stderr(`lite: warning: ${name}: cannot remove its image record from the store ${pin.store}: ${(e as Error).message}\n`)
  }
}
