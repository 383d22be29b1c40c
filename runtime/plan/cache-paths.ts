// Where the compiled-plan cache keeps its entries (plan-cache.ts), and the fast entry of
// a config (lifecycle/fast-entry.ts writes it, fast-front.ts hands it to native code):
// apart, so that lite's front can name them without loading the cache.

import { posix } from 'node:path'
import { fnv64 } from './fnv.ts'

/** /run/lite/.lite-cache: a name no container can have (as .lite-locks beside it). */
export function cacheDir(stateRoot: string): string {
  return posix.join(stateRoot, '.lite-cache')
}

/** One fast entry per config, named by its absolute path. */
export function fastEntryPath(stateRoot: string, absoluteConfig: string): string {
  return posix.join(cacheDir(stateRoot), `fast-${fnv64(absoluteConfig)}`)
}
