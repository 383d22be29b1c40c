// Whether a file's flock is held, read from the kernel's table of locks (/proc/locks)
// instead of trying the lock: lite ps, status, stop and kill then need no addon (its
// unpack and dlopen are ~2 ms of a 7 ms command). A lock the table shows is held. A lock
// it does not show is free only when this /proc shows every holder: a pid namespace
// hides the holders outside it, so off the host's own pid namespace (or when that can't
// be told) the answer is 'unknown', and the caller tries the lock itself.

import { readFileSync, readlinkSync, statSync } from 'node:fs'

/** A line of /proc/locks: "1: FLOCK  ADVISORY  WRITE 8873 fe:00:892930 0 EOF"; waiters have "->". */
const FLOCK_LINE = /^\d+:\s+FLOCK\s+\S+\s+\S+\s+\S+\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/

/** glibc's major/minor of a dev_t, as Node's stat gives it (a number). */
export function devParts(dev: number): { major: number; minor: number } {
  const d = BigInt(dev)
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn))
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn))
  return { major, minor }
}

/** Whether `table` (the text of /proc/locks) has a flock held on the file dev:ino. */
export function flockInTable(table: string, dev: number, ino: number): boolean {
  const { major, minor } = devParts(dev)
  for (const line of table.split('\n')) {
    const m = FLOCK_LINE.exec(line)
    if (m && parseInt(m[1]!, 16) === major && parseInt(m[2]!, 16) === minor && Number(m[3]) === ino) return true
  }
  return false
}

export type LockTableAnswer = 'held' | 'free' | 'unknown'

/**
 * The initial pid namespace's inode, fixed in the kernel (PROC_PID_INIT_INO, since 3.8):
 * pid 1's own link can't be read everywhere (ptrace rules), this one can.
 */
const INIT_PID_NS = 'pid:[4026531836]'

/**
 * Whether this process sees every lock: it is in the host's pid namespace, and the /proc
 * it reads is that namespace's (in another one, /proc/self would not resolve), where
 * /proc/locks lists every holder. Read each time: one readlink.
 */
export function seesEveryHolder(proc = '/proc'): boolean {
  try {
    return readlinkSync(`${proc}/self/ns/pid`) === INIT_PID_NS
  } catch {
    return false
  }
}

/** What the kernel's table says of `path`'s flock: held, free (only where it shows every holder), or unknown. */
export function flockState(path: string, table = '/proc/locks', everyHolder = seesEveryHolder): LockTableAnswer {
  let text: string
  let st: { dev: number; ino: number }
  try {
    st = statSync(path)
    text = readFileSync(table, 'latin1')
  } catch {
    return 'unknown'
  }
  if (flockInTable(text, st.dev, st.ino)) return 'held'
  return everyHolder() ? 'free' : 'unknown'
}
