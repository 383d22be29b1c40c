// `lite rootfs build` on amd64: each profile builds, its generated lite config
// runs the sample app under dist/lite, and its size stays under the ceiling
// (du -sb of the whole output directory, --format dir). Bad input leaves no
// output behind.

import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import t, { type Test } from 'tap'
import { ARCHES } from '../../runtime/rootfs-build/arch.ts'
import { packageRecords } from '../../runtime/rootfs-build/apt-fetch.ts'
import { libstdcxxImports } from '../../runtime/rootfs-build/cxx-trim.ts'
import { recipePackages } from '../../runtime/rootfs-build/prefetch.ts'
import { listProfiles, loadRecipe } from '../../runtime/rootfs-build/recipe.ts'
import { eventually, lite, requireRootAndBuild, uniqueName, REPO } from '../support/integration.ts'
import { BUILD_FILE_BUDGET, CACHE, PYTHON_MODULES, buildJson, buildProfile, duSb } from '../support/rootfs-build.ts'

const MiB = 1024 * 1024

function runSample(t: Test, out: string, cmd: string[] = []) {
  const r = lite(['run', '--name', uniqueName('rb'), join(out, 'lite.ini'), ...(cmd.length ? ['--', ...cmd] : [])], { timeout: 120_000 })
  t.equal(r.code, 0, r.stderr)
  return r
}

