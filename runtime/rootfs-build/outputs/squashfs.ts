// A reproducible squashfs image of the rootfs: mksquashfs sorts directory
// entries itself; times are fixed to 0 and every file is owned by root, so the
// same tree gives the same bytes.

import { spawnSync } from 'node:child_process'
import { statSync } from 'node:fs'

export function writeSquashfs(rootfs: string, image: string): number {
  const r = spawnSync(
    'mksquashfs',
    [rootfs, image, '-noappend', '-all-root', '-comp', 'xz', '-mkfs-time', '0', '-all-time', '0', '-no-progress', '-quiet', '-processors', '2'],
    { encoding: 'utf8' },
  )
  if (r.status !== 0) throw new Error(`mksquashfs failed: ${(r.stderr || r.stdout || String(r.error)).trim()}`)
  return statSync(image).size
}
