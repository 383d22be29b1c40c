// LITE_TRACE's clock and line format (trace.ts prints the phases), apart so that lite's
// entry notes its first moment, and the fast run's front says it, without loading
// node:fs: cli.ts says why that matters.
//
// "Since the process started": Bun's clock (performance.timeOrigin) starts ~1.5 ms after
// exec on the machines we measured, and the kernel's own start time (/proc/self/stat) has
// a 10 ms tick. A caller that wants exec included passes its clock in LITE_TRACE_T0, in
// seconds since the epoch as bash's $EPOCHREALTIME gives it:
//   LITE_TRACE=1 LITE_TRACE_T0=$EPOCHREALTIME dist/lite run FILE

export const TRACE_ENABLED = process.env.LITE_TRACE === '1'

/** ms from the process's start to Bun's time origin, when the caller told us the start. */
function originOffset(): number | undefined {
  const t0 = Number(process.env.LITE_TRACE_T0)
  if (!t0 || !Number.isFinite(t0)) return undefined
  const offset = performance.timeOrigin - t0 * 1000
  // A clock from another machine or a stale value: ignore rather than print nonsense.
  return offset >= 0 && offset < 10_000 ? offset : undefined
}

const offset = TRACE_ENABLED ? originOffset() : undefined

/** ms since the process started (since Bun's clock origin without LITE_TRACE_T0). */
export const traceNow = (): number => performance.now() + (offset ?? 0)

/**
 * lite's first line: cli.ts imports this module first, so everything before it is Bun's
 * (exec, its runtime's start, the entry's parse). The end of "bun start".
 */
export const FIRST_LINE_AT = TRACE_ENABLED ? traceNow() : 0

export function traceLine(at: number, phase: string, note: string): string {
  return `lite: trace: ${at.toFixed(2).padStart(8)} ms  ${phase.padEnd(14)} ${note}\n`
}

/** The "bun start" line. */
export function bunStartLine(): string {
  return traceLine(
    FIRST_LINE_AT,
    'bun start',
    offset === undefined
      ? "(Bun's clock origin to lite's first line; exec to that origin is not seen: set LITE_TRACE_T0=$EPOCHREALTIME)"
      : `(exec to lite's first line; Bun's clock origin was ${offset.toFixed(2)} ms after exec)`,
  )
}
