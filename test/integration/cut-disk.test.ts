// The power-cut disk (test/support/cut-disk.ts) under a real NBD client, qemu-io: what
// a FLUSH or FUA covered survives a cut, what nothing covered is lost ('drop') or
// partly kept ('random', replayable from its seed).

import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { startCutDisk } from '../support/cut-disk.ts'

const qemuIo = spawnSync('qemu-io', ['--version']).status === 0
if (!qemuIo) {
  t.fail('qemu-io is missing: scripts/setup installs qemu-utils')
  process.exit(0)
}

const KB = 1024

/** A short directory (a unix socket's path must stay under 108 bytes), removed at the end. */
function shortDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'cutdisk-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** qemu-io commands against the disk, through NBD, with a writeback cache (writethrough would make every write FUA); asynchronous, since the server runs in this process. */
function io(socket: string, commands: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn('qemu-io', ['-f', 'raw', '-t', 'writeback', `nbd+unix:///?socket=${socket}`, ...commands.flatMap((c) => ['-c', c])], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      done({ code, out })
    })
  })
}

/**
 * Runs `commands`, then cuts the power while qemu-io still holds the disk (its exit would
 * flush), once the disk has seen `writes` writes and then `reads` reads: a read queued
 * after the last write must be answered before the cut, or it fails with EIO.
 */
async function writeThenCut(t: Test, disk: Awaited<ReturnType<typeof startCutDisk>>, commands: string[], writes: number, mode: 'drop' | 'random', seed?: number, reads = 0) {
  const running = io(disk.socket, [...commands, 'sleep 3000'])
  const ready = () => disk.stats().writes >= writes && disk.stats().readsSinceWrite >= reads
  // Bounded: 250 turns of 10 ms, well within qemu-io's sleep.
  for (let i = 0; i < 250 && !ready(); i++) await new Promise((r) => setTimeout(r, 10))
  const stats = disk.cut(mode, seed)
  const done = await running
  t.equal(stats.writes, writes, `qemu-io wrote ${writes} times before the cut: ${done.out}`)
  return { stats, out: done.out }
}

const region = (img: Buffer, offset: number) => img.subarray(offset, offset + 64 * KB)
const filled = (b: Buffer, byte: number) => b.every((x) => x === byte)

t.test('flushed and FUA writes survive a cut; the rest is dropped', async (t) => {
  const dir = shortDir(t)
  const image = join(dir, 'disk.img')
  writeFileSync(image, Buffer.alloc(1024 * KB))
  const disk = await startCutDisk(image, join(dir, 'nbd.sock'))
  t.teardown(() => disk.close())
  const { stats, out } = await writeThenCut(t, disk, ['write -P 0xaa 0 64k', 'flush', 'write -P 0xbb 64k 64k', 'write -f -P 0xcc 128k 64k', 'write -P 0xdd 192k 64k', 'read -P 0xdd 192k 64k'], 4, 'drop', undefined, 1)
  t.match(out, /read 65536\/65536 bytes at offset 196608/, 'a pending write is read back before the cut')
  t.notMatch(out, /Pattern verification failed/)
  t.same([stats.flushes, stats.fuaWrites, stats.pendingAtCut, stats.keptAtCut], [1, 1, 1, 0], 'the write after the FUA one was pending')
  disk.save()
  const img = readFileSync(image)
  t.ok(filled(region(img, 0), 0xaa), 'flushed: there')
  t.ok(filled(region(img, 64 * KB), 0xbb), 'before a FUA write: there (it landed first)')
  t.ok(filled(region(img, 128 * KB), 0xcc), 'FUA: there')
  t.ok(filled(region(img, 192 * KB), 0), 'covered by nothing: lost')
})

t.test('a random cut keeps some pending writes, the same ones for the same seed', async (t) => {
  const outcome = async (seed: number) => {
    const dir = shortDir(t)
    const image = join(dir, 'disk.img')
    writeFileSync(image, Buffer.alloc(1024 * KB))
    const disk = await startCutDisk(image, join(dir, 'nbd.sock'))
    const writes = Array.from({ length: 12 }, (_, i) => `write -P ${0x10 + i} ${i * 64}k 64k`)
    const { stats } = await writeThenCut(t, disk, writes, writes.length, 'random', seed)
    disk.save()
    await disk.close()
    const img = readFileSync(image)
    return { stats, kept: writes.map((_, i) => filled(region(img, i * 64 * KB), 0x10 + i)), lost: writes.map((_, i) => filled(region(img, i * 64 * KB), 0)) }
  }
  const a = await outcome(7)
  const b = await outcome(7)
  t.same(a.kept, b.kept, 'replayable from the seed')
  t.equal(a.stats.pendingAtCut, 12)
  t.ok(a.stats.keptAtCut > 0 && a.stats.keptAtCut < 12, `some kept (${a.stats.keptAtCut} of 12)`)
  t.ok(a.kept.every((k, i) => k !== a.lost[i]), 'each write landed whole or not at all')
})
