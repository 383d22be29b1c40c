// containers/<name>: which image a container runs (DESIGN.md §11, §14). One small JSON
// file per container, replaced by one rename, so that prune treats it as a root, rm of
// the image is refused, and an update can switch images with one write:
//   {"current": "sha256:...", "next": null, "previous": null, "older": [], "pinned": false,
//    "update": null, "last": null}
// lite run writes "current"; lite update sets "next" (with "update", its progress),
// then commits (current = next, previous = the old one) or rolls back, each in one
// rename. The one reader and writer of the format: ImageStore, lite run and the update
// flow (runtime/update/) all come here.

import fs from 'node:fs'
import path from 'node:path'
import { CONTAINER_NAME } from '../../config/container-name.ts'
import { FileReadError, readBoundedText } from '../../config/bounded-read.ts'
import { fsyncDir, writeFileAtomic } from './atomic-file.ts'
import { StoreLayout } from './layout.ts'

/** Where an update is: each phase is recorded before the step it names begins. */
export const UPDATE_PHASES = ['next-recorded', 'restarting', 'checking', 'rolling-back'] as const
export type UpdatePhase = (typeof UPDATE_PHASES)[number]

export interface UpdateProgress {
  phase: UpdatePhase
  /** what lite update was given: a reference or a file */
  source: string
  /** unix seconds */
  started: number
}

export interface UpdateOutcome {
  result: 'committed' | 'rolled-back' | 'interrupted' | 'rollback'
  from: string
  to: string
  /** unix seconds */
  at: number
  reason?: string
}

export interface ContainerRecord {
  current: string
  /** the image an update is moving to; null when none is in progress */
  next: string | null
  /** the image before current (an update's rollback target) */
  previous: string | null
  /** earlier previous images, newest first: kept up to [update] keep, then pruned */
  older: string[]
  /** an update or a rollback chose current: it wins over the config's [rootfs] image */
  pinned: boolean
  update: UpdateProgress | null
  last: UpdateOutcome | null
}

const DIGEST = /^sha256:[0-9a-f]{64}$/
const RECORD_LIMIT = 64 * 1024

export function containerRecordFile(layout: StoreLayout, name: string): string {
  if (!CONTAINER_NAME.test(name)) throw new Error(`${JSON.stringify(name)} is not a container name`)
  return path.join(layout.containersDir, name)
}

const digestOrNull = (d: unknown): string | null => (typeof d === 'string' && DIGEST.test(d) ? d : null)
const MAX_OLDER = 64
const MAX_TEXT = 4096

function progressOf(v: unknown): UpdateProgress | null {
  if (!v || typeof v !== 'object') return null
  const o = v as Record<string, unknown>
  if (!(UPDATE_PHASES as readonly unknown[]).includes(o.phase) || typeof o.source !== 'string' || typeof o.started !== 'number') return null
  return { phase: o.phase as UpdatePhase, source: o.source.slice(0, MAX_TEXT), started: o.started }
}

function outcomeOf(v: unknown): UpdateOutcome | null {
  if (!v || typeof v !== 'object') return null
  const o = v as Record<string, unknown>
  const from = digestOrNull(o.from)
  const to = digestOrNull(o.to)
  if (!['committed', 'rolled-back', 'interrupted', 'rollback'].includes(o.result as string) || !from || !to || typeof o.at !== 'number') return null
  return { result: o.result as UpdateOutcome['result'], from, to, at: o.at, ...(typeof o.reason === 'string' ? { reason: o.reason.slice(0, MAX_TEXT) } : {}) }
}

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
  const older = Array.isArray(value.older) ? value.older.slice(0, MAX_OLDER).map(digestOrNull).filter((d): d is string => d !== null) : []
  const next = digestOrNull(value.next)
  return {
    current,
    next,
    previous: digestOrNull(value.previous),
    older,
    pinned: value.pinned === true,
    // Progress without a next is no update (a damaged record): ignored.
    update: next ? progressOf(value.update) : null,
    last: outcomeOf(value.last),
  }
}

/** Every image the record keeps from prune and rm: current, next, previous, older. */
export function recordImages(r: ContainerRecord): string[] {
  return [...new Set([r.current, r.next, r.previous, ...r.older].filter((d): d is string => !!d))]
}

/**
 * Replaces `name`'s record with `record` (temp file, fsync, rename, fsync of the
 * directory): one atomic step, so a power cut leaves the old record or this one.
 */
export function replaceContainerRecord(layout: StoreLayout, name: string, record: ContainerRecord): void {
  for (const d of recordImages(record)) if (!DIGEST.test(d)) throw new Error(`${JSON.stringify(d)} is not a sha256 digest`)
  writeFileAtomic(containerRecordFile(layout, name), `${JSON.stringify(record)}\n`, 0o644)
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
  const record: ContainerRecord = { current: digest, next: old?.next ?? null, previous: old?.previous ?? null, older: old?.older ?? [], pinned: old?.pinned ?? false, update: old?.update ?? null, last: old?.last ?? null }
  replaceContainerRecord(layout, name, record)
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
