// What a shifted copy would cost, for kernels that can't id-map an image's filesystem
// (before 5.12 for any, squashfs before 6.2): each image mounted read-only, copied to
// the data filesystem with every owner moved up by 100000 (modes, symlinks, hard links
// and times kept, as a shifted copy must), timed, and its size measured. With `auto`
// every container has its own range, so a copy is per container, not per image. Writes
// section 10 of bench/RESULTS.md.
// Root, images built (scripts/test builds the profiles; lite rootfs build does one):
//   node_modules/.bin/bun bench/userns/shifted-copy.ts [IMAGE.squashfs ...]

import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { release } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { replaceSection } from '../lib/results-section.ts'
import { median } from '../lib/stats.ts'

const ROOT = resolve(import.meta.dir, '../..')
const SHIFT = 100_000
const ROUNDS = 3
const HEADING = '## 10. User namespaces: a shifted copy, against an id-mapped mount'

function defaultImages(): string[] {
  const found: string[] = []
  const walk = (dir: string, depth: number) => {
    if (depth > 2 || !fs.existsSync(dir)) return
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isFile() && e.name.endsWith('.squashfs')) found.push(join(dir, e.name))
      else if (e.isDirectory()) walk(join(dir, e.name), depth + 1)
    }
  }
  walk(join(ROOT, 'build/rootfs'), 0)
  return found
}

/** Copies `from` to `to` with owners shifted; returns the count of entries. */
function shiftedCopy(from: string, to: string): number {
  const linked = new Map<string, string>()
  let entries = 0
  const copy = (src: string, dst: string) => {
    const st = fs.lstatSync(src)
    entries++
    if (st.isDirectory()) {
      fs.mkdirSync(dst)
      for (const name of fs.readdirSync(src)) copy(join(src, name), join(dst, name))
    } else if (st.isSymbolicLink()) {
      fs.symlinkSync(fs.readlinkSync(src), dst)
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`
      const first = st.nlink > 1 ? linked.get(key) : undefined
      if (first) return void fs.linkSync(first, dst)
      fs.copyFileSync(src, dst)
      if (st.nlink > 1) linked.set(key, dst)
    } else {
      return // device nodes, fifos, sockets: none in these images
    }
    fs.lchownSync(dst, st.uid + SHIFT, st.gid + SHIFT)
    if (!st.isSymbolicLink()) {
      fs.chmodSync(dst, st.mode & 0o7777)
      fs.utimesSync(dst, st.atime, st.mtime)
    }
  }
  copy(from, to)
  return entries
}

const images = process.argv.length > 2 ? process.argv.slice(2) : defaultImages()
if (!images.length) throw new Error('no images: build some (scripts/test, or lite rootfs build), or name them')
const work = fs.mkdtempSync('/var/tmp/lite-shifted-')
const mnt = join(work, 'mnt')
fs.mkdirSync(mnt)
const rows: string[] = []
try {
  for (const image of images) {
    const m = spawnSync('mount', ['-o', 'loop,ro', image, mnt], { encoding: 'utf8' })
    if (m.status !== 0) throw new Error(`mount ${image}: ${m.stderr}`)
    try {
      const times: number[] = []
      let entries = 0
      let bytes = 0
      for (let i = 0; i < ROUNDS; i++) {
        const dst = join(work, `copy${i}`)
        spawnSync('sync')
        const t = performance.now()
        entries = shiftedCopy(mnt, dst)
        spawnSync('sync')
        times.push(performance.now() - t)
        bytes = Number(spawnSync('du', ['-sb', dst], { encoding: 'utf8' }).stdout.split(/\s/)[0])
        fs.rmSync(dst, { recursive: true, force: true })
      }
      const mib = (n: number) => (n / 1048576).toFixed(1)
      const label = basename(image) === 'rootfs.squashfs' ? `${basename(dirname(image))} profile` : basename(image)
      rows.push(`| ${label} | ${mib(fs.statSync(image).size)} | ${entries} | ${mib(bytes)} | ${median(times.sort((a, b) => a - b)).toFixed(0)} |`)
    } finally {
      spawnSync('umount', ['-d', mnt])
    }
  }
  const section = [
    HEADING,
    '',
    `\`node_modules/.bin/bun bench/userns/shifted-copy.ts\`, ${new Date().toISOString().slice(0, 10)}, kernel ${release()}: each image copied ${ROUNDS} times from its read-only mount to the root filesystem with owners + ${SHIFT} (modes, links and times kept), synced; the median.`,
    '',
    '| image | squashfs MiB | entries | copy MiB | copy ms |',
    '|---|---:|---:|---:|---:|',
    ...rows,
    '',
    'An id-mapped mount of the same image costs one `mount_setattr` (part of the 1.4 ms of section 9) and no space. A shifted copy costs the time above once and the unpacked size for as long as it is kept: per image and map, which with `map = auto` (a range per container) means per container, on the flash that squashfs was chosen to save. lite therefore refuses a map where the kernel can\'t id-map the image\'s filesystem, and says what the kernel lacks (README, User namespaces).',
    '',
  ].join('\n')
  replaceSection(join(ROOT, 'bench/RESULTS.md'), HEADING, section)
  console.log(section)
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}
