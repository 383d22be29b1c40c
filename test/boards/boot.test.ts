// Boots lite's firmware (scripts/firmware BOARD --with-tests) in qemu, once with cgroup
// v2 and once with the v1 hierarchies, then its disk form (--disk: a squashfs root and an
// ext4 data partition on a virtio disk, behind a small initramfs stage) on cgroup v2,
// and checks what the VM reports on its serial
// console: the marker printed by the boot-time container (its pid, cgroup and memory
// limit as seen inside) and the LITE-CHECK lines of test/boards/vm/boardtest.sh
// (namespaces, OOM -> 137, a bounded fork bomb, container networks: a bridge container's
// published port from 127.0.0.1 and the VM's address, ipvlan and macvlan siblings on a
// dummy parent; no leftovers, caps/seccomp/masks, the sysv init script's restart and
// stop; on the disk form, / is squashfs read-only and /var/lib/lite ext4 with
// noauto_da_alloc). Figures (boot time to the container's first line, from the kernel's
// start and from qemu's, lite's RSS, MemAvailable with the container running, the flash
// size of each form) go to build/boards/figures.txt and the test's comments.
// Bounded: each boot has its own timeout, and the whole file a time budget.

import t, { type Test } from 'tap'
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO, type Board, bootFirmware, buildDiskFirmware, buildFirmware, checks, commandExists, fields, readBoard } from '../support/boards.ts'

const BOARDS = ['qemu-x86_64', 'qemu-aarch64-virt']
// The disk form's boots: v2 and v1 on both boards. Its container runs lite/busybox:1
// from the store on the data partition, so that also boots an image from the store on
// both cgroup layouts. Each boot costs about 40 s on x86_64, 100 s on arm64 under TCG.
const DISK_CGROUPS: Record<string, string[]> = { 'qemu-x86_64': ['v2', 'v1'], 'qemu-aarch64-virt': ['v2', 'v1'] }
// Where KVM fails (nested virtualisation), x86_64 boots under TCG too: on 2026-12-05 its
// four boots took 533 s and arm64's 907 s, and 24 min ran out before the last boot.
const BUDGET_MS = 32 * 60_000
const BOOT_TIMEOUT_MS = 7 * 60_000
const deadline = Date.now() + BUDGET_MS
const figures = join(REPO, 'build/boards/figures.txt')
mkdirSync(join(REPO, 'build/boards'), { recursive: true })
writeFileSync(figures, `# test/boards/boot.test.ts, ${new Date().toISOString()}\n`)

const EXPECTED_CHECKS = [
  'service-running', 'own-namespaces', 'memory-oom-137', 'pids-bounded', 'limits-inside',
  'net-publish', 'net-publish-address', 'net-publish-cleanup', 'net-ipvlan', 'net-ipvlan-cleanup', 'net-macvlan', 'net-macvlan-cleanup',
  'no-leftovers',
  'caps-default', 'caps-bounding', 'seccomp-filter', 'no-new-privs',
  'seccomp-keyctl', 'seccomp-unshare-user', 'seccomp-unshare-mount', 'seccomp-mount', 'seccomp-reboot-bad-magic', 'seccomp-getpid',
  'masked-/proc/kcore', 'masked-/proc/keys', 'masked-/proc/timer_list', 'masked-/sys/firmware',
  'readonly-/proc/sysrq-trigger', 'readonly-/proc/sys/kernel/shmmax', 'devices-deny',
  'initscript-restart', 'initscript-stop',
]
const DISK_CHECKS = ['disk-root-squashfs-ro', 'disk-data-ext4', 'disk-image-from-store', 'userns-limits', 'userns-squashfs', 'rootless-limits']

/** One form of a board's firmware, as qemu boots it. */
interface Form {
  form: 'initramfs' | 'disk'
  dir: string
  initrd: string
  cmdline: string
  /** qemu arguments besides the board's */
  qemu: string[]
  /** kernel + what the board's flash holds besides, in bytes (SIZE's total_bytes) */
  flashBytes: number
  /** what the flash size is made of */
  flashNote: string
}

/** SIZE's key=value pairs. */
function sizes(dir: string): Record<string, string> {
  const text = readFileSync(join(dir, 'SIZE'), 'utf8')
  return Object.fromEntries([...text.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]))
}

const MiB = 1048576
/** board -> form -> the figures the summary compares */
const summary = new Map<string, Map<string, { flash: number; flashNote: string; memAvailableKb?: string; markerSeconds?: number; uptime?: string }>>()

