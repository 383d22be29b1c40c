// Field updates on the disk firmware (scripts/firmware BOARD --with-tests --disk), in
// qemu: the update flow, and power cuts during it.
//
// 1. One boot with lite.test=update (test/boards/vm/updatetest.sh): a tampered image is
//    refused and the old container keeps running; an image whose health check fails is
//    rolled back on its own; a good one is committed, in place (the init script's
//    process stays); lite rollback goes back.
// 2. Power cuts. The data disk is served by test/support/cut-disk.ts over NBD: writes
//    that no FLUSH or FUA covered are lost at the cut ('drop'), or a random subset of
//    them survives ('random', seeded: reordering, as a disk cache does). A cut lands
//    either right after a named phase of lite update is recorded (LITE_UPDATE_CRASH_AT
//    kills lite update there, then the VM says so and the host cuts), or after a random
//    delay from the update's start. The disk then boots again (lite.test=aftercut): the
//    container runs on the old image or the new one with that image's files, lite image
//    verify finds every digest right, lite image ls works, and a prune leaves no orphan.
//    How many cuts landed in each phase (read from the container's record after the
//    boot) is reported.
// Bounded: each boot has a timeout, and the file a time budget. CI runs qemu-x86_64 (KVM
// where it works): the update boot, every named phase once and LITE_CUT_RANDOM (3)
// random cuts, half on cgroup v1. scripts/power-cuts runs a longer series on any board.

import t, { type Test } from 'tap'
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO, type Board, type Boot, bootFirmware, buildDiskFirmware, checks, commandExists, readBoard } from '../support/boards.ts'
import { startCutDisk, type CutStats } from '../support/cut-disk.ts'

const BOARDS = (process.env.LITE_CUT_BOARDS ?? 'qemu-x86_64').split(',').filter(Boolean)
const RANDOM_CUTS = Number(process.env.LITE_CUT_RANDOM ?? 3)
/** The named cuts: a phase of lite update, and the image that reaches it. */
const NAMED = (process.env.LITE_CUT_PHASES ?? 'next-recorded,restarting,checking,committed,rolling-back').split(',').filter(Boolean)
const SEED = Number(process.env.LITE_CUT_SEED ?? 1)
const BUDGET_MS = Number(process.env.LITE_CUT_BUDGET_MIN ?? 18) * 60_000
const deadline = Date.now() + BUDGET_MS
/** Per board: one boot's timeout, and the window a random cut falls in after the update starts. */
const TIMING: Record<string, { bootMs: number; windowMs: number }> = {
  'qemu-x86_64': { bootMs: 4 * 60_000, windowMs: 9000 },
  'qemu-aarch64-virt': { bootMs: 10 * 60_000, windowMs: 40_000 },
}
const figures = join(REPO, 'build/boards/power-cuts.txt')
mkdirSync(join(REPO, 'build/boards'), { recursive: true })
appendFileSync(figures, `# test/boards/power-cut.test.ts, ${new Date().toISOString()}, seed ${SEED}\n`)

/** mulberry32: the random cuts replay from LITE_CUT_SEED. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

interface Firmware {
  dir: string
  initrd: string
  cmdline: string
  disk: string
  /** version -> manifest digest (DIGESTS) */
  digests: Record<string, string>
}

/** The disk firmware, built unless the boot test's build is there and newer than lite. */
function diskFirmware(name: string): Firmware | string {
  const dir = join(REPO, 'build/firmware', `${name}-test`)
  const fresh = (() => {
    try {
      return statSync(join(dir, 'disk.img')).mtimeMs > statSync(join(REPO, 'dist/lite')).mtimeMs && statSync(join(dir, 'root/usr/share/lite/images/DIGESTS')).isFile()
    } catch {
      return false
    }
  })()
  if (!fresh) {
    const r = buildDiskFirmware(name)
    if (!r.dir) return `scripts/firmware ${name} --with-tests --disk failed:\n${r.log.slice(-3000)}`
  }
  const digests = Object.fromEntries(readFileSync(join(dir, 'root/usr/share/lite/images/DIGESTS'), 'utf8').trim().split('\n').map((l) => l.split(' ') as [string, string]))
  return { dir, initrd: join(dir, 'initramfs-disk.cpio.gz'), cmdline: readFileSync(join(dir, 'cmdline-disk'), 'utf8').trim(), disk: join(dir, 'disk.img'), digests }
}

