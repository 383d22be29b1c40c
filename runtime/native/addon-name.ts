// The unpacked addon's file name, and the rule for a file there being ours, apart from
// addon-dir.ts and free of node modules, so that the fast run's front (fast-front.ts)
// can use them before anything else of lite is loaded.

import type { FileFacts } from './libc-ffi.ts'

/**
 * The addon's name in `dir`: the build id, and the uid, since /tmp is shared and lite
 * uses only a file of its own user (another's may not be replaced there).
 */
export function addonFileName(dir: string, addonId: string, euid: number): string {
  return `${dir}/.lite-${addonId}.${euid}.node`
}

/**
 * A file lite may trust as its own, from its lstat: a plain file (not a link), owned by
 * `euid`, writable by no one else, and of `size` bytes when a size is given.
 */
export function isOwnFile(st: FileFacts | undefined, euid: number, size?: number): boolean {
  return !!st && st.file && st.uid === euid && (st.mode & 0o022) === 0 && (size === undefined || st.size === size)
}
