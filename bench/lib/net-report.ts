// Section 7 of RESULTS.md from the net-* files that bench/net leaves in a results directory.
// report.ts includes it in the full report; alone, it replaces (or adds) section 7 of an
// existing RESULTS.md, marked as coming from a separate run:
//   bun bench/lib/net-report.ts RESULTS_DIR OUT.md --separate

import { existsSync, readFileSync } from 'node:fs'
import { replaceSection } from './results-section.ts'
import { type HyperfineResult, median, millis, quantile } from './stats.ts'

const HEADING = '## 7. Networking'

export function netSection(dir: string, separate = false): string[] {
  const read = (name: string) => (existsSync(`${dir}/${name}`) ? readFileSync(`${dir}/${name}`, 'utf8') : '')
  const tsv = (name: string) =>
    read(name)
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'))
  if (!read('net-peers.tsv')) return []
  const md: string[] = [HEADING, '']
  if (separate) {
    const when = read('net-date.txt').trim() || new Date().toISOString().slice(0, 16).replace('T', ' ')
    md.push(`From a separate run, \`${read('net-command.txt').trim()}\` on ${when} UTC (${read('net-machine.txt').trim().replace(/\n/g, '; ')}), not from the run that wrote the sections above: compare these figures with each other.`, '')
  }
  md.push(
    `Inside a network namespace made for the run (\`ip netns add\`, every command under \`nsenter --net=\`; deleted at the end), so that nothing touches the host's interfaces or firewall. lite and podman keep the set-up of section 1 (read-only busybox rootfs, 64 MiB, 64 pids); only the network differs. \`type = bridge\`: a veth to \`lite0\` (10.111.0.0/16), masquerade in nf_tables table \`ip lite\`.`,
    '',
  )
  md.push('| runtime | status | version, or why it did not run |', '|---|---|---|')
  for (const [peer, status, text] of tsv('net-peers.tsv')) md.push(`| ${peer} | ${status === 'ok' ? 'measured' : '**not measured**'} | ${text} |`)
  md.push('')

  const latency: HyperfineResult[] = read('net-latency.json') ? JSON.parse(read('net-latency.json')).results : []
  if (latency.length) {
    md.push(`### Start → exit of \`/bin/true\``, '', `One \`hyperfine -N\` run inside the namespace, all variants side by side: ${read('net-latency-cmd.txt').trim()}. "+ network" is the median of the networked variant less the median of the same runtime without a network.`, '')
    md.push('| variant | runs | median ms | p95 ms | min ms | max ms | failed runs | + network, median ms |', '|---|---:|---:|---:|---:|---:|---:|---:|')
    const medians = new Map(latency.map((r) => [r.command, median(millis(r))]))
    for (const r of latency) {
      const t = millis(r)
      const failed = (r.exit_codes ?? []).filter((c) => c !== 0).length
      const runtime = r.command.split(',')[0]
      const none = [...medians.entries()].find(([c]) => c.startsWith(`${runtime},`) && /none/.test(c))
      const extra = none && !/none/.test(r.command) ? `+${(median(t) - none[1]).toFixed(2)}` : ''
      md.push(`| ${r.command} | ${t.length} | ${median(t).toFixed(2)} | ${quantile(t, 0.95).toFixed(2)} | ${t[0].toFixed(2)} | ${t[t.length - 1].toFixed(2)} | ${failed} | ${extra} |`)
    }
    md.push('')
  }

  const iperf = tsv('net-iperf.tsv')
  if (iperf.length) {
    md.push('### TCP throughput', '')
    md.push(
      `\`${read('net-iperf-version.txt').trim()}\` from Debian, one TCP stream, ${read('net-command.txt').includes('--quick') ? 1 : 5} s per variant, the client always in the namespace. loopback: the server on the namespace's 127.0.0.1. bridge: the server in a lite \`type = bridge\` container (10.111.0.10), reached over lite0 and the veth. published port: the same container through \`publish[] = 15201:5201\`, the client to 127.0.0.1:15201 (DNAT in \`ip lite\`). The busybox rootfs has no iperf3, so that container's rootfs is a copy of it with \`/usr/bin/iperf3\` and the libraries \`ldd\` lists.`,
      '',
    )
    const loop = Number(iperf.find((r) => r[0] === 'loopback')?.[1]) || undefined
    md.push('| path | Gbit/s (receiver) | ÷ loopback |', '|---|---:|---:|')
    for (const [label, gb, note] of iperf) md.push(`| ${label} | ${gb || note || '–'} | ${gb && loop ? `${(Number(gb) / loop).toFixed(2)}×` : '–'} |`)
    md.push('')
  }

  const during = read('net-during.txt').trim()
  if (during) md.push('### lite\'s veth and rules while the iperf3 container ran', '', '```', during, '```', '')
  const left = read('net-leftovers.txt').trim()
  if (left) md.push('### What the namespace held at the end, before it was deleted', '', '```', left, '```', '')
  return md
}

if (import.meta.main) {
  const [dir, out, flag] = process.argv.slice(2)
  const section = netSection(dir, flag === '--separate').join('\n')
  replaceSection(out, HEADING, section)
}
