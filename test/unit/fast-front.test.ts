// The fast run's front (runtime/fast-front.ts): which command lines and environments it
// hands to native code, and that its list of the variables that change a run keeps up
// with the variables the runtime reads.

import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'

type Front = typeof import('../../runtime/fast-front.ts')

/** fast-front.ts as a build with these ids would evaluate it (build-info.ts reads them at load). */
async function frontOf(t: Test, build: string, bytes: string): Promise<Front> {
  const saved = { build: process.env.LITE_BUILD_ID, bytes: process.env.LITE_ADDON_BYTES }
  process.env.LITE_BUILD_ID = build
  process.env.LITE_ADDON_BYTES = bytes
  try {
    return await t.mockImport<Front>('../../runtime/fast-front.ts')
  } finally {
    for (const [k, v] of [['LITE_BUILD_ID', saved.build], ['LITE_ADDON_BYTES', saved.bytes]] as const) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

t.test('only a plain `lite run FILE` as root, in a built lite, is a candidate', async (t) => {
  const front = await frontOf(t, 'b1', '1000')
  const env = { PATH: '/bin', LITE_TRACE: '1', LITE_ROOT: '/src/lite' }
  t.equal(front.fastCandidate(['run', 'c.ini'], env, 0), 'c.ini')
  t.equal(front.fastCandidate(['run', '/etc/lite/c.ini'], {}, 0), '/etc/lite/c.ini')
  for (const argv of [['run'], ['run', ''], ['run', '-d', 'c.ini'], ['run', 'c.ini', '/bin/sh'], ['run', '--no-cache', 'c.ini'], ['exec', 'c', 'x'], ['run', '-t']]) {
    t.equal(front.fastCandidate(argv, {}, 0), undefined, argv.join(' '))
  }
  t.equal(front.fastCandidate(['run', 'c.ini'], {}, 1000), undefined, 'not root')
  for (const key of front.FULL_PATH_ENV) t.equal(front.fastCandidate(['run', 'c.ini'], { [key]: '' }, 0), undefined, key)
  const source = await frontOf(t, '', '0')
  t.equal(source.fastCandidate(['run', 'c.ini'], {}, 0), undefined, 'run from source: no build id, no fast run')
})

t.test('only a plain `lite exec NAME CMD...` as root, in a built lite, is an exec candidate', async (t) => {
  const front = await frontOf(t, 'b1', '1000')
  const env = { PATH: '/bin', LITE_TRACE: '1' }
  const cases: [string[], { name: string; cmd: string[] } | undefined][] = [
    [['exec', 'web', 'ps'], { name: 'web', cmd: ['ps'] }],
    [['exec', 'web', '--', 'ps', '-ef'], { name: 'web', cmd: ['ps', '-ef'] }],
    [['exec', 'web', 'sh', '-c', 'x'], undefined],
    [['exec', 'web', 'sh', '--', '-c', 'exit 3'], { name: 'web', cmd: ['sh', '-c', 'exit 3'] }],
    [['exec', 'web', '--', 'sh', '--', 'x'], { name: 'web', cmd: ['sh', '--', 'x'] }],
    [['exec', 'web', '1.0', '0x10'], { name: 'web', cmd: ['1.0', '0x10'] }],
    [['exec', '-t', 'web', 'sh'], undefined],
    [['exec', 'web', '-i', '--', 'sh'], undefined],
    [['exec', 'web', '--no-cache', '--', 'sh'], undefined],
    [['exec', 'web'], undefined],
    [['exec', 'web', '--'], undefined],
    [['exec', 'web', '--', ''], undefined],
    [['exec', 'Web', 'ps'], undefined],
    [['exec', '../x', 'ps'], undefined],
    [['run', 'web', 'ps'], undefined],
  ]
  for (const [argv, want] of cases) t.same(front.fastExecCandidate(argv, env, 0), want, argv.join(' '))
  t.equal(front.fastExecCandidate(['exec', 'web', 'ps'], {}, 1000), undefined, 'not root')
  for (const key of front.FULL_PATH_ENV) t.equal(front.fastExecCandidate(['exec', 'web', 'ps'], { [key]: '' }, 0), undefined, key)
  const source = await frontOf(t, '', '0')
  t.equal(source.fastExecCandidate(['exec', 'web', 'ps'], {}, 0), undefined, 'from source: no fast exec')
})

/** Every LITE_* variable some runtime module reads from the environment. */
function variablesRead(dir: string): Set<string> {
  const found = new Set<string>()
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) for (const v of variablesRead(path)) found.add(v)
    else if (name.endsWith('.ts')) for (const m of readFileSync(path, 'utf8').matchAll(/env(?:\.|\[['"])(LITE_[A-Z0-9_]+)/g)) found.add(m[1]!)
  }
  return found
}

t.test('every variable the runtime reads either changes nothing a run does or sends it to the full path', async (t) => {
  const front = await frontOf(t, 'b1', '1000')
  // Tracing, the build's own ids (compile-time defines), and the rootfs builder's.
  const inert = new Set(['LITE_TRACE', 'LITE_TRACE_T0', 'LITE_BUILD_ID', 'LITE_ADDON_ID', 'LITE_ADDON_BYTES', 'LITE_PROFILES'])
  const read = variablesRead(join(import.meta.dirname, '../../runtime'))
  t.ok(read.has('LITE_STATE_ROOT') && read.has('LITE_STORE'), 'the scan finds the runtime\'s reads')
  for (const v of read) t.ok(inert.has(v) || front.FULL_PATH_ENV.includes(v), `${v}: listed in FULL_PATH_ENV, or inert`)
})

/** The modules `file` imports statically (not `import type`, not `import()`), as written. */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/^(?:import|export)\s+(?!type\b)(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm)].map((m) => m[1]!)
}

t.test("lite's entry loads no node module before the fast run's front is done", async (t) => {
  const runtime = join(import.meta.dirname, '../../runtime')
  const seen = new Set<string>()
  const outside: string[] = []
  const walk = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) walk(join(file, '..', spec))
      else outside.push(`${file.slice(runtime.length + 1)}: ${spec}`)
    }
  }
  walk(join(runtime, 'cli.ts'))
  t.ok(seen.has(join(runtime, 'fast-front.ts')) && seen.has(join(runtime, 'trace-clock.ts')), 'the walk follows the entry')
  t.same(outside, [], 'node:fs alone costs a compiled binary ~2 ms before its first line')
  t.notOk(seen.has(join(runtime, 'main.ts')), 'main.ts is loaded once the front is done')
  // The walk sees what it must: a module that imports node:fs statically is caught.
  t.same(staticImports(join(runtime, 'trace.ts')).filter((s) => s.startsWith('node:')), ['node:fs'])
})

