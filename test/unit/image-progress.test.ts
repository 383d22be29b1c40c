import t from 'tap'
import { LineProgress, TtyProgress, formatBytes, progressFor, quietProgress, shortDigest } from '../../runtime/image/registry/progress.ts'
import { describeFetchError, endpointsFor } from '../../runtime/image/registry/transport.ts'
import { DEFAULT_IMAGE_SETTINGS } from '../../runtime/image/settings.ts'

const D = 'sha256:0123456789abcdef' + '0'.repeat(48)

t.test('plain lines: one when a blob starts, one when it ends', async (t) => {
  let out = ''
  let now = 1000
  const p = new LineProgress({ write: (s: string) => (out += s) }, () => now)
  p.start(D, 3 * 1024 * 1024, 0)
  p.update(D, 1024)
  now = 3000
  p.done(D, 'downloaded')
  p.start(D.replace('0123', '9999'), 10, 4)
  p.done(D.replace('0123', '9999'), 'exists')
  t.equal(out, ['pull: 0123456789ab 3.0 MiB', 'pull: 0123456789ab done, 3.0 MiB in 2.0 s', 'pull: 9999456789ab 10 B, resuming at 4 B', 'pull: 9999456789ab already in the store', ''].join('\n'))
})

t.test('a terminal: rows redrawn in place, at most every 100 ms', async (t) => {
  let out = ''
  let writes = 0
  let now = 0
  const p = new TtyProgress({ write: (s: string) => ((out += s), writes++) }, () => now, 100)
  p.start(D, 2048, 0)
  for (let i = 1; i <= 50; i++) {
    now += 10
    p.update(D, i * 20)
  }
  await new Promise((r) => setTimeout(r, 150))
  t.ok(writes <= 4, `${writes} writes for 50 updates`)
  now += 1000
  p.done(D, 'downloaded')
  p.close()
  t.match(out, /0123456789ab {2}1000 B \/ 2\.0 KiB {2}\d+(\.\d)? (B|KiB)\/s/)
  t.match(out, /\x1b\[1A\x1b\[J0123456789ab {2}2\.0 KiB {2}done\n$/)
})

t.test('a terminal shows at most 12 rows: the finished ones counted, the active ones', async (t) => {
  const p = new TtyProgress({ write: () => true }, () => 0, 100)
  const digests = Array.from({ length: 20 }, (_, i) => `sha256:${String(i).padStart(2, '0')}${'0'.repeat(62)}`)
  digests.forEach((d, i) => (p.start(d, 100, 0), i < 15 && p.done(d, 'downloaded')))
  const lines = p.lines()
  t.equal(lines.length, 6)
  t.equal(lines[0], '15 of 20 blobs done')
  t.match(lines[1], /^150000000000 {2}0 B \/ 100 B$/)
  p.close()
})

t.test('quiet prints nothing; helpers', async (t) => {
  t.equal(progressFor(true), quietProgress)
  t.equal(shortDigest(D), '0123456789ab')
  t.equal(formatBytes(5 * 1024 ** 3), '5.00 GiB')
})

t.test('endpoints: mirrors first, https unless insecure', async (t) => {
  const settings = {
    ...DEFAULT_IMAGE_SETTINGS,
    registries: new Map([
      ['docker.io', { insecure: false, mirrors: ['mirror.local:5000', 'https://m2.example/', 'http://m3:80'] }],
      ['mirror.local:5000', { insecure: true, mirrors: [] }],
    ]),
  }
  t.same(
    endpointsFor('docker.io', settings).map((e) => `${e.scheme}://${e.host} ${e.name}${e.mirror ? ' mirror' : ''}`),
    ['http://mirror.local:5000 mirror.local:5000 mirror', 'https://m2.example m2.example mirror', 'http://m3:80 m3:80 mirror', 'https://registry-1.docker.io docker.io'],
  )
  t.same(endpointsFor('h:1', settings, true).map((e) => e.scheme), ['http'])
  t.same(endpointsFor('h:1', settings).map((e) => e.scheme), ['https'])
  const missingCa = { ...settings, registries: new Map([['h:1', { insecure: false, mirrors: [], ca: '/nonexistent/ca.pem' }]]) }
  t.throws(() => endpointsFor('h:1', missingCa), { message: /^cannot read the CA file \/nonexistent\/ca\.pem set for h:1/ })
})

t.test('TLS errors that look like a clock problem say so, with the date', async (t) => {
  const now = new Date('1970-01-01T00:02:03Z')
  const e = describeFetchError(Object.assign(new Error('certificate is not yet valid'), { code: 'CERT_NOT_YET_VALID' }), 'reg.example', now)
  t.equal(e.message, "reg.example: TLS certificate check failed (CERT_NOT_YET_VALID); this board's clock may be wrong: it says 1970-01-01T00:02:03.000Z (set it, or start an NTP client, then pull again)")
  t.equal(e.retriable, false)
  t.match(describeFetchError({ code: 'CERT_HAS_EXPIRED', message: 'x' }, 'h', now).message, /clock may be wrong/)
  t.match(describeFetchError({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self signed certificate' }, 'h').message, /set its CA file in images\.ini/)
  t.equal(describeFetchError({ code: 'ECONNREFUSED', message: 'x' }, 'h:1').message, 'cannot reach h:1 (ECONNREFUSED)')
})
