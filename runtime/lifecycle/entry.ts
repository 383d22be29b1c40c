// How a lifecycle command (ps, status, stop, kill, logs, rm, boot, shutdown) runs:
// on the real host system, with a LiteError printed and turned into its exit code
// (125 for lite's own failures, as DESIGN.md says).

import { EXIT_LITE_FAILED, LiteError, errorText } from '../errors.ts'
import { hostSystem, type LifecycleSystem } from './system.ts'
import { rootlessProblem } from './state.ts'
import { writeErr } from '../output.ts'

export async function runLifecycle(command: string, body: (sys: LifecycleSystem) => Promise<number>): Promise<number> {
  try {
    // /run/lite is root's (0700); a user's containers are in $XDG_RUNTIME_DIR/lite.
    const problem = rootlessProblem()
    if (problem) throw new LiteError(`lite ${command}: ${problem}`)
    return await body(await hostSystem())
  } catch (e) {
    if (e instanceof LiteError) {
      writeErr(errorText(e) + '\n')
      return e.exitCode
    }
    writeErr(`lite: error: ${(e as Error).stack ?? e}\n`)
    return EXIT_LITE_FAILED
  }
}
