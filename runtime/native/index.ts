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
  if (loaded) return loaded
  const dev = process.env.LITE_NATIVE_ADDON
  if (dev) return (loaded = dlopen((loadedFrom = dev)))
  const { embeddedAddonPath } = await import('./embedded.ts')
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
