import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { validateText, type ConfigOverrides } from '../../runtime/config/validate.ts'
import type { ContainerConfig } from '../../runtime/config/types.ts'
import type { FsOp } from '../../runtime/native/index.ts'
import { MASKED_PATHS, READONLY_PATHS, buildPlan, hasDeviceControl, type LaunchPlan, type PlanOptions } from '../../runtime/plan/build.ts'
import type { CgroupLayout } from '../../runtime/cgroup/detect.ts'
import type { HostFacts } from '../../runtime/plan/etc-files.ts'
import { CAP, MS, S_IFCHR } from '../../runtime/plan/linux.ts'

// A squashfs image as rootfs-kind.ts recognises one: "hsqs" at offset 0.
const SQUASHFS = Buffer.concat([Buffer.from('hsqs'), Buffer.alloc(2044)])

/** The host tree every config of this file points into. */
const FIXTURE = {
  rootfs: { bin: {}, etc: {} },
  'a,b': {},
  'image.sqfs': SQUASHFS,
  upper: {},
  data: {},
  'i2c-1': '',
  'resolv.conf': 'nameserver 192.0.2.1\n',
}

const HOST: HostFacts = { resolvConf: 'nameserver 198.51.100.1\n', localtime: '/usr/share/zoneinfo/Etc/UTC', hostname: 'host-machine' }
const STATE = '/run/lite/c'
const ROOT = `${STATE}/root`

interface Built {
  dir: string
  file: string
  config: ContainerConfig
  plan?: LaunchPlan
  errors: { file: string; line: number; message: string }[]
}

/** Validates `lines` (line N of the file is lines[N-1]) and plans it. */
function build(
  t: Test,
  lines: string[],
  opts: Partial<PlanOptions> & { host?: HostFacts; overrides?: ConfigOverrides } = {},
): Built {
  const dir = t.testdir(FIXTURE)
  const file = path.join(dir, 'c.ini')
  const { config, errors } = validateText(lines.join('\n') + '\n', file, opts.overrides)
  if (!config) throw new Error(`config errors: ${JSON.stringify(errors)}`)
  const planned = buildPlan(config, opts.host ?? HOST, {
    stateDir: STATE,
    tty: false,
    interactive: false,
    exists: fs.existsSync,
    ...opts,
  })
  return { dir, file, config, ...planned }
}

/** The plan must exist: fail the test with its errors otherwise. */
function mustPlan(t: Test, b: Built): LaunchPlan {
  t.same(b.errors, [], 'no plan errors')
  if (!b.plan) throw new Error('no plan')
  return b.plan
}

/** "kind source -> target", with the testdir and the state dir as placeholders; a
 *  target inside the container's root shows how it is resolved ("root:", "strict:"). */
function label(o: FsOp, dir: string): string {
  const p = (s: string) => s.split(dir).join('{DIR}').split(STATE).join('{STATE}')
  const where = o.resolve && o.resolve !== 'host' ? `${o.resolve}:` : ''
  return `${o.kind}${o.source === undefined ? '' : ` ${p(o.source)}`} -> ${where}${p(o.target)}`
}

const BASE = ['[container]', 'name = c', '[rootfs]', 'path = rootfs', '[exec]', 'cmd = /bin/sh']

// The ops lite always adds after the rootfs, in the order the child runs them.
const API_OPS = [
  'mount proc -> strict:/proc',
  'mount sysfs -> strict:/sys',
  'mount tmpfs -> strict:/dev',
  'mknod -> strict:/dev/null',
  'mknod -> strict:/dev/zero',
  'mknod -> strict:/dev/full',
  'mknod -> strict:/dev/random',
  'mknod -> strict:/dev/urandom',
  'mknod -> strict:/dev/tty',
  'mkdir -> strict:/dev/pts',
  'mount devpts -> strict:/dev/pts',
  'symlink pts/ptmx -> strict:/dev/ptmx',
  'mkdir -> strict:/dev/shm',
  'mount shm -> strict:/dev/shm',
]
const MQUEUE_OPS = ['mkdir -> strict:/dev/mqueue', 'mount mqueue -> strict:/dev/mqueue']
const DEV_LINKS = [
  'symlink /proc/self/fd -> strict:/dev/fd',
  'symlink /proc/self/fd/0 -> strict:/dev/stdin',
  'symlink /proc/self/fd/1 -> strict:/dev/stdout',
  'symlink /proc/self/fd/2 -> strict:/dev/stderr',
]
const ETC_OPS = [
  'mount {STATE}/etc/hostname -> root:/etc/hostname',
  'mount -> root:/etc/hostname',
  'mount {STATE}/etc/hosts -> root:/etc/hosts',
  'mount -> root:/etc/hosts',
  'mount {STATE}/etc/resolv.conf -> root:/etc/resolv.conf',
  'mount -> root:/etc/resolv.conf',
  'mount /usr/share/zoneinfo/Etc/UTC -> root:/etc/localtime',
  'mount -> root:/etc/localtime',
]
// After pivot_root: runc's masked paths, then its read-only paths (bind, remount).
const LATE_OPS = [
  ...MASKED_PATHS.map(p => `mask -> strict:${p}`),
  ...READONLY_PATHS.flatMap(p => [`mount -> strict:${p}`, `mount -> strict:${p}`]),
]

