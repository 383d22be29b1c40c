// Writes an OCI bundle's config.json for crun and runc from the runtime's own default
// (`crun spec` output), changed only where the bench needs parity with lite's config:
// the same namespaces, the shared read-only busybox rootfs, the same cgroup limits
// (so that every runtime creates cgroups), the command, and lite's default confinement:
// Docker's 14 capabilities and the same seccomp rules, resolved by lite's own code for
// this host (`crun spec` alone gives 3 capabilities and no seccomp, which a start does
// not pay for).
//   bun bench/lib/oci-bundle.ts BASE.json OUT_DIR ROOTFS [--memory BYTES] [--pids N] [--cgroups-path P] -- CMD...

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { release } from 'node:os'
import { DEFAULT_CAPS } from '../../runtime/plan/linux.ts'
import { DEFAULT_PROFILE } from '../../runtime/seccomp/default.ts'
import { resolveProfile } from '../../runtime/seccomp/profile.ts'

interface Options {
  base: string
  out: string
  rootfs: string
  memory?: number
  pids?: number
  cgroupsPath?: string
  args: string[]
}

function parseArgs(argv: string[]): Options {
  const dash = argv.indexOf('--')
  if (dash < 0 || argv.length < 4) throw new Error('usage: oci-bundle.ts BASE.json OUT_DIR ROOTFS [--memory B] [--pids N] [--cgroups-path P] -- CMD...')
  const [base, out, rootfs, ...flags] = argv.slice(0, dash)
  const opts: Options = { base, out, rootfs, args: argv.slice(dash + 1) }
  for (let i = 0; i < flags.length; i += 2) {
    const value = flags[i + 1]
    if (flags[i] === '--memory') opts.memory = Number(value)
    else if (flags[i] === '--pids') opts.pids = Number(value)
    else if (flags[i] === '--cgroups-path') opts.cgroupsPath = value
    else throw new Error(`unknown option ${flags[i]}`)
  }
  return opts
}

const opts = parseArgs(process.argv.slice(2))
const spec = JSON.parse(readFileSync(opts.base, 'utf8'))
spec.process.terminal = false
spec.process.args = opts.args
// lite applies no rlimit unless asked; the default spec's RLIMIT_NOFILE would be extra work.
spec.process.rlimits = []
spec.root = { path: opts.rootfs, readonly: true }
// lite's defaults: new pid, mount, uts, ipc, network (loopback only) and cgroup namespaces.
spec.linux.namespaces = ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup'].map((type) => ({ type }))
const resources: Record<string, unknown> = { ...(spec.linux.resources ?? {}) }
if (opts.memory) resources.memory = { limit: opts.memory }
if (opts.pids) resources.pids = { limit: opts.pids }
spec.linux.resources = resources
if (opts.cgroupsPath) spec.linux.cgroupsPath = opts.cgroupsPath
const caps = DEFAULT_CAPS.map((c) => `CAP_${c}`)
spec.process.capabilities = { bounding: caps, effective: caps, permitted: caps }
spec.process.noNewPrivileges = true
spec.linux.seccomp = ociSeccomp()
mkdirSync(opts.out, { recursive: true })
writeFileSync(`${opts.out}/config.json`, JSON.stringify(spec, null, 1) + '\n')

/** lite's default seccomp rules for this host, as an OCI linux.seccomp. */
function ociSeccomp(): Record<string, unknown> {
  const resolved = resolveProfile(DEFAULT_PROFILE, { nodeArch: process.arch, caps: DEFAULT_CAPS, kernel: release() })
  const action = (a: string) => `SCMP_ACT_${a.toUpperCase()}`
  const u64 = (text: string) => {
    const n = Number(text)
    if (!Number.isSafeInteger(n)) throw new Error(`seccomp value ${text} does not fit a JSON number here`)
    return n
  }
  return {
    defaultAction: action(resolved.defaultAction),
    ...(resolved.defaultErrnoRet !== undefined ? { defaultErrnoRet: resolved.defaultErrnoRet } : {}),
    architectures: [`SCMP_ARCH_${resolved.arch.toUpperCase()}`],
    syscalls: resolved.rules.map((r) => ({
      names: r.names,
      action: action(r.action),
      ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
      ...(r.args.length
        ? { args: r.args.map((a) => ({ index: a.index, value: u64(a.value), ...(a.valueTwo !== undefined ? { valueTwo: u64(a.valueTwo) } : {}), op: `SCMP_CMP_${a.op.toUpperCase()}` })) }
        : {}),
    })),
  }
}
