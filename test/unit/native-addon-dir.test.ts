import fs from 'node:fs'
import t, { type Test } from 'tap'
import { parseMountInfo } from '../../runtime/host/mountinfo.ts'
import type * as AddonDir from '../../runtime/native/addon-dir.ts'

t.test('addonDirCandidates: BUN_TMPDIR, TMPDIR, /run/lite (root) or XDG_RUNTIME_DIR (a user), /tmp, /dev/shm', async t => {
  const { addonDirCandidates } = await import('../../runtime/native/addon-dir.ts')
  const cases: [string, NodeJS.ProcessEnv, number, string[]][] = [
    ['nothing set, not root', {}, 1000, ['/tmp', '/dev/shm']],
    ['nothing set, root', {}, 0, ['/run/lite', '/tmp', '/dev/shm']],
    ['both set', { BUN_TMPDIR: '/b', TMPDIR: '/t' }, 1000, ['/b', '/t', '/tmp', '/dev/shm']],
    ['both set, root', { BUN_TMPDIR: '/b', TMPDIR: '/t' }, 0, ['/b', '/t', '/run/lite', '/tmp', '/dev/shm']],
    ['relative paths are ignored', { BUN_TMPDIR: 'rel', TMPDIR: './x' }, 1000, ['/tmp', '/dev/shm']],
    ['empty values are ignored', { BUN_TMPDIR: '', TMPDIR: '' }, 0, ['/run/lite', '/tmp', '/dev/shm']],
    ['duplicates dropped, first place kept', { BUN_TMPDIR: '/tmp', TMPDIR: '/tmp' }, 0, ['/tmp', '/run/lite', '/dev/shm']],
    ['TMPDIR=/dev/shm comes first', { TMPDIR: '/dev/shm' }, 1000, ['/dev/shm', '/tmp']],
    ['a user\'s runtime dir before the shared ones', { XDG_RUNTIME_DIR: '/run/user/1000' }, 1000, ['/run/user/1000', '/tmp', '/dev/shm']],
    ['root keeps /run/lite', { XDG_RUNTIME_DIR: '/run/user/0' }, 0, ['/run/lite', '/tmp', '/dev/shm']],
  ]
  const { addonFileName } = await import('../../runtime/native/addon-dir.ts')
  t.equal(addonFileName('/tmp', 'abc', 1000), '/tmp/.lite-abc.1000.node', 'a file per user in a shared dir')
  for (const [name, env, euid, want] of cases) t.same(addonDirCandidates(env, euid), want, name)
})

/**
 * addon-dir.ts with the system directories (/run/lite, /tmp, /dev/shm) moved into a
 * testdir, so that nothing outside it is created or looked at.
 */
async function sandbox(t: Test) {
  const dir = t.testdir({
    bun: {},
    tmpdir: {},
    noexec: { sub: {} },
    ro: {},
    tmp: {},
    shm: {},
    run: {},
    file: '#!/bin/sh\n',
  })
  fs.chmodSync(`${dir}/file`, 0o755)
  fs.symlinkSync(`${dir}/noexec/sub`, `${dir}/link-to-noexec`)
  const moved: Record<string, string> = { '/run/lite': `${dir}/run/lite`, '/tmp': `${dir}/tmp`, '/dev/shm': `${dir}/shm` }
  const map = (p: fs.PathLike) => moved[String(p)] ?? String(p)
  const created: string[] = []
  const mod = await t.mockImport<typeof AddonDir>('../../runtime/native/addon-dir.ts', {
    'node:fs': {
      ...fs,
      mkdirSync: (p: fs.PathLike, o?: fs.MakeDirectoryOptions) => {
        created.push(String(p))
        return fs.mkdirSync(map(p), o)
      },
      realpathSync: (p: fs.PathLike) => fs.realpathSync(map(p)),
      accessSync: (p: fs.PathLike, mode?: number) => fs.accessSync(map(p), mode),
    },
  })
  /** A mountinfo where `noexec` is noexec, `ro` is read-only and the rest is fine. */
  const mountinfo = (extra: string[] = []) =>
    parseMountInfo(
      [
        '1 0 8:1 / / rw,relatime - ext4 /dev/root rw',
        `2 1 0:40 / ${dir}/noexec rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw`,
        `3 1 0:41 / ${dir}/ro ro,relatime - tmpfs tmpfs ro`,
        ...extra,
      ].join('\n'),
    )
  const hide = (s: unknown) => JSON.parse(JSON.stringify(s).split(dir).join('{DIR}'))
  return { dir, mod, mountinfo, created, hide }
}

