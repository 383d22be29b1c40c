// Which process a pid names now. A pid alone can be reused after the container died;
// the start time (field 22 of /proc/PID/stat, clock ticks after boot) can't repeat for
// the same pid, so pid + start time is an identity (what crun and LXC check without a
// pidfd).

import { readFileSync } from 'node:fs'

/** Field 22 of a /proc/PID/stat text. The command name (field 2) may hold spaces and ')'. */
export function parseStartTime(stat: string): number | undefined {
  const close = stat.lastIndexOf(')')
  if (close < 0) return undefined
  // After "pid (comm)" come fields 3, 4, ...: field 22 is the 20th of them.
  const fields = stat.slice(close + 1).trim().split(/\s+/)
  const value = fields[19]
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined
}

/** The start time of a live pid, or undefined if there is no such process. */
export function processStartTime(pid: number, proc = '/proc'): number | undefined {
  try {
    return parseStartTime(readFileSync(`${proc}/${pid}/stat`, 'utf8'))
  } catch {
    return undefined
  }
}
