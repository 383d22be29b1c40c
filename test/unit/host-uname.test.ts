// The kernel release and host name from /proc/sys/kernel are uname(2)'s, as node:os
// gives them (lite reads them itself to keep node:os off the start path).

import os from 'node:os'
import t from 'tap'
import { hostName, kernelRelease } from '../../runtime/host/uname.ts'

t.test("the same as uname's", async (t) => {
  t.equal(kernelRelease(), os.release())
  t.equal(hostName(), os.hostname())
  t.notMatch(kernelRelease(), /\n/, 'no newline')
})
