// `lite image pull`'s network side: from a reference to a verified manifest,
// config and layer blobs in the store. It does not unpack or build the image
// (the store's own code does, from what this returns).
//
//   reference -> endpoints (mirrors first, then the registry) -> manifest or index
//   -> (index) the platform's manifest -> config -> layers, 3 at a time
//
// Every manifest is checked against its digest (the reference's, else the
// registry's Docker-Content-Digest, else the one computed here, which is then the
// image's), every blob as it streams. The index, the manifest and the config are
// stored with putBytes; the layers through partial files that a later pull resumes.

import { LiteError } from '../../errors.ts'
import { describeFsError } from '../../config/errno.ts'
import { MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, ManifestError, checkConfigMatchesManifest, checkImageManifest, parseImageConfigBytes, parseManifestBytes, MANIFEST_ACCEPT, type ParsedManifest } from '../manifest.ts'
import { ARCHES, machineArch, platformText, selectPlatform, type Arch } from '../platform.ts'
import { parseReference, referenceTarget } from '../reference.ts'
import { maxLayerBlobBytes, type ImageSettings } from '../settings.ts'
import { DigestMismatch, sha256Digest, type BlobStore } from '../store/blobs.ts'
import { storeErrno, storeFailure } from '../store/errors.ts'
import type { Descriptor, ImageConfig, ImageManifest, ImageReference } from '../types.ts'
import { readAuthFile } from './auth-file.ts'
import { downloadBlob, type OpenBlob } from './blob-download.ts'
import { AuthError, RegistryClient, errorDetail } from './client.ts'
import { progressFor, shortDigest, type ProgressSink } from './progress.ts'
import { DEFAULT_TIMEOUTS, NetworkError, RegistryHttpError, endpointsFor, readLimited, type Endpoint, type Sent, type Timeouts } from './transport.ts'

export type { ProgressSink } from './progress.ts'
export { LineProgress, TtyProgress, progressFor, quietProgress } from './progress.ts'

export interface PullOptions {
  arch?: Arch
  insecure?: boolean
  quiet?: boolean
  progress?: ProgressSink
  /** Network time limits; the defaults suit a slow board link. */
  timeouts?: Partial<Timeouts>
  /** Layers downloaded at once (default 3). */
  concurrency?: number
  /** The wait before a retry of a broken download, ms (default 1 s, growing). */
  retryBackoffMs?: number
  /**
   * Asked with the manifest's digest once it is known: true when the store already
   * built an image from it (and may have dropped its layer blobs, keep_blobs = no),
   * so the layers are not downloaded again. The manifest and config still are.
   */
  skipLayers?: (manifestDigest: string) => boolean
}

export interface PulledImage {
  reference: ImageReference
  manifestDigest: string
  manifest: ImageManifest
  config: ImageConfig
  configDigest: string
  /** the index digest when a platform was chosen from one */
  indexDigest?: string
}

export const DEFAULT_CONCURRENCY = 3

interface Fetched {
  bytes: Uint8Array
  digest: string
  parsed: ParsedManifest
  endpoint: Endpoint
}

/** An HTTP answer other than success, as the error a user reads. Retriable ones are NetworkErrors. */
async function statusError(sent: Sent, ep: Endpoint, what: string, client: RegistryClient): Promise<LiteError> {
  const status = sent.res.status
  const detail = await errorDetail(sent, ep.host, client.timeouts)
  const tail = detail ? ` (${detail})` : ''
  if (status === 404) return new RegistryHttpError(`${what} was not found on ${ep.name}${tail}`, status)
  if (status === 401 || status === 403) {
    // Docker Hub answers so for a repository that does not exist, too.
    const hint = client.hasCredentials(ep) ? '' : `; if the repository exists and is private, add credentials for ${ep.name} to ${client.authFile}`
    return new AuthError(`${ep.name} refused access to ${what} (${status})${tail}${hint}`)
  }
  if (status === 429) return new NetworkError(`${ep.name} limits the rate of requests (429)${tail}; wait and pull again`)
  if (status >= 500) return new NetworkError(`${ep.name} failed (${status})${tail}`)
  return new RegistryHttpError(`${ep.name} answered ${status} for ${what}${tail}`, status)
}

/** Whether a failure on one endpoint lets the next one (the registry after a mirror) try. */
const fallsThrough = (e: unknown) => e instanceof NetworkError || e instanceof RegistryHttpError || e instanceof AuthError

