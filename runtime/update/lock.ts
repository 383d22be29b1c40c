// The update lock: /run/lite/.lite-locks/update/<name>, held by `lite update` and
// `lite rollback` for as long as they work on the container. On /run, so a reboot
// frees it: a record with a `next` whose lock is free is an update that a power cut or
// a kill interrupted (runtime/update/interrupted.ts).

import { join } from 'node:path'
import { LiteError } from '../errors.ts'
import { STATE_ROOT } from '../lifecycle/state.ts'
import { tryLock, type HeldLock } from '../image/store/locks.ts'
import type { ImageNative } from '../image/native-image.ts'

type Locker = Pick<ImageNative, 'lockFile'>

export function updateLockFile(name: string): string {
  return join(STATE_ROOT, '.lite-locks', 'update', name)
}

/** Takes the lock, or says that another update of `name` runs. */
export function holdUpdateLock(native: Locker, name: string): HeldLock {
  const lock = tryLock(native, updateLockFile(name), 'exclusive')
  if (!lock) throw new LiteError(`another lite update or rollback of ${name} is running`)
  return lock
}

/** Whether a lite update (or rollback) of `name` holds its lock now. */
export function updateRunning(native: Locker, name: string): boolean {
  const probe = tryLock(native, updateLockFile(name), 'shared')
  if (!probe) return true
  probe.release()
  return false
}
