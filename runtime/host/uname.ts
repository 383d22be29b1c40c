// The kernel release and the host name, as uname(2) gives them, read from
// /proc/sys/kernel (the caller's UTS namespace, as uname's): a warm start needs only
// these two, and importing node:os for them cost ~0.3 ms of it in Bun.

import { readFileSync } from 'node:fs'

function kernelValue(name: 'osrelease' | 'hostname'): string {
  return readFileSync(`/proc/sys/kernel/${name}`, 'utf8').replace(/\n$/, '')
}

/** uname -r: keys the compiled-plan cache and the seccomp profile's minKernel rules. */
export function kernelRelease(): string {
  return kernelValue('osrelease')
}

/** uname -n: the host name that a container on the host's network sees in /etc/hosts. */
export function hostName(): string {
  return kernelValue('hostname')
}
