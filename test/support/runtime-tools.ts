// The OCI runtime-tools validation suite as a test of an OCI runtime (runc's command
// line): builds it (test/support/runtime-tools.sh), runs every validation program
// against one runtime, parses their TAP, and writes
//   build/runtime-tools/results-<name>.json   per program: pass/fail/skip, failing checks
//   build/runtime-tools/table.md              program | crun | lite-oci
//   build/runtime-tools/logs/<name>/<program>.{tap,err,calls}
// Used by test/integration/oci-runtime-tools.test.ts, and by hand (root):
//   bun test/support/runtime-tools.ts run crun /usr/bin/crun [program...]
//   bun test/support/runtime-tools.ts table
//
// How the programs run (validation/util): each reads ./runtimetest and
// ./rootfs-<goarch>.tar.gz from its cwd (the build dir), unpacks bundles with
// os.MkdirTemp (TMPDIR, here build/runtime-tools/work/<name>/<program>), and calls
// $RUNTIME create/start/state/kill/delete with no --root. $RUNTIME is a small wrapper
// that logs each call (logs/<name>/<program>.calls) and execs the runtime with
// --root build/runtime-tools/work/<name>/root: the suite's containers never mix with the
// host's, and after each program everything left there is deleted (list -q, delete
// --force), mounts under the work dir are unmounted, the suite's cgroups removed.

import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync, chmodSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO = resolve(import.meta.dirname, '../..')
export const OUT = join(REPO, 'build/runtime-tools')
const BUILD_SCRIPT = join(REPO, 'test/support/runtime-tools.sh')
const HUGETLB = join(REPO, 'bench/lib/hugetlb.sh')

export interface ProgramResult {
  pass: number
  fail: number
  skip: number
  /** Real TAP test points (pass, fail and skip counts may include one made up from the exit). */
  points: number
  /** The failing checks' names (TAP descriptions, or why the program itself failed). */
  failures: string[]
  exit: number | null
  signal: string | null
  timedOut: boolean
  ms: number
  /** What the clean-up found left behind after the program: containers, mounts, cgroups. */
  leftovers: string[]
  /** Where hugetlb was after the program, when not where it was at the run's start (something else moved it). */
  hugetlb?: string
  /** Set when the program failed once and was run again: the first run's failures (a flaky program). */
  firstFailures?: string[]
}

export interface SuiteResult {
  name: string
  runtime: string
  version: string
  suite: string
  /** Where the hugetlb controller was during the run ("cgroup v1": crun 1.8 needs it there on a hybrid host). */
  hugetlb: string
  ms: number
  programs: Record<string, ProgramResult>
}

/** Builds the suite (idempotent, bounded); returns its directory. */
export function buildSuite(timeoutMs = 600_000): { dir: string; ms: number; log: string } {
  const start = Date.now()
  const r = spawnSync('bash', [BUILD_SCRIPT], { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] })
  const dir = (r.stdout ?? '').trim().split('\n').pop() ?? ''
  if (r.status !== 0 || !existsSync(join(dir, 'runtimetest'))) {
    throw new Error(`runtime-tools build failed (${r.signal ?? r.status}):\n${(r.stderr ?? '').slice(-4000)}`)
  }
  return { dir, ms: Date.now() - start, log: r.stderr }
}

/** The validation programs in a build dir (everything in bin/ but runtimetest). */
export function programs(dir: string): string[] {
  return readdirSync(join(dir, 'bin'))
    .filter((f) => !f.startsWith('.') && f !== 'runtimetest')
    .sort()
}

// ---- TAP ----

const POINT = /^(not )?ok\b(?:\s+\d+)?(?:\s*-)?\s*(.*?)\s*$/

/**
 * Counts one program's TAP (tap-go: possibly several "TAP version 13" streams, the
 * inner runtimetest's TAP pasted in). A point's directive "# SKIP" (or "# TODO") is a
 * skip. Some programs report a failure only as a YAML block with an "error" key that
 * follows no test point (the hook programs, state): each such block is a failure.
 * A program that exits non-zero, times out, or bails out fails too; one that exits 0
 * having printed no test point and no error counts as one pass.
 */