t.test('pickAddonDir', async t => {
  t.test('BUN_TMPDIR first', async t => {
    const { dir, mod, mountinfo } = await sandbox(t)
    const got = mod.pickAddonDir({ BUN_TMPDIR: `${dir}/bun`, TMPDIR: `${dir}/tmpdir` }, 1000, mountinfo())
    t.same(got, { dir: `${dir}/bun`, checks: [{ dir: `${dir}/bun`, ok: true }] })
  })

  t.test('TMPDIR when BUN_TMPDIR is unset', async t => {
    const { dir, mod, mountinfo } = await sandbox(t)
    t.equal(mod.pickAddonDir({ TMPDIR: `${dir}/tmpdir` }, 1000, mountinfo()).dir, `${dir}/tmpdir`)
  })

  t.test('a noexec and a read-only mount are passed over', async t => {
    const { dir, mod, mountinfo, hide } = await sandbox(t)
    const got = mod.pickAddonDir({ BUN_TMPDIR: `${dir}/noexec`, TMPDIR: `${dir}/ro` }, 1000, mountinfo())
    t.equal(got.dir, '/tmp', 'then /tmp')
    t.same(hide(got.checks), [
      { dir: '{DIR}/noexec', ok: false, why: 'mounted noexec ({DIR}/noexec)' },
      { dir: '{DIR}/ro', ok: false, why: 'mounted read-only ({DIR}/ro)' },
      { dir: '/tmp', ok: true },
    ])
  })

  t.test('the mount is found from the real path (a symlink into a noexec mount)', async t => {
    const { dir, mod, mountinfo, hide } = await sandbox(t)
    const got = mod.pickAddonDir({ BUN_TMPDIR: `${dir}/link-to-noexec` }, 1000, mountinfo())
    t.same(hide(got.checks[0]), { dir: '{DIR}/link-to-noexec', ok: false, why: 'mounted noexec ({DIR}/noexec)' })
    t.equal(got.dir, '/tmp')
  })

  t.test('root: /run/lite is created and used before /tmp', async t => {
    const { dir, mod, mountinfo, created } = await sandbox(t)
    const got = mod.pickAddonDir({ BUN_TMPDIR: `${dir}/noexec` }, 0, mountinfo())
    t.equal(got.dir, '/run/lite')
    t.same(created, ['/run/lite'], 'only /run/lite is created')
    t.ok(fs.statSync(`${dir}/run/lite`).isDirectory())
    t.equal(fs.statSync(`${dir}/run/lite`).mode & 0o777, 0o700, 'mode 0700')
  })

  t.test('not root: /run/lite is never tried nor created', async t => {
    const { mod, mountinfo, created } = await sandbox(t)
    const got = mod.pickAddonDir({}, 1000, mountinfo())
    t.equal(got.dir, '/tmp')
    t.same(created, [])
  })

  t.test('/dev/shm last', async t => {
    const { dir, mod, mountinfo } = await sandbox(t)
    const mounts = mountinfo([`4 1 0:42 / ${dir}/tmp rw,noexec - tmpfs tmpfs rw`])
    const got = mod.pickAddonDir({}, 1000, mounts)
    t.equal(got.dir, '/dev/shm')
    t.same(got.checks.map(c => c.dir), ['/tmp', '/dev/shm'])
  })

  t.test('nowhere to go: every reason, and what to do', async t => {
    const { dir, mod, mountinfo, hide } = await sandbox(t)
    const mounts = mountinfo([
      `4 1 0:42 / ${dir}/tmp rw,noexec - tmpfs tmpfs rw`,
      `5 1 0:43 / ${dir}/shm ro,nosuid - tmpfs shm ro`,
      `6 1 0:44 / ${dir}/run rw,nosuid,nodev,noexec - tmpfs run rw`,
    ])
    const got = mod.pickAddonDir({ BUN_TMPDIR: `${dir}/missing`, TMPDIR: `${dir}/ro` }, 0, mounts)
    t.equal(got.dir, undefined)
    t.same(hide(got.checks), [
      { dir: '{DIR}/missing', ok: false, why: 'does not exist' },
      { dir: '{DIR}/ro', ok: false, why: 'mounted read-only ({DIR}/ro)' },
      { dir: '/run/lite', ok: false, why: 'mounted noexec ({DIR}/run)' },
      { dir: '/tmp', ok: false, why: 'mounted noexec ({DIR}/tmp)' },
      { dir: '/dev/shm', ok: false, why: 'mounted read-only ({DIR}/shm)' },
    ])
    t.matchSnapshot(hide(mod.noAddonDirMessage(got.checks)), 'message')
  })

  t.test('a directory that is not writable', { skip: process.geteuid?.() === 0 ? 'root may write anywhere' : false }, async t => {
    const { dir, mod, mountinfo } = await sandbox(t)
    fs.chmodSync(`${dir}/bun`, 0o500)
    t.teardown(() => fs.chmodSync(`${dir}/bun`, 0o755))
    t.match(mod.pickAddonDir({ BUN_TMPDIR: `${dir}/bun` }, 1000, mountinfo()).checks[0], { ok: false, why: 'not writable' })
  })

  t.test('a regular file is not a directory', async t => {
    // access(W_OK|X_OK) passes for an executable file the user owns, so a TMPDIR that
    // names a file is picked, and the unpack then fails with ENOTDIR instead of moving
    // on to /tmp.
    const { dir, mod, mountinfo } = await sandbox(t)
    const got = mod.pickAddonDir({ BUN_TMPDIR: `${dir}/file` }, 1000, mountinfo())
    t.equal(got.checks[0]?.ok, false, 'the file is refused')
    t.equal(got.dir, '/tmp', '/tmp is used instead')
  })
})

