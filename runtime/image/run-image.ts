// What `[rootfs] image = REF` brings into a container config: the image file in the
// store (the read-only lower, loop-mounted like any squashfs/erofs rootfs), and the
// image's config as defaults (Env, Entrypoint, Cmd, WorkingDir, User, StopSignal,
// Healthcheck, ExposedPorts) plus its /etc/passwd and /etc/group for user names.
//
// config.json, passwd and group come from an image, so they are read bounded and
// checked for shape; nothing of them is used before it is.

import path from 'node:path'
import { FileReadError, readBoundedText } from '../config/bounded-read.ts'
import { rootfsKind, type RootfsKind } from '../config/rootfs-kind.ts'
import { HEALTH_SHELL } from '../config/start-values.ts'
import { ValueError } from '../config/values.ts'
import { ImageSettingsError, loadImageSettings, type ImageSettings, type SettingsOverrides } from './settings.ts'
import { ImageNotInStore, ImageRefError, resolveImageRef, storedImage, type StoredImage } from './store/lookup.ts'
import { StoreLayout } from './store/layout.ts'
import { parseGroup, parsePasswd, USER_FILE_LIMIT, type UserDb } from './user.ts'

/** The image config's fields that a container takes as defaults, checked. */
export interface ImageDefaults {
  /** KEY=VALUE, in the image's order */
  env: string[]
  /** absent (or null in the image): none */
  entrypoint?: string[]
  cmd?: string[]
  workingDir?: string
  user?: string
  stopSignal?: string
  /** HEALTHCHECK: the [health] keys' defaults; absent when the image has none */
  healthcheck?: ImageHealthcheck
  /** "80/tcp", informational */
  exposedPorts: string[]
}

/**
 * An image's Healthcheck, checked. Each field is absent where the image leaves it to
 * the default (Docker's "inherit": an empty Test, a zero duration or retries).
 */
export interface ImageHealthcheck {
  /** Test ["NONE"]: 'none' (the check is off); ["CMD", ...]: those args; ["CMD-SHELL", C]: /bin/sh -c C */
  cmd?: string[] | 'none'
  /** nanoseconds in the image, rounded up to whole milliseconds */
  intervalMs?: number
  timeoutMs?: number
  startPeriodMs?: number
  retries?: number
}

export interface RunImage {
  /** [rootfs] image as written */
  ref: string
  /** the normalised reference */
  canonical: string
  /** the manifest digest: pinned in the container's state */
  digest: string
  /** the store's root it was found in */
  store: string
  /** images/<hex> */
  dir: string
  /** images/<hex>/image.sqfs (or .erofs) */
  file: string
  kind: RootfsKind
  defaults: ImageDefaults
  users: UserDb
}

/** Where the store pipeline keeps copies of an image's /etc/passwd and /etc/group. */
export const PASSWD_COPY = 'passwd'
export const GROUP_COPY = 'group'
export const CONFIG_JSON = 'config.json'

/** A config.json larger than this is refused (real ones, history included, are under 100 KiB). */
export const IMAGE_CONFIG_LIMIT = 4 * 1024 * 1024
/** Longest string taken from an image config: the kernel's MAX_ARG_STRLEN. */
const MAX_STRING = 128 * 1024
/** Most items of Env, Entrypoint, Cmd and ExposedPorts. */
const MAX_ITEMS = 10000

