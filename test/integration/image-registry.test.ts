// The registry client against real and fake registries, all on 127.0.0.1:
// - Debian's docker-registry, started here with its own config and storage, filled
//   by skopeo from OCI layouts built here (one image, and an index with amd64 and
//   an arm64 entry that has no variant): open; with htpasswd basic auth; with token
//   auth and a token server written here; over TLS with a test CA (and with a
//   certificate valid only from 2099, for the clock hint);
// - the fake registry of test/support/fake-registry.ts for what docker-registry
//   cannot be made to do: token expiry in the middle of a blob, redirects to another
//   host, cuts, stalls, ignored ranges, tampering, schema 1, missing or wrong
//   Docker-Content-Digest, and a pull killed with -9 then resumed.
// pullImage runs under Bun through test/support/registry-pull.ts (what `lite image
// pull` calls). Every server and process stops in a teardown, and nothing here
// blocks the event loop while a server of this process must answer.

import { spawn, spawnSync } from 'node:child_process'
import { createHash, sign } from 'node:crypto'
import http from 'node:http'
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { filesTar } from '../../runtime/rootfs-build/outputs/layer-tar.ts'
import { eventually, isRoot, REPO } from '../support/integration.ts'
import { fakeImage, sha, startFakeRegistry, type FakeImage } from '../support/fake-registry.ts'
import { skopeoCopy, startDockerRegistry } from '../support/docker-registry.ts'
import { gzipSync } from 'node:zlib'

const BUN = join(REPO, 'node_modules/.bin/bun')
const PULL = join(REPO, 'test/support/registry-pull.ts')
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs the pull under Bun, asynchronously (the fake registry lives in this process). */
function pull(t: Test, args: string[], timeoutMs = 60_000): { done: Promise<Run>; pid: () => number | undefined; kill: (s: NodeJS.Signals) => void } {
  const child = spawn(BUN, [PULL, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const done = new Promise<Run>((res) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      res({ code, signal, stdout, stderr })
    }),
  )
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    return done
  })
  return { done, pid: () => child.pid, kill: (s) => child.kill(s) }
}

// t.testdir() empties its directory on every call: one call per test, kept here.
const testDirs = new WeakMap<Test, string>()
function dirOf(t: Test): string {
  let d = testDirs.get(t)
  if (!d) testDirs.set(t, (d = t.testdir()))
  return d
}

const runPull = (t: Test, args: string[], timeoutMs?: number) => pull(t, args, timeoutMs).done

/** Every file under blobs/ is named by its own sha256. */
function checkStore(t: Test, store: string): string[] {
  const dir = join(store, 'blobs/sha256')
  const names = existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')) : []
  for (const n of names) t.equal(createHash('sha256').update(readFileSync(join(dir, n))).digest('hex'), n, `blob ${n.slice(0, 12)} matches its name`)
  return names.map((n) => `sha256:${n}`)
}

const tmpFiles = (store: string) => (existsSync(join(store, 'tmp')) ? readdirSync(join(store, 'tmp')) : [])

interface Built {
  /** OCI layout dir, tag "one" (amd64) and tag "multi" (an index of amd64 and arm64) */
  dir: string
  one: { manifest: string; config: string; layer: string }
  multi: { index: string; amd64: string; arm64: string; arm64Layer: string }
}

/** OCI layout with one image (tag one) and one index (tag multi): real gzip tar layers. */
async function buildLayout(t: Test): Promise<Built> {
  const dir = join(dirOf(t), 'oci')
  const blobs = join(dir, 'blobs/sha256')
  mkdirSync(blobs, { recursive: true })
  const put = (data: Buffer) => {
    const d = sha(data)
    writeFileSync(join(blobs, d.slice(7)), data)
    return { digest: d, size: data.length }
  }
  const image = async (arch: string, text: string, variant?: string) => {
    const tar = await filesTar([
      ['etc/arch', Buffer.from(`${arch}\n`)],
      ['data.bin', Buffer.from(text.repeat(5000))],
    ])
    const layer = put(gzipSync(tar))
    const config = put(
      Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', ...(variant ? { variant } : {}), config: { Cmd: ['/bin/sh'], Env: ['A=1'] }, rootfs: { type: 'layers', diff_ids: [sha(tar)] } })),
    )
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
    }
    return { m: put(Buffer.from(JSON.stringify(manifest))), config: config.digest, layer: layer.digest }
  }
  const one = await image('amd64', 'one')
  const amd = await image('amd64', 'multi-amd64')
  // No variant on the arm64 entry: it must still match arm64.
  const arm = await image('arm64', 'multi-arm64')
  const idx = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...amd.m, platform: { architecture: 'amd64', os: 'linux' } },
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...arm.m, platform: { architecture: 'arm64', os: 'linux' } },
        ],
      }),
    ),
  )
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...one.m, annotations: { 'org.opencontainers.image.ref.name': 'one' } },
        { mediaType: 'application/vnd.oci.image.index.v1+json', ...idx, annotations: { 'org.opencontainers.image.ref.name': 'multi' } },
      ],
    }),
  )
  return { dir, one: { manifest: one.m.digest, config: one.config, layer: one.layer }, multi: { index: idx.digest, amd64: amd.m.digest, arm64: arm.m.digest, arm64Layer: arm.layer } }
}

