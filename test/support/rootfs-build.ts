// Helpers for the `lite rootfs build` suites: build a profile into a test dir
// (from the .debs that scripts/setup fetched into build/cache), read its
// build.json, and measure like `du -sb`.

import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { LITE, REPO, type Result } from './integration.ts'

export const CACHE = join(REPO, 'build/cache')
// Budgets that hold on a new machine. scripts/setup fetched the .debs (no test
// downloads), but Go's build cache starts empty: measured on 2 cores under other
// work, the slowest build (go for arm64, the stdlib compiled first) took 43 s and the
// slowest file (rootfs-arm64) 82 s; tap's default of 120 s per file is too close.
/** One build: about 4 times the slowest cold one. */
export const BUILD_TIMEOUT = 180_000
/** A whole rootfs test file (t.setTimeout): about 6 times the slowest cold one. */
export const BUILD_FILE_BUDGET = 480_000

export function buildProfile(profile: string, out: string, args: string[] = []): Result {
  const r = spawnSync(LITE, ['rootfs', 'build', profile, '--out', out, '--cache', CACHE, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: BUILD_TIMEOUT,
  })
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
}

export interface BuildJson {
  options: string[]
  rootfs: number
  squashfs?: number
  compressed?: number
  docker?: number
  extras: Record<string, number>
}

export function buildJson(out: string): BuildJson {
  return JSON.parse(readFileSync(join(out, 'build.json'), 'utf8')) as BuildJson
}

/** `du -sb PATH` as the ceilings are stated. */
export function duSb(path: string): number {
  const r = spawnSync('du', ['-sb', path], { encoding: 'utf8' })
  return Number(r.stdout.split(/\s/)[0])
}

/** The stdlib modules the untraced python profile must import (the list and more). */
export const PYTHON_MODULES = [
  'json', 'asyncio', 'socket', 'http.server', 'http.client', 'urllib.request', 'urllib.parse', 'email', 'email.message',
  'logging', 'logging.handlers', 'argparse', 'subprocess', 'threading', 'datetime', 'decimal', 're', 'struct', 'zlib',
  'base64', 'hashlib', 'collections', 'itertools', 'functools', 'typing', 'dataclasses', 'pathlib', 'os', 'sys', 'io',
  'shutil', 'tempfile', 'time', 'random', 'math', 'statistics', 'uuid', 'csv', 'configparser', 'enum', 'contextlib',
  'queue', 'selectors', 'signal', 'string', 'textwrap', 'traceback', 'weakref', 'copy', 'pickle', 'gzip',
  'zipfile', 'tarfile', 'xml.etree.ElementTree', 'html', 'fractions', 'heapq', 'bisect', 'binascii', 'concurrent.futures',
  'zoneinfo', 'ipaddress', 'secrets', 'hmac', 'locale', 'glob', 'fnmatch', 'platform',
]
