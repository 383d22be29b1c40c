// Writes RESULTS.md from what bench/run left in its results directory: machine and
// versions, then one table per measure, with ratios to crun where crun ran. Sections
// that other scripts write into the file (bench/userns, bench/floor) and this run does
// not make are kept as they were.
//   bun bench/lib/report.ts RESULTS_DIR OUT.md

import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { netSection } from './net-report.ts'
import { ociSection } from './oci-report.ts'
import { replaceSection, sections } from './results-section.ts'
import { type HyperfineResult, median, millis, quantile } from './stats.ts'

const [dir, out] = process.argv.slice(2)
const read = (name: string) => (existsSync(`${dir}/${name}`) ? readFileSync(`${dir}/${name}`, 'utf8') : '')
const tsv = (name: string) =>
  read(name)
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'))
const hyperfine = (name: string): HyperfineResult[] => (read(name) ? JSON.parse(read(name)).results : [])

const peers = tsv('peers.tsv') // peer, ok|unavailable, version or reason
const ran = peers.filter((p) => p[1] === 'ok').map((p) => p[0])
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1)
const kib = (n: number) => n.toLocaleString('en-US')

function ratio(value: number, crun: number | undefined): string {
  return crun ? `${(value / crun).toFixed(2)}×` : '–'
}

function latencyTable(results: HyperfineResult[]): string[] {
  const crun = results.find((r) => r.command === 'crun')
  const crunMedian = crun ? median(millis(crun)) : undefined
  const crunP95 = crun ? quantile(millis(crun), 0.95) : undefined
  const rows = ['| runtime | runs | median ms | p95 ms | min ms | max ms | failed runs | median ÷ crun | p95 ÷ crun |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|']
  for (const r of results) {
    const t = millis(r)
    const failed = (r.exit_codes ?? []).filter((c) => c !== 0).length
    rows.push(
      `| ${r.command} | ${t.length} | ${median(t).toFixed(2)} | ${quantile(t, 0.95).toFixed(2)} | ${t[0].toFixed(2)} | ${t[t.length - 1].toFixed(2)} | ${failed} | ${ratio(median(t), crunMedian)} | ${ratio(quantile(t, 0.95), crunP95)} |`,
    )
  }
  return rows
}

const md: string[] = []
md.push('# lite beside crun, runc, LXC, podman and docker', '')
md.push(`Written by \`bench/run${read('mode').trim() === 'quick' ? ' --quick' : ''}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. Every figure below comes from this one run; re-run \`bench/run\` to refresh them.`, '')
md.push('## Machine and versions', '', '```', read('machine.txt').trimEnd(), '```', '')
md.push('| runtime | status | version, or why it did not run |', '|---|---|---|')
for (const [peer, status, text] of peers) md.push(`| ${peer} | ${status === 'ok' ? 'measured' : '**not measured**'} | ${text} |`)
md.push('')
md.push(read('parity.md').trimEnd(), '')

const latency = hyperfine('latency.json')
if (latency.length) {
  md.push('## 1. Start → exit of `/bin/true`', '')
  md.push(read('latency-cmd.txt').trim() ? `One \`hyperfine -N\` run, every runtime side by side: ${read('latency-cmd.txt').trim()}.` : '', '')
  md.push('"lite" is a warm run: the fast run (README "The fast run"), from the entry the run before wrote; "lite, cold" plans from the config at every run (`--no-cache`: what a cache miss does, without writing the entry).', '')
  md.push(...latencyTable(latency), '', '![latency distributions](latency.svg)', '')
}

const seq = hyperfine('seq.json')
if (seq.length) {
  const count = read('seq-count').trim()
  md.push(`## 2. ${count} sequential containers`, '', `\`for i in $(seq ${count}); do RUNTIME ...; done\` in bash, timed by \`hyperfine -N\`.`, '')
  const crun = seq.find((r) => r.command === 'crun')
  const crunMedian = crun ? median(millis(crun)) : undefined
  md.push('| runtime | runs | median total ms | per container ms | min ms | max ms | ÷ crun |', '|---|---:|---:|---:|---:|---:|---:|')
  for (const r of seq) {
    const t = millis(r)
    md.push(`| ${r.command} | ${t.length} | ${median(t).toFixed(0)} | ${(median(t) / Number(count)).toFixed(2)} | ${t[0].toFixed(0)} | ${t[t.length - 1].toFixed(0)} | ${ratio(median(t), crunMedian)} |`)
  }
  md.push('')
}

