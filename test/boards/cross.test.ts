// The cross-built arm64 binary (scripts/cross-build) runs: --version, check and info
// under qemu-aarch64-static, with the arm64 glibc of Debian's cross libc package.

import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { REPO, commandExists } from '../support/boards.ts'
import pkg from '../../package.json' with { type: 'json' }

const ARM64 = join(REPO, 'dist/lite-linux-arm64')
const env = { ...process.env, QEMU_LD_PREFIX: '/usr/aarch64-linux-gnu' }

function lite(args: string[]) {
  return spawnSync('qemu-aarch64-static', [ARM64, ...args], { encoding: 'utf8', env, timeout: 120_000, cwd: REPO })
}

t.test('dist/lite-linux-arm64 under qemu-aarch64-static', async (t) => {
  if (!commandExists('qemu-aarch64-static')) return t.fail('qemu-aarch64-static is not installed (scripts/setup --cross)')
  if (!existsSync(ARM64)) return t.fail('dist/lite-linux-arm64 is missing (scripts/cross-build)')
  const file = spawnSync('file', ['-b', ARM64], { encoding: 'utf8' }).stdout
  t.match(file, /ARM aarch64/, 'an arm64 ELF')
  t.comment(`size: ${statSync(ARM64).size} bytes`)
  const v = lite(['--version'])
  t.equal(v.status, 0)
  t.equal(v.stdout.trim(), pkg.version)
  const c = lite(['check', 'configs/hello.ini', 'configs/sensor.ini'])
  t.equal(c.status, 0, c.stderr)
  t.match(c.stdout, /configs\/hello.ini: ok/)
  const bad = lite(['check', 'test/fixtures/config/does-not-exist.ini'])
  t.equal(bad.status, 1, 'a bad config fails the check')
  const i = lite(['info'])
  t.equal(i.status, 0, i.stderr)
  t.match(i.stdout, /\(arm64\)/, 'info reports the arm64 process')
  t.match(i.stdout, /cgroup:/)
})
