// Turns a warm `lite run`'s plan-cache entry into the prototype's input (native-rs/
// examples/fastpath_probe.rs): the native plan, the host directories, the container's
// cgroup directories and their writes (limits, device rules, the cpuset copy), and the
// cgroup join files. Done once, untimed: the prototype measures what comes after it.
//   bun bench/probe/fastpath/extract.ts CONFIG.ini OUT.json

import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { posix } from 'node:path'
import { readHostFacts } from '../../../runtime/host/facts.ts'
import { cgroupJoinFiles, dirFor, placeCgroups } from '../../../runtime/cgroup/manager.ts'

const [config, out] = process.argv.slice(2)
if (!config || !out) throw new Error('usage: extract.ts CONFIG.ini OUT.json')
const CACHE = '/run/lite/.lite-cache'
const file = posix.resolve(config)
// The newest entry of the config: older ones may be of another cgroup layout.
const entry = readdirSync(CACHE)
  .filter((n) => n.startsWith('run-'))
  .map((n) => posix.join(CACHE, n))
  .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
  .map((p) => readFileSync(p, 'utf8'))
  .find((text) => JSON.parse(JSON.parse(text.slice(0, text.indexOf('\n'))).key).file === file)
if (!entry) throw new Error(`no plan-cache entry for ${file}: run it with lite once`)
const { config: c, plan } = JSON.parse(entry.slice(entry.indexOf('\n') + 1))
const layout = readHostFacts().cgroups!.layout
const cgroups = placeCgroups(layout, c.cgroup.parent, c.container.name)
const writes: [string, string][] = []
for (const d of cgroups.dirs) {
  if (d.hierarchy.version !== 1 || !d.hierarchy.options.includes('cpuset')) continue
  for (const f of ['cpuset.cpus', 'cpuset.mems']) writes.push([posix.join(d.path, f), readFileSync(posix.join(posix.dirname(d.path), f), 'utf8').trim()])
}
for (const w of plan.cgroupWrites) {
  const d = dirFor(cgroups, w)
  if (d) writes.push([posix.join(d.path, w.file), w.value])
}
const native = { ...plan.native, ...cgroupJoinFiles(cgroups) }
// The /etc files lite writes for the container (hostname, hosts, resolv.conf).
const files = plan.etcFiles.map((f: { hostPath: string; content: string }) => [f.hostPath, f.content])
writeFileSync(out, JSON.stringify({ native, dirs: [...plan.dirs, ...(files.length ? [posix.join(plan.stateDir, 'etc')] : [])], files, cgroupDirs: cgroups.dirs.map((d) => d.path), writes, v2: cgroups.v2 ?? null }))
