// Order statistics of hyperfine's per-run times, shared by the report and the chart.

export interface HyperfineResult {
  command: string
  times: number[] // seconds
  exit_codes?: number[]
}

/** The q-quantile of sorted values, nearest rank (as the reference anchors computed p95). */
export function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))]
}

export function median(sorted: number[]): number {
  const n = sorted.length
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
}

/** Per-run times in ms, sorted. */
export function millis(r: HyperfineResult): number[] {
  return r.times.map((t) => t * 1000).sort((a, b) => a - b)
}
