// [rootfs] image: the store lookup, the image config as defaults (Docker's rules for
// Entrypoint and Cmd, Env, WorkingDir, User through the image's passwd and group,
// StopSignal, Healthcheck), path/image exclusivity, and the digest pinned for exec and restarts.

import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { formatConfigErrors } from '../../runtime/config/report.ts'
import { validateText, type ConfigOverrides } from '../../runtime/config/validate.ts'
import { buildPlan } from '../../runtime/plan/build.ts'
import { StoreLayout } from '../../runtime/image/store/layout.ts'
import { parseStoreRef, resolveImageRef, ImageNotInStore, ImageRefError } from '../../runtime/image/store/lookup.ts'
import { readContainerRecord, recordImages, replaceContainerRecord, writeContainerRecord } from '../../runtime/image/store/containers.ts'
import { imageDefaults } from '../../runtime/image/run-image.ts'
import { initialState, monitorSpec, pinnedImage, type RunIdentity } from '../../runtime/lifecycle/handover.ts'
import { parseState, formatState } from '../../runtime/lifecycle/state-file.ts'

const HEX_A = 'a'.repeat(64)
const HEX_B = 'b'.repeat(64)
const A = `sha256:${HEX_A}`
const B = `sha256:${HEX_B}`

interface ImageSpec {
  config?: Record<string, unknown>
  passwd?: string
  group?: string
  rawConfig?: string
}

const squashfs = () => Buffer.concat([Buffer.from('hsqs'), Buffer.alloc(4092)])

/** A store with images A and B and refs; returns its root and an empty images.ini. */
function makeStore(t: Test, images: Record<string, ImageSpec>, refs: Record<string, string>) {
  const dir = t.testdir({ 'images.ini': '' })
  const root = path.join(dir, 'store')
  for (const [hex, spec] of Object.entries(images)) {
    const d = path.join(root, 'images', hex)
    fs.mkdirSync(d, { recursive: true })
    fs.writeFileSync(path.join(d, 'image.sqfs'), squashfs())
    fs.writeFileSync(path.join(d, 'config.json'), spec.rawConfig ?? JSON.stringify({ architecture: 'amd64', os: 'linux', config: spec.config ?? {}, rootfs: { type: 'layers', diff_ids: [] } }))
    if (spec.passwd !== undefined) fs.writeFileSync(path.join(d, 'passwd'), spec.passwd)
    if (spec.group !== undefined) fs.writeFileSync(path.join(d, 'group'), spec.group)
  }
  for (const [ref, digest] of Object.entries(refs)) {
    // refs/<registry>/<repository>/:<tag> (StoreLayout.refFile): the key's last part is the tag
    const f = path.join(root, 'refs', path.dirname(ref), `:${path.basename(ref)}`)
    fs.mkdirSync(path.dirname(f), { recursive: true })
    fs.writeFileSync(f, `${digest}\n`)
  }
  const overrides: ConfigOverrides = { store: root, imagesConfig: path.join(dir, 'images.ini'), env: {} }
  return { root, dir, overrides }
}


const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
  'app:x:1000:1000:App:/home/app:/bin/sh',
  'web:x:33:33:www:/var/www:/bin/false',
].join('\n')
const GROUP = ['root:x:0:', 'daemon:x:1:', 'staff:x:50:app,web', 'audio:x:29:app', 'app:x:1000:', 'www-data:x:33:'].join('\n')

function check(text: string, overrides: ConfigOverrides, file = 'c.ini') {
  const r = validateText(text, file, overrides)
  return { ...r, report: formatConfigErrors(r.errors, file) }
}

t.test('references are normalised as Docker does, and refused when they could leave refs/', async t => {
  t.same(parseStoreRef('busybox'), { registry: 'docker.io', repository: 'library/busybox', tag: 'latest', digest: undefined, canonical: 'docker.io/library/busybox:latest', pull: 'busybox:latest' })
  t.equal(parseStoreRef('index.docker.io/user/app:1').canonical, 'docker.io/user/app:1')
  t.equal(parseStoreRef('127.0.0.1:5000/a/b:2.0').canonical, '127.0.0.1:5000/a/b:2.0')
  t.equal(parseStoreRef('127.0.0.1:5000/a/b:2.0').pull, '127.0.0.1:5000/a/b:2.0')
  t.equal(parseStoreRef(`python@${A}`).canonical, `docker.io/library/python@${A}`)
  t.equal(parseStoreRef(A).digest, A)
  for (const bad of ['', 'a b', '../x', 'a/../b', 'UPPER', 'x:', 'x:-t', `x@sha256:${'A'.repeat(64)}`, 'sha256:123', 'a//b', 'x\u0000']) {
    t.throws(() => parseStoreRef(bad), ImageRefError, JSON.stringify(bad))
  }
})

