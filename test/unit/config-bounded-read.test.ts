// The one bounded reader (issue 12, defect 5): a regular file only, at most a cap of
// bytes; /dev/zero, a FIFO, a directory and an oversized file are refused before
// (or while) reading, with a message that says why. Its users: the config, a seccomp
// profile, the host's resolv.conf.

import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { FileReadError, formatByteSize, readBoundedText } from '../../runtime/config/bounded-read.ts'
import { CONFIG_FILE_LIMIT, readConfigFile } from '../../runtime/config/parse.ts'
import { readHostResolvConf, RESOLV_CONF_LIMIT } from '../../runtime/host/facts.ts'
import { PROFILE_FILE_LIMIT, readDockerProfile } from '../../runtime/seccomp/profile.ts'

/** A FIFO with no writer: opening it for reading would block for good. */
function makeFifo(path: string): void {
  const r = spawnSync('mkfifo', [path])
  if (r.status !== 0) throw new Error(`mkfifo ${path}: ${r.stderr}`)
}

function failure(read: () => unknown): FileReadError | undefined {
  try {
    read()
  } catch (err) {
    if (err instanceof FileReadError) return err
    throw err
  }
  return undefined
}

t.test('sizes in messages', async t => {
  t.equal(formatByteSize(1024 * 1024), '1 MiB')
  t.equal(formatByteSize(4 * 1024 * 1024), '4 MiB')
  t.equal(formatByteSize(64 * 1024), '64 KiB')
  t.equal(formatByteSize(1000), '1000 bytes')
})

t.test('a regular file up to the cap is read whole; one byte more is refused', async t => {
  const dir = t.testdir({ small: 'héllo\n', exact: 'x'.repeat(100), over: 'x'.repeat(101), empty: '' })
  t.equal(readBoundedText(join(dir, 'small'), 100, 'a test file'), 'héllo\n')
  t.equal(readBoundedText(join(dir, 'exact'), 100, 'a test file'), 'x'.repeat(100))
  t.equal(readBoundedText(join(dir, 'empty'), 100, 'a test file'), '')
  t.equal(failure(() => readBoundedText(join(dir, 'over'), 100, 'a test file'))?.message, 'larger than 100 bytes, the most lite reads of a test file')
})

t.test('what is not a regular file is refused without reading (or blocking)', async t => {
  const dir = t.testdir({ 'a-dir': {} })
  makeFifo(join(dir, 'fifo'))
  const started = Date.now()
  t.same(failure(() => readBoundedText('/dev/zero', 1024, 'a test file')), new FileReadError('a character device, not a regular file'))
  t.same(failure(() => readBoundedText(join(dir, 'fifo'), 1024, 'a test file')), new FileReadError('a FIFO, not a regular file'))
  t.same(failure(() => readBoundedText(join(dir, 'a-dir'), 1024, 'a test file')), new FileReadError('a directory, not a regular file'))
  t.ok(Date.now() - started < 2000, 'no read blocked')
  const missing = failure(() => readBoundedText(join(dir, 'nope'), 1024, 'a test file'))
  t.equal(missing?.message, 'No such file or directory (ENOENT)')
  t.equal(missing?.code, 'ENOENT')
})

t.test('a /proc file (size 0 in stat) is read to its end, and still capped', async t => {
  const status = readBoundedText('/proc/self/status', 64 * 1024, 'a /proc file')
  t.match(status, /^Name:/)
  t.match(failure(() => readBoundedText('/proc/self/status', 16, 'a /proc file'))?.message ?? '', /^larger than 16 bytes/)
})

t.test('a config file: /dev/zero, a FIFO and an oversized file are one error at line 0', async t => {
  const dir = t.testdir({ 'big.ini': '# padding\n'.repeat(CONFIG_FILE_LIMIT / 10 + 1) })
  makeFifo(join(dir, 'fifo.ini'))
  const message = (file: string) => {
    const raw = readConfigFile(file)
    t.equal(raw.unreadableFile, true, `${file} is unreadable`)
    return raw.errors.map(e => `${e.line}: ${e.message}`)
  }
  t.same(message('/dev/zero'), ['0: a character device, not a regular file'])
  t.same(message(join(dir, 'fifo.ini')), ['0: a FIFO, not a regular file'])
  t.same(message(join(dir, 'big.ini')), ['0: larger than 1 MiB, the most lite reads of a config file'])
})

t.test('a seccomp profile: /dev/zero, a FIFO and an oversized file are refused', async t => {
  const dir = t.testdir({ 'big.json': ' '.repeat(PROFILE_FILE_LIMIT + 1) })
  makeFifo(join(dir, 'fifo.json'))
  t.same(readDockerProfile('/dev/zero', 'p.json').errors, ['p.json: a character device, not a regular file'])
  t.same(readDockerProfile(join(dir, 'fifo.json'), 'p.json').errors, ['p.json: a FIFO, not a regular file'])
  t.same(readDockerProfile(join(dir, 'big.json'), 'p.json').errors, ['p.json: larger than 4 MiB, the most lite reads of a seccomp profile'])
})

t.test('the host resolv.conf: missing is quiet, unusable is said, both leave the rootfs\'s own', async t => {
  const dir = t.testdir({ 'resolv.conf': 'nameserver 192.0.2.53\n', 'big.conf': '#'.repeat(RESOLV_CONF_LIMIT + 1) })
  makeFifo(join(dir, 'fifo.conf'))
  const warnings: string[] = []
  const warn = (line: string) => void warnings.push(line)
  t.equal(readHostResolvConf(join(dir, 'resolv.conf'), warn), 'nameserver 192.0.2.53\n')
  t.equal(readHostResolvConf(join(dir, 'absent.conf'), warn), null)
  t.same(warnings, [], 'a missing file is normal')
  t.equal(readHostResolvConf(join(dir, 'fifo.conf'), warn), null)
  t.equal(readHostResolvConf(join(dir, 'big.conf'), warn), null)
  t.same(warnings, [
    `lite: warning: ${join(dir, 'fifo.conf')} is not copied into containers: a FIFO, not a regular file\n`,
    `lite: warning: ${join(dir, 'big.conf')} is not copied into containers: larger than 64 KiB, the most lite reads of a resolv.conf\n`,
  ])
})

t.test('a file swapped for something else between stat and open is checked again', async t => {
  // stat says regular, then the path is a FIFO: the open is O_NONBLOCK and fstat refuses it
  const dir = t.testdir({ plain: 'x' })
  const path = join(dir, 'swapped')
  makeFifo(path)
  const regular = fs.statSync(join(dir, 'plain'))
  let lied = 0
  const statSync = ((p: fs.PathLike, ...rest: unknown[]) => {
    if (p !== path) return (fs.statSync as (...a: unknown[]) => unknown)(p, ...rest)
    lied++
    return regular
  }) as typeof fs.statSync
  const mocked = await t.mockImport<typeof import('../../runtime/config/bounded-read.ts')>('../../runtime/config/bounded-read.ts', {
    'node:fs': { ...fs, default: { ...fs, statSync } },
  })
  const started = Date.now()
  let message = ''
  try {
    mocked.readBoundedText(path, 1024, 'a test file')
  } catch (err) {
    message = (err as Error).message
  }
  t.equal(lied, 1, 'stat said "regular file"')
  t.equal(message, 'a FIFO, not a regular file', 'fstat of the open file said otherwise')
  t.ok(Date.now() - started < 2000, 'the open did not block')
})
