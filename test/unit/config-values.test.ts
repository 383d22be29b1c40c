import t, { type Test } from 'tap'
import {
  ValueError,
  intRange,
  isBindMount,
  oneOf,
  parseAbsolutePath,
  parseArgv,
  parseBool,
  parseContainerName,
  parseContainerPath,
  parseDuration,
  formatDuration,
  parseEnv,
  parseGroups,
  parseHostPath,
  parseHostname,
  parseHostsLine,
  parseIpAddress,
  parseMountEntry,
  parseRlimit,
  parseSize,
  parseUser,
  HOST_STATE_FSTYPES,
} from '../../runtime/config/values.ts'
import { parseSignal } from '../../runtime/config/signal.ts'

/** Each good input gives its value; each bad input throws a ValueError with that message. */
function table<T>(
  t: Test,
  parse: (raw: string) => T,
  good: Array<[string, T]>,
  bad: Array<[string, string]>,
) {
  for (const [raw, value] of good) t.same(parse(raw), value, `${JSON.stringify(raw)} → ${JSON.stringify(value)}`)
  for (const [raw, message] of bad) t.throws(() => parse(raw), new ValueError(message), `${JSON.stringify(raw)} is refused`)
}

t.test('bool', async t => {
  table(
    t,
    parseBool,
    [['yes', true], ['TRUE', true], ['On', true], ['1', true], ['no', false], ['False', false], ['off', false], ['0', false]],
    [
      ['maybe', '"maybe" is not a boolean (use yes/no, true/false, on/off or 1/0)'],
      ['', '"" is not a boolean (use yes/no, true/false, on/off or 1/0)'],
      ['y', '"y" is not a boolean (use yes/no, true/false, on/off or 1/0)'],
    ],
  )
})

t.test('oneOf', async t => {
  table(t, oneOf(['host', 'none']), [['host', 'host'], ['none', 'none']], [['Host', '"Host" is not one of: host, none']])
})

