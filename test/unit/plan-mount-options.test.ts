import t from 'tap'
import { MS } from '../../runtime/plan/linux.ts'
import { isBind, mountFlags, type MountFlags } from '../../runtime/plan/mount-options.ts'

const opts = (s: string) => (s === '' ? [] : s.split(','))
const none: MountFlags = { flags: 0, data: '', remountFlags: 0, propagation: 0, errors: [] }

t.test('isBind', async t => {
  const cases: [string, string, boolean][] = [
    ['bind', '', true],
    ['none', 'bind', true],
    ['none', 'rbind', true],
    ['none', 'ro,rbind', true],
    ['bind', 'ro', true],
    ['none', 'ro', false],
    ['tmpfs', 'size=1M', false],
    ['none', 'binds', false],
    ['proc', '', false],
  ]
  for (const [fstype, options, want] of cases) t.equal(isBind(fstype, opts(options)), want, `${fstype} ${options || '(no options)'}`)
})

t.test('filesystem mounts', async t => {
  const cases: [string, string, Partial<MountFlags>][] = [
    ['tmpfs', '', {}],
    ['tmpfs', 'defaults', {}],
    ['tmpfs', 'ro', { flags: MS.RDONLY }],
    ['tmpfs', 'nosuid,nodev,noexec', { flags: MS.NOSUID | MS.NODEV | MS.NOEXEC }],
    ['tmpfs', 'sync,dirsync,mand', { flags: MS.SYNCHRONOUS | MS.DIRSYNC | MS.MANDLOCK }],
    ['tmpfs', 'noatime,nodiratime', { flags: MS.NOATIME | MS.NODIRATIME }],
    ['tmpfs', 'relatime', { flags: MS.RELATIME }],
    ['tmpfs', 'strictatime,lazytime', { flags: MS.STRICTATIME | MS.LAZYTIME }],
    ['tmpfs', 'nosymfollow', { flags: MS.NOSYMFOLLOW }],
    ['tmpfs', 'size=8M,mode=1777', { data: 'size=8M,mode=1777' }],
    ['tmpfs', 'size=8M,nosuid,mode=1777,nodev', { flags: MS.NOSUID | MS.NODEV, data: 'size=8M,mode=1777' }],
    ['tmpfs', 'uid=1000,gid=1000,nr_inodes=1k', { data: 'uid=1000,gid=1000,nr_inodes=1k' }],
    ['proc', 'hidepid=2', { data: 'hidepid=2' }],
    ['tmpfs', 'ro,size=1M', { flags: MS.RDONLY, data: 'size=1M' }],
  ]
  for (const [fstype, options, want] of cases) {
    t.same(mountFlags(fstype, opts(options)), { ...none, ...want }, `${fstype} ${options || '(no options)'}`)
  }
})

t.test('clearing options undo what came before them', async t => {
  const cases: [string, number][] = [
    ['ro,rw', 0],
    ['rw,ro', MS.RDONLY],
    ['nosuid,suid', 0],
    ['nodev,dev', 0],
    ['noexec,exec', 0],
    ['sync,async', 0],
    ['mand,nomand', 0],
    ['noatime,atime', 0],
    ['nodiratime,diratime', 0],
    ['relatime,norelatime', 0],
    ['strictatime,nostrictatime', 0],
    ['lazytime,nolazytime', 0],
    ['ro,nosuid,rw', MS.NOSUID],
    ['ro,nosuid,defaults', MS.RDONLY | MS.NOSUID],
    ['suid', 0],
  ]
  for (const [options, flags] of cases) t.equal(mountFlags('tmpfs', opts(options)).flags, flags, options)
})

t.test('propagation is a separate change', async t => {
  const cases: [string, number][] = [
    ['private', MS.PRIVATE],
    ['rprivate', MS.PRIVATE | MS.REC],
    ['slave', MS.SLAVE],
    ['rslave', MS.SLAVE | MS.REC],
    ['shared', MS.SHARED],
    ['rshared', MS.SHARED | MS.REC],
    ['unbindable', MS.UNBINDABLE],
    ['runbindable', MS.UNBINDABLE | MS.REC],
    ['shared,private', MS.PRIVATE],
  ]
  for (const [options, propagation] of cases) {
    t.same(mountFlags('tmpfs', opts(options)), { ...none, propagation }, `tmpfs ${options}`)
    t.same(mountFlags('none', opts(`bind,${options}`)), { ...none, flags: MS.BIND, propagation }, `bind,${options}`)
  }
})

t.test('bind mounts', async t => {
  const cases: [string, string, Partial<MountFlags>][] = [
    ['none', 'bind', { flags: MS.BIND }],
    ['bind', '', { flags: MS.BIND }],
    ['bind', 'defaults', { flags: MS.BIND }],
    ['none', 'rbind', { flags: MS.BIND | MS.REC }],
    ['none', 'bind,rbind', { flags: MS.BIND | MS.REC }],
    ['none', 'bind,ro', { flags: MS.BIND, remountFlags: MS.REMOUNT | MS.BIND | MS.RDONLY }],
    ['none', 'ro,bind', { flags: MS.BIND, remountFlags: MS.REMOUNT | MS.BIND | MS.RDONLY }],
    ['none', 'rbind,ro', { flags: MS.BIND | MS.REC, remountFlags: MS.REMOUNT | MS.BIND | MS.RDONLY }],
    [
      'none',
      'bind,ro,nosuid,nodev,noexec',
      { flags: MS.BIND, remountFlags: MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC },
    ],
    ['none', 'bind,nosuid', { flags: MS.BIND, remountFlags: MS.REMOUNT | MS.BIND | MS.NOSUID }],
    ['none', 'bind,ro,rw', { flags: MS.BIND }],
    ['none', 'bind,rw', { flags: MS.BIND }],
    ['none', 'bind,noatime', { flags: MS.BIND, remountFlags: MS.REMOUNT | MS.BIND | MS.NOATIME }],
    [
      'none',
      'rbind,ro,rslave',
      { flags: MS.BIND | MS.REC, remountFlags: MS.REMOUNT | MS.BIND | MS.RDONLY, propagation: MS.SLAVE | MS.REC },
    ],
  ]
  for (const [fstype, options, want] of cases) {
    const got = mountFlags(fstype, opts(options))
    t.same(got, { ...none, ...want }, `${fstype} ${options || '(no options)'}`)
    t.equal(got.flags & ~(MS.BIND | MS.REC), 0, `${options}: the first call carries only BIND/REC`)
    t.equal(got.data, '', `${options}: no data for a bind`)
  }
})

t.test('filesystem options on a bind mount are errors', async t => {
  const cases: [string, string, string[]][] = [
    ['none', 'bind,size=1M', ['size=1M']],
    ['bind', 'mode=755,uid=0', ['mode=755', 'uid=0']],
    ['none', 'rbind,ro,nr_inodes=10', ['nr_inodes=10']],
    ['none', 'bind,remount', ['remount']],
  ]
  for (const [fstype, options, bad] of cases) {
    const got = mountFlags(fstype, opts(options))
    t.same(got.errors, bad.map(b => `bind mounts take no filesystem option "${b}"`), options)
    t.equal(got.data, '', `${options}: nothing passed as data`)
  }
  t.matchSnapshot(mountFlags('none', ['bind', 'size=1M']).errors[0], 'error text')
})
