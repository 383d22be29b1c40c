// The few files every profile's rootfs has besides its program: /etc/passwd
// and /etc/group with root and the unprivileged user the lite config runs as,
// and /tmp. lite creates /proc, /sys and /dev in the overlay itself.

import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const APP_UID = 65534

export function writeBaseFiles(rootfs: string): void {
  mkdirSync(join(rootfs, 'etc'), { recursive: true, mode: 0o755 })
  writeFileSync(join(rootfs, 'etc/passwd'), `root:x:0:0:root:/root:/sbin/nologin\nnobody:x:${APP_UID}:${APP_UID}:nobody:/nonexistent:/sbin/nologin\n`)
  writeFileSync(join(rootfs, 'etc/group'), `root:x:0:\nnogroup:x:${APP_UID}:\n`)
  mkdirSync(join(rootfs, 'tmp'), { mode: 0o1777 })
  chmodSync(join(rootfs, 'tmp'), 0o1777)
}
