import t from 'tap'
import { detectCgroups, parseProcCgroups } from '../../runtime/cgroup/detect.ts'
import { parseMountInfo } from '../../runtime/host/mountinfo.ts'

// /proc/cgroups of a hybrid host (this kind of machine): hierarchy 0 = not on a v1 mount.
const PROC_CGROUPS_HYBRID = [
  '#subsys_name\thierarchy\tnum_cgroups\tenabled',
  'cpuset\t3\t1\t1',
  'cpu\t1\t1\t1',
  'cpuacct\t2\t1\t1',
  'blkio\t7\t1\t1',
  'memory\t4\t8\t1',
  'devices\t5\t1\t1',
  'freezer\t6\t1\t1',
  'net_cls\t0\t1\t1',
  'perf_event\t0\t1\t1',
  'net_prio\t0\t1\t1',
  'hugetlb\t0\t1\t1',
  'pids\t8\t1\t1',
  '',
].join('\n')

const ROOT = '1 0 8:1 / / rw,relatime - ext4 /dev/root rw'
const HYBRID_MOUNTS = [
  ROOT,
  '31 1 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
  '33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct',
  '34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices',
  '37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer',
  '38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio',
  '39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n')

// A Debian-style v1 layout: co-mounted controllers, no cgroup2 mount.
const V1_MOUNTS = [
  ROOT,
  '25 1 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec - tmpfs tmpfs ro,mode=755',
  '26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,xattr,name=systemd',
  '27 25 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,cpu,cpuacct',
  '28 25 0:25 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,memory',
  '29 25 0:26 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,pids',
  '30 25 0:27 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,net_cls,net_prio',
].join('\n')

const V2_MOUNTS = [ROOT, '26 1 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot'].join('\n')

const V1_KNOWN = ['cpuset', 'cpu', 'cpuacct', 'memory', 'pids', 'net_cls', 'net_prio', 'hugetlb']
const V2_KNOWN = ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc']

t.test('parseProcCgroups', async t => {
  t.same(parseProcCgroups(PROC_CGROUPS_HYBRID), [
    'cpuset', 'cpu', 'cpuacct', 'blkio', 'memory', 'devices', 'freezer', 'net_cls', 'perf_event', 'net_prio', 'hugetlb', 'pids',
  ])
  t.same(
    parseProcCgroups('#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t1\t1\t1\nmemory\t0\t1\t0\npids\t2\t3\t1\n'),
    ['cpu', 'pids'],
    'a disabled controller (cgroup_disable=memory, or a Raspberry Pi without cgroup_enable=memory) is left out',
  )
  t.same(parseProcCgroups(''), [])
  t.same(parseProcCgroups('#subsys_name\thierarchy\tnum_cgroups\tenabled\n'), [], 'header only')
})

t.test('parseProcCgroups on this machine', async t => {
  const fs = await import('node:fs')
  let text: string
  try {
    text = fs.readFileSync('/proc/cgroups', 'utf8')
  } catch {
    t.comment('no /proc/cgroups here')
    return
  }
  const names = parseProcCgroups(text)
  for (const n of names) t.match(n, /^[a-z_]+$/, n)
})

