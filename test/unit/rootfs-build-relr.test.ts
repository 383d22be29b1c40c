import { spawnSync } from 'node:child_process'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { elfSegments } from '../../runtime/rootfs-build/elf.ts'
import { decodeRelr, elfHash, encodeRelr, packRelativeRelocs, packRelativeRelocsFile, readsRelr } from '../../runtime/rootfs-build/relr.ts'

t.test('RELR words: an address, then 63-word bitmaps; a far offset starts again', async (t) => {
  const offsets = [0x1000, 0x1008, 0x1010, 0x1000 + 8 * 63, 0x1000 + 8 * 64, 0x9000, 0x9000 + 8 * 200]
  const words = encodeRelr(offsets)
  t.same(words, [
    0x1000n,
    // where = 0x1008: words 0, 1 (0x1008, 0x1010), 62 (0x1000 + 8 * 63): bits 1, 2, 63
    (1n << 1n) | (1n << 2n) | (1n << 63n) | 1n,
    // where = 0x1008 + 8 * 63: 0x1000 + 8 * 64 is word 0
    (1n << 1n) | 1n,
    0x9000n,
    0x9000n + 8n * 200n,
  ])
  t.same(decodeRelr(words), offsets, 'the loader reads back every offset')
  t.same(encodeRelr([]), [])
  const dense = Array.from({ length: 1000 }, (_, i) => 0x4000 + 8 * i)
  t.same(decodeRelr(encodeRelr(dense)), dense)
  t.equal(encodeRelr(dense).length, 1 + Math.ceil(999 / 63), '1000 adjacent words: one address and 16 bitmaps')
})

t.test('the SysV hash a version need carries', async (t) => {
  t.equal(elfHash('GLIBC_2.2.5'), 0x09691a75)
  t.equal(elfHash('GLIBC_2.17'), 0x06969197)
  t.equal(elfHash(''), 0)
})

t.test('what it leaves alone, and why', async (t) => {
  t.same(packRelativeRelocs(Buffer.from('#!/bin/sh\necho not an ELF file at all, but long enough for a header\n'.repeat(2))), { skipped: 'not ELF' })
  const elf32 = Buffer.alloc(64)
  elf32.write('\x7fELF\x01\x01\x01', 'latin1')
  t.same(packRelativeRelocs(elf32), { skipped: 'not a 64-bit little-endian ELF file' })
  const exec = Buffer.alloc(64)
  exec.write('\x7fELF\x02\x01\x01', 'latin1')
  exec.writeUInt16LE(2, 16)
  t.same(packRelativeRelocs(exec), { skipped: 'not a shared object or PIE' })
})

// A shared object with ~1,500 relative relocations (pointer tables, some spread
// wider than a bitmap reaches) and a program that prints what they point at.
const LIB = (n: number) => `
#include <stdlib.h>
static const char *const words[${n}] = { ${Array.from({ length: n }, (_, i) => `"w${i}"`).join(', ')} };
static int values[${n}];
int *slots[${n}] = { ${Array.from({ length: n }, (_, i) => `&values[${i}]`).join(', ')} };
static struct { const char *name; long pad[70]; } spread[8] = { ${Array.from({ length: 8 }, (_, i) => `{ "s${i}" }`).join(', ')} };
const char *word(int i) { return words[i]; }
const char *far(int i) { return spread[i].name; }
const char *home(void) { return getenv("HOME"); }
long total(void) { long s = 0; for (int i = 0; i < ${n}; i++) { *slots[i] = i; s += values[i]; } return s; }
`
const MAIN = `
#include <stdio.h>
const char *word(int); const char *far(int); long total(void);
int main(void) { printf("%s %s %s %s %ld\\n", word(0), word(499), word(749), far(7), total()); return 0; }
`

function gcc(dir: string, args: string[]): void {
  const r = spawnSync('gcc', args, { cwd: dir, encoding: 'utf8', timeout: 60_000 })
  if (r.status !== 0) throw new Error(`gcc ${args.join(' ')}: ${r.stderr || r.error}`)
}

