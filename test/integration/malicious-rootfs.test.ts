// A malicious image against the real dist/lite (issue 12): symlinks as /dev, /proc,
// /sys, the /etc files, [mount] targets and the cwd, each pointing at an absolute host
// path, a `../` climb to it and lite's own /proc/self/fd/N; the CVE-2025-31133 shape
// (a /dev whose null is the image's); [mount] entries of kernel filesystems; and a
// [sysctl] whose file is not the kernel's. Every target is a decoy under the test's own
// directory (or a read-only probe). Each case asserts that nothing outside the root
// changed, and that the container either ran confined or was refused with exit 125
// and FILE:LINE, leaving nothing behind.

import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import t, { type Test } from 'tap'
import { BUSYBOX, assertNoLeaks, requireRootAndBuild, snapshotHost, uniqueName, writeConfig } from '../support/integration.ts'
import {
  type LinkTarget,
  assertCwdInside,
  cleanUpContainer,
  climbTo,
  copyRootfs,
  cwdProbe,
  escapeTargets,
  fdTargets,
  hostMarker,
  lineOf,
  plantLink,
  plantPlain,
  runLite,
  snapshotTree,
  treeChanges,
} from '../support/malicious-rootfs.ts'

/** One test's world: its dir (config, decoys, marker) and its copy of the rootfs. */
interface World {
  dir: string
  rootfs: string
  /** host-side decoys, recreated before every run: existing-file, existing-dir/ */
  decoy: string
  marker: string
}

type Outcome = 'refused' | 'runs' | 'runs-or-refused'