// Boots one form once with one cgroup mode and checks what the VM reports.
async function bootAndCheck(t: Test, name: string, board: Board, fw: Form, cgroup: string): Promise<void> {
  const left = deadline - Date.now()
  if (left < 60_000) return void t.fail(`the suite's time budget (${BUDGET_MS / 60_000} min) ran out before this boot`)
  let vm = await bootFirmware(board, fw, `lite.cgroup=${cgroup}`, Math.min(BOOT_TIMEOUT_MS, left))
  // /dev/kvm can be there and still fail (nested virtualisation: qemu 7.2 asserts on
  // an MSR it cannot set). qemu does not fall back then, so the test does: TCG.
  if (!vm.timedOut && !vm.lines.some((l) => l.includes('LITE-')) && vm.lines.some((l) => /kvm/i.test(l)) && board.accel !== 'tcg') {
    t.comment(`KVM failed (${vm.lines.find((l) => /kvm/i.test(l))}); booting again with TCG`)
    board.accel = 'tcg'
    vm = await bootFirmware(board, fw, `lite.cgroup=${cgroup}`, Math.min(BOOT_TIMEOUT_MS, deadline - Date.now()))
  }
  // Debian's 6.1 arm64 kernel under TCG has oopsed once in list_lru_add (d_lru_add from
  // dput at a close, cgroup v1), in lite's own process at a container's end: a guest
  // kernel bug. The boot is said in full and made once more; a second oops fails.
  if (vm.oops && deadline - Date.now() > 60_000) {
    const pc = vm.lines.find((l) => /\bpc : /.test(l)) ?? ''
    t.comment(`the guest kernel oopsed (${vm.oops.trim()}; ${pc.trim()}); booting once more. Its console:\n${vm.lines.slice(-120).join('\n')}`)
    vm = await bootFirmware(board, fw, `lite.cgroup=${cgroup}`, Math.min(BOOT_TIMEOUT_MS, deadline - Date.now()))
  }
  t.notOk(vm.oops, `no kernel oops${vm.oops ? `: ${vm.oops.trim()}` : ''}`)
  const tail = vm.lines.slice(-60).join('\n')
  t.notOk(vm.timedOut, `powered off within the timeout (${vm.seconds.toFixed(0)} s)`, { tail })

  const marker = fields(vm.lines, 'LITE-MARKER')
  t.ok(marker, 'the boot-time container printed its marker', { tail })
  const accel = vm.lines.some((l) => /falling back to tcg/.test(l)) ? 'tcg' : board.accel
  if (marker) {
    t.equal(marker.pid, '2', 'pid 2 in its own pid namespace ([exec] init = yes: the stub is pid 1)')
    t.equal(marker.memory, '67108864', 'its memory limit, as seen inside, is [resources] memory = 64M')
    t.equal(marker.pids, '32', 'its pids limit, as seen inside')
    t.equal(marker.hostname, 'busybox', 'its own hostname')
    // The cgroup namespace: its own cgroup is the root of what it sees.
    const own = marker.cgroup!.split(';').filter(Boolean)
    if (cgroup === 'v2') t.same(own, ['0::/'], 'one v2 line, at the root of its cgroup namespace')
    else t.ok(own.some((l) => /^\d+:memory:\/$/.test(l)) && own.some((l) => /^\d+:pids:\/$/.test(l)), `v1 memory and pids at / (${marker.cgroup})`)
    const qemuToMarker = vm.markerSeconds === undefined ? '?' : vm.markerSeconds.toFixed(1)
    appendFileSync(figures, `${name} ${fw.form} cgroup ${cgroup}: kernel start -> container's first line ${marker.uptime} s (guest uptime), qemu start -> that line ${qemuToMarker} s, boot to power-off ${vm.seconds.toFixed(1)} s (host), accel ${accel}\n`)
    t.comment(`${name} ${fw.form} cgroup ${cgroup}: qemu start -> the container's first line ${qemuToMarker} s (kernel start -> it ${marker.uptime} s), accel ${accel}`)
  }
  const results = checks(vm.lines)
  for (const check of fw.form === 'disk' ? [...EXPECTED_CHECKS, ...DISK_CHECKS] : EXPECTED_CHECKS) {
    const c = results.get(check)
    t.ok(c?.ok, `${check}${c ? `: ${c.detail}` : ': no result (the VM did not get that far)'}`)
  }
  const fig = fields(vm.lines, 'LITE-FIGURE')
  if (fig) {
    appendFileSync(figures, `${name} ${fw.form} cgroup ${cgroup}: the service's process (the monitor) Rss ${fig.lite_rss_kb} kB, Pss ${fig.lite_pss_kb} kB (running one container); MemAvailable ${fig.mem_available_kb} kB\n`)
    t.comment(`${name} ${fw.form} cgroup ${cgroup}: MemAvailable ${fig.mem_available_kb} kB with the container running`)
  }
  if (cgroup === 'v2') {
    const byForm = summary.get(name) ?? new Map()
    byForm.set(fw.form, { flash: fw.flashBytes, flashNote: fw.flashNote, memAvailableKb: fig?.mem_available_kb, markerSeconds: vm.markerSeconds, uptime: marker?.uptime })
    summary.set(name, byForm)
  }
  t.match(vm.lines.join('\n'), /LITE-RESULTS pass=\d+ fail=0/, 'the VM reports no failed check')
}

