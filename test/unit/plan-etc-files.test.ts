import path from 'node:path'
import t, { type Test } from 'tap'
import { validateText } from '../../runtime/config/validate.ts'
import type { ContainerConfig } from '../../runtime/config/types.ts'
import { etcFiles, type HostFacts } from '../../runtime/plan/etc-files.ts'

function config(t: Test, lines: string[]): ContainerConfig {
  const dir = t.testdir({ rootfs: {}, 'resolv.conf': 'nameserver 192.0.2.9\n' })
  const text = ['[container]', 'name = web', '[rootfs]', 'path = rootfs', '[exec]', 'cmd = /bin/sh', ...lines].join('\n') + '\n'
  const { config, errors } = validateText(text, path.join(dir, 'c.ini'))
  if (!config) throw new Error(JSON.stringify(errors))
  return config
}

const HOST: HostFacts = { resolvConf: 'search example.org\nnameserver 198.51.100.1\n', localtime: null, hostname: 'host-machine' }
const byPath = (files: { path: string; content: string }[]) => Object.fromEntries(files.map(f => [f.path, f.content]))

t.test('hostname', async t => {
  t.same(etcFiles(config(t, []), HOST)[0], { path: '/etc/hostname', content: 'web\n' }, 'the container name by default')
  t.same(
    etcFiles(config(t, ['[container]', 'hostname = box']), HOST)[0],
    { path: '/etc/hostname', content: 'box\n' },
    'a set hostname',
  )
})

t.test('hosts', async t => {
  const cases: { name: string; lines: string[]; want: string }[] = [
    {
      name: 'localhost and the host name',
      lines: [],
      want: '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tweb\n',
    },
    {
      name: 'hosts[] lines follow, in order',
      lines: ['[container]', 'hostname = box', '[net]', 'hosts[] = 192.0.2.10 gateway gw.example', 'hosts[] = 2001:db8::1 v6'],
      want:
        '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tbox\n' +
        '192.0.2.10 gateway gw.example\n2001:db8::1 v6\n',
    },
  ]
  for (const c of cases) t.equal(byPath(etcFiles(config(t, c.lines), HOST))['/etc/hosts'], c.want, c.name)
})

t.test('resolv.conf', async t => {
  const cases: { name: string; lines: string[]; host?: HostFacts; want: string | undefined }[] = [
    { name: 'host: a copy of the host\'s', lines: [], want: HOST.resolvConf! },
    { name: 'host, but the host has none: not generated', lines: [], host: { resolvConf: null, localtime: null, hostname: 'host-machine' }, want: undefined },
    { name: 'host with an empty host file: an empty one', lines: [], host: { resolvConf: '', localtime: null, hostname: 'host-machine' }, want: '' },
    { name: 'rootfs: the image\'s own', lines: ['[net]', 'resolv_conf = rootfs'], want: undefined },
    { name: 'a file: bind-mounted by the plan, not generated', lines: ['[net]', 'resolv_conf = resolv.conf'], want: undefined },
    { name: 'dns[]: one nameserver line each', lines: ['[net]', 'dns[] = 192.0.2.53', 'dns[] = 2001:db8::53'], want: 'nameserver 192.0.2.53\nnameserver 2001:db8::53\n' },
    {
      name: 'dns[] wins over the host\'s',
      lines: ['[net]', 'resolv_conf = host', 'dns[] = 192.0.2.53'],
      want: 'nameserver 192.0.2.53\n',
    },
    { name: 'dns[] with no host file', lines: ['[net]', 'dns[] = 192.0.2.53'], host: { resolvConf: null, localtime: null, hostname: 'host-machine' }, want: 'nameserver 192.0.2.53\n' },
  ]
  for (const c of cases) {
    const files = etcFiles(config(t, c.lines), c.host ?? HOST)
    t.equal(byPath(files)['/etc/resolv.conf'], c.want, c.name)
    t.same(files.map(f => f.path).slice(0, 2), ['/etc/hostname', '/etc/hosts'], `${c.name}: hostname and hosts always`)
  }
})

t.test('every file ends with a newline, except a verbatim host copy', async t => {
  const files = etcFiles(config(t, ['[net]', 'dns[] = 192.0.2.53', 'hosts[] = 192.0.2.1 a']), HOST)
  for (const f of files) t.ok(f.content.endsWith('\n'), f.path)
  t.equal(byPath(etcFiles(config(t, []), { resolvConf: 'nameserver 1.1.1.1', localtime: null, hostname: 'host-machine' }))['/etc/resolv.conf'], 'nameserver 1.1.1.1')
})
