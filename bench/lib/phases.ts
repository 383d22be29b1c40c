// Where lite's start goes, as medians over several runs: runs `LITE ARGS...` N times
// with LITE_TRACE=1 and LITE_TRACE_T0 (so that exec is included) and prints each phase's
// median, p10 and p90 duration in ms, in the order the phases happen.
//   bun bench/lib/phases.ts N LITE ARGS...

import { spawnSync } from 'node:child_process'
import { median, quantile } from './stats.ts'

const [countArg, ...command] = process.argv.slice(2)
const count = Number(countArg)
if (!(count > 0) || !command.length) throw new Error('usage: phases.ts N LITE ARGS...')

const durations = new Map<string, number[]>()
const totals: number[] = []
const rss: number[] = []
for (let i = 0; i < count; i++) {
  const t0 = (Date.now() / 1000).toFixed(6)
  const r = spawnSync(command[0], command.slice(1), { env: { ...process.env, LITE_TRACE: '1', LITE_TRACE_T0: t0 }, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] })
  const summary = /phases \(ms\): (.*); total ([\d.]+)/.exec(r.stderr ?? '')
  if (!summary) throw new Error(`run ${i + 1}: no trace summary (exit ${r.status}): ${r.stderr}`)
  totals.push(Number(summary[2]))
  const peak = /; peak rss (\d+) KiB/.exec(r.stderr ?? '')
  if (peak) rss.push(Number(peak[1]))
  // Phase names repeat (a retry, a second mark): sum per name within one run.
  const perRun = new Map<string, number>()
  for (const part of summary[1].split(', ')) {
    const m = /^(.*) ([\d.]+)$/.exec(part)
    if (m) perRun.set(m[1], (perRun.get(m[1]) ?? 0) + Number(m[2]))
  }
  for (const [phase, ms] of perRun) durations.set(phase, [...(durations.get(phase) ?? []), ms])
}
const fmt = (n: number) => n.toFixed(2).padStart(7)
console.log(`${'phase'.padEnd(16)} median     p10     p90   (ms, ${count} runs)`)
for (const [phase, list] of durations) {
  const s = [...list].sort((a, b) => a - b)
  // A phase that only some runs have (a cache miss's config and plan) says so.
  const some = list.length < count ? `   (in ${list.length} of ${count} runs)` : ''
  console.log(`${phase.padEnd(16)}${fmt(median(s))} ${fmt(quantile(s, 0.1))} ${fmt(quantile(s, 0.9))}${some}`)
}
const s = totals.sort((a, b) => a - b)
console.log(`${'total'.padEnd(16)}${fmt(median(s))} ${fmt(quantile(s, 0.1))} ${fmt(quantile(s, 0.9))}`)
if (rss.length) {
  const r = rss.sort((a, b) => a - b)
  console.log(`${'peak rss KiB'.padEnd(16)}${String(median(r)).padStart(7)} ${String(quantile(r, 0.1)).padStart(7)} ${String(quantile(r, 0.9)).padStart(7)}   (VmHWM at the summary: before the exec into the monitor)`)
}
