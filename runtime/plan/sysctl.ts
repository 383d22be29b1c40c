// A sysctl name -> its file under /proc/sys, as sysctl(8) reads names: dots separate
// the parts ("net.ipv4.ip_forward"), and in that form a '/' stands for a dot inside a
// part ("net.ipv4.conf.eth0/100.rp_filter" is interface eth0.100); a name whose first
// separator is '/' is already a path ("net/ipv4/conf/eth0.100/rp_filter").

import { posix } from 'node:path'

/** The file, or undefined when the name has an empty, "." or ".." part or an odd character. */
export function sysctlFile(key: string): string | undefined {
  const first = key.search(/[./]/)
  const parts = first >= 0 && key[first] === '/' ? key.split('/') : key.split('.').map((p) => p.replaceAll('/', '.'))
  if (parts.length < 2 || parts.some((p) => p === '' || p === '.' || p === '..' || !/^[A-Za-z0-9_.:@+-]+$/.test(p))) return undefined
  return posix.join('/proc/sys', ...parts)
}
