// Issue 17, item 4: does a v1/hybrid start save time by making the container's cgroup
// only in the hierarchies it needs? Per round, as a container start does: mkdir
// lite/NAME in each hierarchy of a set (a v1 cpuset dir copies its parent's cpus and
// mems, as lite's does), move a fresh child into each, then, once it has exited, rmdir
// them. "every" is what lite does today (every mounted hierarchy); "needed" keeps what
// confinement and the commands rely on (devices, freezer, pids, memory, cpu, cpuacct,
// name=systemd and the unified v2 one that systemd tracks in hybrid mode) and drops
// blkio, cpuset, hugetlb, net_cls/net_prio and perf_event, for a config that sets none
// of them. Interleaved rounds, so that load falls on both alike; the spawn and exit of
// the child are outside the timings. Root, on a v1 or hybrid host:
//   node_modules/.bin/bun bench/probe/cgroup-hierarchies.ts [ROUNDS]

import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { median, quantile } from '../lib/stats.ts'

const ROOT = '/sys/fs/cgroup'
const rounds = Number(process.argv[2] ?? 200)
const DROPPABLE = ['blkio', 'cpuset', 'hugetlb', 'net_cls', 'net_prio', 'net_cls,net_prio', 'perf_event', 'rdma', 'misc']
const all = readdirSync(ROOT).filter((h) => {
  try {
    readFileSync(join(ROOT, h, 'cgroup.procs'))
    return true
  } catch {
    return false // a symlink alias (cpu,cpuacct) or not a hierarchy
  }
})
const needed = all.filter((h) => !DROPPABLE.includes(h))
const sets = { every: all, needed }

function copyCpuset(dir: string) {
  for (const f of ['cpuset.cpus', 'cpuset.mems']) writeFileSync(join(dir, f), readFileSync(join(dir, '..', f)))
}

async function round(set: string[], n: number): Promise<number> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' })
  const exited = new Promise((r) => child.once('exit', r))
  const pid = String(child.pid)
  const dirs = set.map((h) => join(ROOT, h, 'lite', `probe-${process.pid}-${n}`))
  const t0 = performance.now()
  for (const [i, d] of dirs.entries()) {
    mkdirSync(d, { recursive: true })
    if (set[i] === 'cpuset') copyCpuset(d)
  }
  for (const d of dirs) writeFileSync(join(d, 'cgroup.procs'), pid)
  const t1 = performance.now()
  child.kill('SIGKILL')
  await exited
  const t2 = performance.now()
  for (const d of dirs) rmdirSync(d)
  return t1 - t0 + (performance.now() - t2)
}

const times: Record<string, number[]> = { every: [], needed: [] }
for (let n = 0; n < rounds + 5; n++) {
  for (const [name, set] of Object.entries(sets)) {
    const ms = await round(set, n)
    if (n >= 5) times[name]!.push(ms)
  }
}
const fmt = (n: number) => n.toFixed(3)
console.log(`hierarchies: every = ${all.join(' ')}; needed = ${needed.join(' ')}; ${rounds} interleaved rounds`)
for (const [name, t] of Object.entries(times)) {
  const s = [...t].sort((a, b) => a - b)
  console.log(`${name}: ${sets[name as keyof typeof sets].length} hierarchies, median ${fmt(median(s))} ms, p90 ${fmt(quantile(s, 0.9))} ms`)
}
const diff = times.every!.map((t, i) => t - times.needed![i]!).sort((a, b) => a - b)
console.log(`every − needed, paired: median ${fmt(median(diff))} ms, p10 ${fmt(quantile(diff, 0.1))}, p90 ${fmt(quantile(diff, 0.9))}`)
