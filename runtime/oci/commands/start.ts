// `lite-oci start ID`: runs the startContainer hooks inside the waiting init's
// namespaces, then releases the init: one byte into exec.fifo, which it is blocked
// reading (crun's way). The fifo goes, so `state` says "running" from then on.

import { closeSync, openSync, unlinkSync, writeSync, constants as fsc } from 'node:fs'
import { loadNative } from '../../native/index.ts'
import { NOT_RUNNING, OciError, warn, type OciGlobal } from '../errors.ts'
import { stateOf } from '../launch.ts'
import { runContainerHooks, runHostHooks } from '../hooks.ts'
import { fifoPath, ociStatus, readRecord, type OciRecord } from '../state.ts'
import { readSpec } from '../validate.ts'
import type { OciSpec } from '../spec.ts'

export async function startCreated(rec: OciRecord, spec: OciSpec | undefined, g: OciGlobal): Promise<void> {
  const status = ociStatus(g.root, rec)
  if (status === 'stopped') throw new OciError('cannot start a container that has stopped')
  if (status !== 'created') throw new OciError(`cannot start an already ${status} container`)
  const hooks = spec?.hooks
  if (hooks?.startContainer.length) {
    const failed = runContainerHooks(await loadNative(), 'startContainer', hooks.startContainer, stateOf(rec, 'created', rec.ociVersion))
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
  // poststart: a failure is a warning; the container runs on (runtime spec).
  const failed = hooks ? runHostHooks('poststart', hooks.poststart, stateOf(rec, 'running', rec.ociVersion)) : undefined
  if (failed) warn(g, failed.message)
}

export async function ociStart(a: { id: string }, g: OciGlobal): Promise<number> {
  const rec = readRecord(g.root, a.id)
  await startCreated(rec, readSpec(rec.bundle).spec, g)
  return 0
}