export function parseTap(out: string, exit: { code: number | null; signal: string | null; timedOut: boolean; stderr: string; ms?: number }): Omit<ProgramResult, 'leftovers' | 'ms'> {
  const r = { pass: 0, fail: 0, skip: 0, points: 0, failures: [] as string[], exit: exit.code, signal: exit.signal, timedOut: exit.timedOut }
  const lines = out.split('\n')
  let afterPoint = false
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    const m = POINT.exec(line)
    if (m) {
      afterPoint = true
      r.points++
      const [desc, directive] = splitDirective(m[2])
      if (directive) r.skip++
      else if (m[1]) {
        r.fail++
        r.failures.push(desc || `test point ${r.pass + r.fail + r.skip}`)
      } else r.pass++
      continue
    }
    if (/^\s+---\s*$/.test(line)) {
      const block: string[] = []
      for (i++; i < lines.length && !/^\s+\.\.\.\s*$/.test(lines[i]); i++) block.push(lines[i])
      if (!afterPoint) {
        const error = yamlError(block.join('\n'))
        if (error) {
          r.fail++
          r.failures.push(error)
        }
      }
      afterPoint = false
      continue
    }
    if (/^Bail out!/.test(line)) {
      r.fail++
      r.failures.push(line)
    }
  }
  // util.Fatal's error is the last line; the runtime's own message (after "failed to
  // create the container") comes before it.
  const lastErr = exit.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(exit status \d+|Refer to: .*)$/.test(l))
    .slice(-2)
    .join(' | ')
    .slice(0, 400)
  if (exit.timedOut) {
    r.fail++
    r.failures.push(`timed out after ${Math.round((exit.ms ?? 0) / 1000)} s${lastErr ? `: ${lastErr}` : ''}`)
  } else if (exit.code !== 0) {
    r.fail++
    r.failures.push(`exit ${exit.code ?? exit.signal}${lastErr ? `: ${lastErr}` : ''}`)
  } else if (r.pass + r.fail + r.skip === 0) r.pass++ // compare `points` to catch a program that ran nothing
  return r
}

function splitDirective(s: string): [string, string | undefined] {
  const m = /^(.*?)\s*#\s*(SKIP|TODO)\b\s*(.*)$/i.exec(s)
  return m ? [m[1] || m[3], m[2]] : [s, undefined]
}

/** The "error" of a tap-go YAML block (it writes JSON), first line only. */
function yamlError(text: string): string | undefined {
  try {
    const v = JSON.parse(text) as Record<string, unknown>
    if (typeof v.error === 'string' && v.error) return v.error.split('\n')[0]
  } catch {
    const m = /"error":\s*"((?:[^"\\]|\\.)*)"/.exec(text)
    if (m) return m[1].replace(/\\n.*/s, '')
  }
  return undefined
}

// ---- running ----

function sh(cmd: string, args: string[], timeout = 30_000) {
  return spawnSync(cmd, args, { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] })
}

/** A program in its own process group, killed as a group at `timeoutMs`. */
function runProgram(file: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number) {
  return new Promise<{ stdout: string; stderr: string; code: number | null; signal: string | null; timedOut: boolean }>((done) => {
    const child = spawn(file, [], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {}
    }
    const timer = setTimeout(() => {
      timedOut = true
      kill()
    }, timeoutMs)
    process.on('exit', kill) // the test killed meanwhile: not a program running on
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      process.off('exit', kill)
      kill() // stragglers of the group (an unshare'd sleep), if any
      done({ stdout, stderr, code, signal, timedOut })
    })
  })
}

/** Mount points at or under `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((p): p is string => !!p && (p === dir || p.startsWith(dir + '/')))
    .sort((a, b) => b.length - a.length)
}

/** The cgroups the suite's configs name (cgroups.AbsCgroupPath, RelCgroupPath), wherever they are left, deepest first. */
function suiteCgroups(): { path: string; rel: string }[] {
  const found: { path: string; rel: string }[] = []
  let hierarchies: string[] = []
  try {
    hierarchies = readdirSync('/sys/fs/cgroup').map((h) => join('/sys/fs/cgroup', h))
  } catch {}
  for (const h of ['/sys/fs/cgroup', ...hierarchies]) {
    for (const rel of ['testdir/cgrouptest/container', 'testdir/cgrouptest', 'testdir', 'cgrouptest']) {
      if (existsSync(join(h, rel, 'cgroup.procs'))) found.push({ path: join(h, rel), rel })
    }
  }
  return found
}

