// Whether a running container's lock is held, seen from its holder's side: the state
// names the monitor (monitor_pid) and the fd it holds the lock on (lock_fd), and the
// kernel lists the flocks of an open file in /proc/PID/fdinfo/FD. lite ps, status, stop,
// kill and exec then need no addon while a container runs (unpacking and dlopening it
// are ~2 ms of a 7 ms command).
//
// Never /proc/locks: its read takes the kernel's global file-lock rwsem for writing,
// which first waits out an RCU grace period: 8 to 40 ms after a quiet spell, measured
// here, where a health check's exec runs every few seconds.
//
// Only "held" is an answer. Anything else (no monitor named yet, a monitor gone, an fd
// that is not this lock, a kernel without fdinfo locks) sends the caller to the lock.

import { readFileSync, statSync } from 'node:fs'
import type { ContainerState } from './state-file.ts'

/** A flock line of fdinfo: "lock:\t1: FLOCK  ADVISORY  WRITE 8873 fe:00:892930 0 EOF". */
const FLOCK_LINE = /^lock:\s+\d+:\s+FLOCK\s/m

/** True when the process the state names holds a flock on `lockPath` through the fd it names. */
export function heldByItsMonitor(lockPath: string, state: Pick<ContainerState, 'monitorPid' | 'lockFd'> | null, proc = '/proc'): boolean {
  if (!state?.monitorPid || state.lockFd === undefined) return false
  const fd = `${proc}/${state.monitorPid}/fd/${state.lockFd}`
  try {
    // the fd is this lock file (not a reused pid's or fd's other file)...
    const held = statSync(fd)
    const lock = statSync(lockPath)
    if (held.dev !== lock.dev || held.ino !== lock.ino) return false
    // ...and the kernel lists a flock of that open file
    return FLOCK_LINE.test(readFileSync(`${proc}/${state.monitorPid}/fdinfo/${state.lockFd}`, 'latin1'))
  } catch {
    return false
  }
}
