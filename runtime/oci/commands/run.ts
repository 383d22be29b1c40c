// `lite-oci run [--detach] ID`: create, then start. Without --detach lite stays the
// init's parent, as runc does: it forwards the signals a supervisor sends it (TERM,
// INT, HUP, QUIT, USR1, USR2), waits, and exits with the container's code (128+N for a
// signal), then deletes it unless --keep.

import { readFileSync } from 'node:fs'
import { constants } from 'node:os'
import type { Container } from '../../native/index.ts'
import { type CreateOptions, createContainer } from '../launch.ts'
import type { OciGlobal } from '../errors.ts'
import { startCreated } from './start.ts'
import { ociDelete } from './delete.ts'

const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const

/** The child has exited and waits to be reaped (or is gone). */
function exited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
  } catch {
    return true
  }
}

/**
 * Waits on the event loop, not in a blocking wait, so that signals to lite reach the
 * container; the reaping wait comes once the init has exited.
 */
async function waitForwarding(container: Container): Promise<{ code: number; signal: number }> {
  const forward = (sig: NodeJS.Signals) => {
    try {
      container.kill(constants.signals[sig])
    } catch {}
  }
  for (const sig of FORWARDED) process.on(sig, forward)
  try {
    while (!exited(container.pid)) await new Promise((r) => setTimeout(r, 10))
    return container.waitSync()
  } finally {
    for (const sig of FORWARDED) process.off(sig, forward)
  }
}

export async function ociRun(a: CreateOptions & { detach: boolean; keep: boolean }, g: OciGlobal): Promise<number> {
  const created = await createContainer(a, g)
  try {
    await startCreated(created.record, g)
  } catch (e) {
    await ociDelete({ id: a.id, force: true }, g)
    throw e
  }
  if (a.detach) return 0
  const status = await waitForwarding(created.container)
  if (!a.keep) await ociDelete({ id: a.id, force: true }, g)
  return status.signal ? 128 + status.signal : status.code
}
