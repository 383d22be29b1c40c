// `lite-oci state ID`: the container's state as runc prints it (engines parse it):
// the runtime spec's state plus rootfs, created and owner, indented by two spaces, with
// no newline after it (runc writes the bytes of json.MarshalIndent and nothing more).

import type { OciGlobal } from '../errors.ts'
import { ociState, processIo, readRecord, type OciIo } from '../state.ts'

export async function ociStateCommand(a: { id: string }, g: OciGlobal, io: OciIo = processIo): Promise<number> {
  const rec = readRecord(g.root, a.id)
  io.stdout(JSON.stringify(ociState(g.root, rec), null, 2))
  return 0
}
