import type { IdRange } from '../userns/ranges.ts'
// The validated form of a config file. Every leaf that can fail later (at plan or
// set-up time) keeps the FILE:LINE it came from, so a failure in the child can be
// reported against the line that asked for it.

import type { Ipv4Net } from '../net/address.ts'
import type { NetType, Publish } from '../net/values.ts'

import type { CompactProfile } from '../seccomp/profile.ts'
import type { RunImage } from '../image/run-image.ts'

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

export interface IoLimit {
  kind: 'read_bps' | 'write_bps' | 'read_iops' | 'write_iops'
  /** the block device as written, and its numbers */
  device: string
  major: number
  minor: number
  value: number
  origin: Origin
}

/** A raw cgroup file write: `[cgroup2] memory.high = 32M` or `[cgroup] memory.swappiness = 10`. */
export interface RawCgroupKey {
  /** the file name, e.g. memory.high; for v1 the controller is its first word */
  file: string
  value: string
  origin: Origin
}

export interface Resources {
  /** bytes */
  memory: number | null
  /** bytes of swap on top of memory */
  swap: number | null
  /** CPUs of time per period, e.g. 0.5 */
  cpus: number | null
  /** 1..10000, v2's scale */
  weight: number | null
  /** CPU list, e.g. "0-1,3" */
  cpuset: string | null
  /** memory node list */
  mems: string | null
  pids: number | null
  io: IoLimit[]
  /** 1..10000 (v2) / 1..1000 (v1 BFQ) */
  ioWeight: number | null
  /** µs of real-time runtime per period (v1) */
  rtRuntime: number | null
}

/** A host device passed into the container ([devices] allow[]). */
export interface PassedDevice {
  /** the host path; the node is made at the same path inside */
  path: string
  type: 'c' | 'b'
  major: number
  minor: number
  /** r, w and m (mknod), in that order */
  access: string
  /** permission bits of the host node */
  mode: number
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
    /** [rootfs] image: the image in the store (path and kind are its file) and its config */
    image?: RunImage
  }
  exec: {
    /** prepended to cmd: [exec] entrypoint, else the image's Entrypoint */
    entrypoint: string[]
    /** argv after the entrypoint; may be empty when the command line supplies it */
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
  /** [user]: the container's own user namespace */
  user: {
    /** none: root inside is root outside; auto: a range from the pool; else the uid ranges */
    map: 'none' | 'auto' | IdRange[]
    /** gid ranges when they differ from the uid ones (explicit maps only) */
    gidMap?: IdRange[]
  }
  net: {
    /** none | host | bridge | macvlan | ipvlan, or joining: container (target NAME) | netns (target PATH) */
    type: NetType
    target?: string
    /** type = bridge: the bridge and its subnet (the gateway is its .1) */
    bridge: string
    subnet: Ipv4Net
    /** bridge: an address in the subnet (else leased); macvlan/ipvlan: with its prefix */
    address?: { address: string; prefix?: number }
    /** macvlan/ipvlan: the default route's gateway, and the host interface they sit on */
    gateway?: string
    parent?: string
    publish: Publish[]
    /** containers whose addresses go into /etc/hosts at start */
    links: string[]
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
  security: {
    /** the capabilities kept (names without CAP_, in the kernel's order) */
    caps: string[]
    noNewPrivs: boolean
    seccomp: SeccompChoice
  }
  sysctl: Sysctl[]
  resources: Resources
  devices: PassedDevice[]
  cgroup: {
    /** the parent cgroup, relative to each hierarchy's root */
    parent: string
    /** [cgroup] raw keys, for v1 hierarchies */
    v1: RawCgroupKey[]
    /** [cgroup2] raw keys, for the v2 hierarchy */
    v2: RawCgroupKey[]
  }
  /** [start]: lite boot and the monitor's restart policy */
  start: {
    /** started by lite boot DIR */
    auto: boolean
    /** lite boot starts lower first (then by name) */
    order: number
    /** seconds lite boot waits after starting this one, before the next */
    delay: number
    restart: {
      policy: 'no' | 'on-failure' | 'always'
      /** restarts before giving up; 0 = unlimited */
      max: number
    }
  }
  /** [update]: how lite update replaces the image */
  update: {
    /** how long the new container has to become healthy */
    healthTimeoutMs: number
    /** previous images kept for lite rollback */
    keep: number
  }
  /** [health]: a command the monitor runs inside the container (Docker's HEALTHCHECK) */
  health: {
    /** argv run inside the container, e.g. ['/bin/sh', '-c', CMD]; undefined: no health check */
    cmd?: string[]
    /** between the end of one check and the start of the next */
    intervalMs: number
    /** a check running longer is killed and counts as a failure */
    timeoutMs: number
    /** consecutive failures that make the container unhealthy */
    retries: number
    /** failures during it do not count while the container is still starting */
    startPeriodMs: number
    /** restart: the monitor stops the container and starts it again, as [start] restart does */
    onUnhealthy: 'none' | 'restart'
  }
  /** [log]: where a detached container's stdout and stderr go */
  log: {
    target: 'file' | 'syslog' | 'none'
    /** bytes kept: log and log.1, rotated at size/2 */
    size: number
  }
  /** "section.key" -> where it was set; lists use "section.key[i]" */
  origins: Record<string, Origin>
}

/** [security] seccomp: Docker's default profile, none, or a profile file (checked at config time). */
export type SeccompChoice =
  | { kind: 'default' }
  | { kind: 'unconfined' }
  | { kind: 'file'; path: string; profile: CompactProfile }

/** A [sysctl] key: written into /proc/sys inside the container. */
export interface Sysctl {
  /** as written: net.ipv4.ip_forward */
  key: string
  value: string
  origin: Origin
}

export interface ConfigError {
  file: string
  /** 0 when the error is about the file as a whole (it can't be read) or the command line */
  line: number
  message: string
}
