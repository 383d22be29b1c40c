import t from 'tap'
import { parseConfigText, readConfigFile } from '../../runtime/config/parse.ts'

const values = (text: string) =>
  parseConfigText(text, 'c.ini').keys.map(k => ({
    id: `${k.section}.${k.key}${k.isList ? '[]' : ''}`,
    values: k.values.map(v => v.value),
    lines: k.values.map(v => v.line),
    unreadable: k.unreadable,
  }))

t.test('values come back as the text the user meant', async t => {
  const text = [
    '[exec]',
    'a = true', // ini: boolean true
    'b = false',
    'c = null',
    "d = '123'", // ini: JSON.parse → number
    "e = '\"x\"'", // ini: JSON.parse → x
    'f = "a\\"b"', // JSON string
    'g = x\\;y\\#z', // escapes
    'h = 32M   ; comment',
    'i =',
    "j = 'true'",
  ].join('\n')
  t.same(
    values(text).map(v => [v.id, v.values[0]]),
    [
      ['exec.a', 'true'],
      ['exec.b', 'false'],
      ['exec.c', 'null'],
      ['exec.d', '123'],
      ['exec.e', '"x"'],
      ['exec.f', 'a"b'],
      ['exec.g', 'x;y#z'],
      ['exec.h', '32M'],
      ['exec.i', ''],
      ['exec.j', 'true'],
    ],
  )
})

t.test('list items keep their order and lines, across repeated headers', async t => {
  const text = '[exec]\nenv[] = A=1\n\n# c\nenv[] = B=2\n[net]\ntype = host\n[exec]\nenv[] = C=3\n'
  t.same(values(text), [
    { id: 'exec.env[]', values: ['A=1', 'B=2', 'C=3'], lines: [2, 5, 9], unreadable: false },
    { id: 'net.type', values: ['host'], lines: [7], unreadable: false },
  ])
})

t.test('keys the scanner and ini read differently are unreadable', async t => {
  // a duplicate: ini keeps only the last value
  t.same(values('[exec]\ncmd = a\ncmd = b\n')[0]!.unreadable, true)
  // a malformed header that ini reads as part of [exec]
  const r = values('[exec]\nenv[] = A=1\n[exec ;x]\nenv[] = B=2\n')
  t.same(r[0]!.values, ['A=1'])
  t.equal(r[0]!.unreadable, true)
  // "key x" with a ';' is read by ini as "key"
  t.equal(values('[exec]\ncmd = a\ncmd;x = b\n')[0]!.unreadable, true)
})

t.test('an item the scanner flagged is marked, the rest stay usable', async t => {
  const raw = parseConfigText('[exec]\nenv[] = A=1\nenv[] = U=http://x/#y\nenv[] = C=3\n', 'c.ini')
  t.equal(raw.errors.length, 1)
  t.equal(raw.keys[0]!.unreadable, false)
  t.same(
    raw.keys[0]!.values.map(v => [v.value, v.unreadable]),
    [
      ['A=1', false],
      ['U=http://x/', true],
      ['C=3', false],
    ],
  )
})

t.test('a byte order mark does not hide the first header', async t => {
  const raw = parseConfigText('\uFEFF[exec]\ncmd = x\n', 'c.ini')
  t.same(raw.errors, [])
  t.same(raw.keys.map(k => [k.section, k.key, k.values[0]!.value]), [['exec', 'cmd', 'x']])
})

t.test('a file that cannot be read is one error at line 0', async t => {
  const dir = t.testdir({ 'a-dir': {} })
  const missing = readConfigFile(`${dir}/nope.ini`)
  t.same(missing.errors, [{ file: `${dir}/nope.ini`, line: 0, message: 'No such file or directory (ENOENT)' }])
  t.equal(missing.unreadableFile, true)
  t.same(readConfigFile(`${dir}/a-dir`).errors.map(e => e.message), ['a directory, not a regular file'])
})
