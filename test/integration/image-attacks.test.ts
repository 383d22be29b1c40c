// Hostile images and archives against the real dist/lite, one row each: what an
// untrusted layer, layout or archive tries, and what lite must do about it (refuse
// with one "lite: error:" line and exit 125, or import a defused image). Decoys live
// under the test's own dir; every row checks that nothing was written to them and that
// no staging tree is left.

import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { layerTar, writeOciLayout, type Layout } from '../support/layer-fixtures.ts'
import { sha256Digest } from '../../runtime/image/store/blobs.ts'
import { lite, requireRootAndBuild } from '../support/integration.ts'

/** An OCI layout of uncompressed `layers`, its index entry annotated with `annotations`. */
const ociLayout = (dir: string, layers: Buffer[], annotations: Record<string, string> = {}): Layout => writeOciLayout(dir, layers, { annotations })

/** The image's tree as `unsquashfs -lls` lists it: "MODE OWNER SIZE DATE TIME squashfs-root/PATH". */
function listing(store: string, digest: string): string[] {
  const r = spawnSync('unsquashfs', ['-lls', join(store, 'images', digest.slice(7), 'image.sqfs')], { encoding: 'utf8' })
  return r.stdout.split('\n').filter((l) => l.includes('squashfs-root'))
}

/** The xattr names of one path of the image, read from a loop mount of it. */
function imageXattrs(store: string, digest: string, path: string): string[] {
  const mnt = join(store, '..', `mnt-${digest.slice(7, 19)}`)
  mkdirSync(mnt, { recursive: true })
  const m = spawnSync('mount', ['-t', 'squashfs', '-o', 'loop,ro', join(store, 'images', digest.slice(7), 'image.sqfs'), mnt])
  if (m.status !== 0) return [`mount failed: ${m.stderr}`]
  try {
    const r = spawnSync('python3', ['-c', 'import os,sys\ntry:\n  print("\\n".join(os.listxattr(sys.argv[1], follow_symlinks=False)))\nexcept OSError:\n  pass', join(mnt, path)], { encoding: 'utf8' })
    return r.stdout.split('\n').filter(Boolean)
  } finally {
    spawnSync('umount', [mnt])
    rmSync(mnt, { recursive: true, force: true })
  }
}

