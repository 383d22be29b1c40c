import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { lookupCredentials, normaliseAuthKey, parseAuthFile, readAuthFile } from '../../runtime/image/registry/auth-file.ts'

const b64 = (s: string) => Buffer.from(s).toString('base64')

t.test('key forms', async (t) => {
  t.equal(normaliseAuthKey('https://index.docker.io/v1/'), 'docker.io')
  t.equal(normaliseAuthKey('index.docker.io'), 'docker.io')
  t.equal(normaliseAuthKey('registry-1.docker.io'), 'docker.io')
  t.equal(normaliseAuthKey('docker.io'), 'docker.io')
  t.equal(normaliseAuthKey('https://Host:5000'), 'host:5000')
  t.equal(normaliseAuthKey('http://host:5000/'), 'host:5000')
  t.equal(normaliseAuthKey('host:5000/team/'), 'host:5000/team')
})

t.test('auth and username/password entries; the longest key wins', async (t) => {
  const entries = parseAuthFile(
    JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hub:pw:with:colons') },
        'https://127.0.0.1:5000': { username: 'u', password: 'p' },
        'ghcr.io': { auth: b64('gh:1') },
        'ghcr.io/team': { auth: b64('team:2') },
        'empty.example': {},
      },
    }),
    'auth.json',
  )
  t.same(lookupCredentials(entries, 'docker.io', 'library/busybox'), { username: 'hub', password: 'pw:with:colons' })
  t.same(lookupCredentials(entries, '127.0.0.1:5000', 'a/b'), { username: 'u', password: 'p' })
  t.same(lookupCredentials(entries, 'ghcr.io', 'org/app'), { username: 'gh', password: '1' })
  t.same(lookupCredentials(entries, 'ghcr.io', 'team/app'), { username: 'team', password: '2' })
  t.same(lookupCredentials(entries, 'ghcr.io', 'teamx/app'), { username: 'gh', password: '1' }, 'a namespace matches whole components')
  t.equal(lookupCredentials(entries, 'empty.example', 'a'), undefined)
  t.equal(lookupCredentials(entries, '127.0.0.1:5001', 'a'), undefined)
})

t.test('malformed files say so; a missing file means anonymous', async (t) => {
  t.throws(() => parseAuthFile('{', 'a.json'), { message: /^a\.json is not valid JSON/ })
  t.throws(() => parseAuthFile('[]', 'a.json'), { message: 'a.json is not a JSON object' })
  t.throws(() => parseAuthFile('{"auths": 3}', 'a.json'), { message: 'a.json: "auths" is not an object' })
  t.throws(() => parseAuthFile(JSON.stringify({ auths: { h: { auth: b64('nocolon') } } }), 'a.json'), { message: 'a.json: the "auth" of "h" is not base64 of USER:PASSWORD' })
  t.same(parseAuthFile('{}', 'a.json').size, 0)
  const dir = t.testdir()
  t.equal(readAuthFile(join(dir, 'none.json')).size, 0)
  const f = join(dir, 'auth.json')
  writeFileSync(f, JSON.stringify({ auths: { 'h:1': { auth: b64('a:b') } } }))
  t.same(lookupCredentials(readAuthFile(f), 'h:1'), { username: 'a', password: 'b' })
})
