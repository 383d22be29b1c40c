// The store's flocks (DESIGN.md §11): files under /run/lite/.lite-locks/store/<store id>, so
// that a reboot or the death of their holder (even by SIGKILL) frees them.
//
//   store          shared by every command that adds (pull, import, a container record),
//                  exclusive by rm and prune: nothing is deleted under a pull.
//   image-<hex>    exclusive while an image is built: a second pull of it waits, then
//                  finds it done.
//   blob-<hex>     exclusive while a blob downloads into tmp/blob-<hex>.partial.
//   work-<id>      exclusive while an import stages files in tmp/import-<id>.
// Order: store, then image, then blob; nobody takes an earlier one while holding a later.
// Lock files are never unlinked while in use (a waiter could lock an unlinked inode).

import fs from 'node:fs'
import path from 'node:path'
import { LiteError } from '../../errors.ts'
import type { ImageNative } from '../native-image.ts'

export type LockMode = 'shared' | 'exclusive'

export interface HeldLock {
  readonly path: string
  release(): void
}

export interface LockWait {
  /** How long to wait for a busy lock before failing, in ms. */
  timeoutMs: number
  /** What the lock guards, for the messages: "the image store /var/lib/lite". */
  what: string
  /** Called once, when the lock is found busy (say that we wait). */
  onWait?: () => void
}

type Locker = Pick<ImageNative, 'lockFile'>

const isBusy = (e: unknown) => (e as { code?: string })?.code === 'Busy'

/** One attempt: the lock, or undefined when another process holds it. */
export function tryLock(native: Locker, file: string, mode: LockMode): HeldLock | undefined {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  } catch (e) {
    throw new LiteError(`cannot create the lock directory ${path.dirname(file)}: ${(e as Error).message} (the image store's locks live under /run/lite: lite image needs root)`)
  }
  let fd: number
  try {
    fd = native.lockFile(file, mode === 'exclusive')
  } catch (e) {
    if (isBusy(e)) return undefined
    throw new LiteError(`cannot lock ${file}: ${(e as Error).message}`)
  }
  let held = true
  return {
    path: file,
    release() {
      if (!held) return
      held = false
      fs.closeSync(fd)
    },
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Waits, bounded, for the lock: polling keeps the event loop free (no blocking flock). */
export async function acquireLock(native: Locker, file: string, mode: LockMode, wait: LockWait): Promise<HeldLock> {
  const deadline = Date.now() + wait.timeoutMs
  let delay = 20
  let told = false
  for (;;) {
    const lock = tryLock(native, file, mode)
    if (lock) return lock
    if (!told) {
      told = true
      wait.onWait?.()
    }
    if (Date.now() >= deadline) {
      throw new LiteError(`${wait.what} is busy: another lite command has held it for ${Math.round(wait.timeoutMs / 1000)} s (${file}); try again when it has finished`)
    }
    await sleep(Math.min(delay, Math.max(1, deadline - Date.now())))
    delay = Math.min(delay * 2, 500)
  }
}

export async function withLock<T>(native: Locker, file: string, mode: LockMode, wait: LockWait, body: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(native, file, mode, wait)
  try {
    return await body()
  } finally {
    lock.release()
  }
}
