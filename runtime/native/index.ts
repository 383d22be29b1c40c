// The only door to the Rust addon. Everything else imports this module (and tests
// replace it with t.mockImport), never the .node file itself.

import type * as Binding from './binding'
import { trace } from '../trace.ts'

export type Native = typeof Binding
export type { Container, ExitStatus, FsOp, Plan as NativePlan, RlimitOp, StartResult, Features } from './binding'

let loaded: Native | undefined
let loadedFrom: string | undefined

function dlopen(path: string): Native {
  const mod = { exports: {} as Native }
  process.dlopen(mod, path)
  return mod.exports
}

/**
 * Loads the addon once. `LITE_NATIVE_ADDON` points at a built .node (development and
 * tests under Node); the compiled binary carries its own (embedded.ts).
 */
export async function loadNative(): Promise<Native> {
  return nativeNow()
}

/**
 * loadNative, synchronously: for a command that learns late whether it needs the addon
 * at all (lite ps and status see a held lock at the monitor's fd, lifecycle/lock-holder.ts;
 * unpacking and dlopen take ~2 ms of a 7 ms command, and importing embedded.ts 0.6 ms).
 */
export function nativeNow(): Native {
  if (loaded) return loaded
  const dev = process.env.LITE_NATIVE_ADDON
  if (dev) return (loaded = dlopen((loadedFrom = dev)))
  // require, not import(): synchronous, and Bun's bundle evaluates embedded.ts only here.
  const { embeddedAddonPath } = require('./embedded.ts') as typeof import('./embedded.ts')
  trace('addon unpack')
  const path = embeddedAddonPath()
  trace('addon dlopen')
  return (loaded = dlopen((loadedFrom = path)))
}

/** The directory the addon was loaded from: writable and allowing exec (addon-dir.ts). */
export function addonDirectory(): string {
  if (!loadedFrom) throw new Error('the addon is not loaded')
  return loadedFrom.slice(0, loadedFrom.lastIndexOf('/')) || '/'
}