t.test('lookup: a tag through refs/, a digest directly, a pinned digest over the tag', async t => {
  const { root } = makeStore(t, { [HEX_A]: {}, [HEX_B]: {} }, { 'docker.io/library/app/1.0': A, '127.0.0.1:5000/x/y/latest': B, 'docker.io/library/gone/1': `sha256:${'c'.repeat(64)}`, 'docker.io/library/junk/1': 'not a digest' })
  const layout = new StoreLayout(root)
  t.equal(resolveImageRef(layout, 'app:1.0').digest, A)
  t.equal(resolveImageRef(layout, 'app:1.0').file, path.join(root, 'images', HEX_A, 'image.sqfs'))
  t.equal(resolveImageRef(root, '127.0.0.1:5000/x/y').digest, B)
  t.equal(resolveImageRef(root, B).digest, B, 'a bare digest')
  t.equal(resolveImageRef(root, `app:1.0@${B}`).digest, B, 'the digest wins over the tag')
  t.equal(resolveImageRef(root, 'app:1.0', B).digest, B, 'pinned')
  t.throws(() => resolveImageRef(root, 'python:3.11'), new ImageNotInStore(`image "docker.io/library/python:3.11" is not in the store (${root}); run: lite image pull python:3.11`))
  t.throws(() => resolveImageRef(root, 'gone:1'), /image "docker.io\/library\/gone:1" \(sha256:c+\) is not in the store/)
  t.throws(() => resolveImageRef(root, 'junk:1'), /does not hold a sha256 digest/)
  t.throws(() => resolveImageRef(root, 'app:1.0', `sha256:${'d'.repeat(64)}`), /the image sha256:d+ that this container started from is not in the store/)
})

t.test('[rootfs] path and image exclude each other, at the second line', async t => {
  const { overrides, dir } = makeStore(t, { [HEX_A]: { config: { Cmd: ['/bin/true'] } } }, { 'docker.io/library/app/1': A })
  fs.mkdirSync(path.join(dir, 'rootfs'))
  const a = check('[rootfs]\npath = rootfs\nimage = app:1\n', overrides, path.join(dir, 'a.ini'))
  t.same(a.errors.map(e => [e.line, e.message]), [[3, '[rootfs] image: not with path (line 2); the lower layer is either a path or an image from the store']])
  const b = check('[rootfs]\nimage = app:1\nsize = 8M\npath = rootfs\n[exec]\ncmd = x\n', overrides, path.join(dir, 'b.ini'))
  t.same(b.errors.map(e => [e.line, e.message]), [[4, '[rootfs] path: not with image (line 2); the lower layer is either a path or an image from the store']])
  // each is reported even when the other's value is bad
  const c = check('[rootfs]\npath = nope\nimage = nope:1\n', overrides, path.join(dir, 'c.ini'))
  t.equal(c.errors.length, 3)
  const d = check('[exec]\ncmd = x\n', overrides, 'd.ini')
  t.match(d.report, /d\.ini:1: missing required key \[rootfs\] path/, 'path is still required without an image')
})

t.test('lite check: an image not in the store, a bad reference, bad image settings', async t => {
  const { overrides, root, dir } = makeStore(t, {}, {})
  const r = check('[rootfs]\nimage = python:3.11\n', overrides, 'py.ini')
  t.equal(r.report, `lite: error: py.ini:2: [rootfs] image: image "docker.io/library/python:3.11" is not in the store (${root}); run: lite image pull python:3.11\nlite: 1 error in py.ini; nothing was started\n`)
  t.match(check('[rootfs]\nimage = Bad Ref\n', overrides).report, /c\.ini:2: \[rootfs\] image: invalid image reference "Bad Ref": it holds white space/)
  fs.writeFileSync(path.join(dir, 'bad-images.ini'), '[store]\nkeep_blobs = maybe\n')
  t.match(check('[rootfs]\nimage = python\n', { ...overrides, imagesConfig: path.join(dir, 'bad-images.ini') }).report, /\[rootfs\] image: the image settings are not valid: .*bad-images\.ini:2: \[store\] keep_blobs: "maybe" is not a boolean/)
  // LITE_STORE from the environment, when no --store is given
  const env = check('[rootfs]\nimage = python\n', { imagesConfig: overrides.imagesConfig, env: { LITE_STORE: '/nonexistent/store' } })
  t.match(env.report, /is not in the store \(\/nonexistent\/store\)/)
})

