import t from 'tap'
import { MIN_LOG_SIZE, parseDelay, parseHealthCmd, parseLogSize, parseRestart } from '../../runtime/config/start-values.ts'
import { ValueError } from '../../runtime/config/values.ts'

t.test('restart policies', async t => {
  t.same(parseRestart('no'), { policy: 'no', max: 0 })
  t.same(parseRestart('always'), { policy: 'always', max: 0 })
  t.same(parseRestart('on-failure'), { policy: 'on-failure', max: 0 })
  t.same(parseRestart('on-failure:5'), { policy: 'on-failure', max: 5 })
  t.same(parseRestart('On-Failure:2'), { policy: 'on-failure', max: 2 }, 'any case')
  for (const bad of ['', 'yes', 'on-failure:', 'on-failure:0', 'on-failure:-1', 'on-failure:x', 'on-failure:2000000', 'always:3', 'unless-stopped']) {
    t.throws(() => parseRestart(bad), { name: 'ValueError' }, bad)
  }
})

t.test('delays', async t => {
  t.same(['0', '2', '0.5', '3600'].map(parseDelay), [0, 2, 0.5, 3600])
  for (const bad of ['-1', '1s', '', '.5', '3601', 'NaN', '1e3']) t.throws(() => parseDelay(bad), { name: 'ValueError' }, bad)
})

t.test('log sizes: at least 16K', async t => {
  t.equal(parseLogSize('16K'), MIN_LOG_SIZE)
  t.equal(parseLogSize('1M'), 1 << 20)
  t.throws(() => parseLogSize('16383'), { message: /below the minimum of 16K/ })
  t.throws(() => parseLogSize('big'), { name: 'ValueError' })
})

t.test('[health] cmd: a shell command line, or none', async t => {
  t.same(parseHealthCmd('curl -f http://127.0.0.1/ || exit 1'), ['/bin/sh', '-c', 'curl -f http://127.0.0.1/ || exit 1'], 'one argument for sh -c, as written')
  t.same(parseHealthCmd('test -e "/run/ready file"'), ['/bin/sh', '-c', 'test -e "/run/ready file"'], 'quotes are the shell\'s')
  t.equal(parseHealthCmd('none'), null)
  t.same(parseHealthCmd('None'), ['/bin/sh', '-c', 'None'], 'only "none" turns it off')
  t.throws(() => parseHealthCmd(''), new ValueError('empty command (write none to turn off the image\'s health check)'))
  t.throws(() => parseHealthCmd('   '), new ValueError('empty command (write none to turn off the image\'s health check)'))
  t.throws(() => parseHealthCmd('a\0b'), new ValueError('"a\\x00b" contains a NUL byte'))
  t.equal(parseHealthCmd('x'.repeat(131071))?.[2]?.length, 131071, 'the longest argument the kernel takes')
  t.throws(() => parseHealthCmd('x'.repeat(131072)), new ValueError('the command is longer than 131071 bytes, the most the kernel takes in one argument'))
  t.throws(() => parseHealthCmd('é'.repeat(65536)), { message: /longer than 131071 bytes/ }, 'counted in bytes')
})