t.test('size', async t => {
  const notSize = (raw: string) =>
    [raw, `${JSON.stringify(raw)} is not a size (use bytes, or a number with K, M, G or T: 512K, 64M, 1G)`] as [string, string]
  table(
    t,
    parseSize,
    [
      ['0', 0],
      ['4096', 4096],
      ['512B', 512],
      ['512K', 512 * 1024],
      ['64M', 64 * 1024 ** 2],
      ['64m', 64 * 1024 ** 2],
      ['64MB', 64 * 1024 ** 2],
      ['64MiB', 64 * 1024 ** 2],
      ['1G', 1024 ** 3],
      ['2T', 2 * 1024 ** 4],
      ['1.5K', 1536],
      ['0.5M', 512 * 1024],
      ['8191T', 8191 * 1024 ** 4],
      [String(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER],
    ],
    [
      ['-1M', '"-1M": a size can\'t be negative'],
      ['0.3K', '"0.3K" is not a whole number of bytes'],
      ['1.5', '"1.5" is not a whole number of bytes'],
      ['8192T', '"8192T" is too large'],
      ['9007199254740992', '"9007199254740992" is too large'],
      notSize(''),
      notSize('M'),
      notSize('64 M'),
      notSize('64iB'),
      notSize('64P'),
      notSize('1e6'),
      notSize('.5M'),
      notSize('+5M'),
    ],
  )
})

t.test('integer ranges', async t => {
  table(
    t,
    intRange(-1000, 1000),
    [['0', 0], ['-1000', -1000], ['+1000', 1000], ['007', 7]],
    [
      ['1001', '1001 is out of range (-1000..1000)'],
      ['-99999999999999999999', '-99999999999999999999 is out of range (-1000..1000)'],
      ['1.0', '"1.0" is not an integer'],
      ['', '"" is not an integer'],
      ['ten', '"ten" is not an integer'],
    ],
  )
})

t.test('durations: bare seconds or Go-style units, exact, in range', async t => {
  const forms = 'seconds such as 30 or 0.5, or a number with ms, s, m or h such as 500ms, 2m, 1m30s'
  const notDuration = (raw: string) => [raw, `${JSON.stringify(raw)} is not a duration (use ${forms})`] as [string, string]
  const unknownUnit = (raw: string, unit: string) => [raw, `${JSON.stringify(raw)}: unknown unit ${JSON.stringify(unit)} (use ms, s, m or h)`] as [string, string]
  const order = (raw: string) => [raw, `${JSON.stringify(raw)}: write each unit once, largest first (as in 1h30m or 1m30s)`] as [string, string]
  const DAY = 24 * 3_600_000
  table(
    t,
    parseDuration(100, DAY),
    [
      ['30', 30_000],
      ['0.5', 500],
      ['0.1', 100],
      ['1.25', 1250],
      ['500ms', 500],
      ['1s', 1000],
      ['1.5s', 1500],
      ['2m', 120_000],
      ['1h', 3_600_000],
      ['1.5h', 5_400_000],
      ['1m30s', 90_000],
      ['1h2m3s4ms', 3_723_004],
      ['1h0m', 3_600_000],
      ['0.002m', 120],
      ['24h', DAY],
      ['86400', DAY],
      ['0000100ms', 100],
      ['100.000ms', 100],
    ],
    [
      notDuration(''),
      notDuration('s'),
      notDuration('ms'),
      notDuration('1.5.2s'),
      notDuration('1.5.2'),
      notDuration('.5s'),
      notDuration('5.s'),
      notDuration('1m30'),
      notDuration('1 s'),
      notDuration(' 1s'),
      notDuration('+1s'),
      notDuration('1e3'),
      notDuration('Infinity'),
      notDuration('NaN'),
      notDuration('1s,'),
      ['-1s', '"-1s": a duration can\'t be negative'],
      ['-0', '"-0": a duration can\'t be negative'],
      unknownUnit('5x', 'x'),
      unknownUnit('1d', 'd'),
      unknownUnit('10ns', 'ns'),
      unknownUnit('10us', 'us'),
      unknownUnit('10µs', 'µs'),
      unknownUnit('1S', 'S'),
      unknownUnit('1M', 'M'),
      unknownUnit('1sec', 'sec'),
      order('30s1m'),
      order('1m1m'),
      order('1ms1s'),
      ['0.0005s', '"0.0005s" is not a whole number of milliseconds'],
      ['1.5ms', '"1.5ms" is not a whole number of milliseconds'],
      ['0.0001', '"0.0001" is not a whole number of milliseconds'],
      ['99ms', '99ms is out of range (100ms..24h)'],
      ['0', '0 is out of range (100ms..24h)'],
      ['0.05', '0.05 is out of range (100ms..24h)'],
      ['24h1ms', '24h1ms is out of range (100ms..24h)'],
      ['86401', '86401 is out of range (100ms..24h)'],
      ['99999999999999999999999h', '99999999999999999999999h is out of range (100ms..24h)'],
      ['1' + '0'.repeat(400) + 's', `1${'0'.repeat(47)}…${'0'.repeat(30)}s is out of range (100ms..24h)`],
    ],
  )
  table(t, parseDuration(0, DAY), [['0', 0], ['0s', 0], ['0ms', 0], ['0.0', 0], ['1h59m', 7_140_000]], [])
  t.throws(() => parseDuration(0, 1000)('2s'), new ValueError('2s is out of range (0..1s)'))
  t.throws(() => parseDuration(1500, 90_000)('1s'), new ValueError('1s is out of range (1s500ms..1m30s)'))
  t.same([0, 1, 100, 999, 1000, 1500, 60_000, 90_000, 3_600_000, 3_723_004, DAY].map(formatDuration), ['0', '1ms', '100ms', '999ms', '1s', '1s500ms', '1m', '1m30s', '1h', '1h2m3s4ms', '24h'])
  for (const ms of [0, 1, 100, 1500, 90_000, 3_723_004, DAY]) t.equal(parseDuration(0, DAY)(formatDuration(ms)), ms, `${formatDuration(ms)} reads back`)
})

t.test('paths', async t => {
  table(
    t,
    parseAbsolutePath,
    [['/', '/'], ['/a//b/', '/a/b'], ['/a/./b/../c', '/a/c']],
    [
      ['a/b', '"a/b" is not an absolute path'],
      ['/a\0b', '"/a\\x00b" contains a NUL byte'],
    ],
  )
  table(
    t,
    (raw: string) => parseHostPath(raw, '/etc/lite'),
    [['rootfs', '/etc/lite/rootfs'], ['../img/x.sqfs', '/etc/img/x.sqfs'], ['/opt/r/', '/opt/r']],
    [['', 'empty path']],
  )
  table(
    t,
    parseContainerPath,
    [['/', '/'], ['/app/', '/app'], ['//srv//data', '/srv/data']],
    [
      ['app', '"app" is not an absolute path inside the container'],
      ['/a/../b', '"/a/../b" has a ".." component'],
    ],
  )
})

t.test('container name and hostname', async t => {
  const long = 'a'.repeat(63)
  table(
    t,
    parseContainerName,
    [['web', 'web'], ['0', '0'], ['sensor_py.v2-1', 'sensor_py.v2-1'], [long, long]],
    ['Web', '-web', '.web', '', 'a b', long + 'a'].map(raw => [
      raw,
      `${JSON.stringify(raw)} is not a valid container name (1 to 63 of a-z 0-9 _ . -, starting with a letter or digit)`,
    ]),
  )
  const label63 = 'b'.repeat(63)
  table(
    t,
    parseHostname,
    [['web', 'web'], ['Web-1', 'Web-1'], ['a.b.c', 'a.b.c'], [label63, label63]],
    ['-a', 'a-', 'a_b', 'a..b', 'a.', '', 'b'.repeat(64), `${label63}.x`].map(raw => [
      raw,
      `${JSON.stringify(raw)} is not a valid hostname (at most 64 characters; labels of letters, digits and '-', separated by '.')`,
    ]),
  )
})

t.test('argv', async t => {
  table(
    t,
    parseArgv,
    [
      ['/bin/sh', ['/bin/sh']],
      ['  a   b\tc  ', ['a', 'b', 'c']],
      [`sh -c 'echo "$HOME"; ls'`, ['sh', '-c', 'echo "$HOME"; ls']],
      [`echo "a \\"b\\" \\\\ \\n"`, ['echo', 'a "b" \\ \\n']],
      ['a\\ b c\\\\d', ['a b', 'c\\d']],
      [`a"b c"d 'e'f`, ['ab cd', 'ef']],
      [`x '' ""`, ['x', '', '']],
      ['echo $HOME *', ['echo', '$HOME', '*']],
    ],
    [
      [`sh -c 'a`, `unterminated ' quote in "sh -c 'a"`],
      [`sh -c "a`, `unterminated " quote in "sh -c \\"a"`],
      ['a\\', 'trailing backslash in "a\\\\"'],
      ['', 'empty command'],
      ['   ', 'empty command'],
    ],
  )
})

t.test('env', async t => {
  table(
    t,
    parseEnv,
    [
      ['A=1', { name: 'A', value: '1' }],
      ['_x9=', { name: '_x9', value: '' }],
      ['URL=a=b', { name: 'URL', value: 'a=b' }],
    ],
    ['1A=1', 'A', '=1', 'A-B=1', 'A B=1'].map(raw => [
      raw,
      `${JSON.stringify(raw)} is not KEY=VALUE (KEY is letters, digits and '_', not starting with a digit)`,
    ]),
  )
})

t.test('user and groups', async t => {
  table(
    t,
    parseUser,
    [
      ['0', { uid: 0, gid: 0 }],
      ['1000', { uid: 1000, gid: 1000 }],
      ['1000:100', { uid: 1000, gid: 100 }],
      ['4294967294:0', { uid: 4294967294, gid: 0 }],
    ],
    ['nobody', '', '1000:', ':100', '1:2:3', '-1', '4294967295', '1000:4294967295'].map(raw => [
      raw,
      `${JSON.stringify(raw)} is not uid[:gid] (numbers from 0 to 4294967294; names are not looked up)`,
    ]),
  )
  table(
    t,
    parseGroups,
    [['', []], ['10', [10]], ['10,20 30', [10, 20, 30]], [' 1 , 2 ', [1, 2]]],
    [
      ['10,wheel', '"wheel" is not a group id (a number from 0 to 4294967294)'],
      ['4294967295', '"4294967295" is not a group id (a number from 0 to 4294967294)'],
    ],
  )
})

t.test('signals', async t => {
  const bad = (raw: string) =>
    [raw, `${JSON.stringify(raw)} is not a signal (use a name like SIGTERM or TERM, or a number from 1 to 64)`] as [
      string,
      string,
    ]
  table(
    t,
    parseSignal,
    [
      ['SIGTERM', 15],
      ['TERM', 15],
      ['term', 15],
      ['15', 15],
      ['SIGHUP', 1],
      ['KILL', 9],
      ['SIGUSR1', 10],
      ['SIGUSR2', 12],
      ['SIGCHLD', 17],
      ['SIGSYS', 31],
      ['SIGRTMIN', 34],
      ['SIGRTMIN+3', 37],
      ['rtmin+30', 64],
      ['SIGRTMAX', 64],
      ['RTMAX-2', 62],
      ['64', 64],
      ['1', 1],
    ],
    ['0', '65', 'SIGFOO', '', 'SIG', 'SIGRTMIN+31', 'SIGRTMIN-1', 'SIGRTMAX+1', 'SIGRTMAX-31', '-15', 'TERM ', 'SIGconstructor'].map(bad),
  )
})

t.test('rlimit', async t => {
  table(
    t,
    parseRlimit,
    [
      ['1024', { soft: 1024, hard: 1024 }],
      ['1024:4096', { soft: 1024, hard: 4096 }],
      ['0', { soft: 0, hard: 0 }],
      ['unlimited', { soft: -1, hard: -1 }],
      ['infinity', { soft: -1, hard: -1 }],
      ['1024:unlimited', { soft: 1024, hard: -1 }],
      ['Unlimited:INFINITY', { soft: -1, hard: -1 }],
    ],
    [
      ['4096:1024', '"4096:1024": the soft limit is above the hard limit'],
      ['unlimited:1024', '"unlimited:1024": the soft limit is above the hard limit'],
      ['-1', '"-1" is not soft[:hard] (each a non-negative integer or "unlimited")'],
      ['1:2:3', '"1:2:3" is not soft[:hard] (each a non-negative integer or "unlimited")'],
      ['1K', '"1K" is not soft[:hard] (each a non-negative integer or "unlimited")'],
      ['', '"" is not soft[:hard] (each a non-negative integer or "unlimited")'],
      ['1:', '"1:" is not soft[:hard] (each a non-negative integer or "unlimited")'],
      ['99999999999999999', '"99999999999999999": 99999999999999999 is too large'],
    ],
  )
})

t.test('IP addresses and hosts lines', async t => {
  table(
    t,
    parseIpAddress,
    [['192.0.2.1', '192.0.2.1'], ['2001:db8::1', '2001:db8::1'], ['::1', '::1']],
    ['192.0.2', '256.0.0.1', 'dns.example', ''].map(raw => [raw, `${JSON.stringify(raw)} is not an IP address`]),
  )
  table(
    t,
    parseHostsLine,
    [
      ['192.0.2.10 gw', '192.0.2.10 gw'],
      ['192.0.2.10\tgw   gw.example.com', '192.0.2.10 gw gw.example.com'],
      ['::1 localhost6', '::1 localhost6'],
    ],
    [
      ['192.0.2.10', '"192.0.2.10" is not "ADDRESS NAME [NAME...]"'],
      ['gw 192.0.2.10', '"gw" is not an IP address'],
      ['192.0.2.10 bad_name', '"bad_name" is not a valid host name'],
    ],
  )
})

t.test('mount entries', async t => {
  const parse = (raw: string) => parseMountEntry(raw, '/etc/lite')
  const entry = (source: string, target: string, fstype: string, options: string[], create = 'none', optional = false) => ({
    source,
    target,
    fstype,
    options,
    create,
    optional,
  })
  table(
    t,
    parse,
    [
      ['tmpfs /tmp tmpfs', entry('tmpfs', '/tmp', 'tmpfs', [])],
      ['tmpfs tmp tmpfs size=8M,mode=1777', entry('tmpfs', '/tmp', 'tmpfs', ['size=8M', 'mode=1777'])],
      ['/srv/data /data none bind,ro 0 0', entry('/srv/data', '/data', 'none', ['bind', 'ro'])],
      ['data /data bind defaults', entry('/etc/lite/data', '/data', 'bind', ['defaults'])],
      ['./d//x/ /data/ none rbind', entry('/etc/lite/d/x', '/data', 'none', ['rbind'])],
      [
        '/dev/i2c-1 /dev/i2c-1 none bind,create=file,optional',
        entry('/dev/i2c-1', '/dev/i2c-1', 'none', ['bind'], 'file', true),
      ],
      ['/a\\040b /my\\040dir none bind,create=dir', entry('/a b', '/my dir', 'none', ['bind'], 'dir')],
      ['mqueue /dev/mqueue mqueue nosuid,,nodev', entry('mqueue', '/dev/mqueue', 'mqueue', ['nosuid', 'nodev'])],
      ['none /dev/hugepages hugetlbfs pagesize=2M', entry('none', '/dev/hugepages', 'hugetlbfs', ['pagesize=2M'])],
      ['/proc /proc2 none rbind,ro', entry('/proc', '/proc2', 'none', ['rbind', 'ro'])],
    ],
    [
      ['/srv /data', '"/srv /data" is not "SOURCE TARGET TYPE [OPTIONS]" (2 fields)'],
      ['a b c d 0 0 x', '"a b c d 0 0 x" is not "SOURCE TARGET TYPE [OPTIONS]" (7 fields)'],
      ['a /b tmpfs rw x', '"a /b tmpfs rw x": unexpected field "x" after the options'],
      ['tmpfs /a/../etc tmpfs', '"/a/../etc" has a ".." component'],
      ['tmpfs ../etc tmpfs', '"/../etc" has a ".." component'],
      ['tmpfs / tmpfs', '"tmpfs / tmpfs": can\'t mount over the container\'s root'],
      ['/srv /data ext4 bind', '"/srv /data ext4 bind": a bind mount needs the type "none" or "bind", not "ext4"'],
      ['/srv /data none bind,create=link', '"create=link": create= takes dir or file'],
      ['/srv /data none bind,create=dir,create=file', '"/srv /data none bind,create=dir,create=file": create=dir and create=file together'],
    ],
  )
  t.ok(isBindMount({ fstype: 'bind', options: [] }))
  t.ok(isBindMount({ fstype: 'none', options: ['rbind'] }))
  t.notOk(isBindMount({ fstype: 'tmpfs', options: ['size=1M'] }))
})

t.test('mount types that show the host kernel state are refused, each saying why and what to use', async t => {
  // issue 12 defect 4: "proc /proc2 proc" gave a procfs with no masks, and /proc2/sys/kernel/core_pattern was writable
  const expected: Record<string, RegExp> = {
    proc: /Use \/proc$/,
    sysfs: /Use \/sys$/,
    cgroup: /\[resources\], \[cgroup\] or \[cgroup2\]$/,
    cgroup2: /\[resources\], \[cgroup\] or \[cgroup2\]$/,
    devtmpfs: /\[devices\] allow\[\]$/,
  }
  const refused = ['proc', 'sysfs', 'cgroup', 'cgroup2', 'devtmpfs', 'securityfs', 'debugfs', 'tracefs', 'bpf', 'configfs', 'efivarfs', 'pstore', 'binfmt_misc', 'fusectl']
  t.same(refused.filter(type => !Object.hasOwn(HOST_STATE_FSTYPES, type)), [], 'all in the table')
  for (const type of refused) {
    for (const written of [type, type.toUpperCase()]) {
      let message = ''
      try {
        parseMountEntry(`${type} /mnt/${type} ${written} nosuid,create=dir`, '/etc/lite')
      } catch (err) {
        t.ok(err instanceof ValueError)
        message = (err as Error).message
      }
      t.match(message, new RegExp(`^the type "${written}" is refused: \\S`), `${written} is refused`)
      t.match(message, expected[type] ?? /bind that host path \(e\.g\. with bind,ro\) instead$|code$/, `${written}: says what to use`)
    }
  }
  t.same(parseMountEntry('/proc/sys /proc2 none bind,ro', '/etc/lite').fstype, 'none', 'a bind of a host path stays the integrator\'s choice')
})
