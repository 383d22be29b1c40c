// The monitor fast path of issue 17 (item 3), measured as a prototype beside the floor:
//   - crun run, at bench/run's parity (busybox read-only, memory 64M, pids 64, Docker's
//     capabilities, no_new_privs and lite's seccomp rules);
//   - a warm `lite run`: the fast run (native-rs/src/fast_run), which the prototype led to;
//   - the prototype: a compiled Bun binary (front.ts) that checks the warm plan-cache
//     entry as a warm run does, then execve(2)s a native binary (native-rs/examples/
//     fastpath_probe.rs) that makes the cgroups, clones, sets up and execs through
//     lite's own child code, waits and removes the cgroups: what a warm run that hands
//     its blob to native code costs;
//   - Bun doing nothing but execve the native half (where the entry's check would be
//     native too), that native half alone, and the floor (Bun → execve crun run).
// One hyperfine -N run, each command after itself (see bench/floor/measure.ts for why
// not interleaved). Writes section 12 of bench/RESULTS.md.
//   node_modules/.bin/bun bench/probe/fastpath/measure.ts [RUNS]

import { spawnSync } from 'node:child_process'
import { runChecked } from '../../lib/run-checked.ts'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { release } from 'node:os'
import { join, resolve } from 'node:path'
import { replaceSection } from '../../lib/results-section.ts'
import { median, millis, quantile, type HyperfineResult } from '../../lib/stats.ts'

const ROOT = resolve(import.meta.dir, '../../..')
const BUN = join(ROOT, 'node_modules/.bin/bun')
const WORK = join(ROOT, 'build/bench/fastpath')
const ROOTFS = join(ROOT, 'build/rootfs/busybox')
const PROBE = join(ROOT, 'native-rs/target/release/examples/fastpath_probe')
const runs = Number(process.argv[2] ?? 100)
const NAME = 'litebench-fastpath'

const run = (cmd: string, args: string[], opts: { cwd?: string } = {}) => runChecked(cmd, args, opts.cwd ?? ROOT)

mkdirSync(WORK, { recursive: true })
for (const [name, src] of [['front', join(import.meta.dir, 'front.ts')], ['exec-into', join(ROOT, 'bench/floor/exec-into.ts')]]) {
  run(BUN, ['build', '--compile', '--bytecode', '--format=esm', src!, '--outfile', join(WORK, name!)])
}
const base = join(WORK, 'oci-base.json')
run('sh', ['-c', `rm -f config.json && crun spec && mv config.json ${base}`], { cwd: WORK })
const bundle = join(WORK, 'crun-true')
run(BUN, [join(ROOT, 'bench/lib/oci-bundle.ts'), base, bundle, ROOTFS, '--pids', '64', '--memory', String(64 << 20), '--', '/bin/true'])
const config = join(WORK, 'lite-true.ini')
const ini = `[container]\nname = ${NAME}\n[rootfs]\npath = ${ROOTFS}\nreadonly = yes\n[resources]\nmemory = 64M\npids = 64\n[exec]\ncmd = /bin/true\n`
if (!existsSync(config) || readFileSync(config, 'utf8') !== ini) {
  writeFileSync(config, ini)
  // plan-cache.ts stores no entry whose inputs changed within RACY_MS (2 s).
  await Bun.sleep(2100)
}
const lite = join(WORK, 'lite')
run('cp', [join(ROOT, 'dist/lite'), lite])
// A miss compiles, the next run stores: two runs leave a warm entry for this host's layout.
run(lite, ['run', config])
run(lite, ['run', config])
const plan = join(WORK, 'plan.json')
run(BUN, [join(import.meta.dir, 'extract.ts'), config, plan])
// lite's build id, as the warm entry records it (front.ts checks the entry against it).
const CACHE = '/run/lite/.lite-cache'
const entry = readdirSync(CACHE)
  .map((n) => join(CACHE, n))
  .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
  .find((p) => p.includes('/run-') && readFileSync(p, 'utf8').includes(config))
