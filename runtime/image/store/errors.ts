// A store that cannot be written (read-only, full, not ours) is one clear line naming
// the store, not a stack: the file system's errno from Node, or from the addon's text.

import { LiteError } from '../../errors.ts'

const KINDS: [RegExp, string, (root: string) => string][] = [
  [/\bENOSPC\b|No space left on device/, 'ENOSPC', (r) => `the image store ${r} is full (ENOSPC): free space with lite image prune, or give another store with --store`],
  [/\bEDQUOT\b|Disk quota exceeded/, 'EDQUOT', (r) => `the image store ${r} is over its disk quota (EDQUOT)`],
  [/\bEROFS\b|Read-only file system/, 'EROFS', (r) => `the image store ${r} is on a read-only file system (EROFS): remount it read-write, or give another store with --store`],
  [/\bEACCES\b|Permission denied/, 'EACCES', (r) => `cannot write to the image store ${r} (EACCES): lite image needs root, or a store it owns`],
  [/\bEPERM\b|Operation not permitted/, 'EPERM', (r) => `cannot write to the image store ${r} (EPERM)`],
]

/** The errno name of a failed write to the store, when it is one of the store-level ones. */
export function storeErrno(e: unknown): string | undefined {
  const code = (e as { code?: unknown })?.code
  const text = `${typeof code === 'string' ? code : ''} ${(e as Error)?.message ?? ''}`
  return KINDS.find(([re]) => re.test(text))?.[1]
}

/**
 * Turns a full, read-only or forbidden store into a LiteError naming it (`what`: the
 * step, e.g. "importing busybox.tar"); anything else is returned as it is.
 */
export function storeFailure(e: unknown, root: string, what?: string): unknown {
  if (e instanceof LiteError) return e
  const errno = storeErrno(e)
  if (!errno) return e
  const kind = KINDS.find(([, name]) => name === errno)!
  const detail = (e as Error)?.message ? ` (${(e as Error).message.split('\n')[0]})` : ''
  return new LiteError(`${what ? `${what}: ` : ''}${kind[2](root)}${detail}`)
}