export interface ImageLookupOptions extends SettingsOverrides {
  /** the digest a running container started from: used whatever the tag names now */
  pinned?: string
  env?: NodeJS.ProcessEnv
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

const NS_PER_MS = 1_000_000

/**
 * config.Healthcheck: { Test, Interval, Timeout, StartPeriod, Retries } (durations in
 * nanoseconds). `str` checks one string as the other fields' strings are checked.
 * Throws ValueError; undefined when there is nothing in it.
 */
function imageHealthcheck(v: unknown, str: (field: string, v: unknown) => string): ImageHealthcheck | undefined {
  if (v === undefined || v === null) return undefined
  if (!isObject(v)) throw new ValueError('config.json: Healthcheck is not an object')
  const check: ImageHealthcheck = {}
  const test = v.Test
  if (test !== undefined && test !== null) {
    if (!Array.isArray(test)) throw new ValueError('config.json: Healthcheck.Test is not a list of strings')
    if (test.length > MAX_ITEMS) throw new ValueError(`config.json: Healthcheck.Test has more than ${MAX_ITEMS} items`)
    const words = test.map((item, i) => str(`Healthcheck.Test[${i}]`, item))
    const [kind, ...args] = words
    const shown = JSON.stringify(words.slice(0, 3).map(w => w.slice(0, 80)))
    if (kind === undefined) {
      // [] inherits: no check here
    } else if (kind === 'NONE') {
      check.cmd = 'none'
    } else if (kind === 'CMD') {
      if (args.length === 0 || args[0] === '') throw new ValueError(`config.json: Healthcheck.Test ${shown} has no command`)
      check.cmd = args
    } else if (kind === 'CMD-SHELL') {
      if (args.length !== 1 || args[0]!.trim() === '') throw new ValueError(`config.json: Healthcheck.Test ${shown} is not ["CMD-SHELL", COMMAND]`)
      check.cmd = [...HEALTH_SHELL, args[0]!]
    } else {
      throw new ValueError(`config.json: Healthcheck.Test ${shown} does not start with NONE, CMD or CMD-SHELL`)
    }
  }
  const count = (field: string, what: string): number | undefined => {
    const n = v[field]
    if (n === undefined || n === null || n === 0) return undefined
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      throw new ValueError(`config.json: Healthcheck.${field} ${JSON.stringify(n).slice(0, 80)} is not ${what}`)
    }
    return n
  }
  const ms = (field: string): number | undefined => {
    const ns = count(field, 'a number of nanoseconds (a whole number, 0 or more)')
    return ns === undefined ? undefined : Math.ceil(ns / NS_PER_MS)
  }
  const intervalMs = ms('Interval')
  const timeoutMs = ms('Timeout')
  const startPeriodMs = ms('StartPeriod')
  const retries = count('Retries', 'a whole number, 0 or more')
  if (intervalMs !== undefined) check.intervalMs = intervalMs
  if (timeoutMs !== undefined) check.timeoutMs = timeoutMs
  if (startPeriodMs !== undefined) check.startPeriodMs = startPeriodMs
  if (retries !== undefined) check.retries = retries
  return Object.keys(check).length > 0 ? check : undefined
}

/** Checks an image config (JSON text) and takes the defaults out of it; throws ValueError. */
export function imageDefaults(text: string): ImageDefaults {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    throw new ValueError(`config.json is not JSON (${(err as Error).message})`)
  }
  if (!isObject(doc)) throw new ValueError('config.json is not a JSON object')
  const c = doc.config ?? {}
  if (!isObject(c)) throw new ValueError('config.json: "config" is not an object')
  const str = (field: string, v: unknown): string => {
    if (typeof v !== 'string') throw new ValueError(`config.json: ${field} is not a string`)
    if (v.length > MAX_STRING) throw new ValueError(`config.json: ${field} is longer than ${MAX_STRING} characters`)
    if (v.includes('\0')) throw new ValueError(`config.json: ${field} contains a NUL byte`)
    return v
  }
  const list = (field: string): string[] | undefined => {
    const v = c[field]
    if (v === undefined || v === null) return undefined
    if (!Array.isArray(v)) throw new ValueError(`config.json: ${field} is not a list of strings`)
    if (v.length > MAX_ITEMS) throw new ValueError(`config.json: ${field} has more than ${MAX_ITEMS} items`)
    return v.map((item, i) => str(`${field}[${i}]`, item))
  }
  const optional = (field: string): string | undefined => {
    const v = c[field]
    return v === undefined || v === null || v === '' ? undefined : str(field, v)
  }
  const env = list('Env') ?? []
  env.forEach((e, i) => {
    if (e.indexOf('=') < 1) throw new ValueError(`config.json: Env[${i}] ${JSON.stringify(e.slice(0, 80))} is not KEY=VALUE`)
  })
  const workingDir = optional('WorkingDir')
  if (workingDir !== undefined && !workingDir.startsWith('/')) throw new ValueError(`config.json: WorkingDir ${JSON.stringify(workingDir)} is not an absolute path`)
  let exposedPorts: string[] = []
  const ports = c.ExposedPorts
  if (ports !== undefined && ports !== null) {
    if (!isObject(ports)) throw new ValueError('config.json: ExposedPorts is not an object')
    const keys = Object.keys(ports)
    if (keys.length > MAX_ITEMS) throw new ValueError(`config.json: ExposedPorts has more than ${MAX_ITEMS} entries`)
    exposedPorts = keys.map(k => str('an ExposedPorts key', k))
    for (const p of exposedPorts) if (!/^\d{1,5}(?:\/(?:tcp|udp|sctp))?$/.test(p)) throw new ValueError(`config.json: ExposedPorts ${JSON.stringify(p.slice(0, 80))} is not PORT[/tcp|udp|sctp]`)
  }
  const entrypoint = list('Entrypoint')
  const cmd = list('Cmd')
  const healthcheck = imageHealthcheck(c.Healthcheck, str)
  return {
    env,
    ...(entrypoint ? { entrypoint } : {}),
    ...(cmd ? { cmd } : {}),
    ...(workingDir ? { workingDir } : {}),
    ...(optional('User') !== undefined ? { user: optional('User') } : {}),
    ...(optional('StopSignal') !== undefined ? { stopSignal: optional('StopSignal') } : {}),
    ...(healthcheck ? { healthcheck } : {}),
    exposedPorts,
  }
}

