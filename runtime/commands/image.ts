import type { Argv, CommandModule } from 'yargs'

// lite image pull|import|ls|inspect|rm|prune|verify: thin handlers over runtime/image/. The
// store's path comes from --store, LITE_STORE or images.ini (--images-config).

interface StoreArgs {
  store?: string
  'images-config'?: string
}

/** Runs a handler; a LiteError is printed as "lite: error: ..." and exits 125. */
async function guarded(body: () => Promise<number | void>): Promise<void> {
  const { LiteError, errorText, printable, EXIT_LITE_FAILED } = await import('../errors.ts')
  try {
    const code = await body()
    if (typeof code === 'number') process.exitCode = code
  } catch (e) {
    if (e instanceof LiteError) {
      process.stderr.write(errorText(e).trimEnd() + '\n')
      process.exitCode = e.exitCode
      return
    }
    process.stderr.write(printable(`lite: error: ${(e as Error)?.stack ?? e}`) + '\n')
    process.exitCode = EXIT_LITE_FAILED
  }
}

async function settingsOf(args: StoreArgs) {
  const { loadImageSettings } = await import('../image/settings.ts')
  return loadImageSettings({ store: args.store, imagesConfig: args['images-config'] })
}

/** A store for commands that only read: no addon, no locks. */
async function readingStore(args: StoreArgs) {
  const { ImageStore } = await import('../image/store/store.ts')
  const settings = await settingsOf(args)
  return new ImageStore(settings.store, {
    lockFile: () => {
      throw new Error('a reading command takes no lock')
    },
  })
}

/** A store for commands that lock it (rm, prune, verify): the addon's flocks. */
async function lockingStore(args: StoreArgs) {
  const { ImageStore } = await import('../image/store/store.ts')
  const settings = await settingsOf(args)
  return { settings, store: await ImageStore.open(settings) }
}

const line = (s: string) => process.stdout.write(`${s}\n`)
const note = (s: string) => process.stderr.write(`${s}\n`)

// ------------------------------------------------------------------ pull

interface PullArgs extends StoreArgs {
  ref: string
  arch?: string
  quiet: boolean
  insecure: boolean
}

