// The errno describer (issue 12, defect 14: EOVERFLOW was printed without its text)
// knows every Linux errno's name and glibc's text.

import t from 'tap'
import { describeErrno, describeFsError, errnoName, errnoText } from '../../runtime/config/errno.ts'

t.test('every Linux errno has its name and glibc\'s text', async t => {
  t.equal(describeFsError(Object.assign(new Error('x'), { code: 'EOVERFLOW' })), 'Value too large for defined data type (EOVERFLOW)')
  for (const [code, text] of [
    ['ELOOP', 'Too many levels of symbolic links'],
    ['EXDEV', 'Invalid cross-device link'],
    ['ENOTDIR', 'Not a directory'],
    ['EMFILE', 'Too many open files'],
    ['ENOTSUP', 'Operation not supported'],
    ['EWOULDBLOCK', 'Resource temporarily unavailable'],
    ['ENOMEDIUM', 'No medium found'],
    ['EHWPOISON', 'Memory page has hardware error'],
  ]) {
    t.equal(describeFsError(Object.assign(new Error('x'), { code })), `${text} (${code})`)
  }
  t.equal(describeFsError(Object.assign(new Error('odd'), { code: 'ERR_SOMETHING' })), 'ERR_SOMETHING', 'a Node code is shown as it is')
  t.equal(describeFsError(new Error('plain')), 'plain')
  const unused = new Set([41, 58])
  for (let n = 1; n <= 133; n++) {
    if (unused.has(n)) continue
    const name = errnoName(n)
    t.match(name, /^E[A-Z0-9]+$/, `errno ${n} has a name`)
    t.ok(errnoText(name), `${name} has a text`)
  }
  t.equal(errnoName(11), 'EAGAIN')
  t.equal(errnoName(95), 'EOPNOTSUPP')
  t.equal(errnoName(75), 'EOVERFLOW')
  t.equal(errnoName(123), 'ENOMEDIUM', 'a name os.constants.errno lacks')
  t.equal(errnoName(9999), 'errno 9999')
  t.equal(describeErrno(75, () => 'Value too large for defined data type'), 'Value too large for defined data type (EOVERFLOW)')
})
