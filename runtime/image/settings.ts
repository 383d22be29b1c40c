// The image settings of a board: where the store is, what unpacking allows, and how
// each registry is reached. They come from /etc/lite/images.ini (LITE_IMAGES_CONFIG,
// or --images-config), then LITE_STORE / --store for the store's path.
// TODO(issue 13, config helper): read images.ini with the key table and line scanner.

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

export const DEFAULT_IMAGE_SETTINGS: ImageSettings = {
  store: DEFAULT_STORE,
  keepBlobs: true,
  allowDevices: false,
  maxLayerBytes: 8 * 1024 ** 3,
  authFile: '/etc/lite/auth.json',
  registries: new Map(),
}

export function registrySettings(settings: ImageSettings, host: string): RegistrySettings {
  return settings.registries.get(host) ?? { insecure: false, mirrors: [] }
}

export interface SettingsOverrides {
  store?: string
  imagesConfig?: string
  authFile?: string
}

export function loadImageSettings(overrides: SettingsOverrides = {}, env: NodeJS.ProcessEnv = process.env): ImageSettings {
  const settings: ImageSettings = { ...DEFAULT_IMAGE_SETTINGS, registries: new Map() }
  const store = overrides.store ?? env.LITE_STORE
  if (store) settings.store = store
  const auth = overrides.authFile ?? env.REGISTRY_AUTH_FILE
  if (auth) settings.authFile = auth
  return settings
}