t.test('absolutePath is posix.resolve without node:path', async (t) => {
  const { absolutePath } = await import('../../runtime/plan/cache-paths.ts')
  const { posix } = await import('node:path')
  const cwds = ['/', '/work/main', '/a/b/c']
  const files = ['c.ini', './c.ini', '../c.ini', '../../../../c.ini', 'a//b/./c.ini', '/etc/lite/c.ini', '/etc//lite/../lite/./c.ini', 'dir/', '.', '..', 'a/..', '/', '.hidden.ini', '...', 'a/.../b']
  for (const cwd of cwds) for (const file of files) t.equal(absolutePath(file, cwd), posix.resolve(cwd, file), `${cwd} + ${file}`)
})

t.test("programName: the last component of the kernel's argv[0]", async (t) => {
  const { programName } = await import('../../runtime/program-name.ts')
  t.equal(programName('/usr/bin/lite-oci'), 'lite-oci')
  t.equal(programName('./lite-oci'), 'lite-oci')
  t.equal(programName('lite'), 'lite')
  t.equal(programName(''), '')
  t.equal(programName(), programName(process.argv0), "this process's by default")
})

t.test('isOwnFile: a plain file of the user, writable by no one else, of the given size', async (t) => {
  const { isOwnFile } = await import('../../runtime/native/addon-name.ts')
  const ok = { file: true, uid: 0, mode: 0o100500, size: 10 }
  t.ok(isOwnFile(ok, 0, 10))
  t.ok(isOwnFile(ok, 0), 'any size when none is given')
  t.notOk(isOwnFile(undefined, 0), 'nothing there')
  t.notOk(isOwnFile({ ...ok, file: false }, 0), 'a link or a directory')
  t.notOk(isOwnFile({ ...ok, uid: 1000 }, 0), "another user's")
  t.notOk(isOwnFile({ ...ok, mode: 0o100520 }, 0), 'group-writable')
  t.notOk(isOwnFile({ ...ok, mode: 0o100502 }, 0), 'world-writable')
  t.notOk(isOwnFile(ok, 0, 11), 'another size')
})
