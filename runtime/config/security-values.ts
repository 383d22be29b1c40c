// Value parsers for [security] and [sysctl]: capability lists, the seccomp choice (a
// Docker-format profile file is read and checked here, at config time), and which
// sysctls a container may set.

import { CAP, DEFAULT_CAPS } from '../plan/linux.ts'
import { readDockerProfile } from '../seccomp/profile.ts'
import type { SeccompChoice } from './types.ts'
import { showText } from './show-text.ts'
import { ValueError, parseHostPath, quote } from './values.ts'
import { closest } from './suggest.ts'

/** Every capability name lite knows, in the kernel's order. */
export const ALL_CAPS: readonly string[] = Object.entries(CAP)
  .sort((a, b) => a[1] - b[1])
  .map(([name]) => name)

/** Docker's 14, as written in the config reference. */
export const DEFAULT_CAP_TEXT = DEFAULT_CAPS.join(' ')

/**
 * "CHOWN cap_net_raw CAP_KILL" -> ["CHOWN", "KILL", "NET_RAW"] (the kernel's order,
 * without CAP_). ALL stands for every capability. An unknown name is an error.
 */
export function parseCapList(raw: string): string[] {
  const words = raw.split(/[\s,]+/).filter((w) => w !== '')
  const names = new Set<string>()
  for (const word of words) {
    const bare = word.toUpperCase().replace(/^CAP_/, '')
    if (bare === 'ALL') {
      for (const c of ALL_CAPS) names.add(c)
      continue
    }
    if (CAP[bare] === undefined) {
      const near = closest(bare, ALL_CAPS)
      throw new ValueError(`${quote(word)} is not a capability${near ? ` (did you mean ${near}?)` : ''}`)
    }
    names.add(bare)
  }
  return ALL_CAPS.filter((c) => names.has(c))
}

/** default | unconfined | the path of a Docker-format JSON profile (checked now). */
export function parseSeccomp(raw: string, dir: string): SeccompChoice {
  if (raw === 'default' || raw === 'unconfined') return { kind: raw }
  const path = parseHostPath(raw, dir)
  const { profile, errors } = readDockerProfile(path, showText(raw))
  if (!profile) {
    const more = errors.length > 3 ? `; and ${errors.length - 3} more` : ''
    throw new ValueError(errors.slice(0, 3).join('; ') + more)
  }
  return { kind: 'file', path, profile }
}

// The sysctls a container's own namespaces hold (Docker's list): anything else would
// change the host.
const NET = /^net\./
const IPC = [/^kernel\.shm[a-z_]*$/, /^kernel\.msg[a-z_]*$/, /^kernel\.sem$/, /^fs\.mqueue\.[a-z_]+$/]
export const SYSCTL_FAMILIES = 'net.* (with the container\'s own network namespace), kernel.shm*, kernel.msg*, kernel.sem and fs.mqueue.* (with its own IPC namespace)'

/** Why `key` may not be set in this container, or undefined if it may. */
export function sysctlProblem(key: string, ns: { newNet: boolean; newIpc: boolean }): string | undefined {
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/.test(key)) return `${quote(key)} is not a sysctl name such as net.ipv4.ip_forward`
  if (NET.test(key)) return ns.newNet ? undefined : 'net.* sysctls need the container\'s own network namespace, and [net] type = host shares the host\'s'
  if (IPC.some((re) => re.test(key))) return ns.newIpc ? undefined : 'IPC sysctls need the container\'s own IPC namespace, and [namespaces] keep has ipc'
  return `${showText(key)} is not namespaced: setting it would change the host. lite allows ${SYSCTL_FAMILIES}`
}

/** A sysctl value: written as it is (e.g. "1", or "250 32000 100 128" for kernel.sem). */
export function parseSysctlValue(raw: string): string {
  if (raw.trim() === '') throw new ValueError('a sysctl needs a value')
  if (raw.includes('\0')) throw new ValueError(`${quote(raw)} contains a NUL byte`)
  return raw.trim()
}
