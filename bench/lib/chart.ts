// An SVG of start->exit latency distributions from a hyperfine --export-json file: one
// row per command, every run as a dot, the box from p25 to p75, the median as a bar and
// whiskers to p5 and p95, on a log time axis (the peers span 1 ms to 300 ms).
//   bun bench/lib/chart.ts HYPERFINE.json OUT.svg "title"

import { readFileSync, writeFileSync } from 'node:fs'
import { type HyperfineResult, median, millis, quantile } from './stats.ts'

const ROW = 34
const LEFT = 150
const RIGHT = 90
const WIDTH = 900
const TOP = 40
const BOTTOM = 40
const TICKS = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000]

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

export function latencyChart(results: HyperfineResult[], title: string): string {
  const all = results.flatMap(millis)
  const lo = Math.log10(Math.max(0.1, Math.min(...all) * 0.8))
  const hi = Math.log10(Math.max(...all) * 1.2)
  const x = (ms: number) => LEFT + ((Math.log10(ms) - lo) / (hi - lo)) * (WIDTH - LEFT - RIGHT)
  const height = TOP + BOTTOM + ROW * results.length
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14">${escape(title)}</text>`,
  ]
  for (const t of TICKS) {
    if (Math.log10(t) < lo || Math.log10(t) > hi) continue
    const tx = x(t).toFixed(1)
    parts.push(`<line x1="${tx}" y1="${TOP - 6}" x2="${tx}" y2="${height - BOTTOM}" stroke="#ddd"/>`)
    parts.push(`<text x="${tx}" y="${height - BOTTOM + 16}" text-anchor="middle" fill="#555">${t} ms</text>`)
  }
  results.forEach((r, i) => {
    const t = millis(r)
    const cy = TOP + ROW * i + ROW / 2
    const med = median(t)
    parts.push(`<text x="${LEFT - 10}" y="${cy + 4}" text-anchor="end">${escape(r.command)}</text>`)
    // Dots first, spread vertically by a fixed pattern so that the chart is reproducible.
    t.forEach((ms, k) => parts.push(`<circle cx="${x(ms).toFixed(1)}" cy="${(cy - 9 + ((k * 7) % 19)).toFixed(1)}" r="1.6" fill="#4a78c2" fill-opacity="0.35"/>`))
    const [p5, p25, p75, p95] = [0.05, 0.25, 0.75, 0.95].map((q) => quantile(t, q))
    parts.push(`<line x1="${x(p5).toFixed(1)}" y1="${cy}" x2="${x(p95).toFixed(1)}" y2="${cy}" stroke="#222"/>`)
    parts.push(`<rect x="${x(p25).toFixed(1)}" y="${cy - 8}" width="${Math.max(1, x(p75) - x(p25)).toFixed(1)}" height="16" fill="none" stroke="#222"/>`)
    parts.push(`<line x1="${x(med).toFixed(1)}" y1="${cy - 11}" x2="${x(med).toFixed(1)}" y2="${cy + 11}" stroke="#c0392b" stroke-width="2.5"/>`)
    parts.push(`<text x="${WIDTH - RIGHT + 8}" y="${cy + 4}">${med.toFixed(2)} ms</text>`)
  })
  parts.push(
    `<text x="${LEFT}" y="${height - 6}" fill="#555">each dot one run; box p25-p75, red bar median, whiskers p5-p95; log scale</text>`,
    '</svg>',
  )
  return parts.join('\n') + '\n'
}

if (import.meta.main) {
  const [input, out, title] = process.argv.slice(2)
  const { results } = JSON.parse(readFileSync(input, 'utf8')) as { results: HyperfineResult[] }
  writeFileSync(out, latencyChart(results, title ?? 'start -> exit of /bin/true'))
}
