// Debian packages into build/cache/debs with the fetcher of `lite rootfs build`
// (runtime/rootfs-build/apt-fetch.ts): a cached .deb is used only when its size and
// SHA256 match apt's index. Progress on stderr.
//   bun scripts/fetch-debs.ts --profiles        every rootfs profile's packages, amd64
//                                                and arm64 (scripts/setup: no test downloads)
//   bun scripts/fetch-debs.ts ARCH PACKAGE...   prints each .deb's path, in order
//                                                (scripts/debs.sh: the firmware, the arm64 busybox)
import { join } from 'node:path'
import { fetchCommand, prefetchCommand } from '../runtime/rootfs-build/prefetch.ts'

const REPO = join(import.meta.dirname, '..')
const CACHE = join(REPO, 'build/cache')
const [first, ...rest] = process.argv.slice(2)
process.exitCode = first === '--profiles' ? prefetchCommand(CACHE, join(REPO, 'configs/profiles')) : fetchCommand(first ?? '', rest, CACHE)
