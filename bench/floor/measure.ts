// The floor under Bun: how fast could `lite run` be if Bun did nothing but hand its work
// to native code at once? Measured, not modelled, in one hyperfine run at bench/run's
// parity (busybox read-only, memory 64M, pids 64, Docker's capabilities and seccomp):
//   - an empty compiled Bun binary, and one that only execve(2)s /bin/true (Bun's start
//     and its exec teardown);
//   - `crun run`, and the same `crun run` behind that exec: a lite whose Bun part cost
//     nothing but its start, with native set-up at crun's own speed (lite's own is
//     faster: bench/probe/fastpath, section 12);
//   - `lite run` warm (the plan cache hit) and with --no-cache (a miss: today's cold path).
// Not interleaved (bench/lib/ab.ts): there one runtime's cgroup removal comes right
// before the next one's attach, whose first cgroup.procs write then waits for an RCU
// grace period (bench/START-PATH.md), and crun, which starts at once, pays it where the
// Bun-fronted variants have let it pass. In hyperfine each command follows itself.
// Writes section 11 of bench/RESULTS.md. Root, a built dist/lite, crun installed:
//   node_modules/.bin/bun bench/floor/measure.ts [RUNS]

import { spawnSync } from 'node:child_process'
import { runChecked } from '../lib/run-checked.ts'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { release } from 'node:os'
import { join, resolve } from 'node:path'
import { replaceSection } from '../lib/results-section.ts'
import { median, millis, quantile, type HyperfineResult } from '../lib/stats.ts'

const ROOT = resolve(import.meta.dir, '../..')
const BUN = join(ROOT, 'node_modules/.bin/bun')
const WORK = join(ROOT, 'build/bench/floor')
const ROOTFS = join(ROOT, 'build/rootfs/busybox')
const runs = Number(process.argv[2] ?? 100)
const MEMORY = 64 << 20
const PIDS = 64
const NAME = 'litebench-floor'

const run = (cmd: string, args: string[], opts: { cwd?: string } = {}) => runChecked(cmd, args, opts.cwd ?? ROOT)

mkdirSync(WORK, { recursive: true })
// The two probes, compiled as lite is (bun build --compile, bytecode).
for (const name of ['empty', 'exec-into']) {
  run(BUN, ['build', '--compile', '--bytecode', '--format=esm', join(import.meta.dir, `${name}.ts`), '--outfile', join(WORK, name)])
}
const empty = join(WORK, 'empty')
const execInto = join(WORK, 'exec-into')

// crun's bundle at parity (bench/lib/oci-bundle.ts, as bench/run makes it), and lite's config.
const base = join(WORK, 'oci-base.json')
run('sh', ['-c', `rm -f config.json && crun spec && mv config.json ${base}`], { cwd: WORK })
const bundle = join(WORK, 'crun-true')
run(BUN, [join(ROOT, 'bench/lib/oci-bundle.ts'), base, bundle, ROOTFS, '--pids', String(PIDS), '--memory', String(MEMORY), '--', '/bin/true'])
const config = join(WORK, 'lite-true.ini')
writeFileSync(config, `[container]\nname = ${NAME}-lite\n[rootfs]\npath = ${ROOTFS}\nreadonly = yes\n[resources]\nmemory = 64M\npids = ${PIDS}\n[exec]\ncmd = /bin/true\n`)
const lite = join(WORK, 'lite')
run('cp', [join(ROOT, 'dist/lite'), lite]) // a private copy: a rebuild during the run would skew it
run(lite, ['run', config]) // fills the plan cache
spawnSync('crun', ['delete', '-f', `${NAME}-crun`])

const variants: [string, string][] = [
  ['/bin/true (no container)', '/bin/true'],
  ['empty compiled Bun binary', empty],
  ['Bun → execve /bin/true', `${execInto} /bin/true`],
  ['crun run', `crun run -b ${bundle} ${NAME}-crun`],
  ['Bun → execve crun run', `${execInto} crun run -b ${bundle} ${NAME}-crun`],
  ['lite run, warm (the fast run)', `${lite} run ${config}`],
  ['lite run --no-cache (cold path)', `${lite} run --no-cache ${config}`],
]
const json = join(WORK, 'floor.json')
run('hyperfine', ['-N', '--style', 'basic', '--warmup', '10', '--runs', String(runs), '--export-json', json, ...variants.flatMap(([name, cmd]) => ['-n', name, cmd])])
const results = (JSON.parse(readFileSync(json, 'utf8')) as { results: HyperfineResult[] }).results
const stats = results.map((r) => {
  const ms = millis(r)
  return { median: median(ms), p95: quantile(ms, 0.95), min: ms[0] }
})
const crun = stats[3].median
const fmt = (n: number) => n.toFixed(2)
const rows = variants.map(([name], i) => `| ${name} | ${fmt(stats[i].median)} | ${fmt(stats[i].p95)} | ${fmt(stats[i].min)} | ${(stats[i].median / crun).toFixed(2)}× |`)
const bunCost = stats[4].median - crun
const section = [
  '## 11. The floor under Bun: what ≤ 1.0× crun would take',
  '',
  `\`node_modules/.bin/bun bench/floor/measure.ts ${runs}\`, ${new Date().toISOString().slice(0, 10)}, kernel ${release()}: one \`hyperfine -N --warmup 10 --runs ${runs}\` run, all variants side by side, at section 1's parity.`,
  '',
  '| variant | median ms | p95 ms | min ms | median ÷ crun |',
  '|---|---:|---:|---:|---:|',
  ...rows,
  '',
  `"Bun → execve" is a compiled Bun binary (\`bench/floor/exec-into.ts\`, built like lite with \`--bytecode\`) that does nothing but execve(2) its arguments through \`bun:ffi\`. Its row with \`crun run\` is Bun's start and exec teardown followed by native set-up at crun's own speed: ${fmt(stats[4].median)} ms, ${(stats[4].median / crun).toFixed(2)}× crun, ${fmt(bunCost)} ms of Bun before any of lite's code runs. That is not the floor for lite: lite's own native set-up is faster than crun's on this host (section 12; its child joins the v1 cgroups through \`tasks\`, with no RCU grace period to wait for), so that Bun's share fits in crun's time. A warm \`lite run\` (the fast run) takes ${fmt(stats[5].median)} ms, ${(stats[5].median / crun).toFixed(2)}× crun.`,
  '',
].join('\n')
replaceSection(join(ROOT, 'bench/RESULTS.md'), '## 11. The floor under Bun: what ≤ 1.0× crun would take', section)
console.log(section)
