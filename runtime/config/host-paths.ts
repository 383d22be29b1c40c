// Checks on host paths named by a config (rootfs, upper dir, resolv.conf,
// hooks), made at validation time so that `lite check` catches a typo before
// anything is mounted. Errors name the path as the user wrote it, not the
// resolved one, so messages stay short and machine-independent.

import fs from 'node:fs'
import { noteInput } from '../plan/inputs.ts'
import { describeFsError } from './errno.ts'
import { quote } from './show-text.ts'
import { ValueError } from './value-error.ts'

/** What a path is, in words: "a directory", "a block device", ... */
export function describeFileType(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a directory'
  if (stat.isFile()) return 'a regular file'
  if (stat.isBlockDevice()) return 'a block device'
  if (stat.isCharacterDevice()) return 'a character device'
  if (stat.isFIFO()) return 'a FIFO'
  if (stat.isSocket()) return 'a socket'
  return 'not a file or directory'
}

/** stat (following symlinks), or a ValueError '"./x": No such file or directory (ENOENT)'. */
export function statPath(resolved: string, written: string): fs.Stats {
  noteInput(resolved)
  try {
    return fs.statSync(resolved)
  } catch (err) {
    throw new ValueError(`${quote(written)}: ${describeFsError(err)}`)
  }
}

export function requireDirectory(resolved: string, written: string): void {
  const stat = statPath(resolved, written)
  if (!stat.isDirectory()) throw new ValueError(`${quote(written)} is ${describeFileType(stat)}, not a directory`)
}

export function requireRegularFile(resolved: string, written: string): void {
  const stat = statPath(resolved, written)
  if (!stat.isFile()) throw new ValueError(`${quote(written)} is ${describeFileType(stat)}, not a regular file`)
}

/** A regular file that its owner, group or others may execute. */
export function requireExecutable(resolved: string, written: string): void {
  requireRegularFile(resolved, written)
  if ((statPath(resolved, written).mode & 0o111) === 0) throw new ValueError(`${quote(written)} is not executable`)
}
