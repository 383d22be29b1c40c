// The unpacked addon's file name, and the check that a file there is ours, apart from
// addon-dir.ts so that the fast run's front (fast-front.ts) can use them without loading
// the directory checks.

import { lstatSync } from 'node:fs'

/**
 * The addon's name in `dir`: the build id, and the uid, since /tmp is shared and lite
 * uses only a file of its own user (another's may not be replaced there).
 */
export function addonFileName(dir: string, addonId: string, euid: number): string {
  return `${dir}/.lite-${addonId}.${euid}.node`
}

/**
 * A file lite may trust as its own: a plain file (not a link), owned by `euid`,
 * writable by no one else, and of `size` bytes when a size is given.
 */
export function ownFile(path: string, euid: number, size?: number): boolean {
  try {
    const st = lstatSync(path)
    return st.isFile() && st.uid === euid && (st.mode & 0o022) === 0 && (size === undefined || st.size === size)
  } catch {
    return false
  }
}
