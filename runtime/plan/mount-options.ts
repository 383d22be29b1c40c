// fstab options -> mount(2) flags and data, as a pure function (youki's parse_mount idea).
// A bind mount ignores most flags on its first call, so read-only and the other
// per-mount flags come back as a second, remount step.

import { MS } from './linux.ts'

export interface MountFlags {
  /** flags of the first mount call */
  flags: number
  /** comma-joined options the filesystem itself reads (size=, mode=, ...) */
  data: string
  /** bind mounts: flags of the MS_REMOUNT|MS_BIND step, or 0 when none is needed */
  remountFlags: number
  /** a separate propagation change (MS_PRIVATE, MS_SLAVE, ...), or 0 */
  propagation: number
  errors: string[]
}

const SET: Record<string, number> = {
  ro: MS.RDONLY, nosuid: MS.NOSUID, nodev: MS.NODEV, noexec: MS.NOEXEC, sync: MS.SYNCHRONOUS,
  dirsync: MS.DIRSYNC, mand: MS.MANDLOCK, noatime: MS.NOATIME, nodiratime: MS.NODIRATIME,
  relatime: MS.RELATIME, strictatime: MS.STRICTATIME, lazytime: MS.LAZYTIME, nosymfollow: MS.NOSYMFOLLOW,
}
const CLEAR: Record<string, number> = {
  rw: MS.RDONLY, suid: MS.NOSUID, dev: MS.NODEV, exec: MS.NOEXEC, async: MS.SYNCHRONOUS,
  nomand: MS.MANDLOCK, atime: MS.NOATIME, diratime: MS.NODIRATIME, norelatime: MS.RELATIME,
  nostrictatime: MS.STRICTATIME, nolazytime: MS.LAZYTIME, defaults: 0,
}
const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC,
  shared: MS.SHARED, rshared: MS.SHARED | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
}

/** Every option mountFlags takes as a flag rather than filesystem data (`features` lists them). */
export const KNOWN_MOUNT_OPTIONS: readonly string[] = ['bind', 'rbind', ...Object.keys(SET), ...Object.keys(CLEAR), ...Object.keys(PROPAGATION)].sort()

export function isBind(fstype: string, options: readonly string[]): boolean {
  return fstype === 'bind' || options.includes('bind') || options.includes('rbind')
}

export function mountFlags(fstype: string, options: readonly string[]): MountFlags {
  let flags = 0
  let propagation = 0
  const data: string[] = []
  const errors: string[] = []
  const bind = isBind(fstype, options)
  for (const opt of options) {
    if (opt === 'bind') flags |= MS.BIND
    else if (opt === 'rbind') flags |= MS.BIND | MS.REC
    else if (opt in SET) flags |= SET[opt]
    else if (opt in CLEAR) flags &= ~CLEAR[opt]
    else if (opt in PROPAGATION) propagation = PROPAGATION[opt]
    else if (bind) errors.push(`bind mounts take no filesystem option "${opt}"`)
    else data.push(opt)
  }
  if (bind) {
    flags |= MS.BIND
    // Everything but BIND/REC goes to the remount, which is what applies it.
    const perMount = flags & ~(MS.BIND | MS.REC)
    return { flags: flags & (MS.BIND | MS.REC), data: '', remountFlags: perMount ? MS.REMOUNT | MS.BIND | perMount : 0, propagation, errors }
  }
  return { flags, data: data.join(','), remountFlags: 0, propagation, errors }
}