interface Case {
  name: string
  targets: (w: World) => LinkTarget[]
  plant: (w: World, target: string) => void
  /** more [container] keys after the name; {NAME} is filled in */
  container?: string
  /** the config after [container]; {ROOTFS} is filled in */
  body: (w: World) => string
  script: (w: World) => string
  outcome: (target: LinkTarget) => Outcome
  /** stderr of a refusal, given the config text */
  refusal: (text: string) => RegExp
  /** checks of the app's output when it ran */
  inside: (t: Test, stdout: string, w: World, name: string) => void
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

function resetDecoys(w: World): void {
  rmSync(w.decoy, { recursive: true, force: true })
  mkdirSync(join(w.decoy, 'existing-dir'), { recursive: true })
  writeFileSync(join(w.decoy, 'existing-file'), 'decoy\n')
  writeFileSync(join(w.decoy, 'existing-dir', 'inside'), 'decoy\n')
}

// ---- the masks, seen from inside ----

const MASKED_FILES = ['/proc/keys', '/proc/timer_list'].filter((p) => existsSync(p))

/**
 * Prints what the masked paths are; `write` also writes through the masked files. No
 * /dev/null in it: a rootfs whose /dev is a link may have none. `(exec 3>>FILE)` opens
 * FILE for writing and writes nothing (busybox test -w says yes to root everywhere).
 */
function maskProbe(write: boolean): string {
  const files = MASKED_FILES.map(
    (f) =>
      `echo "${f} size=$(cat ${f} | wc -c) type=$(stat -c '%F %t:%T' ${f} 2>&1)"` +
      (write ? `; if (echo escaped > ${f}); then echo "${f} write=ok"; else echo "${f} write=refused"; fi` : ''),
  )
  return [
    ...files,
    'echo "/sys/firmware entries=$(ls -A /sys/firmware | wc -l) type=$(stat -c %F /sys/firmware 2>&1)"',
    'if (exec 3>>/proc/sys/kernel/shmmax); then echo "/proc/sys writable"; else echo "/proc/sys read-only"; fi',
  ].join('; ')
}

function assertMasked(t: Test, stdout: string): void {
  for (const f of MASKED_FILES) {
    const size = new RegExp(`^${escape(f)} size=(.*) type=(.*)$`, 'm').exec(stdout)
    const write = new RegExp(`^${escape(f)} write=(.*)$`, 'm').exec(stdout)?.[1]
    t.equal(size?.[1], '0', `${f} reads empty`)
    t.ok(size?.[2] === 'character special file 1:3' || write === 'refused', `a write to ${f} reaches nothing (${size?.[2]}, write ${write ?? 'not tried'})`)
  }
  if (existsSync('/sys/firmware')) t.match(stdout, /^\/sys\/firmware entries=0 type=directory$/m, '/sys/firmware is an empty directory')
  t.match(stdout, /^\/proc\/sys read-only$/m, '/proc/sys is read-only')
}

// ---- the /etc files, seen from inside ----

const LOCALTIME_MD5 = existsSync('/etc/localtime') ? createHash('md5').update(readFileSync('/etc/localtime')).digest('hex') : undefined

const ETC_SCRIPT = 'for f in hosts hostname resolv.conf; do echo "--- $f"; cat /etc/$f 2>&1; done; echo "--- localtime"; md5sum < /etc/localtime 2>&1; true'

/** The config keys that ask for each /etc file, so that a refusal names their line. */
const ETC_KEYS: Record<string, string> = { hosts: 'hosts[] = ', hostname: 'hostname = ', 'resolv.conf': 'dns[] = ', localtime: 'localtime = ' }

function assertEtcFiles(t: Test, stdout: string, hostname: string): void {
  // What the script printed after "--- NAME", up to the next section.
  const section = (name: string) => stdout.split(`--- ${name}\n`)[1]?.split(/^--- /m)[0] ?? ''
  t.match(section('hosts'), new RegExp(`^127\\.0\\.1\\.1\\s+${escape(hostname)}$`, 'm'), "/etc/hosts is lite's, with the hostname")
  t.match(section('hosts'), /^192\.0\.2\.7\s+decoy-peer$/m, '/etc/hosts has the [net] hosts line')
  t.equal(section('hostname'), `${hostname}\n`, '/etc/hostname holds the hostname')
  t.equal(section('resolv.conf'), 'nameserver 192.0.2.53\n', "/etc/resolv.conf is lite's, from [net] dns")
  if (LOCALTIME_MD5) t.match(section('localtime'), new RegExp(`^${LOCALTIME_MD5}`), "/etc/localtime is the host's zone file")
}

// ---- the cases ----

const BASE = '[rootfs]\npath = {ROOTFS}\n[exec]\ncmd = /bin/true\n'
const rootfsRefusal = (text: string) => new RegExp(`c\\.ini:${lineOf(text, 'path = ')}: \\[rootfs\\] path: .*symbolic link`)
const always =
  (o: Outcome) =>
  (): Outcome =>
    o
const byFd = (target: LinkTarget): Outcome => (target.via.startsWith('fd ') ? 'runs-or-refused' : 'runs')

/** No link at all: the checks inside must pass on an honest rootfs, or the case proves nothing. */
const CONTROL: LinkTarget = { via: 'control, no link', target: '' }
const plantOrPlain = (w: World, inside: string, target: string, kind: 'dir' | 'file') =>
  target ? plantLink(w.rootfs, inside, target) : plantPlain(w.rootfs, inside, kind)

const cases: Case[] = []

for (const api of ['dev', 'proc', 'sys']) {
  cases.push({
    name: `/${api} is a symlink`,
    targets: (w) => [...escapeTargets(join(w.decoy, 'existing-dir')), { via: 'a directory of the image', target: 'var' }],
    plant: (w, target) => plantLink(w.rootfs, api, target),
    body: () => BASE,
    script: () => maskProbe(false),
    outcome: always('refused'),
    refusal: rootfsRefusal,
    inside: (t, stdout) => assertMasked(t, stdout),
  })
}

// CVE-2025-31133: /dev is a link, and the image's own "null" is what the masks bind.
// Here it is a decoy file of the test's dir, bound in at /decoys: a write through
// /proc/keys would change it.
cases.push({
  name: 'CVE-2025-31133: /dev is a link to a dir whose null is a decoy file',
  targets: (w) => [
    { via: 'absolute', target: join(w.decoy, 'existing-dir') },
    { via: 'relative', target: climbTo(join(w.decoy, 'existing-dir')) },
  ],
  plant: (w, target) => {
    plantLink(w.rootfs, 'dev', target)
    // The same path inside the image: what /dev resolves to after pivot_root.
    plantLink(w.rootfs, join(w.decoy, 'existing-dir', 'null'), '/decoys/existing-file')
  },
  body: (w) => `${BASE}[mount]\nentry[] = ${w.decoy} /decoys none bind,create=dir\n`,
  script: () => maskProbe(true),
  outcome: always('refused'),
  refusal: rootfsRefusal,
  inside: (t, stdout) => assertMasked(t, stdout),
})

// The same with the literal /dev -> /tmp and a harmless sysctl as the image's null:
// kernel.ostype is read-only even for root. The probe only reads.
cases.push({
  name: 'CVE-2025-31133: /dev -> /tmp, tmp/null -> a sysctl (read-only probe)',
  targets: () => [
    { via: 'absolute', target: '/tmp' },
    { via: 'relative', target: climbTo('/tmp') },
  ],
  plant: (w, target) => {
    plantLink(w.rootfs, 'dev', target)
    plantLink(w.rootfs, 'tmp/null', '/proc/sys/kernel/ostype')
  },
  body: () => BASE,
  script: () => maskProbe(false),
  outcome: always('refused'),
  refusal: rootfsRefusal,
  inside: (t, stdout) => assertMasked(t, stdout),
})

// The control: an honest rootfs gets every mask.
cases.push({
  name: 'an honest rootfs: masks hold, writes through them reach nothing',
  targets: () => [CONTROL],
  plant: () => {},
  body: () => BASE,
  script: () => maskProbe(true),
  outcome: always('runs'),
  refusal: rootfsRefusal,
  inside: (t, stdout) => assertMasked(t, stdout),
})

for (const file of ['hosts', 'hostname', 'resolv.conf', 'localtime']) {
  cases.push({
    name: `/etc/${file} is a symlink`,
    targets: (w) => [
      CONTROL,
      { via: 'absolute', target: join(w.decoy, 'existing-file') },
      { via: 'absolute, dangling', target: join(w.decoy, `absent-${file}`) },
      { via: 'relative', target: climbTo(join(w.decoy, 'existing-file')) },
      { via: 'relative, dangling', target: climbTo(join(w.decoy, `absent-${file}`)) },
      ...fdTargets(),
    ],
    plant: (w, target) => plantOrPlain(w, `etc/${file}`, target, 'file'),
    container: 'hostname = {NAME}\nlocaltime = host\n',
    body: () => BASE + '[net]\ndns[] = 192.0.2.53\nhosts[] = 192.0.2.7 decoy-peer\n',
    script: () => ETC_SCRIPT,
    outcome: byFd,
    refusal: (text) => new RegExp(`c\\.ini:${lineOf(text, ETC_KEYS[file]!)}: `),
    inside: (t, stdout, _w, name) => assertEtcFiles(t, stdout, name),
  })
}

const MOUNTS = [
  { link: 'data', target: '/data/a/b/c' },
  { link: 'srv/www/data', target: '/srv/www/data/a/b/c' },
]
for (const m of MOUNTS) {
  for (const kind of ['tmpfs, create=dir', 'file bind, create=file'] as const) {
    const tmpfs = kind.startsWith('tmpfs')
    cases.push({
      name: `[mount] ${kind} under a symlinked dir at depth ${m.link.split('/').length}`,
      targets: (w) => [
        CONTROL,
        { via: 'absolute', target: join(w.decoy, 'existing-dir') },
        { via: 'absolute, dangling', target: join(w.decoy, 'absent-dir') },
        { via: 'relative', target: climbTo(join(w.decoy, 'existing-dir')) },
        { via: 'relative, dangling', target: climbTo(join(w.decoy, 'absent-dir')) },
        ...fdTargets(),
      ],
      plant: (w, target) => plantOrPlain(w, m.link, target, 'dir'),
      body: (w) => {
        writeFileSync(join(w.dir, 'payload'), 'payload from the test\n')
        const entry = tmpfs ? `tmpfs ${m.target} tmpfs size=1M,create=dir` : `${join(w.dir, 'payload')} ${m.target} none bind,ro,create=file`
        return `${BASE}[mount]\nentry[] = ${entry}\n`
      },
      script: () => (tmpfs ? `echo "type=$(stat -f -c %T ${m.target} 2>&1)"` : `echo "content=$(cat ${m.target} 2>&1)"`),
      outcome: byFd,
      refusal: (text) => new RegExp(`c\\.ini:${lineOf(text, 'entry[] = ')}: \\[mount\\] entry`),
      inside: (t, stdout) => t.equal(stdout, tmpfs ? 'type=tmpfs\n' : 'content=payload from the test\n', `the mount is at ${m.target}`),
    })
  }
}

cases.push({
  name: '[exec] cwd is a symlink of the image',
  targets: (w) => [
    CONTROL,
    { via: 'absolute, the test dir', target: w.dir },
    { via: 'absolute, a decoy dir', target: join(w.decoy, 'existing-dir') },
    { via: 'relative, the test dir', target: climbTo(w.dir) },
    { via: 'relative, the root', target: '../'.repeat(16) },
    ...fdTargets(),
  ],
  plant: (w, target) => plantOrPlain(w, 'app', target, 'dir'),
  body: () => BASE.replace('cmd = /bin/true\n', 'cmd = /bin/true\ncwd = /app\n'),
  script: (w) => cwdProbe(w.dir),
  outcome: (target) => (target === CONTROL ? 'runs' : 'runs-or-refused'),
  refusal: (text) => new RegExp(`c\\.ini:${lineOf(text, 'cwd = ')}: \\[exec\\] cwd: `),
  inside: (t, stdout, w, name) => assertCwdInside(t, stdout, { marker: w.marker, name }),
})

if (requireRootAndBuild(t)) {
  // About 330 runs of lite: about 45 s on an idle machine, twice that on a loaded one.
  t.setTimeout(180_000)
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const dir = writeConfig(t, '').dir
      const w: World = { dir, rootfs: copyRootfs(dir), decoy: join(dir, 'decoy'), marker: hostMarker(dir) }
      const config = join(dir, 'c.ini')
      for (const target of c.targets(w)) {
        await t.test(`${target.via}${target.target ? ` (${target.target})` : ''}`, async (t) => {
          resetDecoys(w)
          c.plant(w, target.target)
          const name = uniqueName('atk')
          t.teardown(() => cleanUpContainer(name))
          const text = `[container]\nname = ${name}\n${c.container ?? ''}${c.body(w)}`.replaceAll('{ROOTFS}', w.rootfs).replaceAll('{NAME}', name)
          writeFileSync(config, text)
          const host = snapshotHost()
          const tree = snapshotTree(dir, ['rootfs'])
          const r = runLite(['run', config, '--', '/bin/sh', '-c', c.script(w)])
          t.same(treeChanges(tree, snapshotTree(dir, ['rootfs'])), [], 'nothing outside the root changed')
          const outcome = c.outcome(target)
          if (outcome === 'refused' || (outcome === 'runs-or-refused' && r.code !== 0)) {
            t.equal(r.code, 125, `refused with exit 125 (stdout: ${JSON.stringify(r.stdout.slice(0, 400))})`)
            t.match(r.stderr, c.refusal(text), 'an error with FILE:LINE')
            // What the attack got, when it was not refused.
            if (r.code === 0) c.inside(t, r.stdout, w, name)
          } else {
            t.equal(r.code, 0, `runs: ${r.stderr}`)
            c.inside(t, r.stdout, w, name)
          }
          await assertNoLeaks(t, host)
        })
      }
    })
  }

  // proc, sysfs and cgroup mounted again through [mount] would be neither masked nor
  // read-only. The probe inside opens a file of each for writing and writes nothing.
  const kernelFs = [
    { entry: 'proc /proc2 proc create=dir', probe: '/proc2/sys/kernel/core_pattern' },
    { entry: 'sysfs /sys2 sysfs create=dir', probe: '/sys2/kernel/mm/transparent_hugepage/enabled' },
    { entry: 'cgroup2 /cg2 cgroup2 create=dir', probe: '/cg2/cgroup.procs' },
    { entry: 'cgroup /cg1 cgroup create=dir', probe: '/cg1/tasks' },
  ]
  for (const k of kernelFs) {
    t.test(`[mount] ${k.entry} is refused`, async (t) => {
      const host = snapshotHost()
      const c = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n[mount]\nentry[] = ${k.entry}\n`)
      t.teardown(() => cleanUpContainer(c.name))
      const line = lineOf(readFileSync(c.path, 'utf8'), 'entry[] = ')
      const error = new RegExp(`c\\.ini:${line}: \\[mount\\] entry`)
      const check = runLite(['check', c.path])
      t.equal(check.code, 1, `lite check refuses it: ${check.stdout}${check.stderr}`)
      t.match(check.stdout + check.stderr, error, 'lite check names the line')
      const r = runLite(['run', c.path, '--', '/bin/sh', '-c', `if (exec 3>>${k.probe}); then echo "${k.probe} opens for writing"; fi`])
      t.equal(r.code, 125, `lite run refuses it (stdout: ${JSON.stringify(r.stdout)})`)
      t.match(r.stderr, error, 'lite run names the line')
      t.notMatch(r.stdout, /opens for writing/, 'nothing of the host kernel opens for writing from inside')
      await assertNoLeaks(t, host)
    })
  }

  // A [sysctl] whose file is not the kernel's: a FIFO (a hang of the set-up) or a regular
  // file of the test's dir (the value written to the host), bound over a namespaced
  // sysctl through [mount].
  for (const kind of ['a FIFO', 'a regular file'] as const) {
    t.test(`[sysctl] on ${kind} bound over the sysctl file`, async (t) => {
      const host = snapshotHost()
      const c = writeConfig(t, '')
      t.teardown(() => cleanUpContainer(c.name))
      const decoy = join(c.dir, 'not-a-sysctl')
      if (kind === 'a FIFO') {
        const mk = spawnSync('mkfifo', [decoy])
        t.equal(mk.status, 0, 'mkfifo')
      } else writeFileSync(decoy, 'decoy\n')
      const text = `[container]\nname = ${c.name}\n[rootfs]\npath = ${BUSYBOX}\n[exec]\ncmd = /bin/true\n[mount]\nentry[] = ${decoy} /proc/sys/kernel/shmmax none bind\n[sysctl]\nkernel.shmmax = 12345678\n`
      writeFileSync(c.path, text)
      const tree = snapshotTree(c.dir)
      const r = runLite(['run', c.path, '--', '/bin/cat', '/proc/sys/kernel/shmmax'], 20_000)
      t.notOk(r.signal, `lite ended by itself within the 20 s bound (${r.ms} ms)`)
      t.ok(r.ms < 10_000, `within a few seconds, not lite's 30 s set-up timeout (${r.ms} ms)`)
      t.equal(r.code, 125, `refused (stdout: ${JSON.stringify(r.stdout)})`)
      t.match(r.stderr, new RegExp(`c\\.ini:${lineOf(text, 'kernel.shmmax = ')}: \\[sysctl\\] kernel\\.shmmax`), 'the error names the [sysctl] line')
      t.same(treeChanges(tree, snapshotTree(c.dir)), [], 'nothing outside the root changed')
      await assertNoLeaks(t, host)
    })
  }
}
