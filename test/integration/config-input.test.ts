// Config input that must never make lite hang, grow without bound or reach the host
// (issue 12, defects 4, 5, 12, 13 and 14), against the real dist/lite: every case
// ends with a clear FILE:LINE error (exit 1 for lite check, 125 for lite run), in
// bounded time and under a bounded address space, and a run leaves nothing behind.

import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { BUSYBOX, LITE, assertNoLeaks, lite, requireRootAndBuild, snapshotHost, writeConfig, type Result } from '../support/integration.ts'

/** lite runs about 60 MiB resident; 1 GiB of address space is far above that and far below what /dev/zero took (16.8 GB). */
const ADDRESS_SPACE_LIMIT = 1024 * 1024 * 1024
/** Generous: each of these takes well under a second on a quiet machine. */
const TIME_LIMIT_MS = 5000

/** lite under an address-space cap (prlimit), with its wall time. */
function boundedLite(args: string[], timeout = 20_000): Result & { ms: number } {
  const started = Date.now()
  const r = spawnSync('prlimit', [`--as=${ADDRESS_SPACE_LIMIT}`, LITE, ...args], { encoding: 'utf8', timeout })
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: Date.now() - started }
}

function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`mkfifo ${path}: ${r.stderr}`)
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** `lite check` then `lite run` of one bad config: both refuse it at `line` (0: the file as a whole), run leaves nothing. */
async function refusedByCheckAndRun(t: Test, file: string, line: number, message: RegExp): Promise<void> {
  const where = escapeRe(file) + (line > 0 ? `:${line}` : '')
  const check = boundedLite(['check', file])
  t.equal(check.code, 1, 'lite check exits 1')
  t.match(check.stderr, new RegExp(`^lite: error: ${where}: ${message.source}`, 'm'), 'check: FILE:LINE and why')
  t.ok(check.ms < TIME_LIMIT_MS, `check took ${check.ms} ms`)

  const before = snapshotHost()
  const run = boundedLite(['run', file, '--', '/bin/echo', 'the app ran'])
  t.equal(run.code, 125, 'lite run exits 125')
  t.match(run.stderr, new RegExp(`^lite: error: ${where}: ${message.source}`, 'm'), 'run: FILE:LINE and why')
  t.equal(run.stdout, '', 'the app never ran')
  t.ok(run.ms < TIME_LIMIT_MS, `run took ${run.ms} ms`)
  await assertNoLeaks(t, before)
}

