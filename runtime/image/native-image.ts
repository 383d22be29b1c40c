// The addon functions the image code needs: unpackLayer (the layer unpacker),
// buildSquashfs (the squashfs writer) and lockFile (the store's flocks). Everything
// goes through loadNative(), the only door to the addon, so tests replace it with
// t.mockImport or hand a fake of this shape.

import { loadNative, type Native } from '../native/index.ts'
export type { SquashfsOptions, SquashfsResult, UnpackOptions, UnpackResult } from '../native/binding'

export type ImageNative = Pick<Native, 'unpackLayer' | 'buildSquashfs' | 'lockFile'>

export async function imageNative(): Promise<ImageNative> {
  return await loadNative()
}
