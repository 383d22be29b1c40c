// Size on disk of what each runtime installs: the sum of the regular files that
// `dpkg -L` lists for its own packages, and for its whole dependency closure beyond the
// base system (the closure of the Essential/required/important packages, which every
// Debian has anyway). lite is one file: dist/lite.
//   bun bench/lib/sizes.ts OUT.json LITE_BINARY PEER=pkg,pkg ...

import { execFileSync } from 'node:child_process'
import { lstatSync, writeFileSync } from 'node:fs'

interface Installed {
  priority: string
  essential: boolean
  deps: string[][] // alternatives per dependency
}

function installedPackages(): { db: Map<string, Installed>; provides: Map<string, string> } {
  const format = '${Package}\t${db:Status-Abbrev}\t${Priority}\t${Essential}\t${Provides}\t${Pre-Depends}, ${Depends}\n'
  const text = execFileSync('dpkg-query', ['-W', '-f', format], { encoding: 'utf8' })
  const db = new Map<string, Installed>()
  const provides = new Map<string, string>()
  const bare = (s: string) => s.replace(/\(.*?\)|\[.*?\]|<.*?>/g, '').trim().split(':')[0]
  for (const line of text.split('\n')) {
    const [name, status, priority, essential, prov, deps] = line.split('\t')
    if (!name || !status?.startsWith('ii')) continue
    db.set(name, {
      priority,
      essential: essential === 'yes',
      deps: deps.split(',').map((d) => d.split('|').map(bare).filter(Boolean)).filter((alts) => alts.length),
    })
    for (const p of prov.split(',').map(bare).filter(Boolean)) if (!provides.has(p)) provides.set(p, name)
  }
  return { db, provides }
}

const { db, provides } = installedPackages()

function closure(roots: string[]): Set<string> {
  const seen = new Set<string>()
  const stack = [...roots]
  while (stack.length) {
    const name = stack.pop()!
    if (seen.has(name) || !db.has(name)) continue
    seen.add(name)
    for (const alts of db.get(name)!.deps) {
      // The first alternative that is installed, as apt would have satisfied it.
      const hit = alts.map((a) => (db.has(a) ? a : provides.get(a))).find((a) => a && db.has(a))
      if (hit) stack.push(hit)
    }
  }
  return seen
}

const base = closure([...db].filter(([, p]) => p.essential || p.priority === 'required' || p.priority === 'important').map(([n]) => n))

function filesBytes(pkg: string): number {
  let sum = 0
  const list = execFileSync('dpkg', ['-L', pkg], { encoding: 'utf8' }).split('\n')
  for (const path of list) {
    try {
      const st = lstatSync(path)
      if (st.isFile()) sum += st.size
    } catch {}
  }
  return sum
}

const [out, liteBinary, ...peers] = process.argv.slice(2)
const result: Record<string, unknown> = { lite: { packages: [], ownBytes: lstatSync(liteBinary).size, closureBytes: lstatSync(liteBinary).size, beyondBase: [] } }
for (const arg of peers) {
  const [peer, list] = arg.split('=')
  const pkgs = list.split(',').filter((p) => db.has(p))
  const beyond = [...closure(pkgs)].filter((p) => !base.has(p)).sort()
  const sizes = new Map(beyond.map((p) => [p, filesBytes(p)]))
  result[peer] = {
    packages: pkgs,
    ownBytes: pkgs.reduce((s, p) => s + (sizes.get(p) ?? filesBytes(p)), 0),
    closureBytes: [...sizes.values()].reduce((a, b) => a + b, 0),
    beyondBase: beyond.map((p) => ({ name: p, bytes: sizes.get(p) })).sort((a, b) => b.bytes! - a.bytes!),
  }
}
writeFileSync(out, JSON.stringify(result, null, 1) + '\n')
