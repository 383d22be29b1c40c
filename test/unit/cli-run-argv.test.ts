import t from 'tap'
import { parseRunArgv } from '../../runtime/commands/run-argv.ts'

t.test('plain forms are read without yargs, as yargs reads them', async t => {
  const cases: [string[], ReturnType<typeof parseRunArgv>][] = [
    [['run', 'cfg.ini'], { config: 'cfg.ini', name: undefined, cmd: [], tty: false, interactive: false }],
    [['run', 'cfg.ini', '--', 'sh', '-c', 'x'], { config: 'cfg.ini', name: undefined, cmd: ['sh', '-c', 'x'], tty: false, interactive: false }],
    [['run', '-ti', '--name', 'x', 'cfg.ini', 'echo', 'a'], { config: 'cfg.ini', name: 'x', cmd: ['echo', 'a'], tty: true, interactive: true }],
    [['run', '-it', 'cfg.ini'], { config: 'cfg.ini', name: undefined, cmd: [], tty: true, interactive: true }],
    [['run', 'cfg.ini', '-t'], { config: 'cfg.ini', name: undefined, cmd: [], tty: true, interactive: false }],
    [['run', '--name=a', '--name', 'b', 'cfg.ini'], { config: 'cfg.ini', name: 'b', cmd: [], tty: false, interactive: false }],
    [['run', 'cfg.ini', 'env', '--', '-i'], { config: 'cfg.ini', name: undefined, cmd: ['env', '-i'], tty: false, interactive: false }],
    [['run', 'cfg.ini', '-'], { config: 'cfg.ini', name: undefined, cmd: ['-'], tty: false, interactive: false }],
    // a monitor's restart of a container on an image, and --store / --images-config
    [
      ['run', '/etc/lite/a.ini', '--name', 'a', '--store', '/data/lite', '--image-digest', `sha256:${'a'.repeat(64)}`, '--', 'x'],
      { config: '/etc/lite/a.ini', name: 'a', cmd: ['x'], tty: false, interactive: false, store: '/data/lite', imageDigest: `sha256:${'a'.repeat(64)}` },
    ],
    [['run', '--no-cache', 'cfg.ini'], { config: 'cfg.ini', name: undefined, cmd: [], tty: false, interactive: false, noCache: true }],
    [['run', '--store=/s', '--images-config=/i.ini', 'cfg.ini'], { config: 'cfg.ini', name: undefined, cmd: [], tty: false, interactive: false, store: '/s', imagesConfig: '/i.ini' }],
  ]
  for (const [argv, want] of cases) t.same(parseRunArgv(argv), want, argv.join(' '))
})

t.test('anything else is left to yargs', async t => {
  const cases = [
    ['check', 'cfg.ini'],
    ['run'],
    ['run', '--', 'sh'],
    ['run', '--help', 'cfg.ini'],
    ['run', '-h'],
    ['run', 'cfg.ini', 'sh', '-c', 'x'], // -c is not run's: yargs refuses it (strict)
    ['run', '--name', 'cfg.ini'], // yargs would take cfg.ini as the name
    ['run', 'cfg.ini', '--name'],
    ['run', '--name', '-t', 'cfg.ini'],
    ['run', '--name=', 'cfg.ini'],
    ['run', '--no-tty', 'cfg.ini'],
    ['run', '--tty=false', 'cfg.ini'],
    ['run', '-tix', 'cfg.ini'],
    ['run', '--store', 'cfg.ini'],
    ['run', '--store=', 'cfg.ini'],
    ['run', '--store', '-t', 'cfg.ini'],
    ['run', '--image-digest'],
    ['run', ''],
  ]
  for (const argv of cases) t.equal(parseRunArgv(argv), undefined, argv.join(' '))
})
