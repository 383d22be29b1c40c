// The image settings of a board: where the store is, what unpacking allows, and how
// each registry is reached. They come from /etc/lite/images.ini (LITE_IMAGES_CONFIG,
// or --images-config), then LITE_STORE / --store for the store's path and
// REGISTRY_AUTH_FILE for the auth file.
//
// images.ini is read like a container config: the same bounded read, the same line
// scanner and ini join (config/parse.ts), every error at once as FILE:LINE, and one
// key table (IMAGE_KEYS below) that drives parsing, defaults, `lite help-config
// --images` and the README's table.
//
// Registries are not sections of their own. A header such as [registry "10.0.0.1:5000"]
// can't be read by the `ini` package as written: it nests a section name at every '.'
// (the header above becomes four nested objects), so every host name would need its
// dots escaped. Instead [registry] holds lists whose items start with the host:
//   insecure[] = 127.0.0.1:5000
//   ca[]       = registry.lan /etc/lite/certs/lan.pem
//   mirror[]   = docker.io mirror.lan:5000
// which both readers take as they are, and which keeps each line greppable by host.

import path from 'node:path'
import { formatConfigErrors } from '../config/report.ts'
import { readConfigFile, type RawConfig, type RawKey } from '../config/parse.ts'
import { showText } from '../config/show-text.ts'
import { closest } from '../config/suggest.ts'
import { requireRegularFile } from '../config/host-paths.ts'
import { ValueError, parseBool, parseHostPath, parseSize, quote } from '../config/values.ts'
import type { ConfigError } from '../config/types.ts'
import { LiteError } from '../errors.ts'
import { DEFAULT_STORE } from './store/layout.ts'

export interface RegistrySettings {
  /** Plain HTTP allowed (and TLS errors not ignored: this is http://, not "skip verify"). */
  insecure: boolean
  /** A PEM file of CA certificates for this registry, on top of the system's. */
  ca?: string
  /** Hosts tried first, in order, for pulls from this registry ("host[:port]"). */
  mirrors: string[]
}

export interface ImageSettings {
  /** The store's root (DESIGN.md §11). */
  store: string
  /** Keep layer blobs after the image is built (prune and re-pull need them less). */
  keepBlobs: boolean
  /** Create device nodes found in layers (skipped otherwise). */
  allowDevices: boolean
  /** The most a layer may unpack to, in bytes: a gzip bomb stops here. */
  maxLayerBytes: number
  /** Docker-style auth.json with "auths": { host: { auth: base64(user:pass) } }. */
  authFile: string
  /** Per registry host ("docker.io", "127.0.0.1:5000"). */
  registries: Map<string, RegistrySettings>
}

/** Where images.ini is looked for when neither --images-config nor LITE_IMAGES_CONFIG names one. */
export const DEFAULT_IMAGES_CONFIG = '/etc/lite/images.ini'

export const DEFAULT_IMAGE_SETTINGS: ImageSettings = {
  store: DEFAULT_STORE,
  keepBlobs: true,
  allowDevices: false,
  maxLayerBytes: 8 * 1024 ** 3,
  authFile: '/etc/lite/auth.json',
  registries: new Map(),
}

/**
 * The most a layer blob may be, compressed or not: a layer that unpacks to at most
 * maxLayerBytes is never much bigger compressed (gzip's and zstd's stored blocks add a
 * few bytes in 64 KiB). A registry or an archive that offers more is refused before a
 * byte of it is written, so that a blob cannot fill the store's disk first.
 */
export function maxLayerBlobBytes(settings: Pick<ImageSettings, 'maxLayerBytes'>): number {
  return settings.maxLayerBytes + Math.ceil(settings.maxLayerBytes / 256) + (1 << 20)
}

export function registrySettings(settings: ImageSettings, host: string): RegistrySettings {
  return settings.registries.get(normaliseHost(host)) ?? { insecure: false, mirrors: [] }
}

export interface SettingsOverrides {
  store?: string
  imagesConfig?: string
  authFile?: string
}

/** images.ini could not be used: every error, formatted as FILE:LINE lines (exit 125). */
export class ImageSettingsError extends LiteError {
  constructor(
    readonly errors: ConfigError[],
    readonly file: string,
  ) {
    super(formatConfigErrors(errors, file).replace(/; nothing was started\n$/, '').replace(/\n$/, ''), undefined, true)
    this.name = 'ImageSettingsError'
  }
}

