// Turns a Node file-system error into the text lite prints: the C library's
// wording plus the errno name, e.g. "No such file or directory (ENOENT)".
// A fixed table (rather than util.getSystemErrorMap) keeps the text identical
// under Node and Bun, and in snapshots.

import { constants } from 'node:os'

const STRERROR: Record<string, string> = {
  EACCES: 'Permission denied',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  EINVAL: 'Invalid argument',
  EIO: 'Input/output error',
  EISDIR: 'Is a directory',
  ELOOP: 'Too many levels of symbolic links',
  EMFILE: 'Too many open files',
  ENAMETOOLONG: 'File name too long',
  ENFILE: 'Too many open files in system',
  ENODEV: 'No such device',
  ENOENT: 'No such file or directory',
  ENOMEM: 'Cannot allocate memory',
  ENOTDIR: 'Not a directory',
  ENXIO: 'No such device or address',
  EPERM: 'Operation not permitted',
  EROFS: 'Read-only file system',
  E2BIG: 'Argument list too long',
  EAGAIN: 'Resource temporarily unavailable',
  EBADF: 'Bad file descriptor',
  ENOEXEC: 'Exec format error',
  ENOSPC: 'No space left on device',
  ENOSYS: 'Function not implemented',
  ENOTEMPTY: 'Directory not empty',
  EOPNOTSUPP: 'Operation not supported',
  ERANGE: 'Numerical result out of range',
  ESRCH: 'No such process',
  ETXTBSY: 'Text file busy',
}

const ERRNO_NAMES: Record<number, string> = Object.fromEntries(Object.entries(constants.errno).map(([name, n]) => [n, name]))

/** The errno's name (ENOENT) for its number, as a child's set-up report carries it. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`
}

/** "TEXT (NAME)": the one shape of every errno lite prints. */
function withName(text: string | undefined, name: string): string {
  return text ? `${text} (${name})` : name
}

/** An errno number, with the C library's text when `text` is given (the addon's strerror). */
export function describeErrno(errno: number, text?: (errno: number) => string): string {
  return withName(text?.(errno), errnoName(errno))
}

/** "No such file or directory (ENOENT)" for an fs error; the message for anything else. */
export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code
  if (typeof code === 'string' && code !== '') return withName(STRERROR[code], code)
  return err instanceof Error ? err.message : String(err)
}
