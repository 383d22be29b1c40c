import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { parseConfigText } from '../../runtime/config/parse.ts'
import { formatConfigErrors } from '../../runtime/config/report.ts'
import {
  DEFAULT_IMAGE_SETTINGS,
  ImageSettingsError,
  loadImageSettings,
  registrySettings,
  validateImageSettings,
} from '../../runtime/image/settings.ts'

// errors name the file as given: a relative name keeps snapshots machine-independent
const validate = (text: string, file = 'images.ini') => validateImageSettings(parseConfigText(text, file))
const errorText = (text: string) => {
  const r = validate(text)
  t.equal(r.settings, undefined)
  return formatConfigErrors(r.errors, 'images.ini')
}

t.test('no file: the defaults', async t => {
  const dir = t.testdir({})
  const s = loadImageSettings({}, { LITE_IMAGES_CONFIG: undefined })
  t.equal(s.store, '/var/lib/lite')
  t.equal(s.keepBlobs, true)
  t.equal(s.allowDevices, false)
  t.equal(s.maxLayerBytes, 8 * 1024 ** 3)
  t.equal(s.authFile, '/etc/lite/auth.json')
  t.same([...s.registries], [])
  t.same(registrySettings(s, 'docker.io'), { insecure: false, mirrors: [] })
  t.not(s.registries, DEFAULT_IMAGE_SETTINGS.registries, 'a fresh map each time')
  // a named file must exist, from the option or the environment
  const missing = path.join(dir, 'nope.ini')
  t.throws(() => loadImageSettings({ imagesConfig: missing }, {}), ImageSettingsError)
  t.throws(() => loadImageSettings({}, { LITE_IMAGES_CONFIG: missing }), /nope\.ini: No such file or directory \(ENOENT\)/)
})

t.test('a full file, then the overrides', async t => {
  const dir = t.testdir({
    'lan.pem': '-----BEGIN CERTIFICATE-----\n',
    'images.ini': [
      '; the board\'s image settings',
      '[store]',
      'path = store           ; relative to this file',
      'keep_blobs = no',
      'allow_devices = yes',
      'max_layer_size = 512M',
      'auth = /data/auth.json',
      '',
      '[registry]',
      'insecure[] = 127.0.0.1:5000',
      'ca[] = registry.lan lan.pem',
      'mirror[] = docker.io mirror.lan:5000',
      'mirror[] = index.docker.io 127.0.0.1:5000',
      'mirror[] = ghcr.io mirror.lan:5000',
    ].join('\n'),
  })
  const file = path.join(dir, 'images.ini')
  const s = loadImageSettings({ imagesConfig: file }, {})
  t.equal(s.store, path.join(dir, 'store'))
  t.equal(s.keepBlobs, false)
  t.equal(s.allowDevices, true)
  t.equal(s.maxLayerBytes, 512 * 1024 ** 2)
  t.equal(s.authFile, '/data/auth.json')
  t.same(registrySettings(s, '127.0.0.1:5000'), { insecure: true, mirrors: [] })
  t.same(registrySettings(s, 'registry.lan'), { insecure: false, ca: path.join(dir, 'lan.pem'), mirrors: [] })
  t.same(registrySettings(s, 'docker.io').mirrors, ['mirror.lan:5000', '127.0.0.1:5000'], 'aliases fold into docker.io, in file order')
  t.same(registrySettings(s, 'registry-1.docker.io').mirrors, ['mirror.lan:5000', '127.0.0.1:5000'])
  t.same(registrySettings(s, 'ghcr.io').mirrors, ['mirror.lan:5000'])

  const env = loadImageSettings({}, { LITE_IMAGES_CONFIG: file, LITE_STORE: '/data/lite', REGISTRY_AUTH_FILE: '/x/auth.json' })
  t.equal(env.store, '/data/lite', 'LITE_STORE wins over [store] path')
  t.equal(env.authFile, '/x/auth.json')
  const opt = loadImageSettings({ imagesConfig: file, store: '/opt/store', authFile: '/y.json' }, { LITE_STORE: '/data/lite' })
  t.equal(opt.store, '/opt/store', '--store wins over LITE_STORE')
  t.equal(opt.authFile, '/y.json')
})

t.test('errors: every one, at its line', async t => {
  t.matchSnapshot(
    errorText(
      [
        '[store]',
        'paht = /x',
        'keep_blobs = maybe',
        'max_layer_size = 12Q',
        'max_layer_size = 1G',
        'insecure[] = x',
        '[registry "127.0.0.1:5000"]',
        'insecure = yes',
        '[registri]',
        '[registry]',
        'insecure = 127.0.0.1:5000',
        'mirror[] = docker.io',
        'mirror[] = https://docker.io mirror',
        'mirror[] = docker.io docker.io',
        'mirror[] = ghcr.io a:99999',
        'ca[] = registry.lan missing.pem',
        'insecure[] = a_b',
      ].join('\n'),
    ),
    'a bad images.ini',
  )
  t.matchSnapshot(errorText('[store]\nmax_layer_size = 100\n[store]\nallow_devices = on\npath = ; x\n'), 'small layer limit, empty path')
  t.matchSnapshot(errorText('[store]\nmax_layer_size = 512M ; ok\nkeep_blobs = no # and\ncmd = a#b\n'), 'scanner errors come through')
})

t.test('the thrown error is the FILE:LINE report, exit 125', async t => {
  const dir = t.testdir({ 'images.ini': '[store]\nkeep_blobs = perhaps\n' })
  const file = path.join(dir, 'images.ini')
  try {
    loadImageSettings({ imagesConfig: file }, {})
    t.fail('no error')
  } catch (e) {
    t.ok(e instanceof ImageSettingsError)
    const err = e as ImageSettingsError
    t.equal(err.exitCode, 125)
    t.equal(err.preformatted, true)
    t.equal(err.message, `lite: error: ${file}:2: [store] keep_blobs: "perhaps" is not a boolean (use yes/no, true/false, on/off or 1/0)\nlite: 1 error in ${file}`)
  }
  // not a regular file, or too large: one error at line 0
  t.throws(() => loadImageSettings({ imagesConfig: dir }, {}), /a directory, not a regular file/)
  fs.writeFileSync(file, 'x'.repeat(2 * 1024 * 1024))
  t.throws(() => loadImageSettings({ imagesConfig: file }, {}), /larger than 1 MiB/)
})

t.test('a store path with a control character is refused (it goes into one-line state files)', async t => {
  t.throws(() => loadImageSettings({ store: '/data/a\nb' }, {}), /--store: the store path "\/data\/a\\nb" contains a control character/)
  t.throws(() => loadImageSettings({}, { LITE_STORE: '/x\ty' }), /LITE_STORE: the store path/)
})