// ------------------------------------------------------------------ the key table

export interface ImageKeyContext {
  /** images.ini's absolute directory: relative paths resolve against it */
  dir: string
}

export interface ImageKeySpec<T = unknown> {
  section: string
  key: string
  list?: boolean
  /** the value's syntax, for the reference */
  value: string
  /** how the reference shows the default */
  defaultDoc: string
  doc: string
  parse: (raw: string, ctx: ImageKeyContext) => T
  apply: (settings: ImageSettings, value: T) => void
}

export interface ImageSectionSpec {
  name: string
  doc: string
}

function row<T>(spec: ImageKeySpec<T>): ImageKeySpec {
  return spec as unknown as ImageKeySpec
}

export const IMAGE_SECTIONS: readonly ImageSectionSpec[] = [
  { name: 'store', doc: 'The image store on this board, and what unpacking a layer may do.' },
  {
    name: 'registry',
    doc:
      'How registries are reached. Each item starts with a registry host as images name it ' +
      '(docker.io, ghcr.io, 127.0.0.1:5000); a host may appear in several lists.',
  },
]

/** docker.io's other names map to docker.io, as image references do. */
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io'])
const HOST = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::(\d{1,5}))?$/i

function normaliseHost(host: string): string {
  const lower = host.toLowerCase()
  return DOCKER_HUB_ALIASES.has(lower) ? 'docker.io' : lower
}

/** host[:port], lower-cased, docker.io's aliases folded. */
export function parseRegistryHost(raw: string): string {
  const m = HOST.exec(raw)
  if (!m || raw.length > 255) throw new ValueError(`${quote(raw)} is not a registry host (host[:port], e.g. 127.0.0.1:5000 or ghcr.io; no scheme, no path)`)
  if (m[1] !== undefined && (Number(m[1]) < 1 || Number(m[1]) > 65535)) throw new ValueError(`${quote(raw)}: port ${m[1]} is out of range`)
  return normaliseHost(raw)
}

/** "HOST REST": the host and the rest of the item. */
function hostAnd(raw: string, what: string): [string, string] {
  const m = /^(\S+)\s+(\S.*)$/.exec(raw)
  if (!m) throw new ValueError(`${quote(raw)} is not "HOST ${what}"`)
  return [parseRegistryHost(m[1]!), m[2]!.trim()]
}

function registry(settings: ImageSettings, host: string): RegistrySettings {
  let r = settings.registries.get(host)
  if (!r) settings.registries.set(host, (r = { insecure: false, mirrors: [] }))
  return r
}

/** 1K .. 1T: 0 would refuse every layer. */
function parseLayerSize(raw: string): number {
  const n = parseSize(raw)
  if (n < 1024) throw new ValueError(`${quote(raw)} is below 1K; no real layer fits`)
  return n
}

