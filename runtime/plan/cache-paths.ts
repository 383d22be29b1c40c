// Where the compiled-plan cache keeps its entries (plan-cache.ts), and the fast entry of
// a config (lifecycle/fast-entry.ts writes it, fast-front.ts hands it to native code):
// apart, and free of node modules (node:path included), so that lite's front can name
// them before anything else of lite is loaded (cli.ts says why).

import { fnv64 } from './fnv.ts'

/** /run/lite/.lite-cache: a name no container can have (as .lite-locks beside it). */
export function cacheDir(stateRoot: string): string {
  return `${stateRoot.replace(/\/+$/, '')}/.lite-cache`
}

/** One fast entry per config, named by its absolute path (absolutePath). */
export function fastEntryPath(stateRoot: string, absoluteConfig: string): string {
  return `${cacheDir(stateRoot)}/fast-${fnv64(absoluteConfig)}`
}

/**
 * posix.resolve(file) from `cwd` (an absolute, normal path, as process.cwd() gives):
 * the front and the writer of a fast entry name it by this one function.
 */
export function absolutePath(file: string, cwd: string): string {
  const parts: string[] = []
  for (const part of (file.startsWith('/') ? file : `${cwd}/${file}`).split('/')) {
    if (part === '..') parts.pop()
    else if (part !== '' && part !== '.') parts.push(part)
  }
  return `/${parts.join('/')}`
}