if (requireRootAndBuild(t)) {
  const base = t.testdir({})
  const decoy = join(base, 'decoy')
  mkdirSync(decoy)
  const store = join(base, 'store')
  const imp = (source: string, extra: string[] = []) => lite(['image', 'import', source, '--store', store, '-q', ...extra], { timeout: 60_000 })

  t.test('a victim image, imported first', async (t) => {
    const v = ociLayout(join(base, 'victim'), [await layerTar([{ name: 'good', data: Buffer.from('good') }])], { 'io.containerd.image.name': 'docker.io/victim/app:1' })
    const r = imp(v.dir)
    t.equal(r.code, 0, r.stderr)
  })

  interface Case {
    name: string
    make: (dir: string) => Promise<Layout>
    refused?: RegExp
    /** Imported, or refused with this message (it depends on the store's file system). */
    refusedOr?: RegExp
    check?: (t: Test, digest: string) => void
  }
  const victimDigest = () => (readdirSync(join(store, 'refs/docker.io/victim/app')).includes(':1') ? spawnSync('cat', [join(store, 'refs/docker.io/victim/app/:1')], { encoding: 'utf8' }).stdout.trim() : '')

  const cases: Case[] = [
    {
      name: 'overlayfs xattrs in a layer are dropped',
      make: async (dir) =>
        ociLayout(dir, [
          await layerTar([
            { name: 'etc', type: 'directory', pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y', 'SCHILY.xattr.trusted.overlay.redirect': '/' } },
            { name: 'etc/f', data: Buffer.from('x'), pax: { 'SCHILY.xattr.user.overlay.whiteout': '', 'SCHILY.xattr.trusted.overlay.metacopy': '' } },
          ]),
        ]),
      check: (t, digest) => {
        t.same(imageXattrs(store, digest, 'etc').filter((x) => x.includes('overlay')), [], 'no overlay xattr on etc')
        t.same(imageXattrs(store, digest, 'etc/f').filter((x) => x.includes('overlay')), [], 'no overlay xattr on etc/f')
      },
    },
    {
      name: "a '0' entry named a/ keeps its data: no entry smuggled in it",
      make: async (dir) => {
        const hidden = (await layerTar([{ name: 'smuggled', data: Buffer.alloc(0) }])).subarray(0, 512)
        return ociLayout(dir, [await layerTar([{ name: 'a/', data: hidden }, { name: 'after', data: Buffer.from('after') }])])
      },
      check: (t, digest) => {
        const tree = listing(store, digest)
        t.notOk(tree.some((l) => l.endsWith('/smuggled')), 'nothing read from the data')
        t.ok(tree.some((l) => /^-\S+ +root\/root +512 .* squashfs-root\/a$/.test(l)), `a is a file of 512 bytes: ${tree.join(' | ')}`)
        t.ok(tree.some((l) => l.endsWith('/after')), 'the next real entry is read')
      },
    },
    {
      name: 'a FIFO as a blob of a layout directory: refused at once',
      make: async (dir) => {
        const l = ociLayout(dir, [await layerTar([{ name: 'f', data: Buffer.from('x') }])])
        rmSync(l.blob(l.manifest))
        spawnSync('mkfifo', [l.blob(l.manifest)])
        return l
      },
      refused: /is not a regular file/,
    },
    {
      name: 'a name carrying another image\'s digest: refused',
      make: async (dir) => ociLayout(dir, [await layerTar([{ name: 'evil', data: Buffer.from('evil') }])], { 'io.containerd.image.name': `docker.io/victim/app@${victimDigest()}` }),
      refused: /whose digest is not its own/,
    },
    {
      name: 'a refused layer is one lite: error: line naming the layer',
      make: async (dir) => ociLayout(dir, [await layerTar([{ name: 'x', data: Buffer.from('x'), pax: { path: `../../../..${decoy}/escaped` } }])]),
      refused: /^lite: error: layer 1 of sha256:[0-9a-f]{64} \(sha256:[0-9a-f]{64}\): layer entry ".*escaped": the path leaves the image\n$/,
    },
    {
      name: 'terminal escapes in a platform are not printed raw',
      make: async (dir) => {
        const l = ociLayout(dir, [await layerTar([{ name: 'f', data: Buffer.from('x') }])])
        const manifestSize = readFileSync(l.blob(l.manifest)).length
        const inner = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: l.manifest, size: manifestSize, platform: { os: 'linux', architecture: '\u001b]0;pwned\u0007\u001b[2J\u009b31m' } }] }))
        const innerDigest = sha256Digest(inner)
        writeFileSync(l.blob(innerDigest), inner)
        writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: innerDigest, size: inner.length }] }))
        return l
      },
      refused: /has no linux\/\w+ image \(it has: linux\/\\u001b\]0;pwned\\u0007\\u001b\[2J\\u009b31m\)/,
    },
    {
      name: 'a 5 KiB user xattr: imported, or refused as the layer\'s, never a full store',
      make: async (dir) => ociLayout(dir, [await layerTar([{ name: 'f', data: Buffer.from('x'), pax: { 'SCHILY.xattr.user.big': 'A'.repeat(5000) } }])]),
      refusedOr: /layer entry "f": its xattr "user.big" \(5000 bytes\) is more than the store's file system holds for one file/,
    },
  ]

  for (const c of cases) {
    t.test(c.name, async (t) => {
      const dir = join(base, c.name.replace(/[^a-z0-9]+/gi, '-'))
      const layout = await c.make(dir)
      const started = Date.now()
      const r = imp(layout.dir)
      t.ok(Date.now() - started < 30_000, 'no hang')
      t.notMatch(r.stderr, /\bat .*\.(ts|js):\d+|lite: error: Error:/, 'no stack trace, no bare Error')
      t.notMatch(r.stderr, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/, 'no control character printed')
      if (c.refusedOr && r.code !== 0) {
        t.equal(r.code, 125, r.stderr)
        t.match(r.stderr, c.refusedOr)
        t.notMatch(r.stderr, /is full|ENOSPC/, 'not blamed on the store')
      } else if (c.refused) {
        t.equal(r.code, 125, r.stderr)
        t.match(r.stderr, c.refused)
        t.notOk(existsSync(join(store, 'images', layout.manifest.slice(7))), 'no image stored')
      } else {
        t.equal(r.code, 0, r.stderr)
        t.ok(existsSync(join(store, 'images', layout.manifest.slice(7), 'image.sqfs')))
        c.check?.(t, layout.manifest)
      }
      t.same(readdirSync(decoy), [], 'nothing written to the decoy')
      t.same(readdirSync(join(store, 'tmp')).filter((n) => !n.startsWith('.')), [], 'no staging tree or work dir left')
    })
  }

  t.test('the victim is still what its tag and digest name', async (t) => {
    const digest = victimDigest()
    const r = lite(['image', 'inspect', `victim/app@${digest}`, '--store', store])
    t.equal(r.code, 0, r.stderr)
    t.equal(JSON.parse(r.stdout).digest, digest)
    t.ok(listing(store, digest).some((l) => l.endsWith('/good')))
  })
}
