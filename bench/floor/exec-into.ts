// A compiled Bun binary that does nothing but execve(2) its arguments: Bun's start and
// its exec teardown, with none of lite's code. `exec-into crun run ...` is the fastest a
// lite that hands its work to native code right away could be (bench/floor/measure.ts).

import { ffiExecv } from '../../runtime/native/libc-ffi.ts'

const argv = process.argv.slice(2)
const file = argv[0] && (argv[0].includes('/') ? argv[0] : Bun.which(argv[0]))
if (!file) {
  console.error('usage: exec-into PROGRAM [ARGS...]')
  process.exit(2)
}
await ffiExecv(file, argv)
console.error(`exec-into: execve ${file} failed`)
process.exit(127)
