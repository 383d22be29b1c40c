import t from 'tap'
import { apiHost, familiarName, parseReference, referenceTarget } from '../../runtime/image/reference.ts'

const D = 'sha256:' + 'ab'.repeat(32)

t.test('normalised as Docker does', async (t) => {
  const table: [string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['registry-1.docker.io/library/busybox:x', 'docker.io/library/busybox:x'],
    ['user/app', 'docker.io/user/app:latest'],
    ['user/app/sub:v2', 'docker.io/user/app/sub:v2'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/app:t', 'localhost:5000/app:t'],
    ['host:5000/a/b:tag', 'host:5000/a/b:tag'],
    ['127.0.0.1:5000/a/b', '127.0.0.1:5000/a/b:latest'],
    ['ghcr.io/org/app:1.0', 'ghcr.io/org/app:1.0'],
    ['Registry/app', 'Registry/app:latest'],
    ['host/a', 'docker.io/host/a:latest'],
    [`a/b@${D}`, `docker.io/a/b@${D}`],
    [`a/b:tag@${D}`, `docker.io/a/b:tag@${D}`],
    [`host:5000/a@${D}`, `host:5000/a@${D}`],
    ['a-b/c__d_e---f.g', 'docker.io/a-b/c__d_e---f.g:latest'],
    ['my-org/my_app.v2', 'docker.io/my-org/my_app.v2:latest'],
    ['busybox:V1.0_rc-2', 'docker.io/library/busybox:V1.0_rc-2'],
  ]
  for (const [input, canonical] of table) t.equal(parseReference(input).canonical, canonical, input)
})

t.test('fields', async (t) => {
  t.same(parseReference('busybox'), { registry: 'docker.io', repository: 'library/busybox', tag: 'latest', canonical: 'docker.io/library/busybox:latest' })
  t.same(parseReference(`host:5000/a/b:t@${D}`), { registry: 'host:5000', repository: 'a/b', tag: 't', digest: D, canonical: `host:5000/a/b:t@${D}` })
  const byDigest = parseReference(`a/b@${D}`)
  t.equal(byDigest.tag, undefined)
  t.equal(referenceTarget(byDigest), D)
  t.equal(referenceTarget(parseReference(`a/b:t@${D}`)), D, 'the digest wins over the tag')
  t.equal(referenceTarget(parseReference('a/b:t')), 't')
  t.equal(apiHost('docker.io'), 'registry-1.docker.io')
  t.equal(apiHost('host:5000'), 'host:5000')
  t.equal(familiarName(parseReference('busybox')), 'busybox:latest')
  t.equal(familiarName(parseReference('user/app:1')), 'user/app:1')
  t.equal(familiarName(parseReference('host:5000/a:1')), 'host:5000/a:1')
})

t.test('errors name the bad part', async (t) => {
  const table: [string, string][] = [
    ['', 'invalid image reference "": it is empty'],
    [' busybox', 'invalid image reference " busybox": it holds white space or a control character'],
    ['Busybox', 'invalid image reference "Busybox": repository "Busybox" must be lower case'],
    ['user/App', 'invalid image reference "user/App": repository "user/App" must be lower case'],
    ['busybox:la$t', `invalid image reference "busybox:la$t": tag "la$t" may hold only letters, digits, '_', '.' and '-', at most 128, and not start with '.' or '-'`],
    ['busybox:.x', `invalid image reference "busybox:.x": tag ".x" may hold only letters, digits, '_', '.' and '-', at most 128, and not start with '.' or '-'`],
    ['busybox:' + 'a'.repeat(129), `invalid image reference "busybox:${'a'.repeat(129)}": tag "${'a'.repeat(129)}" may hold only letters, digits, '_', '.' and '-', at most 128, and not start with '.' or '-'`],
    ['busybox:', `invalid image reference "busybox:": tag "" may hold only letters, digits, '_', '.' and '-', at most 128, and not start with '.' or '-'`],
    ['a//b', 'invalid image reference "a//b": repository "a//b" has an empty path component'],
    ['a/b/', 'invalid image reference "a/b/": repository "a/b/" has an empty path component'],
    ['-a/b', `invalid image reference "-a/b": repository component "-a" may hold only a-z, 0-9 and single '.', '_', '__' or '-' runs between them`],
    ['a/b..c', `invalid image reference "a/b..c": repository component "b..c" may hold only a-z, 0-9 and single '.', '_', '__' or '-' runs between them`],
    ['a/b___c', `invalid image reference "a/b___c": repository component "b___c" may hold only a-z, 0-9 and single '.', '_', '__' or '-' runs between them`],
    ['host:5000/', 'invalid image reference "host:5000/": it has no repository name after the registry'],
    [':tag', 'invalid image reference ":tag": it has no repository name'],
    ['a/b@sha256:abc', 'invalid image reference "a/b@sha256:abc": digest "sha256:abc" is not "sha256:" and 64 lower-case hex digits'],
    [`a/b@sha512:${'a'.repeat(128)}`, `invalid image reference "a/b@sha512:${'a'.repeat(128)}": digest "sha512:${'a'.repeat(128)}": only sha256 digests are supported`],
    ['a/b@abc', 'invalid image reference "a/b@abc": digest "abc" is not ALGORITHM:HEX'],
    [`a/b@${D}@${D}`, `invalid image reference "a/b@${D}@${D}": it holds more than one "@"`],
    [`a/b@${D.toUpperCase().replace('SHA256', 'sha256')}`, `invalid image reference "a/b@${D.toUpperCase().replace('SHA256', 'sha256')}": digest "${D.toUpperCase().replace('SHA256', 'sha256')}" is not "sha256:" and 64 lower-case hex digits`],
    ['ho_st:5000/a', 'invalid image reference "ho_st:5000/a": registry "ho_st:5000" is not a host name with an optional :port'],
    ['host:99999/a', 'invalid image reference "host:99999/a": registry "host:99999": port 99999 is out of range'],
    ['host:/a', 'invalid image reference "host:/a": registry "host:" is not a host name with an optional :port'],
  ]
  for (const [input, message] of table) t.throws(() => parseReference(input), { message, exitCode: 125 }, JSON.stringify(input))
  const long = 'a/' + 'b'.repeat(260)
  t.throws(() => parseReference(long), { message: /is longer than 255 characters/ })
})
