// Runs pullImage under Bun for the registry tests (the `lite image pull` command is
// the store's; this calls the same function):
//   bun test/support/registry-pull.ts REF --store DIR [--auth FILE] [--arch A]
//     [--insecure] [--quiet] [--registries JSON] [--idle-ms N] [--headers-ms N] [--small-body-ms N]
//     [--concurrency N] [--backoff-ms N] [--skip-layers]
// --registries is {"host": {"insecure": true, "ca": "file", "mirrors": ["h:p"]}}.
// Prints the PulledImage as JSON on stdout; an error as "lite: error: ..." on
// stderr with exit 125.

import { LiteError } from '../../runtime/errors.ts'
import type { Arch } from '../../runtime/image/platform.ts'
import { pullImage, type PullOptions } from '../../runtime/image/registry/pull.ts'
import { DEFAULT_IMAGE_SETTINGS, type ImageSettings, type RegistrySettings } from '../../runtime/image/settings.ts'
import { BlobStore } from '../../runtime/image/store/blobs.ts'
import { StoreLayout } from '../../runtime/image/store/layout.ts'

const args = process.argv.slice(2)
const ref = args.shift()
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const flag = (name: string) => args.includes(name)

async function main(): Promise<number> {
  if (!ref || !opt('--store')) {
    process.stderr.write('usage: registry-pull.ts REF --store DIR [...]\n')
    return 2
  }
  const registries = new Map<string, RegistrySettings>()
  for (const [host, s] of Object.entries(JSON.parse(opt('--registries') ?? '{}') as Record<string, Partial<RegistrySettings>>)) {
    registries.set(host, { insecure: s.insecure ?? false, mirrors: s.mirrors ?? [], ...(s.ca ? { ca: s.ca } : {}) })
  }
  const settings: ImageSettings = { ...DEFAULT_IMAGE_SETTINGS, store: opt('--store')!, authFile: opt('--auth') ?? '/nonexistent/auth.json', registries }
  const store = new BlobStore(new StoreLayout(settings.store))
  const num = (name: string) => (opt(name) !== undefined ? Number(opt(name)) : undefined)
  const options: PullOptions = {
    insecure: flag('--insecure'),
    quiet: flag('--quiet'),
    timeouts: { ...(num('--idle-ms') ? { idleMs: num('--idle-ms')! } : {}), ...(num('--headers-ms') ? { headersMs: num('--headers-ms')! } : {}), ...(num('--small-body-ms') ? { smallBodyMs: num('--small-body-ms')! } : {}) },
  }
  if (opt('--arch')) options.arch = opt('--arch') as Arch
  if (num('--concurrency')) options.concurrency = num('--concurrency')!
  if (num('--backoff-ms') !== undefined) options.retryBackoffMs = num('--backoff-ms')!
  if (flag('--skip-layers')) options.skipLayers = () => true
  const pulled = await pullImage(ref, settings, store, options)
  process.stdout.write(JSON.stringify(pulled) + '\n')
  return 0
}

main().then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof LiteError) process.stderr.write(`lite: error: ${e.message}\n`)
    else process.stderr.write(`lite: error: ${(e as Error)?.stack ?? e}\n`)
    process.exit(125)
  },
)
