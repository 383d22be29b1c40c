// Resident memory that a runtime keeps outside the container while it runs `sleep TOKEN`:
// the container's ancestors up to (not including) this bench's own process tree and
// pid 1 (lite and crun/runc in the foreground, LXC's monitor, conmon, the containerd
// shim), plus daemons given by pid (dockerd, containerd). RSS from /proc/PID/status,
// PSS from /proc/PID/smaps_rollup, in KiB.
//   bun bench/lib/memory.ts TOKEN OUT.json [DAEMON_PID...]

import { readdirSync, readFileSync, writeFileSync } from 'node:fs'

interface ProcMemory {
  pid: number
  name: string
  role: 'runtime' | 'daemon'
  rssKiB: number
  pssKiB: number
}

const WAIT_MS = 15_000

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8')
  } catch {
    return undefined
  }
}

function parentOf(pid: number): number {
  const stat = readProc(pid, 'stat')
  if (!stat) return 0
  // The name may hold spaces and parentheses: the fields start after the last ')'.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
}

function field(text: string | undefined, key: string): number {
  const m = text?.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))
  return m ? Number(m[1]) : 0
}

function memoryOf(pid: number, role: ProcMemory['role']): ProcMemory {
  const name = (readProc(pid, 'comm') ?? '?').trim()
  return { pid, name, role, rssKiB: field(readProc(pid, 'status'), 'VmRSS'), pssKiB: field(readProc(pid, 'smaps_rollup'), 'Pss') }
}

/** The container's process: its command line is exactly `sleep TOKEN` (any path to sleep). */
function findSleeper(token: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const argv = readProc(Number(entry), 'cmdline')?.split('\0')
    if (argv && argv.length >= 2 && /(^|\/)sleep$/.test(argv[0]) && argv[1] === token) return Number(entry)
  }
  return undefined
}

function ancestors(pid: number): number[] {
  const chain: number[] = []
  for (let p = parentOf(pid); p > 1 && chain.length < 64; p = parentOf(p)) chain.push(p)
  return chain
}

const [token, out, ...daemonArgs] = process.argv.slice(2)
if (!token || !out) throw new Error('usage: memory.ts TOKEN OUT.json [DAEMON_PID...]')
const deadline = Date.now() + WAIT_MS
let container = findSleeper(token)
while (!container && Date.now() < deadline) {
  Bun.sleepSync(50)
  container = findSleeper(token)
}
if (!container) {
  writeFileSync(out, JSON.stringify({ error: `no process "sleep ${token}" appeared within ${WAIT_MS / 1000} s` }) + '\n')
  process.exit(0)
}
// Let the runtime finish its start-up work (it may still be writing state) before reading.
Bun.sleepSync(500)
const ours = new Set([process.pid, ...ancestors(process.pid)])
const runtime = ancestors(container).filter((p) => !ours.has(p))
const daemons = daemonArgs.map(Number).filter((p) => p > 0 && !runtime.includes(p))
const processes = [...runtime.map((p) => memoryOf(p, 'runtime')), ...daemons.map((p) => memoryOf(p, 'daemon'))]
const container_ = memoryOf(container, 'runtime')
writeFileSync(
  out,
  JSON.stringify({
    container: { pid: container, rssKiB: container_.rssKiB, pssKiB: container_.pssKiB },
    processes,
    rssKiB: processes.reduce((s, p) => s + p.rssKiB, 0),
    pssKiB: processes.reduce((s, p) => s + p.pssKiB, 0),
  }) + '\n',
)
