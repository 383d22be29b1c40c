// Which image a container starts on, when the store's record decides it (DESIGN.md §14):
// - an update in progress (a `next`, its lite update alive): the new image;
// - an update that a power cut or a kill interrupted (a `next`, nobody holds the update
//   lock): rolled back here, before the container starts: the record loses its `next`
//   (one rename) and says so in `last`, and the container starts on `current`;
// - a record pinned by an update or a rollback: `current`, whatever [rootfs] image's tag
//   names now (the config names the first image; updates choose the later ones).
// Otherwise the config's [rootfs] image decides, as before any update.

import { readContainerRecord, replaceContainerRecord, type ContainerRecord } from '../image/store/containers.ts'
import { StoreLayout } from '../image/store/layout.ts'
import type { ImageNative } from '../image/native-image.ts'
import { updateRunning } from './lock.ts'

export interface RecordedChoice {
  digest: string
  why: 'update' | 'pinned'
}

type Locker = Pick<ImageNative, 'lockFile'>

/** Rolls back an interrupted update in `record` (written at once); the new record. */
export function rollBackInterrupted(layout: StoreLayout, name: string, record: ContainerRecord, now = Date.now()): ContainerRecord {
  const next = record.next!
  const rolled: ContainerRecord = {
    ...record,
    next: null,
    // Pinned: a restart's arguments may name the new image; the record must win.
    pinned: true,
    update: null,
    last: { result: 'interrupted', from: record.current, to: next, at: Math.floor(now / 1000), reason: `interrupted in phase ${record.update?.phase ?? 'next-recorded'}; rolled back` },
  }
  replaceContainerRecord(layout, name, rolled)
  return rolled
}

/**
 * The image the record makes `name` run, if it decides; `note` is called with a line
 * for the user when an interrupted update was rolled back here.
 */
export function recordedImage(native: Locker, store: string, name: string, note: (line: string) => void): RecordedChoice | undefined {
  const layout = new StoreLayout(store)
  let record: ContainerRecord | undefined
  try {
    record = readContainerRecord(layout, name)
  } catch {
    return undefined // damaged: the config decides, and lite run writes a new one
  }
  if (!record) return undefined
  if (record.next) {
    if (updateRunning(native, name)) return { digest: record.next, why: 'update' }
    const phase = record.update?.phase ?? 'next-recorded'
    record = rollBackInterrupted(layout, name, record)
    note(`lite: ${name}: an update to ${record.last!.to} was interrupted (phase ${phase}); rolled back to ${record.current}`)
  }
  return record.pinned ? { digest: record.current, why: 'pinned' } : undefined
}
