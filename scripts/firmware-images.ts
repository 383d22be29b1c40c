// The disk firmware's images (scripts/firmware --disk), as OCI layouts made from the
// busybox rootfs of the board's arch: what the board's store starts with, and what the
// update tests feed `lite update`.
//   bun scripts/firmware-images.ts ROOTFS OUTDIR ARCH(amd64|arm64)
// OUTDIR/busybox-1       the image the store holds at first (lite/busybox:1)
// OUTDIR/busybox-2       a good update: /ok is there, so [health] cmd = test -e /ok passes
// OUTDIR/busybox-bad     an update whose health check fails (no /ok)
// OUTDIR/busybox-tampered busybox-2 with one byte of its layer changed (its digest no
//                        longer matches: an import must refuse it)
// OUTDIR/DIGESTS         "VERSION sha256:MANIFEST" per good image and the bad one
// Each image says which it is in /etc/image-version. The layers are reproducible (fixed
// times and owners), so a digest names the same bytes on every build.

import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FIXED_MTIME, packTar, rootfsEntries, type TarEntry } from '../runtime/rootfs-build/outputs/layer-tar.ts'
import { writeOciLayout } from '../runtime/rootfs-build/outputs/oci-layout.ts'
import { sha256 } from '../runtime/rootfs-build/outputs/image-config.ts'

const [rootfs, out, arch] = process.argv.slice(2)
if (!rootfs || !out || (arch !== 'amd64' && arch !== 'arm64')) {
  console.error('usage: bun scripts/firmware-images.ts ROOTFS OUTDIR amd64|arm64')
  process.exit(2)
}

const file = (name: string, text: string): TarEntry => {
  const data = Buffer.from(text)
  return { header: { name, type: 'file', mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', mtime: FIXED_MTIME, size: data.length }, data }
}

const base = rootfsEntries(rootfs)
const digests: string[] = []
for (const version of ['1', '2', 'bad']) {
  const extra = [file('etc/image-version', `${version}\n`), ...(version === 'bad' ? [] : [file('ok', '')])]
  const layer = await packTar([...base.filter((e) => !extra.some((x) => x.header.name === e.header.name)), ...extra])
  const dir = join(out, `busybox-${version}`)
  rmSync(dir, { recursive: true, force: true })
  const r = writeOciLayout(dir, layer, {
    architecture: arch,
    cmd: ['/bin/sh', '/heartbeat.sh'],
    user: '0:0',
    env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'HOME=/tmp'],
    diffId: sha256(layer),
    repository: 'lite/busybox',
    tag: version,
  })
  digests.push(`${version} ${r.manifestDigest}`)
}

// The tampered copy: the good update with one byte of its (largest) blob, the layer, flipped.
const tampered = join(out, 'busybox-tampered')
rmSync(tampered, { recursive: true, force: true })
cpSync(join(out, 'busybox-2'), tampered, { recursive: true })
const blobs = join(tampered, 'blobs/sha256')
const layerBlob = readdirSync(blobs).map((n) => join(blobs, n)).sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0]!
const bytes = readFileSync(layerBlob)
bytes[bytes.length >> 1] ^= 0xff
writeFileSync(layerBlob, bytes)

writeFileSync(join(out, 'DIGESTS'), digests.join('\n') + '\n')
console.log(digests.join('\n'))
