// A LifecycleSystem for unit tests: state dirs in t.testdir, a lock table instead of
// flock, a process table instead of /proc, recorded signals, and a clock that only
// moves when the code under test sleeps. `onSleep` and `onSignal` let a test play the
// monitor's part (mark stopping, let go of the lock, rotate a log).

import fs from 'node:fs'
import path from 'node:path'
import type { Test } from 'tap'
import { formatState, parseState, type ContainerState } from '../../runtime/lifecycle/state-file.ts'
import type { LifecycleSystem } from '../../runtime/lifecycle/system.ts'

export interface FakeSystem extends LifecycleSystem {
  /** names whose lock another process (a monitor) holds */
  held: Set<string>
  /** whether a held lock is seen at its monitor (/proc/PID/fdinfo; not where the state names none) */
  monitorsSeen: boolean
  /** how many times the code under test tried a lock */
  lockTries: number
  /** live pids and their start times */
  procs: Map<number, number>
  signals: [number, number][]
  cgroupRemovals: string[]
  /** the names whose network the stale-state clean-up released */
  networkReleases: string[]
  out: string
  err: string
  clock: number
  onSleep?: (ms: number) => void
  onSignal?: (pid: number, signal: number) => void
}

export function fakeSystem(t: Test, root: string): FakeSystem {
  const fds: number[] = []
  t.teardown(() => {
    for (const fd of fds) {
      try {
        fs.closeSync(fd)
      } catch {}
    }
  })
  const sys: FakeSystem = {
    root,
    held: new Set(),
    monitorsSeen: false,
    lockTries: 0,
    procs: new Map(),
    signals: [],
    cgroupRemovals: [],
    networkReleases: [],
    out: '',
    err: '',
    clock: 1_700_000_000_000,
    lockExclusive(p) {
      sys.lockTries++
      const name = path.basename(path.dirname(p))
      if (sys.held.has(name)) throw Object.assign(new Error('the lock is held'), { code: 'Busy' })
      const fd = fs.openSync(p, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600)
      fds.push(fd)
      return fd
    },
    lockSeenHeld: (p, state) => sys.monitorsSeen && !!state?.monitorPid && sys.held.has(path.basename(path.dirname(p))),
    startTime: (pid) => sys.procs.get(pid),
    signal(pid, signal) {
      sys.signals.push([pid, signal])
      if (!sys.procs.has(pid)) throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' })
      sys.onSignal?.(pid, signal)
    },
    now: () => sys.clock,
    async sleep(ms) {
      sys.clock += ms
      sys.onSleep?.(ms)
    },
    async removeCgroups(_state, name) {
      sys.cgroupRemovals.push(name)
    },
    async releaseNetwork(state, name) {
      if (state.extra.net) sys.networkReleases.push(name)
    },
    stdout(data) {
      sys.out += typeof data === 'string' ? data : Buffer.from(data).toString('utf8')
    },
    stderr(text) {
      sys.err += text
    },
  }
  return sys
}

/** A full state with the fields a running detached container has; `over` replaces some. */
export function runningState(name: string, over: Partial<ContainerState> = {}): ContainerState {
  return {
    name,
    config: `/etc/lite/${name}.ini`,
    lite: '/usr/bin/lite',
    detached: true,
    status: 'running',
    pid: 4242,
    pidStart: 777,
    monitorPid: 4241,
    started: 1_700_000_000 - 90,
    finished: null,
    exitCode: null,
    exitSignal: 0,
    oom: false,
    restarts: 0,
    log: '',
    extra: {},
    ...over,
  }
}

/** Writes <root>/<name>/state (and an empty lock file). */
export function writeStateDir(root: string, state: ContainerState, files: Record<string, string> = {}): string {
  const dir = path.join(root, state.name)
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'lock'), '')
  fs.writeFileSync(path.join(dir, 'state'), formatState(state))
  for (const [f, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), body)
  return dir
}

export function readStateDir(root: string, name: string): ContainerState {
  return parseState(fs.readFileSync(path.join(root, name, 'state'), 'utf8'))
}

/** Plays a monitor: sets the status in the state file. */
export function setStatus(root: string, name: string, status: ContainerState['status'], over: Partial<ContainerState> = {}): void {
  const s = readStateDir(root, name)
  fs.writeFileSync(path.join(root, name, 'state'), formatState({ ...s, status, ...over }))
}
