// seccomp profiles: Docker's JSON -> lite's compact form (with the profile's own line
// numbers in errors), and resolution for one container's arch, caps and kernel.

import t from 'tap'
import { DEFAULT_PROFILE } from '../../runtime/seccomp/default.ts'
import { parseJson } from '../../runtime/seccomp/json.ts'
import { parseDockerProfile, resolveProfile, type CompactProfile } from '../../runtime/seccomp/profile.ts'

const DOCKER_14 = ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE']

t.test('the JSON parser keeps lines and exact 64-bit numbers', async t => {
  const v = parseJson('{\n "a": [1,\n  18446744073709551615],\n "b": "x\\n"\n}')
  t.equal(v.kind, 'object')
  if (v.kind !== 'object') return
  const a = v.fields.get('a')!
  t.equal(a.line, 2)
  t.same(a.kind === 'array' && a.items.map(i => [i.line, i.kind === 'number' && i.raw]), [[2, '1'], [3, '18446744073709551615']])
  t.same(v.fields.get('b'), { kind: 'string', line: 4, value: 'x\n' })
  t.throws(() => parseJson('{"a": 1,\n "a": 2}'), /appears twice/)
  t.throws(() => parseJson('{"a": 1}\n x'), /after the end/)
  t.throws(() => parseJson('[1, 2'), /expected ',' or '\]'/)
})

t.test('a Docker profile in the compact form', async t => {
  const r = parseDockerProfile(JSON.stringify({
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
    syscalls: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW', comment: '' },
      { name: 'personality', action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, valueTwo: 0, op: 'SCMP_CMP_EQ' }] },
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }], excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390x'] } },
      { names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4.8' } },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['kill'], action: 'SCMP_ACT_KILL' },
    ],
  }))
  t.same(r.errors, [])
  t.same(r.profile, {
    defaultAction: 'errno',
    defaultErrnoRet: 1,
    rules: [
      { names: ['read', 'write'], action: 'allow' },
      { names: ['personality'], action: 'allow', args: [{ index: 0, op: 'eq', value: '8' }] },
      { names: ['clone'], action: 'allow', args: [{ index: 0, op: 'masked_eq', value: '2114060288', valueTwo: '0' }], excludes: { caps: ['SYS_ADMIN'], arches: ['s390x'] } },
      { names: ['ptrace'], action: 'allow', includes: { minKernel: '4.8' } },
      { names: ['clone3'], action: 'errno', errnoRet: 38, excludes: { caps: ['SYS_ADMIN'] } },
      { names: ['kill'], action: 'kill_thread' },
    ],
  })
})

t.test('every error of a bad profile, each at its line', async t => {
  const text = [
    '{',
    '  "defaultAction": "SCMP_ACT_NOTIFY",',
    '  "flags": ["SECCOMP_FILTER_FLAG_LOG"],',
    '  "syscalls": [',
    '    { "names": ["read"], "action": "SCMP_ACT_ALLOW", "errnoRet": 5 },',
    '    { "names": ["Bad Name"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5000 },',
    '    { "names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{ "index": 0, "value": 1, "valueTwo": 2, "op": "SCMP_CMP_MASKED_EQ" }] },',
    '    { "names": ["x"], "action": "SCMP_ACT_ALLOW", "includes": { "caps": ["CAP_NOPE"], "arches": ["vax"], "minKernel": "four" } },',
    '    { "names": ["y"], "actoin": "SCMP_ACT_ALLOW" }',
    '  ]',
    '}',
  ].join('\n')
  const r = parseDockerProfile(text)
  t.equal(r.profile, undefined)
  t.matchSnapshot(r.errors.map(e => `${e.line}: ${e.message}`).join('\n'))
  t.same([...new Set(r.errors.map(e => e.line))], [2, 3, 5, 6, 7, 8, 9])
})

