// Profile recipes: configs/profiles/NAME.ini, read with lite's own line
// scanner so that a typo is a FILE:LINE error, as in container configs.
//
//   [profile]  kind (busybox|python|java|go), description, app (the sample)
//   [packages] deb[]: Debian packages of the target architecture
//   [with-X]   what --with X adds: deb[] packages, with[] other options it needs;
//              python: keep[] stdlib modules and dynload[] extension prefixes that
//              only --with X carries
//   [python]   drop[] stdlib modules (dotted names, globs: encodings.cp*),
//              drop_dynload[] extension prefixes
//   [java]     jdk (package), home (with {triple}/{arch}), add_modules[],
//              exclude_files[], exclude_resources[] (jlink patterns),
//              libstdcxx_static[] (the libstdc++-N-dev and libgcc-N-dev whose
//              libstdc++.a and libgcc.a the image's libstdc++.so.6 is linked
//              from, with only the symbols the image imports)
//   [run]      the generated lite config: cmd, user, memory, pids, size

import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { inlineComment, isWholeQuoted, scanIni } from '../config/scan.ts'
import { formatConfigErrors } from '../config/report.ts'
import type { ConfigError } from '../config/types.ts'
import { LiteError } from '../errors.ts'

export type ProfileKind = 'busybox' | 'python' | 'java' | 'go'
const KINDS: ProfileKind[] = ['busybox', 'python', 'java', 'go']

export interface WithOption {
  debs: string[]
  /** other --with options this one needs: given with it */
  needs: string[]
  /** python: stdlib modules (names or globs) left out unless this option is given */
  keep: string[]
  /** python: lib-dynload prefixes left out unless this option is given */
  dynload: string[]
}

export interface Recipe {
  name: string
  file: string
  kind: ProfileKind
  description: string
  /** the sample app, absolute */
  app?: string
  debs: string[]
  with: Map<string, WithOption>
  python: { drop: string[]; dropDynload: string[] }
  java: { jdk: string; home: string; addModules: string[]; excludeFiles: string[]; excludeResources: string[]; libstdcxxStatic: string[] }
  run: { cmd: string; user: string; memory: string; pids: string; size: string }
}

/** section → key → is it a list ("key[]") */
const SCHEMA: Record<string, Record<string, boolean>> = {
  profile: { kind: false, description: false, app: false },
  packages: { deb: true },
  'with-*': { deb: true, with: true, keep: true, dynload: true },
  python: { drop: true, drop_dynload: true },
  java: { jdk: false, home: false, add_modules: true, exclude_files: true, exclude_resources: true, libstdcxx_static: true },
  run: { cmd: false, user: false, memory: false, pids: false, size: false },
}

function schemaFor(section: string): Record<string, boolean> | undefined {
  return SCHEMA[section] ?? (section.startsWith('with-') ? SCHEMA['with-*'] : undefined)
}

/** The directory that holds the recipes: configs/profiles beside the binary's repo, or $LITE_PROFILES. */
export function profilesDir(): string {
  if (process.env.LITE_PROFILES) return resolve(process.env.LITE_PROFILES)
  return resolve('configs/profiles')
}

export function listProfiles(dir = profilesDir()): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).filter((f) => f.endsWith('.ini')).map((f) => f.slice(0, -4)).sort()
}

export function loadRecipe(name: string, dir = profilesDir()): Recipe {
  const file = join(dir, `${name}.ini`)
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name) || !existsSync(file)) {
    const known = listProfiles(dir)
    throw new LiteError(`unknown profile "${name}"; the profiles in ${dir} are: ${known.join(', ') || '(none)'}`)
  }
  return parseRecipe(readFileSync(file, 'utf8'), file, name)
}

function unquote(raw: string): string {
  const cut = inlineComment(raw)
  const v = cut?.kind === 'comment' ? raw.slice(0, cut.at).trim() : raw
  return isWholeQuoted(v) ? v.slice(1, -1) : v
}