t.test('noAddonDirMessage', async t => {
  const { noAddonDirMessage } = await import('../../runtime/native/addon-dir.ts')
  const msg = noAddonDirMessage([
    { dir: '/tmp', ok: false, why: 'mounted noexec (/tmp)' },
    { dir: '/dev/shm', ok: false, why: 'does not exist' },
  ])
  t.match(msg, /set BUN_TMPDIR to a writable directory on a mount without noexec/, 'says how to fix it')
  t.matchSnapshot(msg)
})

t.test('removeStaleUnpacks: the temp files of dead unpacks go, nothing else', async t => {
  const { removeStaleUnpacks, unpackTempName } = await import('../../runtime/native/addon-dir.ts')
  const euid = process.geteuid?.() ?? 0
  const dir = t.testdir({
    '.lite-abc.node': 'the addon',
    '.lite-abc.node.111.tmp': 'half of an unpack killed with -9',
    '.lite-old.node.222.tmp': 'an older build, also killed',
    '.lite-abc.node.333.tmp': 'a live unpack',
    [`.lite-abc.node.${process.pid}.tmp`]: 'from a reused pid: ours is not written yet',
    '.lite-abc.node.444.tmp.keep': 'not the pattern',
    'other.node.555.tmp': 'not ours',
    '.lite-dir.node.666.tmp': {},
  })
  const alive = (pid: number) => pid === 333 || pid === process.pid
  const removed = removeStaleUnpacks(dir, euid, alive).map(p => p.slice(dir.length + 1)).sort()
  t.same(removed, [`.lite-abc.node.${process.pid}.tmp`, '.lite-abc.node.111.tmp', '.lite-old.node.222.tmp'].sort())
  t.same(fs.readdirSync(dir).sort(), ['.lite-abc.node', '.lite-abc.node.333.tmp', '.lite-abc.node.444.tmp.keep', '.lite-dir.node.666.tmp', 'other.node.555.tmp'].sort())
  t.same(removeStaleUnpacks(dir, euid + 1, () => false).filter(p => p.endsWith('333.tmp')), [], 'another owner\'s file is not touched')
  t.same(removeStaleUnpacks(`${dir}/missing`, euid), [], 'no dir: nothing to do')
  t.equal(unpackTempName('/run/lite/.lite-abc.node', 42), '/run/lite/.lite-abc.node.42.tmp', 'the name an unpack writes matches')
})