t.test('Entrypoint and Cmd: Docker\'s table', async t => {
  const images: Record<string, ImageSpec> = {
    [HEX_A]: { config: { Entrypoint: ['/entry', '-x'], Cmd: ['run', 'it'] } },
    [HEX_B]: { config: { Cmd: ['/bin/sh', '-c', 'echo hi'] } },
    ['c'.repeat(64)]: { config: {} },
  }
  const { overrides } = makeStore(t, images, { 'docker.io/library/both/1': A, 'docker.io/library/cmd/1': B, 'docker.io/library/none/1': `sha256:${'c'.repeat(64)}` })
  const argv = (image: string, exec: string, cli?: string[]) => {
    const r = validateText(`[rootfs]\nimage = ${image}\n[exec]\n${exec}`, 'c.ini', { ...overrides, cmd: cli })
    if (!r.config) return r.errors.map(e => `${e.line}: ${e.message}`).join('; ')
    return [...r.config.exec.entrypoint, ...r.config.exec.cmd].join(' ')
  }
  const rows: [string, string, string[] | undefined, string][] = [
    // image E+C
    ['both:1', '', undefined, '/entry -x run it'],
    ['both:1', 'cmd = a b\n', undefined, '/entry -x a b'],
    ['both:1', '', ['c', 'd'], '/entry -x c d'],
    ['both:1', 'cmd = a b\n', ['c'], '/entry -x c'],
    ['both:1', 'entrypoint = /mine\n', undefined, '/mine'],
    ['both:1', 'entrypoint = /mine\ncmd = a\n', undefined, '/mine a'],
    ['both:1', 'entrypoint = /mine\n', ['z'], '/mine z'],
    ['both:1', 'entrypoint = ""\ncmd = /bin/ls\n', undefined, '/bin/ls'],
    ['both:1', 'entrypoint = ""\n', ['/bin/ls', '-l'], '/bin/ls -l'],
    ['both:1', 'entrypoint = ""\n', undefined, '4: no command: entrypoint is empty and no cmd is given; set [exec] cmd or give one after --'],
    // image C only
    ['cmd:1', '', undefined, '/bin/sh -c echo hi'],
    ['cmd:1', 'cmd = /bin/true\n', undefined, '/bin/true'],
    ['cmd:1', '', ['/bin/false'], '/bin/false'],
    ['cmd:1', 'entrypoint = /e\n', undefined, '/e'],
    // image with neither
    ['none:1', '', undefined, '2: no command: image "docker.io/library/none:1" has no Entrypoint and no Cmd; set [exec] cmd or give one after --'],
    ['none:1', 'cmd = /x\n', undefined, '/x'],
    ['none:1', 'entrypoint = /e\n', ['a'], '/e a'],
  ]
  for (const [image, exec, cli, want] of rows) t.equal(argv(image, exec, cli), want, `${image} | ${exec.trim().replace(/\n/g, '; ') || '-'} | -- ${cli?.join(' ') ?? '-'}`)

  // the plan runs entrypoint + cmd
  const r = validateText('[rootfs]\nimage = both:1\n', 'c.ini', overrides)
  t.same(r.errors, [])
  const planned = buildPlan(r.config!, { hosts: '', resolvConf: '', localtime: undefined } as never, { stateDir: '/run/lite/x', tty: false, interactive: false, exists: () => true, arch: 'x64', kernel: '6.1.0' })
  t.same(planned.plan?.native.argv, ['/entry', '-x', 'run', 'it'])
  t.equal(planned.plan?.native.loopImage, r.config!.rootfs.image!.file)
  t.equal(planned.plan?.ops[0]?.key, '[rootfs] image', 'rootfs ops are told against [rootfs] image')

  // without an image, entrypoint alone is a command; neither is the old error
  const dir = t.testdir({ rootfs: {} })
  const plain = validateText('[rootfs]\npath = rootfs\n[exec]\nentrypoint = /bin/echo a\n', path.join(dir, 'p.ini'))
  t.same([plain.config?.exec.entrypoint, plain.config?.exec.cmd], [['/bin/echo', 'a'], []])
  t.match(formatConfigErrors(validateText('[rootfs]\npath = rootfs\n', path.join(dir, 'p.ini')).errors, 'p.ini'), /missing required key \[exec\] cmd/)
})

