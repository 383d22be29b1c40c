// Running a freshly assembled rootfs once inside lite itself, at build time
// (python --trace). lite is this very program: the compiled binary, or the
// TypeScript entry point when run from source.

import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { BuildContext } from './context.ts'

export function liteCommand(): string[] {
  const compiled = import.meta.url.includes('$bunfs') || import.meta.url.includes('~BUN')
  return compiled ? [process.execPath] : [process.execPath, resolve(import.meta.dirname, '../cli.ts')]
}

export function runLiteOnce(ctx: BuildContext, opts: { cmd: string; mounts: string[]; user: string }): number {
  const config = join(ctx.work, 'trace.ini')
  const lines = [
    '[container]',
    `name = rootfs-trace-${process.pid}`,
    '[rootfs]',
    `path = ${ctx.rootfs}`,
    '[exec]',
    `cmd = ${opts.cmd}`,
    `user = ${opts.user}`,
    '[mount]',
    ...opts.mounts.map((m) => `entry[] = ${m}`),
    '',
  ]
  writeFileSync(config, lines.join('\n'))
  const [exe, ...pre] = liteCommand()
  const r = spawnSync(exe!, [...pre, 'run', config], { stdio: ['ignore', 2, 2], timeout: 120_000 })
  return r.status ?? 128
}
