import t from 'tap'
import { mountOf, parseMountInfo, readMountInfo, type MountInfo } from '../../runtime/host/mountinfo.ts'

// Lines as the kernel writes them: optional fields (shared:N, master:N) before the
// " - " separator, and space, tab, newline and backslash escaped as \ooo.
const SAMPLE = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro',
  '23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw',
  '24 22 0:5 / /dev rw,nosuid,relatime shared:2 - devtmpfs udev rw,size=4004k,nr_inodes=1001,mode=755',
  '25 24 0:23 / /dev/shm rw,nosuid,nodev shared:4 - tmpfs tmpfs rw',
  '26 22 0:24 / /tmp rw,nosuid,nodev,noexec - tmpfs tmpfs rw,size=1024k',
  '27 22 8:2 /data /mnt/my\\040disk ro,relatime master:3 shared:9 - ext4 /dev/sdb\\0401 ro',
  '28 22 0:30 / /mnt/tab\\011and\\134slash rw - tmpfs none rw',
  '29 26 0:31 / /tmp/inner rw - tmpfs tmpfs rw',
  '30 29 0:32 / /tmp/inner rw,noexec - tmpfs second rw',
  '',
].join('\n')

t.test('parseMountInfo', async t => {
  const mounts = parseMountInfo(SAMPLE)
  t.equal(mounts.length, 9, 'one entry per line, blank lines skipped')
  t.same(mounts[0], {
    id: 22,
    parent: 1,
    mountPoint: '/',
    options: ['rw', 'relatime'],
    fstype: 'ext4',
    source: '/dev/sda1',
    superOptions: ['rw', 'errors=remount-ro'],
  })
  t.same(mounts[5], {
    id: 27,
    parent: 22,
    mountPoint: '/mnt/my disk',
    options: ['ro', 'relatime'],
    fstype: 'ext4',
    source: '/dev/sdb 1',
    superOptions: ['ro'],
  }, 'optional fields skipped, \\040 unescaped in the mount point and the source')
  t.equal(mounts[6]!.mountPoint, '/mnt/tab\tand\\slash', '\\011 and \\134')
  t.same(mounts[3]!.options, ['rw', 'nosuid', 'nodev'])
  t.same(mounts[2]!.superOptions, ['rw', 'size=4004k', 'nr_inodes=1001', 'mode=755'])
  t.same(parseMountInfo('garbage without a separator\n'), [], 'a line without " - " is skipped')
  t.same(parseMountInfo(''), [])
})

t.test('readMountInfo reads this process\'s table', async t => {
  const mounts = readMountInfo()
  t.ok(mounts.length > 0)
  t.ok(mounts.some(m => m.mountPoint === '/'), 'has /')
  for (const m of mounts) t.ok(Number.isInteger(m.id) && m.fstype !== '', `${m.id} parsed`)
})

t.test('mountOf: the longest mount point that holds the path', async t => {
  const mounts = parseMountInfo(SAMPLE)
  const cases: [string, string | undefined, string?][] = [
    ['/', '/'],
    ['/etc/passwd', '/'],
    ['/proc', '/proc'],
    ['/proc/self/fd', '/proc'],
    ['/processes', '/', 'a name that only starts like a mount point is not in it'],
    ['/dev', '/dev'],
    ['/dev/shm/x', '/dev/shm'],
    ['/dev/shmem', '/dev'],
    ['/tmp/a', '/tmp'],
    ['/mnt/my disk/f', '/mnt/my disk'],
    ['/mnt/my', '/'],
  ]
  for (const [p, want, why] of cases) t.equal(mountOf(p, mounts)?.mountPoint, want, why ?? p)
  t.equal(mountOf('/tmp/inner/x', mounts)?.source, 'second', 'stacked mounts: the last one is on top')
  t.equal(mountOf('/x', []), undefined, 'no mounts')
  const noRoot: MountInfo[] = mounts.filter(m => m.mountPoint !== '/')
  t.equal(mountOf('/etc', noRoot), undefined, 'outside every mount')
})
