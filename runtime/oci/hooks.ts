// The runtime spec's six hook kinds. Each hook gets the container's state as JSON on
// stdin. prestart, createRuntime, poststart and poststop run here, in the runtime's
// namespaces. createContainer and startContainer run inside the container's
// namespaces: a process that joins them the way `lite exec` does (the addon's join
// path, never a setns in Bun); createContainer keeps the runtime's mount namespace so
// that its path resolves on the host, startContainer joins the container's mount
// namespace too, so that its path resolves in the container.

import { readFileSync, writeSync } from 'node:fs'
import { describeFsError } from '../config/errno.ts'
import type { Native, NativePlan } from '../native/index.ts'
import { childProcess } from '../host/builtins.ts'
import { OciError } from './errors.ts'
import type { HookKind, OciHook, OciState } from './spec.ts'

const DEFAULT_TIMEOUT_S = 60

function describe(kind: HookKind, i: number, hook: OciHook): string {
  return `${kind} hook #${i} (${hook.path})`
}

/**
 * Hooks in the runtime's namespaces. By default the first failure stops them and is
 * returned; with keepGoing (poststart, poststop: a failure is a warning) every hook
 * runs and all failures come back.
 */
export function runHostHooks(kind: HookKind, hooks: readonly OciHook[], state: OciState): OciError | undefined
export function runHostHooks(kind: HookKind, hooks: readonly OciHook[], state: OciState, o: { keepGoing: true }): OciError[]
export function runHostHooks(kind: HookKind, hooks: readonly OciHook[], state: OciState, o?: { keepGoing: true }): OciError | undefined | OciError[] {
  const failures: OciError[] = []
  for (const [i, hook] of hooks.entries()) {
    const failed = runHostHook(kind, i, hook, state)
    if (!failed) continue
    if (!o?.keepGoing) return failed
    failures.push(failed)
  }
  return o?.keepGoing ? failures : undefined
}

function runHostHook(kind: HookKind, i: number, hook: OciHook, state: OciState): OciError | undefined {
  const input = JSON.stringify(state)
  {
    const [argv0, ...args] = hook.args?.length ? hook.args : [hook.path]
    const r = childProcess().spawnSync(hook.path, args, {
      argv0,
      input,
      env: Object.fromEntries((hook.env ?? []).map((e) => [e.slice(0, e.indexOf('=') >>> 0), e.slice(e.indexOf('=') + 1)])),
      stdio: ['pipe', 'inherit', 'inherit'],
      timeout: (hook.timeout ?? DEFAULT_TIMEOUT_S) * 1000,
      killSignal: 'SIGKILL',
    })
    const what = describe(kind, i, hook)
    if (r.error) {
      const code = (r.error as NodeJS.ErrnoException).code
      if (code === 'ETIMEDOUT') return new OciError(`${what} did not finish within ${hook.timeout ?? DEFAULT_TIMEOUT_S} s`)
      return new OciError(`${what}: ${describeFsError(r.error)}`)
    }
    if (r.signal) return new OciError(`${what} was killed by ${r.signal}`)
    if (r.status !== 0) return new OciError(`${what} exited with ${r.status}`)
  }
  return undefined
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/** 'Z' once a child has exited and waits to be reaped; undefined when gone. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
  } catch {
    return undefined
  }
}

const CONTAINER_NAMESPACES = ['mount', 'pid', 'uts', 'ipc', 'net', 'cgroup']

/** lite's own permitted capabilities (a host's root may lack some, e.g. CAP_SYS_RESOURCE): what a hook keeps. */
function ownCapabilities(): number[] {
  const line = readFileSync('/proc/self/status', 'utf8').match(/^CapPrm:\s*([0-9a-f]+)$/m)
  const mask = BigInt(`0x${line?.[1] ?? '0'}`)
  return Array.from({ length: 64 }, (_, c) => c).filter((c) => (mask >> BigInt(c)) & 1n)
}

/**
 * Hooks inside the container's namespaces: each one is a process that joins those of
 * the container's init (`pid`), with the runtime's full privileges, its stdin a pipe
 * holding the state.
 */
export function runContainerHooks(native: Native, kind: 'createContainer' | 'startContainer', hooks: readonly OciHook[], state: OciState): OciError | undefined {
  const input = Buffer.from(JSON.stringify(state))
  for (const [i, hook] of hooks.entries()) {
    const what = describe(kind, i, hook)
    const [read, write] = native.pipe()
    let container
    try {
      try {
        writeSync(write!, input)
      } finally {
        native.closeFd(write!)
      }
      const plan: NativePlan = {
        namespaces: CONTAINER_NAMESPACES.filter((ns) => kind === 'startContainer' || ns !== 'mount'),
        ops: [],
        newRoot: '/',
        loopbackUp: false,
        execCandidates: [hook.path],
        argv: hook.args?.length ? hook.args : [hook.path],
        env: hook.env ?? [],
        cwd: '/',
        uid: 0,
        gid: 0,
        groups: [],
        caps: ownCapabilities(),
        noNewPrivs: false,
        rlimits: [],
        stubInit: false,
        tty: false,
        stdin: true,
        stdinFd: read,
        cgroupTasks: [],
        netSocket: false,
        joinPid: state.pid,
        noParentDeath: true,
      }
      container = native.create(plan, undefined)
      const started = container.start(10_000)
      if (started.failure) {
        container.waitSync()
        return new OciError(`${what}: cannot start it in the container (${started.failure.step}): ${native.errnoText(started.failure.errno)}`)
      }
      const deadline = Date.now() + (hook.timeout ?? DEFAULT_TIMEOUT_S) * 1000
      while (processState(container.pid) !== 'Z' && Date.now() < deadline) sleepMs(5)
      if (processState(container.pid) !== 'Z') {
        container.kill(9)
        container.waitSync()
        return new OciError(`${what} did not finish within ${hook.timeout ?? DEFAULT_TIMEOUT_S} s`)
      }
      const status = container.waitSync()
      if (status.signal) return new OciError(`${what} was killed by signal ${status.signal}`)
      if (status.code !== 0) return new OciError(`${what} exited with ${status.code}`)
    } catch (e) {
      return new OciError(`${what}: ${(e as Error).message}`)
    } finally {
      native.closeFd(read!)
    }
  }
  return undefined
}
