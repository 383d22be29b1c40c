// The host settings a bridge network changes, written only when a bridge network is in
// use and listed by `lite info`: net.ipv4.ip_forward (the containers' traffic is routed
// through the host) and route_localnet on the bridge (DNAT from the host's 127.0.0.1).

import { readFileSync, writeFileSync } from 'node:fs'
import { LiteError } from '../errors.ts'

export const HOST_SETTINGS = [
  { path: '/proc/sys/net/ipv4/ip_forward', value: '1', why: 'containers on a bridge reach other networks through the host (set at the first bridge start)' },
  { path: '/proc/sys/net/ipv4/conf/BRIDGE/route_localnet', value: '1', why: 'a published port answers on the host\'s 127.0.0.1 (DNAT to the bridge)' },
] as const

/** Writes `value` unless the file already holds it (no write, no change, on a warm host). */
export function hostSetting(path: string, value: string): void {
  try {
    if (readFileSync(path, 'utf8').trim() === value) return
    writeFileSync(path, value)
  } catch (e) {
    throw new LiteError(`cannot set ${path.replace('/proc/sys/', '').replaceAll('/', '.')} = ${value} on the host: ${(e as Error).message}`)
  }
}
