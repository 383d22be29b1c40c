// A small tmpfs for the store tests that need a full or read-only file system.

import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'

/** A tmpfs of `size` on a new dir (not under t.testdir, whose removal would come first); unmounted in a teardown. */
export function tmpfs(t: Test, prefix: string, size: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { encoding: 'utf8' })
  if (m.status !== 0) throw new Error(`mount tmpfs: ${m.stderr}`)
  t.teardown(() => {
    spawnSync('umount', ['-l', dir])
    rmSync(dir, { recursive: true, force: true })
  })
  return dir
}