async function fetchManifest(
  client: RegistryClient,
  endpoints: Endpoint[],
  target: string,
  expected: string | undefined,
  what: string,
  progress: ProgressSink,
): Promise<Fetched> {
  let last: unknown
  for (const [i, ep] of endpoints.entries()) {
    try {
      const sent = await client.get(ep, `/v2/${client.repository}/manifests/${target}`, { Accept: MANIFEST_ACCEPT })
      if (sent.res.status !== 200) throw await statusError(sent, ep, `the manifest of ${what}`, client)
      const bytes = await readLimited(sent, ep.host, client.timeouts, MAX_MANIFEST_BYTES, `the manifest of ${what}`)
      const digest = sha256Digest(bytes)
      if (expected && digest !== expected) throw new LiteError(`the manifest of ${what} from ${ep.name} has the digest ${digest}, not ${expected}; nothing was stored`)
      const header = sent.res.headers.get('docker-content-digest')?.trim()
      if (!expected && header && header.startsWith('sha256:') && header !== digest)
        throw new LiteError(`the manifest of ${what} from ${ep.name} has the digest ${digest}, not the ${header} that ${ep.name} announced; nothing was stored`)
      const parsed = parseManifestBytes(bytes, what, sent.res.headers.get('content-type'))
      return { bytes, digest, parsed, endpoint: ep }
    } catch (e) {
      last = e
      if (!fallsThrough(e) || i === endpoints.length - 1) throw e
      progress.note(`mirror ${ep.name}: ${(e as Error).message}; trying ${endpoints[i + 1]!.name}`)
    }
  }
  throw last
}

/** The endpoints with `first` (the one that served the manifest) at the front. */
const preferring = (endpoints: Endpoint[], first: Endpoint) => [first, ...endpoints.filter((e) => e !== first)]

function blobOpener(client: RegistryClient, endpoints: Endpoint[], digest: string, what: string, progress: ProgressSink): OpenBlob {
  return async (from) => {
    let last: unknown
    for (const [i, ep] of endpoints.entries()) {
      try {
        const sent = await client.get(ep, `/v2/${client.repository}/blobs/${digest}`, from > 0 ? { Range: `bytes=${from}-` } : {})
        const status = sent.res.status
        if (status === 200 || status === 206 || (status === 416 && from > 0)) return { ...sent, host: ep.name }
        throw await statusError(sent, ep, what, client)
      } catch (e) {
        last = e
        if (!fallsThrough(e) || i === endpoints.length - 1) throw e
        progress.note(`${ep.name}: ${(e as Error).message}; trying ${endpoints[i + 1]!.name}`)
      }
    }
    throw last
  }
}

async function fetchSmallBlob(client: RegistryClient, endpoints: Endpoint[], desc: Descriptor, limit: number, what: string, progress: ProgressSink): Promise<Uint8Array> {
  if (desc.size > limit) throw new ManifestError(`${what} is ${desc.size} bytes, more than the ${limit} allowed`)
  const sent = await blobOpener(client, endpoints, desc.digest, what, progress)(0)
  const bytes = await readLimited(sent, sent.host, client.timeouts, Math.min(limit, desc.size), what)
  if (bytes.length !== desc.size) throw new LiteError(`${what} is ${bytes.length} bytes, not the ${desc.size} its descriptor says; nothing was stored`)
  const actual = sha256Digest(bytes)
  if (actual !== desc.digest) throw new LiteError(`${what}: digest mismatch: expected ${desc.digest}, got ${actual}; nothing was stored`)
  return bytes
}

/**
 * Runs `fn` over `items`, `limit` at a time. The first failure rejects at once and
 * aborts `cancel`, which stops the others at their next chunk (their partial files
 * stay for a resume).
 */
function runLimited<T>(items: T[], limit: number, cancel: AbortController, fn: (item: T, i: number) => Promise<unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0
    let running = 0
    let failed = false
    const pump = () => {
      if (failed) return
      if (next >= items.length && running === 0) return resolve()
      while (running < limit && next < items.length) {
        const i = next++
        running++
        fn(items[i]!, i).then(
          () => {
            running--
            pump()
          },
          (e) => {
            running--
            if (!failed) {
              failed = true
              cancel.abort(e)
              reject(e)
            }
          },
        )
      }
    }
    pump()
  })
}

/**
 * Pulls `refText` into `store`: the manifest (and the index it was chosen from),
 * the config and every layer blob, each verified. Throws a LiteError that says what
 * went wrong; what was verified stays in the store, and partial layers stay for the
 * next pull to resume.
 */
export async function pullImage(refText: string, settings: ImageSettings, store: BlobStore, options: PullOptions = {}): Promise<PulledImage> {
  const ref = parseReference(refText)
  const timeouts: Timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts }
  const endpoints = endpointsFor(ref.registry, settings, options.insecure ?? false)
  const client = new RegistryClient(ref.repository, readAuthFile(settings.authFile), timeouts, settings.authFile)
  if (options.arch !== undefined && !ARCHES.includes(options.arch)) throw new LiteError(`--arch ${JSON.stringify(options.arch)}: lite pulls images for ${ARCHES.join(' or ')}`)
  const arch = options.arch ?? machineArch()
  const progress = options.progress ?? progressFor(options.quiet ?? false)
  try {
    return await pullInto(ref, arch, endpoints, client, store, options, progress, maxLayerBlobBytes(settings))
  } catch (e) {
    // A store that is read-only, full or broken: say which store, and how: full and
    // read-only in the words of the build and the import (with what to do about it).
    if (!(e instanceof LiteError) && storeErrno(e)) throw storeFailure(e, settings.store, `pulling ${refText}`)
    const code = (e as NodeJS.ErrnoException)?.code
    if (!(e instanceof LiteError) && typeof code === 'string' && /^E[A-Z]+$/.test(code))
      throw new LiteError(`cannot write to the image store ${settings.store}: ${describeFsError(e)}${(e as NodeJS.ErrnoException).path ? ` (${(e as NodeJS.ErrnoException).path})` : ''}`)
    throw e
  } finally {
    progress.close()
  }
}

