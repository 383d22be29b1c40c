import t from 'tap'
import { findChallenge, parseWwwAuthenticate } from '../../runtime/image/registry/challenge.ts'

const params = (header: string) => parseWwwAuthenticate(header).map((c) => ({ scheme: c.scheme, params: { ...c.params } }))

t.test('bearer as registries send it', async (t) => {
  t.same(params('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
  ])
})

t.test('commas and escapes inside quotes; spaces and case', async (t) => {
  t.same(params('bearer  Realm = "https://a/t?x=1,2" , scope="repository:a/b:pull,push", service="say \\"hi\\""'), [
    { scheme: 'bearer', params: { realm: 'https://a/t?x=1,2', scope: 'repository:a/b:pull,push', service: 'say "hi"' } },
  ])
})

t.test('unquoted values; several challenges in one header', async (t) => {
  t.same(params('Basic realm=basic-realm, Bearer realm="https://t/token",service=reg'), [
    { scheme: 'basic', params: { realm: 'basic-realm' } },
    { scheme: 'bearer', params: { realm: 'https://t/token', service: 'reg' } },
  ])
  t.same(params('Basic realm="basic-realm"'), [{ scheme: 'basic', params: { realm: 'basic-realm' } }])
  t.same(params('Negotiate, Basic realm="x"'), [
    { scheme: 'negotiate', params: {} },
    { scheme: 'basic', params: { realm: 'x' } },
  ])
  const c = parseWwwAuthenticate('Basic realm="a", Bearer realm="b"')
  t.equal(findChallenge(c, 'bearer')?.params.realm, 'b')
  t.equal(findChallenge(c, 'digest'), undefined)
})

t.test('junk and absent headers end, with what can be read', async (t) => {
  t.same(params(''), [])
  t.same(params(''), parseWwwAuthenticate(null).map((c) => ({ scheme: c.scheme, params: { ...c.params } })))
  t.same(params('Bearer realm="unterminated'), [{ scheme: 'bearer', params: { realm: 'unterminated' } }])
  t.same(params(',,, ;; Bearer realm="x",,'), [{ scheme: 'bearer', params: { realm: 'x' } }])
  // Bounded: a huge header is read only up to its first 16 KiB.
  const huge = 'Bearer realm="x",' + 'a=b,'.repeat(100_000)
  t.ok(parseWwwAuthenticate(huge).length >= 1)
})
