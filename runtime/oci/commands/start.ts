// `lite-oci start ID`: runs the startContainer hooks inside the waiting init's
// namespaces, then releases the init: one byte into exec.fifo, which it is blocked
// reading (crun's way). The fifo goes, so `state` says "running" from then on.

import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync, constants as fsc, type Stats } from 'node:fs'
import { loadNative } from '../../native/index.ts'
import { NOT_RUNNING, OciError, warn, type OciGlobal } from '../errors.ts'
import { stateOf } from '../launch.ts'
import { runContainerHooks, runHostHooks } from '../hooks.ts'
import { fifoPath, ociStatus, readRecord, type OciRecord } from '../state.ts'

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/**
 * Until the released init has exec'd the container's program: its /proc/PID/exe is no
 * longer lite's own binary (it was a copy of this process until then), or it is gone.
 * The files are compared, not their paths: seen from the host, the path of a binary on
 * a mount that the container's pivot_root detached is relative to that mount.
 * Bounded: a slow exec only makes the hooks run early.
 */
function awaitExec(pid: number, ms: number): void {
  let lite: Stats
  try {
    lite = statSync('/proc/self/exe')
  } catch {
    return
  }
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    try {
      const exe = statSync(`/proc/${pid}/exe`)
      if (exe.ino !== lite.ino || exe.dev !== lite.dev) return
    } catch {
      return
    }
    sleepMs(1)
  }
}

/**
 * Until the exec'd program first settles: it sleeps, stops or exits (a wait on the disk,
 * D, is still part of loading it).
 * "Executed" in the runtime spec is an instant the hooks can't observe; a program that
 * has just passed execve has done nothing yet, and a hook forked at once races its
 * start-up (the runtime-tools poststart program loses that race more often than not:
 * its hook and its process both append to one file). Once the program has run to its
 * first wait, what it does at start is done. Bounded: a program that computes without
 * pause only makes the hooks run a little early.
 */
function awaitSettled(pid: number, ms: number): void {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    let stat: string
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    } catch {
      return // gone
    }
    // The state follows the command's closing parenthesis (the command may hold one).
    const state = stat.charAt(stat.lastIndexOf(')') + 2)
    if (state !== 'R' && state !== 'D') return
    sleepMs(1)
  }
}

export async function startCreated(rec: OciRecord, g: OciGlobal): Promise<void> {
  const status = ociStatus(g.root, rec)
  if (status === 'stopped') throw new OciError('cannot start a container that has stopped')
  if (status !== 'created') throw new OciError(`cannot start an already ${status} container`)
  if (rec.startContainer.length) {
    const failed = runContainerHooks(await loadNative(), 'startContainer', rec.startContainer, stateOf(rec, 'created', rec.ociVersion))
    if (failed) {
      try {
        process.kill(rec.pid, 'SIGKILL')
      } catch {}
      throw failed
    }
  }
  const fifo = fifoPath(g.root, rec.id)
  let fd: number
  try {
    fd = openSync(fifo, fsc.O_WRONLY | fsc.O_NONBLOCK)
  } catch (e) {
    // ENXIO: nobody reads it, so the init is gone.
    throw new OciError((e as NodeJS.ErrnoException).code === 'ENXIO' ? NOT_RUNNING : `cannot open ${fifo}: ${(e as Error).message}`)
  }
  try {
    writeSync(fd, '0')
  } finally {
    closeSync(fd)
  }
  try {
    unlinkSync(fifo)
  } catch {}
  // The poststart hooks come once the process has been executed (runtime spec; the
  // runtime-tools poststart program checks the order of their output).
  awaitExec(rec.pid, 2000)
  if (rec.poststart.length) awaitSettled(rec.pid, 200)
  // poststart: a failure is a warning; the other hooks run and the container runs on (runtime spec).
  for (const failed of runHostHooks('poststart', rec.poststart, stateOf(rec, 'running', rec.ociVersion), { keepGoing: true })) warn(g, failed.message)
}

export async function ociStart(a: { id: string }, g: OciGlobal): Promise<number> {
  const rec = readRecord(g.root, a.id)
  await startCreated(rec, g)
  return 0
}
