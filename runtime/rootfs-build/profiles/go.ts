// go: the app built static (CGO_ENABLED=0, GOARCH of the target, -trimpath,
// -s -w), the Mozilla CA bundle from Debian's ca-certificates concatenated the
// way update-ca-certificates does, passwd/group, and zoneinfo with --with tzdata.

import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fetchDebs } from '../apt-fetch.ts'
import { writeBaseFiles } from '../base-files.ts'
import { type BuildContext, type ProfileResult, recipeDebs } from '../context.ts'
import { unpackDebs } from '../deb-unpack.ts'
import { formatBytes } from '../progress.ts'
import { addZoneinfo } from '../zoneinfo.ts'

export async function buildGo(ctx: BuildContext): Promise<ProfileResult> {
  const debs = recipeDebs(ctx)
  if (debs.length > 0) unpackDebs(fetchDebs(debs, ctx.arch, ctx.cacheDir, ctx.progress), ctx.staging, ctx.progress)
  const extras: Record<string, number> = {}

  const appOut = join(ctx.rootfs, 'app')
  ctx.progress('go build', `GOARCH=${ctx.arch.goarch} CGO_ENABLED=0 -trimpath -ldflags "-s -w"`)
  const srcDir = statSync(ctx.app).isDirectory() ? ctx.app : dirname(ctx.app)
  const r = spawnSync('go', ['build', '-trimpath', '-buildvcs=false', '-ldflags', '-s -w', '-o', appOut, '.'], {
    cwd: srcDir,
    encoding: 'utf8',
    env: { ...process.env, CGO_ENABLED: '0', GOOS: 'linux', GOARCH: ctx.arch.goarch, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' },
  })
  if (r.status !== 0) throw new Error(`go build failed: ${(r.stderr || String(r.error)).trim()}`)
  ctx.progress('go build', `app ${formatBytes(statSync(appOut).size)}`)
  extras.app = statSync(appOut).size

  // The CA bundle Go's crypto/x509 reads first on Linux.
  const mozilla = join(ctx.staging, 'usr/share/ca-certificates/mozilla')
  if (existsSync(mozilla)) {
    const bundle = join(ctx.rootfs, 'etc/ssl/certs/ca-certificates.crt')
    mkdirSync(dirname(bundle), { recursive: true })
    const certs = readdirSync(mozilla).filter((f) => f.endsWith('.crt')).sort()
    writeFileSync(bundle, certs.map((f) => readFileSync(join(mozilla, f), 'utf8').trimEnd() + '\n').join(''))
    extras['ca certificates'] = statSync(bundle).size
  }
  const zoneinfo = addZoneinfo(ctx.staging, ctx.rootfs)
  if (zoneinfo !== undefined) extras.zoneinfo = zoneinfo
  writeBaseFiles(ctx.rootfs)
  return { cmd: ctx.recipe.run.cmd, extras }
}