export const IMAGE_KEYS: readonly ImageKeySpec[] = [
  row<string>({
    section: 'store',
    key: 'path',
    value: 'path',
    defaultDoc: DEFAULT_STORE,
    doc:
      'The store\'s root: blobs, built images, refs and container records. Absolute, or relative to ' +
      'images.ini\'s directory; made at the first pull. LITE_STORE and --store replace it. Put it on a ' +
      'data partition: images are written there with fsync and rename.',
    parse: (raw, ctx) => parseHostPath(raw, ctx.dir),
    apply: (s, v) => {
      s.store = v
    },
  }),
  row<boolean>({
    section: 'store',
    key: 'keep_blobs',
    value: 'bool',
    defaultDoc: 'yes',
    doc:
      'no deletes a pulled image\'s layer blobs once its image file is built: blobs, the staging tree ' +
      'and the image together would triple the flash used. A later pull of an image that shares layers fetches them again.',
    parse: parseBool,
    apply: (s, v) => {
      s.keepBlobs = v
    },
  }),
  row<boolean>({
    section: 'store',
    key: 'allow_devices',
    value: 'bool',
    defaultDoc: 'no',
    doc: 'yes makes the device nodes that layers hold; by default they are skipped (an image has no business shipping /dev/sda).',
    parse: parseBool,
    apply: (s, v) => {
      s.allowDevices = v
    },
  }),
  row<number>({
    section: 'store',
    key: 'max_layer_size',
    value: 'size',
    defaultDoc: '8G',
    doc: 'The most one layer may unpack to (512M, 8G): a compression bomb stops here with an error.',
    parse: parseLayerSize,
    apply: (s, v) => {
      s.maxLayerBytes = v
    },
  }),
  row<string>({
    section: 'store',
    key: 'auth',
    value: 'path',
    defaultDoc: '/etc/lite/auth.json',
    doc:
      'A Docker-style auth.json ("auths": {HOST: {"auth": base64 of USER:PASSWORD}}) for registries that ' +
      'need a login; a missing file means anonymous. REGISTRY_AUTH_FILE replaces it.',
    parse: (raw, ctx) => parseHostPath(raw, ctx.dir),
    apply: (s, v) => {
      s.authFile = v
    },
  }),
  row<string>({
    section: 'registry',
    key: 'insecure',
    list: true,
    value: 'HOST',
    defaultDoc: 'none (HTTPS only)',
    doc: 'Plain HTTP to HOST: for a registry on the board\'s own network without TLS. Certificates are never skipped; a registry is either HTTPS and checked, or HTTP.',
    parse: raw => parseRegistryHost(raw),
    apply: (s, host) => {
      registry(s, host).insecure = true
    },
  }),
  row<[string, string]>({
    section: 'registry',
    key: 'ca',
    list: true,
    value: 'HOST PEM-FILE',
    defaultDoc: 'the system\'s CAs',
    doc: 'CA certificates (a PEM file, absolute or relative to images.ini) trusted for HOST on top of the system\'s. One file per host.',
    parse: (raw, ctx) => {
      const [host, file] = hostAnd(raw, 'PEM-FILE')
      const resolved = parseHostPath(file, ctx.dir)
      requireRegularFile(resolved, file)
      return [host, resolved]
    },
    apply: (s, [host, file]) => {
      const r = registry(s, host)
      if (r.ca !== undefined) throw new ValueError(`${quote(host)} has a CA file already`)
      r.ca = file
    },
  }),
  row<[string, string]>({
    section: 'registry',
    key: 'mirror',
    list: true,
    value: 'HOST MIRROR-HOST',
    defaultDoc: 'none',
    doc:
      'Pulls from HOST try MIRROR-HOST first, in the order written, then HOST itself. Digests are ' +
      'checked whatever answers. A mirror reached over HTTP needs its own insecure[] line.',
    parse: raw => {
      const [host, mirror] = hostAnd(raw, 'MIRROR-HOST')
      return [host, parseRegistryHost(mirror)]
    },
    apply: (s, [host, mirror]) => {
      const r = registry(s, host)
      if (mirror === host) throw new ValueError(`${quote(host)} can't be its own mirror`)
      if (r.mirrors.includes(mirror)) throw new ValueError(`${quote(mirror)} is a mirror of ${quote(host)} already`)
      r.mirrors.push(mirror)
    },
  }),
]

// ------------------------------------------------------------------ validation

function unknownKey(section: string, key: string): string {
  const names = IMAGE_KEYS.filter(r => r.section === section).map(r => r.key)
  const home = IMAGE_KEYS.find(r => r.section !== section && r.key === key)
  if (home) return `unknown key "${showText(key)}" in [${section}]; it belongs in [${home.section}]`
  const near = closest(key, names)
  return `unknown key "${showText(key)}" in [${section}]${near ? ` (did you mean "${near}"?)` : ''}`
}

