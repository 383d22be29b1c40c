// The addon functions the image code needs: unpackLayer (the layer unpacker) and
// buildSquashfs (the squashfs writer), typed here until their branches land in the
// generated binding.d.ts, and lockFile (the store's flocks, already there). Everything
// goes through loadNative(), the only door to the addon, so tests replace it with
// t.mockImport as they do elsewhere. At the merge this file can become a re-export of
// the binding's types.

import { loadNative } from '../native/index.ts'

export interface UnpackOptions {
  compression: 'gzip' | 'zstd' | 'none' | 'auto'
  allowDevices: boolean
  maxBytes: number
  maxEntries?: number
}

export interface UnpackResult {
  /** sha256 of the uncompressed tar: checked against the config's rootfs.diff_ids */
  diffId: string
  entries: number
  bytes: number
  skippedDevices: number
}

export interface SquashfsOptions {
  blockSize?: number
  compression?: string
  level?: number
}

export interface SquashfsResult {
  bytes: number
  inodes: number
  files: number
  dataBytes: number
}

export interface ImageNative {
  /** Applies one layer (whiteouts and all) onto `stagingDir`, every path resolved inside it. */
  unpackLayer(blobPath: string, stagingDir: string, options: UnpackOptions): Promise<UnpackResult>
  /** Writes `sourceDir` as one squashfs image at `outPath`. */
  buildSquashfs(sourceDir: string, outPath: string, options: SquashfsOptions): Promise<SquashfsResult>
  /** A shared or exclusive flock without waiting: the fd, or an error with code "Busy". */
  lockFile(path: string, exclusive: boolean): number
}

export async function imageNative(): Promise<ImageNative> {
  return (await loadNative()) as unknown as ImageNative
}
