// Images end to end through the real dist/lite, all traffic on 127.0.0.1:
// - Debian's docker-registry, filled by skopeo from OCI layouts made here;
// - a multi-layer image (whiteouts before and after their own layer's entries, an
//   opaque directory, hard links within a layer and to a lower layer's file,
//   symlinks, setuid, a 100 MB file) pulled by tag and by digest: the image's tree is
//   the one `umoci unpack` makes of the same layout;
// - the python profile, pulled, then run through [rootfs] image with its own Cmd,
//   Env and User;
// - malicious layers, imported: refused with 125 (or their devices skipped), nothing
//   written outside the staging tree, nothing half-stored.

import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import t from 'tap'
import { assertNoLeaks, lite, requireRootAndBuild, snapshotHost, type Result } from '../support/integration.ts'
import { buildProfile, BUILD_FILE_BUDGET } from '../support/rootfs-build.ts'
import { skopeoCopy, startDockerRegistry } from '../support/docker-registry.ts'
import { listTree, treeLines } from '../support/tree-list.ts'
import { layerTar, writeOciLayout, type Entry } from '../support/layer-fixtures.ts'

/** An OCI layout at `dir` with one image of `layers` (gzip), tagged `tag`. */
async function ociLayout(dir: string, tag: string, layers: Entry[][], config: Record<string, unknown> = {}): Promise<{ manifest: string }> {
  return writeOciLayout(dir, await Promise.all(layers.map(layerTar)), { gzip: true, annotations: { 'org.opencontainers.image.ref.name': tag }, config })
}

const dir = (name: string): Entry => ({ name, type: 'directory' })
const file = (name: string, text: string, mode?: number): Entry => ({ name, data: Buffer.from(text), mode })

/** The layers of the "rich" image: what real images do to each other, in one place. */
function richLayers(big: Buffer): Entry[][] {
  return [
    [
      dir('etc'), file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nsvc:x:101:102::/srv:/bin/sh\n'), file('etc/group', 'root:x:0:\nsvc:x:102:\n'),
      dir('bin'), file('bin/tool', '#!/bin/sh\necho tool\n', 0o4755), { name: 'bin/tool-link', type: 'link', linkname: 'bin/tool' },
      dir('opt'), dir('opt/cache'), file('opt/cache/a', 'a'), file('opt/cache/b', 'b'), dir('opt/cache/sub'), file('opt/cache/sub/c', 'c'),
      dir('srv'), { name: 'srv/owned', data: Buffer.from('svc'), uid: 101, gid: 102, mode: 0o640 },
      file('old-before', 'removed by a whiteout that comes first in layer 2'), file('old-after', 'removed by a whiteout that comes last in layer 2'),
      { name: 'lib', type: 'symlink', linkname: 'usr/lib' }, dir('usr'), dir('usr/lib'), file('usr/lib/libx.so', 'ELF?'),
      { name: 'big.bin', data: big },
    ],
    [
      // a whiteout, then an entry of the same name in the same layer: the new one stays
      file('.wh.old-before', ''),
      file('old-before', 'written again after its whiteout'),
      dir('opt'), dir('opt/cache'), file('opt/cache/.wh..wh..opq', ''), file('opt/cache/new', 'only this after the opaque dir'),
      { name: 'bin/tool-hardlink-lower', type: 'link', linkname: 'bin/tool' },
      { name: 'etc/link-to-passwd', type: 'symlink', linkname: '../etc/passwd' },
      file('old-after', 'the same layer wrote it before its whiteout'), file('.wh.old-after', ''),
    ],
  ]
}

function imageCmd(store: string, args: string[], timeout = 300_000): Result {
  return lite(['image', ...args, '--store', store], { timeout })
}