/** Raw images.ini → settings (from `base`), or every error in it. */
export function validateImageSettings(raw: RawConfig, base: ImageSettings = DEFAULT_IMAGE_SETTINGS): { settings?: ImageSettings; errors: ConfigError[] } {
  // a git-style [registry "HOST"] header is refused by the scanner: say what to write instead
  const REGISTRY_HINT = 'registries are listed in [registry] (insecure[] = HOST, ca[] = HOST FILE, mirror[] = HOST MIRROR)'
  const registryHeaders = new Set(raw.badHeaders.filter(h => h.name === 'registry').map(h => h.line))
  const errors: ConfigError[] = raw.errors.map(e => (registryHeaders.has(e.line) ? { ...e, message: `${e.message}; ${REGISTRY_HINT}` } : e))
  if (raw.unreadableFile) return { errors }
  const file = raw.file
  const ctx: ImageKeyContext = { dir: path.dirname(path.resolve(file)) }
  const error = (line: number, message: string) => errors.push({ file, line, message })
  const settings: ImageSettings = { ...base, registries: new Map([...base.registries].map(([h, r]) => [h, { ...r, mirrors: [...r.mirrors] }])) }

  const known = new Set(IMAGE_SECTIONS.map(s => s.name))
  for (const s of raw.sections) {
    if (known.has(s.name)) continue
    const near = closest(s.name, known)
    const hint = /^registry\b/i.test(s.name) || s.name.includes('.')
      ? `; ${REGISTRY_HINT}`
      : near
        ? ` (did you mean [${near}]?)`
        : `; the sections are ${IMAGE_SECTIONS.map(x => `[${x.name}]`).join(' ')}`
    error(s.line, `unknown section [${showText(s.name)}]${hint}`)
  }

  const apply = (spec: ImageKeySpec, rk: RawKey) => {
    if (rk.unreadable) return
    for (const rv of rk.values) {
      if (rv.unreadable) continue
      try {
        spec.apply(settings, spec.parse(rv.value, ctx))
      } catch (err) {
        if (!(err instanceof ValueError)) throw err
        error(rv.line, `[${rk.section}] ${rk.key}: ${err.message}`)
      }
    }
  }
  // table order, so that a list's items apply in file order and rows never depend on the file's order
  const written = new Map<ImageKeySpec, RawKey>()
  for (const rk of raw.keys) {
    if (!known.has(rk.section)) continue
    const line = rk.values[0]!.line
    const spec = IMAGE_KEYS.find(r => r.section === rk.section && r.key === rk.key)
    if (!spec) {
      error(line, unknownKey(rk.section, rk.key))
      continue
    }
    if (spec.list && !rk.isList) error(line, `[${rk.section}] ${rk.key} is a list; write "${rk.key}[] = ..." on each line`)
    else if (!spec.list && rk.isList) error(line, `[${rk.section}] ${rk.key} takes one value; write "${rk.key} = ...", not "${rk.key}[] = ..."`)
    written.set(spec, rk)
  }
  for (const spec of IMAGE_KEYS) {
    const rk = written.get(spec)
    if (rk) apply(spec, rk)
  }
  if (errors.length) {
    const rank = (e: ConfigError) => (e.line === 0 ? Infinity : e.line)
    return { errors: errors.map((e, i) => ({ e, i })).sort((a, b) => rank(a.e) - rank(b.e) || a.i - b.i).map(x => x.e) }
  }
  return { settings, errors: [] }
}

/** Which images.ini applies, and whether it must exist (it was named explicitly). */
export function imagesConfigPath(overrides: SettingsOverrides, env: NodeJS.ProcessEnv): { file: string; explicit: boolean } {
  const named = overrides.imagesConfig ?? (env.LITE_IMAGES_CONFIG || undefined)
  return named !== undefined ? { file: named, explicit: true } : { file: DEFAULT_IMAGES_CONFIG, explicit: false }
}

/**
 * The settings: images.ini (the default file may be missing: defaults; a file named by
 * --images-config or LITE_IMAGES_CONFIG must exist), then --store / LITE_STORE and
 * --auth-file / REGISTRY_AUTH_FILE. Throws ImageSettingsError with every FILE:LINE error.
 */
export function loadImageSettings(overrides: SettingsOverrides = {}, env: NodeJS.ProcessEnv = process.env): ImageSettings {
  const { file, explicit } = imagesConfigPath(overrides, env)
  let settings: ImageSettings = { ...DEFAULT_IMAGE_SETTINGS, registries: new Map() }
  const raw = readConfigFile(file)
  const missing = raw.unreadableFile && raw.errors.some(e => /\(ENOENT\)/.test(e.message))
  if (!(missing && !explicit)) {
    const result = validateImageSettings(raw)
    if (!result.settings) throw new ImageSettingsError(result.errors, file)
    settings = result.settings
  }
  const store = overrides.store ?? (env.LITE_STORE || undefined)
  if (store !== undefined) settings.store = path.resolve(store)
  // the store's path goes into state files and the monitor's spec, one line each
  if (/[\x00-\x1f\x7f]/.test(settings.store)) {
    throw new ImageSettingsError([{ file: store !== undefined ? (overrides.store !== undefined ? '--store' : 'LITE_STORE') : file, line: 0, message: `the store path ${JSON.stringify(settings.store)} contains a control character` }], file)
  }
  const auth = overrides.authFile ?? (env.REGISTRY_AUTH_FILE || undefined)
  if (auth !== undefined) settings.authFile = path.resolve(auth)
  return settings
}
