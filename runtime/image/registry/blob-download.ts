// One blob into the store, checked as it streams:
// - it goes to BlobStore.partialPath(digest), hashed (sha256) chunk by chunk, and
//   never past the descriptor's size;
// - a partial file left by a killed pull is resumed: its bytes are hashed again,
//   then the registry is asked anew (a new request, so a new signed redirect) for
//   "Range: bytes=N-". 206 continues; 200 starts over;
// - a connection that breaks mid-blob is resumed the same way, a bounded number of
//   times;
// - a wrong digest deletes the partial file and stores nothing; the right one is
//   committed (fsync, rename, directory fsync) by BlobStore.commitPartial.

import { createHash, type Hash } from 'node:crypto'
import fs from 'node:fs'
import { LiteError } from '../../errors.ts'
import { DigestMismatch, type BlobStore } from '../store/blobs.ts'
import type { Descriptor } from '../types.ts'
import type { ProgressSink } from './progress.ts'
import { NetworkError, discard, readChunks, type Sent } from './transport.ts'

export const MAX_ATTEMPTS = 5

/** Opens the blob from byte `from` (a Range request when from > 0); the response is 200, 206 or an error thrown. */
export type OpenBlob = (from: number) => Promise<Sent & { host: string }>

export interface DownloadOptions {
  idleMs: number
  progress: ProgressSink
  /** Names the blob in errors: "layer 2 of docker.io/library/busybox:latest" */
  what: string
  maxAttempts?: number
  /** Waits between attempts (ms); tests make it short. */
  backoffMs?: number
  /** Aborted when the pull fails elsewhere: the download stops, its partial file stays. */
  signal?: AbortSignal
}

function hashFilePrefix(file: string, length: number, hash: Hash): void {
  const fd = fs.openSync(file, 'r')
  try {
    const buf = Buffer.allocUnsafe(1 << 20)
    let pos = 0
    while (pos < length) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, length - pos), pos)
      if (n === 0) throw new LiteError(`the partial download ${file} is shorter than it was`)
      hash.update(buf.subarray(0, n))
      pos += n
    }
  } finally {
    fs.closeSync(fd)
  }
}

function sizeOf(file: string): number {
  try {
    return fs.lstatSync(file).size
  } catch {
    return 0
  }
}

/** The start of a Content-Range "bytes START-END/TOTAL", or -1. */
export function contentRangeStart(header: string | null): number {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec((header ?? '').trim())
  return m ? Number(m[1]) : -1
}

/**
 * Downloads `desc` into the store unless it is there already. Returns 'exists' or
 * 'downloaded'. Throws DigestMismatch (nothing stored) or a LiteError.
 */
export async function downloadBlob(desc: Descriptor, store: BlobStore, open: OpenBlob, opts: DownloadOptions): Promise<'exists' | 'downloaded'> {
  if (store.has(desc.digest)) {
    opts.progress.done(desc.digest, 'exists')
    return 'exists'
  }
  // One writer per partial file: another pull of an image that shares this layer waits
  // here (bounded), then finds the blob stored.
  const lock = await store.downloadLock(desc.digest)
  try {
    if (store.has(desc.digest)) {
      opts.progress.done(desc.digest, 'exists')
      return 'exists'
    }
    return await downloadLocked(desc, store, open, opts)
  } finally {
    lock.release()
  }
}

