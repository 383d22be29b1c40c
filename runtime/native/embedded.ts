// The addon embedded in the compiled binary (Bun only: `with { type: 'file' }` makes
// bun build carry the bytes). It is written once to a directory that allows exec and
// reused while its identity matches: same build id in the name, same size, owned by us
// and not writable by others. An unpack also removes what unpacks killed half-way left.

import { lstatSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import addonFile from './lite.node' with { type: 'file' }
import { readMountInfo } from '../host/mountinfo.ts'
import { LiteError } from '../errors.ts'
import { addonFileName, noAddonDirMessage, pickAddonDir, removeStaleUnpacks, unpackTempName } from './addon-dir.ts'

// Set by scripts/build (bun build --define); "dev" when run from source.
const ADDON_ID = process.env.LITE_ADDON_ID ?? 'dev'

function usable(path: string, size: number, euid: number): boolean {
  try {
    const st = lstatSync(path)
    return st.isFile() && st.uid === euid && (st.mode & 0o022) === 0 && st.size === size
  } catch {
    return false
  }
}

export function embeddedAddonPath(): string {
  const euid = process.geteuid?.() ?? 0
  const { dir, checks } = pickAddonDir(process.env, euid, readMountInfo())
  if (!dir) throw new LiteError(noAddonDirMessage(checks))
  const size = lstatSync(addonFile).size
  const target = addonFileName(dir, ADDON_ID, euid)
  if (usable(target, size, euid)) return target
  removeStaleUnpacks(dir, euid)
  // Write beside it and rename, so that a concurrent lite never dlopens half a file.
  const temp = unpackTempName(target, process.pid)
  try {
    writeFileSync(temp, readFileSync(addonFile), { mode: 0o500, flag: 'wx' })
    renameSync(temp, target)
  } catch (e) {
    try {
      unlinkSync(temp)
    } catch {}
    throw new LiteError(`cannot unpack the native addon into ${dir}: ${(e as Error).message}`)
  }
  return target
}