t.test('op order', async t => {
  t.test('rootfs layers, /proc, /sys, /dev, [mount] entries in order, /etc binds', async t => {
    const b = build(t, [
      ...BASE,
      '[mount]',
      'entry[] = data /data none bind',
      'entry[] = tmpfs /tmp tmpfs size=1M',
      'entry[] = i2c-1 /dev/i2c-1 none bind,create=file',
    ])
    const plan = mustPlan(t, b)
    t.same(plan.native.ops.map(o => label(o, b.dir)), [
      'mount tmpfs -> {STATE}/layers',
      'mkdir -> {STATE}/layers/upper',
      'mkdir -> {STATE}/layers/work',
      'mount overlay -> {STATE}/root',
      ...API_OPS,
      ...MQUEUE_OPS,
      ...DEV_LINKS,
      'mount {DIR}/data -> root:/data',
      'mount tmpfs -> root:/tmp',
      'mount {DIR}/i2c-1 -> root:/dev/i2c-1',
      ...ETC_OPS,
      ...LATE_OPS,
    ])
    t.equal(plan.ops.length, plan.native.ops.length, 'one OpInfo per op')
    t.equal(plan.native.newRoot, ROOT)
    t.equal(plan.stateDir, STATE)
    t.equal(plan.config, b.config, 'the config rides along')
  })

  t.test('no mqueue when the ipc namespace is kept', async t => {
    const b = build(t, [...BASE, '[namespaces]', 'keep = ipc'])
    const labels = mustPlan(t, b).native.ops.map(o => label(o, b.dir))
    t.notOk(labels.some(l => l.includes('mqueue')), 'no /dev/mqueue')
    t.same(labels.slice(4, 4 + API_OPS.length + DEV_LINKS.length), [...API_OPS, ...DEV_LINKS])
  })

  t.test('the API file systems and /dev nodes', async t => {
    const b = build(t, BASE)
    const ops = mustPlan(t, b).native.ops
    const at = (target: string) => ops.find(o => o.target === target && o.kind !== 'mkdir')!
    t.match(at('/proc'), { fstype: 'proc', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, create: 'dir' })
    t.match(at('/sys'), { fstype: 'sysfs', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RDONLY, create: 'dir' })
    t.match(at('/dev'), { fstype: 'tmpfs', flags: MS.NOSUID | MS.STRICTATIME, data: 'mode=755,size=65536k', create: 'dir' })
    t.match(at('/dev/pts'), { fstype: 'devpts', data: 'newinstance,ptmxmode=0666,mode=0620,gid=5' })
    t.match(at('/dev/shm'), { fstype: 'tmpfs', source: 'shm', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC })
    t.match(at('/dev/mqueue'), { fstype: 'mqueue' })
    const nodes = ops.filter(o => o.kind === 'mknod').map(o => [path.basename(o.target), o.major, o.minor, o.mode])
    const chr = S_IFCHR | 0o666
    t.same(nodes, [
      ['null', 1, 3, chr], ['zero', 1, 5, chr], ['full', 1, 7, chr],
      ['random', 1, 8, chr], ['urandom', 1, 9, chr], ['tty', 5, 0, chr],
    ])
    t.equal(ops.find(o => o.target === '/dev/shm' && o.kind === 'mkdir')?.mode, 0o1777)
  })

  t.test('a read-only rootfs: the API mounts create no mount point', async t => {
    const b = build(t, ['[container]', 'name = c', '[rootfs]', 'path = rootfs', 'readonly = yes', '[exec]', 'cmd = /bin/sh'])
    const ops = mustPlan(t, b).native.ops
    for (const target of ['/proc', '/sys', '/dev']) {
      t.equal(ops.find(o => o.target === target)?.create, undefined, `${target} without create`)
    }
  })
})