/** A CA, and certificates for 127.0.0.1 that it signed: one valid now, one valid only from 2099. */
function makeCerts(t: Test): { ca: string; key: string; now: string; future: string } {
  const dir = join(dirOf(t), 'pki')
  mkdirSync(join(dir, 'new'), { recursive: true })
  writeFileSync(join(dir, 'index.txt'), '')
  writeFileSync(join(dir, 'serial'), '01\n')
  writeFileSync(
    join(dir, 'ca.cnf'),
    `[ca]\ndefault_ca = d\n[d]\ndatabase = ${dir}/index.txt\nnew_certs_dir = ${dir}/new\nserial = ${dir}/serial\ndefault_md = sha256\npolicy = p\ncopy_extensions = copy\nunique_subject = no\n[p]\ncommonName = supplied\n`,
  )
  const ssl = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 60_000 })
    if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`)
  }
  ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=lite test CA'])
  ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'])
  const sign = (out: string, dates: string[]) => ssl(['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', 'srv.csr', '-out', out, '-notext', ...dates])
  sign('now.pem', ['-days', '2'])
  sign('future.pem', ['-startdate', '20990101000000Z', '-enddate', '21000101000000Z'])
  return { ca: join(dir, 'ca.pem'), key: join(dir, 'srv.key'), now: join(dir, 'now.pem'), future: join(dir, 'future.pem') }
}

const TOKEN_SERVICE = 'lite-test-registry'
const TOKEN_ISSUER = 'lite-test-issuer'
const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url')

/**
 * A token server for docker-registry's `auth: token`: Basic credentials in, a JWT
 * out (RS256, signed with `key`, the certificate chain in x5c). `tester` gets what
 * it asks for; anyone else gets a token that grants nothing.
 */
async function startTokenServer(t: Test, keyPem: string, certPem: string, password: string): Promise<{ realm: string; requests: string[] }> {
  const der = certPem.replace(/-----[A-Z ]+-----|\s/g, '')
  const requests: string[] = []
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    requests.push(`${req.headers.authorization ? 'basic' : 'anonymous'} ${url.searchParams.getAll('scope').join(' ')}`)
    const tester = req.headers.authorization === `Basic ${Buffer.from(`tester:${password}`).toString('base64')}`
    if (req.headers.authorization && !tester) return void res.writeHead(401).end('{"details":"wrong credentials"}')
    const access = url.searchParams.getAll('scope').flatMap((scope) => {
      const [type, name, actions] = scope.split(':')
      return tester && type === 'repository' && name ? [{ type, name, actions: (actions ?? '').split(',') }] : []
    })
    const now = Math.floor(Date.now() / 1000)
    const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [der] }))
    const claims = b64url(JSON.stringify({ iss: TOKEN_ISSUER, sub: tester ? 'tester' : '', aud: url.searchParams.get('service'), exp: now + 300, nbf: now - 10, iat: now, jti: String(Math.random()), access }))
    const signature = sign('RSA-SHA256', Buffer.from(`${header}.${claims}`), keyPem).toString('base64url')
    const token = `${header}.${claims}.${signature}`
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300 }))
  })
  const sockets = new Set<net.Socket>()
  server.on('connection', (c) => (sockets.add(c), c.on('close', () => sockets.delete(c))))
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)))
  t.teardown(async () => {
    for (const c of sockets) c.destroy()
    await new Promise((r) => server.close(r))
  })
  return { realm: `http://127.0.0.1:${port}/token`, requests }
}

