// What the planner needs to know of the host's files.

import { readFileSync, realpathSync, statSync } from 'node:fs'
import { hostname } from 'node:os'
import type { HostFacts } from '../plan/etc-files.ts'

export function readHostFacts(): HostFacts {
  let resolvConf: string | null = null
  try {
    resolvConf = readFileSync('/etc/resolv.conf', 'utf8')
  } catch {}
  let localtime: string | null = null
  try {
    const real = realpathSync('/etc/localtime')
    if (statSync(real).isFile()) localtime = real
  } catch {}
  return { resolvConf, localtime, hostname: hostname() }
}
