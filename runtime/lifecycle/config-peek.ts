// The config values the lifecycle commands need before (or without) a full validation:
// a running container's stop_timeout, when its state does not carry it (an older lite
// started it), read from the config file named in its state;
// the name and [rootfs] image that lite run needs to ask the store's record first. Only that key is
// parsed, with the key table's own parser and default: the file may have changed or broken since the start, and a stop or a
// clean-up must still work, so any problem gives the default.

import { readConfigFile } from '../config/parse.ts'
import { findKey } from '../config/schema.ts'
import { emptyConfig } from '../config/schema.ts'
import { posix } from 'node:path'
import type { ContainerState } from './state-file.ts'

export interface PeekedConfig {
  /** seconds from stop_signal to SIGKILL */
  stopTimeout: number
  /** [container] name, or its default (the file's name) */
  name: string
  /** [rootfs] image as written, if it is */
  image?: string
}

function value<T>(raw: ReturnType<typeof readConfigFile> | undefined, file: string, section: string, key: string, pick: (cfg: ReturnType<typeof emptyConfig>) => T): T {
  const row = findKey(section, key)!
  const written = raw?.keys.find((k) => k.section === section && k.key === key && !k.unreadable)?.values[0]?.value
  const ctx = { file, dir: posix.dirname(posix.resolve(file)), key }
  const cfg = emptyConfig(file)
  for (const text of [written, typeof row.default === 'string' ? row.default : undefined]) {
    if (text === undefined) continue
    try {
      row.apply(cfg, row.parse(text, ctx), { file, line: 0 }, ctx)
      return pick(cfg)
    } catch {}
  }
  return pick(emptyConfig(file))
}

/** A running container's stop_timeout in ms: its state's (from its start), or its config's as it reads now (an older lite's state). */
export function stopTimeoutMs(state: Pick<ContainerState, 'config' | 'stopTimeout'>): number {
  return (state.stopTimeout ?? peekConfig(state.config).stopTimeout) * 1000
}

export function peekConfig(file: string): PeekedConfig {
  let raw: ReturnType<typeof readConfigFile> | undefined
  try {
    raw = file ? readConfigFile(file) : undefined
    if (raw?.unreadableFile) raw = undefined
  } catch {
    raw = undefined
  }
  const image = raw?.keys.find((k) => k.section === 'rootfs' && k.key === 'image' && !k.unreadable)?.values[0]?.value
  return {
    stopTimeout: value(raw, file, 'exec', 'stop_timeout', (c) => c.exec.stopTimeout),
    name: value(raw, file, 'container', 'name', (c) => c.container.name) || posix.basename(file).replace(/\.ini$/, ''),
    ...(image !== undefined ? { image } : {}),
  }
}
