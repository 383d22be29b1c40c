// `lite-oci run [--detach] ID`: create, then start. Without --detach lite stays the
// init's parent, as runc does: it waits and exits with the container's code (128+N
// for a signal), then deletes it unless --keep.

import { type CreateOptions, createContainer } from '../launch.ts'
import type { OciGlobal } from '../errors.ts'
import { startCreated } from './start.ts'
import { ociDelete } from './delete.ts'

export async function ociRun(a: CreateOptions & { detach: boolean; keep: boolean }, g: OciGlobal): Promise<number> {
  const created = await createContainer(a, g)
  try {
    await startCreated(created.record, g)
  } catch (e) {
    await ociDelete({ id: a.id, force: true }, g)
    throw e
  }
  if (a.detach) return 0
  const status = created.container.waitSync()
  if (!a.keep) await ociDelete({ id: a.id, force: true }, g)
  return status.signal ? 128 + status.signal : status.code
}