const pull: CommandModule<StoreArgs, PullArgs> = {
  command: 'pull <ref>',
  describe: 'pull an image from a registry into the store; prints its digest',
  builder: (y: Argv<StoreArgs>) =>
    y
      .positional('ref', { type: 'string', demandOption: true, describe: 'registry/repository[:tag][@digest]; docker.io/library/ when no registry is given' })
      .option('arch', { type: 'string', choices: ['amd64', 'arm64'], describe: 'the platform to take from a multi-platform image (default: this host\'s)' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress, only the digest' })
      .option('insecure', { type: 'boolean', default: false, describe: 'allow plain HTTP to this registry' }) as Argv<PullArgs>,
  handler: (args) =>
    guarded(async () => {
      const settings = await settingsOf(args)
      const { pullIntoStore } = await import('../image/fetch.ts')
      const digest = await pullIntoStore(settings, { ref: args.ref, arch: args.arch as 'amd64' | 'arm64' | undefined, insecure: args.insecure, quiet: args.quiet, progress: note })
      line(digest)
    }),
}

// ------------------------------------------------------------------ import

interface ImportArgs extends StoreArgs {
  source: string
  tag?: string
  arch?: string
  quiet: boolean
}

const importCmd: CommandModule<StoreArgs, ImportArgs> = {
  command: 'import <source>',
  describe: 'import a docker save archive, an OCI archive or an OCI layout directory; prints DIGEST REF...',
  builder: (y: Argv<StoreArgs>) =>
    y
      .positional('source', { type: 'string', demandOption: true, describe: 'a .tar (or .tar.gz) from docker save or of an OCI layout, or an OCI layout directory' })
      .option('tag', { type: 'string', describe: 'name the image REF (instead of the archive\'s names); the archive must hold one image' })
      .option('arch', { type: 'string', choices: ['amd64', 'arm64'], describe: 'the platform to take from a multi-platform index (default: this host\'s)' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress lines' })
      .example('$0 image import build/profiles/busybox-amd64/image-oci', '')
      .example('$0 image import app.tar --tag registry.local/app:1.2', '') as Argv<ImportArgs>,
  handler: (args) =>
    guarded(async () => {
      const settings = await settingsOf(args)
      const { importIntoStore } = await import('../image/fetch.ts')
      const images = await importIntoStore(settings, { source: args.source, tag: args.tag, arch: args.arch, progress: args.quiet ? () => {} : note })
      for (const i of images) line([i.manifestDigest, ...i.references].join(' '))
    }),
}

// ------------------------------------------------------------------ ls

interface LsArgs extends StoreArgs {
  json: boolean
}

/** docker.io/library/busybox → busybox, docker.io/lite/x → lite/x, as Docker shows them. */
function shortRepository(registry: string, repository: string): string {
  if (registry !== 'docker.io') return `${registry}/${repository}`
  return repository.startsWith('library/') ? repository.slice('library/'.length) : repository
}

function ago(iso: string | undefined, now = Date.now()): string {
  const t = iso ? Date.parse(iso) : NaN
  if (!Number.isFinite(t)) return '-'
  const s = Math.max(0, Math.round((now - t) / 1000))
  const steps: [number, string][] = [[60, 'second'], [60, 'minute'], [24, 'hour'], [30, 'day'], [12, 'month'], [Infinity, 'year']]
  let v = s
  for (const [size, unit] of steps) {
    if (v < size) return `${v} ${unit}${v === 1 ? '' : 's'} ago`
    v = Math.floor(v / size)
  }
  return '-'
}

const ls: CommandModule<StoreArgs, LsArgs> = {
  command: 'ls',
  describe: 'list the images in the store (REPOSITORY TAG DIGEST SIZE CREATED)',
  builder: (y: Argv<StoreArgs>) => y.option('json', { type: 'boolean', default: false, describe: 'a JSON array, one object per ref (and per unnamed image)' }) as Argv<LsArgs>,
  handler: (args) =>
    guarded(async () => {
      const store = await readingStore(args)
      const { humanBytes } = await import('../image/store/store.ts')
      const refs = store.listRefs()
      const users = store.containerImages()
      const rows: { repository: string; tag: string | null; reference: string | null; digest: string; size: number; created: string | null; architecture: string; containers: string[]; display: string }[] = []
      const named = new Set<string>()
      for (const r of refs) {
        const rec = store.imageRecord(r.manifestDigest)
        if (!rec) continue
        named.add(r.manifestDigest)
        rows.push({ repository: `${r.registry}/${r.repository}`, tag: r.tag ?? null, reference: r.canonical, digest: r.manifestDigest, size: rec.size, created: rec.created ?? null, architecture: rec.architecture, containers: users.get(r.manifestDigest) ?? [], display: shortRepository(r.registry, r.repository) })
      }
      for (const d of store.listImages()) {
        if (named.has(d)) continue
        const rec = store.imageRecord(d)
        if (!rec) continue
        rows.push({ repository: '<none>', tag: null, reference: null, digest: d, size: rec.size, created: rec.created ?? null, architecture: rec.architecture, containers: users.get(d) ?? [], display: '<none>' })
      }
      if (args.json) {
        line(JSON.stringify(rows.map(({ display: _, ...r }) => r), null, 2))
        return
      }
      const table = [['REPOSITORY', 'TAG', 'DIGEST', 'SIZE', 'CREATED'], ...rows.map((r) => [r.display, r.tag ?? (r.reference ? '<digest>' : '<none>'), r.digest.slice(7, 19), humanBytes(r.size), ago(r.created ?? undefined)])]
      const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)))
      for (const row of table) line(row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd())
    }),
}

// ------------------------------------------------------------------ inspect

interface InspectArgs extends StoreArgs {
  image: string
}

const inspect: CommandModule<StoreArgs, InspectArgs> = {
  command: 'inspect <image>',
  describe: 'one image as JSON: digest, refs, containers using it, size, config, layers',
  builder: (y: Argv<StoreArgs>) => y.positional('image', { type: 'string', demandOption: true, describe: 'a ref, a digest, or 6 or more hex digits of one' }) as Argv<InspectArgs>,
  handler: (args) =>
    guarded(async () => {
      const store = await readingStore(args)
      const img = store.image(args.image)
      const { readFileSync } = await import('node:fs')
      const manifest = JSON.parse(readFileSync(store.layout.imageFile(img.digest, 'manifest.json'), 'utf8')) as unknown
      const config = JSON.parse(readFileSync(store.layout.imageFile(img.digest, 'config.json'), 'utf8')) as unknown
      const r = img.record
      line(
        JSON.stringify(
          {
            digest: img.digest,
            references: store.listRefs().filter((x) => x.manifestDigest === img.digest).map((x) => x.canonical),
            containers: store.containerImages().get(img.digest) ?? [],
            size: r.size,
            architecture: r.architecture,
            os: r.os,
            ...(r.variant ? { variant: r.variant } : {}),
            created: r.created ?? null,
            stored: r.stored,
            source: r.source,
            configDigest: r.configDigest,
            ...(r.indexDigest ? { indexDigest: r.indexDigest } : {}),
            layers: r.layers,
            squashfs: { path: img.squashfs, ...r.squashfs },
            manifest,
            config,
          },
          null,
          2,
        ),
      )
    }),
}

// ------------------------------------------------------------------ rm, prune

interface RmArgs extends StoreArgs {
  images: string[]
}

const rm: CommandModule<StoreArgs, RmArgs> = {
  command: 'rm <images..>',
  describe: 'remove refs (an image goes with its last ref) or images by digest; refused while a container uses the image',
  builder: (y: Argv<StoreArgs>) => y.positional('images', { type: 'string', array: true, demandOption: true, describe: 'refs, digests, or 6 or more hex digits of one' }) as Argv<RmArgs>,
  handler: (args) =>
    guarded(async () => {
      const { store } = await lockingStore(args)
      const { lines, errors } = await store.remove(args.images.map(String))
      for (const l of lines) line(l)
      for (const e of errors) process.stderr.write(`lite: error: ${e}\n`)
      return errors.length ? 125 : 0
    }),
}

const prune: CommandModule<StoreArgs, StoreArgs> = {
  command: 'prune',
  describe: 'remove images no ref or container reaches, blobs no image reaches, and leftovers in tmp/',
  builder: (y: Argv<StoreArgs>) => y,
  handler: (args) =>
    guarded(async () => {
      const { store } = await lockingStore(args)
      const { humanBytes } = await import('../image/store/store.ts')
      const freed = await store.prune()
      for (const l of freed.lines) line(l)
      line(`freed ${humanBytes(freed.bytes)}`)
    }),
}

// ------------------------------------------------------------------ verify

interface VerifyArgs extends StoreArgs {
  images?: string[]
  json: boolean
}

const verify: CommandModule<StoreArgs, VerifyArgs> = {
  command: 'verify [images..]',
  describe: 'check each image\'s files against their digests, and the store for dangling refs and records and for orphans; exit 1 if anything is damaged or dangling',
  builder: (y: Argv<StoreArgs>) =>
    y
      .positional('images', { type: 'string', array: true, describe: 'refs, digests, or 6 or more hex digits of one (default: every image)' })
      .option('json', { type: 'boolean', default: false, describe: 'the report as JSON: images (with their problems), dangling, orphans, summary' }) as Argv<VerifyArgs>,
  handler: (args) =>
    guarded(async () => {
      const { settings, store } = await lockingStore(args)
      const { verifyStore, verifyLines, verifyFailed } = await import('../image/store/verify.ts')
      const report = await verifyStore(store, (args.images ?? []).map(String), { keepBlobs: settings.keepBlobs })
      if (args.json) line(JSON.stringify(report, null, 2))
      else for (const l of verifyLines(report)) line(l)
      return verifyFailed(report) ? 1 : 0
    }),
}

export const image: CommandModule<object, StoreArgs> = {
  command: 'image',
  describe: 'pull, import and manage images in the store (lite image --help)',
  builder: (y: Argv) =>
    y
      .option('store', { type: 'string', describe: 'the image store (default: LITE_STORE, images.ini, /var/lib/lite)' })
      .option('images-config', { type: 'string', describe: 'the images settings file (default: LITE_IMAGES_CONFIG or /etc/lite/images.ini)' })
      .command(pull)
      .command(importCmd)
      .command(ls)
      .command(inspect)
      .command(rm)
      .command(prune)
      .command(verify)
      .demandCommand(1, 'give an image command: pull, import, ls, inspect, rm, prune, verify') as Argv<StoreArgs>,
  handler: () => {},
}
