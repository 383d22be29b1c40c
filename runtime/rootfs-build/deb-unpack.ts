// Unpacking .deb files into the staging tree with dpkg-deb -x: data only, no
// maintainer scripts run (the rootfs is assembled, not installed).

import { spawnSync } from 'node:child_process'
import { basename } from 'node:path'
import type { Progress } from './progress.ts'

export function unpackDebs(debs: string[], staging: string, progress: Progress): void {
  for (const deb of debs) {
    progress('unpack', basename(deb))
    const r = spawnSync('dpkg-deb', ['-x', deb, staging], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`dpkg-deb -x ${basename(deb)}: ${(r.stderr || '').trim()}`)
  }
}
