// lite logs NAME [-f]: a detached container's output, from the two files of its ring
// log in the state dir: log.1 (older) then log. The monitor rotates by renaming log to
// log.1 when log reaches half of [log] size. Following keeps the open log's fd, so that
// after a rotation the rest of the old file is read before the new one is opened;
// it ends when the monitor lets go of the lock (the container has exited for good) or
// when the user interrupts.

import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs'
import { isHeld, observeNamed } from './registry.ts'
import type { ContainerState } from './state-file.ts'
import type { LifecycleSystem } from './system.ts'

export const FOLLOW_POLL_MS = 200
const CHUNK = 64 * 1024

function openOrNull(path: string): number | null {
  try {
    return openSync(path, 'r')
  } catch {
    return null
  }
}

function inodeOf(path: string): number | null {
  try {
    return statSync(path).ino
  } catch {
    return null
  }
}

/** Copies from `fd` at `pos` to its current end; returns the new position. */
function drain(fd: number, pos: number, sys: LifecycleSystem): number {
  const buf = Buffer.allocUnsafe(CHUNK)
  // Bounded: a file that grows faster than we read is caught up with on the next poll.
  for (let i = 0; i < 1024; i++) {
    const n = readSync(fd, buf, 0, CHUNK, pos)
    if (n <= 0) break
    sys.stdout(Buffer.from(buf.subarray(0, n)))
    pos += n
  }
  return pos
}

/** Why there is no log file to read, or undefined when there is one. */
function noLogReason(name: string, state: ContainerState | null): string | undefined {
  if (!state) return `${name} is starting: no log yet`
  if (state.log === 'syslog') return `${name} logs to syslog ([log] target = syslog): read them with logread, or journalctl -t ${name}`
  if (state.log === '') {
    return state.detached
      ? `${name} keeps no log ([log] target = none)`
      : `${name} runs in the foreground: its output goes to the terminal of lite run`
  }
  return undefined
}

/** 0 printed; 1 no such container, or its output is not in a log file. */
export async function showLogs(name: string, follow: boolean, sys: LifecycleSystem): Promise<number> {
  const o = await observeNamed(name, sys)
  if (!o) return 1
  const why = noLogReason(name, o.state)
  if (why) {
    sys.stderr(`lite: error: ${why}\n`)
    return 1
  }
  const logPath = o.state!.log
  const olderPath = `${logPath}.1`

  // Open both files as one consistent pair: if a rotation happens between the two
  // opens, log.1 is no longer the file we opened, and we open them again.
  let older: number | null = null
  let current: number | null = null
  for (let attempt = 0; attempt < 5; attempt++) {
    older = openOrNull(olderPath)
    current = openOrNull(logPath)
    const olderNow = inodeOf(olderPath)
    if ((older === null ? null : fstatSync(older).ino) === olderNow) break
    for (const fd of [older, current]) if (fd !== null) closeSync(fd)
    older = current = null
  }
  if (older !== null) {
    drain(older, 0, sys)
    closeSync(older)
  }
  let pos = current === null ? 0 : drain(current, 0, sys)
  if (!follow) {
    if (current !== null) closeSync(current)
    return 0
  }

  // Follow. Each round: read what was added; after a rotation, finish the old file and
  // open the new one; stop once the lock is free and the last bytes are read.
  for (;;) {
    const alive = isHeld(o.dir, sys)
    if (current !== null) pos = drain(current, pos, sys)
    const nowIno = inodeOf(logPath)
    if (nowIno !== null && (current === null || fstatSync(current).ino !== nowIno)) {
      if (current !== null) closeSync(current)
      current = openOrNull(logPath)
      pos = current === null ? 0 : drain(current, 0, sys)
      continue
    }
    if (!alive) break
    await sys.sleep(FOLLOW_POLL_MS)
  }
  if (current !== null) closeSync(current)
  return 0
}