t.test('rootfs layers', async t => {
  const cases: { name: string; rootfs: string[]; ops: string[]; data?: string; loop?: string; dirs: string[] }[] = [
    {
      name: 'directory lower and tmpfs upper',
      rootfs: ['path = rootfs'],
      ops: [
        'mount tmpfs -> {STATE}/layers',
        'mkdir -> {STATE}/layers/upper',
        'mkdir -> {STATE}/layers/work',
        'mount overlay -> {STATE}/root',
      ],
      data: 'lowerdir={DIR}/rootfs,upperdir={STATE}/layers/upper,workdir={STATE}/layers/work',
      dirs: ['{STATE}/root', '{STATE}/layers'],
    },
    {
      name: 'directory lower and a persistent upper dir',
      rootfs: ['path = rootfs', 'upper = upper'],
      ops: ['mount overlay -> {STATE}/root'],
      data: 'lowerdir={DIR}/rootfs,upperdir={DIR}/upper/root,workdir={DIR}/upper/work',
      dirs: ['{STATE}/root', '{DIR}/upper/root', '{DIR}/upper/work'],
    },
    {
      name: 'squashfs lower and tmpfs upper',
      rootfs: ['path = image.sqfs'],
      ops: [
        'mount tmpfs -> {STATE}/layers',
        'mkdir -> {STATE}/layers/upper',
        'mkdir -> {STATE}/layers/work',
        'mkdir -> {STATE}/layers/lower',
        'mount @loop -> {STATE}/layers/lower',
        'mount overlay -> {STATE}/root',
      ],
      data: 'lowerdir={STATE}/layers/lower,upperdir={STATE}/layers/upper,workdir={STATE}/layers/work',
      loop: '{DIR}/image.sqfs',
      dirs: ['{STATE}/root', '{STATE}/layers'],
    },
    {
      name: 'squashfs lower and a persistent upper dir',
      rootfs: ['path = image.sqfs', 'upper = upper'],
      ops: ['mount @loop -> {STATE}/lower', 'mount overlay -> {STATE}/root'],
      data: 'lowerdir={STATE}/lower,upperdir={DIR}/upper/root,workdir={DIR}/upper/work',
      loop: '{DIR}/image.sqfs',
      dirs: ['{STATE}/root', '{DIR}/upper/root', '{DIR}/upper/work', '{STATE}/lower'],
    },
    {
      name: 'read-only directory',
      rootfs: ['path = rootfs', 'readonly = yes'],
      ops: ['mount {DIR}/rootfs -> {STATE}/root', 'mount -> {STATE}/root'],
      dirs: ['{STATE}/root'],
    },
    {
      name: 'read-only squashfs',
      rootfs: ['path = image.sqfs', 'readonly = yes'],
      ops: ['mount @loop -> {STATE}/root'],
      loop: '{DIR}/image.sqfs',
      dirs: ['{STATE}/root'],
    },
  ]
  for (const c of cases) {
    t.test(c.name, async t => {
      const b = build(t, ['[container]', 'name = c', '[rootfs]', ...c.rootfs, '[exec]', 'cmd = /bin/sh'])
      const plan = mustPlan(t, b)
      const fill = (s: string) => s.split('{DIR}').join(b.dir).split('{STATE}').join(STATE)
      const rootfsOps = plan.native.ops.slice(0, c.ops.length)
      t.same(rootfsOps.map(o => label(o, b.dir)), c.ops)
      t.equal(plan.native.ops[c.ops.length]?.fstype, 'proc', '/proc comes right after the rootfs')
      const overlay = rootfsOps.find(o => o.fstype === 'overlay')
      t.equal(overlay?.data, c.data && fill(c.data), 'overlay options')
      t.equal(plan.native.loopImage, c.loop && fill(c.loop), 'loop image')
      t.same(plan.dirs, c.dirs.map(fill), 'host dirs to create')
      const loop = rootfsOps.find(o => o.source === '@loop')
      if (loop) t.match(loop, { fstype: 'squashfs', flags: MS.RDONLY | MS.NODEV }, 'the image is mounted read-only')
      const tmpfs = rootfsOps.find(o => o.fstype === 'tmpfs')
      if (tmpfs) t.equal(tmpfs.data, `size=${b.config.rootfs.size},mode=755`, 'tmpfs upper is capped')
      for (const [i, o] of rootfsOps.entries()) {
        t.equal(plan.ops[i]!.origin?.line, 4, `${label(o, b.dir)}: told against [rootfs] path/size`)
      }
    })
  }

  t.test('tmpfs size in the upper mount', async t => {
    const b = build(t, ['[container]', 'name = c', '[rootfs]', 'path = rootfs', 'size = 8M', '[exec]', 'cmd = /bin/sh'])
    const plan = mustPlan(t, b)
    t.equal(plan.native.ops[0]!.data, 'size=8388608,mode=755')
    t.match(plan.ops[0], { key: '[rootfs] size', origin: { line: 5 } }, 'the upper is told against size =')
    t.match(plan.ops[3], { what: 'overlay of the rootfs', key: '[rootfs] path', origin: { line: 4 } })
  })

  t.test('read-only directory: bind, then a read-only remount', async t => {
    const b = build(t, ['[container]', 'name = c', '[rootfs]', 'path = rootfs', 'readonly = yes', '[exec]', 'cmd = /bin/sh'])
    const [bind, remount] = mustPlan(t, b).native.ops
    t.match(bind, { source: path.join(b.dir, 'rootfs'), target: ROOT, flags: MS.BIND | MS.REC })
    t.match(remount, { target: ROOT, flags: MS.REMOUNT | MS.BIND | MS.RDONLY })
    t.equal(remount!.source, undefined)
  })

  t.test('overlayfs cannot take a lower dir with a comma', async t => {
    const b = build(t, ['[container]', 'name = c', '[rootfs]', 'path = a,b', '[exec]', 'cmd = /bin/sh'])
    t.equal(b.plan, undefined)
    t.same(b.errors.map(e => [path.basename(e.file), e.line]), [['c.ini', 4]])
    t.matchSnapshot(b.errors.map(e => e.message.split(b.dir).join('{DIR}')), 'error text')
  })

  t.test('a read-only rootfs may have a comma (no overlay)', async t => {
    const b = build(t, ['[container]', 'name = c', '[rootfs]', 'path = a,b', 'readonly = yes', '[exec]', 'cmd = /bin/sh'])
    mustPlan(t, b)
  })
})