for (const name of BOARDS) {
  t.test(name, async (t) => {
    const board = readBoard(name)
    if (!commandExists(board.qemuSystem)) return t.fail(`${board.qemuSystem} is not installed (scripts/setup --cross)`)
    const fw = buildFirmware(name)
    if (!fw.dir) return t.fail(`scripts/firmware ${name} failed:\n${fw.log.slice(-3000)}`)
    const size = readFileSync(join(fw.dir, 'SIZE'), 'utf8')
    appendFileSync(figures, `${name}: ${size.trim().replace(/\n/g, ' ')}\n`)
    const initramfs: Form = {
      form: 'initramfs', dir: fw.dir, initrd: join(fw.dir, 'initramfs.cpio.gz'), cmdline: board.cmdline, qemu: [],
      flashBytes: Number(sizes(fw.dir).total_bytes),
      flashNote: 'kernel + initramfs.cpio.gz',
    }
    for (const cgroup of ['v2', 'v1']) {
      await t.test(`boots with cgroup ${cgroup}; the init script's container runs confined`, (t) => bootAndCheck(t, name, board, initramfs, cgroup))
    }

    // The disk form, built into the same directory once the initramfs form is done.
    const dfw = buildDiskFirmware(name)
    if (!dfw.dir) return t.fail(`scripts/firmware ${name} --disk failed:\n${dfw.log.slice(-3000)}`)
    const dsize = sizes(dfw.dir)
    appendFileSync(figures, `${name}: ${readFileSync(join(dfw.dir, 'SIZE'), 'utf8').trim().replace(/\n/g, ' ')}\n`)
    t.comment(`${name} disk form: disk.img ${(Number(dsize.disk_img_bytes) / MiB).toFixed(1)} MiB (squashfs root ${(Number(dsize.squashfs_root_bytes) / MiB).toFixed(1)} MiB, data partition ${(Number(dsize.data_partition_bytes) / MiB).toFixed(0)} MiB), stage initramfs ${(Number(dsize.initramfs_disk_gz_bytes) / MiB).toFixed(1)} MiB`)
    const disk: Form = {
      form: 'disk', dir: dfw.dir, initrd: join(dfw.dir, 'initramfs-disk.cpio.gz'),
      cmdline: readFileSync(join(dfw.dir, 'cmdline-disk'), 'utf8').trim(),
      // virtio-blk over PCI on both machines (the arm64 virt machine has a PCIe host).
      qemu: ['-drive', `file=${join(dfw.dir, 'disk.img')},if=none,format=raw,id=d0`, '-device', 'virtio-blk-pci,drive=d0'],
      // What a flash holds: the kernel and the stage, and the disk image (its squashfs
      // root, the headroom after it and the data partition).
      flashBytes: Number(dsize.total_bytes),
      flashNote: `kernel + stage + disk.img; the squashfs root is ${(Number(dsize.squashfs_root_bytes) / MiB).toFixed(1)} MiB of it, the data partition ${(Number(dsize.data_partition_bytes) / MiB).toFixed(0)} MiB`,
    }
    for (const cgroup of DISK_CGROUPS[name] ?? ['v2']) {
      await t.test(`disk form boots with cgroup ${cgroup}: squashfs root, ext4 data partition`, (t) => bootAndCheck(t, name, board, disk, cgroup))
    }

    const byForm = summary.get(name)
    for (const [form, f] of byForm ?? []) {
      const line = `${name} ${form} (cgroup v2): flash ${(f.flash / MiB).toFixed(1)} MiB (${f.flashNote}), MemAvailable ${f.memAvailableKb ?? '?'} kB with the container running, qemu start -> the container's first line ${f.markerSeconds?.toFixed(1) ?? '?'} s (kernel start -> ${f.uptime ?? '?'} s)`
      t.comment(line)
      appendFileSync(figures, `summary: ${line}\n`)
    }
  })
}
