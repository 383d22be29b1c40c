// The host files a config's validation and its plan look at, noted while the
// compiled-plan cache (plan-cache.ts) records a miss: every read and stat of a file the
// result depends on goes through one of a handful of functions (bounded-read.ts,
// host-paths.ts, resource-values.ts, rootfs-kind.ts, the planner's exists, the cgroup
// file checks), and each of them notes its path here. Outside a recording this is a
// no-op.

import { posix } from 'node:path'

let recording: Set<string> | undefined

/** Notes that the result being recorded depends on `path` (its content, type or absence). */
export function noteInput(path: string): void {
  recording?.add(posix.resolve(path))
}

/** Runs `fn`, and returns what it returned with every path it noted, absolute. */
export function recordInputs<T>(fn: () => T): { value: T; inputs: string[] } {
  const outer = recording
  const noted = new Set<string>()
  recording = noted
  try {
    const value = fn()
    return { value, inputs: [...noted] }
  } finally {
    recording = outer
    if (outer) for (const p of noted) outer.add(p)
  }
}