/** A copy the store may not have (an image without /etc/passwd): undefined. */
function optionalText(file: string, what: string): string | undefined {
  try {
    return readBoundedText(file, USER_FILE_LIMIT, what)
  } catch (err) {
    if (err instanceof FileReadError && err.code === 'ENOENT') return undefined
    if (err instanceof FileReadError) throw new ValueError(`${file}: ${err.message}`)
    throw err
  }
}

/**
 * The image [rootfs] image names, from the store that images.ini (or --store,
 * LITE_STORE) sets. Throws ValueError with the message `lite check` shows.
 */
export function loadRunImage(written: string, opts: ImageLookupOptions = {}): RunImage {
  // A pinned image (lite exec, a restart) names its store: images.ini, which may have
  // been edited since the start, is not read again.
  let settings: Pick<ImageSettings, 'store'>
  try {
    settings = opts.pinned !== undefined && opts.store !== undefined ? { store: path.resolve(opts.store) } : loadImageSettings(opts, opts.env ?? process.env)
  } catch (err) {
    if (!(err instanceof ImageSettingsError)) throw err
    const first = err.errors[0]!
    const more = err.errors.length > 1 ? ` (and ${err.errors.length - 1} more)` : ''
    throw new ValueError(`the image settings are not valid: ${first.line ? `${first.file}:${first.line}` : first.file}: ${first.message}${more}`)
  }
  let found
  try {
    found = resolveImageRef(settings.store, written, opts.pinned)
  } catch (err) {
    if (err instanceof ImageRefError || err instanceof ImageNotInStore) throw new ValueError(err.message)
    throw err
  }
  try {
    return readStoredImage(written, found, settings.store)
  } catch (err) {
    // An image rm or prune may take the image between the lookup and these reads: say
    // so, rather than name whichever of its files went first.
    if (!storedImage(new StoreLayout(settings.store), found.digest)) {
      throw new ValueError(`image ${JSON.stringify(found.ref.canonical)} (${found.digest}) is no longer in the store (${settings.store}): it was removed (lite image rm or prune) while lite read it; run: lite image pull ${found.ref.pull}`)
    }
    throw err
  }
}

/** The image's config, kind and user copies, once resolveImageRef found it. */
function readStoredImage(written: string, found: StoredImage, store: string): RunImage {
  const name = JSON.stringify(found.ref.canonical)
  let text: string
  const configFile = path.join(found.dir, CONFIG_JSON)
  try {
    text = readBoundedText(configFile, IMAGE_CONFIG_LIMIT, 'an image config')
  } catch (err) {
    if (err instanceof FileReadError) throw new ValueError(`image ${name}: ${configFile}: ${err.message}; the image is incomplete (remove it and pull it again)`)
    throw err
  }
  let defaults: ImageDefaults
  try {
    defaults = imageDefaults(text)
  } catch (err) {
    if (err instanceof ValueError) throw new ValueError(`image ${name}: ${err.message}`)
    throw err
  }
  const passwd = optionalText(path.join(found.dir, PASSWD_COPY), 'an image\'s passwd copy')
  const group = optionalText(path.join(found.dir, GROUP_COPY), 'an image\'s group copy')
  return {
    ref: written,
    canonical: found.ref.canonical,
    digest: found.digest,
    store,
    dir: found.dir,
    file: found.file,
    kind: rootfsKind(found.file, found.file),
    defaults,
    users: {
      ...(passwd !== undefined ? { passwd: parsePasswd(passwd) } : {}),
      ...(group !== undefined ? { group: parseGroup(group) } : {}),
    },
  }
}