if (!entry) throw new Error('no warm plan-cache entry')
const build = JSON.parse(readFileSync(entry, 'utf8').split('\n', 1)[0]!).build as string
const front = `${join(WORK, 'front')} ${config} ${PROBE} ${plan} ${build}`
run('sh', ['-c', front]) // a hit, and the prototype runs /bin/true: exit 0
spawnSync('crun', ['delete', '-f', `${NAME}-crun`])

const variants: [string, string][] = [
  ['crun run', `crun run -b ${bundle} ${NAME}-crun`],
  ['lite run, warm: the fast run', `${lite} run ${config}`],
  ['prototype: Bun checks the entry as a warm run does → execve native set-up', front],
  ['Bun → execve the native half (no check in Bun)', `${join(WORK, 'exec-into')} ${PROBE} ${plan}`],
  ["the prototype's native half alone", `${PROBE} ${plan}`],
  ['Bun → execve crun run (section 11)', `${join(WORK, 'exec-into')} crun run -b ${bundle} ${NAME}-crun`],
]
const json = join(WORK, 'fastpath.json')
run('hyperfine', ['-N', '--style', 'basic', '--warmup', '10', '--runs', String(runs), '--export-json', json, ...variants.flatMap(([name, cmd]) => ['-n', name, cmd])])
const results = (JSON.parse(readFileSync(json, 'utf8')) as { results: HyperfineResult[] }).results
const stats = results.map((r) => {
  const ms = millis(r)
  return { median: median(ms), p95: quantile(ms, 0.95) }
})
const crun = stats[0]!.median
const fmt = (n: number) => n.toFixed(2)
const [crunRun, warm, prototype, bunThenNative, nativeAlone] = stats.map((x) => x.median)
const section = [
  '## 12. The monitor fast path, as a prototype (issue 17, item 3)',
  '',
  `\`bash bench/probe/fastpath/run ${runs}\`, ${new Date().toISOString().slice(0, 10)}, kernel ${release()}: one \`hyperfine -N --warmup 10 --runs ${runs}\` run, all variants side by side, at section 1's parity.`,
  '',
  '| variant | median ms | p95 ms | median ÷ crun |',
  '|---|---:|---:|---:|',
  ...variants.map(([name], i) => `| ${name} | ${fmt(stats[i]!.median)} | ${fmt(stats[i]!.p95)} | ${(stats[i]!.median / crun).toFixed(2)}× |`),
  '',
  `The prototype is not a product path: its native half (\`native-rs/examples/fastpath_probe.rs\`) takes the warm entry's plan as JSON and runs it through lite's own child code (plan.rs, spawn.rs, child.rs): cgroups made and written, clone, set-up, exec, wait, cgroups removed. It leaves out what a real one must add: the state lock and state file, the cgroup record, and the exec into the monitor, which would then wait. Its Bun half (\`front.ts\`) checks the entry as a warm \`lite run\` does (host facts, every input's stat, the build id, the payload) and execve's it. lite's native set-up alone takes ${fmt(nativeAlone)} ms, ${(nativeAlone / crunRun).toFixed(2)}× crun's whole run: its child joins each v1 cgroup through \`tasks\`, where crun's \`cgroup.procs\` write waits for an RCU grace period (bench/START-PATH.md). So Bun's start and exec teardown fit in crun's time: with Bun doing nothing but the execve, ${fmt(bunThenNative)} ms (${(bunThenNative / crunRun).toFixed(2)}×). Bun's check of the entry brings it to ${fmt(prototype)} ms (${(prototype / crunRun).toFixed(2)}×). The fast run that this led to (README "The fast run": the check native too, with the state lock and file and the exec into the monitor) takes ${fmt(warm)} ms (${(warm / crunRun).toFixed(2)}×).`,
  '',
].join('\n')
replaceSection(join(ROOT, 'bench/RESULTS.md'), '## 12. The monitor fast path, as a prototype (issue 17, item 3)', section)
console.log(section)
