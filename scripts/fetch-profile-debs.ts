// scripts/setup's download step: the Debian packages of every rootfs profile
// (configs/profiles), for amd64 and arm64, into build/cache/debs with the builds'
// own fetcher (runtime/rootfs-build/apt-fetch.ts), so that `lite rootfs build` and
// its tests never download. A line per download, then one summary; a cached .deb
// is checked against apt's size and SHA256 and kept.
//   bun scripts/fetch-profile-debs.ts [CACHE_DIR]    (default build/cache)
import { prefetchCommand } from '../runtime/rootfs-build/prefetch.ts'

process.exitCode = prefetchCommand(process.argv[2] ?? 'build/cache')
