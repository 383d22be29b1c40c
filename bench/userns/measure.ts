// The start-time cost of [user] map: `lite run` of bench/run's parity config (busybox,
// readonly, memory 64M, pids 64, /bin/true) with no user namespace, an explicit map and
// map = auto, interleaved (one run of each per round, so that load falls on all alike),
// and the phases of a mapped run (LITE_TRACE). Writes section 9 of bench/RESULTS.md.
// Root, a built dist/lite:
//   node_modules/.bin/bun bench/userns/measure.ts [ROUNDS]

import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { release, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { replaceSection } from '../lib/results-section.ts'
import { median, quantile } from '../lib/stats.ts'

const ROOT = resolve(import.meta.dir, '../..')
const LITE = join(ROOT, 'dist/lite')
const rounds = Number(process.argv[2] ?? 60)
const dir = mkdtempSync(join(tmpdir(), 'lite-userns-bench-'))
const variants = [
  { name: 'no user namespace', user: '' },
  { name: 'map = 0:100000:65536', user: '[user]\nmap = 0:100000:65536\n' },
  { name: 'map = auto', user: '[user]\nmap = auto\n' },
]
const configs = variants.map((v, i) => {
  const file = join(dir, `c${i}.ini`)
  writeFileSync(file, `[container]\nname = litebench-userns${i}\n[rootfs]\npath = ${join(ROOT, 'build/rootfs/busybox')}\nreadonly = yes\n[resources]\nmemory = 64M\npids = 64\n[exec]\ncmd = /bin/true\n${v.user}`)
  return file
})
const times = variants.map(() => [] as number[])
try {
  for (let round = 0; round < rounds + 2; round++) {
    for (const [i, file] of configs.entries()) {
      const t = performance.now()
      const r = spawnSync(LITE, ['run', file], { stdio: ['ignore', 'ignore', 'pipe'] })
      const ms = performance.now() - t
      if (r.status !== 0) throw new Error(`lite run ${variants[i]!.name}: exit ${r.status}: ${r.stderr}`)
      if (round >= 2) times[i]!.push(ms)
    }
  }
  const phases = spawnSync('node_modules/.bin/bun', ['bench/lib/phases.ts', '20', LITE, 'run', configs[2]!], { cwd: ROOT, encoding: 'utf8' }).stdout.trim()
  const fmt = (n: number) => n.toFixed(1)
  const rows = variants.map((v, i) => {
    const s = [...times[i]!].sort((a, b) => a - b)
    const paired = i === 0 ? '–' : fmt(median(times[i]!.map((t, k) => t - times[0]![k]!).sort((a, b) => a - b)))
    return `| ${v.name} | ${fmt(median(s))} | ${fmt(quantile(s, 0.9))} | ${paired} |`
  })
  const section = [
    '## 9. User namespaces: the start cost of `[user] map`',
    '',
    `\`node_modules/.bin/bun bench/userns/measure.ts ${rounds}\`, ${new Date().toISOString().slice(0, 10)}, kernel ${release()}: \`lite run\` of the parity config of section 1, ${rounds} interleaved rounds.`,
    '',
    '| config | median ms | p90 ms | Δ median vs none (paired) |',
    '|---|---:|---:|---:|',
    ...rows,
    '',
    'A mapped run clones once more (the container\'s first process becomes the host uid of container root and clones the container, so that the user namespace is that uid\'s), writes the maps and makes the id-mapped lower before GO; `auto` also claims a range of the pool. The phases of a `map = auto` run:',
    '',
    '```',
    phases,
    '```',
    '',
  ].join('\n')
  replaceSection(join(ROOT, 'bench/RESULTS.md'), '## 9. User namespaces: the start cost of `[user] map`', section)
  console.log(section)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