t.test('detectCgroups', async t => {
  t.test('hybrid, with an empty cgroup2 controller list', async t => {
    const known = parseProcCgroups(PROC_CGROUPS_HYBRID)
    const asked: string[] = []
    const layout = detectCgroups(parseMountInfo(HYBRID_MOUNTS), known, mp => (asked.push(mp), '\n'))
    t.equal(layout.mode, 'hybrid')
    t.equal(layout.unified, '/sys/fs/cgroup/unified')
    t.same(asked, ['/sys/fs/cgroup/unified'], 'cgroup.controllers read from the cgroup2 mount')
    t.same(layout.controllers, [
      { controller: 'cpu', version: 1, mountPoint: '/sys/fs/cgroup/cpu' },
      { controller: 'cpuacct', version: 1, mountPoint: '/sys/fs/cgroup/cpuacct' },
      { controller: 'cpuset', version: 1, mountPoint: '/sys/fs/cgroup/cpuset' },
      { controller: 'memory', version: 1, mountPoint: '/sys/fs/cgroup/memory' },
      { controller: 'devices', version: 1, mountPoint: '/sys/fs/cgroup/devices' },
      { controller: 'freezer', version: 1, mountPoint: '/sys/fs/cgroup/freezer' },
      { controller: 'blkio', version: 1, mountPoint: '/sys/fs/cgroup/blkio' },
      { controller: 'pids', version: 1, mountPoint: '/sys/fs/cgroup/pids' },
    ])
    t.notOk(layout.controllers.some(c => c.controller.startsWith('name=')), 'a named hierarchy is no controller')
  })

  t.test('hybrid, with hugetlb on cgroup2 (this machine)', async t => {
    const layout = detectCgroups(parseMountInfo(HYBRID_MOUNTS), parseProcCgroups(PROC_CGROUPS_HYBRID), () => 'hugetlb\n')
    t.equal(layout.mode, 'hybrid')
    const homes = Object.fromEntries(layout.controllers.map(c => [c.controller, `v${c.version} ${c.mountPoint}`]))
    t.same(homes, {
      cpu: 'v1 /sys/fs/cgroup/cpu',
      cpuacct: 'v1 /sys/fs/cgroup/cpuacct',
      cpuset: 'v1 /sys/fs/cgroup/cpuset',
      memory: 'v1 /sys/fs/cgroup/memory',
      devices: 'v1 /sys/fs/cgroup/devices',
      freezer: 'v1 /sys/fs/cgroup/freezer',
      blkio: 'v1 /sys/fs/cgroup/blkio',
      pids: 'v1 /sys/fs/cgroup/pids',
      hugetlb: 'v2 /sys/fs/cgroup/unified',
    })
  })

  t.test('hybrid: a controller already on v1 is not taken from the cgroup2 list', async t => {
    const layout = detectCgroups(parseMountInfo(HYBRID_MOUNTS), ['memory', 'hugetlb'], () => 'memory hugetlb')
    t.same(layout.controllers, [
      { controller: 'memory', version: 1, mountPoint: '/sys/fs/cgroup/memory' },
      { controller: 'hugetlb', version: 2, mountPoint: '/sys/fs/cgroup/unified' },
    ])
  })

  t.test('pure v1, with co-mounted controllers', async t => {
    const layout = detectCgroups(parseMountInfo(V1_MOUNTS), V1_KNOWN, () => t.fail('no cgroup2 mount to read') as never)
    t.equal(layout.mode, 'v1')
    t.equal(layout.unified, undefined)
    t.same(layout.controllers, [
      { controller: 'cpu', version: 1, mountPoint: '/sys/fs/cgroup/cpu,cpuacct' },
      { controller: 'cpuacct', version: 1, mountPoint: '/sys/fs/cgroup/cpu,cpuacct' },
      { controller: 'memory', version: 1, mountPoint: '/sys/fs/cgroup/memory' },
      { controller: 'pids', version: 1, mountPoint: '/sys/fs/cgroup/pids' },
      { controller: 'net_cls', version: 1, mountPoint: '/sys/fs/cgroup/net_cls,net_prio' },
      { controller: 'net_prio', version: 1, mountPoint: '/sys/fs/cgroup/net_cls,net_prio' },
    ])
  })

  t.test('pure v1: only controllers /proc/cgroups has enabled', async t => {
    const layout = detectCgroups(parseMountInfo(V1_MOUNTS), ['cpu', 'pids'], () => '')
    t.same(layout.controllers.map(c => c.controller), ['cpu', 'pids'])
    t.equal(layout.mode, 'v1')
  })

  t.test('v1: a hierarchy mounted twice keeps its first mount', async t => {
    const mounts = parseMountInfo(V1_MOUNTS + '\n40 1 0:25 / /mnt/memory rw - cgroup cgroup rw,memory')
    t.equal(detectCgroups(mounts, V1_KNOWN, () => '').controllers.find(c => c.controller === 'memory')?.mountPoint, '/sys/fs/cgroup/memory')
  })

  t.test('pure v2', async t => {
    const layout = detectCgroups(parseMountInfo(V2_MOUNTS), V2_KNOWN, mp => {
      t.equal(mp, '/sys/fs/cgroup')
      return 'cpuset cpu io memory hugetlb pids rdma misc\n'
    })
    t.equal(layout.mode, 'v2')
    t.equal(layout.unified, '/sys/fs/cgroup')
    t.same(layout.controllers.map(c => c.controller), ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc'])
    t.ok(layout.controllers.every(c => c.version === 2 && c.mountPoint === '/sys/fs/cgroup'))
  })

  t.test('v2 with an unreadable cgroup.controllers: still v2, no controllers', async t => {
    const layout = detectCgroups(parseMountInfo(V2_MOUNTS), V2_KNOWN, () => {
      throw Object.assign(new Error('EACCES'), { code: 'EACCES' })
    })
    t.same(layout, { mode: 'v2', unified: '/sys/fs/cgroup', controllers: [], hierarchies: [{ version: 2, mountPoint: '/sys/fs/cgroup', options: [] }] })
  })

  t.test('none: no cgroup mount at all', async t => {
    t.same(detectCgroups(parseMountInfo(ROOT), V1_KNOWN, () => ''), { mode: 'none', unified: undefined, controllers: [], hierarchies: [] })
    t.same(detectCgroups([], [], () => ''), { mode: 'none', unified: undefined, controllers: [], hierarchies: [] })
  })

  t.test('none: v1 mounts of controllers the kernel does not list', async t => {
    t.equal(detectCgroups(parseMountInfo(V1_MOUNTS), [], () => '').mode, 'none')
  })
})

t.test('readCgroupLayout reads /proc/cgroups and cgroup.controllers', async t => {
  // node:fs replaced: nothing under /sys/fs/cgroup is read.
  const read: string[] = []
  const files: Record<string, string> = {
    '/proc/cgroups': PROC_CGROUPS_HYBRID,
    '/sys/fs/cgroup/unified/cgroup.controllers': 'hugetlb\n',
  }
  const fs = await import('node:fs')
  const readFileSync = (p: string) => {
    read.push(p)
    if (p in files) return files[p]
    throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' })
  }
  const { readCgroupLayout } = await t.mockImport<typeof import('../../runtime/cgroup/detect.ts')>('../../runtime/cgroup/detect.ts', {
    'node:fs': { ...fs, readFileSync },
  })
  const layout = readCgroupLayout(parseMountInfo(HYBRID_MOUNTS))
  t.same(read, ['/proc/cgroups', '/sys/fs/cgroup/unified/cgroup.controllers'])
  t.equal(layout.mode, 'hybrid')
  t.same(layout.controllers.filter(c => c.version === 2), [{ controller: 'hugetlb', version: 2, mountPoint: '/sys/fs/cgroup/unified' }])
})