if (requireRootAndBuild(t)) {
  t.setTimeout(BUILD_FILE_BUDGET)

  t.test('scripts/setup fetched every package a profile can use (amd64 and arm64): no build downloads', async (t) => {
    const dir = join(REPO, 'configs/profiles')
    const names = [...new Set(listProfiles(dir).flatMap((p) => recipePackages(loadRecipe(p, dir))))]
    t.ok(names.includes('openjdk-17-jdk-headless') && names.includes('libssl3') && names.includes('tzdata'), 'the JDK and every --with option are included')
    for (const arch of [ARCHES.amd64!, ARCHES.arm64!]) {
      const absent = packageRecords(names, arch).filter((r) => !existsSync(join(CACHE, 'debs', basename(r.filename))))
      t.same(absent.map((r) => `${r.name}:${arch.debian}`), [], `${arch.debian}: all in build/cache/debs (bun scripts/fetch-debs.ts --profiles fetches them)`)
    }
  })

  t.test('busybox: applets, non-root user, ≤ 2 MiB', async (t) => {
    const out = join(t.testdir(), 'busybox')
    const b = buildProfile('busybox', out, ['--format', 'dir'])
    t.equal(b.code, 0, b.stderr)
    t.match(runSample(t, out).stdout, 'hello from busybox as 65534')
    t.ok(duSb(out) <= 2 * MiB, `du -sb ${duSb(out)} ≤ 2 MiB`)
  })

  t.test('python: sample app, ≥ 40 stdlib modules import, ≤ 12 MB', async (t) => {
    const out = join(t.testdir(), 'python')
    const b = buildProfile('python', out, ['--format', 'dir'])
    t.equal(b.code, 0, b.stderr)
    t.match(runSample(t, out).stdout, 'HTTP/1.0 200 OK /ping hello from python')
    t.ok(PYTHON_MODULES.length >= 40)
    const r = runSample(t, out, ['/usr/bin/python3', '-c', `import ${PYTHON_MODULES.join(', ')}; print('imported', ${PYTHON_MODULES.length})`])
    t.match(r.stdout, `imported ${PYTHON_MODULES.length}`)
    t.match(runSample(t, out, ['/usr/bin/python3', '-c', 'import hashlib; print(hashlib.sha256(b"lite").hexdigest())']).stdout, /^[0-9a-f]{64}$/m)
    t.notOk(existsSync(join(out, 'rootfs/usr/lib/python3.11/json')), 'no stdlib sources outside the zip')
    t.match(runSample(t, out, ['/usr/bin/python3', '-c', "import sys, decimal; print(decimal.Decimal('1.1') + decimal.Decimal('2.2'), '_decimal' in sys.modules)"]).stdout, '3.3 False', 'decimal without --with decimal: the pure-Python one')
    // The monitor takes no line breaks in an argument: multi-line checks go in as a file.
    const leftOut = [
      'import codecs, zoneinfo',
      'for name in ("ctypes", "lzma", "multiprocessing", "smtplib", "xml.dom.minidom", "termios"):',
      '  try: __import__(name)',
      '  except ModuleNotFoundError as e: print(e)',
      "try: codecs.encode(b'x', 'bz2')",
      'except LookupError as e: print(e)',
      "try: zoneinfo.ZoneInfo('Europe/Berlin')",
      'except zoneinfo.ZoneInfoNotFoundError as e: print(e)',
      '',
    ]
    writeFileSync(join(out, 'rootfs/app/left-out.py'), leftOut.join('\n'))
    const missing = runSample(t, out, ['/usr/bin/python3', '/app/left-out.py'])
    t.equal(
      missing.stdout,
      ["No module named 'ctypes'", "No module named 'lzma'", "No module named 'multiprocessing'", "No module named 'smtplib'", "No module named 'xml.dom'", "No module named 'termios'", 'unknown encoding: bz2', "'No time zone found with key Europe/Berlin'", ''].join('\n'),
      'what --with options carry is left out, and fails as a missing module or codec',
    )
    t.ok(duSb(out) <= 12_000_000, `du -sb ${duSb(out)} ≤ 12 MB`)
  })

  t.test('python --trace: only what the app imported, ≤ 12 MB', async (t) => {
    const out = join(t.testdir(), 'python-traced')
    const b = buildProfile('python', out, ['--format', 'dir', '--trace'])
    t.equal(b.code, 0, b.stderr)
    t.match(runSample(t, out).stdout, 'hello from python')
    t.ok(duSb(out) <= 12_000_000, `du -sb ${duSb(out)} ≤ 12 MB`)
  })

  t.test('python --with sqlite,ssl: sqlite3 and ssl import, sizes reported', async (t) => {
    const out = join(t.testdir(), 'python-with')
    const b = buildProfile('python', out, ['--format', 'dir', '--with', 'sqlite,ssl'])
    t.equal(b.code, 0, b.stderr)
    const r = runSample(t, out, ['/usr/bin/python3', '-c', 'import sqlite3, ssl; c = sqlite3.connect(":memory:"); print(c.execute("select 40+2").fetchone()[0], ssl.OPENSSL_VERSION)'])
    t.match(r.stdout, /^42 OpenSSL/)
    const extras = buildJson(out).extras
    t.ok(extras['with sqlite']! > 0 && extras['with ssl']! > 0, JSON.stringify(extras))
  })

  t.test('python --with decimal,cjk,codepages,deprecated,devtools: their modules import, sizes reported', async (t) => {
    const out = join(t.testdir(), 'python-with-more')
    const b = buildProfile('python', out, ['--format', 'dir', '--with', 'decimal,cjk,codepages,deprecated,devtools'])
    t.equal(b.code, 0, b.stderr)
    const r = runSample(t, out, ['/usr/bin/python3', '-W', 'ignore', '-c', "import sys, decimal, audioop, telnetlib, pdb, cProfile, unittest; print('_decimal' in sys.modules, 'x中'.encode('gb18030'), '€'.encode('cp1252'), audioop.max(b'\\x01\\x00', 2))"])
    t.match(r.stdout, "True b'x\\xd6\\xd0' b'\\x80' 1")
    const extras = buildJson(out).extras
    t.ok(['decimal', 'cjk', 'codepages', 'deprecated', 'devtools'].every((w) => extras[`with ${w}`]! > 0), JSON.stringify(extras))
  })

  t.test('python --with ctypes,bz2,lzma,multiprocessing,mail,xml,tzdata,uuid,terminal: each works, sizes reported', async (t) => {
    const out = join(t.testdir(), 'python-with-rest')
    const options = ['ctypes', 'bz2', 'lzma', 'multiprocessing', 'mail', 'xml', 'tzdata', 'uuid', 'terminal']
    const b = buildProfile('python', out, ['--format', 'dir', '--with', options.join(',')])
    t.equal(b.code, 0, b.stderr)
    const script = [
      'import bz2, lzma, ctypes, smtplib, imaplib, poplib, mailbox, xml.dom.minidom, xml.sax, xmlrpc.client, tty, pty, termios, uuid, zoneinfo, datetime, sys',
      'from concurrent.futures import ProcessPoolExecutor',
      "print(lzma.decompress(lzma.compress(b'xz')).decode(), bz2.decompress(bz2.compress(b'bz')).decode(), ctypes.CDLL(None).getpid() > 0)",
      'with ProcessPoolExecutor(2) as pool: print(list(pool.map(pow, [2, 3], [2, 2])))',
      "print(xml.dom.minidom.parseString('<a><b>dom</b></a>').getElementsByTagName('b')[0].firstChild.data, xmlrpc.client.loads(xmlrpc.client.dumps((7,)))[0][0])",
      "print(datetime.datetime(2026, 7, 1, tzinfo=zoneinfo.ZoneInfo('Europe/Berlin')).utcoffset(), '_zoneinfo' in sys.modules, uuid._uuid is not None)",
      '',
    ].join('\n')
    writeFileSync(join(out, 'rootfs/app/with.py'), script)
    const r = runSample(t, out, ['/usr/bin/python3', '/app/with.py'])
    t.equal(r.stdout, 'xz bz True\n[4, 9]\ndom 7\n2:00:00 True True\n')
    const extras = buildJson(out).extras
    t.ok(options.every((w) => extras[`with ${w}`]! > 0), JSON.stringify(extras))
    t.ok(extras['with tzdata']! > 300_000, 'the zone files are counted in with tzdata')
    t.ok(extras['with lzma']! < 300_000, `with lzma ${extras['with lzma']}: liblzma counted once, not once per name (liblzma.so.5 is a symlink)`)
  })

  t.test('python --with multiprocessing,xml,bz2: what each needs comes along', async (t) => {
    const out = join(t.testdir(), 'python-with-needs')
    const b = buildProfile('python', out, ['--format', 'dir', '--with', 'multiprocessing,xml,bz2'])
    t.equal(b.code, 0, b.stderr)
    t.same(buildJson(out).options, ['with multiprocessing', 'with xml', 'with bz2', 'with ctypes'], 'ctypes comes with multiprocessing')
    const script = [
      'import codecs, multiprocessing, xmlrpc.server',
      "v = multiprocessing.Value('i', 41)",
      'v.value += 1',
      "print(v.value, codecs.decode(codecs.encode(b'bz', 'bz2'), 'bz2').decode(), xmlrpc.server.SimpleXMLRPCServer.__name__)",
      '',
    ].join('\n')
    writeFileSync(join(out, 'rootfs/app/needs.py'), script)
    t.equal(runSample(t, out, ['/usr/bin/python3', '/app/needs.py']).stdout, '42 bz SimpleXMLRPCServer\n')
  })

  t.test('java: jlink runtime runs the sample, ≤ 32 MB', async (t) => {
    const out = join(t.testdir(), 'java')
    const b = buildProfile('java', out, ['--format', 'dir'])
    t.equal(b.code, 0, b.stderr)
    t.match(runSample(t, out).stdout, 'java ok readings=1000 total=500000.0')
    t.ok(duSb(out) <= 32_000_000, `du -sb ${duSb(out)} ≤ 32 MB`)

    // libjvm's relative relocations are in DT_RELR, and glibc is asked for its support
    const readelf = (args: string[]) => spawnSync('readelf', args, { encoding: 'utf8' }).stdout
    const jvm = join(out, 'rootfs/opt/java/lib/server/libjvm.so')
    t.match(readelf(['-dW', jvm]), /\(RELR\)[\s\S]*\(RELRSZ\)/, 'libjvm.so has DT_RELR')
    t.notMatch(readelf(['-dW', jvm]), /RELACOUNT/)
    t.match(readelf(['-VW', jvm]), /File: libc\.so\.6[\s\S]*Name: GLIBC_ABI_DT_RELR/)
    t.ok(statSync(jvm).size < 18_000_000, `libjvm.so is ${statSync(jvm).size} bytes`)
    t.ok(buildJson(out).extras['saved by RELR'] > 2_000_000, 'build.json reports the bytes packing saved')

    // libstdc++.so.6 exports exactly what libjvm and libjimage import from it, and no more
    const nm = (args: string[]) => spawnSync('nm', args, { encoding: 'utf8' }).stdout
    const lib = join(out, 'rootfs/usr/lib/x86_64-linux-gnu/libstdc++.so.6')
    const imported = new Set(['opt/java/lib/server/libjvm.so', 'opt/java/lib/libjimage.so']
      .flatMap((f) => libstdcxxImports(nm(['-D', '--undefined-only', join(out, 'rootfs', f)])).map((s) => `${s.name}@${s.version}`)))
    const exported = nm(['-D', '--defined-only', lib]).split('\n').map((l) => l.trim().split(/\s+/)).filter((w) => w[1] !== 'A' && w[2]).map((w) => w[2]!.replace('@@', '@'))
    t.ok(imported.size >= 10, `${imported.size} imports`)
    t.same(exported.sort(), [...imported].sort(), 'libstdc++.so.6 exports the imports only')
    t.ok(statSync(lib).size < 200_000, `libstdc++.so.6 is ${statSync(lib).size} bytes`)
    t.ok(buildJson(out).extras['libstdc++ trimmed'] > 0, 'build.json reports it')
  })

  t.test('java --trace: only the classes a run loaded, ≤ 32 MB, failures still reported', async (t) => {
    const out = join(t.testdir(), 'java-traced')
    const b = buildProfile('java', out, ['--format', 'dir', '--trace'])
    t.equal(b.code, 0, b.stderr)
    t.match(b.stderr, /trace \d+ classes of the image loaded; rebuilding without \d+ others/)
    t.match(runSample(t, out).stdout, 'java ok readings=1000 total=500000.0')
    t.ok(duSb(out) <= 32_000_000, `du -sb ${duSb(out)} ≤ 32 MB`)
    // A path the trace did not take: the sample's temp file in a directory that is not
    // there. The exception the JDK throws is still there, and so is its report.
    const java = '/opt/java/bin/java -Xss512k -XX:+UseSerialGC -XX:TieredStopAtLevel=1'
    const fails = (args: string) => lite(['run', '--name', uniqueName('rb'), join(out, 'lite.ini'), '--', ...`${java} ${args}`.split(' ')], { timeout: 120_000 })
    const io = fails('-Djava.io.tmpdir=/nonexistent -jar /app/app.jar')
    t.equal(io.code, 1)
    t.match(io.stderr, /Exception in thread "main" java\.nio\.file\.NoSuchFileException: \/nonexistent\/lite-sample[\s\S]*at Main\.main/)
    const nomain = fails('-cp /app/app.jar NoSuchMain')
    t.equal(nomain.code, 1)
    t.match(nomain.stderr, /Error: Could not find or load main class NoSuchMain\nCaused by: java\.lang\.ClassNotFoundException: NoSuchMain/)
  })

  t.test('java --trace: a stopped app still runs its shutdown hooks and exits 143', async (t) => {
    // The app's own run never sees a signal: what `lite stop` needs comes from the baseline.
    const dir = t.testdir({
      app: {
        'Main.java': [
          'public class Main {',
          '    public static void main(String[] args) throws Exception {',
          '        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("hook ran")));',
          '        System.out.println("ready");',
          '        if (args.length > 0) Thread.sleep(120_000);',
          '    }',
          '}',
          '',
        ].join('\n'),
      },
    })
    const app = join(dir, 'app')
    const out = join(dir, 'java-traced-stop')
    const b = buildProfile('java', out, ['--format', 'dir', '--trace', '--app', app])
    t.equal(b.code, 0, b.stderr)
    const name = uniqueName('rb')
    t.teardown(() => {
      lite(['stop', '-t', '0', name])
      lite(['rm', name])
    })
    const d = lite(['run', '-d', '--name', name, join(out, 'lite.ini'), '--', '/opt/java/bin/java', '-XX:+UseSerialGC', '-jar', '/app/app.jar', 'wait'])
    t.equal(d.code, 0, d.stderr)
    t.ok(await eventually(() => /ready\n/.test(lite(['logs', name]).stdout), 30_000), 'the app started')
    const stop = lite(['stop', '-t', '30', name])
    t.equal(stop.code, 0, stop.stderr)
    t.match(lite(['ps', '-a']).stdout, new RegExp(`^${name}\\s+exited \\(143\\)`, 'm'), 'SIGTERM: the JVM exits 143, not killed after the timeout')
    t.match(lite(['logs', name]).stdout, /hook ran\n/, 'its shutdown hook ran')
  })

  t.test('go: static app + ≤ 256 KiB with certificates, ≤ 100 KB without', async (t) => {
    const out = join(t.testdir(), 'go')
    const b = buildProfile('go', out, ['--format', 'dir'])
    t.equal(b.code, 0, b.stderr)
    t.match(runSample(t, out).stdout, '200 OK hello from go, path /ping')
    const { extras } = buildJson(out)
    const overhead = duSb(out) - extras.app!
    t.ok(overhead <= 256 * 1024, `du -sb - app = ${overhead} ≤ 256 KiB`)
    t.ok(overhead - extras['ca certificates']! <= 100_000, `without the CA bundle ${overhead - extras['ca certificates']!} ≤ 100 KB`)
  })

  t.test('squashfs output is reproducible', async (t) => {
    const a = join(t.testdir(), 'a')
    const b = join(t.testdir(), 'b')
    for (const out of [a, b]) t.equal(buildProfile('go', out, ['--format', 'squashfs,oci']).code, 0)
    t.ok(readFileSync(join(a, 'rootfs.squashfs')).equals(readFileSync(join(b, 'rootfs.squashfs'))), 'same bytes')
    t.same(readFileSync(join(a, 'image-oci/index.json'), 'utf8'), readFileSync(join(b, 'image-oci/index.json'), 'utf8'), 'same OCI manifest digest')
    const r = lite(['run', '--name', uniqueName('rb'), join(a, 'lite.ini')], { timeout: 60_000 })
    t.match(r.stdout, 'hello from go', 'the squashfs image runs')
  })

  t.test('bad input: clear error, exit 125, no output left', async (t) => {
    const dir = t.testdir()
    const cases: [string, string[], RegExp][] = [
      ['nosuch', [], /unknown profile "nosuch"; the profiles in .* are: busybox, go, java, python/],
      ['go', ['--arch', 'mips'], /--arch mips: not a supported architecture/],
      ['python', ['--app', join(dir, 'missing.py')], /--app .*missing.py: no such file or directory/],
      ['python', ['--format', 'tarball'], /--format tarball: not one of dir, squashfs, oci, docker/],
      ['go', ['--with', 'ssl'], /--with ssl: profile go offers tzdata/],
      ['go', ['--trace'], /--trace is for the python and java profiles \(a go rootfs has nothing to trace\)/],
      ['java', ['--trace', '--cds'], /--cds and --trace: the default CDS archive needs classes a traced image leaves out; give one of them/],
    ]
    for (const [profile, args, message] of cases) {
      const out = join(dir, 'out')
      const r = buildProfile(profile, out, args)
      t.equal(r.code, 125, `${profile} ${args.join(' ')}`)
      t.match(r.stderr, message)
      t.notOk(existsSync(out), 'no output')
    }
    t.same(readdirSync(dir), [], 'no temp dirs either')
  })

  t.test('a full disk while staging: ENOSPC error, nothing left', async (t) => {
    // Outside t.testdir(): tap removes that before teardowns run, and a mount point can't go.
    const small = mkdtempSync(join(tmpdir(), 'lite-rb-full-'))
    t.teardown(() => {
      spawnSync('umount', ['-l', small])
      rmSync(small, { recursive: true, force: true })
    })
    t.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2M', 'lite-test-full', small]).status, 0)
    const r = buildProfile('python', join(small, 'out'), ['--format', 'dir'])
    t.equal(r.code, 125)
    t.match(r.stderr, /no space left on the device .*ENOSPC.*nothing was written/)
    t.same(readdirSync(small), [], 'the staging dir is gone and no output exists')
  })
}
