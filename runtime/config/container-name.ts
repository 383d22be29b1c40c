// What a container name may be: it names /run/lite/<name>, the cgroup, the store's
// record and an id range's claim, so one rule serves them all.

import { quote } from './show-text.ts'
import { ValueError } from './value-error.ts'

export const CONTAINER_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/

/** A container name: it names /run/lite/<name> and the cgroup. */
export function parseContainerName(raw: string): string {
  if (CONTAINER_NAME.test(raw)) return raw
  throw new ValueError(
    `${quote(raw)} is not a valid container name (1 to 63 of a-z 0-9 _ . -, starting with a letter or digit)`,
  )
}
