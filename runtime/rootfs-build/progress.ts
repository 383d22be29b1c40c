// Progress lines for the long steps of a build, on stderr:
//   rootfs: [python/arm64] fetch libpython3.11-stdlib 1.8 MB (cached)
// One line per event, no carriage-return tricks: they read the same in CI logs.

export type Progress = (step: string, detail?: string) => void

export function stderrProgress(profile: string, arch: string, quiet = false): Progress {
  return (step, detail) => {
    if (!quiet) process.stderr.write(`rootfs: [${profile}/${arch}] ${step}${detail ? ' ' + detail : ''}\n`)
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(2)} MiB`
}
