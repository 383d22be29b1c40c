// `lite rootfs build --arch arm64`: every profile builds from arm64 Debian
// packages; the Go, Python and Java samples run through qemu-user: inside lite when
// binfmt_misc has qemu-aarch64 with the F flag, else qemu-aarch64-static -L.

import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { lite, requireRootAndBuild, uniqueName } from '../support/integration.ts'
import { BUILD_FILE_BUDGET, buildJson, buildProfile } from '../support/rootfs-build.ts'

const BINFMT = '/proc/sys/fs/binfmt_misc/qemu-aarch64'
const binfmtWithF = existsSync(BINFMT) && /^flags:.*F/m.test(readFileSync(BINFMT, 'utf8')) && /^enabled/m.test(readFileSync(BINFMT, 'utf8'))

function runArm64(t: Test, out: string, argv: string[]): string {
  if (binfmtWithF) {
    const r = lite(['run', '--name', uniqueName('ra'), join(out, 'lite.ini')], { timeout: 180_000 })
    t.equal(r.code, 0, r.stderr)
    return r.stdout
  }
  t.comment('binfmt_misc has no qemu-aarch64 with the F flag: running qemu-aarch64-static -L against the rootfs')
  const r = spawnSync('qemu-aarch64-static', ['-L', join(out, 'rootfs'), join(out, 'rootfs', argv[0]!), ...argv.slice(1)], { encoding: 'utf8', timeout: 180_000 })
  t.equal(r.status, 0, r.stderr)
  return r.stdout
}

if (requireRootAndBuild(t)) {
  t.setTimeout(BUILD_FILE_BUDGET)

  t.test('go arm64 runs under qemu-user', async (t) => {
    const out = join(t.testdir(), 'go')
    const b = buildProfile('go', out, ['--arch', 'arm64', '--format', 'dir'])
    t.equal(b.code, 0, b.stderr)
    t.match(spawnSync('file', [join(out, 'rootfs/app')], { encoding: 'utf8' }).stdout, /ARM aarch64.*statically linked/)
    t.match(runArm64(t, out, ['/app']), '200 OK hello from go')
  })

  t.test('python arm64 runs under qemu-user', async (t) => {
    const out = join(t.testdir(), 'python')
    const b = buildProfile('python', out, ['--arch', 'arm64', '--format', 'dir'])
    t.equal(b.code, 0, b.stderr)
    t.ok(buildJson(out).rootfs <= 16_000_000, 'within 16 MB')
    t.match(runArm64(t, out, ['/usr/bin/python3.11', '/app/main.py']), 'HTTP/1.0 200 OK /ping hello from python')
  })

  t.test('busybox and java build for arm64', async (t) => {
    for (const profile of ['busybox', 'java']) {
      const out = join(t.testdir(), profile)
      const b = buildProfile(profile, out, ['--arch', 'arm64', '--format', 'dir,squashfs'])
      t.equal(b.code, 0, b.stderr)
      const elf = profile === 'busybox' ? 'rootfs/bin/busybox' : 'rootfs/opt/java/lib/server/libjvm.so'
      t.match(spawnSync('file', [join(out, elf)], { encoding: 'utf8' }).stdout, /ARM aarch64/, `${profile}: ${elf} is arm64`)
    }
    // The JVM with the trimmed libstdc++ (linked from arm64's libstdc++.a and libgcc.a),
    // and libjvm.so in DT_RELR: its code, which shared one segment with the tables, in
    // a segment of its own (relr.ts), loaded by arm64's glibc.
    const java = join(t.testdirName, 'java')
    const phdrs = spawnSync('readelf', ['-lW', join(java, 'rootfs/opt/java/lib/server/libjvm.so')], { encoding: 'utf8' }).stdout
    t.equal(phdrs.split('\n').filter((l) => /^\s+LOAD\s/.test(l)).length, 3, 'tables, code, data')
    t.ok(buildJson(java).extras['saved by RELR'] > 2_000_000, `DT_RELR saved ${buildJson(java).extras['saved by RELR']} bytes`)
    t.ok(buildJson(java).rootfs <= 32_000_000, `the arm64 image is ${buildJson(java).rootfs} bytes`)
    t.match(runArm64(t, java, ['/opt/java/bin/java', '-Xss512k', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-jar', '/app/app.jar']), 'java ok readings=1000 total=500000.0')
  })
}