const missing = ['docker-registry', 'skopeo'].filter((c) => !have(c))
if (!isRoot || missing.length || !existsSync(BUN)) {
  t.comment(`the registry tests need root, docker-registry, skopeo and bun (scripts/setup); missing: ${[...(isRoot ? [] : ['root']), ...missing].join(' ') || 'bun'}`)
  if (process.env.CI) t.fail('CI must run the registry tests as root after scripts/setup')
} else {
  t.setTimeout(600_000)

  t.test("Debian's docker-registry, no auth: by tag, by digest, multi-arch", async (t) => {
    const reg = await startDockerRegistry(t, dirOf(t))
    const built = await buildLayout(t)
    await skopeoCopy(t, built.dir, 'one', `${reg}/test/one:v1`)
    await skopeoCopy(t, built.dir, 'multi', `${reg}/test/multi:v1`)
    const store = join(dirOf(t), 'store')

    const byTag = await runPull(t, [`${reg}/test/one:v1`, '--store', store, '--insecure'])
    t.equal(byTag.code, 0, byTag.stderr)
    const p = JSON.parse(byTag.stdout)
    t.equal(p.reference.canonical, `${reg}/test/one:v1`)
    t.equal(p.manifestDigest, built.one.manifest)
    t.equal(p.configDigest, built.one.config)
    t.equal(p.indexDigest, undefined)
    t.same(p.config.config.Cmd, ['/bin/sh'])
    t.match(byTag.stderr, /pull: [0-9a-f]{12} done, /, 'plain progress lines off a terminal')
    t.same(checkStore(t, store).sort(), [built.one.manifest, built.one.config, built.one.layer].sort())
    t.same(tmpFiles(store), [], 'no partial file left')

    const again = await runPull(t, [`${reg}/test/one@${built.one.manifest}`, '--store', store, '--insecure', '--quiet'])
    t.equal(again.code, 0, again.stderr)
    t.equal(again.stderr, '', '--quiet prints nothing')
    t.equal(JSON.parse(again.stdout).manifestDigest, built.one.manifest)

    const amd = await runPull(t, [`${reg}/test/multi:v1`, '--store', store, '--insecure', '--arch', 'amd64'])
    t.equal(amd.code, 0, amd.stderr)
    t.equal(JSON.parse(amd.stdout).manifestDigest, built.multi.amd64)
    t.equal(JSON.parse(amd.stdout).indexDigest, built.multi.index)

    const arm = await runPull(t, [`${reg}/test/multi@${built.multi.index}`, '--store', store, '--insecure', '--arch', 'arm64'])
    t.equal(arm.code, 0, arm.stderr)
    const a = JSON.parse(arm.stdout)
    t.equal(a.manifestDigest, built.multi.arm64, 'arm64 with no variant in the index is chosen for --arch arm64')
    t.equal(a.config.architecture, 'arm64')
    t.ok(existsSync(join(store, 'blobs/sha256', built.multi.arm64Layer.slice(7))))
    const names = checkStore(t, store)
    t.ok(names.includes(built.multi.index), 'the index is stored too')

    const direct = await runPull(t, [`${reg}/test/multi@${built.multi.arm64}`, '--store', store, '--insecure', '--arch', 'arm64', '--quiet'])
    t.equal(direct.code, 0, direct.stderr)
    t.equal(JSON.parse(direct.stdout).indexDigest, undefined)

    const wrongArch = await runPull(t, [`${reg}/test/one:v1`, '--store', store, '--insecure', '--arch', 'arm64', '--quiet'])
    t.equal(wrongArch.code, 125)
    t.equal(wrongArch.stderr, `lite: error: ${reg}/test/one:v1 is an image for linux/amd64, not the linux/arm64 asked for\n`)

    const unknown = await runPull(t, [`${reg}/test/one:nope`, '--store', store, '--insecure', '--quiet'])
    t.equal(unknown.code, 125)
    t.match(unknown.stderr, `lite: error: the manifest of ${reg}/test/one:nope was not found on ${reg} (MANIFEST_UNKNOWN`)

    const https = await runPull(t, [`${reg}/test/one:v1`, '--store', store, '--quiet'])
    t.equal(https.code, 125, 'https is the default: a plain-http registry fails without --insecure')
    t.match(https.stderr, /--insecure/)

    const viaSettings = await runPull(t, [`${reg}/test/one:v1`, '--store', store, '--quiet', '--registries', JSON.stringify({ [reg]: { insecure: true } })])
    t.equal(viaSettings.code, 0, `the registry's insecure setting allows http: ${viaSettings.stderr}`)

    const mirrored = join(dirOf(t), 'store-mirror')
    const viaMirror = await runPull(t, [`10.255.255.1:1/test/one:v1`, '--store', mirrored, '--quiet', '--headers-ms', '3000', '--registries', JSON.stringify({ '10.255.255.1:1': { insecure: true, mirrors: [reg] } })])
    t.equal(viaMirror.code, 0, `a mirror is tried first: ${viaMirror.stderr}`)
    t.equal(JSON.parse(viaMirror.stdout).manifestDigest, built.one.manifest)
  })

  t.test("Debian's docker-registry with htpasswd basic auth", async (t) => {
    const hash = spawnSync(BUN, ['-e', "process.stdout.write(await Bun.password.hash('s3cret, really', { algorithm: 'bcrypt', cost: 5 }))"], { encoding: 'utf8' })
    t.equal(hash.status, 0, hash.stderr)
    const reg = await startDockerRegistry(t, dirOf(t), { htpasswd: `tester:${hash.stdout}\n` })
    const built = await buildLayout(t)
    await skopeoCopy(t, built.dir, 'one', `${reg}/test/one:v1`, 'tester:s3cret, really')
    const store = join(dirOf(t), 'store')
    const dir = dirOf(t)

    const anon = await runPull(t, [`${reg}/test/one:v1`, '--store', store, '--insecure', '--quiet', '--auth', join(dir, 'none.json')])
    t.equal(anon.code, 125)
    t.equal(anon.stderr, `lite: error: ${reg} needs a user name and password, and ${join(dir, 'none.json')} has none for it\n`)

    const wrong = join(dir, 'wrong.json')
    writeFileSync(wrong, JSON.stringify({ auths: { [reg]: { auth: Buffer.from('tester:nope').toString('base64') } } }))
    const bad = await runPull(t, [`${reg}/test/one:v1`, '--store', store, '--insecure', '--quiet', '--auth', wrong])
    t.equal(bad.code, 125)
    t.equal(bad.stderr, `lite: error: ${reg} refused the credentials for it in ${wrong}\n`)

    const good = join(dir, 'auth.json')
    writeFileSync(good, JSON.stringify({ auths: { [`https://${reg}`]: { username: 'tester', password: 's3cret, really' } } }))
    const ok = await runPull(t, [`${reg}/test/one:v1`, '--store', store, '--insecure', '--quiet', '--auth', good])
    t.equal(ok.code, 0, ok.stderr)
    t.equal(JSON.parse(ok.stdout).manifestDigest, built.one.manifest)
    t.same(checkStore(t, store).sort(), [built.one.manifest, built.one.config, built.one.layer].sort())
  })

  t.test('TLS: a per-registry CA; a certificate from the future blames the clock', { skip: have('openssl') ? false : 'no openssl' }, async (t) => {
    const certs = makeCerts(t)
    const reg = await startDockerRegistry(t, dirOf(t), { tls: { cert: certs.now, key: certs.key } })
    const built = await buildLayout(t)
    await skopeoCopy(t, built.dir, 'one', `${reg}/test/one:v1`)
    const store = join(dirOf(t), 'store')
    const noCa = await runPull(t, [`${reg}/test/one:v1`, '--store', store, '--quiet'])
    t.equal(noCa.code, 125)
    t.match(noCa.stderr, `lite: error: ${reg}: TLS certificate check failed (`)
    t.match(noCa.stderr, 'if the registry uses its own CA, set its CA file in images.ini')
    const withCa = await runPull(t, [`${reg}/test/one:v1`, '--store', store, '--quiet', '--registries', JSON.stringify({ [reg]: { ca: certs.ca } })])
    t.equal(withCa.code, 0, withCa.stderr)
    t.equal(JSON.parse(withCa.stdout).manifestDigest, built.one.manifest)

    const early = await startDockerRegistry(t, dirOf(t), { tls: { cert: certs.future, key: certs.key }, name: 'early' })
    const clock = await runPull(t, [`${early}/test/one:v1`, '--store', store, '--quiet', '--registries', JSON.stringify({ [early]: { ca: certs.ca } })])
    t.equal(clock.code, 125)
    t.match(clock.stderr, new RegExp(`^lite: error: ${early}: TLS certificate check failed \\(CERT_NOT_YET_VALID\\); this board's clock may be wrong: it says ${new Date().toISOString().slice(0, 10)}T`))
  })

  t.test("Debian's docker-registry with token auth: a token server written here", { skip: have('openssl') ? false : 'no openssl' }, async (t) => {
    const certs = makeCerts(t)
    const tokens = await startTokenServer(t, readFileSync(certs.key, 'utf8'), readFileSync(certs.now, 'utf8'), 'pw, with comma')
    const reg = await startDockerRegistry(t, dirOf(t), { token: { realm: tokens.realm, rootCerts: certs.ca, service: TOKEN_SERVICE, issuer: TOKEN_ISSUER } })
    const built = await buildLayout(t)
    await skopeoCopy(t, built.dir, 'multi', `${reg}/team/multi:v1`, 'tester:pw, with comma')
    const store = join(dirOf(t), 'store')

    const anon = await runPull(t, [`${reg}/team/multi:v1`, '--store', store, '--insecure', '--quiet', '--auth', join(dirOf(t), 'none.json')])
    t.equal(anon.code, 125)
    t.match(anon.stderr, `lite: error: ${reg} refused access to the manifest of ${reg}/team/multi:v1 (401)`)
    t.match(anon.stderr, `; if the repository exists and is private, add credentials for ${reg} to ${join(dirOf(t), 'none.json')}`)

    const auth = join(dirOf(t), 'auth.json')
    writeFileSync(auth, JSON.stringify({ auths: { [reg]: { auth: Buffer.from('tester:pw, with comma').toString('base64') } } }))
    const before = tokens.requests.length
    const ok = await runPull(t, [`${reg}/team/multi:v1`, '--store', store, '--insecure', '--quiet', '--auth', auth, '--arch', 'arm64'])
    t.equal(ok.code, 0, ok.stderr)
    t.equal(JSON.parse(ok.stdout).manifestDigest, built.multi.arm64)
    t.same(tokens.requests.slice(before), ['basic repository:team/multi:pull'], 'one token, with credentials, for the pull scope')
  })

  const authFile = (t: Test, host: string) => {
    const f = join(dirOf(t), 'auth.json')
    writeFileSync(f, JSON.stringify({ auths: { [host]: { auth: Buffer.from('u:p').toString('base64') } } }))
    return f
  }

  t.test('bearer tokens with credentials; redirects to blob storage carry no Authorization', async (t) => {
    const img = fakeImage('team/app', 'v1', [200_000, 50_000])
    const fake = await startFakeRegistry(t, [img], { bearer: { user: 'u', password: 'p' }, redirectBlobs: true })
    const store = join(dirOf(t), 'store')
    const noCreds = await runPull(t, [`${fake.host}/team/app:v1`, '--store', store, '--insecure', '--quiet'])
    t.equal(noCreds.code, 125)
    t.match(noCreds.stderr, `lite: error: the token server ${fake.host} refused an anonymous token for team/app (401); if it is private, add credentials for ${fake.host} to /nonexistent/auth.json`)

    const r = await runPull(t, [`${fake.host}/team/app:v1`, '--store', store, '--insecure', '--quiet', '--auth', authFile(t, fake.host)])
    t.equal(r.code, 0, r.stderr)
    t.equal(JSON.parse(r.stdout).manifestDigest, sha(img.manifest))
    const storage = fake.log.filter((l) => l.server === 'storage')
    t.equal(storage.length, 3, 'config and two layers came from the storage host')
    t.same(storage.filter((l) => l.authorization), [], 'no Authorization header reached the other host')
    const blobAsks = fake.log.filter((l) => l.server === 'registry' && l.path.includes('/blobs/') && l.status === 307)
    t.ok(blobAsks.every((l) => l.authorization?.startsWith('Bearer tok-')), 'the registry itself got the token')
    const tokenFetches = fake.log.filter((l) => l.path.startsWith('/token'))
    t.ok(tokenFetches.some((l) => l.status === 200 && l.authorization === `Basic ${Buffer.from('u:p').toString('base64')}`), 'the token came with the auth.json credentials')
    t.match(tokenFetches.find((l) => l.status === 200)?.path, /service=fake\+registry%2C\+for\+tests&scope=repository%3Ateam%2Fapp%3Apull/)
    t.equal(fake.tokensIssued(), 1, 'one token for the whole pull')
    t.same(checkStore(t, store).length, 4)
  })

  t.test('a cut mid-blob resumes with Range, and the token that expired meanwhile is fetched again', async (t) => {
    const img = fakeImage('team/app', 'v1', [1_000_000])
    const big = [...img.blobs.keys()][1]!
    const fake = await startFakeRegistry(t, [img], { bearer: {}, cutOnce: new Set([big]), expireTokensOnCut: true })
    const store = join(dirOf(t), 'store')
    const r = await runPull(t, [`${fake.host}/team/app:v1`, '--store', store, '--insecure', '--backoff-ms', '50'])
    t.equal(r.code, 0, r.stderr)
    const asks = fake.log.filter((l) => l.path.endsWith(big))
    t.equal(asks[0]?.range, undefined)
    const resumed = asks.find((l) => l.status === 206)
    t.ok(resumed, `the rest came as 206: ${JSON.stringify(asks)}`)
    t.match(resumed?.range, /^bytes=\d+-$/)
    t.ok(Number(/\d+/.exec(resumed?.range ?? '')?.[0]) > 0, 'from where the cut left it')
    t.ok(asks.some((l) => l.status === 401), 'the resume met an expired token')
    t.equal(fake.tokensIssued(), 2, 'and a new token was fetched, once')
    t.match(r.stderr, /resuming at/)
    t.ok(checkStore(t, store).includes(big))
    t.same(tmpFiles(store), [])
  })

  t.test('a stalled blob ends at the idle timeout and resumes', async (t) => {
    const img = fakeImage('a/b', 'v1', [300_000])
    const layer = [...img.blobs.keys()][1]!
    const fake = await startFakeRegistry(t, [img], { stallOnce: new Set([layer]) })
    const store = join(dirOf(t), 'store')
    const started = Date.now()
    const r = await runPull(t, [`${fake.host}/a/b:v1`, '--store', store, '--insecure', '--idle-ms', '1000', '--backoff-ms', '50'])
    t.equal(r.code, 0, r.stderr)
    t.match(r.stderr, /no data for 1 s/)
    t.ok(Date.now() - started < 20_000)
    t.ok(fake.log.some((l) => l.path.endsWith(layer) && l.status === 206))
  })

  t.test('a registry that ignores Range: the blob starts over', async (t) => {
    const img = fakeImage('a/b', 'v1', [300_000])
    const layer = [...img.blobs.keys()][1]!
    const fake = await startFakeRegistry(t, [img], { cutOnce: new Set([layer]), ignoreRange: true })
    const store = join(dirOf(t), 'store')
    const r = await runPull(t, [`${fake.host}/a/b:v1`, '--store', store, '--insecure', '--backoff-ms', '50'])
    t.equal(r.code, 0, r.stderr)
    t.match(r.stderr, /ignored the range; downloading it again from the start/)
    t.ok(checkStore(t, store).includes(layer))
  })

  t.test('a tampered blob: a digest error, and nothing stored', async (t) => {
    const img = fakeImage('a/b', 'v1', [100_000])
    const layer = [...img.blobs.keys()][1]!
    const fake = await startFakeRegistry(t, [img], { tamper: new Set([layer]) })
    const store = join(dirOf(t), 'store')
    const r = await runPull(t, [`${fake.host}/a/b:v1`, '--store', store, '--insecure', '--quiet'])
    t.equal(r.code, 125)
    t.match(r.stderr, new RegExp(`^lite: error: layer 1 of 1 \\(${layer.slice(7, 19)}\\) of ${fake.host}/a/b:v1: digest mismatch: expected ${layer}, got sha256:[0-9a-f]{64}; nothing was stored\\n$`))
    const names = checkStore(t, store)
    t.notOk(names.includes(layer), 'the layer is not in the store')
    t.notOk(names.includes(sha(img.manifest)), 'nor the manifest that names it')
    t.same(tmpFiles(store), [], 'nor a partial file')
  })

  t.test('a layer descriptor over max_layer_size: refused before a byte is downloaded', async (t) => {
    const img = fakeImage('a/b', 'v1', [1000])
    const manifest = JSON.parse(img.manifest.toString())
    manifest.layers[0].size = 10 ** 15
    img.manifest = Buffer.from(JSON.stringify(manifest))
    const fake = await startFakeRegistry(t, [img])
    const store = join(dirOf(t), 'store')
    const r = await runPull(t, [`${fake.host}/a/b:v1`, '--store', store, '--insecure', '--quiet'])
    t.equal(r.code, 125)
    t.match(r.stderr, /^lite: error: layer 1 of 1 \([0-9a-f]{12}\) of \S+ is 1000000000000000 bytes, more than a layer may be \(max_layer_size allows blobs of \d+ bytes\); nothing was stored\n$/)
    t.same(fake.log.filter((l) => l.path.includes(manifest.layers[0].digest.slice(7))), [], 'the layer was never asked for')
    t.same(tmpFiles(store), [], 'no partial file')
  })

  t.test('a config trickled one byte at a time, each within the idle timeout: stopped at the small-body deadline', async (t) => {
    const img = fakeImage('a/b', 'v1', [1000])
    const fake = await startFakeRegistry(t, [img], { throttle: { bytes: 1, ms: 50 } })
    const store = join(dirOf(t), 'store')
    const started = Date.now()
    const r = await runPull(t, [`${fake.host}/a/b:v1`, '--store', store, '--insecure', '--quiet', '--idle-ms', '2000', '--small-body-ms', '1000', '--backoff-ms', '10'])
    t.equal(r.code, 125, r.stderr)
    t.match(r.stderr, /the config of .* took more than 1 s/)
    t.ok(Date.now() - started < 15_000, `stopped early (${Date.now() - started} ms; the whole trickle takes over a minute)`)
  })

  t.test('manifest digests: the reference, the header, or computed', async (t) => {
    const img = fakeImage('a/b', 'v1', [1000])
    const none = await startFakeRegistry(t, [img], { digestHeader: 'none' })
    const store = join(dirOf(t), 'store')
    const r = await runPull(t, [`${none.host}/a/b:v1`, '--store', store, '--insecure', '--quiet'])
    t.equal(r.code, 0, r.stderr)
    t.equal(JSON.parse(r.stdout).manifestDigest, sha(img.manifest), 'no Docker-Content-Digest: computed')
    const wrong = await startFakeRegistry(t, [img], { digestHeader: 'wrong' })
    const w = await runPull(t, [`${wrong.host}/a/b:v1`, '--store', join(dirOf(t), 's2'), '--insecure', '--quiet'])
    t.equal(w.code, 125)
    t.match(w.stderr, `has the digest ${sha(img.manifest)}, not the ${sha('something else')} that ${wrong.host} announced; nothing was stored`)
    const other = 'sha256:' + 'e'.repeat(64)
    const byDigest = await runPull(t, [`${none.host}/a/b@${other}`, '--store', join(dirOf(t), 's3'), '--insecure', '--quiet'])
    t.equal(byDigest.code, 125)
    t.match(byDigest.stderr, 'MANIFEST_UNKNOWN')
  })

  t.test('an image the store built already: manifest and config only', async (t) => {
    const img = fakeImage('a/b', 'v1', [5000, 6000])
    const fake = await startFakeRegistry(t, [img])
    const store = join(dirOf(t), 'store')
    const r = await runPull(t, [`${fake.host}/a/b:v1`, '--store', store, '--insecure', '--quiet', '--skip-layers'])
    t.equal(r.code, 0, r.stderr)
    t.same(fake.log.filter((l) => l.path.includes('/blobs/')).map((l) => l.path.slice(-64)), [JSON.parse(r.stdout).configDigest.slice(7)], 'only the config blob was asked for')
    t.same(checkStore(t, store).sort(), [sha(img.manifest), JSON.parse(r.stdout).configDigest].sort())
  })

  t.test('a store that cannot be written: a clear error', async (t) => {
    const img = fakeImage('a/b', 'v1', [5000])
    const fake = await startFakeRegistry(t, [img])
    const store = join(dirOf(t), 'store')
    mkdirSync(store, { recursive: true })
    writeFileSync(join(store, 'tmp'), 'not a directory')
    const r = await runPull(t, [`${fake.host}/a/b:v1`, '--store', store, '--insecure', '--quiet'])
    t.equal(r.code, 125)
    t.match(r.stderr, new RegExp(`^lite: error: cannot write to the image store ${store}: [A-Za-z ]+ \\(E[A-Z]+\\)`))
    t.notMatch(r.stderr, /\bat .*\.ts:\d+/, 'no stack trace')
  })

  t.test('schema 1 is refused with a clear error', async (t) => {
    const img: FakeImage = {
      repo: 'old/img',
      tag: 'v1',
      manifest: Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'old/img', tag: 'v1', architecture: 'amd64', fsLayers: [], history: [], signatures: [] })),
      manifestType: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
      blobs: new Map(),
    }
    const fake = await startFakeRegistry(t, [img])
    const r = await runPull(t, [`${fake.host}/old/img:v1`, '--store', join(dirOf(t), 'store'), '--insecure', '--quiet'])
    t.equal(r.code, 125)
    t.equal(r.stderr, `lite: error: ${fake.host}/old/img:v1 is a Docker schema 1 manifest, which lite does not support; push it again with a current docker or skopeo\n`)
  })

  t.test('on a terminal: a live display redrawn in place, with bytes and rate', { skip: have('script') ? false : 'no script(1)' }, async (t) => {
    const img = fakeImage('tty/img', 'v1', [1 << 20, 1 << 19])
    const fake = await startFakeRegistry(t, [img], { throttle: { bytes: 64 << 10, ms: 50 } })
    const store = join(dirOf(t), 'store')
    const cmd = [BUN, PULL, `${fake.host}/tty/img:v1`, '--store', store, '--insecure'].map((a) => `'${a}'`).join(' ')
    // script(1) gives the pull a terminal; its stderr and stdout both go to it.
    const child = spawn('script', ['-qfec', `${cmd} >/dev/null`, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    const code = await new Promise<number | null>((r) => child.on('close', r))
    clearTimeout(timer)
    t.equal(code, 0, out)
    t.match(out, /\x1b\[\d+A\x1b\[J/, 'redrawn in place')
    t.match(out, /[0-9a-f]{12} {2}[\d.]+ KiB \/ 1\.0 MiB {2}[\d.]+ (KiB|MiB)\/s/, 'bytes of total, and a rate')
    t.match(out, /[0-9a-f]{12} {2}1\.0 MiB {2}done/)
    const redraws = out.split('\x1b[J').length - 1
    t.ok(redraws < 40, `at most ~10 redraws a second (${redraws} in about 1.2 s)`)
    t.notMatch(out, /^pull: /m, 'no plain lines on a terminal')
  })

  t.test('kill -9 in the middle of a pull, then a pull again resumes and completes', async (t) => {
    const img = fakeImage('big/img', 'v1', [6 << 20])
    const layer = [...img.blobs.keys()][1]!
    const fake = await startFakeRegistry(t, [img], { throttle: { bytes: 128 << 10, ms: 50 } })
    const store = join(dirOf(t), 'store')
    const partial = join(store, 'tmp', `blob-${layer.slice(7)}.partial`)
    const first = pull(t, [`${fake.host}/big/img:v1`, '--store', store, '--insecure'])
    const midway = await eventually(() => existsSync(partial) && statSync(partial).size > 1 << 20, 30_000)
    t.ok(midway, 'the download was under way')
    first.kill('SIGKILL')
    const killed = await first.done
    t.equal(killed.signal, 'SIGKILL')
    const kept = statSync(partial).size
    t.ok(kept > 0 && kept < 6 << 20, `the partial file stays (${kept} bytes)`)
    t.notOk(checkStore(t, store).includes(layer))

    fake.options.throttle = undefined
    const second = await runPull(t, [`${fake.host}/big/img:v1`, '--store', store, '--insecure'])
    t.equal(second.code, 0, second.stderr)
    const resumed = fake.log.filter((l) => l.path.endsWith(layer)).at(-1)
    t.equal(resumed?.status, 206)
    t.equal(resumed?.range, `bytes=${kept}-`, 'the second pull asked for the rest only')
    t.match(second.stderr, /resuming at/)
    t.ok(checkStore(t, store).includes(layer))
    t.same(tmpFiles(store), [])
  })
}