const profile: CompactProfile = {
  defaultAction: 'errno',
  rules: [
    { names: ['a'], action: 'allow', includes: { caps: ['SYS_ADMIN'] } },
    { names: ['b'], action: 'allow', excludes: { caps: ['SYS_ADMIN'] } },
    { names: ['c'], action: 'allow', includes: { arches: ['arm64'] } },
    { names: ['d'], action: 'allow', excludes: { arches: ['amd64'] } },
    { names: ['e'], action: 'allow', includes: { minKernel: '5.10' } },
    { names: ['f'], action: 'allow', includes: { caps: ['KILL', 'CHOWN'] } },
  ],
}
const names = (p: ReturnType<typeof resolveProfile>) => p.rules.flatMap(r => r.names)

t.test('resolution: caps (all of includes, any of excludes), arch, minKernel', async t => {
  t.same(names(resolveProfile(profile, { nodeArch: 'x64', caps: ['KILL'], kernel: '5.4.0' })), ['b'])
  t.same(names(resolveProfile(profile, { nodeArch: 'x64', caps: ['SYS_ADMIN', 'KILL', 'CHOWN'], kernel: '5.10.0-rc1' })), ['a', 'e', 'f'])
  t.same(names(resolveProfile(profile, { nodeArch: 'arm64', caps: [], kernel: '6.18.0' })), ['b', 'c', 'd', 'e'])
  t.equal(resolveProfile(profile, { nodeArch: 'arm64', caps: [], kernel: '4.19.0' }).arch, 'aarch64')
  t.throws(() => resolveProfile(profile, { nodeArch: 'mips', caps: [], kernel: '6.1' }), /no seccomp arch/)
})

t.test("the build's default profile is Docker's, pinned", async t => {
  t.match(DEFAULT_PROFILE.source, { package: 'golang-github-docker-docker-dev', sha256: /^[0-9a-f]{64}$/ })
  t.equal(DEFAULT_PROFILE.defaultAction, 'errno')
  const x64 = resolveProfile(DEFAULT_PROFILE, { nodeArch: 'x64', caps: DOCKER_14, kernel: '6.1.0' })
  const allowed = new Set(x64.rules.filter(r => r.action === 'allow' && r.args.length === 0).flatMap(r => r.names))
  for (const n of ['read', 'execve', 'capset', 'close_range', 'arch_prctl', 'chroot', 'ptrace']) t.ok(allowed.has(n), `${n} allowed`)
  for (const n of ['keyctl', 'add_key', 'request_key', 'mount', 'unshare', 'setns', 'reboot', 'bpf', 'kexec_load']) t.notOk(x64.rules.some(r => r.names.includes(n) && r.action === 'allow' && r.args.length === 0), `${n} not allowed`)
  const personality = x64.rules.filter(r => r.names.includes('personality'))
  t.same(personality.map(r => r.args[0]?.value), ['0', '8', '131072', '131080', '4294967295'], 'personality only with these')
  const clone = x64.rules.filter(r => r.names.includes('clone'))
  t.same(clone, [{ names: ['clone'], action: 'allow', args: [{ index: 0, op: 'masked_eq', value: '2114060288', valueTwo: '0' }] }], 'clone without namespace flags')
  t.same(x64.rules.find(r => r.names.includes('clone3')), { names: ['clone3'], action: 'errno', errnoRet: 38, args: [] })
  const arm = resolveProfile(DEFAULT_PROFILE, { nodeArch: 'arm64', caps: DOCKER_14, kernel: '6.1.0' })
  t.ok(arm.rules.some(r => r.names.includes('breakpoint')))
  t.notOk(arm.rules.some(r => r.names.includes('arch_prctl')))
  const admin = resolveProfile(DEFAULT_PROFILE, { nodeArch: 'x64', caps: [...DOCKER_14, 'SYS_ADMIN'], kernel: '6.1.0' })
  t.ok(admin.rules.some(r => r.names.includes('unshare') && r.action === 'allow'))
  t.notOk(admin.rules.some(r => r.names.includes('clone3') && r.action === 'errno'))
})
