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
// 3. LITE_CYCLES (40; scripts/power-cuts: 200) start/stop cycles of a container from the store leave no mount,
//    loop device, cgroup, process or state behind (lite.test=cycles).
// Bounded: each boot has a timeout, and the file a time budget. CI runs qemu-x86_64 (KVM
// where it works): the update boot, the cycles on cgroup v2, every named phase once and
// LITE_CUT_RANDOM (3) random cuts, cgroup v2 and v1 in turn. scripts/power-cuts runs a
// longer series on any board.

import t, { type Test } from 'tap'
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO, type Board, type Boot, type LineWatcher, bootFirmware, buildDiskFirmware, checks, commandExists, readBoard } from '../support/boards.ts'
import { random, startCutDisk, type CutStats } from '../support/cut-disk.ts'

const BOARDS = (process.env.LITE_CUT_BOARDS ?? 'qemu-x86_64').split(',').filter(Boolean)
const RANDOM_CUTS = Number(process.env.LITE_CUT_RANDOM ?? 3)
/** The named cuts: a phase of lite update, and the image that reaches it. */
const NAMED = (process.env.LITE_CUT_PHASES ?? 'next-recorded,restarting,checking,committed,rolling-back').split(',').filter(Boolean)
const SEED = Number(process.env.LITE_CUT_SEED ?? 1)
// CI's bounded set: a cycle (lite run -d, stop, rm) takes about 4.5 s under TCG.
const CYCLES = Number(process.env.LITE_CYCLES ?? 40)
const CYCLE_CGROUPS = (process.env.LITE_CYCLE_CGROUPS ?? 'v2').split(',').filter(Boolean)
const BUDGET_MS = Number(process.env.LITE_CUT_BUDGET_MIN ?? 18) * 60_000
const deadline = Date.now() + BUDGET_MS
/** Per board: one boot's timeout, and the window a random cut falls in after the update starts. */
const TIMING: Record<string, { bootMs: number; windowMs: number; cycleMs: number }> = {
  'qemu-x86_64': { bootMs: 4 * 60_000, windowMs: 9000, cycleMs: 9000 },
  'qemu-aarch64-virt': { bootMs: 10 * 60_000, windowMs: 40_000, cycleMs: 30_000 },
}
const figures = join(REPO, 'build/boards/power-cuts.txt')
mkdirSync(join(REPO, 'build/boards'), { recursive: true })
appendFileSync(figures, `# test/boards/power-cut.test.ts, ${new Date().toISOString()}, seed ${SEED}\n`)

interface Firmware {
  dir: string
  initrd: string
  cmdline: string
  disk: string
  /** version -> manifest digest (DIGESTS) */
  digests: Record<string, string>
}

/** What the disk firmware is made of: a build older than any of these is made again. */
function newestInput(): number {
  const files = [join(REPO, 'dist/lite'), join(REPO, 'scripts/firmware'), join(REPO, 'scripts/firmware-images.ts')]
  for (const dir of ['boards/firmware', 'test/boards/vm']) files.push(...readdirSync(join(REPO, dir)).map((f) => join(REPO, dir, f)))
  return Math.max(...files.map((f) => statSync(f).mtimeMs))
}

