// errorText: what a LiteError prints; control characters from images, archives and
// registries never reach the terminal raw.

import t from 'tap'
import { LiteError, errorText, printable } from '../../runtime/errors.ts'

t.test('ESC, BEL, CR and C1 controls are escaped; line breaks and tabs stay', async (t) => {
  t.equal(printable('a\x1b]0;x\x07\x1b[2J\r\x9b31m\x7f\0b'), 'a\\u001b]0;x\\u0007\\u001b[2J\\u000d\\u009b31m\\u007f\\u0000b')
  t.equal(printable('line 1\n\tline 2 é ü 日本'), 'line 1\n\tline 2 é ü 日本')
  t.equal(errorText(new LiteError('platform linux/\x1b[31mred')), 'lite: error: platform linux/\\u001b[31mred')
  t.equal(errorText(new LiteError('x.ini:3: \x1b[0m', 125, true)), 'x.ini:3: \\u001b[0m')
})
