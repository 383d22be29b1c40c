// A compiled Bun binary that does nothing but execve(2) its arguments: Bun's start and
// its exec teardown, with none of lite's code. `exec-into crun run ...` is the fastest a
// lite that hands its work to native code right away could be (bench/floor/measure.ts).

import { FFIType, dlopen, ptr } from 'bun:ffi'

const libc = dlopen('libc.so.6', { execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 } })
const argv = process.argv.slice(2)
const file = argv[0] && (argv[0].includes('/') ? argv[0] : Bun.which(argv[0]))
if (!file) {
  console.error('usage: exec-into PROGRAM [ARGS...]')
  process.exit(2)
}
// NUL-terminated strings and a NULL-terminated pointer array, kept alive until execve.
const strings = (list: string[]) => list.map((s) => Buffer.from(`${s}\0`))
const pointers = (bufs: Buffer[]) => {
  const table = new BigUint64Array(bufs.length + 1)
  bufs.forEach((b, i) => (table[i] = BigInt(ptr(b))))
  return table
}
const args = strings(argv)
const env = strings(Object.entries(process.env).map(([k, v]) => `${k}=${v}`))
const path = Buffer.from(`${file}\0`)
libc.symbols.execve(ptr(path), ptr(pointers(args)), ptr(pointers(env)))
console.error(`exec-into: execve ${file} failed`)
process.exit(127)
