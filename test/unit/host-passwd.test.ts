// runtime/host/passwd.ts: names and uids from the host's /etc/passwd text.

import t from 'tap'
import { uidOfUser, userNameOf } from '../../runtime/host/passwd.ts'

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nlite:x:998:998::/nonexistent:/usr/sbin/nologin\n# a comment\nbroken\n:x:5:5::/:/bin/sh\n'

t.test('by uid and by name', async (t) => {
  t.equal(userNameOf(998, PASSWD), 'lite')
  t.equal(userNameOf(5, PASSWD), undefined, 'a line without a name is no name')
  t.equal(userNameOf(4242, PASSWD), undefined)
  t.equal(uidOfUser('lite', PASSWD), 998)
  t.equal(uidOfUser('broken', PASSWD), undefined)
  t.equal(uidOfUser('root', undefined), undefined, 'no file')
})
