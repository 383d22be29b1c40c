// PLACEHOLDER, replaced by the lead's detached start (issue 8, native part): it must
// start the container with its monitor, return 0 once it runs, and otherwise print the
// error and return its exit code. Until then it refuses honestly.

import { LiteError } from '../errors.ts'

export interface DetachOptions {
  config: string
  name?: string
  cmd?: string[]
}

export async function runDetached(_opts: DetachOptions): Promise<number> {
  throw new LiteError('detached containers (lite run -d) are not available in this build yet')
}
