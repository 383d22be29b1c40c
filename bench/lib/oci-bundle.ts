// Writes an OCI bundle's config.json for crun and runc from the runtime's own default
// (`crun spec` output), changed only where the bench needs parity with lite's config:
// the same namespaces, the shared read-only busybox rootfs, the same cgroup limits
// (so that every runtime creates cgroups) and the command.
//   bun bench/lib/oci-bundle.ts BASE.json OUT_DIR ROOTFS [--memory BYTES] [--pids N] [--cgroups-path P] -- CMD...

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'

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
mkdirSync(opts.out, { recursive: true })
writeFileSync(`${opts.out}/config.json`, JSON.stringify(spec, null, 1) + '\n')
