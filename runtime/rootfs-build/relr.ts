// Packs a shared object's relative relocations into DT_RELR, in the file as it is.
//
// A relative relocation says "add the load address to the word at this offset".
// In the RELA form each one is 24 bytes (offset, type, addend); Debian's libjvm.so
// has 99,528 of them, 2.4 MB of its 20 MB. DT_RELR (glibc ≥ 2.36, so bookworm's)
// stores the same offsets as a start address and then 63-word bitmaps, with the
// addend in the word itself: a few KB. A linker does this with `-z
// pack-relative-relocs`; Debian's objects were linked without it, so this does it
// after the fact:
//   - the relative relocations that can be packed (word-aligned, into a writable
//     segment's file bytes) get their addend written in place and leave .rela.dyn;
//   - the first segment's tail (.dynstr on) is laid out again, smaller: .dynstr
//     with the version name glibc requires of a DT_RELR user (GLIBC_ABI_DT_RELR,
//     needed from libc.so.6, or glibc refuses the object), the version tables,
//     what stays of .rela.dyn, the RELR table, .rela.plt;
//   - what follows moves down in the file by whole pages of its alignment, at the
//     same addresses, so no code or data address changes (where code follows the
//     tables in one segment, as on arm64, that segment is split at the code's page);
//   - the dynamic section gets DT_RELR, DT_RELRSZ and DT_RELRENT in its spare
//     slots (DT_RELACOUNT goes: it would count relocations no longer there).
// Anything it does not know how to move is left alone, with the reason.

import { chmodSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { ElfFormatError, dynamicEntries, elfSegments, isElf } from './elf.ts'

export interface Packed {
  /** the file's size before and after */
  before: number
  after: number
  /** relative relocations moved into DT_RELR, and relocations left in .rela.dyn */
  packed: number
  kept: number
}

/** What packing did, or why it left the file alone */
export type PackOutcome = Packed | { skipped: string }

const ET_DYN = 3
const PT_LOAD = 1
const PT_DYNAMIC = 2
const PT_PHDR = 6
const PF_W = 2
const SHF_ALLOC = 2
const SHT_NOBITS = 8
const DT = {
  NULL: 0, PLTRELSZ: 2, STRTAB: 5, RELA: 7, RELASZ: 8, RELAENT: 9, STRSZ: 10, REL: 17,
  PLTREL: 20, TEXTREL: 22, JMPREL: 23, FLAGS: 30, RELRSZ: 35, RELR: 36, RELRENT: 37,
  RELACOUNT: 0x6ffffff9, VERSYM: 0x6ffffff0, VERDEF: 0x6ffffffc, VERDEFNUM: 0x6ffffffd,
  VERNEED: 0x6ffffffe, VERNEEDNUM: 0x6fffffff,
} as const
const DF_TEXTREL = 4
/** R_*_RELATIVE of the machines lite builds for (e_machine → type) */
const RELATIVE_TYPE: Record<number, number> = { 62: 8, 183: 1027 }
const RELR_VERSION = 'GLIBC_ABI_DT_RELR'
const RELR_LIBC = 'libc.so.6'
const WORD = 8
const BITS = 63

/**
 * RELR words for sorted, distinct, word-aligned offsets: an address (even), then
 * bitmaps (odd) whose bit i (from 1) marks the word i-1 after where the last
 * entry left off.
 */
export function encodeRelr(offsets: number[]): bigint[] {
  const words: bigint[] = []
  let i = 0
  while (i < offsets.length) {
    const start = offsets[i++]!
    words.push(BigInt(start))
    let where = start + WORD
    for (;;) {
      let bitmap = 0n
      while (i < offsets.length && offsets[i]! - where < BITS * WORD) {
        bitmap |= 1n << BigInt((offsets[i]! - where) / WORD + 1)
        i++
      }
      if (bitmap === 0n) break
      words.push(bitmap | 1n)
      where += BITS * WORD
    }
  }
  return words
}

/** The offsets a RELR table relocates (the loader's reading of it). */
export function decodeRelr(words: bigint[]): number[] {
  const out: number[] = []
  let where = 0
  for (const w of words) {
    if ((w & 1n) === 0n) {
      out.push(Number(w))
      where = Number(w) + WORD
      continue
    }
    for (let bit = 1; bit <= BITS; bit++) if ((w >> BigInt(bit)) & 1n) out.push(where + (bit - 1) * WORD)
    where += BITS * WORD
  }
  return out
}

/** The SysV ELF hash of a version name (vna_hash). */
export function elfHash(name: string): number {
  let h = 0
  for (const c of Buffer.from(name, 'latin1')) {
    h = ((h << 4) + c) >>> 0
    const g = h & 0xf0000000
    if (g !== 0) h ^= g >>> 24
    h &= ~g >>> 0
  }
  return h >>> 0
}

interface Section { at: number; name: number; type: number; flags: number; addr: number; offset: number; size: number; align: number }
interface Rela { offset: number; info: bigint; addend: bigint; raw: Buffer }

class Skip extends Error {}

/** Packs the file at path in place (same mode), when that makes it smaller. */
export function packRelativeRelocsFile(path: string): PackOutcome {
  const outcome = packRelativeRelocs(readFileSync(path))
  if ('skipped' in outcome) return outcome
  const { bytes, ...packed } = outcome
  writeFileSync(`${path}.relr`, bytes)
  chmodSync(`${path}.relr`, statSync(path).mode & 0o7777)
  renameSync(`${path}.relr`, path)
  return packed
}

/** The file's bytes with DT_RELR, or why not. */
export function packRelativeRelocs(buf: Buffer): (Packed & { bytes: Buffer }) | { skipped: string } {
  try {
    return rewrite(buf)
  } catch (e) {
    if (e instanceof Skip) return { skipped: e.message }
    // A read past the end: a table that points outside the file.
    if (e instanceof RangeError || e instanceof ElfFormatError) return { skipped: 'truncated or corrupt' }
    throw e
  }
}

/** Whether a libc.so.6 defines the version a DT_RELR user must need (glibc >= 2.36). */
export function readsRelr(libc: string): boolean {
  return readFileSync(libc).includes(`\0${RELR_VERSION}\0`, 0, 'latin1')
}

function rewrite(buf: Buffer): Packed & { bytes: Buffer } {
  const need = (ok: boolean, why: string) => {
    if (!ok) throw new Skip(why)
  }
  need(buf.length >= 64 && isElf(buf), 'not ELF')
  need(buf[4] === 2 && buf[5] === 1, 'not a 64-bit little-endian ELF file')
  need(buf.readUInt16LE(16) === ET_DYN, 'not a shared object or PIE')
  const relative = RELATIVE_TYPE[buf.readUInt16LE(18)]
  need(relative !== undefined, `machine ${buf.readUInt16LE(18)} is not one lite builds for`)
  const u64 = (o: number) => {
    need(o + 8 <= buf.length, 'truncated')
    return Number(buf.readBigUInt64LE(o))
  }
  const phoff = u64(32), shoff = u64(40)
  const shnum = buf.readUInt16LE(60), shentsize = buf.readUInt16LE(58)
  need(buf.readUInt16LE(54) === 56 && shentsize === 64 && shnum > 0, 'unusual header sizes, or no section headers')
  const segments = elfSegments(buf)
  const phnum = segments.length
  const loads = segments.filter((s) => s.type === PT_LOAD).sort((a, b) => a.vaddr - b.vaddr)
  const first = loads[0]
  need(first !== undefined && first.offset === 0 && first.vaddr === 0 && loads.length > 1, 'its first segment does not start the file at address 0')
  const later = loads.slice(1)
  const oldEnd = first!.filesz
  need(Math.min(...later.map((s) => s.offset)) >= oldEnd, 'its segments overlap in the file')
  const dynamic = segments.find((s) => s.type === PT_DYNAMIC)
  need(dynamic !== undefined, 'no dynamic section')

  // The dynamic entries, and how many slots the section has for more.
  const slots = dynamic!.filesz / 16
  const dyn = dynamicEntries(buf, segments)
  const get = (tag: number) => dyn.find((d) => d.tag === tag)?.val
  need(get(DT.RELR) === undefined, 'already packed (DT_RELR)')
  need(get(DT.REL) === undefined && get(DT.TEXTREL) === undefined && ((get(DT.FLAGS) ?? 0) & DF_TEXTREL) === 0, 'REL or text relocations')
  need(get(DT.RELAENT) === 24 && get(DT.RELA) !== undefined, 'no RELA relocations')
  need(get(DT.JMPREL) === undefined || get(DT.PLTREL) === DT.RELA, 'PLT relocations that are not RELA')
  const strtab = get(DT.STRTAB), verneed = get(DT.VERNEED)
  need(strtab !== undefined && get(DT.STRSZ) !== undefined && verneed !== undefined, 'no string table or version needs')
  const dropped = dyn.filter((d) => d.tag !== DT.RELACOUNT)
  need(dropped.length + 3 + 1 <= slots, 'no spare dynamic slots for DT_RELR')

  // The tables from .dynstr on: only sections this knows, in one run.
  const sections: Section[] = []
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * 64
    sections.push({ at, name: buf.readUInt32LE(at), type: buf.readUInt32LE(at + 4), flags: u64(at + 8), addr: u64(at + 16), offset: u64(at + 24), size: u64(at + 32), align: Math.max(1, u64(at + 48)) })
  }
  const movable = new Map<number, string>([[strtab!, 'strtab'], [get(DT.VERSYM) ?? -1, 'versym'], [get(DT.VERDEF) ?? -1, 'verdef'], [verneed!, 'verneed'], [get(DT.RELA)!, 'rela'], [get(DT.JMPREL) ?? -1, 'jmprel']])
  const inFirst = sections
    .filter((s) => s.flags & SHF_ALLOC && s.addr >= strtab! && s.addr < oldEnd)
    .sort((a, b) => a.addr - b.addr)
  const stay = inFirst.findIndex((s) => !movable.has(s.addr))
  const tail = stay < 0 ? inFirst : inFirst.slice(0, stay)
  need(tail[0]?.addr === strtab && inFirst.slice(tail.length).every((s) => !movable.has(s.addr)), 'its first segment holds sections this does not move')
  const tailEnd = Math.max(...tail.map((s) => s.addr + s.size))
  // Two layouts. The tables end the first segment (x86-64's separate code): later
  // segments move down. Or code follows them in the same segment (arm64): the
  // segment is split, its code a segment of its own from the page it starts in,
  // which needs one more program header (a new table, after the tables).
  const split = stay >= 0
  const align = Math.max(...loads.map((s) => s.align))
  const keepFrom = split ? Math.floor(inFirst[stay]!.addr / align) * align : Math.min(...later.map((s) => s.offset))
  need(!segments.some((s) => s !== first && s.filesz > 0 && s.offset >= strtab! && s.offset < tailEnd), 'a segment inside the tables it moves')
  need(!sections.some((s) => s.type !== SHT_NOBITS && s.size > 0 && !tail.includes(s) && s.offset < keepFrom && s.offset + s.size > strtab!), 'file bytes it does not know among the tables')
  need(shoff >= keepFrom && (!split || keepFrom > strtab!), 'section headers inside its first segment')
  need(!split || !segments.some((s) => s.type === PT_PHDR), 'a PT_PHDR to move')

  // Which relative relocations go: word-aligned, into a writable segment's file bytes.
  const inFile = (vaddr: number) => later.find((s) => s.flags & PF_W && vaddr >= s.vaddr && vaddr + WORD <= s.vaddr + s.filesz)
  const relaAt = get(DT.RELA)!
  const relas: Rela[] = []
  for (let o = relaAt; o < relaAt + get(DT.RELASZ)!; o += 24) {
    relas.push({ offset: u64(o), info: buf.readBigUInt64LE(o + 8), addend: buf.readBigInt64LE(o + 16), raw: buf.subarray(o, o + 24) })
  }
  const packable = (r: Rela) => r.info === BigInt(relative!) && r.offset % WORD === 0 && r.addend >= 0n && inFile(r.offset) !== undefined
  const packed = relas.filter(packable).sort((a, b) => a.offset - b.offset)
  const kept = relas.filter((r) => !packable(r))
  need(packed.every((r, i) => i === 0 || r.offset !== packed[i - 1]!.offset), 'two relocations of one word')
  const relr = encodeRelr(packed.map((r) => r.offset))

  // The version name glibc wants of a DT_RELR user, needed from libc.so.6.
  const strsz = get(DT.STRSZ)!
  const str = (o: number) => {
    const end = buf.indexOf(0, strtab! + o)
    need(end >= 0 && end < strtab! + strsz, 'a string outside the string table')
    return buf.toString('latin1', strtab! + o, end)
  }
  const needs = readVerneed(buf, verneed!, get(DT.VERNEEDNUM) ?? 0, str)
  const libc = needs.find((n) => n.file === RELR_LIBC)
  need(libc !== undefined, `no version needed of ${RELR_LIBC}`)
  const hasVersion = libc!.aux.some((a) => str(a.name) === RELR_VERSION)
  const nameAt = strsz
  const newStr = Buffer.concat([buf.subarray(strtab!, strtab! + strsz), hasVersion ? Buffer.alloc(0) : Buffer.from(`${RELR_VERSION}\0`, 'latin1')])
  if (!hasVersion) {
    const index = Math.max(...needs.flatMap((n) => n.aux.map((a) => a.other)), ...readVerdefIndexes(buf, get(DT.VERDEF), get(DT.VERDEFNUM) ?? 0)) + 1
    libc!.aux.push({ hash: elfHash(RELR_VERSION), flags: 0, other: index, name: nameAt })
  }

  // The tail laid out again, in its order, with the RELR table after .rela.dyn.
  const content = (s: Section): Buffer => {
    switch (movable.get(s.addr)) {
      case 'strtab': return newStr
      case 'verneed': return writeVerneed(needs)
      case 'rela': return Buffer.concat(kept.map((r) => r.raw))
      default: return buf.subarray(s.offset, s.offset + s.size)
    }
  }
  const relrBytes = Buffer.alloc(relr.length * WORD)
  relr.forEach((w, i) => relrBytes.writeBigUInt64LE(w, i * WORD))
  const placed: { section?: Section; at: number; bytes: Buffer }[] = []
  let cursor = strtab!
  for (const s of tail) {
    const bytes = content(s)
    cursor = alignUp(cursor, s.align)
    placed.push({ section: s, at: cursor, bytes })
    cursor += bytes.length
    if (movable.get(s.addr) === 'rela') {
      cursor = alignUp(cursor, WORD)
      placed.push({ at: cursor, bytes: relrBytes })
      cursor += relrBytes.length
    }
  }
  const phdrsAt = alignUp(cursor, WORD)
  const newEnd = split ? phdrsAt + (phnum + 1) * 56 : cursor
  const shift = Math.floor((keepFrom - newEnd) / align) * align
  need(shift > 0 && (!split || alignUp(newEnd, align) <= keepFrom), 'it would not shrink by a page')
  const moved = (offset: number) => (offset >= keepFrom ? offset - shift : offset)

  const out = Buffer.alloc(buf.length - shift)
  buf.copy(out, 0, 0, strtab!)
  for (const p of placed) p.bytes.copy(out, p.at)
  buf.copy(out, keepFrom - shift, keepFrom)
  // What was the tables' in the page the code starts in: not left as stale bytes.
  if (split) out.fill(0, keepFrom - shift, keepFrom - shift + inFirst[stay]!.addr - keepFrom)

  // Program headers: the first segment ends after the tables; everything after them is
  // `shift` bytes earlier in the file, at the same addresses.
  const headers = segments.map((s) => {
    const h = Buffer.from(buf.subarray(s.at, s.at + 56))
    if (s === first) {
      h.writeUInt32LE(split ? 4 : s.flags, 4)
      h.writeBigUInt64LE(BigInt(newEnd), 32)
      h.writeBigUInt64LE(BigInt(newEnd), 40)
    } else if (s.offset >= keepFrom) h.writeBigUInt64LE(BigInt(s.offset - shift), 8)
    return h
  })
  if (split) {
    // The code: from its page to where the first segment ended, as it was mapped.
    const code = Buffer.from(buf.subarray(first!.at, first!.at + 56))
    code.writeBigUInt64LE(BigInt(keepFrom - shift), 8)
    code.writeBigUInt64LE(BigInt(keepFrom), 16)
    code.writeBigUInt64LE(BigInt(keepFrom), 24)
    code.writeBigUInt64LE(BigInt(first!.filesz - keepFrom), 32)
    code.writeBigUInt64LE(BigInt(first!.memsz - keepFrom), 40)
    // PT_LOADs stay in address order: the code's right after the first.
    headers.splice(segments.indexOf(first!) + 1, 0, code)
    out.fill(0, phoff, phoff + phnum * 56)
    Buffer.concat(headers).copy(out, phdrsAt)
    out.writeBigUInt64LE(BigInt(phdrsAt), 32)
    out.writeUInt16LE(phnum + 1, 56)
  } else Buffer.concat(headers).copy(out, phoff)
  out.writeBigUInt64LE(BigInt(moved(shoff)), 40)
  const newShoff = moved(shoff)
  for (const s of sections) {
    const at = newShoff + (s.at - shoff)
    const p = placed.find((x) => x.section === s)
    if (p) {
      out.writeBigUInt64LE(BigInt(p.at), at + 16)
      out.writeBigUInt64LE(BigInt(p.at), at + 24)
      out.writeBigUInt64LE(BigInt(p.bytes.length), at + 32)
    } else if (s.offset >= keepFrom) out.writeBigUInt64LE(BigInt(s.offset - shift), at + 24)
  }

  // Each packed word holds its addend; the loader adds the base to it.
  for (const r of packed) {
    const seg = inFile(r.offset)!
    out.writeBigUInt64LE(BigInt(r.addend), moved(r.offset - seg.vaddr + seg.offset))
  }

  // The dynamic section: new places and sizes, DT_RELR's three entries, the rest DT_NULL.
  const at = (name: string) => placed.find((p) => p.section && movable.get(p.section.addr) === name)?.at
  const relrAt = placed.find((p) => !p.section)!.at
  const entries = dropped.map(({ tag, val }) => {
    switch (tag) {
      case DT.STRSZ: return { tag, val: newStr.length }
      case DT.VERSYM: return { tag, val: at('versym')! }
      case DT.VERDEF: return { tag, val: at('verdef')! }
      case DT.VERNEED: return { tag, val: at('verneed')! }
      case DT.RELA: return { tag, val: at('rela')! }
      case DT.RELASZ: return { tag, val: kept.length * 24 }
      case DT.JMPREL: return { tag, val: at('jmprel')! }
      default: return { tag, val }
    }
  })
  entries.push({ tag: DT.RELR, val: relrAt }, { tag: DT.RELRSZ, val: relrBytes.length }, { tag: DT.RELRENT, val: WORD })
  const dynAt = moved(dynamic!.offset)
  out.fill(0, dynAt, dynAt + slots * 16)
  entries.forEach((e, i) => {
    out.writeBigUInt64LE(BigInt(e.tag), dynAt + i * 16)
    out.writeBigUInt64LE(BigInt(e.val), dynAt + i * 16 + 8)
  })

  const decoded = decodeRelr(relr)
  if (decoded.length !== packed.length || decoded.some((o, i) => o !== packed[i]!.offset)) throw new Error('RELR table does not decode to the relocations it packs')
  return { bytes: out, before: buf.length, after: out.length, packed: packed.length, kept: kept.length }
}

