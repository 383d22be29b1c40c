// containers/<name>: which image a container runs (DESIGN.md §11, §14). One small JSON
// file per container, replaced by one rename, so that prune treats it as a root, rm of
// the image is refused, and an update can switch images with one write:
//   {"current": "sha256:...", "next": null, "previous": null}
// lite run writes "current"; the update flow sets "next" and "previous". The one
// reader and writer of the format: ImageStore and lite run both come here.

import fs from 'node:fs'
import path from 'node:path'
import { FileReadError, readBoundedText } from '../../config/bounded-read.ts'
import { fsyncDir, writeFileAtomic } from './atomic-file.ts'
import { StoreLayout } from './layout.ts'

export interface ContainerRecord {
  current: string
  next: string | null
  previous: string | null
}

const DIGEST = /^sha256:[0-9a-f]{64}$/
export const CONTAINER_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/
const RECORD_LIMIT = 64 * 1024

export function containerRecordFile(layout: StoreLayout, name: string): string {
  if (!CONTAINER_NAME.test(name)) throw new Error(`${JSON.stringify(name)} is not a container name`)
  return path.join(layout.containersDir, name)
}

const digestOrNull = (d: unknown): string | null => (typeof d === 'string' && DIGEST.test(d) ? d : null)

/**
 * The record of `name`: undefined when it has none; an error when it is damaged (no
 * valid "current"), so that callers decide whether a damaged record is a root.
 */
export function readContainerRecord(layout: StoreLayout, name: string): ContainerRecord | undefined {
  const file = containerRecordFile(layout, name)
  let text: string
  try {
    text = readBoundedText(file, RECORD_LIMIT, 'a container record')
  } catch (err) {
    if (err instanceof FileReadError && err.code === 'ENOENT') return undefined
    throw err
  }
  let value: Record<string, unknown> = {}
  try {
    const parsed = JSON.parse(text) as unknown
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) value = parsed as Record<string, unknown>
  } catch {
    // damaged: no current below
  }
  const current = digestOrNull(value.current)
  if (!current) throw new Error(`${file} names no current image`)
  return { current, next: digestOrNull(value.next), previous: digestOrNull(value.previous) }
}

/**
 * Sets the image `name` runs now (temp file, fsync, rename, fsync of the directory);
 * next and previous are kept. A damaged record is replaced.
 */
export function writeContainerRecord(layout: StoreLayout, name: string, digest: string): void {
  if (!DIGEST.test(digest)) throw new Error(`${JSON.stringify(digest)} is not a sha256 digest`)
  let old: ContainerRecord | undefined
  try {
    old = readContainerRecord(layout, name)
  } catch {
    old = undefined
  }
  if (old?.current === digest) return
  const record: ContainerRecord = { current: digest, next: old?.next ?? null, previous: old?.previous ?? null }
  writeFileAtomic(containerRecordFile(layout, name), `${JSON.stringify(record)}\n`, 0o644)
}

/** Removes `name`'s record durably (unlink, fsync of the directory); false when it had none. */
export function deleteContainerRecord(layout: StoreLayout, name: string): boolean {
  try {
    fs.unlinkSync(containerRecordFile(layout, name))
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw e
  }
  fsyncDir(layout.containersDir)
  return true
}