const execs = ran.flatMap((p) => hyperfine(`exec-${p}.json`))
if (execs.length) {
  md.push('## 2b. `/bin/true` exec\'d into a running container', '', 'Each runtime\'s exec (`lite exec NAME -- /bin/true`, `crun exec`, `runc exec`, `lxc-attach`, `podman exec`, `docker exec`) into its own sleeping container, started as in section 3; `hyperfine -N`, the same runs as section 1. A health check and a script\'s exec pay this.', '')
  md.push(...latencyTable(execs), '')
  for (const [peer, why] of tsv('exec-failed.tsv')) md.push(`- ${peer}: not measured: ${why}`)
  md.push('')
}

md.push('## 3. Resident memory outside the container while it runs `sleep`', '')
md.push(
  'The container\'s ancestors outside the bench\'s own process tree (lite, crun and runc wait in the foreground; LXC leaves its monitor; podman leaves conmon; docker leaves the containerd shim), plus, for docker, dockerd and its containerd. RSS from /proc/PID/status, PSS from /proc/PID/smaps_rollup.',
  '',
)
md.push('| runtime | processes | RSS KiB | PSS KiB | the container itself, RSS KiB |', '|---|---|---:|---:|---:|')
for (const peer of ran) {
  const text = read(`memory-${peer}.json`)
  if (!text) continue
  const m = JSON.parse(text)
  if (m.error) {
    md.push(`| ${peer} | ${m.error} | | | |`)
    continue
  }
  const procs = m.processes.length ? m.processes.map((p: { name: string; rssKiB: number; pssKiB: number; role: string }) => `${p.name}${p.role === 'daemon' ? ' (daemon)' : ''} ${kib(p.rssKiB)}/${kib(p.pssKiB)}`).join(', ') : 'none (the runtime exited)'
  md.push(`| ${peer} | ${procs} | ${kib(m.rssKiB)} | ${kib(m.pssKiB)} | ${kib(m.container.rssKiB)} |`)
}
md.push('')

const floors = tsv('floor.tsv')
if (floors.length) {
  md.push('## 4. The smallest memory limit that starts `/bin/true`', '')
  md.push(read('floor-method.txt').trim(), '')
  md.push('| runtime | floor | ÷ crun | note |', '|---|---:|---:|---|')
  const crun = Number(floors.find((f) => f[0] === 'crun')?.[1]) || undefined
  for (const [peer, bytes, note] of floors) {
    md.push(`| ${peer} | ${bytes ? `${kib(Number(bytes) / 1024)} KiB` : '–'} | ${bytes ? ratio(Number(bytes), crun) : '–'} | ${note ?? ''} |`)
  }
  md.push('')
}

const sizesText = read('sizes.json')
if (sizesText) {
  const sizes = JSON.parse(sizesText) as Record<string, { packages: string[]; ownBytes: number; closureBytes: number; beyondBase: { name: string; bytes: number }[] }>
  md.push('## 5. Size on disk', '')
  md.push('Regular files listed by `dpkg -L`: the runtime\'s own packages, and its whole dependency closure beyond the Debian base system (Essential/required/important). lite is the one file `dist/lite` (the addon is inside).', '')
  md.push('| runtime | packages | own MiB | with dependencies MiB | ÷ crun (with deps) | largest dependencies |', '|---|---|---:|---:|---:|---|')
  const crun = sizes.crun?.closureBytes
  for (const [peer, s] of Object.entries(sizes)) {
    const top = s.beyondBase.filter((b) => !s.packages.includes(b.name)).slice(0, 4).map((b) => `${b.name} ${mib(b.bytes)}`).join(', ')
    md.push(`| ${peer} | ${s.packages.join(', ') || 'dist/lite'} | ${mib(s.ownBytes)} | ${mib(s.closureBytes)} | ${ratio(s.closureBytes, crun)} | ${top} |`)
  }
  md.push('')
}

const peaks = tsv('peak.tsv')
if (peaks.length) {
  md.push('## 6. Peak RSS of one `/bin/true` run', '')
  md.push('`/usr/bin/time -f %M`: the largest RSS of the command and the children it waited for. For podman and docker that is the client only (the work happens in conmon, or in the daemons).', '')
  md.push('| runtime | peak RSS KiB |', '|---|---:|')
  for (const [peer, k] of peaks) md.push(`| ${peer} | ${k ? kib(Number(k)) : '–'} |`)
  md.push('')
}
md.push(...netSection(dir))
md.push(...ociSection(dir))
md.push(read('notes.md').trimEnd(), '')
const before = existsSync(out) ? sections(readFileSync(out, 'utf8')) : []
const text = md.join('\n').replace(/\n{3,}/g, '\n\n')
writeFileSync(out, text)
const made = new Set(sections(text).map((s) => s.heading))
for (const s of before) if (/^## \d+\. /.test(s.heading) && !made.has(s.heading)) replaceSection(out, s.heading, s.text)