if (!requireRootAndBuild(t)) {
  // requireRootAndBuild commented and, under CI, failed
} else {
  const missing = ['docker-registry', 'skopeo', 'umoci', 'unsquashfs'].filter((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0)
  if (missing.length) {
    t.comment(`missing ${missing.join(' ')} (scripts/setup installs them)`)
    if (process.env.CI) t.fail('CI must have the image test tools (scripts/setup)')
  } else {
    t.setTimeout(BUILD_FILE_BUDGET)
    const base = t.testdir()
    let registry = ''
    t.before(async () => {
      registry = await startDockerRegistry(t, base)
    })

    t.test('a multi-layer image: pulled by tag and by digest, the tree umoci unpack makes', async (t) => {
      const layout = join(base, 'rich')
      const big = randomBytes(100 << 20)
      const { manifest } = await ociLayout(layout, 'v1', richLayers(big))
      await skopeoCopy(t, layout, 'v1', `${registry}/test/rich:v1`, undefined, 300_000)
      const store = join(base, 'store-rich')
      const byTag = imageCmd(store, ['pull', `${registry}/test/rich:v1`, '--insecure', '--quiet'])
      t.equal(byTag.code, 0, byTag.stderr)
      t.equal(byTag.stdout.trim(), manifest, 'pull prints the manifest digest')
      const byDigest = imageCmd(store, ['pull', `${registry}/test/rich@${manifest}`, '--insecure', '--quiet'])
      t.equal(byDigest.code, 0, byDigest.stderr)
      t.equal(byDigest.stdout.trim(), manifest, 'the same image by digest')
      t.same(readdirSync(join(store, 'tmp')).filter((n) => !n.startsWith('.')), [], 'no staging tree left')

      const work = join(base, 'rich-cmp')
      mkdirSync(work, { recursive: true })
      const sqfs = join(store, 'images', manifest.slice(7), 'image.sqfs')
      const x = spawnSync('unsquashfs', ['-q', '-d', join(work, 'lite'), sqfs], { encoding: 'utf8' })
      t.equal(x.status, 0, x.stderr)
      const u = spawnSync('umoci', ['unpack', '--image', `${layout}:v1`, join(work, 'umoci')], { encoding: 'utf8', timeout: 300_000 })
      t.equal(u.status, 0, u.stderr)
      const ours = treeLines(listTree(join(work, 'lite')))
      t.same(ours, treeLines(listTree(join(work, 'umoci/rootfs'))), 'paths, types, modes, owners, sizes, contents and link targets')
      const read = (p: string) => readFileSync(join(work, 'lite', p), 'utf8')
      t.equal(read('old-before'), 'written again after its whiteout', 'a whiteout before its own layer\'s entry keeps the entry')
      t.equal(read('old-after'), 'the same layer wrote it before its whiteout', 'a whiteout never removes its own layer\'s entry')
      t.same(readdirSync(join(work, 'lite/opt/cache')), ['new'], 'the opaque directory hides the lower layer\'s children')
      t.ok(readFileSync(join(work, 'lite/big.bin')).equals(big), 'the 100 MB file is whole')
      t.equal(listTree(join(work, 'lite')).find((e) => e.path === 'bin/tool')?.mode, '4755', 'setuid kept')
    })

    t.test('the python profile: pulled, then run through [rootfs] image with its own Cmd, Env and User', async (t) => {
      const out = join(base, 'python')
      const build = buildProfile('python', out)
      t.equal(build.code, 0, `lite rootfs build python: ${build.stderr.slice(-2000)}`)
      await skopeoCopy(t, join(out, 'image-oci'), 'amd64', `${registry}/lite/python:3`)
      const store = join(base, 'store-python')
      const p = imageCmd(store, ['pull', `${registry}/lite/python:3`, '--insecure', '--quiet'])
      t.equal(p.code, 0, p.stderr)
      const config = join(base, 'python.ini')
      writeFileSync(config, `[container]\nname = py-image\n\n[rootfs]\nimage = ${registry}/lite/python:3\n`)
      const before = snapshotHost()
      const r = lite(['run', '--store', store, config], { timeout: 120_000 })
      t.equal(r.code, 0, r.stderr)
      t.match(r.stdout, /^HTTP\/1\.0 200 OK \/ping hello from python\n$/, 'the image\'s own Cmd ran')
      const env = lite(['run', '--store', store, config, '--', '/usr/bin/python3', '-c', 'import os; print(os.getuid(), os.environ["HOME"])'], { timeout: 120_000 })
      t.equal(env.code, 0, env.stderr)
      t.equal(env.stdout.trim(), '65534 /tmp', 'the image\'s User and Env')
      const rm = lite(['rm', 'py-image'], { env: { ...process.env, LITE_STORE: store } })
      t.equal(rm.code, 0, `lite rm releases the record of a foreground run: ${rm.stderr}`)
      t.notOk(existsSync(join(store, 'containers', 'py-image')))
      await assertNoLeaks(t, before)
    })

    t.test('malicious layers: refused or defused, nothing outside the staging tree', async (t) => {
      const root = join(base, 'evil')
      const decoy = join(root, 'decoy')
      mkdirSync(decoy, { recursive: true })
      const store = join(root, 'store')
      const ini = join(root, 'images.ini')
      writeFileSync(ini, '[store]\nmax_layer_size = 64M\n')
      const cases: { name: string; layers: Entry[][]; refused?: RegExp; check?: (tree: string[]) => void }[] = [
        { name: 'dotdot', layers: [[file('../escaped', 'x'), file('../../../../../../escaped', 'x')]], refused: /leaves the image/ },
        { name: 'absolute', layers: [[file(`${decoy}/absolute`, 'x')]], check: (tree) => t.ok(tree.some((l) => l.includes(`${decoy.slice(1)}/absolute`)), 'an absolute name lands inside the image') },
        { name: 'symlink-write', layers: [[{ name: 'evil', type: 'symlink', linkname: decoy }, file('evil/pwned', 'x')]], refused: /symbolic link/ },
        { name: 'symlink-lower', layers: [[{ name: 'evil', type: 'symlink', linkname: decoy }], [file('evil/pwned', 'x')]], refused: /symbolic link/ },
        { name: 'hardlink-out', layers: [[{ name: 'pw', type: 'link', linkname: '../../../../../../etc/passwd' }]], refused: /leaves the image|not a regular file|hard link/ },
        { name: 'devices', layers: [[dir('dev'), { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0 }, { name: 'dev/mem', type: 'character-device', devmajor: 1, devminor: 1 }]], check: (tree) => t.notOk(tree.some((l) => /dev\/(sda|mem)/.test(l)), 'device nodes skipped') },
        { name: 'bomb', layers: [[{ name: 'zeros', data: Buffer.alloc(200 << 20) }]], refused: /more than 64 MiB|max_layer_size/ },
      ]
      for (const c of cases) {
        const layout = join(root, c.name)
        await ociLayout(layout, 'v1', c.layers)
        const r = lite(['image', 'import', layout, '--tag', `evil/${c.name}:v1`, '--store', store, '--images-config', ini, '-q'], { timeout: 120_000 })
        if (c.refused) {
          t.equal(r.code, 125, `${c.name}: refused`)
          t.match(r.stderr, c.refused, `${c.name}: ${r.stderr.trim()}`)
          t.notOk(existsSync(join(store, 'refs/docker.io/evil', c.name)), `${c.name}: nothing tagged`)
        } else {
          t.equal(r.code, 0, `${c.name}: ${r.stderr}`)
          const digest = r.stdout.trim().split(' ')[0]!
          const l = spawnSync('unsquashfs', ['-lls', join(store, 'images', digest.slice(7), 'image.sqfs')], { encoding: 'utf8' })
          c.check?.(l.stdout.split('\n'))
        }
        t.same(readdirSync(decoy), [], `${c.name}: nothing written to the decoy`)
        t.same(readdirSync(join(store, 'tmp')).filter((n) => !n.startsWith('.')), [], `${c.name}: no staging tree left`)
      }
      for (const p of [join(store, 'escaped'), join(store, 'tmp/escaped'), '/escaped', join(root, 'escaped')]) t.notOk(existsSync(p), `nothing at ${p}`)
      t.ok(readFileSync('/etc/passwd', 'utf8').length > 0)
    })
  }
}
