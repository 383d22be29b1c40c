// What passes between the engine and lite-oci beside the state: the fds the engine
// preserves for the container (--preserve-fds) and the pid file it polls (--pid-file).
// Its own module, so that `exec` reaches them without the create path's graph.

import { fstatSync, readlinkSync, renameSync, writeFileSync } from 'node:fs'
import { OciError } from './errors.ts'

/**
 * --preserve-fds N: the caller's fds 3..3+N-1 go to the container as they are, so they
 * must be open (a number that is not would name whatever lite opens there).
 */
export function checkPreservedFds(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0 || n > 65536) throw new OciError(`--preserve-fds ${n}: give a count of fds from 0 to 65536`)
  for (let fd = 3; fd < 3 + n; fd++) {
    let target: string
    try {
      fstatSync(fd)
      target = readlinkSync(`/proc/self/fd/${fd}`)
    } catch {
      throw new OciError(`--preserve-fds ${n}: fd ${fd} is not open`)
    }
    // Bun's event loop holds such fds of its own at the first free numbers: a count larger
    // than what the caller passed would hand them to the container.
    if (/^anon_inode:\[(eventpoll|eventfd|timerfd|signalfd)\]$/.test(target)) {
      throw new OciError(`--preserve-fds ${n}: fd ${fd} was not passed by the caller (it is lite's own ${target})`)
    }
  }
}

/** Written once the process exists; atomically, since the engine may be polling it. */
export function writePidFile(path: string, pid: number): void {
  const temp = `${path}.lite-tmp`
  writeFileSync(temp, String(pid))
  renameSync(temp, path)
}
