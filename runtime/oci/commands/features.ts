// `lite-oci features`: what this runtime supports, in the runtime spec's features
// format (features.md, specs-go/features), indented by four spaces as runc prints it.
// Engines read it to decide what to ask for: what lite refuses (time namespaces,
// seccomp notify, AppArmor, SELinux, Intel RDT, systemd cgroups, idmapped mounts,
// network devices) is left out or said to be disabled.

import pkg from '../../../package.json' with { type: 'json' }
import { CAP } from '../../plan/linux.ts'
import { KNOWN_MOUNT_OPTIONS } from '../../plan/mount-options.ts'
import type { OciGlobal } from '../errors.ts'
import { HOOK_KINDS, NAMESPACE_TYPES } from '../spec.ts'
import { processIo, type OciIo } from '../state.ts'

/** The runtime-spec versions lite reads (validate.ts: 1.0, 1.1 and 1.2); `spec` writes the newest. */
export const OCI_VERSION_MIN = '1.0.0'
export const OCI_VERSION_MAX = '1.2.0'

export const LITE_VERSION_ANNOTATION = 'io.github.lite.version'

// What validate.ts accepts in linux.seccomp (kept in step with its SECCOMP_ACTIONS,
// SECCOMP_OPS, SECCOMP_ARCHES and SECCOMP_FLAGS_*), sorted as runc sorts them.
const SECCOMP_ACTIONS = ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP']
const SECCOMP_OPERATORS = ['SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_LE', 'SCMP_CMP_LT', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_NE']
const SECCOMP_ARCHS = [
  'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM', 'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB', 'SCMP_ARCH_X32', 'SCMP_ARCH_X86',
  'SCMP_ARCH_X86_64',
]
const SECCOMP_KNOWN_FLAGS = ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']
const SECCOMP_SUPPORTED_FLAGS = ['SECCOMP_FILTER_FLAG_TSYNC']

/** Namespaces lite creates or joins: all the spec's but time. */
const NAMESPACES = NAMESPACE_TYPES.filter((n) => n !== 'time').sort()

/** The features object, in the key order of runtime-spec's Go types. */
export function liteFeatures(version: string = pkg.version) {
  return {
    ociVersionMin: OCI_VERSION_MIN,
    ociVersionMax: OCI_VERSION_MAX,
    hooks: [...HOOK_KINDS],
    mountOptions: [...KNOWN_MOUNT_OPTIONS],
    linux: {
      namespaces: NAMESPACES,
      capabilities: Object.entries(CAP)
        .sort((a, b) => a[1] - b[1])
        .map(([name]) => `CAP_${name}`),
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: false },
      seccomp: {
        enabled: true,
        actions: SECCOMP_ACTIONS,
        operators: SECCOMP_OPERATORS,
        archs: SECCOMP_ARCHS,
        knownFlags: SECCOMP_KNOWN_FLAGS,
        supportedFlags: SECCOMP_SUPPORTED_FLAGS,
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
      netDevices: { enabled: false },
    },
    annotations: { [LITE_VERSION_ANNOTATION]: version },
  }
}

export async function ociFeatures(_a: unknown, _g: OciGlobal, io: OciIo = processIo): Promise<number> {
  io.stdout(JSON.stringify(liteFeatures(), null, 4) + '\n')
  return 0
}
