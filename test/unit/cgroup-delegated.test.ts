// Rootless cgroups (runtime/cgroup/delegated.ts): the topmost directory on the way to
// lite's own cgroup that the user owns, with its cgroup.procs and subtree_control,
// becomes the root of lite's v2 hierarchy; without one, the reason.

import t from 'tap'
import { delegatedLayout, ownV2Cgroup, type DelegationFs } from '../../runtime/cgroup/delegated.ts'
import type { CgroupLayout } from '../../runtime/cgroup/detect.ts'

const V2: CgroupLayout = {
  mode: 'v2',
  unified: '/sys/fs/cgroup',
  controllers: [{ controller: 'memory', version: 2, mountPoint: '/sys/fs/cgroup' }],
  hierarchies: [{ version: 2, mountPoint: '/sys/fs/cgroup', options: ['memory', 'pids'] }],
}

function fakeFs(own: string, owners: Record<string, number>, controllers = 'memory pids'): DelegationFs {
  return {
    owner: (path) => owners[path] ?? (path.startsWith('/sys/fs/cgroup') ? 0 : undefined),
    read: (path) => {
      if (path === '/proc/self/cgroup') return `0::${own}\n`
      if (path.endsWith('/cgroup.controllers')) return `${controllers}\n`
      throw new Error(`ENOENT ${path}`)
    },
  }
}

const delegate = (dir: string, uid: number) => ({ [dir]: uid, [`${dir}/cgroup.procs`]: uid, [`${dir}/cgroup.subtree_control`]: uid })

t.test('systemd\'s user@UID.service: the topmost directory the user owns', async (t) => {
  const base = '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service'
  const fs = fakeFs('/user.slice/user-1000.slice/user@1000.service/app.slice/term.scope', { ...delegate(base, 1000), ...delegate(`${base}/app.slice`, 1000) })
  const d = delegatedLayout(V2, 1000, fs)
  t.same(d, {
    mode: 'v2',
    unified: base,
    controllers: [
      { controller: 'memory', version: 2, mountPoint: base },
      { controller: 'pids', version: 2, mountPoint: base },
    ],
    hierarchies: [{ version: 2, mountPoint: base, options: ['memory', 'pids'] }],
    delegated: true,
  })
})

t.test('a directory without its files handed over is not delegated', async (t) => {
  const fs = fakeFs('/users/alice/shell', { '/sys/fs/cgroup/users/alice': 1000 })
  t.match(delegatedLayout(V2, 1000, fs), /^no directory on the way to lite's own cgroup \(\/users\/alice\/shell\) is delegated to uid 1000/)
  t.match(delegatedLayout(V2, 1001, fakeFs('/users/alice', delegate('/sys/fs/cgroup/users/alice', 1000))), /delegated to uid 1001/, 'someone else\'s subtree')
})

t.test('only cgroup v2 can be delegated', async (t) => {
  t.match(delegatedLayout({ ...V2, mode: 'hybrid' }, 1000, fakeFs('/', {})), /hybrid\), and only a cgroup v2 subtree can be delegated/)
  t.match(delegatedLayout({ mode: 'v1', controllers: [], hierarchies: [] }, 1000, fakeFs('/', {})), /are v1, and only/)
  t.equal(ownV2Cgroup('1:name=systemd:/\n0::/a/b\n'), '/a/b')
  t.equal(ownV2Cgroup('0::/\n'), '/')
  t.equal(ownV2Cgroup('4:memory:/x\n'), undefined)
})
