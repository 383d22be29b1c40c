// A disk with a volatile write cache, for power-cut tests: a small NBD server on a unix
// socket that qemu uses as a drive (`driver=nbd,server.type=unix,server.path=SOCK`).
//
// A plain qemu system_reset never loses a write the guest did not flush: whatever qemu
// wrote is in the host's page cache. A real board's disk loses what its cache held. So
// here every write goes to a list of pending writes; a FLUSH makes them durable, and a
// write with FUA is durable at once (with the pending writes before it, which a cache
// must not let land after it). cut() is the power going: each pending write is
// dropped ('drop') or kept at random ('random', seeded: kept ones may be later than
// dropped ones, which is the reordering a cache does). save() writes what survived.
//
// The protocol is NBD's fixed newstyle handshake (NBD_OPT_GO, NBD_OPT_EXPORT_NAME) and
// simple replies: READ, WRITE (+FUA), FLUSH, TRIM (no-op), DISC.

import { once } from 'node:events'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'

const NBDMAGIC = 0x4e42444d41474943n
const IHAVEOPT = 0x49484156454f5054n
const REPLY_MAGIC = 0x3e889045565a9n
const REQUEST_MAGIC = 0x25609513
const SIMPLE_REPLY_MAGIC = 0x67446698

const FLAG_FIXED_NEWSTYLE = 1
const FLAG_NO_ZEROES = 2
const OPT_EXPORT_NAME = 1
const OPT_ABORT = 2
const OPT_GO = 7
const REP_ACK = 1
const REP_INFO = 3
const REP_ERR_UNSUP = 0x80000001
const INFO_EXPORT = 0
// transmission flags: has flags, send flush, send fua, send trim
const TRANSMISSION = 1 | 4 | 8 | 0x20
const CMD_READ = 0
const CMD_WRITE = 1
const CMD_DISC = 2
const CMD_FLUSH = 3
const CMD_TRIM = 4
const CMD_FLAG_FUA = 1
const EINVAL = 22
/** The longest request taken (qemu sends at most 32 MiB). */
const MAX_REQUEST = 64 << 20

interface PendingWrite {
  offset: number
  data: Buffer
}

export interface CutStats {
  writes: number
  /** reads answered since the last write (a test waits for them before it cuts) */
  readsSinceWrite: number
  fuaWrites: number
  flushes: number
  /** pending writes when the power went, and how many of them survived */
  pendingAtCut: number
  keptAtCut: number
}

export interface CutDisk {
  socket: string
  /** The power goes: pending writes are dropped, or a random (seeded) subset kept. */
  cut(mode: 'drop' | 'random', seed?: number): CutStats
  /** Writes the durable content to `file` (the image, by default). */
  save(file?: string): void
  stats(): CutStats
  close(): Promise<void>
}

