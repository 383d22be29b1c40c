// The one way lite reads a whole file that a config names or that the host
// provides (a config, a seccomp profile, the host's resolv.conf, /proc files):
// a regular file only, and at most a cap of bytes, read in a bounded loop.
//
// readFileSync would take /dev/zero until memory runs out (16.8 GB for
// `lite check /dev/zero`), block for good on a FIFO with no writer, and open a
// device such as a watchdog, whose mere opening starts it. So the path is
// stat'ed first and only a regular file is opened (O_NONBLOCK and O_NOCTTY for
// the case where it is swapped for a FIFO or a tty in between), the open file is
// checked again with fstat, and the read stops one byte past the cap. /proc files
// say size 0, which is why the cap is enforced on what is read, not on st_size.

import fs from 'node:fs'
import { noteInput } from '../plan/inputs.ts'
import { describeFsError } from './errno.ts'
import { describeFileType } from './host-paths.ts'

/** Why a file was not read; `code` is the errno name when the system refused. */
export class FileReadError extends Error {
  override name = 'FileReadError'
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message)
  }
}

/** 1048576 -> "1 MiB", 65536 -> "64 KiB" (caps are whole KiB or MiB). */
export function formatByteSize(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes >> 20} MiB`
  if (bytes >= 1 << 10 && bytes % (1 << 10) === 0) return `${bytes >> 10} KiB`
  return `${bytes} bytes`
}

/** The first read's size when the file does not say its own (/proc). */
const FIRST_CHUNK = 64 * 1024

function systemError(err: unknown): FileReadError {
  const code = (err as NodeJS.ErrnoException | null)?.code
  return new FileReadError(describeFsError(err), typeof code === 'string' ? code : undefined)
}

function notRegular(stat: fs.Stats): FileReadError {
  return new FileReadError(`${describeFileType(stat)}, not a regular file`)
}

/**
 * The text (UTF-8) of the regular file `path`, if it holds at most `limit`
 * bytes; `what` names the file in the message of one that is larger ("a config
 * file"). Throws a FileReadError whose message says why, without the path:
 * "No such file or directory (ENOENT)", "a FIFO, not a regular file",
 * "larger than 1 MiB, the most lite reads of a config file".
 */
export function readBoundedText(path: string, limit: number, what: string): string {
  const tooLarge = () => new FileReadError(`larger than ${formatByteSize(limit)}, the most lite reads of ${what}`)
  let stat: fs.Stats
  noteInput(path)
  try {
    stat = fs.statSync(path)
  } catch (err) {
    throw systemError(err)
  }
  if (!stat.isFile()) throw notRegular(stat)
  if (stat.size > limit) throw tooLarge()

  let fd: number
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY)
  } catch (err) {
    throw systemError(err)
  }
  try {
    const opened = fs.fstatSync(fd)
    if (!opened.isFile()) throw notRegular(opened)
    // one byte past the cap tells a file at the cap from a larger one
    let buf = Buffer.allocUnsafe(Math.min(limit + 1, opened.size > 0 ? opened.size + 1 : FIRST_CHUNK))
    let length = 0
    // each pass reads at least one byte or ends, and length never passes limit + 1
    for (;;) {
      if (length === buf.length) {
        if (buf.length > limit) throw tooLarge()
        const bigger = Buffer.allocUnsafe(Math.min(limit + 1, buf.length * 2))
        buf.copy(bigger, 0, 0, length)
        buf = bigger
      }
      let n: number
      try {
        n = fs.readSync(fd, buf, length, buf.length - length, null)
      } catch (err) {
        throw systemError(err)
      }
      if (n === 0) break
      length += n
    }
    if (length > limit) throw tooLarge()
    return buf.toString('utf8', 0, length)
  } finally {
    fs.closeSync(fd)
  }
}
