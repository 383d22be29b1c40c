// LITE_TRACE=1 prints where a run's time goes, one phase per line on stderr, in ms
// since the process started.

const enabled = process.env.LITE_TRACE === '1'

export function trace(phase: string): void {
  if (!enabled) return
  const ms = performance.now()
  process.stderr.write(`lite: trace: ${ms.toFixed(2).padStart(8)} ms ${phase}\n`)
}