t.test('[mount] entries', async t => {
  const mount = (t: Test, entries: string[], opts: Partial<PlanOptions> = {}) => {
    const b = build(t, [...BASE, '[mount]', ...entries.map(e => `entry[] = ${e}`)], opts)
    const first = BASE.length + 2 // line of the first entry
    const ops = (b.plan?.native.ops ?? []).map((o, i) => ({ o, info: b.plan!.ops[i]! })).filter(x => x.info.key === '[mount] entry')
    return { b, first, ops }
  }

  const cases: { name: string; entry: string; ops: Partial<FsOp>[] }[] = [
    { name: 'plain bind', entry: 'data /data none bind', ops: [{ fstype: undefined, flags: MS.BIND, data: undefined }] },
    { name: 'bind type', entry: 'data /data bind defaults', ops: [{ fstype: undefined, flags: MS.BIND }] },
    {
      name: 'read-only bind: a second MS_REMOUNT|MS_BIND|MS_RDONLY op',
      entry: 'data /data none bind,ro',
      ops: [{ flags: MS.BIND }, { source: undefined, flags: MS.REMOUNT | MS.BIND | MS.RDONLY }],
    },
    {
      name: 'rbind with per-mount flags',
      entry: 'data /data none rbind,ro,nosuid,nodev,noexec',
      ops: [{ flags: MS.BIND | MS.REC }, { flags: MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC }],
    },
    { name: 'bind,rw needs no remount', entry: 'data /data none bind,ro,rw', ops: [{ flags: MS.BIND }] },
    {
      name: 'propagation is its own op',
      entry: 'data /data none rbind,rslave',
      ops: [{ flags: MS.BIND | MS.REC }, { source: undefined, flags: MS.SLAVE | MS.REC }],
    },
    {
      name: 'ro and propagation: bind, remount, propagation',
      entry: 'data /data none bind,ro,private',
      ops: [{ flags: MS.BIND }, { flags: MS.REMOUNT | MS.BIND | MS.RDONLY }, { flags: MS.PRIVATE }],
    },
    {
      name: 'tmpfs with data and flags',
      entry: 'tmpfs /tmp tmpfs size=8M,mode=1777,nosuid,nodev 0 0',
      ops: [{ source: 'tmpfs', fstype: 'tmpfs', data: 'size=8M,mode=1777', flags: MS.NOSUID | MS.NODEV }],
    },
    { name: 'tmpfs without options', entry: 'tmpfs /tmp tmpfs', ops: [{ fstype: 'tmpfs', data: undefined, flags: 0 }] },
    { name: 'read-only tmpfs is one op', entry: 'tmpfs /tmp tmpfs ro', ops: [{ fstype: 'tmpfs', flags: MS.RDONLY }] },
    { name: 'create=dir', entry: 'data /data none bind,create=dir', ops: [{ create: 'dir' }] },
    { name: 'create=file', entry: 'i2c-1 /dev/i2c-1 none bind,create=file', ops: [{ create: 'file' }] },
    { name: 'no create', entry: 'data /data none bind', ops: [{ create: undefined }] },
    {
      name: 'optional and present',
      entry: 'i2c-1 /dev/i2c-1 none bind,ro,optional',
      ops: [{ optional: true }, { optional: true }],
    },
    { name: 'a relative target is under the root', entry: 'tmpfs run/x tmpfs', ops: [{ target: '/run/x' }] },
  ]
  for (const c of cases) {
    t.test(c.name, async t => {
      const { b, first, ops } = mount(t, [c.entry])
      t.same(b.errors, [])
      t.equal(ops.length, c.ops.length, 'op count')
      for (const [i, want] of c.ops.entries()) {
        const fill = { ...want }
        if (i === 0 && !('source' in want) && c.entry.includes(' bind')) fill.source = path.join(b.dir, c.entry.split(' ')[0]!)
        t.match(ops[i]?.o, fill, `op ${i}`)
        for (const [k, v] of Object.entries(fill)) if (v === undefined) t.equal(ops[i]?.o[k as keyof FsOp], undefined, `op ${i}: no ${k}`)
        t.equal(ops[i]?.info.origin?.line, first, `op ${i} is told against the entry's line`)
      }
      const target = ops[0]!.o.target
      t.ok(ops.every(x => x.o.target === target), 'every op of the entry has the same target')
    })
  }

  t.test('entries keep their order and their own lines', async t => {
    const { b, first, ops } = mount(t, [
      'tmpfs /a tmpfs',
      'data /b none bind,ro',
      'tmpfs /c tmpfs',
    ])
    t.same(
      ops.map(x => [x.o.target, x.info.origin?.line, x.info.origin?.file]),
      [
        ['/a', first, b.file],
        ['/b', first + 1, b.file],
        ['/b', first + 1, b.file],
        ['/c', first + 2, b.file],
      ],
    )
    t.same(ops.map(x => x.info.what.split(b.dir).join('{DIR}')), [
      'mount tmpfs on /a (tmpfs)',
      'mount {DIR}/data on /b (bind)',
      'mount {DIR}/data on /b (bind)',
      'mount tmpfs on /c (tmpfs)',
    ])
  })

  t.test('a missing bind source is an error at its line', async t => {
    const { b, first } = mount(t, ['tmpfs /a tmpfs', 'nope /b none bind', 'gone/x /c none rbind,ro'])
    t.equal(b.plan, undefined, 'no plan')
    t.same(b.errors.map(e => [e.file, e.line]), [[b.file, first + 1], [b.file, first + 2]])
    t.matchSnapshot(b.errors.map(e => `${path.basename(e.file)}:${e.line}: ${e.message.split(b.dir).join('{DIR}')}`), 'error text')
  })

  t.test('a missing optional bind source is skipped', async t => {
    const { b, ops } = mount(t, ['nope /b none bind,ro,optional', 'tmpfs /a tmpfs'])
    t.same(b.errors, [])
    t.same(ops.map(x => x.o.target), ['/a'], 'only the tmpfs')
  })

  t.test('exists() is asked about the resolved source', async t => {
    const asked: string[] = []
    const { b } = mount(t, ['data /b none bind', 'tmpfs /t tmpfs'], { exists: p => (asked.push(p), true) })
    t.same(asked, [path.join(b.dir, 'data')], 'only bind sources, once each')
  })

  t.test('filesystem options on a bind mount are errors', async t => {
    const { b, first } = mount(t, ['data /b none bind,size=1M,mode=755'])
    t.equal(b.plan, undefined)
    t.same(b.errors.map(e => e.line), [first, first])
    t.matchSnapshot(b.errors.map(e => e.message), 'error text')
  })
})

