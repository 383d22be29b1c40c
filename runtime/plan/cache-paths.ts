// Where the compiled-plan cache keeps its entries (plan-cache.ts), the fast entry of a
// config and the fast exec entry of a running container (lifecycle/fast-entry.ts and
// fast-exec-entry.ts write them, fast-front.ts hands them to native code):
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
/** A running container's fast exec entry: in its state dir, so that it goes with it. */
export function fastExecEntryPath(stateRoot: string, name: string): string {
  return `${stateRoot}/${name}/exec.fast`
}

export function absolutePath(file: string, cwd: string): string {
  const parts: string[] = []
  for (const part of (file.startsWith('/') ? file : `${cwd}/${file}`).split('/')) {
    if (part === '..') parts.pop()
    else if (part !== '' && part !== '.') parts.push(part)
  }
  return `/${parts.join('/')}`
}
