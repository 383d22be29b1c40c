// `lite run -d`: a detached runner (lite itself, in a session of its own) starts the
// container and becomes its monitor; this process waits only until the container runs
// ("ok" on the status pipe) or the runner failed, and returns. No daemon: each
// container has its own few-KiB monitor.

import { spawn } from 'node:child_process'
import { posix } from 'node:path'
import type { Readable } from 'node:stream'
import { EXIT_LITE_FAILED } from '../errors.ts'
import { liteCommand } from './handover.ts'

export interface DetachOptions {
  config: string
  name?: string
  cmd?: string[]
  store?: string
  imagesConfig?: string
  /** --no-cache, passed on to the runner */
  noCache?: boolean
}

/** The runner's arguments: a normal run, told that it is detached and where to report. */
export function detachedArgs(opts: DetachOptions, statusFd: number): string[] {
  const args = ['run', posix.resolve(opts.config), '--detached', '--detach-status-fd', String(statusFd)]
  if (opts.name) args.push('--name', opts.name)
  // absolute: the runner runs in a session of its own, but a relative path must mean the same
  if (opts.store) args.push('--store', posix.resolve(opts.store))
  if (opts.imagesConfig) args.push('--images-config', posix.resolve(opts.imagesConfig))
  if (opts.noCache) args.push('--no-cache')
  if (opts.cmd?.length) args.push('--', ...opts.cmd)
  return args
}

/** What the runner said: "ok PID NAME" once the container runs, "failed" otherwise. */
export function parseStatus(text: string): { ok: boolean; pid?: number; name?: string } {
  const m = /^ok (\d+) (\S+)$/m.exec(text)
  return m ? { ok: true, pid: Number(m[1]), name: m[2] } : { ok: false }
}

/**
 * 0 once the container runs, after `onRunning` got its name; else the runner's exit
 * code (it printed the error).
 */
export async function runDetached(opts: DetachOptions, onRunning: (name: string) => void = () => {}): Promise<number> {
  const [cmd, ...prefix] = liteCommand()
  // stdout and stderr are shared until the runner becomes the monitor, which then
  // points them at /dev/null: errors reach the user, and a caller reading our output
  // sees EOF once we exit.
  const child = spawn(cmd!, [...prefix, ...detachedArgs(opts, 3)], { detached: true, stdio: ['ignore', 'inherit', 'inherit', 'pipe'] })
  const statusPipe = child.stdio[3] as Readable
  let said = ''
  statusPipe.on('data', (d: Buffer) => (said += d.toString('utf8')))
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? (signal ? EXIT_LITE_FAILED : 0)))
    child.on('error', () => resolve(EXIT_LITE_FAILED))
  })
  // The pipe closes when the runner execs into the monitor (close-on-exec) or dies.
  await new Promise<void>((resolve) => {
    statusPipe.on('close', () => resolve())
    statusPipe.on('end', () => resolve())
    child.on('error', () => resolve())
  })
  const status = parseStatus(said)
  if (status.ok) {
    child.unref()
    onRunning(status.name!)
    return 0
  }
  return await exited
}
