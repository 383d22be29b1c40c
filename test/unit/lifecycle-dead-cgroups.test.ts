// A dead container's cgroups: PARENT/NAME in every hierarchy, the parent taken from
// its config (or the default when the config is gone or broken), removed with the
// parent when nothing else uses it. Hierarchies are plain dirs in t.testdir here.

import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import type { CgroupLayout } from '../../runtime/cgroup/detect.ts'
import { removeDeadCgroups } from '../../runtime/lifecycle/dead-cgroups.ts'
import { peekConfig } from '../../runtime/lifecycle/config-peek.ts'
import { runningState } from '../support/fake-lifecycle.ts'

function layout(root: string): CgroupLayout {
  return {
    mode: 'hybrid',
    unified: path.join(root, 'unified'),
    controllers: [],
    hierarchies: [
      { version: 1, mountPoint: path.join(root, 'memory'), options: ['memory'] },
      { version: 2, mountPoint: path.join(root, 'unified'), options: [] },
    ],
  }
}

t.test('the parent from the config: PARENT/NAME removed everywhere, an empty parent too', async t => {
  const root = t.testdir({
    'web.ini': '[cgroup]\nparent = boards/lite\n[rootfs]\npath = /gone\n',
    memory: { boards: { lite: { web: { sub: {} }, other: {} } } },
    unified: { boards: { lite: { web: {} } } },
  })
  await removeDeadCgroups(runningState('web', { config: path.join(root, 'web.ini') }), 'web', layout(root))
  t.notOk(fs.existsSync(path.join(root, 'memory/boards/lite/web')), 'v1 dir and its sub-cgroup')
  t.ok(fs.existsSync(path.join(root, 'memory/boards/lite/other')), 'another container\'s cgroup stays')
  t.notOk(fs.existsSync(path.join(root, 'unified/boards/lite')), 'v2 dir, and the parent it left empty')
})

t.test('a config that is gone: the default parent lite', async t => {
  const root = t.testdir({ memory: { lite: { web: {} } }, unified: {} })
  await removeDeadCgroups(runningState('web', { config: path.join(root, 'missing.ini') }), 'web', layout(root))
  t.notOk(fs.existsSync(path.join(root, 'memory/lite')))
})

t.test('no cgroups on the host: nothing to do', async t => {
  await t.resolves(removeDeadCgroups(runningState('web'), 'web', { mode: 'none', controllers: [], hierarchies: [] }))
})

t.test('peekConfig: only the keys it needs, defaults for anything odd', async t => {
  const dir = t.testdir({
    'ok.ini': '[exec]\nstop_timeout = 3\n[cgroup]\nparent = a/b\n[unknown]\nx = 1\n',
    'bad.ini': '[exec]\nstop_timeout = forever\n[cgroup]\nparent = ../up\n',
  })
  t.same(peekConfig(path.join(dir, 'ok.ini')), { stopTimeout: 3, cgroupParent: 'a/b' }, 'other errors in the file do not matter')
  t.same(peekConfig(path.join(dir, 'bad.ini')), { stopTimeout: 10, cgroupParent: 'lite' })
  t.same(peekConfig(path.join(dir, 'none.ini')), { stopTimeout: 10, cgroupParent: 'lite' })
  t.same(peekConfig(''), { stopTimeout: 10, cgroupParent: 'lite' })
})
