// Prints the README's profile size table from the build.json files that
// `lite rootfs build` writes:  bun scripts/profile-sizes.ts OUT_DIR...
// (default: every build/profiles/*/). Official images' published sizes are
// from shared/reference/anchors.md §5.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

const ANCHORS: Record<string, string> = {
  busybox: '–',
  python: 'python:3.12-alpine 48.8 MB on disk / 18.0 MB compressed; slim 119.2 / 43.2 MB',
  java: 'eclipse-temurin:17-jre-alpine ~184 MB / 68.0 MB; jlink java.base ~47 MB',
  go: 'distroless/static ~2 MiB',
}
const dirs = process.argv.slice(2)
const outs = dirs.length ? dirs : existsSync('build/profiles') ? readdirSync('build/profiles').map((d) => join('build/profiles', d)) : []
const mb = (n?: number) => (n === undefined ? '–' : `${(n / 1e6).toFixed(2)} MB`)
console.log('| profile | arch | options | on disk (du -sb) | squashfs (xz) | image layer (gzip) | official images (published) |')
console.log('| --- | --- | --- | --- | --- | --- | --- |')
for (const d of outs.sort()) {
  const f = join(d, 'build.json')
  if (!existsSync(f)) continue
  const b = JSON.parse(readFileSync(f, 'utf8'))
  const extras = Object.entries(b.extras as Record<string, number>).map(([k, v]) => `${k} ${mb(v)}`).join(', ')
  console.log(`| ${b.profile} | ${b.arch} | ${[...b.options, extras].filter(Boolean).join('; ') || '–'} | ${mb(b.rootfs)} | ${mb(b.squashfs)} | ${mb(b.compressed)} | ${ANCHORS[b.profile] ?? ''} |`)
}
