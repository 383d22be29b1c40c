// The validated form of a config file. Every leaf that can fail later (at plan or
// set-up time) keeps the FILE:LINE it came from, so a failure in the child can be
// reported against the line that asked for it.

export interface Origin {
  file: string
  line: number
}

export type KeepableNamespace = 'ipc' | 'uts' | 'cgroup'

export interface UserSpec {
  uid: number
  gid: number
}

export interface MountEntry {
  source: string
  /** absolute path inside the container */
  target: string
  fstype: string
  /** fstab options as written, minus lite's own (create=, optional) */
  options: string[]
  create: 'none' | 'dir' | 'file'
  optional: boolean
  origin: Origin
}

export interface Rlimit {
  /** lower-case name without the RLIMIT_ prefix: nofile, nproc, core, ... */
  resource: string
  /** -1 = unlimited */
  soft: number
  hard: number
  origin: Origin
}

export interface Hook {
  /** argv of a host executable */
  argv: string[]
  origin: Origin
}

export interface ContainerConfig {
  /** the path of the config file as given */
  file: string
  container: {
    name: string
    hostname: string
    /** 'host' bind-mounts the host's /etc/localtime; 'none' leaves the rootfs's own */
    localtime: 'host' | 'none'
  }
  rootfs: {
    /** absolute path: a directory, or a squashfs/erofs image file */
    path: string
    kind: 'dir' | 'squashfs' | 'erofs'
    /** 'tmpfs' or an absolute directory that holds the persistent upper layer */
    upper: 'tmpfs' | string
    /** byte cap of the tmpfs upper */
    size: number
    readonly: boolean
  }
  exec: {
    /** argv; may be empty when the command line supplies it */
    cmd: string[]
    /** KEY=VALUE; the default PATH is included unless env[] sets PATH */
    env: string[]
    cwd: string
    user: UserSpec
    groups: number[]
    init: boolean
    stopSignal: number
    /** seconds */
    stopTimeout: number
  }
  mounts: MountEntry[]
  namespaces: {
    keep: KeepableNamespace[]
  }
  net: {
    type: 'none' | 'host'
    /** 'host' copies the host's /etc/resolv.conf, 'rootfs' leaves the image's, or an absolute file */
    resolvConf: 'host' | 'rootfs' | string
    /** nameservers; when set, resolv.conf is generated from them */
    dns: string[]
    /** extra "ADDRESS NAME..." lines for /etc/hosts */
    hosts: string[]
  }
  limits: {
    rlimits: Rlimit[]
    oomScoreAdj: number | null
  }
  hooks: {
    preStart: Hook[]
    postStop: Hook[]
  }
  /** "section.key" -> where it was set; lists use "section.key[i]" */
  origins: Record<string, Origin>
}

export interface ConfigError {
  file: string
  /** 0 when the error is about the file as a whole (e.g. a missing required key) */
  line: number
  message: string
}
