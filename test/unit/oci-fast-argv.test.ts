// The engines' hot command lines, read without yargs; anything else falls back to it.
import t from 'tap'
import { parseOciFast } from '../../runtime/oci/fast-argv.ts'
import { splitProcessArgs } from '../../runtime/oci/cli.ts'

t.test("containerd's and podman's forms", async (t) => {
  const c = parseOciFast(['--root', '/run/c/ns', '--log', '/b/log.json', '--log-format', 'json', 'create', '--bundle', '/b', '--pid-file', '/b/init.pid', 'c1'])
  t.match(c, { command: 'create', global: { root: '/run/c/ns', log: '/b/log.json', 'log-format': 'json' }, args: { id: 'c1', bundle: '/b', 'pid-file': '/b/init.pid', 'no-pivot': false, 'preserve-fds': 0 } })
  const p = parseOciFast(['--log-format=json', '--log', '/u/oci-log', 'create', '--bundle', '/u', '--pid-file', '/u/pidfile', '--console-socket', '/tmp/conmon-term.X', 'abc'])
  t.match(p, { global: { 'log-format': 'json', root: '/run/lite-oci' }, args: { 'console-socket': '/tmp/conmon-term.X', id: 'abc' } })
  t.match(parseOciFast(['start', 'abc']), { command: 'start', args: { id: 'abc' } })
  t.match(parseOciFast(['delete', '--force', 'abc']), { command: 'delete', args: { id: 'abc', force: true } })
  t.match(parseOciFast(['kill', 'abc', '9']), { command: 'kill', args: { id: 'abc', signal: '9', all: false } })
  t.match(parseOciFast(['kill', '--all', 'abc']), { args: { all: true, signal: 'SIGTERM' } })
  t.match(parseOciFast(['--systemd-cgroup', 'state', 'abc']), { command: 'state', global: { 'systemd-cgroup': true } })
})

t.test('what goes to yargs instead', async (t) => {
  for (const argv of [
    [], ['--help'], ['create', '--help'], ['create'], ['start'], ['start', 'a', 'b'], ['kill', 'a', 'KILL', 'x'],
    ['create', '--bundle'], ['create', '--preserve-fds', '2', 'x'], ['delete', 'x', '--force'], ['--unknown', 'start', 'x'],
    ['exec', 'x', 'sh'], ['list'], ['--root'], ['--version'],
  ]) t.equal(parseOciFast(argv), undefined, argv.join(' ') || '(nothing)')
})

t.test('exec and ps: what follows the ID is the process\'s', async (t) => {
  t.same(splitProcessArgs(['--root', 'r', 'exec', '-t', '--cwd', '/x', 'id', 'sh', '-c', 'echo']), ['--root', 'r', 'exec', '-t', '--cwd', '/x', 'id', '--', 'sh', '-c', 'echo'])
  t.same(splitProcessArgs(['ps', 'id', '-o', 'pid']), ['ps', 'id', '--', '-o', 'pid'])
  t.same(splitProcessArgs(['update', '--resources', '-', 'id']), ['update', '--resources=-', 'id'], "containerd's update --resources -")
  t.same(splitProcessArgs(['state', 'id']), ['state', 'id'])
})
