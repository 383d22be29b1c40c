// Interleaved A/B timing: runs each command once per round, in turn, for N rounds, so
// that load from other work on a shared machine falls on every variant alike (hyperfine
// runs all of A, then all of B). Prints per command the median, p10 and p90 wall time in
// ms, and the median of the per-round differences to the first command.
//   bun bench/lib/ab.ts [--gap=MS] N 'COMMAND A' 'COMMAND B' ...     (commands split on spaces)
// --gap=MS sleeps that long before each command, as a health check's or a script's calls
// come: back to back, a kernel lock that waits out an RCU grace period only once in a
// while (a percpu rwsem's writer: /proc/locks, a cgroup.procs write) looks cheap.

import { spawnSync } from 'node:child_process'
import { median, quantile } from './stats.ts'

const cli = process.argv.slice(2)
const gapMs = cli[0]?.startsWith('--gap=') ? Number(cli.shift()!.slice(6)) : 0
if (!(gapMs >= 0 && gapMs <= 10_000)) throw new Error('--gap=MS: 0 to 10000')
const [roundsArg, ...commands] = cli
const rounds = Number(roundsArg)
if (!(rounds > 0) || commands.length < 2) throw new Error("usage: ab.ts N 'COMMAND A' 'COMMAND B' ...")

const argvs = commands.map((c) => c.split(' ').filter(Boolean))
const times = commands.map(() => [] as number[])
const failures = commands.map(() => 0)
for (let round = 0; round < rounds + 2; round++) {
  for (const [i, argv] of argvs.entries()) {
    if (gapMs) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, gapMs)
    const t = performance.now()
    const r = spawnSync(argv[0], argv.slice(1), { stdio: 'ignore' })
    const ms = performance.now() - t
    if (round < 2) continue // warm-up rounds
    times[i].push(ms)
    if (r.status !== 0) failures[i]++
  }
}
const fmt = (n: number) => n.toFixed(2).padStart(8)
console.log(`${'command'.padEnd(60)}   median      p10      p90  Δ median vs first (paired)`)
for (const [i, c] of commands.entries()) {
  const s = [...times[i]].sort((a, b) => a - b)
  const diffs = times[i].map((t, k) => t - times[0][k]).sort((a, b) => a - b)
  const fail = failures[i] ? `  (${failures[i]} failed)` : ''
  console.log(`${c.slice(0, 60).padEnd(60)} ${fmt(median(s))} ${fmt(quantile(s, 0.1))} ${fmt(quantile(s, 0.9))} ${i ? fmt(median(diffs)) : '       –'}${fail}`)
}
