// LITE_TRACE=1 prints where a run's time goes on stderr: one line per phase, when it
// begins, in ms since the process started (trace-clock.ts), and how long the phase before
// it took; at exit (or just before lite execs into the monitor), one line with every
// phase's duration.

import { readFileSync } from 'node:fs'
import { writeErr } from './output.ts'
import { FIRST_LINE_AT, TRACE_ENABLED as enabled, bunStartLine, traceLine, traceNow as now } from './trace-clock.ts'

const phases: { phase: string; at: number }[] = []

function line(at: number, phase: string, note: string): void {
  writeErr(traceLine(at, phase, note))
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
  // "bun start" ended at lite's first line (trace-clock.ts); this module may load later.
  writeErr(bunStartLine())
  // From there until main.ts's main(): evaluating the other modules (yargs, ini, lite's own).
  phases.push({ phase: 'bun start', at: 0 }, { phase: 'modules', at: FIRST_LINE_AT })
  process.on('exit', summary)
}
