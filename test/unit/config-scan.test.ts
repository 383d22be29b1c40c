import t from 'tap'
import ini from 'ini'
import { inlineComment, isWholeQuoted, scanIni, splitLines } from '../../runtime/config/scan.ts'

const messages = (text: string) => scanIni(text, 'c.ini').errors.map(e => `${e.line}: ${e.message}`)

t.test('sections and entries with their lines', async t => {
  const r = scanIni(
    [
      '# a comment',
      '[container]',
      'name = web',
      '',
      '   ; an indented comment',
      '[exec]',
      '  cmd   =   /bin/sh -c true   ',
      'env[] = A=1',
      'env[]=B=2',
      'empty =',
    ].join('\n'),
    'c.ini',
  )
  t.same(r.errors, [])
  t.same(r.sections, [
    { name: 'container', line: 2 },
    { name: 'exec', line: 6 },
  ])
  t.same(r.entries, [
    { section: 'container', key: 'name', isList: false, raw: 'web', line: 3, hasError: false },
    { section: 'exec', key: 'cmd', isList: false, raw: '/bin/sh -c true', line: 7, hasError: false },
    { section: 'exec', key: 'env', isList: true, raw: 'A=1', line: 8, hasError: false },
    { section: 'exec', key: 'env', isList: true, raw: 'B=2', line: 9, hasError: false },
    { section: 'exec', key: 'empty', isList: false, raw: '', line: 10, hasError: false },
  ])
})

t.test('line endings: \\r\\n, \\r and \\n all count one line', async t => {
  t.same(splitLines('a\r\nb\rc\nd'), ['a', 'b', 'c', 'd'])
  const r = scanIni('[exec]\r\n\r\ncmd = x\r\nuser = 1 \r\n', 'c.ini')
  t.same(
    r.entries.map(e => [e.key, e.raw, e.line]),
    [
      ['cmd', 'x', 3],
      ['user', '1', 4],
    ],
  )
})

t.test('a repeated section header merges, and duplicates span both parts', async t => {
  const r = scanIni('[exec]\ncmd = a\n[net]\ntype = host\n[exec]\ncwd = /\ncmd = b\n', 'c.ini')
  t.same(r.sections.map(s => s.name), ['exec', 'net', 'exec'])
  t.same(r.entries.map(e => `${e.section}.${e.key}`), ['exec.cmd', 'net.type', 'exec.cwd', 'exec.cmd'])
  t.same(messages('[exec]\ncmd = a\n[net]\ntype = host\n[exec]\ncwd = /\ncmd = b\n'), [
    '7: duplicate key "cmd" in [exec] (first at line 2); write "cmd[] = ..." for lists',
  ])
  t.equal(r.entries[3]!.hasError, true)
})

t.test('structural errors', async t => {
  t.same(messages('name = x\n[exec]\n'), ['1: "name" is outside any section; put it under a [section] header'])
  t.same(messages('[exec]\ninit\n'), [`2: missing '=' in "init"`])
  t.same(messages('[exec]\n = x\n'), ["2: missing key before '='"])
  t.same(messages('[exec]\nmy key = x\nenv [] = y\na;b = 1\n'), [
    `2: malformed key "my key": a key is letters, digits, '_', '-' and '.', with "[]" right after it for a list item`,
    `3: malformed key "env []": a key is letters, digits, '_', '-' and '.', with "[]" right after it for a list item`,
    `4: malformed key "a;b": a key is letters, digits, '_', '-' and '.', with "[]" right after it for a list item`,
  ])
  t.same(messages('[]\n'), ['1: empty section header "[]"'])
  t.same(messages('[exec\n'), ['1: malformed section header "[exec": write "[name]" alone on its line'])
  t.same(messages('[exec] x\n'), ['1: malformed section header "[exec] x": write "[name]" alone on its line'])
  t.same(messages(' [exec]\n'), ['1: section header "[exec]" must start in the first column'])
  t.same(messages('[net.0]\n'), [`1: malformed section header "[net.0]": a section name is letters, digits, '-' and '_'`])
  t.same(messages('[exec]\nenv[] = A=1\nenv = B=2\n'), [
    '3: key "env" in [exec] is written both as "env" and as "env[]" (first at line 2); use one form',
  ])
  t.same(messages('[exec]\ncmd = a\u2028b\n'), ['2: line contains a Unicode line separator (U+2028 or U+2029); remove it'])
})

t.test('the lines after a malformed header are skipped quietly', async t => {
  const r = scanIni('[exec\ncmd = x\nenv[] = A=1\n[net]\ntype = host\n', 'c.ini')
  t.equal(r.errors.length, 1)
  t.same(r.entries.map(e => `${e.section}.${e.key}`), ['net.type'])
  t.same(r.badHeaders, [{ name: 'exec', line: 1 }])
})

t.test('a section header with spaces inside the brackets is what ini reads too', async t => {
  const r = scanIni('[ exec ]\ncmd = x\n', 'c.ini')
  t.same(r.errors, [])
  t.same(r.sections, [{ name: 'exec', line: 1 }])
  t.same(Object.keys(ini.decode('[ exec ]\ncmd = x\n')), ['exec'])
})

