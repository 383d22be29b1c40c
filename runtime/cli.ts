// lite's entry point (bun build --compile). Its static imports load no node module: in
// a compiled Bun binary node:fs alone costs ~2 ms before the first line runs (an
// interleaved A/B, bench/START-PATH.md), which a warm `lite run FILE` does not need
// before it hands over to native code (fast-front.ts). The rest of lite (main.ts) is
// loaded after that; a unit test holds this file's import graph to it.

// First: its top level is lite's first line, the end of Bun's start for LITE_TRACE.
import './trace-clock.ts'
import { tryFastPath } from './fast-front.ts'

if (import.meta.main) {
  // What yargs' hideBin does for a compiled Bun binary (argv: bun, /$bunfs/root/lite, ...).
  const args = process.argv.slice(2)
  tryFastPath(args)
    .then(() => import('./main.ts'))
    .then(
      ({ runCli }) => runCli(args),
      (e) => {
        // Only a broken build gets here: main.ts did not load.
        console.error(`lite: error: ${(e as Error)?.stack ?? e}`)
        process.exit(125)
      },
    )
}
