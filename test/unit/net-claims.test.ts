// Claims (an address, a host port): taken for a holder, refused with the holder's name
// while held, given back, and tidied only when nobody holds them. The locker is a fake
// that says which paths are held; the files are real, in a test dir.

import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { forgetClaims, holderOf, leasePath, netRoot, portPath, releaseClaims, tryClaim, type Locker } from '../../runtime/net/claims.ts'

function fakeLocker(t: Test) {
  const held = new Set<string>()
  const fds: number[] = []
  t.teardown(() => fds.forEach((fd) => { try { fs.closeSync(fd) } catch {} }))
  const locker: Locker & { held: Set<string> } = {
    held,
    lockFile(p) {
      if (held.has(p)) throw Object.assign(new Error('locked by another process'), { code: 'Busy' })
      const fd = fs.openSync(p, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600)
      fds.push(fd)
      return fd
    },
  }
  return locker
}

t.test('paths: beside the state, under a name no container can have', async (t) => {
  t.equal(netRoot('/run/lite'), '/run/lite/.net')
  // Apart per network namespace: lite0 of one namespace is not lite0 of another.
  const ns = fs.statSync('/proc/self/ns/net').ino
  t.equal(leasePath('/run/lite', 'lite0', '10.111.0.2'), `/run/lite/.net/lite0@${ns}/10.111.0.2`)
  t.equal(portPath('/run/lite', { proto: 'udp', hostPort: 53 }), `/run/lite/.net/ports@${ns}/udp-53`)
})

t.test('a claim is taken, refused while held naming its holder, given back', async (t) => {
  const root = t.testdir({})
  const locker = fakeLocker(t)
  const p = leasePath(root, 'lite0', '10.111.0.2')
  const claim = tryClaim(locker, p, 'web')
  t.ok('fd' in claim, 'taken')
  t.equal(holderOf(p), 'web', 'the file names its holder')
  locker.held.add(p)
  t.same(tryClaim(locker, p, 'db'), { heldBy: 'web' }, 'refused, naming the holder')
  locker.held.delete(p)
  if ('fd' in claim) releaseClaims([claim])
  t.notOk(fs.existsSync(p), 'a released claim file is gone')
  const again = tryClaim(locker, p, 'db')
  t.ok('fd' in again, 'free again')
  t.equal(holderOf(p), 'db')
})

t.test('a claim whose file was replaced under the lock is retried, not trusted', async (t) => {
  const root = t.testdir({})
  const p = portPath(root, { proto: 'tcp', hostPort: 8080 })
  fs.mkdirSync(path.dirname(p), { recursive: true })
  let calls = 0
  const locker: Locker = {
    lockFile(file) {
      calls++
      const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600)
      // The first time, a release unlinks and a new claimer re-creates the file between
      // our open and our flock: the inode at the path is not the one we locked.
      if (calls === 1) {
        fs.unlinkSync(file)
        fs.writeFileSync(file, 'other\n')
      }
      return fd
    },
  }
  const claim = tryClaim(locker, p, 'web')
  t.ok('fd' in claim && calls === 2, 'taken on the second try')
  if ('fd' in claim) fs.closeSync(claim.fd)
})

t.test('forgetClaims removes only unheld files that still name the holder', async (t) => {
  const root = t.testdir({})
  const locker = fakeLocker(t)
  const mine = leasePath(root, 'lite0', '10.111.0.2')
  const taken = leasePath(root, 'lite0', '10.111.0.3')
  const held = portPath(root, { proto: 'tcp', hostPort: 80 })
  for (const [p, who] of [[mine, 'web'], [taken, 'db'], [held, 'web']] as const) {
    fs.mkdirSync(path.dirname(p), { recursive: true })
    fs.writeFileSync(p, who + '\n')
  }
  locker.held.add(held)
  forgetClaims(locker, [mine, taken, held, leasePath(root, 'lite0', '10.111.0.9')], 'web')
  t.notOk(fs.existsSync(mine), 'its own, unheld: removed')
  t.ok(fs.existsSync(taken), 'another holder\'s: kept')
  t.ok(fs.existsSync(held), 'still held: kept')
})
