// The board boot test's helpers: read a board definition (boards/NAME.ini), build its
// firmware (scripts/firmware --with-tests), boot it in qemu and collect the serial
// console until the VM powers off or the time is up.

import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import ini from 'ini'

export const REPO = join(import.meta.dirname, '..', '..')

export interface Board {
  name: string
  arch: string
  qemuSystem: string
  qemuArgs: string[]
  accel: string
  cmdline: string
}

export function readBoard(name: string): Board {
  const b = ini.parse(readFileSync(join(REPO, 'boards', `${name}.ini`), 'utf8'))
  return {
    name,
    arch: b.board.arch,
    qemuSystem: b.qemu.system,
    qemuArgs: String(b.qemu.args).split(/\s+/).filter(Boolean),
    accel: b.qemu.accel || 'tcg',
    cmdline: b.kernel.cmdline,
  }
}

/** Builds the test firmware; returns its directory, or the build's output on failure. */
export function buildFirmware(board: string): { dir?: string; log: string } {
  const r = spawnSync('bash', ['scripts/firmware', board, '--with-tests'], { cwd: REPO, encoding: 'utf8', timeout: 15 * 60_000 })
  const log = `${r.stdout ?? ''}${r.stderr ?? ''}`
  const dir = join(REPO, 'build/firmware', `${board}-test`)
  return r.status === 0 && existsSync(join(dir, 'initramfs.cpio.gz')) ? { dir, log } : { log }
}

export interface Boot {
  /** every line of the serial console */
  lines: string[]
  /** qemu's exit code, or null when the time ran out (qemu was killed) */
  code: number | null
  timedOut: boolean
  seconds: number
  /** from qemu's start to the console line of the container's marker (host clock) */
  markerSeconds?: number
  /** the guest kernel's Oops, panic or soft lockup line, if it had one (qemu is stopped soon after) */
  oops?: string
}

/** What to boot: a kernel directory, its initramfs, its command line, and qemu arguments besides the board's. */
export interface BootImage {
  dir: string
  initrd: string
  cmdline: string
  qemu: string[]
}

/**
 * A guest kernel that oopsed hangs or stalls: its line, and a few seconds for the trace.
 * A soft lockup is a hang too: under TCG both vCPUs have once stuck at the same moment
 * (RCU's kthread starved, then "soft lockup - CPU#0 stuck for 44s"), and the VM never
 * came back within the boot's timeout.
 */
const OOPS = /Internal error: Oops|Kernel panic - not syncing|BUG: soft lockup/
const OOPS_GRACE_MS = 3000

/** Builds the disk form of the test firmware (scripts/firmware BOARD --with-tests --disk). */
export function buildDiskFirmware(board: string): { dir?: string; log: string } {
  const r = spawnSync('bash', ['scripts/firmware', board, '--with-tests', '--disk'], { cwd: REPO, encoding: 'utf8', timeout: 15 * 60_000 })
  const log = `${r.stdout ?? ''}${r.stderr ?? ''}`
  const dir = join(REPO, 'build/firmware', `${board}-test`)
  return r.status === 0 && existsSync(join(dir, 'disk.img')) && existsSync(join(dir, 'initramfs-disk.cpio.gz')) ? { dir, log } : { log }
}

/**
 * Called with each whole console line as it arrives; `stop` kills qemu at once (the
 * power-cut test cuts the disk first, then stops the VM).
 */
export type LineWatcher = (line: string, stop: () => void) => void

/** Boots an image with extra kernel arguments; kills qemu after timeoutMs, or soon after a kernel Oops. */
export function bootFirmware(board: Board, image: BootImage, extraCmdline: string, timeoutMs: number, watch?: LineWatcher): Promise<Boot> {
  const args = [
    ...board.qemuArgs,
    // -machine accel=kvm:tcg: KVM where /dev/kvm works for this arch, else TCG (qemu 7.2
    // has no -accel kvm:tcg).
    '-machine', `accel=${board.accel}`,
    '-kernel', join(image.dir, 'vmlinuz'),
    '-initrd', image.initrd,
    '-append', `${image.cmdline} ${extraCmdline}`.trim(),
    ...image.qemu,
  ]
  const started = Date.now()
  return new Promise((resolve) => {
    const qemu = spawn(board.qemuSystem, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let markerSeconds: number | undefined
    let oops: string | undefined
    let timedOut = false
    let partial = ''
    const stop = () => qemu.kill('SIGKILL')
    const take = (d: string) => {
      out += d
      if (watch) {
        const lines = (partial + d).split(/\r?\n/)
        partial = lines.pop()!
        for (const l of lines) watch(l, stop)
      }
      if (markerSeconds === undefined && out.includes('LITE-MARKER')) markerSeconds = (Date.now() - started) / 1000
      // The chunk and the end of what came before it: the line may arrive in pieces.
      if (oops === undefined && OOPS.test(out.slice(-(d.length + 64)))) {
        oops = out.split(/\r?\n/).find((l) => OOPS.test(l)) ?? 'Oops'
        setTimeout(() => qemu.kill('SIGKILL'), OOPS_GRACE_MS)
      }
    }
    qemu.stdout.setEncoding('utf8').on('data', take)
    qemu.stderr.setEncoding('utf8').on('data', take)
    const timer = setTimeout(() => {
      timedOut = true
      qemu.kill('SIGKILL')
    }, timeoutMs)
    qemu.on('close', (code) => {
      clearTimeout(timer)
      resolve({ lines: out.split(/\r?\n/), code, timedOut, seconds: (Date.now() - started) / 1000, markerSeconds, oops })
    })
  })
}

/** LITE-CHECK lines: name -> { ok, detail }. */
export function checks(lines: string[]): Map<string, { ok: boolean; detail: string }> {
  const m = new Map<string, { ok: boolean; detail: string }>()
  for (const l of lines) {
    const r = /LITE-CHECK (\S+) (ok|FAIL) ?(.*)$/.exec(l)
    if (r) m.set(r[1], { ok: r[2] === 'ok', detail: r[3] })
  }
  return m
}

/** The key=value pairs of the first line holding marker. */
export function fields(lines: string[], marker: string): Record<string, string> | undefined {
  const line = lines.find((l) => l.includes(marker))
  if (!line) return undefined
  const out: Record<string, string> = {}
  for (const m of line.slice(line.indexOf(marker)).matchAll(/(\w+)=(\S*)/g)) out[m[1]] = m[2]
  return out
}

export function commandExists(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0
}
