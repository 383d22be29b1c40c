// Section 8 of RESULTS.md from the oci-* files that bench/oci/run leaves in a results
// directory: podman's start->exit of /bin/true with lite-oci, crun and runc as its OCI
// runtime. report.ts includes it in the full report; alone, it writes the section to a
// file, or replaces (or adds) section 8 of an existing RESULTS.md, marked as coming from a
// separate run:
//   bun bench/lib/oci-report.ts RESULTS_DIR OUT.md [--separate] [--merge]

import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { replaceSection } from './results-section.ts'
import { type HyperfineResult, median, millis, quantile } from './stats.ts'

const HEADING = '## 8. podman with lite-oci, crun and runc as its OCI runtime'

export function ociSection(dir: string, separate = false): string[] {
  const read = (name: string) => (existsSync(`${dir}/${name}`) ? readFileSync(`${dir}/${name}`, 'utf8') : '')
  const peers = read('oci-peers.tsv')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'))
  if (!peers.length) return []
  const md: string[] = [HEADING, '']
  if (separate) {
    const when = read('oci-date.txt').trim() || new Date().toISOString().slice(0, 16).replace('T', ' ')
    md.push(`From a separate run, \`${read('oci-command.txt').trim()}\` on ${when} UTC (${read('oci-machine.txt').trim().replace(/\n/g, '; ')}), not from the run that wrote the other sections: compare these figures with each other.`, '')
  }
  md.push(
    `The same podman command line for every runtime, only \`--runtime\` differs: \`${read('oci-podman-cmd.txt').trim()}\` (podman's own storage and configs under the work dir, cgroupfs, the busybox rootfs imported as an image, the set-up of section 1). lite-oci is \`dist/lite\` invoked by that name. The difference between two rows is the runtime's share of podman's start path: podman and conmon cost the same in each.`,
    '',
  )
  md.push('| runtime | status | version, or why it did not run |', '|---|---|---|')
  for (const [peer, status, text] of peers) md.push(`| ${peer} | ${status === 'ok' ? 'measured' : '**not measured**'} | ${text} |`)
  md.push('')

  const results: HyperfineResult[] = read('oci-latency.json') ? JSON.parse(read('oci-latency.json')).results : []
  if (results.length) {
    const crun = results.find((r) => r.command.endsWith(' crun'))
    const crunMedian = crun ? median(millis(crun)) : undefined
    md.push(`### Start → exit of \`podman run --rm IMAGE /bin/true\``, '', `One \`hyperfine -N\` run, the runtimes side by side: ${read('oci-latency-cmd.txt').trim()}.`, '')
    md.push('| runtime | runs | median ms | p95 ms | min ms | max ms | failed runs | median ÷ crun | median − crun, ms |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|')
    for (const r of results) {
      const t = millis(r)
      const failed = (r.exit_codes ?? []).filter((c) => c !== 0).length
      const m = median(t)
      md.push(
        `| ${r.command} | ${t.length} | ${m.toFixed(2)} | ${quantile(t, 0.95).toFixed(2)} | ${t[0].toFixed(2)} | ${t[t.length - 1].toFixed(2)} | ${failed} | ${crunMedian ? `${(m / crunMedian).toFixed(2)}×` : '–'} | ${crunMedian ? `${m - crunMedian >= 0 ? '+' : ''}${(m - crunMedian).toFixed(2)}` : '–'} |`,
      )
    }
    md.push('')
  }
  return md
}

if (import.meta.main) {
  const [dir, out, ...flags] = process.argv.slice(2)
  const section = ociSection(dir, flags.includes('--separate')).join('\n')
  if (!flags.includes('--merge')) {
    writeFileSync(out, `${section}\n`)
  } else {
    // Replaces section 8 of an existing RESULTS.md, or adds it before "Reading these numbers".
    replaceSection(out, HEADING, section)
  }
}
