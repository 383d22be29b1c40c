// Running a freshly assembled rootfs once inside lite itself, at build time
// (python and java --trace). lite is this very program: the compiled binary, or the
// TypeScript entry point when run from source.

import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { BuildContext } from './context.ts'

export function liteCommand(): string[] {
  const compiled = import.meta.url.includes('$bunfs') || import.meta.url.includes('~BUN')
  return compiled ? [process.execPath] : [process.execPath, resolve(import.meta.dirname, '../cli.ts')]
}

/**
 * Runs opts.cmd in ctx.rootfs and returns its exit code. Its output goes to the
 * build's stderr, or, when quiet, is kept (the last lines) to explain a failure.
 */
export function runLiteOnce(ctx: BuildContext, opts: { cmd: string; mounts: string[]; user: string; quiet?: boolean }): { code: number; output: string } {
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
  const r = spawnSync(exe!, [...pre, 'run', config], { stdio: ['ignore', opts.quiet ? 'pipe' : 2, opts.quiet ? 'pipe' : 2], encoding: 'utf8', timeout: 120_000 })
  const output = opts.quiet ? `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-3).join(' ') : ''
  return { code: r.status ?? 128, output }
}
