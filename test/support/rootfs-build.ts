// Helpers for the `lite rootfs build` suites: build a profile into a test dir
// (downloads cached under build/cache, shared by every suite and CI run), read
// its build.json, and measure like `du -sb`.

import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { LITE, REPO, type Result } from './integration.ts'

export const CACHE = join(REPO, 'build/cache')
/** Budget for one build (a cold java build downloads ~70 MB). */
export const BUILD_TIMEOUT = 600_000

export function buildProfile(profile: string, out: string, args: string[] = []): Result {
  const r = spawnSync(LITE, ['rootfs', 'build', profile, '--out', out, '--cache', CACHE, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: BUILD_TIMEOUT,
  })
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
}

export interface BuildJson {
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
  'queue', 'selectors', 'signal', 'string', 'textwrap', 'traceback', 'weakref', 'copy', 'pickle', 'gzip', 'bz2', 'lzma',
  'zipfile', 'tarfile', 'xml.etree.ElementTree', 'html', 'fractions', 'heapq', 'bisect', 'binascii', 'concurrent.futures',
  'multiprocessing', 'ctypes', 'zoneinfo', 'ipaddress', 'secrets', 'hmac', 'locale', 'glob', 'fnmatch', 'platform',
]