async function downloadLocked(desc: Descriptor, store: BlobStore, open: OpenBlob, opts: DownloadOptions): Promise<'downloaded'> {
  const { digest, size } = desc
  const partial = store.partialPath(digest)
  const maxAttempts = opts.maxAttempts ?? MAX_ATTEMPTS
  let lastError: Error | undefined
  let started = false
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    opts.signal?.throwIfAborted()
    let have = sizeOf(partial)
    if (have > size) {
      fs.rmSync(partial, { force: true })
      have = 0
    }
    if (!started) {
      opts.progress.start(digest, size, have)
      started = true
    } else {
      opts.progress.note(`${opts.what}: ${lastError?.message ?? 'interrupted'}; resuming at ${have} of ${size} bytes (try ${attempt} of ${maxAttempts})`)
    }
    const hash = createHash('sha256')
    if (have > 0) hashFilePrefix(partial, have, hash)
    if (have < size) {
      let sent: Sent & { host: string }
      try {
        sent = await open(have)
      } catch (e) {
        if (e instanceof NetworkError && e.retriable) {
          lastError = e
          await pause(opts.backoffMs ?? 1000 * attempt)
          continue
        }
        throw e
      }
      const status = sent.res.status
      const resumedFrom = have
      let append = false
      if (status === 206) {
        const start = contentRangeStart(sent.res.headers.get('content-range'))
        if (start !== have) {
          // A range other than the one asked for: start over rather than guess.
          discard(sent)
          fs.rmSync(partial, { force: true })
          lastError = new NetworkError(`${sent.host} answered a range from ${start}, not ${have}`)
          continue
        }
        append = have > 0
      } else if (status === 200) {
        if (have > 0) opts.progress.note(`${opts.what}: ${sent.host} ignored the range; downloading it again from the start`)
        have = 0
      } else if (status === 416 && have > 0) {
        // The registry will not serve the rest of what is here: start over.
        discard(sent)
        fs.rmSync(partial, { force: true })
        lastError = new NetworkError(`${sent.host} refused the range from ${have} (416)`)
        continue
      } else {
        discard(sent)
        throw new LiteError(`${opts.what}: ${sent.host} answered ${status} to a download`)
      }
      const h = append ? hash : createHash('sha256')
      const declared = Number(sent.res.headers.get('content-length') ?? NaN)
      if (Number.isFinite(declared) && have + declared > size) {
        discard(sent)
        fs.rmSync(partial, { force: true })
        throw new LiteError(`${opts.what}: ${sent.host} sends ${have + declared} bytes for a blob of ${size}`)
      }
      const fd = fs.openSync(partial, (append ? fs.constants.O_APPEND : fs.constants.O_TRUNC) | fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600)
      let broke: Error | undefined
      let refused: Error | undefined
      try {
        for await (const chunk of readChunks(sent, sent.host, opts.idleMs)) {
          if (opts.signal?.aborted) {
            discard(sent)
            throw opts.signal.reason
          }
          if (have + chunk.length > size) {
            discard(sent)
            refused = new LiteError(`${opts.what}: ${sent.host} sent more than the ${size} bytes its descriptor says`)
            break
          }
          for (let off = 0; off < chunk.length; ) off += fs.writeSync(fd, chunk, off, chunk.length - off)
          h.update(chunk)
          have += chunk.length
          opts.progress.update(digest, have)
        }
      } catch (e) {
        if (!(e instanceof NetworkError)) {
          fs.closeSync(fd)
          throw e
        }
        broke = e
      }
      fs.closeSync(fd)
      if (refused) {
        fs.rmSync(partial, { force: true })
        throw refused
      }
      if (broke || have < size) {
        lastError = broke ?? new NetworkError(`${sent.host} ended the blob at ${have} of ${size} bytes`)
        await pause(opts.backoffMs ?? 1000 * attempt)
        continue
      }
      const actual = `sha256:${h.digest('hex')}`
      if (actual !== digest) {
        fs.rmSync(partial, { force: true })
        // A resumed file may hold bytes that a power cut spoiled: one more try from the start.
        if (resumedFrom > 0 && append) {
          lastError = new DigestMismatch(digest, actual, `${opts.what} (resumed at ${resumedFrom})`)
          opts.progress.note(`${opts.what}: the resumed download does not match its digest; downloading it again from the start`)
          continue
        }
        throw new DigestMismatch(digest, actual, opts.what)
      }
    } else {
      const actual = `sha256:${hash.digest('hex')}`
      if (actual !== digest) {
        // A whole partial file that is wrong: drop it and download again.
        fs.rmSync(partial, { force: true })
        lastError = new DigestMismatch(digest, actual, `${opts.what} (partial download)`)
        continue
      }
    }
    // Every byte was hashed on its way in, and the lock kept other writers out.
    store.commitPartial(digest, opts.what, { verified: true })
    opts.progress.done(digest, 'downloaded')
    return 'downloaded'
  }
  throw new LiteError(`${opts.what}: the download failed ${maxAttempts} times; the last error: ${lastError?.message ?? 'unknown'}${sizeOf(partial) ? ` (the ${sizeOf(partial)} bytes so far are kept; pull again to resume)` : ''}`)
}

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
