// Config text in messages (issue 12, defect 14): control characters escaped, long
// text cut, the same way everywhere.

import path from 'node:path'
import t from 'tap'
import { formatConfigErrors } from '../../runtime/config/report.ts'
import { SHOWN_TEXT_LIMIT, escapeControls, quote, showText } from '../../runtime/config/show-text.ts'
import { validateText } from '../../runtime/config/validate.ts'

t.test('controls are escaped, text is not otherwise changed', async t => {
  t.equal(showText('plain /path with spaces'), 'plain /path with spaces')
  t.equal(showText('a\nb\tc\rd'), 'a\\nb\\tc\\rd')
  t.equal(showText('\x1b[31mred\x1b[0m'), '\\x1b[31mred\\x1b[0m')
  t.equal(showText('\0\x7f\x9b'), '\\x00\\x7f\\x9b', 'NUL, DEL and the C1 CSI')
  t.equal(showText('a\u2028b\u202ec'), 'a\\u2028b\\u202ec', 'line separator and a bidi override')
  t.equal(showText('say "hi" \\o/'), 'say \\"hi\\" \\\\o/', 'quotes and backslashes, so a quoted form is unambiguous')
  t.equal(showText('été 🙂'), 'été 🙂')
  t.equal(quote('x\ny'), '"x\\ny"')
})

t.test('long text keeps its start and its end around "…"', async t => {
  const long = 'a'.repeat(50) + 'MIDDLE' + 'z'.repeat(50)
  const shown = showText(long)
  t.equal(shown.length, SHOWN_TEXT_LIMIT)
  t.equal(shown, 'a'.repeat(48) + '…' + 'z'.repeat(31))
  t.equal(showText('x'.repeat(SHOWN_TEXT_LIMIT)), 'x'.repeat(SHOWN_TEXT_LIMIT), 'exactly the limit is whole')
  const escapes = '\x1b'.repeat(100)
  const shownEscapes = showText(escapes)
  t.ok(shownEscapes.length <= SHOWN_TEXT_LIMIT, 'escapes count towards the limit')
  t.match(shownEscapes, /^(\\x1b)+…(\\x1b)+$/, 'never half an escape')
  const emoji = '🙂'.repeat(100)
  t.notMatch(showText(emoji), /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/, 'never half a surrogate pair')
  const started = Date.now()
  t.equal(showText('k'.repeat(4 * 1024 * 1024)).length, SHOWN_TEXT_LIMIT, '4 MiB of text')
  t.ok(Date.now() - started < 500, 'in bounded time')
})

t.test('whole lines: only the controls', async t => {
  t.equal(escapeControls('lite: error: x.ini:1: "a\\nb"\n\x1b]0;title\x07'), 'lite: error: x.ini:1: "a\\nb"\\n\\x1b]0;title\\x07')
})

t.test('a config\'s ESC and newline never reach the terminal, and a long value is cut', async t => {
  const file = path.join(t.testdir({}), 'c.ini')
  const value = '\x1b[2J\x1b[31mred' + 'x'.repeat(5000)
  const report = formatConfigErrors(
    validateText(`[rootfs]\npath = /\n[exec]\ncmd = /bin/true\nuser = ${value}\nstop_signal = "TERM\\nlite: error: forged"\n\x1b[1mbold = 1\n`, file).errors,
    file,
  )
  t.notMatch(report, /[\x00-\x09\x0b-\x1f\x7f]/, 'no control character but the line ends')
  t.equal(report.split('\n').filter(l => l.startsWith('lite: error: ')).length, 3, 'one line per error, none forged')
  t.match(report, /:5: \[exec\] user: "\\x1b\[2J\\x1b\[31mredx+…x+" is not uid\[:gid\]/)
  t.ok(report.split('\n').every(l => l.length < 400), 'no line carries the 5000 characters')
  t.match(report, /:6: \[exec\] stop_signal: "TERM\\nlite: error: forged" is not a signal/)
  t.match(report, /:7: malformed key "\\x1b\[1mbold"/)
})
