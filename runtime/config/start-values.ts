// Value parsers of [start], [log] and [health]: the restart policy, a delay in
// seconds, the size of a detached container's log and a health check's command.
// Same contract as values.ts: the typed value, or a ValueError naming the bad text.
// ([health]'s durations are values.ts's parseDuration.)

import { showText } from './show-text.ts'
import { ValueError, parseSize, quote } from './values.ts'

export interface RestartPolicy {
  policy: 'no' | 'on-failure' | 'always'
  /** restarts allowed before giving up; 0 = unlimited */
  max: number
}

/** The largest on-failure:N: beyond it, "always" says what is meant. */
export const MAX_RESTARTS = 1_000_000

/** no | on-failure | on-failure:N | always (Docker's words; unless-stopped is "always" here). */
export function parseRestart(raw: string): RestartPolicy {
  const word = raw.toLowerCase()
  if (word === 'no' || word === 'always') return { policy: word, max: 0 }
  if (word === 'on-failure') return { policy: 'on-failure', max: 0 }
  const m = /^on-failure:(\d+)$/.exec(word)
  if (m) {
    const max = Number(m[1])
    if (max < 1 || max > MAX_RESTARTS) throw new ValueError(`${quote(raw)}: the number of restarts must be 1..${MAX_RESTARTS} (on-failure alone is unlimited)`)
    return { policy: 'on-failure', max }
  }
  if (word === 'unless-stopped') throw new ValueError(`${quote(raw)}: lite has no daemon to remember a stop; use always (a stopped container is never restarted)`)
  throw new ValueError(`${quote(raw)} is not a restart policy (use no, on-failure, on-failure:N or always)`)
}

/** The longest [start] delay: a boot that waits longer than an hour is a mistake. */
export const MAX_DELAY_SECONDS = 3600

/** Seconds as a non-negative decimal number: 0, 2, 0.5. */
export function parseDelay(raw: string): number {
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new ValueError(`${quote(raw)} is not a number of seconds (use e.g. 0, 2 or 0.5)`)
  const seconds = Number(raw)
  if (seconds > MAX_DELAY_SECONDS) throw new ValueError(`${showText(raw)} is out of range (0..${MAX_DELAY_SECONDS} seconds)`)
  return seconds
}

/** The smallest [log] size: the monitor rotates at half of it, and 8K is a few lines. */
export const MIN_LOG_SIZE = 16 * 1024

/** A size of at least 16K (the log lives on /run, a tmpfs in RAM: keep it small). */
export function parseLogSize(raw: string): number {
  const size = parseSize(raw)
  if (size < MIN_LOG_SIZE) throw new ValueError(`${quote(raw)} is below the minimum of 16K`)
  return size
}

/** The kernel's MAX_ARG_STRLEN: execve takes arguments shorter than this (its NUL included), and [health] cmd is one. */
const MAX_ARG_STRLEN = 128 * 1024

/** The shell a [health] cmd runs in, as Docker's CMD-SHELL form does. */
export const HEALTH_SHELL = ['/bin/sh', '-c'] as const

/**
 * [health] cmd: a shell command line, run inside the container as /bin/sh -c CMD;
 * null for "none", which turns off the image's health check.
 */
export function parseHealthCmd(raw: string): string[] | null {
  if (raw === 'none') return null
  if (raw.trim() === '') throw new ValueError('empty command (write none to turn off the image\'s health check)')
  if (raw.includes('\0')) throw new ValueError(`${quote(raw)} contains a NUL byte`)
  if (Buffer.byteLength(raw) >= MAX_ARG_STRLEN) throw new ValueError(`the command is longer than ${MAX_ARG_STRLEN - 1} bytes, the most the kernel takes in one argument`)
  return [...HEALTH_SHELL, raw]
}
