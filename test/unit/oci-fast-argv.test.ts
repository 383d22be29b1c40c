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

t.test("exec: a health check's, conmon's and containerd's forms; the command is taken as given", async (t) => {
  t.same(parseOciFast(['exec', 'x', 'sh', '-c', 'echo --root=1 -t']), {
    command: 'exec',
    global: { root: '/run/lite-oci', 'log-format': 'text', debug: false, 'systemd-cgroup': false },
    args: { tty: false, detach: false, 'preserve-fds': 0, env: [], 'additional-gids': [], cap: [], 'no-new-privs': false, id: 'x', args: ['sh', '-c', 'echo --root=1 -t'] },
  })
  t.match(parseOciFast(['--root', '/r', 'exec', '--process', '/tmp/p.json', '--detach', '--pid-file', '/tmp/pid', 'c1']), { global: { root: '/r' }, args: { process: '/tmp/p.json', detach: true, 'pid-file': '/tmp/pid', id: 'c1', args: [] } })
  t.match(parseOciFast(['--log-format=json', 'exec', '-t', '--console-socket=/s', '--preserve-fds', '2', '-p', 'p.json', 'c2']), { global: { 'log-format': 'json' }, args: { tty: true, 'console-socket': '/s', 'preserve-fds': 2, process: 'p.json', id: 'c2' } })
  t.match(parseOciFast(['exec', 'x', '--env', 'A=1']), { args: { id: 'x', args: ['--env', 'A=1'], env: [] } }, 'flags after the ID are the command\'s')
})

t.test('what goes to yargs instead', async (t) => {
  for (const argv of [
    [], ['--help'], ['create', '--help'], ['create'], ['start'], ['start', 'a', 'b'], ['kill', 'a', 'KILL', 'x'],
    ['create', '--bundle'], ['create', '--preserve-fds', '2', 'x'], ['delete', 'x', '--force'], ['--unknown', 'start', 'x'],
    ['exec'], ['exec', '--env', 'A=1', 'x', 'sh'], ['exec', '--cwd', '/', 'x'], ['exec', 'x', '--', 'sh'], ['exec', '--preserve-fds', 'two', 'x'], ['exec', '--process'],
    ['start', 'x', 'sh'], ['list'], ['--root'], ['--version'],
  ]) t.equal(parseOciFast(argv), undefined, argv.join(' ') || '(nothing)')
})

t.test('exec and ps: what follows the ID is the process\'s', async (t) => {
  t.same(splitProcessArgs(['--root', 'r', 'exec', '-t', '--cwd', '/x', 'id', 'sh', '-c', 'echo']), ['--root', 'r', 'exec', '-t', '--cwd', '/x', 'id', '--', 'sh', '-c', 'echo'])
  t.same(splitProcessArgs(['ps', 'id', '-o', 'pid']), ['ps', 'id', '--', '-o', 'pid'])
  t.same(splitProcessArgs(['update', '--resources', '-', 'id']), ['update', '--resources=-', 'id'], "containerd's update --resources -")
  t.same(splitProcessArgs(['state', 'id']), ['state', 'id'])
})
