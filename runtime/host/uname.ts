// The kernel release and the host name, as uname(2) gives them, read from
// /proc/sys/kernel (the caller's UTS namespace, as uname's): a warm start needs only
// these two, and importing node:os for them cost ~0.3 ms of it in Bun.

import { closeSync, openSync, readSync } from 'node:fs'
import { describeFsError } from '../config/errno.ts'
import { LiteError } from '../errors.ts'

/** Both are at most 64 bytes (__NEW_UTS_LEN). */
const VALUE_BYTES = 128

function kernelValue(name: 'osrelease' | 'hostname'): string {
  const path = `/proc/sys/kernel/${name}`
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (e) {
    throw new LiteError(`cannot read ${path}: ${describeFsError(e)} (lite needs /proc mounted)`)
  }
  // One small read: the kernel allocates and zeroes a buffer of the size asked for on
  // a /proc/sys read, and readFileSync asks for far more than these values need.
  try {
    const buf = Buffer.allocUnsafe(VALUE_BYTES)
    const n = readSync(fd, buf, 0, VALUE_BYTES, null)
    return buf.toString('utf8', 0, n).replace(/\n$/, '')
  } finally {
    closeSync(fd)
  }
}

/** uname -r: keys the compiled-plan cache and the seccomp profile's minKernel rules. */
export function kernelRelease(): string {
  return kernelValue('osrelease')
}

/** uname -n: the host name that a container on the host's network sees in /etc/hosts. */
export function hostName(): string {
  return kernelValue('hostname')
}
