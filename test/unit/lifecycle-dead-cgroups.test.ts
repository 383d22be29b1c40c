// A dead container's cgroups: exactly the directories its lite run recorded in its
// state dir before making them (whatever its config says now), and never a parent.
// Hierarchies are plain dirs in t.testdir here.

import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import type { CgroupLayout } from '../../runtime/cgroup/detect.ts'
import { removeDeadCgroups } from '../../runtime/lifecycle/dead-cgroups.ts'
import { peekConfig } from '../../runtime/lifecycle/config-peek.ts'
import { readCgroupRecord, removableCgroups, writeCgroupRecord } from '../../runtime/lifecycle/cgroup-record.ts'
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

t.test('the recorded directories are removed with their sub-cgroups; parents stay, even empty', async t => {
  const root = t.testdir({
    // The config now names another parent: the record decides, not the config.
    'web.ini': '[cgroup]\nparent = elsewhere\n[rootfs]\npath = /gone\n',
    state: { web: {} },
    memory: { boards: { lite: { web: { sub: {} }, other: {} } }, elsewhere: { web: {} } },
    unified: { boards: { lite: { web: {} } } },
  })
  writeCgroupRecord(path.join(root, 'state/web'), [path.join(root, 'memory/boards/lite/web'), path.join(root, 'unified/boards/lite/web')])
  await removeDeadCgroups(runningState('web', { config: path.join(root, 'web.ini') }), 'web', path.join(root, 'state'), layout(root))
  t.notOk(fs.existsSync(path.join(root, 'memory/boards/lite/web')), 'v1 dir and its sub-cgroup')
  t.notOk(fs.existsSync(path.join(root, 'unified/boards/lite/web')), 'v2 dir')
  t.ok(fs.existsSync(path.join(root, 'memory/boards/lite/other')), 'another container\'s cgroup stays')
  t.ok(fs.existsSync(path.join(root, 'unified/boards/lite')), 'the parent stays, though empty')
  t.ok(fs.existsSync(path.join(root, 'unified/boards')), 'and its own parent')
  t.ok(fs.existsSync(path.join(root, 'memory/elsewhere/web')), 'what the config names now is not touched')
})

t.test('no record (the run died before its first mkdir): nothing is removed', async t => {
  const root = t.testdir({ state: { web: {} }, memory: { lite: { web: {} } }, unified: {} })
  await removeDeadCgroups(runningState('web'), 'web', path.join(root, 'state'), layout(root))
  t.ok(fs.existsSync(path.join(root, 'memory/lite/web')))
})

t.test('no cgroups on the host: nothing to do', async t => {
  await t.resolves(removeDeadCgroups(runningState('web'), 'web', t.testdir({}), { mode: 'none', controllers: [], hierarchies: [] }))
})

t.test('a record is only trusted below a mounted hierarchy', async t => {
  const l = layout('/cg')
  const recorded = ['/cg/memory/lite/web', '/cg/unified/a/b/web', '/cg/memory', '/cg/memory/', '/etc', '/cg/memory/../../etc', 'cg/memory/x', '/cg/memoryx/web', '/cg/memory/./x']
  t.same(removableCgroups(recorded, l), ['/cg/memory/lite/web', '/cg/unified/a/b/web'])
})

t.test('the record: one path a line, none when missing', async t => {
  const dir = t.testdir({})
  t.same(readCgroupRecord(dir), [])
  writeCgroupRecord(dir, ['/a/b', '/c/d'])
  t.equal(fs.readFileSync(path.join(dir, 'cgroups'), 'utf8'), '/a/b\n/c/d\n')
  t.same(readCgroupRecord(dir), ['/a/b', '/c/d'])
})

t.test('peekConfig: only the keys it needs, the default for anything odd', async t => {
  const dir = t.testdir({
    'ok.ini': '[exec]\nstop_timeout = 3\n[cgroup]\nparent = a/b\n[unknown]\nx = 1\n',
    'bad.ini': '[exec]\nstop_timeout = forever\n',
    'image.ini': '[container]\nname = web\n[rootfs]\nimage = registry.local/web:1\n',
    'badname.ini': '[container]\nname = ../x\n',
  })
  t.same(peekConfig(path.join(dir, 'ok.ini')), { stopTimeout: 3, name: 'ok' }, 'other errors in the file do not matter; the name defaults to the file\'s')
  t.same(peekConfig(path.join(dir, 'bad.ini')), { stopTimeout: 10, name: 'bad' })
  t.same(peekConfig(path.join(dir, 'none.ini')), { stopTimeout: 10, name: 'none' })
  t.same(peekConfig(path.join(dir, 'image.ini')), { stopTimeout: 10, name: 'web', image: 'registry.local/web:1' }, '[rootfs] image as written')
  t.same(peekConfig(path.join(dir, 'badname.ini')), { stopTimeout: 10, name: 'badname' }, 'a bad name: the default')
  t.same(peekConfig(''), { stopTimeout: 10, name: '' })
})