/** The bundles' stderr-* files (create's stderr), each headed by its bundle. */
function createStderr(tmp: string): string {
  let out = ''
  for (const bundle of readdirSync(tmp)) {
    let files: string[] = []
    try {
      files = readdirSync(join(tmp, bundle)).filter((f) => f.startsWith('stderr-'))
    } catch {}
    for (const f of files) {
      const text = readFileSync(join(tmp, bundle, f), 'utf8')
      if (text.trim()) out += `== ${bundle}/${f}\n${text}${text.endsWith('\n') ? '' : '\n'}`
    }
  }
  return out
}

/** Deletes whatever one program left: containers in the suite's root, mounts, temp dirs, cgroups. */
function cleanUp(runtime: string, root: string, tmp: string): string[] {
  const left: string[] = []
  const list = sh(runtime, ['--root', root, 'list', '-q'])
  for (const id of (list.stdout ?? '').split('\n').map((s) => s.trim()).filter(Boolean)) {
    left.push(`container ${id}`)
    sh(runtime, ['--root', root, 'delete', '--force', id])
  }
  for (const m of mountsUnder(tmp)) {
    left.push(`mount ${m}`)
    sh('umount', ['-l', m])
  }
  const cgroups = suiteCgroups()
  for (const rel of new Set(cgroups.map((c) => c.rel))) left.push(`cgroup ${rel} (in ${cgroups.filter((c) => c.rel === rel).length} hierarchies)`)
  for (const { path: cg } of cgroups) {
    for (const p of readFileSync(join(cg, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      try {
        process.kill(Number(p), 'SIGKILL')
      } catch {}
    }
    spawnSync('rmdir', [cg])
  }
  rmSync(tmp, { recursive: true, force: true })
  return left
}

// ---- hugetlb (crun 1.8.1 refuses this hybrid host while cgroup2 holds hugetlb) ----

/** Binds hugetlb to a v1 hierarchy (bench/lib/hugetlb.sh); `moved` when this call moved it. */
export function hugetlbToV1(): { moved: boolean; log: string } {
  const r = sh('bash', ['-c', `source ${HUGETLB}; hugetlb_to_v1 >&2; echo "moved=$hugetlb_moved"`])
  return { moved: /moved=1/.test(r.stdout ?? ''), log: (r.stderr ?? '').trim() }
}

/** Gives hugetlb back to cgroup2 (after hugetlbToV1 moved it); what hugetlb.sh said. */
export function hugetlbRestore(): string {
  return (sh('bash', ['-c', `source ${HUGETLB}; hugetlb_moved=1; hugetlb_restore >&2`], 60_000).stderr ?? '').trim()
}

/** Where hugetlb is now: "cgroup v1 (mounted)", "cgroup v1 (not mounted)" or "cgroup2". */
export function hugetlbPlace(): string {
  const line = readFileSync('/proc/cgroups', 'utf8').split('\n').find((l) => l.startsWith('hugetlb\t'))
  if (!line) return 'none'
  if (line.split('\t')[1] === '0') return 'cgroup2'
  const mounted = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => / - cgroup \S+ \S*\bhugetlb\b/.test(l))
  return `cgroup v1 (${mounted ? 'mounted' : 'not mounted'})`
}

/**
 * Runs `fn` with hugetlb on v1, restoring it afterwards, also on SIGINT/SIGTERM and exit;
 * `note` gets what hugetlb.sh said.
 */
export async function withHugetlbOnV1<T>(fn: () => Promise<T>, note: (msg: string) => void = () => {}): Promise<T> {
  const to = hugetlbToV1()
  if (to.log) note(to.log)
  let restored = !to.moved
  const restore = () => {
    if (!restored) {
      restored = true
      const log = hugetlbRestore()
      if (log) note(log)
    }
  }
  const onSignal = (sig: NodeJS.Signals) => {
    restore()
    process.kill(process.pid, sig)
  }
  process.on('exit', restore)
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    return await fn()
  } finally {
    restore()
    process.off('exit', restore)
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

export interface RunOptions {
  /** The build dir (buildSuite().dir). */
  dir: string
  /** Only these programs (default: all). */
  only?: string[]
  perProgramMs?: number
  /** After this, the remaining programs are not started (each recorded as a failure). */
  totalMs?: number
  /** Move hugetlb to cgroup v1 around the run (crun 1.8 on a hybrid host). Default: when the runtime is crun. */
  hugetlbV1?: boolean
  /**
   * Runs again of a program that failed (default 2): the suite has races of its own
   * (poststart's hook vs the process, poststart_fail), and crun passes those about one
   * run in two; a program fails only when it fails every time. Flaky ones are marked.
   * One retry was not enough on a loaded CI machine (poststart failed twice there).
   */
  retries?: number
  log?: (line: string) => void
}

/** Runs the validation programs against one runtime; writes results-<name>.json. */
export async function runSuite(name: string, runtime: string, opts: RunOptions): Promise<SuiteResult> {
  const hugetlb = opts.hugetlbV1 ?? basename(realpathSync(runtime)) === 'crun'
  return hugetlb ? withHugetlbOnV1(() => runAll(name, runtime, opts)) : runAll(name, runtime, opts)
}

async function runAll(name: string, runtime: string, opts: RunOptions): Promise<SuiteResult> {
  const perProgramMs = opts.perProgramMs ?? 120_000
  const retries = opts.retries ?? 2
  const totalMs = opts.totalMs ?? 600_000
  const log = opts.log ?? (() => {})
  const work = join(OUT, 'work', name)
  const logs = join(OUT, 'logs', name)
  const root = join(work, 'root')
  rmSync(logs, { recursive: true, force: true })
  cleanUp(runtime, root, join(work, 'tmp')) // a previous, interrupted run's
  mkdirSync(logs, { recursive: true })
  mkdirSync(root, { recursive: true })

  // $RUNTIME for the programs: logs the call, then the runtime with the suite's --root.
  const wrapper = join(work, 'runtime')
  writeFileSync(wrapper, `#!/bin/sh\necho "$*" >>"$RUNTIME_TOOLS_CALLS"\nexec '${runtime}' --root '${root}' "$@"\n`)
  chmodSync(wrapper, 0o755)

  const version = (sh(runtime, ['--version'], 10_000).stdout ?? '').split('\n')[0].trim()
  const result: SuiteResult = { name, runtime, version, suite: basename(opts.dir), hugetlb: hugetlbPlace(), ms: 0, programs: {} }

  // One run of a program: its TAP, stderr and runtime calls under logs/ (SUFFIX for a
  // second attempt), then the clean-up.
  const runOnce = async (program: string, suffix: string): Promise<ProgramResult> => {
    const tmp = join(work, 'tmp', program)
    mkdirSync(tmp, { recursive: true })
    const calls = join(logs, `${program}${suffix}.calls`)
    writeFileSync(calls, '')
    const t0 = Date.now()
    const env = { ...process.env, RUNTIME: wrapper, TMPDIR: tmp, RUNTIME_TOOLS_CALLS: calls }
    const out = await runProgram(join(opts.dir, 'bin', program), opts.dir, env, perProgramMs)
    const ms = Date.now() - t0
    writeFileSync(join(logs, `${program}${suffix}.tap`), out.stdout)
    writeFileSync(join(logs, `${program}${suffix}.err`), out.stderr)
    // What the runtime's `create` printed (the util keeps it in the bundle, and prints it
    // only in some cases): saved before the clean-up removes the bundles.
    writeFileSync(join(logs, `${program}${suffix}.create-stderr`), createStderr(tmp))
    const r: ProgramResult = { ...parseTap(out.stdout, { ...out, ms }), ms, leftovers: cleanUp(runtime, root, tmp) }
    const place = hugetlbPlace()
    return place === result.hugetlb ? r : { ...r, hugetlb: place }
  }

  const start = Date.now()
  for (const program of opts.only ?? programs(opts.dir)) {
    let first: ProgramResult | undefined
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (Date.now() - start > totalMs) {
        if (!first) result.programs[program] = { pass: 0, fail: 1, skip: 0, points: 0, failures: [`not run: the suite's ${totalMs / 1000} s bound was spent`], exit: null, signal: null, timedOut: true, ms: 0, leftovers: [] }
        break
      }
      const r = await runOnce(program, attempt ? `.${attempt + 1}` : '')
      log(`${name} ${program}${attempt ? ` (again)` : ''}: ${r.pass} pass, ${r.fail} fail, ${r.skip} skip (${(r.ms / 1000).toFixed(1)} s)${r.leftovers.length ? `; cleaned up: ${r.leftovers.join(', ')}` : ''}`)
      result.programs[program] = first ? { ...r, firstFailures: first.failures } : r
      if (!r.fail) break
      first ??= r
    }
  }
  result.ms = Date.now() - start
  writeFileSync(join(OUT, `results-${name}.json`), JSON.stringify(result, null, 2) + '\n')
  return result
}

// ---- the table ----

export function readResults(name: string): SuiteResult | undefined {
  try {
    return JSON.parse(readFileSync(join(OUT, `results-${name}.json`), 'utf8')) as SuiteResult
  } catch {
    return undefined
  }
}

const cell = (p?: ProgramResult) => (p ? `${p.pass}/${p.fail}/${p.skip}${p.timedOut ? ' (timeout)' : ''}${p.firstFailures && !p.fail ? ' (flaky: passed when run again)' : ''}` : '—')

/** program | <a> pass/fail/skip | <b> pass/fail/skip, with the failing checks below. */
export function writeTable(a: SuiteResult | undefined, b: SuiteResult | undefined, path = join(OUT, 'table.md')): string {
  const [na, nb] = [a?.name ?? 'crun', b?.name ?? 'lite-oci']
  const names = [...new Set([...Object.keys(a?.programs ?? {}), ...Object.keys(b?.programs ?? {})])].sort()
  const lines = [
    `# runtime-tools validation: ${na} and ${nb}`,
    '',
    `Suite ${a?.suite ?? b?.suite}. ${[a, b].filter(Boolean).map((r) => `${r!.name}: ${r!.version || r!.runtime}, ${(r!.ms / 1000).toFixed(0)} s, hugetlb on ${r!.hugetlb}`).join('; ')}.`,
    '',
    `| program | ${na} pass/fail/skip | ${nb} pass/fail/skip |`,
    '| --- | --- | --- |',
    ...names.map((n) => `| ${n} | ${cell(a?.programs[n])} | ${cell(b?.programs[n])} |`),
    '',
    '## Failing checks',
    '',
  ]
  for (const n of names) {
    for (const r of [a, b]) {
      const p = r?.programs[n]
      if (p?.fail) lines.push(`- ${n} (${r!.name}): ${[...new Set(p.failures)].join('; ')}`)
      else if (p?.firstFailures) lines.push(`- ${n} (${r!.name}): passed when run again; the first run failed: ${[...new Set(p.firstFailures)].join('; ')}`)
    }
  }
  const text = lines.join('\n') + '\n'
  mkdirSync(OUT, { recursive: true })
  writeFileSync(path, text)
  return text
}

// ---- by hand ----

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [cmd, name, runtime, ...only] = process.argv.slice(2)
  if (cmd === 'build') console.log(buildSuite().dir)
  else if (cmd === 'run' && name && runtime) {
    const { dir } = buildSuite()
    const r = await runSuite(name, runtime, { dir, only: only.length ? only : undefined, log: console.log })
    console.log(`${name}: ${(r.ms / 1000).toFixed(0)} s -> ${join(OUT, `results-${name}.json`)}`)
  } else if (cmd === 'table') console.log(writeTable(readResults(name ?? 'crun'), readResults(runtime ?? 'lite-oci')))
  else {
    console.error('usage: runtime-tools.ts build | run NAME RUNTIME [program...] | table [NAME-A NAME-B]')
    process.exit(2)
  }
}
