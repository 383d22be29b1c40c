// Whether a process of the host already listens on a port, read from /proc/net (the
// reader's own network namespace): a published port that a host service holds would
// never reach the container, so the start fails and names it.

import { readFileSync } from 'node:fs'

const TCP_LISTEN = '0A'

/** The local ports in /proc/net/<table>: TCP ones in LISTEN, every bound UDP one. */
export function boundPorts(tableText: string, tcp: boolean): Set<number> {
  const ports = new Set<number>()
  for (const line of tableText.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/)
    if (fields.length < 4) continue
    const local = fields[1]!
    const state = fields[3]!
    if (tcp && state !== TCP_LISTEN) continue
    const port = parseInt(local.slice(local.lastIndexOf(':') + 1), 16)
    if (Number.isFinite(port)) ports.add(port)
  }
  return ports
}

export function hostPortInUse(proto: 'tcp' | 'udp', port: number, read = (p: string) => readFileSync(p, 'utf8')): boolean {
  for (const table of [proto, `${proto}6`]) {
    let text: string
    try {
      text = read(`/proc/net/${table}`)
    } catch {
      continue // no IPv6 in this kernel
    }
    if (boundPorts(text, proto === 'tcp').has(port)) return true
  }
  return false
}
