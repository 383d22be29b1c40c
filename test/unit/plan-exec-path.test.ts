import t from 'tap'
import { envValue, execCandidates } from '../../runtime/plan/exec-path.ts'

t.test('envValue', async t => {
  const env = ['A=1', 'PATH=/bin', 'PATHX=no', 'B=', 'PATH=/usr/bin', 'C=x=y']
  const cases: [string, string | undefined][] = [
    ['A', '1'],
    ['PATH', '/usr/bin'],
    ['PATHX', 'no'],
    ['B', ''],
    ['C', 'x=y'],
    ['D', undefined],
    ['PAT', undefined],
  ]
  for (const [key, want] of cases) t.equal(envValue(env, key), want, key)
  t.equal(envValue([], 'PATH'), undefined, 'empty env')
})

t.test('execCandidates', async t => {
  const cases: { name: string; cmd: string; env: string[]; cwd?: string; want: string[] }[] = [
    { name: 'absolute path', cmd: '/bin/sh', env: ['PATH=/usr/bin'], want: ['/bin/sh'] },
    { name: 'absolute path is normalised', cmd: '/usr//bin/../bin/./env', env: [], want: ['/usr/bin/env'] },
    { name: 'relative path with a slash, against cwd', cmd: './app', env: ['PATH=/bin'], cwd: '/srv', want: ['/srv/app'] },
    { name: 'relative path with a subdir', cmd: 'bin/app', env: ['PATH=/bin'], cwd: '/srv', want: ['/srv/bin/app'] },
    { name: 'relative path going up', cmd: '../tools/x', env: [], cwd: '/srv/app', want: ['/srv/tools/x'] },
    { name: 'relative path from /', cmd: './app', env: [], cwd: '/', want: ['/app'] },
    {
      name: 'PATH search, in order',
      cmd: 'sh',
      env: ['PATH=/usr/local/bin:/usr/bin:/bin'],
      want: ['/usr/local/bin/sh', '/usr/bin/sh', '/bin/sh'],
    },
    { name: 'PATH duplicates dropped, first kept', cmd: 'sh', env: ['PATH=/bin:/usr/bin:/bin'], want: ['/bin/sh', '/usr/bin/sh'] },
    { name: 'PATH duplicates after normalising', cmd: 'sh', env: ['PATH=/bin:/bin/:/usr/../bin'], want: ['/bin/sh'] },
    { name: 'empty PATH element is the cwd', cmd: 'app', env: ['PATH=/bin::/usr/bin'], cwd: '/srv', want: ['/bin/app', '/srv/app', '/usr/bin/app'] },
    { name: 'leading empty element', cmd: 'app', env: ['PATH=:/bin'], cwd: '/srv', want: ['/srv/app', '/bin/app'] },
    { name: 'trailing empty element', cmd: 'app', env: ['PATH=/bin:'], cwd: '/srv', want: ['/bin/app', '/srv/app'] },
    { name: 'relative PATH element, against cwd', cmd: 'app', env: ['PATH=bin:/bin'], cwd: '/srv', want: ['/srv/bin/app', '/bin/app'] },
    { name: 'empty PATH is the cwd', cmd: 'app', env: ['PATH='], cwd: '/srv', want: ['/srv/app'] },
    { name: 'no PATH at all is the cwd', cmd: 'app', env: ['HOME=/'], cwd: '/srv', want: ['/srv/app'] },
    { name: 'the last PATH= wins', cmd: 'sh', env: ['PATH=/a', 'HOME=/', 'PATH=/b:/c'], want: ['/b/sh', '/c/sh'] },
    { name: 'a variable that only starts with PATH is not PATH', cmd: 'sh', env: ['PATH=/a', 'PATHEXT=/b'], want: ['/a/sh'] },
  ]
  for (const c of cases) t.same(execCandidates(c.cmd, c.env, c.cwd ?? '/'), c.want, c.name)
})

t.test('an empty program name is no candidate', async t => {
  // cmd = "" (or lite run cfg.ini -- "") resolves to the PATH directories
  // themselves, so the child execs a directory and lite reports EACCES (126)
  // instead of "command not found" (127).
  t.same(execCandidates('', ['PATH=/usr/bin:/bin'], '/'), [], 'no candidates')
})
