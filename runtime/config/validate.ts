// Raw config → ContainerConfig, or every error in the file at once.
//
// One pass, driven by the key table: unknown sections and keys (with a
// "did you mean"), the list/scalar form of each key, each value, the
// defaults and required keys, then each section's cross-key rules. Nothing
// stops at the first error: a user fixing a config on a board should see
// everything that is wrong with it in one run.

import path from 'node:path'
import { parseConfigText, readConfigFile, type RawConfig, type RawKey } from './parse.ts'
import {
  KEYS,
  LATER_SECTIONS,
  SECTIONS,
  emptyConfig,
  findKey,
  keyNames,
  type ConfigOverrides,
  type FinishContext,
  type KeyContext,
  type KeySpec,
} from './schema.ts'
import { showText } from './show-text.ts'
import { closest } from './suggest.ts'
import { ValueError } from './values.ts'
import type { ConfigError, ContainerConfig, Origin } from './types.ts'

export type { ConfigOverrides } from './schema.ts'

export interface ValidationResult {
  /** present only when there are no errors */
  config?: ContainerConfig
  /** sorted by line; errors about the whole file (line 0) come last */
  errors: ConfigError[]
}

/** Read, parse and validate a config file. */
export function loadConfig(file: string, overrides: ConfigOverrides = {}): ValidationResult {
  return validateRaw(readConfigFile(file), overrides)
}

/** Validate config text as if read from `file` (relative paths resolve against its directory). */
export function validateText(text: string, file: string, overrides: ConfigOverrides = {}): ValidationResult {
  return validateRaw(parseConfigText(text, file), overrides)
}

function unknownSection(name: string): string {
  const shown = showText(name)
  if (LATER_SECTIONS.includes(name)) return `section [${shown}] is not supported by this version of lite`
  const near = closest(name, SECTIONS.map(s => s.name))
  if (near) return `unknown section [${shown}] (did you mean [${near}]?)`
  return `unknown section [${shown}]; the sections are ${SECTIONS.map(s => `[${s.name}]`).join(' ')}`
}

/** Each section's key names, built once: a config may have thousands of unknown keys. */
const KEY_NAMES = new Map(SECTIONS.map(s => [s.name, keyNames(s.name)] as const))

function unknownKey(section: string, key: string): string {
  const shown = showText(key)
  const home = SECTIONS.find(s => s.name !== section && KEY_NAMES.get(s.name)!.includes(key))
  if (home) return `unknown key "${shown}" in [${section}]; it belongs in [${home.name}]`
  const near = closest(key, KEY_NAMES.get(section) ?? [])
  if (near) return `unknown key "${shown}" in [${section}] (did you mean "${near}"?)`
  return `unknown key "${shown}" in [${section}]`
}

function sortErrors(errors: ConfigError[]): ConfigError[] {
  const rank = (e: ConfigError) => (e.line === 0 ? Infinity : e.line)
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => rank(a.e) - rank(b.e) || a.i - b.i)
    .map(x => x.e)
}