const fileDrive = (file: string) => ['-drive', `file=${file},if=none,format=raw,id=d0`, '-device', 'virtio-blk-pci,drive=d0']
// The NBD drive: a writeback cache in the guest's view, so that the guest sends FLUSH.
const nbdDrive = (socket: string) => ['-blockdev', `driver=nbd,server.type=unix,server.path=${socket},node-name=d0`, '-device', 'virtio-blk-pci,drive=d0,write-cache=on']

/** Boots; a KVM that fails (nested virtualisation) gets TCG for this board from then on. */
async function boot(board: Board, fw: Firmware, qemu: string[], extra: string, timeoutMs: number, watch?: Parameters<typeof bootFirmware>[4]): Promise<Boot> {
  const image = { dir: fw.dir, initrd: fw.initrd, cmdline: fw.cmdline, qemu }
  const vm = await bootFirmware(board, image, extra, timeoutMs, watch)
  if (!vm.timedOut && !vm.lines.some((l) => l.includes('LITE-')) && vm.lines.some((l) => /kvm/i.test(l)) && board.accel !== 'tcg') {
    board.accel = 'tcg'
    return bootFirmware(board, image, extra, timeoutMs, watch)
  }
  return vm
}

/** Every LITE-CHECK of a boot as a test point; the console's end when one failed. */
function reportChecks(t: Test, vm: Boot, expected: string[]): void {
  const results = checks(vm.lines)
  const tail = vm.lines.slice(-80).join('\n')
  t.notOk(vm.timedOut, `powered off within the timeout (${vm.seconds.toFixed(0)} s)`, vm.timedOut ? { tail } : {})
  t.notOk(vm.oops, `no kernel oops${vm.oops ? `: ${vm.oops}` : ''}`)
  for (const name of expected) {
    const c = results.get(name)
    t.ok(c?.ok, `${name}${c ? `: ${c.detail}` : ': no result (the VM did not get that far)'}`, c?.ok ? {} : { tail })
  }
}

/** Which phase a cut landed in, from the container's record after the boot that followed. */
function phaseOf(record: string | undefined, digests: Record<string, string>): string {
  let r: { current?: string; last?: { result?: string; to?: string; reason?: string } | null }
  try {
    r = JSON.parse(record ?? '')
  } catch {
    return 'no record'
  }
  const last = r.last
  if (last?.result === 'interrupted') return /in phase (\S+);/.exec(last.reason ?? '')?.[1] ?? 'interrupted'
  if (last?.result === 'committed' && last.to === digests['2']) return 'committed'
  if (last?.result === 'rolled-back') return 'rolled back (done)'
  return 'before the record (bringing the image in)'
}

const UPDATE_CHECKS = ['update-healthy-at-boot', 'update-image-from-store', 'update-tampered-refused', 'update-unhealthy-rolled-back', 'update-good-committed', 'update-same-service', 'update-rollback', 'update-store-verified']
const AFTERCUT_CHECKS = ['update-healthy-at-boot', 'aftercut-image', 'aftercut-verify', 'aftercut-image-ls', 'aftercut-prune-no-orphan', 'aftercut-ext4-clean']

