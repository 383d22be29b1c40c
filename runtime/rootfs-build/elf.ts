// A small ELF reader: what the dependency closure needs (machine, the PT_INTERP
// loader, DT_NEEDED, DT_RUNPATH/DT_RPATH, DT_SONAME), and the program headers and
// dynamic entries that relr.ts rewrites. Written here
// rather than shelling out to ldd: ldd runs the target's loader, which can't
// work for another architecture, and trusts the host's library paths.

import { readFileSync } from 'node:fs'

export interface ElfInfo {
  is64: boolean
  machine: number
  /** e_type: 2 executable, 3 shared object / PIE */
  type: number
  interp?: string
  needed: string[]
  runpath: string[]
  soname?: string
}

const PT_LOAD = 1
const PT_DYNAMIC = 2
const PT_INTERP = 3
const DT_NULL = 0
const DT_NEEDED = 1
const DT_STRTAB = 5
const DT_SONAME = 14
const DT_RPATH = 15
const DT_RUNPATH = 29

/** True when the bytes start with the ELF magic. */
export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 16 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46
}

/** Parse an ELF file; undefined when it is not ELF. Throws on a truncated or corrupt file. */
export function readElf(path: string): ElfInfo | undefined {
  const buf = readFileSync(path)
  if (!isElf(buf)) return undefined
  return parseElf(buf, path)
}

/** A file whose headers or tables point outside it. */
export class ElfFormatError extends Error {}

/** A program header, and where it is in the file (`at`). */
export interface ElfSegment {
  at: number
  type: number
  flags: number
  offset: number
  vaddr: number
  filesz: number
  memsz: number
  align: number
}

/** The fields' readers for the file's class (32 or 64 bits) and byte order, bounds-checked. */
function reader(buf: Buffer, label: string) {
  const is64 = buf[4] === 2
  const little = buf[5] === 1
  const check = (end: number) => {
    if (end > buf.length) throw new ElfFormatError(`${label}: truncated ELF (needs ${end} bytes, has ${buf.length})`)
  }
  const u16 = (o: number) => (check(o + 2), little ? buf.readUInt16LE(o) : buf.readUInt16BE(o))
  const u32 = (o: number) => (check(o + 4), little ? buf.readUInt32LE(o) : buf.readUInt32BE(o))
  const word = (o: number) => (is64 ? (check(o + 8), Number(little ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o))) : u32(o))
  return { is64, check, u16, u32, word }
}

/** The program headers, in the file's order. */
export function elfSegments(buf: Buffer, label = 'ELF file'): ElfSegment[] {
  const { is64, check, u16, u32, word } = reader(buf, label)
  check(is64 ? 64 : 52)
  const phoff = word(is64 ? 32 : 28)
  const phentsize = u16(is64 ? 54 : 42)
  const phnum = u16(is64 ? 56 : 44)
  const segments: ElfSegment[] = []
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize
    check(at + (is64 ? 56 : 32))
    segments.push(
      is64
        ? { at, type: u32(at), flags: u32(at + 4), offset: word(at + 8), vaddr: word(at + 16), filesz: word(at + 32), memsz: word(at + 40), align: word(at + 48) }
        : { at, type: u32(at), offset: u32(at + 4), vaddr: u32(at + 8), filesz: u32(at + 16), memsz: u32(at + 20), flags: u32(at + 24), align: u32(at + 28) },
    )
  }
  return segments
}

/** The dynamic section's entries up to DT_NULL; none without PT_DYNAMIC. */
export function dynamicEntries(buf: Buffer, segments: ElfSegment[], label = 'ELF file'): { tag: number; val: number }[] {
  const { is64, word } = reader(buf, label)
  const dyn = segments.find((s) => s.type === PT_DYNAMIC)
  if (!dyn) return []
  const entSize = is64 ? 16 : 8
  const entries: { tag: number; val: number }[] = []
  for (let o = dyn.offset; o + entSize <= dyn.offset + dyn.filesz; o += entSize) {
    const tag = word(o)
    if (tag === DT_NULL) break
    entries.push({ tag, val: word(o + entSize / 2) })
  }
  return entries
}

export function parseElf(buf: Buffer, label = 'ELF file'): ElfInfo {
  const { is64, u16 } = reader(buf, label)
  const segments = elfSegments(buf, label)
  const type = u16(16)
  const machine = u16(18)
  const cstring = (o: number) => {
    const end = buf.indexOf(0, o)
    if (end < 0) throw new ElfFormatError(`${label}: unterminated string in ELF`)
    return buf.toString('latin1', o, end)
  }
  // DT_STRTAB holds a virtual address: map it back to a file offset through PT_LOAD.
  const fileOffset = (vaddr: number) => {
    const seg = segments.find((s) => s.type === PT_LOAD && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz)
    if (!seg) throw new ElfFormatError(`${label}: address 0x${vaddr.toString(16)} is in no loaded segment`)
    return vaddr - seg.vaddr + seg.offset
  }

  const info: ElfInfo = { is64, machine, type, needed: [], runpath: [] }
  const interp = segments.find((s) => s.type === PT_INTERP)
  if (interp) info.interp = cstring(interp.offset)

  const entries = dynamicEntries(buf, segments, label)
  const strtab = entries.find((e) => e.tag === DT_STRTAB)
  if (!strtab) return info
  const strBase = fileOffset(strtab.val)
  for (const e of entries) {
    if (e.tag === DT_NEEDED) info.needed.push(cstring(strBase + e.val))
    else if (e.tag === DT_SONAME) info.soname = cstring(strBase + e.val)
    else if (e.tag === DT_RUNPATH || e.tag === DT_RPATH) info.runpath.push(...cstring(strBase + e.val).split(':').filter(Boolean))
  }
  return info
}
