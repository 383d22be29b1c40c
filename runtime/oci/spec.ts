// The OCI runtime spec's config.json (runtime-spec 1.0–1.2), as lite reads it: only
// the parts lite acts on or must refuse. validate.ts turns untrusted JSON into this
// shape, or into errors that name the JSON path at fault.

export interface OciSpec {
  ociVersion: string
  root: { path: string; readonly: boolean }
  mounts: OciMount[]
  process?: OciProcess
  hostname?: string
  domainname?: string
  hooks: OciHooks
  annotations: Record<string, string>
  linux: OciLinux
}

export interface OciMount {
  destination: string
  type?: string
  source?: string
  options: string[]
}

export interface OciUser {
  uid: number
  gid: number
  umask?: number
  additionalGids: number[]
}

export interface OciRlimit {
  /** "RLIMIT_NOFILE" ... */
  type: string
  /** -1 = unlimited (RLIM_INFINITY: 18446744073709551615 in config.json) */
  soft: number
  hard: number
}

export interface OciCapabilities {
  bounding: string[]
  effective: string[]
  inheritable: string[]
  permitted: string[]
  ambient: string[]
}

export interface OciProcess {
  terminal: boolean
  consoleSize?: { height: number; width: number }
  user: OciUser
  args: string[]
  env: string[]
  cwd: string
  /** absent: no capabilities at all, as runc does */
  capabilities?: OciCapabilities
  rlimits: OciRlimit[]
  noNewPrivileges: boolean
  apparmorProfile?: string
  selinuxLabel?: string
  oomScoreAdj?: number
}

export interface OciHook {
  path: string
  args?: string[]
  env?: string[]
  timeout?: number
}

export const HOOK_KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const
export type HookKind = (typeof HOOK_KINDS)[number]
export type OciHooks = Record<HookKind, OciHook[]>

export const NAMESPACE_TYPES = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'] as const
export type NamespaceType = (typeof NAMESPACE_TYPES)[number]

export interface OciNamespace {
  type: NamespaceType
  path?: string
}

export interface OciIdMapping {
  containerID: number
  hostID: number
  size: number
}

export interface OciDevice {
  type: 'c' | 'b' | 'u' | 'p'
  path: string
  major?: number
  minor?: number
  fileMode?: number
  uid?: number
  gid?: number
}

export interface OciDeviceRule {
  allow: boolean
  type?: 'a' | 'c' | 'b'
  major?: number
  minor?: number
  access?: string
}

export interface OciThrottle {
  major: number
  minor: number
  rate: number
}

export interface OciResources {
  devices: OciDeviceRule[]
  memory?: {
    limit?: number
    reservation?: number
    swap?: number
    kernel?: number
    kernelTCP?: number
    swappiness?: number
    disableOOMKiller?: boolean
    useHierarchy?: boolean
    checkBeforeUpdate?: boolean
  }
  cpu?: {
    shares?: number
    quota?: number
    burst?: number
    period?: number
    realtimeRuntime?: number
    realtimePeriod?: number
    cpus?: string
    mems?: string
    idle?: number
  }
  pids?: { limit: number }
  blockIO?: {
    weight?: number
    leafWeight?: number
    weightDevice: { major: number; minor: number; weight?: number; leafWeight?: number }[]
    throttleReadBpsDevice: OciThrottle[]
    throttleWriteBpsDevice: OciThrottle[]
    throttleReadIOPSDevice: OciThrottle[]
    throttleWriteIOPSDevice: OciThrottle[]
  }
  hugepageLimits: { pageSize: string; limit: number }[]
  network?: { classID?: number; priorities: { name: string; priority: number }[] }
  unified: Record<string, string>
}

export interface OciSeccompArg {
  index: number
  value: number | bigint
  valueTwo?: number | bigint
  op: string
}

export interface OciSeccompSyscall {
  names: string[]
  action: string
  errnoRet?: number
  args: OciSeccompArg[]
}

export interface OciSeccomp {
  defaultAction: string
  defaultErrnoRet?: number
  architectures: string[]
  flags: string[]
  listenerPath?: string
  syscalls: OciSeccompSyscall[]
}

export interface OciLinux {
  namespaces: OciNamespace[]
  uidMappings: OciIdMapping[]
  gidMappings: OciIdMapping[]
  devices: OciDevice[]
  cgroupsPath?: string
  resources?: OciResources
  rootfsPropagation?: string
  seccomp?: OciSeccomp
  sysctl: Record<string, string>
  maskedPaths: string[]
  readonlyPaths: string[]
  mountLabel?: string
  intelRdt?: unknown
  personality?: { domain: string; flags?: string[] }
}

/** A problem in config.json, named by its JSON path (".linux.namespaces[2].type"). */
export interface SpecError {
  /** "" for the file as a whole (unreadable, not JSON) */
  path: string
  message: string
  /** a JSON syntax error: where it is (1-based; the column counts characters) */
  line?: number
  column?: number
}

/** runc's `state` output: the runtime spec's state, plus what runc adds. */
export interface OciState {
  ociVersion: string
  id: string
  status: 'creating' | 'created' | 'running' | 'stopped' | 'paused'
  pid: number
  bundle: string
  annotations?: Record<string, string>
}
