// Power-cut-safe writes (DESIGN.md §7, §11): write a temp name, fsync it, rename it
// over the target, fsync the directory. A reader sees the old content or the new one,
// never a half-written file.

import fs from 'node:fs'
import path from 'node:path'

/** fsync of a directory, so that a rename or unlink in it is on the disk. */
export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY)
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * mkdir -p that lasts: each directory it creates is fsynced into its parent, so that a
 * power cut after a write into it cannot lose the directory (and the file with it) on a
 * file system that does not order the mkdir before the later fsync of the file's own
 * directory. Directories that exist already cost one stat.
 */
export function mkdirDurable(dir: string, mode = 0o755): void {
  const missing: string[] = []
  for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) {
    missing.unshift(d)
    if (path.dirname(d) === d) break
  }
  for (const d of missing) {
    try {
      fs.mkdirSync(d, { mode })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    fsyncDir(path.dirname(d))
  }
}

/** How many times a write whose fsync failed is made again, from the start, in a new file. */
const FSYNC_ATTEMPTS = 2

/** One whole write of `bytes` into a new `temp`, fsynced; the temp is gone if it throws. */
function writeDurably(temp: string, bytes: Uint8Array, mode: number): void {
  const fd = fs.openSync(temp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, mode)
  try {
    for (let done = 0; done < bytes.length; ) done += fs.writeSync(fd, bytes, done)
    fs.fsyncSync(fd)
  } catch (err) {
    fs.closeSync(fd)
    fs.rmSync(temp, { force: true })
    throw err
  }
  fs.closeSync(fd)
}

/**
 * Replaces `file` with `data` atomically and durably; creates its directory. A failed
 * fsync (EIO) may have dropped the dirty pages and cleared the error, so a second fsync
 * of the same file would prove nothing: the temp file is removed and the whole write
 * made again in a new one, once, before the error is given up to the caller.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): void {
  const dir = path.dirname(file)
  mkdirDurable(dir)
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`)
  const bytes = typeof data === 'string' ? Buffer.from(data) : data
  for (let attempt = 1; ; attempt++) {
    try {
      writeDurably(temp, bytes, mode)
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EIO' || attempt >= FSYNC_ATTEMPTS) throw err
    }
  }
  try {
    fs.renameSync(temp, file)
  } catch (err) {
    fs.rmSync(temp, { force: true })
    throw err
  }
  fsyncDir(dir)
}

/** Moves a finished, fsynced file into place durably (same filesystem). */
export function renameDurable(from: string, to: string): void {
  mkdirDurable(path.dirname(to))
  fs.renameSync(from, to)
  fsyncDir(path.dirname(to))
}
