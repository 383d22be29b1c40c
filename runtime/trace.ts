// LITE_TRACE=1 prints where a run's time goes on stderr: one line per phase, when it
// begins, in ms since the process started, and how long the phase before it took;
// at exit (or just before lite execs into the monitor), one line with every phase's duration.
//
// "Since the process started": Bun's clock (performance.timeOrigin) starts ~1.5 ms after
// exec on the machines we measured, and the kernel's own start time (/proc/self/stat) has
// a 10 ms tick. A caller that wants exec included passes its clock in LITE_TRACE_T0, in
// seconds since the epoch as bash's $EPOCHREALTIME gives it:
//   LITE_TRACE=1 LITE_TRACE_T0=$EPOCHREALTIME dist/lite run FILE
//
// cli.ts imports this module first, so that its top level runs before any other module
// is evaluated: that moment is the end of "bun start".

import { readFileSync } from 'node:fs'
import { writeErr } from './output.ts'

const enabled = process.env.LITE_TRACE === '1'

/** ms from the process's start to Bun's time origin, when the caller told us the start. */
function originOffset(): number | undefined {
  const t0 = Number(process.env.LITE_TRACE_T0)
  if (!t0 || !Number.isFinite(t0)) return undefined
  const offset = performance.timeOrigin - t0 * 1000
  // A clock from another machine or a stale value: ignore rather than print nonsense.
  return offset >= 0 && offset < 10_000 ? offset : undefined
}

const offset = enabled ? originOffset() : undefined
const now = () => performance.now() + (offset ?? 0)
const phases: { phase: string; at: number }[] = []

function line(at: number, phase: string, note: string): void {
  writeErr(`lite: trace: ${at.toFixed(2).padStart(8)} ms  ${phase.padEnd(14)} ${note}\n`)
}

/** Marks the beginning of a phase, and so the end of the one before it. */
export function trace(phase: string): void {
  if (!enabled) return
  const at = now()
  const prev = phases[phases.length - 1]
  phases.push({ phase, at })
  line(at, phase, `(${prev.phase} took ${(at - prev.at).toFixed(2)} ms)`)
}

/** A line that marks no phase: what a phase found (a cache hit, say). */
export function traceNote(note: string): void {
  if (!enabled) return
  line(now(), '', note)
}

/**
 * The summary now, not at exit: lite run execs into the monitor, so Bun never exits.
 * Its total is then the time until that exec (the monitor's part is not traced).
 */
export function traceHandover(): void {
  if (!enabled) return
  process.off('exit', summary)
  summary()
}

/** The process's peak resident set so far (VmHWM), in KiB; undefined where unreadable. */
function peakRssKib(): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))
    return m ? Number(m[1]) : undefined
  } catch {
    return undefined
  }
}

/** At exit, one line: how long each phase took, in order, the total and the peak RSS. */
function summary(): void {
  const end = now()
  const parts = phases.map((p, i) => `${p.phase} ${((phases[i + 1]?.at ?? end) - p.at).toFixed(1)}`)
  const rss = peakRssKib()
  writeErr(`lite: trace: phases (ms): ${parts.join(', ')}; total ${end.toFixed(1)}${rss === undefined ? '' : `; peak rss ${rss} KiB`}\n`)
}

if (enabled) {
  // Everything before this line is Bun's: exec, its runtime's start, the bundle's parse.
  const first = now()
  line(
    first,
    'bun start',
    offset === undefined
      ? "(Bun's clock origin to lite's first line; exec to that origin is not seen: set LITE_TRACE_T0=$EPOCHREALTIME)"
      : `(exec to lite's first line; Bun's clock origin was ${offset.toFixed(2)} ms after exec)`,
  )
  // From here until cli.ts's main(): evaluating the other modules (yargs, ini, lite's own).
  phases.push({ phase: 'bun start', at: 0 }, { phase: 'modules', at: first })
  process.on('exit', summary)
}