t.test("';' and '#' in values", async t => {
  t.same(messages('[exec]\ncmd = sh -c "a; b"\n'), [
    "2: [exec] cmd: unquoted ';' would cut the value here; quote the whole value ('...') or escape it as \\;",
  ])
  t.same(messages('[net]\nurl = http://x/#frag\n'), [
    "2: [net] url: unquoted '#' would cut the value here; quote the whole value ('...') or escape it as \\#",
  ])
  t.same(messages('[rootfs]\nsize = 32M   ; cap\nupper = tmpfs # the default\nk = ;only a comment\n'), [])
  t.same(messages('[exec]\ncmd = "sh -c \'a; b\'"\nenv[] = \'A=x#y\'\nenv[] = B=1\\;2\\#3\n'), [])
  t.same(messages('[rootfs]\npath = "/x" ; lower\n'), [
    '2: [rootfs] path: with a comment after a quoted value, ini would keep the quotes in the value; move the comment to its own line',
  ])
  t.same(messages('[exec]\ncmd = "a; b" # note\n'), [
    "2: [exec] cmd: with a comment after a quoted value, ini would cut the value at the ';' inside the quotes; move the comment to its own line",
  ])
  const r = scanIni('[exec]\ncmd = sh -c "a; b"\n', 'c.ini')
  t.equal(r.entries[0]!.hasError, true, 'the entry is kept, marked, so list items still line up with ini')
})

t.test('inlineComment agrees with where ini cuts a value', async t => {
  const cases: Array<[string, string | undefined]> = [
    ['32M   ; cap', 'comment'],
    ['; all comment', 'comment'],
    ['a #b', 'comment'],
    ['a\t;b', 'comment'],
    ['sh -c "a; b"', 'cut'],
    ["sh -c 'a # b'", 'cut'],
    ['http://x/#frag', 'cut'],
    ['a;b', 'cut'],
    ['a\\;b', undefined],
    ['a\\\\;b', 'cut'], // the backslash is escaped, so the ';' is not
    ['"a;b"', undefined],
    ["'a;b'", undefined],
    ['"a" "b;c"', undefined], // ini: quoted as a whole, kept
    ['"x" ; c', 'after-quoted'],
    ['"a; b" ; c', 'after-quoted'],
    ['plain', undefined],
  ]
  for (const [value, kind] of cases) {
    const found = inlineComment(value)
    t.equal(found?.kind, kind, value)
    const decoded = ini.unsafe(value)
    if (found === undefined) {
      // ini keeps the value whole: nothing was cut
      const expectFull = isWholeQuoted(value) || !/[;#]/.test(value.replace(/\\[\\;#]/g, ''))
      t.ok(expectFull, `${value}: not cut`)
    } else {
      // ini's result is exactly the text before the cut, quotes and all
      const before = value.slice(0, found.at).trim()
      const expected = isWholeQuoted(before) ? before : ini.unsafe(before)
      t.equal(decoded, expected, `${value}: cut at ${found.at}`)
    }
  }
})

t.test('isWholeQuoted follows ini', async t => {
  t.ok(isWholeQuoted('"a"'))
  t.ok(isWholeQuoted("'a'"))
  t.notOk(isWholeQuoted('"a\''))
  t.notOk(isWholeQuoted('a"'))
})

t.test('a section or key name is at most 128 characters, and a long one is cheap', async t => {
  // issue 12 defect 13: a 2 MiB name cost 10.7 s and 1.7 GB in "did you mean"
  t.same(messages(`[${'a'.repeat(128)}]\n${'k'.repeat(128)} = 1\n`), [], '128 is allowed')
  t.same(messages(`[${'a'.repeat(129)}]\nx = 1\n`), [`1: section name "${'a'.repeat(48)}…${'a'.repeat(31)}" is 129 characters long; a name is at most 128`])
  t.same(messages(`[exec]\n${'k'.repeat(129)}[] = 1\n`), [`2: key "${'k'.repeat(48)}…${'k'.repeat(31)}" is 129 characters long; a name is at most 128`])
  const huge = 'k'.repeat(2 * 1024 * 1024)
  const started = Date.now()
  const r = scanIni(`[${huge}]\nx = 1\n[exec]\n${huge} = 1\ncmd = x\n`, 'c.ini')
  t.same(r.errors.map(e => e.line), [1, 4])
  t.same(r.entries.map(e => e.key), ['cmd'], 'the long key is not an entry')
  t.ok(Date.now() - started < 2000, 'scanned in bounded time')
})

t.test('echoed lines are escaped and cut', async t => {
  t.same(messages(`[exec]\n\x1b[31m no equals ${'x'.repeat(200)}\n`), [`2: missing '=' in "\\x1b[31m no equals ${'x'.repeat(29)}…${'x'.repeat(31)}"`])
  t.same(messages('[exec\x07]\n'), ['1: malformed section header "[exec\\x07]": a section name is letters, digits, \'-\' and \'_\''])
})
