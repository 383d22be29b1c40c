// java --trace: run the app once inside lite with class loading logged, then
// tell jlink to leave out every class of the image that no run loaded. The
// runs: the app itself (its [run] cmd with -Xshare:off, so that every class
// comes from the jimage and is logged), a baseline that throws uncaught and
// null-dereferences, the same baseline stopped by SIGTERM (as `lite stop` stops
// a container) and the launcher's "could not find or load main class", so that
// a trimmed image still reports an app's failure instead of a JNI error, and
// still runs the app's shutdown hooks and exits 143 when it is stopped.
// The JVM picks its console encoder by locale; the rootfs has no locale data,
// so every run in it, traced or not, starts with the same one.

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { hostArch } from '../arch.ts'
import type { BuildContext } from '../context.ts'
import { runLiteOnce } from '../trace-run.ts'
import { parseImageList, parseLoadedClasses, unusedClasses } from './java-classes.ts'
import { runTool } from './jdk-tool.ts'
import baselineSource from './java-trace-baseline.java' with { type: 'text' }

/**
 * Runs the app, the baseline (thrown, then stopped) and a missing main class in
 * the untrimmed rootfs and writes jlink's exclusion file; returns its path and
 * the counts.
 */
export function traceClasses(ctx: BuildContext, image: string, runCmd: string): { excludeFile: string; loaded: number; excluded: number } {
  const words = runCmd.trim().split(/\s+/)
  if (!words[0]!.endsWith('/java')) throw new Error(`--trace needs [run] cmd to start with the java launcher (it is "${runCmd}")`)
  const traceDir = join(ctx.work, 'trace')
  rmSync(traceDir, { recursive: true, force: true })
  mkdirSync(traceDir, { recursive: true })
  writeBaselineJar(ctx, traceDir)

  const log = (name: string) => `-Xlog:class+load=info:file=/trace/${name}:none`
  const runs: { name: string; args: string[]; exit: number }[] = [
    { name: 'app', args: words.slice(1), exit: 0 },
    { name: 'baseline', args: ['-jar', '/trace/baseline.jar'], exit: 1 },
    { name: 'term', args: [`--add-exports=${SIGNAL_EXPORT}`, '-jar', '/trace/baseline.jar', 'term'], exit: 143 },
    { name: 'nomain', args: ['-cp', '/trace/baseline.jar', 'LiteTraceNoSuchMain'], exit: 1 },
  ]
  const loaded = new Set<string>()
  for (const run of runs) {
    ctx.progress('trace', run.name === 'app' ? 'running the app once inside lite' : `running the ${run.name} case`)
    const cmd = [words[0], '-Xshare:off', log(run.name), ...run.args].join(' ')
    const { code, output } = runLiteOnce(ctx, { cmd, mounts: [`${traceDir} /trace none bind,create=dir`], user: '0', quiet: run.name !== 'app' })
    const file = join(traceDir, run.name)
    if (code !== run.exit) {
      const hint = ctx.arch.debian === hostArch() ? '' : ` (an ${ctx.arch.debian} rootfs runs on this host only through qemu-user registered in binfmt_misc)`
      throw new Error(run.name === 'app' ? `the traced run of the app failed (exit ${code})${hint}; it must run to completion for --trace` : `the traced ${run.name} run exited ${code}, not ${run.exit}${hint}: ${output}`)
    }
    if (!existsSync(file)) throw new Error(`the traced ${run.name} run wrote no class-load log (${file})`)
    for (const c of parseLoadedClasses(readFileSync(file, 'utf8'))) loaded.add(c)
  }

  const list = runTool('jimage list', 'jimage', ['list', '--verbose', join(ctx.staging, image, 'lib/modules')])
  const excluded = unusedClasses(parseImageList(list), loaded)
  const excludeFile = join(ctx.work, 'trace-exclude')
  writeFileSync(excludeFile, excluded.join('\n') + '\n')
  return { excludeFile, loaded: loaded.size, excluded: excluded.length }
}

/** The baseline raises SIGTERM through the JDK's own signal class (java.base exports it to no one). */
const SIGNAL_EXPORT = 'java.base/jdk.internal.misc=ALL-UNNAMED'

function writeBaselineJar(ctx: BuildContext, traceDir: string): void {
  const src = join(ctx.work, 'baseline-src')
  mkdirSync(src, { recursive: true })
  writeFileSync(join(src, 'LiteTraceBaseline.java'), baselineSource)
  const classes = join(ctx.work, 'baseline-classes')
  // --release refuses --add-exports of a system module: the JDK 17 that compiles the app.
  runTool('javac of the trace baseline', 'javac', ['--add-exports', SIGNAL_EXPORT, '-d', classes, join(src, 'LiteTraceBaseline.java')])
  runTool('jar of the trace baseline', 'jar', ['--create', '--file', join(traceDir, 'baseline.jar'), '--main-class', 'LiteTraceBaseline', '-C', classes, '.'])
}
