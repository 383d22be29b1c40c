// The per-container /etc files: hostname, hosts, resolv.conf. lite writes them into the
// state directory and bind-mounts them read-only, which works over a read-only lower too.

import type { ContainerConfig } from '../config/types.ts'
import type { HostCgroups } from '../cgroup/resources.ts'
import { reachesLoopback, withoutLoopbackResolvers } from '../net/resolvers.ts'

export interface EtcFile {
  /** path inside the container */
  path: string
  content: string
}

export interface HostFacts {
  /** the host's /etc/resolv.conf, or null when unreadable */
  resolvConf: string | null
  /** the host's /etc/localtime resolved to a real file, or null */
  localtime: string | null
  /** the host's own host name (used when the uts namespace is shared) */
  hostname: string
  /** the host's cgroup hierarchies; absent: no cgroups are set up */
  cgroups?: HostCgroups
  /** rootless without a delegated cgroup v2 subtree: why there are no cgroups */
  noCgroupsWhy?: string
}

/**
 * `ownUts`: the container has its own uts namespace, so its host name is the
 * configured one; otherwise it is the host's, and /etc/hostname is left alone.
 */
export function etcFiles(cfg: ContainerConfig, host: HostFacts, ownUts = true): EtcFile[] {
  const hostname = ownUts ? cfg.container.hostname : host.hostname
  const files: EtcFile[] = ownUts ? [{ path: '/etc/hostname', content: hostname + '\n' }] : []
  const hosts = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    `127.0.1.1\t${hostname}`,
    ...cfg.net.hosts,
  ]
  files.push({ path: '/etc/hosts', content: hosts.join('\n') + '\n' })
  if (cfg.net.dns.length > 0) {
    files.push({ path: '/etc/resolv.conf', content: cfg.net.dns.map((ip) => `nameserver ${ip}`).join('\n') + '\n' })
  } else if (cfg.net.resolvConf === 'host' && host.resolvConf !== null) {
    // A resolver on the host's loopback (systemd-resolved's 127.0.0.53, dnsmasq) is out
    // of reach from a network of the container's own: drop it, as Docker does, and
    // lite run says so (net/resolvers.ts).
    const content = reachesLoopback(cfg.net.type) ? host.resolvConf : withoutLoopbackResolvers(host.resolvConf)
    files.push({ path: '/etc/resolv.conf', content })
  }
  return files
}

/**
 * /etc/hosts with a network's lines (the container's own address for its name, in place
 * of 127.0.1.1, which other containers could not use; its links' addresses).
 */
export function hostsWithLines(content: string, lines: string[]): string {
  if (!lines.length) return content
  const kept = content.split('\n').filter((l) => !l.startsWith('127.0.1.1\t'))
  const at = kept.findIndex((l) => l.startsWith('::1\t'))
  kept.splice(at + 1, 0, ...lines)
  return kept.join('\n')
}
