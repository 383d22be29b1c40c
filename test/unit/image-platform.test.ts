import t from 'tap'
import { machineArch, selectPlatform } from '../../runtime/image/platform.ts'
import type { Descriptor, ImageIndex } from '../../runtime/image/types.ts'

const d = (n: number, platform?: Descriptor['platform']): Descriptor => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${String(n).repeat(64).slice(0, 64)}`,
  size: 100 + n,
  ...(platform ? { platform } : {}),
})
const index = (...manifests: Descriptor[]): ImageIndex => ({ schemaVersion: 2, manifests })

t.test('the machine architecture', async (t) => {
  t.equal(machineArch('x64'), 'amd64')
  t.equal(machineArch('arm64'), 'arm64')
  t.throws(() => machineArch('riscv64'), { message: "this machine's architecture (riscv64) has no images; give --arch amd64 or --arch arm64" })
})

t.test('amd64 and arm64 out of a multi-arch index', async (t) => {
  const i = index(
    d(1, { os: 'linux', architecture: 'amd64' }),
    d(2, { os: 'linux', architecture: 'arm', variant: 'v7' }),
    d(3, { os: 'linux', architecture: 'arm64', variant: 'v8' }),
    d(4, { os: 'unknown', architecture: 'unknown' }),
  )
  t.equal(selectPlatform(i, 'amd64', 'x').size, 101)
  t.equal(selectPlatform(i, 'arm64', 'x').size, 103)
})

t.test('arm64 with no variant matches; v8 preferred when both are there', async (t) => {
  t.equal(selectPlatform(index(d(1, { os: 'linux', architecture: 'arm64' })), 'arm64', 'x').size, 101)
  t.equal(selectPlatform(index(d(1, { os: 'linux', architecture: 'arm64' }), d(2, { os: 'linux', architecture: 'arm64', variant: 'v8' })), 'arm64', 'x').size, 102)
  t.throws(() => selectPlatform(index(d(1, { os: 'linux', architecture: 'arm64', variant: 'v9' })), 'arm64', 'x'), { name: 'NoMatchingPlatform' })
})

t.test('no match: the error lists what there is', async (t) => {
  const i = index(
    d(1, { os: 'linux', architecture: 'amd64' }),
    d(2, { os: 'linux', architecture: 'arm', variant: 'v7' }),
    d(3, { os: 'windows', architecture: 'amd64' }),
    d(5, { os: 'linux', architecture: 'amd64' }),
    d(4, { os: 'unknown', architecture: 'unknown' }),
    d(6),
  )
  t.throws(() => selectPlatform(i, 'arm64', 'docker.io/library/x:1'), {
    message: 'docker.io/library/x:1 has no image for linux/arm64/v8; it has linux/amd64, linux/arm/v7, windows/amd64',
    exitCode: 125,
  })
  t.throws(() => selectPlatform(index(), 'amd64', 'y'), { message: 'y has no image for linux/amd64; it has no platforms at all' })
})