async function pullInto(ref: ImageReference, arch: Arch, endpoints: Endpoint[], client: RegistryClient, store: BlobStore, options: PullOptions, progress: ProgressSink, maxBlob: number): Promise<PulledImage> {
  const what = ref.canonical
  const timeouts = client.timeouts
  const top = await fetchManifest(client, endpoints, referenceTarget(ref), ref.digest, what, progress)
  let chosen = top
  let indexDigest: string | undefined
  if (top.parsed.kind === 'index') {
    const desc = selectPlatform(top.parsed.index, arch, what)
    if (desc.size > MAX_MANIFEST_BYTES) throw new ManifestError(`the linux/${arch} manifest of ${what} is ${desc.size} bytes, more than the ${MAX_MANIFEST_BYTES} allowed`)
    const platformWhat = `${what} (${platformText(desc.platform)})`
    chosen = await fetchManifest(client, preferring(endpoints, top.endpoint), desc.digest, desc.digest, platformWhat, progress)
    if (chosen.parsed.kind !== 'manifest') throw new ManifestError(`${platformWhat} is an index inside an index, which lite does not follow`)
    if (chosen.bytes.length !== desc.size) throw new ManifestError(`${platformWhat}: the manifest is ${chosen.bytes.length} bytes, not the ${desc.size} the index says`)
    indexDigest = top.digest
  }
  if (chosen.parsed.kind !== 'manifest') throw new ManifestError(`${what} is not an image manifest`)
  const manifest = chosen.parsed.manifest
  checkImageManifest(manifest, what)
  const manifestDigest = chosen.digest
  const sources = preferring(endpoints, chosen.endpoint)

  // The config: small, read whole, checked, parsed.
  const configWhat = `the config of ${what}`
  const configBytes = store.has(manifest.config.digest)
    ? store.readBytes(manifest.config.digest, MAX_CONFIG_BYTES)
    : await fetchSmallBlob(client, sources, manifest.config, MAX_CONFIG_BYTES, configWhat, progress)
  const config = parseImageConfigBytes(configBytes, configWhat)
  checkConfigMatchesManifest(manifest, config, what)
  if (config.os !== 'linux') throw new ManifestError(`${what} is an image for ${config.os}, not linux`)
  if ((options.arch || indexDigest) && config.architecture !== arch)
    throw new ManifestError(`${what} is an image for linux/${config.architecture}, not the linux/${arch} ${options.arch ? 'asked for' : 'chosen from its index'}`)

  // Layers, at most `concurrency` at once, each digest once.
  const seen = new Set<string>()
  const skip = options.skipLayers?.(manifestDigest) ?? false
  const layers = skip ? [] : manifest.layers.map((l, i) => ({ l, i })).filter(({ l }) => !seen.has(l.digest) && seen.add(l.digest))
  const n = manifest.layers.length
  // A layer bigger than max_layer_size could only fail to unpack: refused before its
  // bytes fill the store's disk.
  for (const { l, i } of layers) {
    if (l.size > maxBlob) throw new LiteError(`layer ${i + 1} of ${n} (${shortDigest(l.digest)}) of ${what} is ${l.size} bytes, more than a layer may be (max_layer_size allows blobs of ${maxBlob} bytes); nothing was stored`)
  }
  const cancel = new AbortController()
  await runLimited(layers, Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY), cancel, async ({ l, i }) => {
    const layerWhat = `layer ${i + 1} of ${n} (${shortDigest(l.digest)}) of ${what}`
    try {
      await downloadBlob(l, store, blobOpener(client, sources, l.digest, layerWhat, progress), {
        idleMs: timeouts.idleMs,
        progress,
        what: layerWhat,
        signal: cancel.signal,
        ...(options.retryBackoffMs !== undefined ? { backoffMs: options.retryBackoffMs } : {}),
      })
    } catch (e) {
      if (e instanceof DigestMismatch) throw new LiteError(`${e.message}; nothing was stored`)
      throw e
    }
  })

  // Only now, with every blob there, the small documents: a store that holds a
  // manifest holds what it names (prune and the image builder rely on it), unless
  // skipLayers said that the image is built already.
  store.putBytes(manifest.config.digest, configBytes, configWhat)
  store.putBytes(manifestDigest, chosen.bytes, `the manifest of ${what}`)
  if (indexDigest) store.putBytes(indexDigest, top.bytes, `the index of ${what}`)
  return {
    reference: ref,
    manifestDigest,
    manifest,
    config,
    configDigest: manifest.config.digest,
    ...(indexDigest ? { indexDigest } : {}),
  }
}