/** The disk firmware, built unless the boot test's build is there and newer than what it is made of. */
function diskFirmware(name: string): Firmware | string {
  const dir = join(REPO, 'build/firmware', `${name}-test`)
  const fresh = (() => {
    try {
      return statSync(join(dir, 'disk.img')).mtimeMs > newestInput() && statSync(join(dir, 'root/usr/share/lite/images/DIGESTS')).isFile()
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
async function boot(board: Board, fw: Firmware, qemu: string[], extra: string, timeoutMs: number, watch?: LineWatcher): Promise<Boot> {
  const image = { dir: fw.dir, initrd: fw.initrd, cmdline: fw.cmdline, qemu }
  const vm = await bootFirmware(board, image, extra, timeoutMs, watch)
  if (!vm.timedOut && !vm.lines.some((l) => l.includes('LITE-')) && vm.lines.some((l) => /kvm/i.test(l)) && board.accel !== 'tcg') {
    board.accel = 'tcg'
    return bootFirmware(board, image, extra, timeoutMs, watch)
  }
  return vm
}

/**
 * Runs one trial (its boots, from a fresh copy of the disk) and, if the guest kernel
 * oopsed or locked up in it (a guest bug under TCG, not lite's: boards.ts), once more,
 * saying so with the console's end.
 */
async function trial<R extends { vms: Boot[] }>(t: Test, run: () => Promise<R>): Promise<R> {
  const first = await run()
  const bad = first.vms.find((vm) => vm.oops)
  if (!bad || deadline - Date.now() < 3 * 60_000) return first
  t.comment(`the guest kernel failed (${bad.oops!.trim()}); this trial runs once more. Its console:\n${bad.lines.slice(-60).join('\n')}`)
  return run()
}

/** Every LITE-CHECK of a boot as a test point; the console's end when one failed. The whole console goes to build/boards/power-cut-LABEL.log. */
function reportChecks(t: Test, vm: Boot, expected: string[], label: string): void {
  writeFileSync(join(REPO, 'build/boards', `power-cut-${label}.log`), vm.lines.join('\n'))
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
      const { vms: [vm] } = await trial(t, async () => {
        copyFileSync(fw.disk, disk)
        return { vms: [await boot(board, fw, fileDrive(disk), 'lite.cgroup=v2 lite.test=update', Math.min(timing.bootMs, left()))] }
      })
      reportChecks(t, vm!, UPDATE_CHECKS, `${name}-update`)
      const took = /update_good_seconds=(\d+)/.exec(vm!.lines.join('\n'))?.[1]
      if (took) appendFileSync(figures, `${name}: a good update, lite update start to committed: ${took} s (in the VM)\n`)
      rmSync(disk, { force: true })
    })

    for (const cgroup of CYCLE_CGROUPS) {
      await t.test(`${CYCLES} start/stop cycles of a container from the store leave nothing behind (cgroup ${cgroup})`, async (t) => {
        if (left() < 3 * 60_000) return void t.fail(`the time budget (${BUDGET_MS / 60_000} min) ran out`)
        const disk = join(work, 'cycles.img')
        const { vms: [vm] } = await trial(t, async () => {
          copyFileSync(fw.disk, disk)
          return { vms: [await boot(board, fw, fileDrive(disk), `lite.cgroup=${cgroup} lite.test=cycles lite.cycles=${CYCLES}`, Math.min(timing.bootMs + CYCLES * timing.cycleMs, left()))] }
        })
        reportChecks(t, vm!, ['update-healthy-at-boot', 'cycles-all-ran', 'cycles-no-leftovers'], `${name}-cycles-${cgroup}`)
        const took = /cycle_seconds=(\d+)/.exec(vm!.lines.join('\n'))?.[1]
        if (took) appendFileSync(figures, `${name} cgroup ${cgroup}: ${CYCLES} cycles of lite run -d, stop, rm in ${took} s\n`)
        rmSync(disk, { force: true })
      })
    }

    // The random cuts replay from LITE_CUT_SEED.
    const rand = random(SEED)
    const cuts: { label: string; extra: string; mode: 'drop' | 'random'; delayMs?: number; expect?: string }[] = [
      ...NAMED.map((phase) => ({
        label: `cut after phase ${phase}`,
        extra: `lite.cut=${phase} lite.cutimage=${phase === 'rolling-back' ? 'bad' : '2'}`,
        mode: 'drop' as const,
        expect: phase === 'committed' ? '2' : '1',
      })),
      ...Array.from({ length: RANDOM_CUTS }, (_, i) => {
        // Half of them within the first 1.5 s (x86_64; a fifth of the window on arm64),
        // while the image comes in: most of an update's writes are there.
        const early = Math.min(1500, timing.windowMs / 5)
        const delayMs = Math.floor(rand() * (rand() < 0.5 ? early : timing.windowMs))
        const image = rand() < 0.25 ? 'bad' : '2'
        return { label: `random cut ${i + 1}: ${delayMs} ms after the update to ${image} starts`, extra: `lite.cut=random lite.cutimage=${image}`, mode: 'random' as const, delayMs, expect: image === 'bad' ? '1' : undefined }
      }),
    ]
    const landed = new Map<string, number>()
    let pendingCuts = 0
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
        // One trial: the update boot on the cut disk, the cut, and the boot after it.
        const { vms, stats } = await trial(t, async () => {
          copyFileSync(fw.disk, image)
          const server = await startCutDisk(image, join(work, `nbd-${n}.sock`))
          let stats: CutStats | undefined
          let timer: NodeJS.Timeout | undefined
          const cutNow = (stop: () => void) => {
            if (stats) return
            stats = server.cut(cut.mode, SEED * 1000 + n)
            stop()
          }
          try {
            const vm = await boot(board, fw, nbdDrive(server.socket), `lite.cgroup=${cgroup} lite.test=cut ${cut.extra}`, Math.min(timing.bootMs, left()), (line, stop) => {
              if (line.includes('LITE-CUT-NOW')) cutNow(stop)
              else if (line.includes('LITE-CUT-GO') && cut.delayMs !== undefined) timer = setTimeout(() => cutNow(stop), cut.delayMs)
            })
            clearTimeout(timer)
            writeFileSync(join(REPO, 'build/boards', `power-cut-${name}-${n}-cut.log`), vm.lines.join('\n'))
            if (!stats) return { vms: [vm], stats }
            server.save()
            await server.close()
            return { vms: [vm, await boot(board, fw, fileDrive(image), `lite.cgroup=${cgroup} lite.test=aftercut`, Math.min(timing.bootMs, left()))], stats }
          } finally {
            clearTimeout(timer)
            await server.close()
          }
        })
        const [vm, after] = vms
        if (!t.ok(stats, 'the power was cut during the update', stats ? {} : { tail: vm!.lines.slice(-60).join('\n') })) return
        t.comment(`at the cut: ${stats!.writes} writes, ${stats!.flushes} flushes, ${stats!.fuaWrites} FUA; ${stats!.pendingAtCut} writes pending, ${stats!.keptAtCut} of them kept (${cut.mode})`)
        reportChecks(t, after!, AFTERCUT_CHECKS, `${name}-${n}-after`)
        const record = after!.lines.find((l) => l.includes('LITE-CUT-RECORD'))?.replace(/^.*LITE-CUT-RECORD /, '')
        const on = /LITE-CUT-ON version=(\S+)/.exec(after!.lines.join('\n'))?.[1]
        const phase = phaseOf(record, fw.digests)
        landed.set(phase, (landed.get(phase) ?? 0) + 1)
        if (stats!.pendingAtCut) pendingCuts++
        if (cut.expect) t.equal(on, cut.expect, `on image ${cut.expect} after the cut (record: ${record})`)
        else t.ok(on === '1' || on === '2', `on the old image or the new one (${on}; record: ${record})`)
        t.comment(`landed in: ${phase}; runs image ${on}`)
        appendFileSync(figures, `${name} cgroup ${cgroup}: ${cut.label}: landed in ${phase}, runs image ${on}; ${stats!.pendingAtCut} writes pending at the cut, ${stats!.keptAtCut} kept\n`)
        rmSync(image, { force: true })
      })
    }
    const summary = [...landed].map(([p, c]) => `${p}: ${c}`).join(', ')
    t.comment(`${name}: ${n} cuts landed in: ${summary}; ${pendingCuts} of them with unflushed writes lost or reordered`)
    appendFileSync(figures, `summary ${name}: ${n} cuts landed in: ${summary}; ${pendingCuts} with unflushed writes at the cut\n`)
  })
}
