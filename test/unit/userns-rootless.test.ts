// The map of a rootless run (runtime/userns/run-map.ts rootlessUserMap): the user's own
// ids, or its subordinate ranges through newuidmap/newgidmap, and each refusal at the
// line that asks for more.

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { validateText } from '../../runtime/config/validate.ts'
import { rootlessUserMap } from '../../runtime/userns/run-map.ts'
import type { FileReader } from '../../runtime/userns/ranges.ts'

const USER = { name: 'alice', uid: 1000, gid: 1000 }
const HELPERS = { newuidmap: '/usr/bin/newuidmap', newgidmap: '/usr/bin/newgidmap' }
const SUBIDS: FileReader = (path) => (path === '/etc/subuid' || path === '/etc/subgid' ? 'bob:500000:65536\nalice:100000:65536\n' : undefined)

// A real directory: the config's validation looks at the rootfs.
const ROOTFS = fs.mkdtempSync(path.join(os.tmpdir(), 'lite-rootless-unit-'))
t.teardown(() => fs.rmSync(ROOTFS, { recursive: true, force: true }))

function config(extra: string[]) {
  const text = ['[container]', 'name = c', '[rootfs]', `path = ${ROOTFS}`, '[exec]', 'cmd = /bin/sh', ...extra].join('\n') + '\n'
  const { config, errors } = validateText(text, '/home/alice/c.ini')
  if (!config) throw new Error(JSON.stringify(errors))
  return config
}

const mapOf = (extra: string[], deps = {}) => rootlessUserMap(config(extra), { user: USER, read: SUBIDS, helpers: () => HELPERS, ...deps })
const range = (containerId: number, hostId: number, size: number) => ({ containerId, hostId, size })

t.test('without [user]: the user\'s own ids, setgroups denied, no helper', async (t) => {
  const m = mapOf([])
  t.same(m.map, { uid: [range(0, 1000, 1)], gid: [range(0, 1000, 1)] })
  t.equal(m.rootless, true)
  t.notOk(m.helpers)
  t.same(mapOf(['[user]', 'map = 0:1000:1']).helpers, undefined, 'an explicit map of the own id needs no helper')
})

t.test('map = auto: own id as root, then the user\'s first range (by name or uid)', async (t) => {
  const m = mapOf(['[user]', 'map = auto'])
  t.same(m.map.uid, [range(0, 1000, 1), range(1, 100000, 65535)])
  t.same(m.map.gid, [range(0, 1000, 1), range(1, 100000, 65535)])
  t.same(m.helpers, HELPERS)
  const byUid: FileReader = () => '1000:200000:1000\n'
  t.same(mapOf(['[user]', 'map = auto'], { read: byUid }).map.uid, [range(0, 1000, 1), range(1, 200000, 1000)], 'a short range is used as it is')
})

t.test('explicit maps: the own id and the user\'s ranges only', async (t) => {
  const m = mapOf(['[user]', 'map = 0:1000:1,1:100000:65536'])
  t.same(m.map.uid, [range(0, 1000, 1), range(1, 100000, 65536)])
  t.throws(() => mapOf(['[user]', 'map = 0:1000:1,1:500000:10']), { message: /^\/home\/alice\/c\.ini:8: \[user\] map: host uid 500000 is neither yours \(1000\) nor in your ranges in \/etc\/subuid$/ })
})

t.test('refusals name the line that asks', async (t) => {
  t.throws(() => mapOf(['[user]', 'map = auto'], { helpers: () => undefined }), { message: /^\/home\/alice\/c\.ini:8: \[user\] map: as a user, lite maps more than your own uid 1000 only through newuidmap and newgidmap, which are not installed/ })
  t.throws(() => mapOf(['[user]', 'map = auto'], { read: () => '' }), { message: /:8: \[user\] map: auto as a user takes your subordinate ids, and \/etc\/subuid has no range for user alice/ })
  t.throws(() => mapOf(['user = 1000']), { message: /^\/home\/alice\/c\.ini:7: \[exec\] user: 1000:1000 is not mapped: lite as a user maps container uids 0 and gids 0$/ })
  t.throws(() => mapOf(['groups = 20']), { message: /:7: \[exec\] groups: 20 can't be joined: .*setgroups is denied without newgidmap/ })
  t.same(mapOf(['user = 1000', 'groups = 20', '[user]', 'map = auto']).map.uid.length, 2, 'with subordinate ids, the app may run as another id and join groups')
})