/** A small deterministic PRNG (mulberry32), so a cut can be replayed from its seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export async function startCutDisk(image: string, socket: string): Promise<CutDisk> {
  const durable = readFileSync(image)
  let pending: PendingWrite[] = []
  const stats: CutStats = { writes: 0, readsSinceWrite: 0, fuaWrites: 0, flushes: 0, pendingAtCut: 0, keptAtCut: 0 }
  let powered = true
  const sockets = new Set<net.Socket>()

  const apply = (w: PendingWrite) => w.data.copy(durable, w.offset)
  const read = (offset: number, length: number): Buffer => {
    const out = Buffer.from(durable.subarray(offset, offset + length))
    for (const w of pending) {
      const from = Math.max(offset, w.offset)
      const to = Math.min(offset + length, w.offset + w.data.length)
      if (from < to) w.data.copy(out, from - offset, from - w.offset, to - w.offset)
    }
    return out
  }

  const serve = (conn: net.Socket) => {
    sockets.add(conn)
    conn.on('close', () => sockets.delete(conn))
    conn.on('error', () => {})
    let buf: Buffer = Buffer.alloc(0)
    let phase: 'flags' | 'options' | 'transmission' = 'flags'
    let noZeroes = false

    const hello = Buffer.alloc(18)
    hello.writeBigUInt64BE(NBDMAGIC, 0)
    hello.writeBigUInt64BE(IHAVEOPT, 8)
    hello.writeUInt16BE(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES, 16)
    conn.write(hello)

    const optionReply = (option: number, type: number, data = Buffer.alloc(0)) => {
      const h = Buffer.alloc(20)
      h.writeBigUInt64BE(REPLY_MAGIC, 0)
      h.writeUInt32BE(option, 8)
      h.writeUInt32BE(type >>> 0, 12)
      h.writeUInt32BE(data.length, 16)
      conn.write(Buffer.concat([h, data]))
    }
    const reply = (handle: Buffer, error: number, data?: Buffer) => {
      const h = Buffer.alloc(16)
      h.writeUInt32BE(SIMPLE_REPLY_MAGIC, 0)
      h.writeUInt32BE(error, 4)
      handle.copy(h, 8)
      conn.write(data ? Buffer.concat([h, data]) : h)
    }

    /** One step of the protocol from `buf`; false when more bytes are needed. */
    const step = (): boolean => {
      if (phase === 'flags') {
        if (buf.length < 4) return false
        noZeroes = (buf.readUInt32BE(0) & FLAG_NO_ZEROES) !== 0
        buf = buf.subarray(4)
        phase = 'options'
        return true
      }
      if (phase === 'options') {
        if (buf.length < 16) return false
        const length = buf.readUInt32BE(12)
        if (buf.readBigUInt64BE(0) !== IHAVEOPT || length > 4096) {
          conn.destroy()
          return false
        }
        if (buf.length < 16 + length) return false
        const option = buf.readUInt32BE(8)
        buf = buf.subarray(16 + length)
        if (option === OPT_EXPORT_NAME) {
          const r = Buffer.alloc(noZeroes ? 10 : 134)
          r.writeBigUInt64BE(BigInt(durable.length), 0)
          r.writeUInt16BE(TRANSMISSION, 8)
          conn.write(r)
          phase = 'transmission'
        } else if (option === OPT_GO) {
          const info = Buffer.alloc(12)
          info.writeUInt16BE(INFO_EXPORT, 0)
          info.writeBigUInt64BE(BigInt(durable.length), 2)
          info.writeUInt16BE(TRANSMISSION, 10)
          optionReply(option, REP_INFO, info)
          optionReply(option, REP_ACK)
          phase = 'transmission'
        } else if (option === OPT_ABORT) {
          optionReply(option, REP_ACK)
          conn.end()
          return false
        } else {
          optionReply(option, REP_ERR_UNSUP)
        }
        return true
      }
      if (buf.length < 28) return false
      if (buf.readUInt32BE(0) !== REQUEST_MAGIC) {
        conn.destroy()
        return false
      }
      const flags = buf.readUInt16BE(4)
      const type = buf.readUInt16BE(6)
      const handle = Buffer.from(buf.subarray(8, 16))
      const offset = Number(buf.readBigUInt64BE(16))
      const length = buf.readUInt32BE(24)
      const inRange = length <= MAX_REQUEST && offset + length <= durable.length
      if (type === CMD_WRITE) {
        if (buf.length < 28 + length) return false
        const data = Buffer.from(buf.subarray(28, 28 + length))
        buf = buf.subarray(28 + length)
        if (!powered) return true
        if (!inRange) return reply(handle, EINVAL), true
        stats.writes++
        stats.readsSinceWrite = 0
        if (flags & CMD_FLAG_FUA) {
          // Durable at once. The pending writes before it land first: an older pending
          // write to the same sectors must never land after it (a cache keeps the latest).
          stats.fuaWrites++
          for (const w of pending) apply(w)
          pending = []
          apply({ offset, data })
        } else {
          pending.push({ offset, data })
        }
        reply(handle, 0)
        return true
      }
      buf = buf.subarray(28)
      if (!powered) return true
      switch (type) {
        case CMD_READ:
          if (!inRange) reply(handle, EINVAL)
          else {
            stats.readsSinceWrite++
            reply(handle, 0, read(offset, length))
          }
          break
        case CMD_FLUSH:
          stats.flushes++
          for (const w of pending) apply(w)
          pending = []
          reply(handle, 0)
          break
        case CMD_TRIM:
          reply(handle, 0)
          break
        case CMD_DISC:
          conn.end()
          return false
        default:
          reply(handle, EINVAL)
      }
      return true
    }

    conn.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk
      // Bounded by the bytes received: each turn consumes a header or waits for more.
      while (!conn.destroyed && step()) {}
    })
  }

  rmSync(socket, { force: true })
  const server = net.createServer(serve)
  server.listen(socket)
  await once(server, 'listening')

  return {
    socket,
    cut(mode, seed = 1) {
      powered = false
      const keep = random(seed)
      stats.pendingAtCut = pending.length
      stats.keptAtCut = 0
      // Kept writes land in their order: a later write to the same sectors wins, as in
      // a cache; which ones land is the cache's choice.
      for (const w of pending) {
        if (mode === 'random' && keep() < 0.5) {
          apply(w)
          stats.keptAtCut++
        }
      }
      pending = []
      for (const s of sockets) s.destroy()
      return { ...stats }
    },
    save(file = image) {
      writeFileSync(file, durable)
    },
    stats: () => ({ ...stats }),
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => server.close(() => r()))
      rmSync(socket, { force: true })
    },
  }
}
