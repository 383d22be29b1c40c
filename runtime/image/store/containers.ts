// containers/<name>: which image a container runs (DESIGN.md §11, §14). One small JSON
// file per container, replaced by one rename, so that prune treats it as a root and an
// update can switch images with one write:
//   { "current": "sha256:...", "next": "sha256:...", "previous": "sha256:..." }
// lite run writes "current"; the update flow adds "next" and "previous". Fields this
// version does not know are kept.

import path from 'node:path'
import { FileReadError, readBoundedText } from '../../config/bounded-read.ts'
import { writeFileAtomic } from './atomic-file.ts'
import { StoreLayout } from './layout.ts'

export interface ContainerRecord {
  current?: string
  next?: string
  previous?: string
  [other: string]: unknown
}

const DIGEST = /^sha256:[0-9a-f]{64}$/
const NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/
const RECORD_LIMIT = 64 * 1024

function recordFile(layout: StoreLayout, name: string): string {
  if (!NAME.test(name)) throw new Error(`${JSON.stringify(name)} is not a container name`)
  return path.join(layout.containersDir, name)
}

/** The record of `name`, or undefined when it has none; a damaged one reads as empty. */
export function readContainerRecord(layout: StoreLayout, name: string): ContainerRecord | undefined {
  let text: string
  try {
    text = readBoundedText(recordFile(layout, name), RECORD_LIMIT, 'a container record')
  } catch (err) {
    if (err instanceof FileReadError && err.code === 'ENOENT') return undefined
    throw err
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return {}
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {}
  const record: ContainerRecord = { ...(value as Record<string, unknown>) }
  for (const k of ['current', 'next', 'previous'] as const) if (record[k] !== undefined && (typeof record[k] !== 'string' || !DIGEST.test(record[k]))) delete record[k]
  return record
}

/** Sets the image `name` runs now (durably: temp file, fsync, rename, fsync of the directory). */
export function recordContainer(layout: StoreLayout, name: string, digest: string): void {
  if (!DIGEST.test(digest)) throw new Error(`${JSON.stringify(digest)} is not a sha256 digest`)
  const old = readContainerRecord(layout, name) ?? {}
  if (old.current === digest) return
  writeFileAtomic(recordFile(layout, name), JSON.stringify({ ...old, current: digest }) + '\n', 0o644)
}
