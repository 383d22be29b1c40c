// The addon embedded in the compiled binary (Bun only: `with { type: 'file' }` makes
// bun build carry the bytes), gzip-compressed by the build (1.53 MB -> 0.68 MB of the
// binary). It is unpacked once to a directory that allows exec and reused while its
// identity matches: same build id in the name, same size, owned by us and not writable
// by others. An unpack checks the bytes against the build's sha256 before it renames
// them into place, and removes what unpacks killed half-way left.

import { lstatSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import addonFile from './lite.node.gz' with { type: 'file' }
import { readMountInfo } from '../host/mountinfo.ts'
import { LiteError } from '../errors.ts'
import { addonFileName, noAddonDirMessage, pickAddonDir, removeStaleUnpacks, unpackTempName } from './addon-dir.ts'
import { type BunZip, unpackedAddon } from './addon-bytes.ts'
import { ADDON_BYTES, ADDON_ID } from '../build-info.ts'
import { isOwnFile } from './addon-name.ts'

/** isOwnFile of what is at `path` now (false when nothing is, or it can't be seen). */
function ownFile(path: string, euid: number, size: number): boolean {
  try {
    const st = lstatSync(path)
    return isOwnFile({ file: st.isFile(), uid: st.uid, mode: st.mode, size: st.size }, euid, size)
  } catch {
    return false
  }
}

export function embeddedAddonPath(): string {
  const euid = process.geteuid?.() ?? 0
  const { dir, checks } = pickAddonDir(process.env, euid, readMountInfo())
  if (!dir) throw new LiteError(noAddonDirMessage(checks))
  const target = addonFileName(dir, ADDON_ID, euid)
  if (ownFile(target, euid, ADDON_BYTES)) return target
  removeStaleUnpacks(dir, euid)
  const bytes = unpackedAddon(readFileSync(addonFile), (globalThis as unknown as { Bun: BunZip }).Bun, { bytes: ADDON_BYTES, id: ADDON_ID })
  // Write beside it and rename, so that a concurrent lite never dlopens half a file.
  const temp = unpackTempName(target, process.pid)
  try {
    writeFileSync(temp, bytes, { mode: 0o500, flag: 'wx' })
    renameSync(temp, target)
  } catch (e) {
    try {
      unlinkSync(temp)
    } catch {}
    throw new LiteError(`cannot unpack the native addon into ${dir}: ${(e as Error).message}`)
  }
  return target
}
