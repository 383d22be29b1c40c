// The image's passwd and group kept beside image.sqfs: found the way the container
// sees them (symlinks resolved inside the tree), never a host file.

import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { keepAccountFiles, resolveInTree } from '../../runtime/image/account-files.ts'

t.test('symlinks resolve inside the tree; ".." stops at its top', async (t) => {
  const root = t.testdir({ usr: { etc: { passwd: 'root:x:0:0::/:/bin/sh\n' } }, out: {} })
  fs.symlinkSync('/usr/etc', path.join(root, 'etc'))
  t.equal(resolveInTree(root, 'etc/passwd'), path.join(root, 'usr/etc/passwd'), 'an absolute link is read from the tree\'s top')
  t.equal(resolveInTree(root, '../../../usr/etc/passwd'), path.join(root, 'usr/etc/passwd'))
  fs.symlinkSync('loop', path.join(root, 'loop'))
  t.equal(resolveInTree(root, 'loop/x'), undefined, 'a link loop leads nowhere')
  t.equal(resolveInTree(root, 'usr/etc/passwd/x'), undefined, 'a file is not a directory')
  t.same(keepAccountFiles(root, path.join(root, 'out')), ['passwd'])
  t.equal(fs.readFileSync(path.join(root, 'out/passwd'), 'utf8'), 'root:x:0:0::/:/bin/sh\n')
})

t.test('a host file is never copied: links out of the tree land inside it', async (t) => {
  const root = t.testdir({ etc: {}, out: {} })
  fs.symlinkSync('/etc/passwd', path.join(root, 'etc/passwd'))
  fs.symlinkSync('../../../../etc/group', path.join(root, 'etc/group'))
  t.same(keepAccountFiles(root, path.join(root, 'out')), [], 'both links point at nothing inside the tree')
  t.same(fs.readdirSync(path.join(root, 'out')), [])
})

t.test('not a regular file, or too large: skipped', async (t) => {
  const root = t.testdir({ etc: { group: 'x'.repeat((1 << 20) + 1) }, out: {} })
  fs.mkdirSync(path.join(root, 'etc/passwd'))
  t.same(keepAccountFiles(root, path.join(root, 'out')), [])
})