if (requireRootAndBuild(t)) {
  t.test('/dev/zero as the config: refused at once, not read', async (t) => {
    await refusedByCheckAndRun(t, '/dev/zero', 0, /a character device, not a regular file/)
  })

  t.test('a FIFO as the config: refused, no hang', async (t) => {
    const cfg = writeConfig(t, '')
    const fifo = join(cfg.dir, 'fifo.ini')
    mkfifo(fifo)
    await refusedByCheckAndRun(t, fifo, 0, /a FIFO, not a regular file/)
  })

  t.test('a config larger than 1 MiB is refused before it is parsed', async (t) => {
    const cfg = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n`)
    writeFileSync(cfg.path, readFileSync(cfg.path, 'utf8') + `# ${'x'.repeat(2 * 1024 * 1024)}\n`)
    await refusedByCheckAndRun(t, cfg.path, 0, /larger than 1 MiB, the most lite reads of a config file/)
  })

  t.test('[security] seccomp = /dev/zero, or a FIFO: FILE:LINE, no kill', async (t) => {
    const cfg = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n[security]\nseccomp = /dev/zero\n`)
    await refusedByCheckAndRun(t, cfg.path, 8, /\[security\] seccomp: \/dev\/zero: a character device, not a regular file/)
    const fifo = join(cfg.dir, 'profile.json')
    mkfifo(fifo)
    writeFileSync(cfg.path, readFileSync(cfg.path, 'utf8').replace('seccomp = /dev/zero', 'seccomp = profile.json'))
    await refusedByCheckAndRun(t, cfg.path, 8, /\[security\] seccomp: profile\.json: a FIFO, not a regular file/)
  })

  t.test('20,000 env[] lines: checked in seconds, and the container gets them all', async (t) => {
    const env = Array.from({ length: 20_000 }, (_, i) => `env[] = VAR_${i}=value-${i}`).join('\n')
    const cfg = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n${env}\n`)
    const check = boundedLite(['check', cfg.path])
    t.equal(check.code, 0, check.stderr)
    t.ok(check.ms < TIME_LIMIT_MS, `lite check took ${check.ms} ms (31 s before the fix)`)
    const before = snapshotHost()
    const run = lite(['run', cfg.path, '--', '/bin/sh', '-c', 'echo "$VAR_0 $VAR_19999"; env | grep -c ^VAR_'])
    t.equal(run.code, 0, run.stderr)
    t.equal(run.stdout, 'value-0 value-19999\n20000\n')
    await assertNoLeaks(t, before)
  })

  t.test('a 2 MiB key name: no "did you mean" blow-up', async (t) => {
    // within the file cap: the name's own bound answers
    const name = 'k'.repeat(500 * 1000)
    const cfg = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n${name} = 1\n[${name}]\n`)
    await refusedByCheckAndRun(t, cfg.path, 7, /key "k+…k+" is 500000 characters long; a name is at most 128/)
    const both = boundedLite(['check', cfg.path])
    t.match(both.stderr, new RegExp(`^lite: error: ${escapeRe(cfg.path)}:8: section name "k+…k+" is 500000 characters long`, 'm'))
    t.ok(both.stderr.length < 2000, 'the names are cut in the messages')
    // 2 MiB: the file cap answers first
    writeFileSync(cfg.path, `[rootfs]\npath = ${BUSYBOX}\n[exec]\ncmd = /bin/true\n${'k'.repeat(2 * 1024 * 1024)} = 1\n`)
    await refusedByCheckAndRun(t, cfg.path, 0, /larger than 1 MiB/)
  })

  t.test('[mount] of a procfs, sysfs or cgroup: refused at its line, nothing mounted', async (t) => {
    for (const [type, why] of [
      ['proc', /the type "proc" is refused: lite mounts the container's own \/proc, with host paths masked and \/proc\/sys read-only; a second procfs would have neither\. Use \/proc/],
      ['sysfs', /the type "sysfs" is refused: .*Use \/sys/],
      ['cgroup2', /the type "cgroup2" is refused: .*\[resources\], \[cgroup\] or \[cgroup2\]/],
      ['debugfs', /the type "debugfs" is refused: /],
    ] as const) {
      const cfg = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n[mount]\nentry[] = tmpfs /tmp tmpfs size=1M\nentry[] = ${type} /mnt/x ${type} nosuid,create=dir\n`)
      await refusedByCheckAndRun(t, cfg.path, 9, new RegExp(`\\[mount\\] entry: ${why.source}`))
    }
  })

  t.test('raw cgroup keys that move processes or open devices: refused, the decoy process untouched', async (t) => {
    // a decoy host process that cgroup.procs would have pulled into the container's cgroup, and killed at clean-up
    const decoy = spawn('sleep', ['60'], { stdio: 'ignore' })
    t.teardown(() => {
      decoy.kill('SIGKILL')
    })
    const cgroupBefore = readFileSync(`/proc/${decoy.pid}/cgroup`, 'utf8')
    for (const [section, key, value, why] of [
      ['cgroup2', 'cgroup.procs', String(decoy.pid), /takes a pid and would move that host process/],
      ['cgroup', 'tasks', String(decoy.pid), /takes a pid/],
      ['cgroup', 'devices.allow', 'a *:* rwm', /pass devices with \[devices\] allow\[\]/],
      ['cgroup', 'release_agent', '/bin/true', /a host program that the kernel runs as root/],
    ] as const) {
      const cfg = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n[${section}]\n${key} = ${value}\n`)
      await refusedByCheckAndRun(t, cfg.path, 8, new RegExp(`\\[${section}\\] ${escapeRe(key)}: not a limit: .*${why.source}`))
    }
    t.ok(existsSync(`/proc/${decoy.pid}`), 'the decoy still runs')
    t.equal(readFileSync(`/proc/${decoy.pid}/cgroup`, 'utf8'), cgroupBefore, 'in its own cgroups')
  })

  t.test('control characters in a config never reach the terminal', async (t) => {
    const cfg = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\nuser = \x1b[2J\x1b[31mowned\x07${'x'.repeat(3000)}\n`)
    const check = boundedLite(['check', cfg.path])
    t.equal(check.code, 1)
    t.notMatch(check.stderr, /[\x00-\x09\x0b-\x1f\x7f]/, 'no control byte but newlines')
    t.match(check.stderr, new RegExp(`^lite: error: ${escapeRe(cfg.path)}:7: \\[exec\\] user: "\\\\x1b\\[2J\\\\x1b\\[31mowned\\\\x07x+…x+" is not uid`, 'm'))
    t.ok(check.stderr.length < 1000, 'the long value is cut')
  })
}