t.test('a compiled shared object runs the same packed, and is smaller', async (t) => {
  const dir = t.testdir({ 'lib.c': LIB(750), 'main.c': MAIN })
  const cc = (args: string[]) => gcc(dir, args)
  const shared = (out: string, src: string) => cc(['-O1', '-fPIC', '-shared', '-Wl,-z,nopack-relative-relocs', `-Wl,-soname,${out}`, '-o', out, src])
  shared('libfix.so', 'lib.c')
  cc(['-O1', '-o', 'main', 'main.c', '-L.', '-lfix', '-Wl,-rpath,$ORIGIN'])
  const run = () => spawnSync(join(dir, 'main'), { encoding: 'utf8', timeout: 10_000 })
  const before = run()
  t.equal(before.stdout, 'w0 w499 w749 s7 280875\n', 'the program as linked')

  const lib = join(dir, 'libfix.so')
  const size = statSync(lib).size
  const outcome = packRelativeRelocsFile(lib)
  if ('skipped' in outcome) throw new Error(`not packed: ${outcome.skipped}`)
  // The three tables, and the C runtime's own (init/fini arrays, __dso_handle).
  t.ok(outcome.packed >= 750 + 750 + 8 && outcome.packed <= 750 + 750 + 8 + 4, `every pointer of the three tables: ${outcome.packed}`)
  t.ok(outcome.kept > 0 && outcome.kept < 10, `the symbol relocations stay in .rela.dyn: ${outcome.kept}`)
  t.equal(outcome.before, size)
  t.equal(statSync(lib).size, outcome.after)
  t.ok(outcome.after <= size - 4096 && (size - outcome.after) % 4096 === 0, `smaller by whole pages: ${size} -> ${outcome.after}`)
  t.equal(statSync(lib).mode & 0o777, 0o755, 'the mode kept')
  t.ok(readFileSync(lib).includes('\0GLIBC_ABI_DT_RELR\0'), "the version need glibc asks of a DT_RELR user")

  const after = run()
  t.equal(after.stderr, '', 'the loader takes it')
  t.equal(after.stdout, before.stdout, 'every pointer relocated as before')
  t.same(packRelativeRelocsFile(lib), { skipped: 'already packed (DT_RELR)' })

  // Cut short anywhere: left alone, never a crash.
  const whole = readFileSync(join(dir, 'main'))
  for (const n of [64, 700, 4096, 9000]) t.ok('skipped' in packRelativeRelocs(whole.subarray(0, n)), `the first ${n} bytes of a program`)
  // A program with a handful of relocations: nothing to gain.
  t.same(packRelativeRelocs(readFileSync(join(dir, 'main'))), { skipped: 'it would not shrink by a page' })
  // No version needed of libc: where glibc's required one would go is not there.
  writeFileSync(join(dir, 'plain.c'), LIB(750).replace(/^#include.*$/m, '').replace(/^const char \*home.*$/m, ''))
  shared('libplain.so', 'plain.c')
  t.same(packRelativeRelocs(readFileSync(join(dir, 'libplain.so'))), { skipped: 'no string table or version needs' })
})

t.test('code in the tables\' segment (arm64\'s layout): the segment is split, and runs the same', async (t) => {
  const dir = t.testdir({ 'lib.c': LIB(750), 'main.c': MAIN })
  const cc = (args: string[]) => gcc(dir, args)
  // One read-and-execute segment from the ELF header to the code's end, as aarch64's ld lays it out.
  cc(['-O1', '-fPIC', '-shared', '-Wl,-z,noseparate-code', '-Wl,-z,nopack-relative-relocs', '-Wl,-soname,libfix.so', '-o', 'libfix.so', 'lib.c'])
  cc(['-O1', '-o', 'main', 'main.c', '-L.', '-lfix', '-Wl,-rpath,$ORIGIN'])
  const lib = join(dir, 'libfix.so')
  const loads = () => elfSegments(readFileSync(lib)).filter((s) => s.type === 1)
  t.equal(loads().length, 2, 'as linked: tables and code, then data')
  const before = spawnSync(join(dir, 'main'), { encoding: 'utf8', timeout: 10_000 }).stdout
  t.equal(before, 'w0 w499 w749 s7 280875\n', 'the program as linked')
  const outcome = packRelativeRelocsFile(lib)
  if ('skipped' in outcome) throw new Error(`not packed: ${outcome.skipped}`)
  t.ok(outcome.after < outcome.before, `${outcome.before} -> ${outcome.after}`)
  const split = loads()
  t.equal(split.length, 3, 'packed: tables, code, data')
  t.same(split.map((s) => s.flags), [4, 5, 6], 'the tables read-only, the code read-and-execute')
  t.ok(split.every((s) => (s.vaddr - s.offset) % 4096 === 0), 'each segment at a page-aligned offset for its address')
  const after = spawnSync(join(dir, 'main'), { encoding: 'utf8', timeout: 10_000 })
  t.equal(after.stderr, '')
  t.equal(after.stdout, before, 'every pointer relocated as before, every function where it was')
})

t.test("whether an image's libc reads DT_RELR", async (t) => {
  const dir = t.testdir({ old: 'GLIBC_2.34\0GLIBC_2.35\0', new: 'GLIBC_2.35\0GLIBC_ABI_DT_RELR\0GLIBC_2.36\0' })
  t.equal(readsRelr(join(dir, 'old')), false)
  t.equal(readsRelr(join(dir, 'new')), true)
  writeFileSync(join(dir, 'prefix'), '\0GLIBC_ABI_DT_RELRX\0')
  t.equal(readsRelr(join(dir, 'prefix')), false, 'the whole name, not a prefix')
})