t.test('Env, WorkingDir, StopSignal and ExposedPorts are defaults the ini overrides', async t => {
  const { overrides } = makeStore(
    t,
    { [HEX_A]: { config: { Env: ['PATH=/usr/local/bin:/usr/bin', 'LANG=C.UTF-8', 'A=image', 'EQ=x=y'], Cmd: ['/app'], WorkingDir: '/srv', StopSignal: 'SIGQUIT', ExposedPorts: { '80/tcp': {}, '53/udp': {} } } } },
    { 'docker.io/library/app/1': A },
  )
  const base = validateText('[rootfs]\nimage = app:1\n', 'c.ini', overrides).config!
  t.same(base.exec.env, ['PATH=/usr/local/bin:/usr/bin', 'LANG=C.UTF-8', 'A=image', 'EQ=x=y', 'HOME=/'], 'the image\'s PATH replaces lite\'s default')
  t.equal(base.exec.cwd, '/srv')
  t.equal(base.exec.stopSignal, 3)
  t.same(base.rootfs.image?.defaults.exposedPorts, ['80/tcp', '53/udp'])
  t.equal(base.rootfs.kind, 'squashfs')
  t.equal(base.rootfs.image?.digest, A)

  const own = validateText('[rootfs]\nimage = app:1\n[exec]\nenv[] = A=mine\nenv[] = B=2\ncwd = /tmp\nstop_signal = INT\n', 'c.ini', overrides).config!
  t.same(own.exec.env, ['A=mine', 'B=2', 'PATH=/usr/local/bin:/usr/bin', 'LANG=C.UTF-8', 'EQ=x=y', 'HOME=/'], 'env[] overrides by name; its lines keep their origins')
  t.same(own.origins['exec.env[0]'], { file: 'c.ini', line: 4 })
  t.equal(own.exec.cwd, '/tmp')
  t.equal(own.exec.stopSignal, 2)

  const bad = makeStore(t, { [HEX_B]: { config: { StopSignal: 'SIGNOPE', Cmd: ['/x'] } } }, { 'docker.io/library/b/1': B })
  t.match(formatConfigErrors(validateText('[rootfs]\nimage = b:1\n', 'c.ini', bad.overrides).errors, 'c.ini'), /\[exec\] stop_signal: not set, and its default \(the image's StopSignal, else SIGTERM\)/)
})

t.test('a malformed image config is refused with what is wrong', async t => {
  const cases: [unknown, RegExp][] = [
    ['[', /config\.json is not JSON/],
    [[1], /not a JSON object/],
    [{ config: [] }, /"config" is not an object/],
    [{ config: { Env: 'A=1' } }, /Env is not a list of strings/],
    [{ config: { Env: [1] } }, /Env\[0\] is not a string/],
    [{ config: { Env: ['=x'] } }, /Env\[0\] "=x" is not KEY=VALUE/],
    [{ config: { Env: ['A=\u0000'] } }, /Env\[0\] contains a NUL byte/],
    [{ config: { Cmd: ['x'.repeat(200000)] } }, /Cmd\[0\] is longer than 131072/],
    [{ config: { Cmd: Array(10001).fill('x') } }, /Cmd has more than 10000 items/],
    [{ config: { WorkingDir: 'app' } }, /WorkingDir "app" is not an absolute path/],
    [{ config: { User: 5 } }, /User is not a string/],
    [{ config: { ExposedPorts: { 'http': {} } } }, /ExposedPorts "http" is not PORT/],
  ]
  for (const [doc, re] of cases) t.throws(() => imageDefaults(typeof doc === 'string' ? doc : JSON.stringify(doc)), re)
  t.same(imageDefaults('{"config":{"Entrypoint":null,"Cmd":null,"User":"","Env":null}}'), { env: [], exposedPorts: [] }, 'null and empty mean none')

  const { overrides, root } = makeStore(t, { [HEX_A]: { rawConfig: '{"config":{"Env":[7]}}' } }, { 'docker.io/library/x/1': A })
  t.match(formatConfigErrors(validateText('[rootfs]\nimage = x:1\n', 'c.ini', overrides).errors, 'c.ini'), /c\.ini:2: \[rootfs\] image: image "docker\.io\/library\/x:1": config\.json: Env\[0\] is not a string/)
  fs.writeFileSync(path.join(root, 'images', HEX_A, 'config.json'), 'x'.repeat(5 * 1024 * 1024))
  t.match(formatConfigErrors(validateText('[rootfs]\nimage = x:1\n', 'c.ini', overrides).errors, 'c.ini'), /larger than 4 MiB, the most lite reads of an image config; the image is incomplete/)
})

t.test('users: names through the image\'s passwd and group', async t => {
  const { overrides } = makeStore(
    t,
    {
      [HEX_A]: { config: { User: 'app', Cmd: ['/x'] }, passwd: PASSWD, group: GROUP },
      [HEX_B]: { config: { User: '4242', Cmd: ['/x'] }, passwd: PASSWD, group: GROUP },
      ['c'.repeat(64)]: { config: { User: 'app', Cmd: ['/x'] } },
      ['d'.repeat(64)]: { config: { User: 'ghost', Cmd: ['/x'] }, passwd: PASSWD, group: GROUP },
    },
    { 'docker.io/library/a/1': A, 'docker.io/library/b/1': B, 'docker.io/library/c/1': `sha256:${'c'.repeat(64)}`, 'docker.io/library/d/1': `sha256:${'d'.repeat(64)}` },
  )
  const user = (image: string, exec = '') => {
    const r = validateText(`[rootfs]\nimage = ${image}\n[exec]\n${exec}`, 'c.ini', overrides)
    if (!r.config) return r.errors.map(e => `${e.line}: ${e.message}`).join('; ')
    const e = r.config.exec
    return `${e.user.uid}:${e.user.gid} [${e.groups.join(',')}] ${e.env.find(v => v.startsWith('HOME='))}`
  }
  t.equal(user('a:1'), '1000:1000 [50,29] HOME=/home/app', 'the image\'s User, its groups and home')
  t.equal(user('a:1', 'user = web\n'), '33:33 [50] HOME=/var/www', 'a name written in the ini')
  t.equal(user('a:1', 'user = web:audio\n'), '33:29 [50] HOME=/var/www', 'name:group')
  t.equal(user('a:1', 'user = 1000\n'), '1000:1000 [50,29] HOME=/home/app', 'a uid passwd knows')
  t.equal(user('a:1', 'user = 7\n'), '7:7 [] HOME=/', 'a uid passwd lacks, written here: gid = uid (lite\'s rule)')
  t.equal(user('b:1'), '4242:0 [] HOME=/', 'a uid passwd lacks, from the image: gid 0 (Docker\'s rule)')
  t.equal(user('a:1', 'user = 5:6\n'), '5:6 [] HOME=/')
  t.equal(user('a:1', 'groups = 7 8\nenv[] = HOME=/h\n'), '1000:1000 [7,8] HOME=/h', 'groups and env[] HOME replace the image\'s')
  t.equal(user('a:1', 'user = root\n'), '0:0 [] HOME=/root')
  t.equal(user('a:1', 'user = nobody\n'), '4: [exec] user: user "nobody" is not in image "docker.io/library/a:1"\'s /etc/passwd')
  t.equal(user('a:1', 'user = app:wheel\n'), '4: [exec] user: group "wheel" is not in image "docker.io/library/a:1"\'s /etc/group')
  t.equal(user('a:1', 'user = app:1:2\n'), '4: [exec] user: "app:1:2" is not USER[:GROUP] (a name or a number from 0 to 4294967294 for each)')
  t.equal(user('a:1', 'user = 4294967295\n'), '4: [exec] user: "4294967295" in "4294967295" is not an id from 0 to 4294967294')
  t.equal(user('c:1'), '0: [exec] user: not set, and its default (the image\'s User, else 0:0) the image\'s User "app": user "app" is a name, and the store has no copy of image "docker.io/library/c:1"\'s /etc/passwd to look it up (use a number); set it explicitly')
  t.equal(user('c:1', 'user = 12\n'), '12:12 [] HOME=/', 'numbers need no passwd copy')
  t.equal(user('d:1', 'user = app\n'), '1000:1000 [50,29] HOME=/home/app', 'the ini replaces an image User that would fail')
  t.match(user('d:1'), /user "ghost" is not in image "docker\.io\/library\/d:1"'s \/etc\/passwd/)

  // without an image, names are refused as before
  const dir = t.testdir({ rootfs: {} })
  t.match(formatConfigErrors(validateText('[rootfs]\npath = rootfs\n[exec]\ncmd = x\nuser = app\n', path.join(dir, 'p.ini')).errors, 'p.ini'), /\[exec\] user: "app" is not uid\[:gid\]/)
})

t.test('hostile passwd and group copies: bounded, strict, never half-read', async t => {
  const huge = 'evil:x:0:0:' + 'x'.repeat(100000) + ':/:/bin/sh'
  const passwd = [
    huge,
    'neg:x:-1:-1::/:/bin/sh',
    'big:x:4294967295:0::/:/bin/sh',
    'huge:x:99999999999999999999:0::/:/bin/sh',
    'short:x:5:5',
    'long:x:5:5:::/bin/sh:extra',
    'hex:x:0x10:0::/:/bin/sh',
    'sp ace:x:6:6::/:/bin/sh',
    'ok:x:7:7::relative:/bin/sh',
    'dup:x:8:8::/first:/bin/sh',
    'dup:x:9:9::/second:/bin/sh',
  ].join('\n')
  const group = ['g:x:-5:ok', 'g2:x:4294967295:ok', 'g3:x:12:ok,,dup,x:y', 'g4:x:13', 'g5:x:12:ok', 'g6:x:14:ok'].join('\n')
  const images: Record<string, ImageSpec> = {}
  const refs: Record<string, string> = {}
  images[HEX_A] = { config: { Cmd: ['/x'] }, passwd, group }
  refs['docker.io/library/h/1'] = A
  const { overrides, root } = makeStore(t, images, refs)
  const user = (spec: string) => {
    const r = validateText(`[rootfs]\nimage = h:1\n[exec]\nuser = ${spec}\n`, 'c.ini', overrides)
    if (!r.config) return r.errors.map(e => e.message).join('; ')
    return `${r.config.exec.user.uid}:${r.config.exec.user.gid} [${r.config.exec.groups.join(',')}] ${r.config.exec.env.find(v => v.startsWith('HOME='))}`
  }
  for (const name of ['evil', 'neg', 'big', 'huge', 'short', 'long', 'hex']) t.match(user(name), new RegExp(`user "${name}" is not in image`), `${name}: skipped`)
  t.equal(user('ok'), '7:7 [12,14] HOME=/', 'a relative home reads as /; groups deduplicated, bad group lines skipped')
  t.equal(user('dup'), '8:8 [] HOME=/first', 'the first entry wins, as getpwnam; a group line with a stray : is skipped')
  // a copy larger than the cap is an error, not a partial read
  fs.writeFileSync(path.join(root, 'images', HEX_A, 'passwd'), 'x'.repeat(1024 * 1024 + 1))
  t.match(user('ok'), /passwd: larger than 1 MiB/)
})

t.test('the digest is pinned: exec and restarts resolve to it after the tag moves', async t => {
  const { overrides, root } = makeStore(t, { [HEX_A]: { config: { Cmd: ['/old'], ExposedPorts: { '80/tcp': {} } } }, [HEX_B]: { config: { Cmd: ['/new'] } } }, { 'docker.io/library/app/1': A })
  const first = validateText('[rootfs]\nimage = app:1\n', '/etc/lite/app.ini', overrides).config!
  t.equal(first.rootfs.image?.digest, A)
  // the tag moves
  fs.writeFileSync(path.join(root, 'refs/docker.io/library/app/:1'), `${B}\n`)
  t.same(validateText('[rootfs]\nimage = app:1\n', 'c.ini', overrides).config!.exec.cmd, ['/new'], 'a new run takes the new image')
  const pinned = validateText('[rootfs]\nimage = app:1\n', 'c.ini', { ...overrides, imageDigest: A }).config!
  t.same([pinned.rootfs.image?.digest, pinned.exec.cmd, pinned.rootfs.path], [A, ['/old'], path.join(root, 'images', HEX_A, 'image.sqfs')], 'the pinned run keeps the old one')

  // what lite run writes: the state lines, the monitor's fixed lines and its restart arguments
  const image = first.rootfs.image!
  const identity: RunIdentity = { name: 'app', config: '/etc/lite/app.ini', detached: true, started: 100, image: { ref: image.ref, digest: image.digest, file: image.file, store: image.store, ports: image.defaults.exposedPorts } }
  const state = initialState(identity, 0, first)
  t.same(state.extra, { image: 'app:1', image_digest: A, image_file: image.file, image_store: root, ports: '80/tcp' })
  const reread = parseState(formatState(state))
  t.same(pinnedImage(reread), { digest: A, store: root }, 'lite exec reads the pin back from the state file')
  t.equal(pinnedImage(parseState('image_digest=sha256:zz\nimage_store=/x\n')), undefined, 'a damaged pin is ignored')
  const spec = monitorSpec({ config: first, identity, opts: { tty: false, interactive: false }, stateDir: '/run/lite/app', lockFd: 5, restart: { restarts: 0, backoffMs: 0 }, pid: 42, hookVars: {} })
  t.ok(spec.args.join(' ').includes(`--store ${root} --image-digest ${A}`), 'the restart runs the pinned image')
  t.ok(spec.state.includes(`image_digest=${A}`) && spec.state.includes(`image_file=${image.file}`), 'the monitor keeps the pin in the state it writes')
})

t.test('containers/<name>: the store\'s record of what a container runs', async t => {
  const layout = new StoreLayout(t.testdir({}))
  const plain = { next: null, previous: null, older: [], pinned: false, update: null, last: null }
  t.equal(readContainerRecord(layout, 'web'), undefined)
  writeContainerRecord(layout, 'web', A)
  t.same(readContainerRecord(layout, 'web'), { current: A, ...plain })
  t.equal(fs.readFileSync(path.join(layout.containersDir, 'web'), 'utf8'), `{"current":"${A}","next":null,"previous":null,"older":[],"pinned":false,"update":null,"last":null}\n`)
  fs.writeFileSync(path.join(layout.containersDir, 'web'), JSON.stringify({ current: A, previous: B, next: 'bogus' }))
  writeContainerRecord(layout, 'web', B)
  t.same(readContainerRecord(layout, 'web'), { current: B, ...plain, previous: B }, 'previous is kept; a bad digest reads as null; an old record\'s missing fields read as none')
  fs.writeFileSync(path.join(layout.containersDir, 'web'), '{not json')
  t.throws(() => readContainerRecord(layout, 'web'), /names no current image/, 'a damaged record is an error for the reader')
  writeContainerRecord(layout, 'web', A)
  t.same(readContainerRecord(layout, 'web'), { current: A, ...plain }, 'and is replaced by the next write')
  t.throws(() => writeContainerRecord(layout, '../x', A), /not a container name/)
  t.throws(() => writeContainerRecord(layout, 'web', 'sha256:1'), /not a sha256 digest/)
})

t.test('containers/<name>: an update\'s fields, read back and checked as untrusted', async t => {
  const layout = new StoreLayout(t.testdir({}))
  const C = `sha256:${'c'.repeat(64)}`
  const full = { current: A, next: B, previous: C, older: [A], pinned: true, update: { phase: 'checking' as const, source: 'reg/app:2', started: 5 }, last: { result: 'committed' as const, from: C, to: A, at: 4 } }
  replaceContainerRecord(layout, 'web', full)
  t.same(readContainerRecord(layout, 'web'), full)
  t.same(recordImages(full), [A, B, C], 'every image it keeps, once')
  fs.writeFileSync(path.join(layout.containersDir, 'web'), JSON.stringify({ ...full, next: null, older: [B, 'x', 7], pinned: 'yes', last: { result: 'maybe', from: A, to: B, at: 1 } }))
  t.same(readContainerRecord(layout, 'web'), { current: A, next: null, previous: C, older: [B], pinned: false, update: null, last: null }, 'progress without a next, bad entries, a bad outcome: dropped')
  t.throws(() => replaceContainerRecord(layout, 'web', { ...full, older: ['sha256:1'] }), /not a sha256 digest/)
})

t.test('an image that fails to load does not cascade into its users, command or path', async t => {
  const { overrides } = makeStore(t, {}, {})
  const r = validateText('[rootfs]\nimage = missing:1\n[exec]\nuser = app:staff\n', 'c.ini', overrides)
  t.same(r.errors.map(e => e.line), [2], 'one error: the image')
  const bad = validateText('[rootfs]\nimage = missing:1\n[exec]\nuser = a:b:c\n', 'c.ini', overrides)
  t.same(bad.errors.map(e => e.line), [2, 4], 'a user that is wrong whatever the image is still reported')
})

t.test('a pinned image with its store does not read images.ini again', async t => {
  const { overrides, dir } = makeStore(t, { [HEX_A]: { config: { Cmd: ['/x'] } } }, {})
  fs.writeFileSync(path.join(dir, 'images.ini'), '[store]\nbroken = yes\n')
  t.match(formatConfigErrors(validateText(`[rootfs]\nimage = ${A}\n`, 'c.ini', overrides).errors, 'c.ini'), /the image settings are not valid/)
  t.same(validateText(`[rootfs]\nimage = app:1\n`, 'c.ini', { ...overrides, imageDigest: A }).errors, [], 'exec and restarts still work')
})

t.test('an image removed between its lookup and its reads is "no longer in the store"', async t => {
  const { root, overrides } = makeStore(t, { [HEX_A]: { config: { Cmd: ['/x'] } } }, { 'docker.io/library/app/1': A })
  const realKind = await import('../../runtime/config/rootfs-kind.ts')
  const { loadRunImage } = await t.mockImport<typeof import('../../runtime/image/run-image.ts')>('../../runtime/image/run-image.ts', {
    '../../runtime/config/rootfs-kind.ts': {
      ...realKind,
      // lite image rm or prune, just after resolveImageRef found the image
      rootfsKind: (resolved: string, written: string) => {
        fs.rmSync(path.join(root, 'images', HEX_A), { recursive: true })
        return realKind.rootfsKind(resolved, written)
      },
    },
  })
  const err = t.throws(() => loadRunImage('app:1', { store: root, imagesConfig: overrides.imagesConfig, env: {} })) as Error
  t.match(err.message, /^image "docker\.io\/library\/app:1" \(sha256:a{64}\) is no longer in the store \(.*\): it was removed \(lite image rm or prune\) while lite read it; run: lite image pull app:1$/)
})

const SEC = 1_000_000_000

t.test('Healthcheck: its three Test forms and NONE, checked as untrusted input', async t => {
  const health = (Healthcheck: unknown) => imageDefaults(JSON.stringify({ config: { Healthcheck } })).healthcheck
  t.same(health({ Test: ['CMD-SHELL', 'curl -f http://127.0.0.1/ || exit 1'], Interval: 5 * SEC, Timeout: 3 * SEC, StartPeriod: 1.5 * SEC, Retries: 4 }), {
    cmd: ['/bin/sh', '-c', 'curl -f http://127.0.0.1/ || exit 1'],
    intervalMs: 5000,
    timeoutMs: 3000,
    startPeriodMs: 1500,
    retries: 4,
  }, 'CMD-SHELL: run by /bin/sh -c; nanoseconds become milliseconds')
  t.same(health({ Test: ['CMD', '/bin/check', '--quick', 'a b'] }), { cmd: ['/bin/check', '--quick', 'a b'] }, 'CMD: the program and its arguments, no shell')
  t.same(health({ Test: ['NONE'] }), { cmd: 'none' }, 'NONE turns an inherited check off')
  t.same(health({ Test: ['NONE'], Interval: 5 * SEC }), { cmd: 'none', intervalMs: 5000 })
  t.same(health({ Test: [], Interval: 0, Timeout: 0, StartPeriod: 0, Retries: 0 }), undefined, 'empty and zero inherit: nothing')
  t.same(health({ Test: null, Interval: 2 * SEC }), { intervalMs: 2000 }, 'durations without a Test')
  t.same(health({}), undefined)
  t.same(health(null), undefined)
  t.same(health({ Interval: 1_500_001 }), { intervalMs: 2 }, 'a part of a millisecond rounds up')
  t.same(health({ Test: ['CMD', 'x'], StartInterval: 5 * SEC, Future: [1] }), { cmd: ['x'] }, 'fields lite does not use are ignored')

  const refused: [unknown, RegExp][] = [
    ['CMD true', /Healthcheck is not an object/],
    [[], /Healthcheck is not an object/],
    [{ Test: 'CMD-SHELL true' }, /Healthcheck\.Test is not a list of strings/],
    [{ Test: [1] }, /Healthcheck\.Test\[0\] is not a string/],
    [{ Test: ['CMD', null] }, /Healthcheck\.Test\[1\] is not a string/],
    [{ Test: ['CMD', 'a\u0000b'] }, /Healthcheck\.Test\[1\] contains a NUL byte/],
    [{ Test: ['CMD-SHELL', 'x'.repeat(200000)] }, /Healthcheck\.Test\[1\] is longer than 131072/],
    [{ Test: ['CMD', ...Array(10000).fill('x')] }, /Healthcheck\.Test has more than 10000 items/],
    [{ Test: ['CMD'] }, /Healthcheck\.Test \["CMD"\] has no command/],
    [{ Test: ['CMD', ''] }, /Healthcheck\.Test \["CMD",""\] has no command/],
    [{ Test: ['CMD-SHELL'] }, /Healthcheck\.Test \["CMD-SHELL"\] is not \["CMD-SHELL", COMMAND\]/],
    [{ Test: ['CMD-SHELL', ' '] }, /is not \["CMD-SHELL", COMMAND\]/],
    [{ Test: ['CMD-SHELL', 'a', 'b'] }, /Healthcheck\.Test \["CMD-SHELL","a","b"\] is not \["CMD-SHELL", COMMAND\]/],
    [{ Test: ['cmd', 'x'] }, /Healthcheck\.Test \["cmd","x"\] does not start with NONE, CMD or CMD-SHELL/],
    [{ Test: ['/bin/check'] }, /does not start with NONE, CMD or CMD-SHELL/],
    [{ Interval: -1 }, /Healthcheck\.Interval -1 is not a number of nanoseconds/],
    [{ Timeout: 1.5 }, /Healthcheck\.Timeout 1\.5 is not a number of nanoseconds/],
    [{ StartPeriod: '5s' }, /Healthcheck\.StartPeriod "5s" is not a number of nanoseconds/],
    [{ Interval: 2 ** 60 }, /Healthcheck\.Interval 1152921504606847000 is not a number of nanoseconds/],
    [{ Retries: -3 }, /Healthcheck\.Retries -3 is not a whole number, 0 or more/],
    [{ Retries: true }, /Healthcheck\.Retries true is not a whole number/],
    [{ Retries: 'x'.repeat(1000) }, /Healthcheck\.Retries "x{79} is not a whole number/],
  ]
  for (const [check, re] of refused) t.throws(() => health(check), re, JSON.stringify(check).slice(0, 60))

  const { overrides } = makeStore(t, { [HEX_A]: { config: { Cmd: ['/app'], Healthcheck: { Test: ['CMD', 1] } } } }, { 'docker.io/library/x/1': A })
  t.match(formatConfigErrors(validateText('[rootfs]\nimage = x:1\n', 'c.ini', overrides).errors, 'c.ini'), /c\.ini:2: \[rootfs\] image: image "docker\.io\/library\/x:1": config\.json: Healthcheck\.Test\[1\] is not a string/)
})

t.test('[health] defaults are the image\'s Healthcheck; the ini overrides it key by key', async t => {
  const shell = { Test: ['CMD-SHELL', 'wget -q -O /dev/null http://127.0.0.1/'], Interval: 10 * SEC, Timeout: 2 * SEC, StartPeriod: 60 * SEC, Retries: 5 }
  const { overrides } = makeStore(
    t,
    {
      [HEX_A]: { config: { Cmd: ['/app'], Healthcheck: shell } },
      [HEX_B]: { config: { Cmd: ['/app'], Healthcheck: { Test: ['CMD', '/bin/check', '-q'] } } },
      ['c'.repeat(64)]: { config: { Cmd: ['/app'], Healthcheck: { Test: ['NONE'], Interval: 10 * SEC } } },
      ['d'.repeat(64)]: { config: { Cmd: ['/app'] } },
      ['e'.repeat(64)]: { config: { Cmd: ['/app'], Healthcheck: { Test: ['CMD', '/bin/check'], Interval: 50 * 1_000_000, Retries: 1000 } } },
      ['f'.repeat(64)]: { config: { Cmd: ['/app'], Healthcheck: { Test: ['CMD', '/bin/check', 'a\nb'], Interval: 50 * 1_000_000 } } },
    },
    {
      'docker.io/library/shell/1': A,
      'docker.io/library/exec/1': B,
      'docker.io/library/none/1': `sha256:${'c'.repeat(64)}`,
      'docker.io/library/plain/1': `sha256:${'d'.repeat(64)}`,
      'docker.io/library/bad/1': `sha256:${'e'.repeat(64)}`,
      'docker.io/library/nl/1': `sha256:${'f'.repeat(64)}`,
    },
  )
  const run = (image: string, health = '') => validateText(`[rootfs]\nimage = ${image}:1\n${health ? `[health]\n${health}` : ''}`, 'c.ini', overrides)
  const messages = (image: string, health = '') => run(image, health).errors.map(e => `${e.line}: ${e.message}`)
  const NO_HEALTH = { intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0, onUnhealthy: 'none' }

  t.same(run('shell').config?.health, {
    cmd: ['/bin/sh', '-c', 'wget -q -O /dev/null http://127.0.0.1/'],
    intervalMs: 10_000,
    timeoutMs: 2000,
    retries: 5,
    startPeriodMs: 60_000,
    onUnhealthy: 'none',
  }, 'CMD-SHELL and every timing from the image')
  t.same(run('exec').config?.health, { ...NO_HEALTH, cmd: ['/bin/check', '-q'] }, 'CMD: its argv; the rest lite\'s defaults')
  t.same(run('none').config?.health, NO_HEALTH, 'NONE: no check')
  t.same(run('plain').config?.health, NO_HEALTH, 'no Healthcheck: no check')

  const mine = run('shell', 'cmd = test -e /run/ready\ntimeout = 500ms\non_unhealthy = restart\n')
  t.same(mine.errors, [])
  t.same(mine.config?.health, {
    cmd: ['/bin/sh', '-c', 'test -e /run/ready'],
    intervalMs: 10_000,
    timeoutMs: 500,
    retries: 5,
    startPeriodMs: 60_000,
    onUnhealthy: 'restart',
  }, 'written keys win; the image gives the others')
  t.same(mine.config?.origins['health.timeout'], { file: 'c.ini', line: 5 })
  t.equal(mine.config?.origins['health.interval'], undefined, 'a default has no origin')
  t.same(run('exec', 'retries = 1\n').config?.health, { ...NO_HEALTH, cmd: ['/bin/check', '-q'], retries: 1 }, 'tuning the image\'s check needs no cmd')
  t.same(run('none', 'cmd = /bin/true\n').config?.health, { ...NO_HEALTH, cmd: ['/bin/sh', '-c', '/bin/true'], intervalMs: 10_000 }, 'a cmd over NONE takes the image\'s timings, as docker run --health-cmd does')

  t.same(run('shell', 'cmd = none\n').config?.health, NO_HEALTH, 'cmd = none turns the image\'s check off, and its timings with it')
  t.same(messages('shell', 'cmd = none\ninterval = 5s\n'), ['5: [health] interval: has no effect with cmd = none (line 4); remove one of them'])
  t.same(messages('none', 'interval = 5s\n'), ['4: [health] interval: has no effect without cmd (the image\'s Healthcheck is NONE)'])
  t.same(messages('plain', 'on_unhealthy = restart\n'), ['4: [health] on_unhealthy: has no effect without cmd (the image has no Healthcheck either)'])
  t.same(messages('missing', 'interval = 5s\n').length, 1, 'an image that fails to load: its error alone')

  // the image's values go through the keys' own checks, and a written key fixes them
  t.same(messages('bad'), [
    "0: [health] interval: not set, and its default (the image's Healthcheck Interval, else 30s) 50ms is out of range (100ms..24h); set it explicitly",
    "0: [health] retries: not set, and its default (the image's Healthcheck Retries, else 3) 1000 is out of range (1..100); set it explicitly",
  ])
  t.same(run('bad', 'interval = 1s\nretries = 3\n').config?.health, { ...NO_HEALTH, cmd: ['/bin/check'], intervalMs: 1000 })
  t.same(run('bad', 'cmd = none\n').errors, [], 'with the check off, its values are not used')
  t.same(messages('nl', 'interval = 1s\n'), [
    "0: [health] cmd: not set, and its default (the image's Healthcheck) \"a\\nb\" has a line break; write the command on one line (join commands with ; or &&); set it explicitly (or to none)",
  ])
  t.same(run('nl', 'cmd = /bin/check a\ninterval = 1s\n').config?.health.cmd, ['/bin/sh', '-c', '/bin/check a'])
})
