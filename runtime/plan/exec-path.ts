// PATH resolution happens before clone: the child must not search PATH itself
// (execvp may allocate), so it gets the list of absolute candidates to try in order.

import { posix } from 'node:path'

export function envValue(env: readonly string[], key: string): string | undefined {
  const prefix = key + '='
  for (let i = env.length - 1; i >= 0; i--) if (env[i].startsWith(prefix)) return env[i].slice(prefix.length)
  return undefined
}

export function execCandidates(command: string, env: readonly string[], cwd: string): string[] {
  if (command === '') return []
  if (command.includes('/')) return [posix.resolve(cwd, command)]
  const path = envValue(env, 'PATH') ?? ''
  const dirs = path.split(':').map((d) => (d === '' ? '.' : d))
  return [...new Set(dirs.map((d) => posix.resolve(cwd, d, command)))]
}
