// A small file read whole, as the store reads its records and an image's account
// files: no symlink followed at the last step, a regular file only (O_NONBLOCK, so a
// FIFO planted in its place cannot hang the read), and a size bound.

import fs from 'node:fs'
import { LiteError } from '../../errors.ts'

/** The file's bytes, or undefined when it does not exist. */
export function readSmallFile(file: string, limit: number): Buffer | undefined {
  let fd: number
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw e
  }
  try {
    const st = fs.fstatSync(fd)
    if (!st.isFile()) throw new LiteError(`${file} is not a regular file`)
    if (st.size > limit) throw new LiteError(`${file} is ${st.size} bytes, more than the ${limit} it may have`)
    const buf = Buffer.alloc(st.size)
    let done = 0
    while (done < buf.length) {
      const n = fs.readSync(fd, buf, done, buf.length - done, done)
      if (n === 0) break
      done += n
    }
    return buf.subarray(0, done)
  } finally {
    fs.closeSync(fd)
  }
}