t.test('/etc files', async t => {
  const etc = (plan: LaunchPlan) =>
    plan.native.ops
      .map((o, i) => ({ o, info: plan.ops[i]! }))
      .filter(x => x.o.target.startsWith('/etc/'))

  t.test('writable rootfs: created if missing, bound read-only', async t => {
    const b = build(t, [...BASE.slice(0, 2), 'hostname = box', ...BASE.slice(2), '[net]', 'dns[] = 192.0.2.53', 'hosts[] = 192.0.2.10 gw'])
    const plan = mustPlan(t, b)
    const ops = etc(plan)
    t.same(ops.map(x => label(x.o, b.dir)), ETC_OPS)
    for (const [i, { o }] of ops.entries()) {
      if (i % 2 === 0) t.match(o, { kind: 'mount', flags: MS.BIND, create: 'file', optional: false })
      else t.match(o, { kind: 'mount', flags: MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, optional: false })
    }
    t.same(
      ops.filter((_, i) => i % 2 === 0).map(x => [x.info.key, x.info.origin?.line]),
      [
        ['[container] hostname', 3],
        ['[net] hosts', 10],
        ['[net] resolv_conf', 9],
        ['[container] localtime', undefined],
      ],
      'keys and lines',
    )
    t.same(
      plan.etcFiles.map(f => f.hostPath),
      [`${STATE}/etc/hostname`, `${STATE}/etc/hosts`, `${STATE}/etc/resolv.conf`],
      'files lite writes',
    )
    t.equal(plan.etcFiles[2]!.content, 'nameserver 192.0.2.53\n')
  })

  t.test('read-only rootfs: optional and without create', async t => {
    const b = build(t, ['[container]', 'name = c', '[rootfs]', 'path = rootfs', 'readonly = yes', '[exec]', 'cmd = /bin/sh'])
    const ops = etc(mustPlan(t, b))
    t.equal(ops.length, 8)
    for (const { o } of ops) {
      t.equal(o.optional, true, `${label(o, b.dir)} optional`)
      t.equal(o.create, undefined, `${label(o, b.dir)} without create`)
    }
  })

  const resolvCases: { name: string; net: string[]; host?: HostFacts; source?: string; line?: number }[] = [
    { name: 'host resolv.conf is copied', net: [], source: '{STATE}/etc/resolv.conf' },
    { name: 'unreadable host resolv.conf: the rootfs keeps its own', net: [], host: { resolvConf: null, localtime: null, hostname: 'host-machine' } },
    { name: 'resolv_conf = rootfs', net: ['resolv_conf = rootfs'] },
    { name: 'resolv_conf = a file is bound as is', net: ['resolv_conf = resolv.conf'], source: '{DIR}/resolv.conf', line: 8 },
    { name: 'dns[] generates one', net: ['dns[] = 192.0.2.53'], source: '{STATE}/etc/resolv.conf', line: 8 },
  ]
  for (const c of resolvCases) {
    t.test(c.name, async t => {
      const b = build(t, [...BASE, '[net]', ...c.net], { host: c.host })
      const bind = etc(mustPlan(t, b)).find(x => x.o.target === '/etc/resolv.conf' && x.o.source)
      t.equal(bind?.o.source, c.source?.split('{DIR}').join(b.dir).split('{STATE}').join(STATE))
      t.equal(bind?.info.origin?.line, c.line, 'told against the [net] line')
    })
  }

  t.test('localtime', async t => {
    for (const [localtime, host, want] of [
      ['host', '/usr/share/zoneinfo/Etc/UTC', '/usr/share/zoneinfo/Etc/UTC'],
      ['host', null, undefined],
      ['none', '/usr/share/zoneinfo/Etc/UTC', undefined],
    ] as const) {
      const b = build(t, [...BASE.slice(0, 2), `localtime = ${localtime}`, ...BASE.slice(2)], { host: { resolvConf: null, localtime: host, hostname: 'host-machine' } })
      const bind = etc(mustPlan(t, b)).find(x => x.o.target === '/etc/localtime' && x.o.source)
      t.equal(bind?.o.source, want, `localtime = ${localtime}, host has ${host}`)
      if (want) t.equal(bind?.info.origin?.line, 3)
    }
  })
})

t.test('namespaces and hostname', async t => {
  const cases: { name: string; lines: string[]; ns: string[]; hostname?: string; lo: boolean }[] = [
    { name: 'all new by default', lines: [], ns: ['mount', 'pid', 'uts', 'ipc', 'cgroup', 'net'], hostname: 'c', lo: true },
    { name: 'keep ipc cgroup', lines: ['[namespaces]', 'keep = ipc cgroup'], ns: ['mount', 'pid', 'uts', 'net'], hostname: 'c', lo: true },
    { name: 'keep uts: no hostname', lines: ['[namespaces]', 'keep = uts'], ns: ['mount', 'pid', 'ipc', 'cgroup', 'net'], lo: true },
    { name: 'net type host', lines: ['[net]', 'type = host'], ns: ['mount', 'pid', 'uts', 'ipc', 'cgroup'], hostname: 'c', lo: false },
    { name: 'explicit net type none', lines: ['[net]', 'type = none'], ns: ['mount', 'pid', 'uts', 'ipc', 'cgroup', 'net'], hostname: 'c', lo: true },
  ]
  for (const c of cases) {
    t.test(c.name, async t => {
      const plan = mustPlan(t, build(t, [...BASE, ...c.lines]))
      t.same(plan.native.namespaces, c.ns)
      t.equal(plan.native.hostname, c.hostname)
      t.equal(plan.native.loopbackUp, c.lo)
    })
  }

  t.test('a set hostname', async t => {
    const plan = mustPlan(t, build(t, [...BASE.slice(0, 2), 'hostname = box', ...BASE.slice(2)]))
    t.equal(plan.native.hostname, 'box')
  })

  t.test('keep uts: the container does not claim the container name as its host name', async t => {
    // The uts namespace is the host's, so the host name inside is the host's; a
    // HOSTNAME= and an /etc/hostname with the container name contradict it.
    const plan = mustPlan(t, build(t, [...BASE, '[namespaces]', 'keep = uts']))
    t.notOk(plan.native.env.includes('HOSTNAME=c'), 'no HOSTNAME=<container name>')
    t.notOk(plan.etcFiles.some(f => f.hostPath.endsWith('/hostname')), 'no /etc/hostname with the container name')
  })
})

