// The image outputs of `lite rootfs build`: Debian's dockerd (started here,
// with its data, exec root and socket under build/, no iptables, no bridge)
// loads the docker-save archive and runs it; skopeo reads the OCI layout.

import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import t from 'tap'
import { startDockerd } from '../support/dockerd.ts'
import { requireRootAndBuild } from '../support/integration.ts'
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
    const docker = await startDockerd(t)
    if (!docker) return
    const load = docker(['load', '-i', join(out, 'image-docker.tar')])
    t.equal(load.status, 0, load.stderr)
    t.match(load.stdout, 'lite/python:amd64')
    const run = docker(['run', '--rm', '--network', 'none', 'lite/python:amd64'])
    t.equal(run.status, 0, run.stderr)
    t.match(run.stdout, 'HTTP/1.0 200 OK /ping hello from python')
  })
}