interface Vernaux { hash: number; flags: number; other: number; name: number }
interface Verneed { version: number; fileName: number; file: string; aux: Vernaux[] }

function readVerneed(buf: Buffer, at: number, count: number, str: (o: number) => string): Verneed[] {
  const out: Verneed[] = []
  let p = at
  for (let i = 0; i < count; i++) {
    const cnt = buf.readUInt16LE(p + 2)
    const fileName = buf.readUInt32LE(p + 4)
    const aux: Vernaux[] = []
    let a = p + buf.readUInt32LE(p + 8)
    for (let j = 0; j < cnt; j++) {
      aux.push({ hash: buf.readUInt32LE(a), flags: buf.readUInt16LE(a + 4), other: buf.readUInt16LE(a + 6), name: buf.readUInt32LE(a + 8) })
      a += buf.readUInt32LE(a + 12)
    }
    out.push({ version: buf.readUInt16LE(p), fileName, file: str(fileName), aux })
    const next = buf.readUInt32LE(p + 12)
    if (next === 0) break
    p += next
  }
  return out
}

/** Each Verneed followed by its Vernaux entries, as a linker writes them. */
function writeVerneed(needs: Verneed[]): Buffer {
  const out = Buffer.alloc(needs.reduce((n, v) => n + 16 + 16 * v.aux.length, 0))
  let p = 0
  needs.forEach((v, i) => {
    const size = 16 + 16 * v.aux.length
    out.writeUInt16LE(v.version, p)
    out.writeUInt16LE(v.aux.length, p + 2)
    out.writeUInt32LE(v.fileName, p + 4)
    out.writeUInt32LE(16, p + 8)
    out.writeUInt32LE(i === needs.length - 1 ? 0 : size, p + 12)
    v.aux.forEach((a, j) => {
      const q = p + 16 + j * 16
      out.writeUInt32LE(a.hash, q)
      out.writeUInt16LE(a.flags, q + 4)
      out.writeUInt16LE(a.other, q + 6)
      out.writeUInt32LE(a.name, q + 8)
      out.writeUInt32LE(j === v.aux.length - 1 ? 0 : 16, q + 12)
    })
    p += size
  })
  return out
}

/** The version indexes a DSO defines (vd_ndx), so that a new needed one is unique. */
function readVerdefIndexes(buf: Buffer, at: number | undefined, count: number): number[] {
  const out: number[] = []
  if (at === undefined) return out
  let p = at
  for (let i = 0; i < count; i++) {
    out.push(buf.readUInt16LE(p + 4))
    const next = buf.readUInt32LE(p + 16)
    if (next === 0) break
    p += next
  }
  return out
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a
}
