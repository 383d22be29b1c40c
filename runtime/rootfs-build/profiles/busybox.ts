// busybox: the static busybox from busybox-static, with a link per applet
// (relative, as busybox --list-full names them), the base and the demo.

import { mkdirSync, symlinkSync } from 'node:fs'
import { dirname, join, posix } from 'node:path'
import { fetchDebs } from '../apt-fetch.ts'
import { writeBaseFiles } from '../base-files.ts'
import { type BuildContext, type ProfileResult, recipeDebs } from '../context.ts'
import { unpackDebs } from '../deb-unpack.ts'
import { runInStaging } from '../target-exec.ts'
import { RootfsCopier, lstatOrUndefined } from '../tree.ts'

export async function buildBusybox(ctx: BuildContext): Promise<ProfileResult> {
  unpackDebs(fetchDebs(recipeDebs(ctx), ctx.arch, ctx.cacheDir, ctx.progress), ctx.staging, ctx.progress)
  const copier = new RootfsCopier(ctx.staging, ctx.rootfs)
  if (!copier.add('/bin/busybox')) throw new Error('busybox-static has no /bin/busybox')
  const list = runInStaging(ctx.staging, ctx.arch, '/bin/busybox', ['--list-full'])
  if (list.status !== 0) throw new Error(`busybox --list-full failed: ${list.stderr || list.error}`)
  ctx.progress('applets', `${list.stdout.trim().split('\n').length} links`)
  for (const applet of list.stdout.trim().split('\n').sort()) {
    const path = join(ctx.rootfs, applet)
    if (lstatOrUndefined(path)) continue
    mkdirSync(dirname(path), { recursive: true })
    symlinkSync(posix.relative(posix.dirname('/' + applet), '/bin/busybox'), path)
  }
  writeBaseFiles(ctx.rootfs)
  return { cmd: ctx.recipe.run.cmd, extras: {} }
}
