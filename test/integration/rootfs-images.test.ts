// The image outputs of `lite rootfs build`: Debian's dockerd (started here,
// with its data, exec root and socket under build/, no iptables, no bridge)
// loads the docker-save archive and runs it; skopeo reads the OCI layout.

import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { REPO, eventually, requireRootAndBuild } from '../support/integration.ts'
import { BUILD_FILE_BUDGET, buildProfile } from '../support/rootfs-build.ts'

if (requireRootAndBuild(t)) {
  t.setTimeout(BUILD_FILE_BUDGET)

  t.test('OCI layout: skopeo inspects it', async (t) => {
    const out = join(t.testdir(), 'busybox')
    t.equal(buildProfile('busybox', out, ['--format', 'oci']).code, 0)
    const r = spawnSync('skopeo', ['inspect', '--raw', `oci:${join(out, 'image-oci')}:amd64`], { encoding: 'utf8' })
    t.equal(r.status, 0, r.stderr)
    t.match(JSON.parse(r.stdout), { schemaVersion: 2, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }] })
    const c = spawnSync('skopeo', ['inspect', '--config', `oci:${join(out, 'image-oci')}:amd64`], { encoding: 'utf8' })
    t.equal(c.status, 0, c.stderr)
    t.match(JSON.parse(c.stdout), { architecture: 'amd64', os: 'linux', config: { User: '65534:65534' } })
  })

  t.test('docker round trip: docker load + docker run of the python image', async (t) => {
    const out = join(t.testdir(), 'python')
    t.equal(buildProfile('python', out, ['--format', 'docker']).code, 0)
    // Short paths: the socket path must fit in sun_path (108 bytes).
    const base = join(REPO, 'build/dk')
    rmSync(base, { recursive: true, force: true })
    mkdirSync(base, { recursive: true })
    const sock = join(base, 'd.sock')
    const daemon = spawn('dockerd', ['--iptables=false', '--ip6tables=false', '--bridge=none', '--data-root', join(base, 'data'), '--exec-root', join(base, 'x'), '--pidfile', join(base, 'd.pid'), '-H', `unix://${sock}`, '--storage-driver', 'vfs'], { stdio: ['ignore', 'ignore', 'pipe'] })
    let log = ''
    daemon.stderr.on('data', (d) => (log = (log + d).slice(-4000)))
    t.teardown(async () => {
      daemon.kill('SIGTERM')
      await eventually(() => daemon.exitCode !== null || daemon.signalCode !== null, 20_000)
      if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL')
      spawnSync('umount', ['-R', '-l', base])
      rmSync(base, { recursive: true, force: true })
    })
    const docker = (args: string[], timeout = 120_000) => spawnSync('docker', ['-H', `unix://${sock}`, ...args], { encoding: 'utf8', timeout })
    const up = await eventually(() => existsSync(sock) && docker(['version'], 10_000).status === 0, 60_000)
    if (!up) {
      // The only accepted skip: say why, in the test output.
      t.comment(`SKIP: dockerd could not start on this kernel: ${log.split('\n').filter(Boolean).slice(-3).join(' | ')}`)
      return
    }
    const load = docker(['load', '-i', join(out, 'image-docker.tar')])
    t.equal(load.status, 0, load.stderr)
    t.match(load.stdout, 'lite/python:amd64')
    const run = docker(['run', '--rm', '--network', 'none', 'lite/python:amd64'])
    t.equal(run.status, 0, run.stderr)
    t.match(run.stdout, 'HTTP/1.0 200 OK /ping hello from python')
  })
}
