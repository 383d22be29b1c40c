// What a [rootfs] path is: a directory, or an image file recognised by its
// superblock magic (the kernel would otherwise just fail the loop mount).

import fs from 'node:fs'
import { noteInput } from '../plan/inputs.ts'
import { describeFsError } from './errno.ts'
import { describeFileType, statPath } from './host-paths.ts'
import { ValueError, quote } from './values.ts'
import type { ContainerConfig } from './types.ts'

export type RootfsKind = ContainerConfig['rootfs']['kind']

/** squashfs: "hsqs" at offset 0 (0x73717368 little-endian) */
const SQUASHFS_MAGIC = 0x73717368
/** erofs: 0xE0F5E1E2 little-endian at offset 1024 (EROFS_SUPER_OFFSET) */
const EROFS_MAGIC = 0xe0f5e1e2
const EROFS_OFFSET = 1024

function readAt(file: string, offset: number, length: number): Buffer {
  noteInput(file)
  const fd = fs.openSync(file, 'r')
  try {
    const buf = Buffer.alloc(length)
    const n = fs.readSync(fd, buf, 0, length, offset)
    return buf.subarray(0, n)
  } finally {
    fs.closeSync(fd)
  }
}

/** The kind of `resolved`; errors quote `written`, the path as the config has it. */
export function rootfsKind(resolved: string, written: string): RootfsKind {
  const stat = statPath(resolved, written)
  if (stat.isDirectory()) return 'dir'
  if (!stat.isFile()) {
    throw new ValueError(`${quote(written)} is ${describeFileType(stat)}; use a directory or a squashfs/erofs image file`)
  }
  let head: Buffer
  let erofs: Buffer
  try {
    head = readAt(resolved, 0, 4)
    erofs = readAt(resolved, EROFS_OFFSET, 4)
  } catch (err) {
    throw new ValueError(`${quote(written)}: ${describeFsError(err)}`)
  }
  if (head.length === 4 && head.readUInt32LE(0) === SQUASHFS_MAGIC) return 'squashfs'
  if (erofs.length === 4 && erofs.readUInt32LE(0) === EROFS_MAGIC) return 'erofs'
  throw new ValueError(`${quote(written)} is a regular file but neither a squashfs nor an erofs image`)
}
