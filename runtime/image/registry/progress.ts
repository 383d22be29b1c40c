// What a pull shows while it runs, on stderr:
// - on a terminal, one line per layer (short digest, bytes of total, rate), redrawn
//   in place at most 10 times a second;
// - otherwise plain lines, one when a layer starts and one when it ends, which read
//   the same in a log;
// - with --quiet, nothing (errors are the caller's).

export interface ProgressSink {
  /** A blob is needed; `have` bytes of it are already there (a resumed partial download). */
  start(digest: string, size: number, have: number): void
  /** `have` bytes of it are there now. */
  update(digest: string, have: number): void
  /** It is in the store: downloaded, or already there ('exists'). */
  done(digest: string, how: 'downloaded' | 'exists'): void
  /** Something worth a line: a resume, a retry, a mirror that failed. */
  note(text: string): void
  /** The pull is over (either way): leave the terminal clean. */
  close(): void
}

export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12)
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`
  return `${(n / 1024 ** 3).toFixed(2)} GiB`
}

export const quietProgress: ProgressSink = { start() {}, update() {}, done() {}, note() {}, close() {} }

interface Writer {
  write(text: string): unknown
}

/** Plain lines: "pull: 1a2b3c4d5e6f 12.3 MiB ..." at the start and at the end of each blob. */
export class LineProgress implements ProgressSink {
  private readonly started = new Map<string, { size: number; at: number; from: number }>()
  constructor(
    private readonly out: Writer,
    private readonly now: () => number = Date.now,
  ) {}
  start(digest: string, size: number, have: number): void {
    this.started.set(digest, { size, at: this.now(), from: have })
    this.out.write(`pull: ${shortDigest(digest)} ${formatBytes(size)}${have > 0 ? `, resuming at ${formatBytes(have)}` : ''}\n`)
  }
  update(_digest: string, _have: number): void {}
  done(digest: string, how: 'downloaded' | 'exists'): void {
    const s = this.started.get(digest)
    if (how === 'exists' || !s) {
      this.out.write(`pull: ${shortDigest(digest)} already in the store\n`)
      return
    }
    const secs = Math.max(this.now() - s.at, 1) / 1000
    this.out.write(`pull: ${shortDigest(digest)} done, ${formatBytes(s.size - s.from)} in ${secs.toFixed(1)} s\n`)
  }
  note(text: string): void {
    this.out.write(`pull: ${text}\n`)
  }
  close(): void {}
}

interface Row {
  digest: string
  size: number
  have: number
  state: 'active' | 'downloaded' | 'exists'
  /** (time, bytes) samples of the last few seconds, for the rate */
  samples: [number, number][]
}

/** At most this many rows on the screen, so that a redraw never scrolls. */
const MAX_ROWS = 12

/** The live display of a terminal: rows redrawn in place, at most every 100 ms. */
export class TtyProgress implements ProgressSink {
  private readonly rows: Row[] = []
  private drawn = 0
  private last = 0
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly out: Writer,
    private readonly now: () => number = Date.now,
    private readonly intervalMs = 100,
  ) {}

  private row(digest: string): Row | undefined {
    return this.rows.find((r) => r.digest === digest)
  }
  start(digest: string, size: number, have: number): void {
    let r = this.row(digest)
    if (!r) this.rows.push((r = { digest, size, have, state: 'active', samples: [] }))
    r.have = have
    r.samples = [[this.now(), have]]
    this.schedule()
  }
  update(digest: string, have: number): void {
    const r = this.row(digest)
    if (!r) return
    r.have = have
    const t = this.now()
    r.samples.push([t, have])
    while (r.samples.length > 2 && r.samples[0]![0] < t - 3000) r.samples.shift()
    this.schedule()
  }
  done(digest: string, how: 'downloaded' | 'exists'): void {
    let r = this.row(digest)
    if (!r) this.rows.push((r = { digest, size: 0, have: 0, state: how, samples: [] }))
    r.state = how
    r.have = r.size
    this.schedule()
  }
  note(text: string): void {
    this.clear()
    this.out.write(`${text}\n`)
    this.draw()
  }
  close(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    this.draw()
  }

  private schedule(): void {
    if (this.timer) return
    const wait = Math.max(0, this.last + this.intervalMs - this.now())
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.draw()
    }, wait)
    // A pending redraw never keeps the process alive.
    ;(this.timer as { unref?: () => void }).unref?.()
  }

  private clear(): void {
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}A\x1b[J`)
    this.drawn = 0
  }

  /** The text of one row: "1a2b3c4d5e6f  12.0 MiB / 40.1 MiB  3.1 MiB/s". */
  static rowText(r: Row): string {
    const id = shortDigest(r.digest)
    if (r.state === 'exists') return `${id}  already in the store`
    if (r.state === 'downloaded') return `${id}  ${formatBytes(r.size)}  done`
    const first = r.samples[0]
    const lastS = r.samples[r.samples.length - 1]
    const secs = first && lastS ? (lastS[0] - first[0]) / 1000 : 0
    const rate = secs > 0.2 ? `  ${formatBytes(Math.round((lastS![1] - first![1]) / secs))}/s` : ''
    return `${id}  ${formatBytes(r.have)} / ${formatBytes(r.size)}${rate}`
  }

  /** The rows shown: all of them, or past MAX_ROWS a count of the finished ones and the active ones. */
  lines(): string[] {
    if (this.rows.length <= MAX_ROWS) return this.rows.map((r) => TtyProgress.rowText(r))
    const active = this.rows.filter((r) => r.state === 'active')
    return [`${this.rows.length - active.length} of ${this.rows.length} blobs done`, ...active.slice(0, MAX_ROWS - 1).map((r) => TtyProgress.rowText(r))]
  }

  private draw(): void {
    this.last = this.now()
    this.clear()
    const lines = this.lines()
    if (lines.length) this.out.write(`${lines.join('\n')}\n`)
    this.drawn = lines.length
  }
}

/** The display for a pull: none when quiet, live on a terminal, plain lines otherwise. */
export function progressFor(quiet: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  if (quiet) return quietProgress
  return stream.isTTY ? new TtyProgress(stream) : new LineProgress(stream)
}
