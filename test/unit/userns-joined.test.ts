// The maps of a user namespace joined by path (runtime/userns/joined.ts): through the
// pid of a /proc/PID/ns/user path, else through any process whose ns/user is the same
// inode (a bind-mounted nsfs file); and why not, when no process is in it.

import t from 'tap'
import { joinedUserNsMaps, mapText, parseMapFile, sameRanges, type NsFs } from '../../runtime/userns/joined.ts'

function fakeNs(inodes: Record<string, number>, maps: Record<string, string>): NsFs {
  return {
    stat: (path) => (path in inodes ? { dev: 4, ino: inodes[path]! } : undefined),
    read: (path) => maps[path],
    pids: () => ['1', '77', '90'],
  }
}

const MAP = '         0     100000      65536\n'

t.test('through the pid a /proc path names', async (t) => {
  const ns = fakeNs({ '/proc/77/ns/user': 9 }, { '/proc/77/uid_map': MAP, '/proc/77/gid_map': MAP })
  t.same(joinedUserNsMaps('/proc/77/ns/user', ns), { uid: [{ containerId: 0, hostId: 100000, size: 65536 }], gid: [{ containerId: 0, hostId: 100000, size: 65536 }] })
})

t.test('a bind-mounted namespace: any process in it', async (t) => {
  const ns = fakeNs({ '/run/netns-user/pod': 9, '/proc/1/ns/user': 1, '/proc/77/ns/user': 5, '/proc/90/ns/user': 9 }, { '/proc/90/uid_map': MAP, '/proc/90/gid_map': '0 200000 10\n' })
  const maps = joinedUserNsMaps('/run/netns-user/pod', ns)
  t.same(typeof maps === 'string' ? maps : mapText(maps.gid), '0 200000 10')
})

t.test('no process in it, or no such path: the reason', async (t) => {
  t.equal(joinedUserNsMaps('/run/pinned', fakeNs({ '/run/pinned': 3, '/proc/1/ns/user': 1 }, {})), 'no process is in the user namespace /run/pinned, so its maps can\'t be read')
  t.equal(joinedUserNsMaps('/proc/5/ns/user', fakeNs({}, {})), '/proc/5/ns/user is not there')
})

t.test('ranges compare in any order', async (t) => {
  const a = parseMapFile('1 200000 10\n0 1000 1\n')
  t.same(a, [{ containerId: 0, hostId: 1000, size: 1 }, { containerId: 1, hostId: 200000, size: 10 }])
  t.ok(sameRanges(a, [{ containerId: 1, hostId: 200000, size: 10 }, { containerId: 0, hostId: 1000, size: 1 }]))
  t.notOk(sameRanges(a, a.slice(1)))
})
