// The cost of lite update, measured: the time of `lite update` (import of a ~2 MB image,
// restart through the monitor, health wait) and the service's downtime, as the longest
// gap in a heartbeat that the container writes every 5 ms to a bind-mounted host file,
// sampled every 1 ms. Three updates with a [health] check (interval 100ms), three
// without (the 5 s settle). Root, a built dist/lite:
//   node_modules/.bin/bun bench/update/measure.ts

import { spawnSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { writeOciLayout } from '../../test/support/layer-fixtures.ts'

const ROOT = resolve(import.meta.dir, '../..')
const LITE = join(ROOT, 'dist/lite')
const W = mkdtempSync(join(tmpdir(), 'lite-update-bench-'))
mkdirSync(join(W, 'hb'), { recursive: true })
const store = join(W, 'store')
const tar = (dir: string) => spawnSync('tar', ['-C', dir, '--numeric-owner', '-cf', '-', '.'], { maxBuffer: 64 << 20 }).stdout
const base = tar(join(ROOT, 'build/rootfs/busybox'))
const cmd = ['/bin/sh', '-c', 'trap "exit 0" TERM; while :; do echo x > /hb/beat; sleep 0.005; done']
function image(tag: string) {
  const extra = join(W, `x${tag}`); mkdirSync(join(extra, 'etc'), { recursive: true }); writeFileSync(join(extra, 'etc/release'), tag)
  return writeOciLayout(join(W, `l${tag}`), [base, tar(extra)], { annotations: { 'org.opencontainers.image.ref.name': tag }, config: { Cmd: cmd } })
}
const lite = (args: string[]) => spawnSync(LITE, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
const l1 = image('1')
const cfg = join(W, 'updm.ini')
const results: string[] = []
for (const withHealth of [true, false]) {
  writeFileSync(cfg, `[rootfs]\nimage = local.test/m:1\n[exec]\nstop_timeout = 2\n[mount]\nentry[] = ${join(W, 'hb')} /hb none bind,create=dir\n` + (withHealth ? `[health]\ncmd = test -f /hb/beat\ninterval = 100ms\nretries = 1\n` : '') + `[update]\nhealth_timeout = 30s\n`)
  lite(['image', 'import', l1.dir, '--tag', 'local.test/m:1', '--store', store])
  const run = lite(['run', '-d', '--store', store, cfg])
  if (run.status !== 0) throw new Error(`lite run: ${run.stderr}`)
  await new Promise((r) => setTimeout(r, 2000))
  for (let i = 0; i < 3; i++) {
    const next = image(`${withHealth ? 'h' : 'n'}${i + 2}`)
    const beats: number[] = []
    let last = 0n
    const timer = setInterval(() => { try { const m = statSync(join(W, 'hb/beat'), { bigint: true }).mtimeNs; if (m !== last) { last = m; beats.push(Number(m / 1000000n)) } } catch {} }, 1)
    const t0 = Date.now()
    const r = await new Promise<{ code: number | null; err: string }>((done) => { const c = spawn(LITE, ['update', 'updm', next.dir, '-q'], { stdio: ['ignore', 'pipe', 'pipe'] }); let err = ''; c.stderr.on('data', (d) => (err += d)); c.on('close', (code) => done({ code, err })) })
    const total = Date.now() - t0
    await new Promise((r) => setTimeout(r, 300))
    clearInterval(timer)
    let gap = 0
    for (let k = 1; k < beats.length; k++) gap = Math.max(gap, beats[k]! - beats[k - 1]!)
    results.push(`${withHealth ? '[health] interval 100ms' : 'no [health] (5 s settle)'}: update ${i + 1}: exit ${r.code}, lite update took ${total} ms, longest heartbeat gap (downtime) ${gap} ms; ${r.err.trim().split('\n').pop()}`)
  }
  lite(['rm', '-f', 'updm'])
}
console.log(results.join('\n'))
rmSync(W, { recursive: true, force: true })