export function validateRaw(raw: RawConfig, overrides: ConfigOverrides = {}): ValidationResult {
  const errors: ConfigError[] = [...raw.errors]
  if (raw.unreadableFile) return { errors }
  const file = raw.file
  const dir = path.dirname(path.resolve(file))
  const error = (line: number, message: string) => errors.push({ file, line, message })

  // Sections and keys the table does not know. Keys of an unknown section
  // are not reported one by one: the section's error covers them.
  const known = new Set(SECTIONS.map(s => s.name))
  for (const s of raw.sections) if (!known.has(s.name)) error(s.line, unknownSection(s.name))

  // Sections that a misspelt or malformed header probably meant: their
  // required keys are not reported missing, since that header's error
  // already explains it (the compiler habit of not cascading errors).
  const shadowed = new Set<string>()
  for (const s of [...raw.sections, ...raw.badHeaders]) {
    if (known.has(s.name)) continue
    const near = closest(s.name, known)
    if (near) shadowed.add(near)
  }
  for (const s of raw.badHeaders) if (known.has(s.name)) shadowed.add(s.name)

  const written = new Map<KeySpec, RawKey[]>()
  for (const rk of raw.keys) {
    if (!known.has(rk.section)) continue
    const line = rk.values[0]!.line
    const row = findKey(rk.section, rk.key)
    if (!row) {
      error(line, unknownKey(rk.section, rk.key))
      continue
    }
    if (row.list && !rk.isList) {
      error(line, `[${rk.section}] ${rk.key} is a list; write "${rk.key}[] = ..." on each line`)
    } else if (!row.list && rk.isList) {
      error(line, `[${rk.section}] ${rk.key} takes one value; write "${rk.key} = ...", not "${rk.key}[] = ..."`)
    }
    const list = written.get(row)
    if (list) list.push(rk)
    else written.set(row, [rk])
  }

  // where a missing required key is reported: its section's header, or line 1
  const sectionLine = new Map<string, number>()
  for (const s of raw.sections) if (!sectionLine.has(s.name)) sectionLine.set(s.name, s.line)

  // where each key is first written, valid or not (required-unless and exclusive keys)
  const writtenLines = new Map<string, number>()
  for (const rk of raw.keys) {
    const id = `${rk.section}.${rk.key}`
    if (!writtenLines.has(id)) writtenLines.set(id, rk.values[0]!.line)
  }

  const cfg = emptyConfig(file)
  const finishContext: FinishContext = {
    file,
    dir,
    origin: id => cfg.origins[id],
    written: id => writtenLines.get(id),
    error,
  }

  for (const section of SECTIONS) {
    for (const row of KEYS) {
      if (row.section !== section.name) continue
      const keys = written.get(row) ?? []
      for (const rk of keys) applyWritten(row, rk)
      const ctx: KeyContext = { file, dir, key: row.key, overrides, written: id => writtenLines.has(id) }
      let overridden = false
      try {
        overridden = row.override?.(cfg, overrides) ?? false
      } catch (err) {
        if (!(err instanceof ValueError)) throw err
        error(0, `[${row.section}] ${row.key} (from the command line): ${err.message}`)
        overridden = true
      }
      if (overridden) {
        delete cfg.origins[`${row.section}.${row.key}`]
      } else if (keys.length === 0 && !row.names && !row.pattern) {
        applyDefault(row, ctx)
      }
    }
    section.finish?.(cfg, finishContext)
  }

  if (errors.length > 0) return { errors: sortErrors(errors) }
  return { config: cfg, errors: [] }

  function applyWritten(row: KeySpec, rk: RawKey): void {
    if (rk.unreadable) return // the scanner has said why; the key still counts as set
    const ctx: KeyContext = { file, dir, key: rk.key, overrides, written: id => writtenLines.has(id) }
    const id = `${rk.section}.${rk.key}`
    let applied = 0
    for (const rv of rk.values) {
      if (rv.unreadable) continue
      const origin: Origin = { file, line: rv.line }
      try {
        row.apply(cfg, row.parse(rv.value, ctx), origin, ctx)
        // list indexes count applied items, so that "exec.env[i]" is cfg.exec.env[i]
        cfg.origins[row.list ? `${id}[${applied}]` : id] = origin
        applied++
      } catch (err) {
        if (!(err instanceof ValueError)) throw err
        error(rv.line, `[${rk.section}] ${rk.key}: ${err.message}`)
      }
    }
  }

  function applyDefault(row: KeySpec, ctx: KeyContext): void {
    const where = `[${row.section}] ${row.key}`
    if (row.default === undefined) {
      const required = typeof row.required === 'function' ? row.required(id => writtenLines.has(id)) : row.required
      if (required && !shadowed.has(row.section)) error(sectionLine.get(row.section) ?? 1, `missing required key ${where}`)
      return
    }
    const derived = typeof row.default === 'string' ? undefined : row.default
    const text = derived ? derived.from(cfg, ctx) : (row.default as string)
    if (text === undefined) return
    try {
      row.apply(cfg, row.parse(text, ctx), { file, line: 0 }, ctx)
    } catch (err) {
      if (!(err instanceof ValueError)) throw err
      // only a derived default can fail: its source is the user's
      error(0, `${where}: not set, and its default (${derived?.doc ?? 'built in'}) ${err.message}; set it explicitly`)
    }
  }
}
