// What every service definition needs, taken from a validated config: the container's
// name, how to start it (`lite run CONFIG`, in the foreground) and how to stop it.
//
// The stop model: the init system sends SIGTERM to lite (the process it started, which
// keeps its pid for the container's whole life); lite turns that into the config's
// [exec] stop_signal for the container and, after stop_timeout, SIGKILL. So the init
// system must wait a little longer than stop_timeout before it escalates itself, and it
// must not signal the container's processes directly (lite would be left to find its
// container gone and its cgroup busy).

import { isAbsolute, resolve } from 'node:path'
import type { ContainerConfig } from '../config/types.ts'
import { quote } from '../config/show-text.ts'
import { SIGNALS, SIGRTMIN } from '../config/signal.ts'

export type RestartPolicy = 'no' | 'on-failure' | 'always'
export const RESTART_POLICIES: readonly RestartPolicy[] = ['no', 'on-failure', 'always']

/** Seconds the init system waits beyond stop_timeout: lite's own SIGKILL, then clean-up. */
export const STOP_GRACE_SECONDS = 5

export interface ServiceSpec {
  /** the container's name: the service is called lite-NAME */
  name: string
  /** the config, as an absolute path on the machine that runs the service */
  config: string
  /** the lite binary on that machine */
  lite: string
  /** the container's stop signal, by name (SIGTERM, SIGRTMIN+3) */
  stopSignal: string
  /** seconds lite gives the container before SIGKILL */
  stopTimeout: number
  /** seconds the init system waits for lite after asking it to stop */
  stopWait: number
  restart: RestartPolicy
  /** seconds between restarts, for the supervisors that restart */
  restartDelay: number
  description: string
}

export interface ServiceOptions {
  /** where the config lives on the target (default: the config's absolute path here) */
  configPath?: string
  /** the lite binary on the target */
  lite?: string
  restart?: RestartPolicy
}

export function signalName(n: number): string {
  const name = Object.keys(SIGNALS).find((k) => SIGNALS[k] === n)
  if (name) return `SIG${name}`
  return n === SIGRTMIN ? 'SIGRTMIN' : `SIGRTMIN+${n - SIGRTMIN}`
}

/**
 * C0 and C1 control characters and DEL. No definition can hold one safely: a
 * newline in a unit starts a line of its own (a path with "\nExecStartPre=..."
 * would add a command), and a script's comments and init system tools take lines.
 */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/

/** `value` as it is, or an error naming `what` when a definition can't hold it. */
export function quotable(value: string, what: string): string {
  const control = CONTROL_CHARACTER.exec(value)
  if (control) {
    throw new Error(`${what} ${quote(value)} contains the control character ${quote(control[0])}, which a service definition can't hold`)
  }
  return value
}

export function serviceSpec(config: ContainerConfig, opts: ServiceOptions = {}): ServiceSpec {
  const configPath = quotable(opts.configPath ?? resolve(config.file), 'the config path')
  if (!isAbsolute(configPath)) throw new Error(`the config path on the target must be absolute: ${quote(configPath)}`)
  const lite = quotable(opts.lite ?? '/usr/bin/lite', 'the lite binary path')
  if (!isAbsolute(lite)) throw new Error(`the lite binary on the target must be an absolute path: ${quote(lite)}`)
  return {
    name: config.container.name,
    config: configPath,
    lite,
    stopSignal: signalName(config.exec.stopSignal),
    stopTimeout: config.exec.stopTimeout,
    stopWait: config.exec.stopTimeout + STOP_GRACE_SECONDS,
    restart: opts.restart ?? 'on-failure',
    restartDelay: 2,
    description: `lite container ${config.container.name}`,
  }
}

/** A word for a POSIX shell: bare when safe, else single-quoted; a control character is refused. */
export function shellWord(s: string): string {
  quotable(s, 'a shell word')
  return /^[A-Za-z0-9_./:=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}
