// How lite-oci fails: runc's way, because engines read it. The message goes to stderr
// and, with --log, to the log file (containerd's shim reads the last "msg" of its
// log.json); the exit code is 1, as runc's. Engines match some texts ("does not
// exist", "not running"), so those are kept word for word.

import { appendFileSync } from 'node:fs'
import { writeErr } from '../output.ts'

export class OciError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message)
  }
}

/** runc's words, where engines look for them. */
export const NOT_EXIST = 'container does not exist'
export const NOT_RUNNING = 'container not running'

/** The options every lite-oci command takes (runc's global flags). */
export interface OciGlobal {
  /** where containers' state lives (runc's --root) */
  root: string
  log?: string
  logFormat: 'text' | 'json'
  debug: boolean
  systemdCgroup: boolean
}

export const DEFAULT_OCI_ROOT = '/run/lite-oci'

/** One line in the --log file, in the format asked for (logrus' text or json). */
export function logLine(g: OciGlobal, level: 'error' | 'warning' | 'debug' | 'info', msg: string): void {
  if (!g.log) return
  const time = new Date().toISOString()
  const line = g.logFormat === 'json' ? JSON.stringify({ level, msg, time }) : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`
  try {
    appendFileSync(g.log, line + '\n')
  } catch {}
}

/** A warning: to stderr and the log. */
export function warn(g: OciGlobal, msg: string): void {
  writeErr(`lite-oci: warning: ${msg}\n`)
  logLine(g, 'warning', msg)
}

/** An error: to stderr and the log; returns the exit code. */
export function report(g: OciGlobal, e: unknown): number {
  const msg = e instanceof Error ? e.message : String(e)
  writeErr(`lite-oci: error: ${msg}\n`)
  logLine(g, 'error', msg)
  return e instanceof OciError ? e.exitCode : 1
}