export function parseRecipe(text: string, file: string, name: string): Recipe {
  const scan = scanIni(text, file)
  const errors: ConfigError[] = [...scan.errors]
  const values = new Map<string, { value: string; line: number }[]>()
  for (const s of scan.sections) {
    if (!schemaFor(s.name)) errors.push({ file, line: s.line, message: `unknown section [${s.name}] in a profile recipe; known: ${Object.keys(SCHEMA).join(', ')}` })
  }
  for (const e of scan.entries) {
    const keys = schemaFor(e.section)
    if (!keys || e.hasError) continue
    if (!(e.key in keys)) {
      errors.push({ file, line: e.line, message: `unknown key "${e.key}" in [${e.section}]; known: ${Object.keys(keys).join(', ')}` })
      continue
    }
    if (keys[e.key] !== e.isList) {
      errors.push({ file, line: e.line, message: keys[e.key] ? `"${e.key}" is a list: write "${e.key}[] = ..."` : `"${e.key}" takes one value: write "${e.key} = ..."` })
      continue
    }
    const id = `${e.section}.${e.key}`
    values.set(id, [...(values.get(id) ?? []), { value: unquote(e.raw), line: e.line }])
  }
  const one = (id: string) => values.get(id)?.[0]
  const list = (id: string) => (values.get(id) ?? []).map((v) => v.value)

  const kindEntry = one('profile.kind')
  const kind = kindEntry?.value as ProfileKind | undefined
  if (!kindEntry) errors.push({ file, line: 0, message: '[profile] kind is required (busybox, python, java or go)' })
  else if (!KINDS.includes(kind!)) errors.push({ file, line: kindEntry.line, message: `[profile] kind: "${kindEntry.value}" is not one of ${KINDS.join(', ')}` })
  const cmd = one('run.cmd')
  if (!cmd) errors.push({ file, line: 0, message: '[run] cmd is required (the command the generated lite config runs)' })
  const app = one('profile.app')
  const appPath = app ? resolve(dirname(file), app.value) : undefined
  if (app && !existsSync(appPath!)) errors.push({ file, line: app.line, message: `[profile] app: ${appPath} does not exist` })

  const withNames = new Set(scan.sections.filter((s) => s.name.startsWith('with-')).map((s) => s.name.slice(5)))
  for (const s of scan.sections) {
    for (const needed of values.get(`${s.name}.with`) ?? []) {
      if (!withNames.has(needed.value)) errors.push({ file, line: needed.line, message: `[${s.name}] with: "${needed.value}" is not an option of this profile (${[...withNames].join(', ')})` })
    }
  }

  if (errors.length > 0) throw new LiteError(formatConfigErrors(errors, file).replace(/nothing was started/, 'nothing was built').trimEnd(), 125, true)

  const withOptions = new Map<string, WithOption>()
  for (const s of scan.sections) {
    if (!s.name.startsWith('with-')) continue
    withOptions.set(s.name.slice(5), { debs: list(`${s.name}.deb`), needs: list(`${s.name}.with`), keep: list(`${s.name}.keep`), dynload: list(`${s.name}.dynload`) })
  }
  return {
    name,
    file,
    kind: kind!,
    description: one('profile.description')?.value ?? '',
    app: appPath,
    debs: list('packages.deb'),
    with: withOptions,
    python: { drop: list('python.drop'), dropDynload: list('python.drop_dynload') },
    java: {
      jdk: one('java.jdk')?.value ?? '',
      home: one('java.home')?.value ?? '',
      addModules: list('java.add_modules'),
      excludeFiles: list('java.exclude_files'),
      excludeResources: list('java.exclude_resources'),
      libstdcxxStatic: list('java.libstdcxx_static'),
    },
    run: {
      cmd: cmd!.value,
      user: one('run.user')?.value ?? '65534',
      memory: one('run.memory')?.value ?? '64M',
      pids: one('run.pids')?.value ?? '64',
      size: one('run.size')?.value ?? '8M',
    },
  }
}

/** The options given and, after them, each option they need (and what those need), once each. */
export function withNeeded(recipe: Recipe, given: string[]): string[] {
  const out = [...new Set(given)]
  // out grows while it is walked: what a needed option needs is appended in turn.
  for (let i = 0; i < out.length; i++) {
    for (const needed of recipe.with.get(out[i]!)?.needs ?? []) if (!out.includes(needed)) out.push(needed)
  }
  return out
}