for (const name of BOARDS) {
  t.test(name, async (t) => {
    const board = readBoard(name)
    if (!commandExists(board.qemuSystem)) return t.fail(`${board.qemuSystem} is not installed (scripts/setup --cross)`)
    const fw = diskFirmware(name)
    if (typeof fw === 'string') return t.fail(fw)
    const timing = TIMING[name] ?? TIMING['qemu-aarch64-virt']!
    const left = () => deadline - Date.now()
    const work = mkdtempSync(join(tmpdir(), 'lite-cut-'))
    t.teardown(() => rmSync(work, { recursive: true, force: true }))

    await t.test('lite update: tampered refused, unhealthy rolled back on its own, good committed, rollback', async (t) => {
      const disk = join(work, 'update.img')
      copyFileSync(fw.disk, disk)
      const vm = await boot(board, fw, fileDrive(disk), 'lite.cgroup=v2 lite.test=update', Math.min(timing.bootMs, left()))
      reportChecks(t, vm, UPDATE_CHECKS)
      const took = /update_good_seconds=(\d+)/.exec(vm.lines.join('\n'))?.[1]
      if (took) appendFileSync(figures, `${name}: a good update, lite update start to committed: ${took} s (in the VM)\n`)
      rmSync(disk, { force: true })
    })

    const rand = random(SEED)
    const cuts: { label: string; extra: string; mode: 'drop' | 'random'; delayMs?: number; expect?: string }[] = [
      ...NAMED.map((phase) => ({
        label: `cut after phase ${phase}`,
        extra: `lite.cut=${phase} lite.cutimage=${phase === 'rolling-back' ? 'bad' : '2'}`,
        mode: 'drop' as const,
        expect: phase === 'committed' ? '2' : '1',
      })),
      ...Array.from({ length: RANDOM_CUTS }, (_, i) => {
        const delayMs = Math.floor(rand() * timing.windowMs)
        const image = rand() < 0.25 ? 'bad' : '2'
        return { label: `random cut ${i + 1}: ${delayMs} ms after the update to ${image} starts`, extra: `lite.cut=random lite.cutimage=${image}`, mode: 'random' as const, delayMs, expect: image === 'bad' ? '1' : undefined }
      }),
    ]
    const landed = new Map<string, number>()
    let n = 0
    for (const cut of cuts) {
      n++
      const cgroup = n % 2 === 0 ? 'v1' : 'v2'
      if (left() < 2 * 60_000) {
        t.fail(`the time budget (${BUDGET_MS / 60_000} min) ran out before: ${cut.label}`)
        break
      }
      await t.test(`${cut.label} (cgroup ${cgroup})`, async (t) => {
        const image = join(work, `cut-${n}.img`)
        copyFileSync(fw.disk, image)
        const server = await startCutDisk(image, join(work, `nbd-${n}.sock`))
        t.teardown(() => server.close())
        let stats: CutStats | undefined
        let timer: NodeJS.Timeout | undefined
        const cutNow = (stop: () => void) => {
          if (stats) return
          stats = server.cut(cut.mode, SEED * 1000 + n)
          stop()
        }
        const vm = await boot(board, fw, nbdDrive(server.socket), `lite.cgroup=${cgroup} lite.test=cut ${cut.extra}`, Math.min(timing.bootMs, left()), (line, stop) => {
          if (line.includes('LITE-CUT-NOW')) cutNow(stop)
          else if (line.includes('LITE-CUT-GO') && cut.delayMs !== undefined) timer = setTimeout(() => cutNow(stop), cut.delayMs)
        })
        clearTimeout(timer)
        const console1 = vm.lines.slice(-60).join('\n')
        if (!t.ok(stats, 'the power was cut during the update', stats ? {} : { tail: console1 })) return
        t.comment(`at the cut: ${stats!.writes} writes, ${stats!.flushes} flushes, ${stats!.fuaWrites} FUA; ${stats!.pendingAtCut} writes pending, ${stats!.keptAtCut} of them kept (${cut.mode})`)
        server.save()
        await server.close()

        const after = await boot(board, fw, fileDrive(image), `lite.cgroup=${cgroup} lite.test=aftercut`, Math.min(timing.bootMs, left()))
        reportChecks(t, after, AFTERCUT_CHECKS)
        const record = after.lines.find((l) => l.includes('LITE-CUT-RECORD'))?.replace(/^.*LITE-CUT-RECORD /, '')
        const on = /LITE-CUT-ON version=(\S+)/.exec(after.lines.join('\n'))?.[1]
        const phase = phaseOf(record, fw.digests)
        landed.set(phase, (landed.get(phase) ?? 0) + 1)
        if (cut.expect) t.equal(on, cut.expect, `on image ${cut.expect} after the cut (record: ${record})`)
        else t.ok(on === '1' || on === '2', `on the old image or the new one (${on}; record: ${record})`)
        t.comment(`landed in: ${phase}; runs image ${on}`)
        appendFileSync(figures, `${name} cgroup ${cgroup}: ${cut.label}: landed in ${phase}, runs image ${on}; ${stats!.pendingAtCut} writes pending at the cut, ${stats!.keptAtCut} kept\n`)
        rmSync(image, { force: true })
      })
    }
    const summary = [...landed].map(([p, c]) => `${p}: ${c}`).join(', ')
    t.comment(`${name}: ${n} cuts landed in: ${summary}`)
    appendFileSync(figures, `summary ${name}: ${n} cuts landed in: ${summary}\n`)
  })
}