t.test('the process', async t => {
  t.test('env: HOSTNAME, and TERM with a tty, each unless set', async t => {
    const cases: { name: string; env: string[]; tty: boolean; want: string[] }[] = [
      { name: 'defaults', env: [], tty: false, want: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/', 'HOSTNAME=c'] },
      { name: 'tty', env: [], tty: true, want: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/', 'HOSTNAME=c', 'TERM=xterm'] },
      { name: 'both set', env: ['HOSTNAME=me', 'TERM=vt100'], tty: true, want: ['HOSTNAME=me', 'TERM=vt100', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/'] },
      { name: 'TERM set without tty', env: ['TERM=dumb', 'PATH=/bin'], tty: false, want: ['TERM=dumb', 'PATH=/bin', 'HOME=/', 'HOSTNAME=c'] },
    ]
    for (const c of cases) {
      const plan = mustPlan(t, build(t, [...BASE, ...c.env.map(e => `env[] = ${e}`)], { tty: c.tty }))
      t.same(plan.native.env, c.want, c.name)
      t.equal(plan.native.tty, c.tty)
    }
  })

  t.test('the config env is not changed', async t => {
    const b = build(t, BASE, { tty: true })
    t.notOk(b.config.exec.env.some(e => e.startsWith('HOSTNAME=') || e.startsWith('TERM=')))
  })

  t.test('exec candidates', async t => {
    const cases: { name: string; lines: string[]; cmd: string[]; want: string[] }[] = [
      { name: 'absolute', lines: [], cmd: ['/bin/sh'], want: ['/bin/sh'] },
      { name: 'default PATH', lines: [], cmd: ['sh'], want: ['/usr/local/sbin/sh', '/usr/local/bin/sh', '/usr/sbin/sh', '/usr/bin/sh', '/sbin/sh', '/bin/sh'] },
      { name: 'env[] PATH', lines: ['env[] = PATH=/opt/bin:/bin'], cmd: ['app'], want: ['/opt/bin/app', '/bin/app'] },
      { name: 'relative with a slash, against cwd', lines: ['cwd = /app'], cmd: ['./run', 'x'], want: ['/app/run'] },
    ]
    for (const c of cases) {
      const plan = mustPlan(t, build(t, [...BASE, ...c.lines], { overrides: { cmd: c.cmd } }))
      t.same(plan.native.execCandidates, c.want, c.name)
      t.same(plan.native.argv, c.cmd, `${c.name}: argv`)
    }
  })

  t.test('no command', async t => {
    const b = build(t, BASE)
    b.config.exec.cmd = []
    const planned = buildPlan(b.config, HOST, { stateDir: STATE, tty: false, interactive: false, exists: () => true })
    t.equal(planned.plan, undefined)
    t.same(planned.errors, [{ file: b.file, line: 6, message: 'no command: set [exec] cmd or give one after --' }])
  })

  t.test('an empty program name is refused at its line', async t => {
    const b = build(t, [...BASE.slice(0, 5), 'cmd = "" -x'])
    t.same(b.config.exec.cmd, ['', '-x'], 'the config keeps the empty word')
    t.equal(b.plan, undefined, 'no plan')
    t.same(b.errors.map(e => e.line), [6], 'an error at the cmd line')
  })

  t.test('Docker\'s 14 capabilities', async t => {
    const plan = mustPlan(t, build(t, BASE))
    // CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE
    // NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP (the kernel's order)
    t.same(plan.native.caps, [0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31])
    t.equal(plan.native.noNewPrivs, true)
  })

  t.test('rlimits by RLIMIT number, in config order', async t => {
    const plan = mustPlan(t, build(t, [...BASE, '[limits]', 'nofile = 1024:4096', 'core = 0', 'stack = unlimited', 'nproc = 100:unlimited', 'oom_score_adj = -500']))
    t.same(plan.native.rlimits, [
      { resource: 7, soft: 1024, hard: 4096 },
      { resource: 4, soft: 0, hard: 0 },
      { resource: 3, soft: -1, hard: -1 },
      { resource: 6, soft: 100, hard: -1 },
    ])
    t.equal(plan.native.oomScoreAdj, -500)
    t.equal(mustPlan(t, build(t, BASE)).native.oomScoreAdj, undefined, 'oom_score_adj unset')
  })

  t.test('an rlimit the table does not know', async t => {
    const b = build(t, [...BASE, '[limits]', 'nofile = 10'])
    b.config.limits.rlimits[0]!.resource = 'bogus'
    const planned = buildPlan(b.config, HOST, { stateDir: STATE, tty: false, interactive: false, exists: () => true })
    t.same(planned.errors, [{ file: b.file, line: 8, message: '[limits] bogus: unknown resource' }])
  })

  t.test('user, groups, cwd, init, stdin', async t => {
    const plan = mustPlan(
      t,
      build(t, [...BASE, 'user = 1000:1001', 'groups = 20 44', 'cwd = /app', 'init = yes'], { tty: true, interactive: true }),
    )
    t.match(plan.native, { uid: 1000, gid: 1001, groups: [20, 44], cwd: '/app', stubInit: true, tty: true, stdin: true })
    const plain = mustPlan(t, build(t, BASE))
    t.match(plain.native, { uid: 0, gid: 0, groups: [], cwd: '/', stubInit: false, tty: false, stdin: false })
  })
})

t.test('the whole native plan of a full config', async t => {
  const b = build(
    t,
    [
      '[container]',
      'name = sensor',
      'hostname = box',
      '[rootfs]',
      'path = image.sqfs',
      'size = 4M',
      '[exec]',
      'cmd = app --port 8080',
      'env[] = PATH=/usr/bin:/bin',
      'cwd = /srv',
      'user = 1000',
      'groups = 20',
      'init = yes',
      '[mount]',
      'entry[] = data /data none bind,create=dir',
      'entry[] = i2c-1 /dev/i2c-1 none bind,ro,optional,create=file',
      'entry[] = tmpfs /tmp tmpfs size=8M,mode=1777,nosuid,nodev',
      '[namespaces]',
      'keep = ipc',
      '[net]',
      'dns[] = 192.0.2.53',
      'hosts[] = 192.0.2.10 gw',
      '[limits]',
      'nofile = 1024:4096',
      'oom_score_adj = 100',
    ],
    { tty: true, interactive: true, stateDir: '/run/lite/sensor', arch: 'x64', kernel: '6.1.0' },
  )
  const plan = mustPlan(t, b)
  const placeholder = (v: unknown) => JSON.parse(JSON.stringify(v).split(b.dir).join('{DIR}'))
  // The seccomp rules come from the build's profile (tested in seccomp-profile.test.ts).
  const seccomp = plan.native.seccomp && { ...plan.native.seccomp, rules: `${plan.native.seccomp.rules.length} rules` }
  t.matchSnapshot(placeholder({ ...plan.native, seccomp }), 'native plan')
  t.matchSnapshot(placeholder(plan.ops.map(o => `${o.key ?? '-'} line ${o.origin?.line ?? '-'}: ${o.what}`)), 'what each op is for')
  t.matchSnapshot(placeholder(plan.etcFiles), '/etc files')
})

t.test('[security] and [sysctl]', async t => {
  const x64 = { arch: 'x64', kernel: '6.1.0-18-amd64' }
  t.test('cap.keep and cap.drop become cap numbers; no_new_privs', async t => {
    const keep = mustPlan(t, build(t, [...BASE, '[security]', 'cap.keep = net_bind_service CAP_CHOWN', 'no_new_privs = no'], x64))
    t.same(keep.native.caps, [0, 10])
    t.equal(keep.native.noNewPrivs, false)
    const drop = mustPlan(t, build(t, [...BASE, '[security]', 'cap.drop = ALL'], x64))
    t.same(drop.native.caps, [])
  })

  t.test('sysctls are written after pivot_root, before the masks, at their lines', async t => {
    const b = build(t, [...BASE, '[sysctl]', 'net.ipv4.ip_forward = 1', 'kernel.sem = 250 32000 100 128'], x64)
    const plan = mustPlan(t, b)
    const first = plan.native.ops.findIndex(o => o.afterPivot)
    t.ok(plan.native.ops.slice(first).every(o => o.afterPivot), 'the late ops come last')
    t.same(plan.native.ops.slice(first, first + 2), [
      { kind: 'write', resolve: 'strict', target: '/proc/sys/net/ipv4/ip_forward', data: '1', flags: 0, optional: false, mode: 0, major: 0, minor: 0, afterPivot: true },
      { kind: 'write', resolve: 'strict', target: '/proc/sys/kernel/sem', data: '250 32000 100 128', flags: 0, optional: false, mode: 0, major: 0, minor: 0, afterPivot: true },
    ])
    t.same(plan.ops.slice(first, first + 2).map(o => [o.key, o.origin?.line]), [['[sysctl] net.ipv4.ip_forward', 8], ['[sysctl] kernel.sem', 9]])
    t.equal(plan.native.ops[first + 2]?.kind, 'mask')
    const ro = plan.native.ops.filter(o => o.target === '/proc/sys')
    t.same(ro.map(o => o.flags), [MS.BIND | MS.REC, MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC])
    t.ok(ro.every(o => o.optional), 'skipped where the kernel lacks the path')
  })

  t.test('seccomp: the default profile resolved for the arch and caps; unconfined; a file', async t => {
    const plan = mustPlan(t, build(t, BASE, x64))
    const s = plan.native.seccomp!
    t.equal(s.arch, 'x86_64')
    t.equal(s.defaultAction, 'errno')
    const names = (action: string) => new Set(s.rules.filter(r => r.action === action && r.args.length === 0).flatMap(r => r.names))
    t.ok(names('allow').has('arch_prctl'), 'amd64-only rules apply')
    t.notOk(names('allow').has('breakpoint'), 'arm64-only rules do not')
    t.notOk(names('allow').has('mount'), 'no CAP_SYS_ADMIN rules')
    t.ok(names('errno').has('clone3'), 'clone3 -> ENOSYS without CAP_SYS_ADMIN')

    const arm = mustPlan(t, build(t, BASE, { arch: 'arm64', kernel: '6.1.0' })).native.seccomp!
    t.equal(arm.arch, 'aarch64')
    t.ok(arm.rules.some(r => r.names.includes('breakpoint')))

    const admin = mustPlan(t, build(t, [...BASE, '[security]', 'cap.keep = SYS_ADMIN'], x64)).native.seccomp!
    t.ok(admin.rules.some(r => r.names.includes('mount') && r.action === 'allow'))

    t.equal(mustPlan(t, build(t, [...BASE, '[security]', 'seccomp = unconfined'], x64)).native.seccomp, undefined)

  })

  t.test('a profile file is read at validation time', async t => {
    const dir = t.testdir({
      'p.json': JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['keyctl'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }] }),
      rootfs: {},
    })
    const { config, errors } = validateText([...BASE, '[security]', 'seccomp = p.json'].join('\n') + '\n', path.join(dir, 'c.ini'))
    t.same(errors, [])
    const planned = buildPlan(config!, HOST, { stateDir: STATE, tty: false, interactive: false, exists: fs.existsSync, ...x64 })
    t.same(planned.plan?.native.seccomp, { arch: 'x86_64', defaultAction: 'allow', rules: [{ names: ['keyctl'], action: 'errno', errnoRet: 38, args: [] }] })
  })

  t.test('an arch without seccomp support is an error that says how to go on', async t => {
    const b = build(t, [...BASE, '[security]', 'seccomp = default'], { arch: 'riscv64' })
    t.equal(b.plan, undefined)
    t.match(b.errors[0]?.message, /no seccomp support for riscv64; set seccomp = unconfined/)
    t.equal(b.errors[0]?.line, 8)
  })
})

t.test('CAP_MKNOD only where a device cgroup can confine the nodes it makes', async t => {
  const v1 = (controllers: string[]): CgroupLayout => ({
    mode: 'v1',
    unified: undefined,
    controllers: controllers.map(c => ({ controller: c, version: 1, mountPoint: `/sys/fs/cgroup/${c}` })),
    hierarchies: controllers.map(c => ({ version: 1, mountPoint: `/sys/fs/cgroup/${c}`, options: [c] })),
  })
  const none: CgroupLayout = { mode: 'none', unified: undefined, controllers: [], hierarchies: [] }
  const v2: CgroupLayout = { mode: 'v2', unified: '/sys/fs/cgroup', controllers: [], hierarchies: [{ version: 2, mountPoint: '/sys/fs/cgroup', options: [] }] }
  const mknod = (layout: CgroupLayout) => {
    const b = build(t, BASE, { host: { ...HOST, cgroups: { layout, hasFile: () => true } } })
    return mustPlan(t, b).native.caps.includes(CAP.MKNOD)
  }
  t.equal(hasDeviceControl(none), false)
  t.equal(mknod(none), false, 'no cgroups at all: dropped')
  t.equal(mknod(v1(['memory', 'pids'])), false, 'v1 without the devices controller: dropped')
  t.equal(mknod(v1(['memory', 'devices'])), true, 'v1 devices controller: kept')
  t.equal(mknod(v2), true, 'cgroup2: the BPF device program confines it')
})

t.test('[user] map: a user namespace, an id-mapped lower, and no step that needs host privileges', async t => {
  const labels = (b: Built) => mustPlan(t, b).native.ops.map((o) => `${label(o, b.dir)}${o.idmap ? ' (idmap)' : ''}`)
  const mapped = [...BASE, '[user]', 'map = 0:100000:65536']

  const dir = build(t, mapped)
  const plan = mustPlan(t, dir)
  t.ok(plan.native.namespaces.includes('user'), 'a new user namespace')
  t.equal(plan.native.userNs, undefined, 'the maps are resolved at every run, not planned')
  const ops = labels(dir)
  t.same(ops.slice(0, 5), [
    'mount tmpfs -> {STATE}/layers',
    'mkdir -> {STATE}/layers/upper',
    'mkdir -> {STATE}/layers/work',
    'mkdir -> {STATE}/layers/lower',
    'mount {DIR}/rootfs -> {STATE}/layers/lower (idmap)',
  ], 'the directory lower is bound id-mapped under the overlay')
  t.match(plan.native.ops[5]!.data, /^lowerdir=\/run\/lite\/c\/layers\/lower,/)
  t.notOk(ops.some((o) => o.startsWith('mknod')), 'no mknod inside a user namespace')
  t.ok(ops.includes('mount /dev/null -> strict:/dev/null'), '/dev/null is the host\'s, bound')
  t.ok(ops.includes('mount sysfs -> strict:/sys'), 'sysfs: the container owns its netns')

  const image = labels(build(t, [...mapped.slice(0, 3), 'path = image.sqfs', ...mapped.slice(4), '[net]', 'type = host']))
  t.ok(image.includes('mount @loop -> {STATE}/layers/lower (idmap)'), 'the image lower is id-mapped')
  t.ok(image.includes('mount /sys -> strict:/sys'), 'host network: /sys is the host\'s, bound')
  t.notOk(image.includes('mount sysfs -> strict:/sys'))

  const readonly = labels(build(t, [...mapped, '[rootfs]', 'readonly = yes']))
  t.same(readonly.slice(0, 2), ['mount {DIR}/rootfs -> {STATE}/root (idmap)', 'mount -> {STATE}/root'])

  const layout: CgroupLayout = {
    mode: 'hybrid',
    hierarchies: [
      { version: 1, mountPoint: '/sys/fs/cgroup/memory', options: ['memory'] },
      { version: 2, mountPoint: '/sys/fs/cgroup/unified', options: [] },
    ],
    controllers: [{ controller: 'memory', hierarchy: 0 }],
  } as unknown as CgroupLayout
  const cgroups = labels(build(t, mapped, { host: { ...HOST, cgroups: { layout } } as HostFacts }))
  t.ok(cgroups.includes('mount /sys/fs/cgroup/memory/lite/c -> strict:/sys/fs/cgroup/memory'), 'v1: its own cgroup bound, not mounted')
  t.notOk(cgroups.some((o) => o.startsWith('mount cgroup ')), cgroups.join('\n'))
})

t.test('rootless: a user namespace always, nothing id-mapped, and what needs root refused at its line', async (t) => {
  const plain = mustPlan(t, build(t, BASE, { rootless: true }))
  t.ok(plain.native.namespaces.includes('user'), 'a user namespace without [user]')
  t.notOk(plain.native.ops.some((o) => o.idmap), 'nothing id-mapped: the user\'s directory is bound as it is')
  t.notOk(plain.native.ops.some((o) => o.kind === 'mknod'))
  t.equal(plain.native.ops.find((o) => o.fstype === 'devpts')?.data, 'newinstance,ptmxmode=0666,mode=0620', 'no tty group: only root is mapped')
  t.match(plain.native.ops.find((o) => o.fstype === 'overlay')?.data, /^lowerdir=.*\/rootfs,/, 'the directory is the lower as it is')

  // As a user, the host facts have cgroups only in a delegated v2 subtree (none here).
  const userHost = { ...HOST, cgroups: undefined, noCgroupsWhy: 'this host\'s cgroups are v1' }
  const refused = (lines: string[], host: HostFacts = userHost) => build(t, lines, { rootless: true, host }).errors.map((e) => `${e.line}: ${e.message}`)
  t.match(refused([...BASE.slice(0, 3), 'path = image.sqfs', ...BASE.slice(4)]), [/^4: \[rootfs\] path: a squashfs image needs a loop device/])
  t.match(refused([...BASE, '[resources]', 'memory = 64M']), [/^8: \[resources\] memory: lite as a user \(uid \d+\) has no cgroup of its own: this host's cgroups are v1; so limits can't be set/])
  const delegated: HostFacts = {
    ...HOST,
    cgroups: {
      layout: { mode: 'v2', unified: '/sys/fs/cgroup/u', controllers: [{ controller: 'memory', version: 2, mountPoint: '/sys/fs/cgroup/u' }], hierarchies: [{ version: 2, mountPoint: '/sys/fs/cgroup/u', options: ['memory'] }], delegated: true },
      hasFile: () => true,
    },
  }
  t.same(refused([...BASE, '[resources]', 'memory = 64M'], delegated), [], 'with a delegated subtree, limits are set')
  t.match(refused([...BASE, '[net]', 'type = bridge']), [/^8: \[net\] type: bridge needs root/])
  // Ids are checked at each run, against the user's ranges then (userns/run-map.ts).
  t.same(refused([...BASE, '[user]', 'map = auto']), [])
})
