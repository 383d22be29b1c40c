// THE key table: one row per config key, in the spirit of LXC's
// config_jump_table and systemd-nspawn's gperf file. Each row says how the
// key is written, parsed, defaulted, documented and applied to a
// ContainerConfig; validate.ts, `lite check`, `lite help-config` and the
// README table are all driven from here. Adding a section means adding a
// SECTIONS entry and its rows; cross-key rules live in the section's finish().

import path from 'node:path'
import type { ContainerConfig, KeepableNamespace, Origin } from './types.ts'
import {
  ValueError,
  intRange,
  oneOf,
  parseArgv,
  parseBool,
  parseContainerName,
  parseContainerPath,
  parseDuration,
  parseEnv,
  parseGroups,
  parseHostPath,
  parseHostname,
  parseHostsLine,
  parseIpAddress,
  parseMountEntry,
  parseRlimit,
  parseSize,
  parseUser,
  quote,
  type EnvVar,
} from './values.ts'
import { parseSignal } from './signal.ts'
import { requireDirectory, requireExecutable, requireRegularFile } from './host-paths.ts'
import { rootfsKind } from './rootfs-kind.ts'
import { DEFAULT_CAP_TEXT, parseCapList, parseSeccomp, parseSysctlValue, sysctlProblem } from './security-values.ts'
import {
  ioLimitParser,
  parseCgroupParent,
  parseCpuList,
  parseCpus,
  parseMemory,
  parsePids,
  parseRawCgroupValue,
  parseDeviceAllow,
  rawCgroupKeyProblem,
} from './resource-values.ts'
import type { IoLimit, PassedDevice } from './types.ts'
import { parseDelay, parseHealthCmd, parseLogSize, parseRestart, type RestartPolicy } from './start-values.ts'
import { loadRunImage, type ImageHealthcheck, type RunImage } from '../image/run-image.ts'
import { checkUserSpec, resolveUser, UserError } from '../image/user.ts'
import { DEFAULT_SUBNET, formatNet, parseCidr, parseIpv4, parseSubnet, type Ipv4Net } from '../net/address.ts'
import { DEFAULT_BRIDGE, ownsNetns, parseInterfaceName, parseNetType, parsePublish, type NetMode, type Publish } from '../net/values.ts'
import { netFinish } from '../net/config-rules.ts'
import { AUTO_SIZE, parseIdRanges, type IdRange } from '../userns/ranges.ts'

/** Values from the command line that replace (and satisfy) config keys. */
export interface ConfigOverrides {
  name?: string
  cmd?: string[]
  /** where [rootfs] image is looked up: --store and --images-config (else LITE_STORE, images.ini) */
  store?: string
  imagesConfig?: string
  /** the manifest digest a running container started from: [rootfs] image resolves to it */
  imageDigest?: string
  /** the environment that LITE_STORE and LITE_IMAGES_CONFIG are read from (process.env) */
  env?: NodeJS.ProcessEnv
}

export interface KeyContext {
  /** the config path as given */
  file: string
  /** the config file's absolute directory: relative host paths resolve against it */
  dir: string
  /** the key as written; for a family row, the member's own name */
  key: string
  /** absent when a row is parsed outside validation (config-peek, tests) */
  overrides?: ConfigOverrides
  /** whether "section.key" is written in the file, valid or not */
  written?: (id: string) => boolean
}

export interface DerivedDefault {
  /** how the reference describes the default */
  doc: string
  /** the default's value text, from what is set so far; undefined = don't apply (its source failed) */
  from: (cfg: ContainerConfig, ctx: KeyContext) => string | undefined
}

export interface KeySpec<T = unknown> {
  section: string
  /** the key; for a family row, a placeholder such as "<rlimit>" */
  key: string
  /** a family row: the key names it accepts */
  names?: readonly string[]
  /** an open family row (raw cgroup files): the key names it accepts, by pattern */
  pattern?: RegExp
  /** written "key[] = item", one item per line */
  list?: boolean
  /** the value's syntax, for the reference ("size", "uid[:gid]") */
  value: string
  /** value text used when the key is not set, parsed like a written value */
  default?: string | DerivedDefault
  /** how the reference shows the default when `default` is absent or not self-explaining */
  defaultDoc?: string
  /** a function: required unless another key is written ("section.key") */
  required?: boolean | ((written: (id: string) => boolean) => boolean)
  doc: string
  lxc?: string
  nspawn?: string
  parse: (raw: string, ctx: KeyContext) => T
  apply: (cfg: ContainerConfig, value: T, origin: Origin, ctx: KeyContext) => void
  /** take the value from the command line instead; true if it did. Throws ValueError. */
  override?: (cfg: ContainerConfig, overrides: ConfigOverrides) => boolean
}

export interface FinishContext {
  file: string
  dir: string
  /** where "section.key" (or "section.key[i]") was set in the file; undefined if it wasn't */
  origin: (id: string) => Origin | undefined
  /** the first line "section.key" is written on, valid or not; undefined if it isn't */
  written: (id: string) => number | undefined
  error: (line: number, message: string) => void
}

export interface SectionSpec {
  name: string
  doc: string
  /** derived values and rules across keys, run after the section's rows */
  finish?: (cfg: ContainerConfig, ctx: FinishContext) => void
}

/** Explicit id ranges ("0:100000:65536,..."), which must map container root. */
function mappedRanges(raw: string, what: string): IdRange[] {
  const ranges = parseIdRanges(raw, what)
  if (typeof ranges === 'string') throw new ValueError(ranges.slice(what.length + 2))
  if (!ranges.some((r) => r.containerId === 0)) throw new ValueError('container root (id 0) must be mapped: add a range that starts at 0')
  return ranges
}

/** The supplementary groups and home an image's /etc/passwd and /etc/group give the user. */
const USER_GROUPS = new WeakMap<ContainerConfig, number[]>()
const USER_HOME = new WeakMap<ContainerConfig, string>()

/**
 * The command of a container on an image, by Docker's rules:
 * - entrypoint: [exec] entrypoint if written (even empty), else the image's Entrypoint;
 * - cmd: -- CMD or [exec] cmd if given, else the image's Cmd, unless entrypoint was
 *   written here (docker run --entrypoint drops the image's Cmd too);
 * - argv = entrypoint + cmd, which must not be empty.
 */
function applyImageCommand(cfg: ContainerConfig, image: RunImage, ctx: FinishContext): void {
  const ownEntrypoint = ctx.written('exec.entrypoint') !== undefined
  if (!ownEntrypoint) cfg.exec.entrypoint = image.defaults.entrypoint ?? []
  if (cfg.exec.cmd.length === 0 && !ownEntrypoint) cfg.exec.cmd = image.defaults.cmd ?? []
  if (cfg.exec.entrypoint.length + cfg.exec.cmd.length > 0) return
  const line = ctx.written('exec.entrypoint') ?? ctx.written('rootfs.image') ?? 0
  const why = ownEntrypoint ? 'entrypoint is empty and no cmd is given' : `image ${quote(image.canonical)} has no Entrypoint and no Cmd`
  ctx.error(line, `no command: ${why}; set [exec] cmd or give one after --`)
}

/** Keeps each row's value type while collecting rows of different types. */
function key<T>(spec: KeySpec<T>): KeySpec {
  return spec as unknown as KeySpec
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** The rlimits, by their lower-case name without RLIMIT_ (as in prlimit(1)). */
export const RLIMITS = [
  'as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue',
  'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack',
] as const

export const KEEPABLE_NAMESPACES: readonly KeepableNamespace[] = ['ipc', 'uts', 'cgroup']

/** Sections in the design that this version does not implement yet. */
export const LATER_SECTIONS: string[] = []

function parseKeep(raw: string): KeepableNamespace[] {
  const keep: KeepableNamespace[] = []
  for (const word of raw.split(/\s+/).filter(w => w !== '')) {
    if (word === 'net') throw new ValueError('"net" is not kept here; use [net] type = host to share the host\'s network')
    if (word === 'mount' || word === 'pid') {
      throw new ValueError(`the mount and pid namespaces are always new; remove ${quote(word)}`)
    }
    if (!(KEEPABLE_NAMESPACES as readonly string[]).includes(word)) {
      throw new ValueError(`${quote(word)} is not a namespace lite can keep (use ${KEEPABLE_NAMESPACES.join(', ')})`)
    }
    if (!keep.includes(word as KeepableNamespace)) keep.push(word as KeepableNamespace)
  }
  return keep
}

/**
 * Each env[] name's index in cfg.exec.env, kept beside the config while it is
 * validated: a search of the list per line made 20,000 lines take 30 s.
 */
const ENV_NAMES = new WeakMap<ContainerConfig, Map<string, number>>()

function envNames(cfg: ContainerConfig): Map<string, number> {
  let names = ENV_NAMES.get(cfg)
  if (!names) {
    names = new Map(cfg.exec.env.map((e, i) => [e.slice(0, e.indexOf('=')), i]))
    ENV_NAMES.set(cfg, names)
  }
  return names
}

/**
 * A raw cgroup file name: CONTROLLER.FILE, or one of v1's undotted core files
 * (tasks, notify_on_release, release_agent), which are matched only to be refused
 * with their reason rather than as unknown keys.
 */
const RAW_CGROUP_FILE = /^(?:[a-z_]+\.[A-Za-z0-9_.]+|tasks|notify_on_release|release_agent)$/

const NOT_LIMITS_DOC =
  'the files that move, kill or freeze processes, or change the hierarchy or device access, are refused ' +
  '(cgroup.procs, cgroup.threads, tasks, cgroup.kill, cgroup.freeze, freezer.*, cgroup.subtree_control, cgroup.type, ' +
  'notify_on_release, release_agent, devices.*: use [devices]), and of the other cgroup.* files only ' +
  'cgroup.max.depth and cgroup.max.descendants are allowed'

/** A raw [cgroup]/[cgroup2] value, for a file that is a limit. */
function parseRawCgroupKey(raw: string, ctx: KeyContext): string {
  const problem = rawCgroupKeyProblem(ctx.key)
  if (problem) throw new ValueError(problem)
  return parseRawCgroupValue(raw)
}

function parseHookArgv(raw: string, ctx: KeyContext): string[] {
  const argv = parseArgv(raw)
  const written = argv[0]!
  const program = parseHostPath(written, ctx.dir)
  try {
    requireExecutable(program, written)
  } catch (err) {
    if (err instanceof ValueError && !written.includes('/')) {
      throw new ValueError(`${err.message}; a hook is an absolute path or a path relative to the config file`)
    }
    throw err
  }
  return [program, ...argv.slice(1)]
}

/** The longest [health] interval, timeout and start_period. */
const HEALTH_MAX_MS = 24 * 3_600_000

/** The [health] keys that only tune a check, in table order. */
const HEALTH_TUNING = ['interval', 'timeout', 'retries', 'start_period', 'on_unhealthy'] as const

/**
 * The image's Healthcheck values, when they apply: a check runs, and it is the image's
 * or one that [health] cmd puts in its place (Docker merges them field by field).
 * Without a check they are not used, so that a bad one does not make an error.
 */
function imageHealth(cfg: ContainerConfig, ctx: KeyContext): ImageHealthcheck | undefined {
  const check = cfg.rootfs.image?.defaults.healthcheck
  if (!check) return undefined
  if (ctx.written?.('health.cmd')) return cfg.health.cmd ? check : undefined
  return Array.isArray(check.cmd) ? check : undefined
}

/** A [health] key's default: the image's value (as text the row parses), else `builtIn`. */
function healthDefault(field: 'intervalMs' | 'timeoutMs' | 'startPeriodMs' | 'retries', builtIn: string): DerivedDefault['from'] {
  return (cfg, ctx) => {
    const value = imageHealth(cfg, ctx)?.[field]
    if (value === undefined) return builtIn
    return field === 'retries' ? String(value) : `${value}ms`
  }
}

/** Why a [health] cmd can't reach the monitor: its spec is one value per line, 0x1f-separated. */
function healthArgProblem(arg: string): string | undefined {
  if (/[\n\r]/.test(arg)) return `${quote(arg)} has a line break; write the command on one line (join commands with ; or &&)`
  if (arg.includes('\x1f')) return `${quote(arg)} contains the byte 0x1f`
  return undefined
}

export const SECTIONS: readonly SectionSpec[] = [
  {
    name: 'container',
    doc: 'The container\'s identity.',
  },
  {
    name: 'rootfs',
    doc:
      'The root file system: a read-only lower layer (a directory, or a squashfs or erofs image ' +
      'mounted through a loop device) under a writable overlay upper layer, which is a size-capped ' +
      'tmpfs unless a directory is given.',
    finish(cfg, ctx) {
      const pathLine = ctx.written('rootfs.path')
      const imageLine = ctx.written('rootfs.image')
      if (pathLine !== undefined && imageLine !== undefined) {
        const [first, second] = pathLine < imageLine ? (['path', 'image'] as const) : (['image', 'path'] as const)
        ctx.error(Math.max(pathLine, imageLine), `[rootfs] ${second}: not with ${first} (line ${Math.min(pathLine, imageLine)}); the lower layer is either a path or an image from the store`)
      }
      const upper = ctx.origin('rootfs.upper')
      const size = ctx.origin('rootfs.size')
      const readonly = ctx.origin('rootfs.readonly')
      if (cfg.rootfs.readonly && readonly) {
        if (upper) ctx.error(readonly.line, `[rootfs] readonly: yes means no overlay, so upper (line ${upper.line}) can't be set; remove one of them`)
        if (size) ctx.error(size.line, `[rootfs] size: readonly = yes (line ${readonly.line}) has no upper layer to size`)
      } else if (size && upper && cfg.rootfs.upper !== 'tmpfs') {
        ctx.error(size.line, `[rootfs] size: only sizes a tmpfs upper, and upper (line ${upper.line}) is a directory`)
      }
    },
  },
  {
    name: 'exec',
    doc: 'The process started in the container.',
    finish(cfg, ctx) {
      const image = cfg.rootfs.image
      if (image) applyImageCommand(cfg, image, ctx)
      // appended, not prepended, so that exec.env[i] in origins is cfg.exec.env[i]
      const names = new Set(cfg.exec.env.map(e => e.slice(0, e.indexOf('='))))
      // the image's Env are defaults: env[] overrides them by name
      for (const e of image?.defaults.env ?? []) {
        const name = e.slice(0, e.indexOf('='))
        if (names.has(name)) continue
        names.add(name)
        cfg.exec.env.push(e)
      }
      if (!names.has('PATH')) cfg.exec.env.push(`PATH=${DEFAULT_PATH}`)
      if (!names.has('HOME')) cfg.exec.env.push(`HOME=${USER_HOME.get(cfg) ?? '/'}`)
    },
  },
  {
    name: 'mount',
    doc:
      'Extra mounts, made in order after /proc, /sys and /dev are set up (so a device such as ' +
      '/dev/i2c-1 is not hidden by the /dev tmpfs).',
  },
  {
    name: 'namespaces',
    doc:
      'Namespaces are all new by default: mount, pid, uts, ipc, cgroup and net (see [net]). ' +
      'Mount and pid are always new.',
    finish(cfg, ctx) {
      const hostname = ctx.origin('container.hostname')
      const keep = ctx.origin('namespaces.keep')
      if (keep && hostname && cfg.namespaces.keep.includes('uts')) {
        ctx.error(keep.line, `[namespaces] keep: uts is the host's, so [container] hostname (line ${hostname.line}) can't be set; remove one of them`)
      }
    },
  },
  {
    name: 'user',
    doc:
      'A user namespace of the container\'s own: root inside is an unprivileged id on the host, ' +
      'and the image\'s files keep their owners (an id-mapped lower layer).',
    finish(cfg, ctx) {
      const gid = ctx.origin('user.gid_map')
      if (gid && !Array.isArray(cfg.user.map)) {
        ctx.error(gid.line, `[user] gid_map: only with explicit map ranges, and map is ${cfg.user.map}`)
      }
      // The app's ids must exist inside, or the child's setresuid fails at start.
      const map = cfg.user.map
      if (map === 'none') return
      const line = ctx.written('user.map')!
      const inside = (ranges: IdRange[] | 'auto', id: number) =>
        ranges === 'auto' ? id < AUTO_SIZE : ranges.some((r) => id >= r.containerId && id < r.containerId + r.size)
      const gids = map === 'auto' ? 'auto' : (cfg.user.gidMap ?? map)
      const { uid, gid: group } = cfg.exec.user
      if (!inside(map, uid)) ctx.error(line, `[user] map: leaves out uid ${uid}, which [exec] user runs as; map it too`)
      for (const g of [group, ...cfg.exec.groups]) {
        if (!inside(gids, g)) ctx.error(gid?.line ?? line, `[user] ${gid ? 'gid_map' : 'map'}: leaves out gid ${g}, which [exec] user or groups use; map it too`)
      }
    },
  },
  {
    name: 'net',
    doc: 'Networking, and the container\'s /etc/resolv.conf and /etc/hosts.',
    finish(cfg, ctx) {
      netFinish(cfg, ctx)
      const dns = ctx.origin('net.dns[0]')
      const resolv = ctx.origin('net.resolv_conf')
      if (dns && resolv && cfg.net.resolvConf !== 'host') {
        ctx.error(dns.line, `[net] dns: generates resolv.conf, which conflicts with resolv_conf = ${cfg.net.resolvConf === 'rootfs' ? 'rootfs' : 'a file'} (line ${resolv.line}); remove one of them`)
      }
    },
  },
  {
    name: 'limits',
    doc:
      'Resource limits (setrlimit) and the OOM score. Nothing is set unless configured. A value may ' +
      'only lower the limit lite itself runs with, since the host may lack CAP_SYS_RESOURCE.',
  },
  {
    name: 'resources',
    doc:
      'cgroup limits that work on v1, v2 and hybrid hosts alike: lite writes each to the file of ' +
      'the hierarchy that holds its controller on this host. The container is placed in ' +
      'PARENT/NAME of every hierarchy and sees its own limits in /sys/fs/cgroup.',
    finish(cfg, ctx) {
      const swap = ctx.origin('resources.swap')
      if (swap && cfg.resources.memory === null) ctx.error(swap.line, '[resources] swap: needs memory, since swap is counted on top of it')
    },
  },
  {
    name: 'cgroup',
    doc:
      'Placement, and raw cgroup v1 files written as they are (for what [resources] does not cover). ' +
      'A raw key is refused on a host without cgroup v1.',
  },
  {
    name: 'cgroup2',
    doc: 'Raw cgroup v2 files written as they are, e.g. memory.high = 32M. Refused on a host without cgroup v2 controllers.',
  },
  {
    name: 'devices',
    doc:
      'Device access. Only the minimal /dev nodes exist, and the cgroup (v1 devices controller, or a ' +
      'v2 device BPF program) allows opening only them (null zero full random urandom tty console ' +
      'ptmx, the pts, tun). A device ' +
      'passed here gets its node in the container\'s /dev and is allowed.',
  },
  {
    name: 'security',
    doc:
      'Confinement. By default a container gets Docker\'s: 14 capabilities, no_new_privs, and Docker\'s ' +
      'default seccomp profile. Whatever is set here, /proc and /sys paths that show or change the host ' +
      '(/proc/kcore, /proc/keys, /sys/firmware, ...) are masked and others (/proc/sys, /proc/sysrq-trigger, ' +
      '/proc/irq, /proc/bus, /proc/fs) made read-only, as runc does.',
    finish(cfg, ctx) {
      const keep = ctx.origin('security.cap.keep')
      const drop = ctx.origin('security.cap.drop')
      if (keep && drop) ctx.error(drop.line, `[security] cap.drop: not with cap.keep (line ${keep.line}), which already names the whole set; use one of them`)
    },
  },
  {
    name: 'sysctl',
    doc:
      'Kernel parameters of the container\'s own namespaces, e.g. net.ipv4.ip_forward = 1, written into ' +
      '/proc/sys inside the container before it is made read-only. Only namespaced ones: net.* (with a ' +
      'new network namespace), kernel.shm*, kernel.msg*, kernel.sem and fs.mqueue.* (with a new IPC namespace).',
  },
  {
    name: 'hook',
    doc:
      'Host programs run by lite around the container, with LITE_NAME, LITE_ROOTFS, LITE_PID and ' +
      'LITE_CONFIG in their environment.',
  },
  {
    name: 'start',
    doc:
      'Starting at boot (lite boot DIR, in order, with a delay) and restarting after an exit: the monitor ' +
      'that lite run leaves beside the container applies the restart policy, with no daemon.',
  },
  {
    name: 'health',
    doc:
      'A health check, as Docker\'s HEALTHCHECK: the monitor runs cmd inside the container (as lite exec ' +
      'does) every interval. The container is starting until a check passes (healthy); retries failures ' +
      'in a row make it unhealthy, and a pass makes it healthy again. lite ps and lite status show the ' +
      'state. An image\'s Healthcheck is the default of every key; a key written here replaces its part.',
    finish(cfg, ctx) {
      const image = cfg.rootfs.image
      const check = image?.defaults.healthcheck
      const cmdLine = ctx.written('health.cmd')
      if (cmdLine === undefined && Array.isArray(check?.cmd)) {
        const problem = check.cmd.map(healthArgProblem).find(p => p !== undefined)
        if (problem) {
          // reported as a failed default is; the keys that tune the check are not blamed for it
          ctx.error(0, `[health] cmd: not set, and its default (the image's Healthcheck) ${problem}; set it explicitly (or to none)`)
          return
        }
        cfg.health.cmd = [...check.cmd]
      }
      // a check runs; or cmd, or the image it would come from, has its own error
      if (cfg.health.cmd || (cmdLine !== undefined && !ctx.origin('health.cmd'))) return
      if (!image && ctx.written('rootfs.image') !== undefined) return
      const why =
        cmdLine !== undefined
          ? `with cmd = none (line ${cmdLine}); remove one of them`
          : check?.cmd === 'none'
            ? 'without cmd (the image\'s Healthcheck is NONE)'
            : image
              ? 'without cmd (the image has no Healthcheck either)'
              : 'without cmd (no health check runs)'
      for (const name of HEALTH_TUNING) {
        const line = ctx.written(`health.${name}`)
        if (line !== undefined) ctx.error(line, `[health] ${name}: has no effect ${why}`)
      }
    },
  },
  {
    name: 'update',
    doc:
      'How lite update replaces the image this container runs (lite update NAME REF|FILE): the new image ' +
      'enters the store, the monitor restarts the container on it, and the update is committed once the ' +
      'container is healthy, or rolled back on its own.',
  },
  {
    name: 'log',
    doc:
      'Where the stdout and stderr of a detached container (lite run -d) go; read them with lite logs. ' +
      'A foreground run keeps the terminal of lite run.',
  },
]

export const KEYS: readonly KeySpec[] = [
  // ------------------------------------------------------------ [container]
  key<string>({
    section: 'container',
    key: 'name',
    value: 'name',
    default: { doc: 'the config file\'s name without ".ini"', from: (_, ctx) => path.basename(ctx.file).replace(/\.ini$/, '') },
    doc:
      'Names the container in lite ps and the state directory /run/lite/NAME. 1 to 63 of a-z 0-9 _ . -, ' +
      'starting with a letter or digit. A name given on the command line wins.',
    lxc: '(container directory name)',
    nspawn: '--machine',
    parse: parseContainerName,
    apply: (cfg, name) => {
      cfg.container.name = name
    },
    override: (cfg, o) => {
      if (o.name === undefined) return false
      cfg.container.name = parseContainerName(o.name)
      return true
    },
  }),
  key<string>({
    section: 'container',
    key: 'hostname',
    value: 'hostname',
    default: { doc: 'the container name', from: cfg => cfg.container.name || undefined },
    doc: 'The host name inside the container (RFC 1123, at most 64 characters). Not set when [namespaces] keep has uts.',
    lxc: 'lxc.uts.name',
    nspawn: 'Exec.Hostname',
    parse: parseHostname,
    apply: (cfg, hostname) => {
      cfg.container.hostname = hostname
    },
  }),
  key<'host' | 'none'>({
    section: 'container',
    key: 'localtime',
    value: 'host | none',
    default: 'host',
    doc: 'host bind-mounts the host\'s /etc/localtime read-only into the container; none leaves the rootfs\'s own.',
    nspawn: 'Exec.Timezone',
    parse: oneOf(['host', 'none'] as const),
    apply: (cfg, localtime) => {
      cfg.container.localtime = localtime
    },
  }),

  // --------------------------------------------------------------- [rootfs]
  key<{ path: string; kind: ContainerConfig['rootfs']['kind'] }>({
    section: 'rootfs',
    key: 'path',
    value: 'path',
    required: written => !written('rootfs.image'),
    defaultDoc: 'required, unless image is set',
    doc:
      'The read-only lower layer: a directory, or a squashfs or erofs image file (recognised by its ' +
      'magic number). Absolute, or relative to the config file\'s directory. It must exist. Not with image.',
    lxc: 'lxc.rootfs.path',
    nspawn: '--directory, --image',
    parse: (raw, ctx) => {
      const resolved = parseHostPath(raw, ctx.dir)
      return { path: resolved, kind: rootfsKind(resolved, raw) }
    },
    apply: (cfg, { path, kind }) => {
      cfg.rootfs.path = path
      cfg.rootfs.kind = kind
    },
  }),
  key<RunImage>({
    section: 'rootfs',
    key: 'image',
    value: 'image reference',
    defaultDoc: 'none',
    doc:
      'An image from lite\'s store (lite image pull / import) as the lower layer: NAME[:TAG] (busybox, ' +
      '127.0.0.1:5000/app:1.2, normalised as Docker does), NAME@sha256:DIGEST or sha256:DIGEST. Its config ' +
      'gives defaults that this file\'s keys override: Env (env[]), Entrypoint and Cmd (entrypoint, cmd, -- CMD), ' +
      'WorkingDir (cwd), User (user, groups), StopSignal (stop_signal), Healthcheck ([health]); ExposedPorts are shown by lite status. ' +
      'The store is /var/lib/lite unless /etc/lite/images.ini, LITE_STORE or --store says otherwise. ' +
      'A running container keeps the image it started from, even when the tag moves. Not with path.',
    nspawn: '--image',
    parse: (raw, ctx) =>
      loadRunImage(raw, {
        store: ctx.overrides?.store,
        imagesConfig: ctx.overrides?.imagesConfig,
        pinned: ctx.overrides?.imageDigest,
        env: ctx.overrides?.env,
      }),
    apply: (cfg, image) => {
      cfg.rootfs.image = image
      cfg.rootfs.path = image.file
      cfg.rootfs.kind = image.kind
    },
  }),
  key<string>({
    section: 'rootfs',
    key: 'upper',
    value: 'tmpfs | path',
    default: 'tmpfs',
    doc:
      'The writable layer: tmpfs (lost at exit; no flash wear) or an existing directory that keeps ' +
      'changes (absolute, or relative to the config file); lite makes root/ and work/ in it. ' +
      'Not with readonly = yes.',
    lxc: 'lxc.rootfs.path = overlayfs:LOWER:UPPER',
    nspawn: 'Files.Overlay, --volatile=overlay',
    parse: (raw, ctx) => {
      if (raw === 'tmpfs') return 'tmpfs'
      const resolved = parseHostPath(raw, ctx.dir)
      requireDirectory(resolved, raw)
      return resolved
    },
    apply: (cfg, upper) => {
      cfg.rootfs.upper = upper
    },
  }),
  key<number>({
    section: 'rootfs',
    key: 'size',
    value: 'size',
    default: '16M',
    doc: 'The size cap of a tmpfs upper layer. Not with a directory upper or readonly = yes.',
    parse: raw => {
      const size = parseSize(raw)
      if (size === 0) throw new ValueError('0 would leave the tmpfs without a cap; give a size')
      return size
    },
    apply: (cfg, size) => {
      cfg.rootfs.size = size
    },
  }),
  key<boolean>({
    section: 'rootfs',
    key: 'readonly',
    value: 'bool',
    default: 'no',
    doc: 'yes mounts the lower layer read-only with no overlay: the smallest footprint. Not with upper.',
    lxc: 'lxc.rootfs.options = ro',
    nspawn: 'Files.ReadOnly',
    parse: parseBool,
    apply: (cfg, readonly) => {
      cfg.rootfs.readonly = readonly
    },
  }),

  // ----------------------------------------------------------------- [exec]
  key<string[]>({
    section: 'exec',
    key: 'entrypoint',
    value: 'command line',
    defaultDoc: 'the image\'s Entrypoint; none without an image',
    doc:
      'Put before cmd: the program of an image that takes its arguments from cmd (Docker\'s ENTRYPOINT). ' +
      'Written like cmd. Setting it (even to "") drops the image\'s Entrypoint and its Cmd, as docker run ' +
      '--entrypoint does; cmd or -- CMD then gives the arguments. lite exec runs its command without it.',
    lxc: '(lxc.execute.cmd)',
    nspawn: 'Exec.Parameters',
    parse: raw => (raw.trim() === '' ? [] : parseArgv(raw)),
    apply: (cfg, argv) => {
      cfg.exec.entrypoint = argv
    },
  }),
  key<string[]>({
    section: 'exec',
    key: 'cmd',
    value: 'command line',
    required: written => !written('rootfs.image') && !written('exec.entrypoint'),
    defaultDoc: 'the image\'s Cmd (unless entrypoint is set); required without an image or entrypoint, unless given on the command line',
    doc:
      'The program and its arguments, split like a shell would without expanding anything: ' +
      '\'...\' is literal, "..." allows \\" and \\\\, a backslash quotes the next character. ' +
      'A program without a \'/\' is looked up in the container\'s PATH. A command given on the ' +
      'command line wins. With an entrypoint (this file\'s or the image\'s), these are its arguments.',
    lxc: 'lxc.init.cmd, lxc.execute.cmd',
    nspawn: 'Exec.Parameters',
    parse: parseArgv,
    apply: (cfg, argv) => {
      cfg.exec.cmd = argv
    },
    override: (cfg, o) => {
      if (!o.cmd || o.cmd.length === 0) return false
      const nul = o.cmd.find(arg => arg.includes('\0'))
      if (nul !== undefined) throw new ValueError(`${quote(nul)} contains a NUL byte`)
      cfg.exec.cmd = [...o.cmd]
      return true
    },
  }),
  key<EnvVar>({
    section: 'exec',
    key: 'env',
    list: true,
    value: 'KEY=VALUE',
    defaultDoc: `PATH=${DEFAULT_PATH} and HOME=/, each unless set`,
    doc: 'An environment variable. Each KEY may be set once. With an image, its Env comes too, and env[] overrides it by KEY.',
    lxc: 'lxc.environment',
    nspawn: 'Exec.Environment',
    parse: parseEnv,
    apply: (cfg, { name, value }) => {
      const names = envNames(cfg)
      const earlier = names.get(name)
      if (earlier !== undefined) {
        const line = cfg.origins[`exec.env[${earlier}]`]?.line
        throw new ValueError(`${quote(name)} is already set${line ? ` at line ${line}` : ''}`)
      }
      names.set(name, cfg.exec.env.length)
      cfg.exec.env.push(`${name}=${value}`)
    },
  }),
  key<string>({
    section: 'exec',
    key: 'cwd',
    value: 'path',
    default: { doc: 'the image\'s WorkingDir, else /', from: cfg => cfg.rootfs.image?.defaults.workingDir ?? '/' },
    doc: 'The working directory, an absolute path inside the container.',
    lxc: 'lxc.init.cwd',
    nspawn: 'Exec.WorkingDirectory',
    parse: parseContainerPath,
    apply: (cfg, cwd) => {
      cfg.exec.cwd = cwd
    },
  }),
  key<string>({
    section: 'exec',
    key: 'user',
    value: 'uid[:gid], or user[:group] with an image',
    default: { doc: 'the image\'s User, else 0:0', from: cfg => cfg.rootfs.image?.defaults.user ?? '0:0' },
    doc:
      'The user and group ids. Without an image they are numbers, and gid defaults to uid. With an image, ' +
      'names are looked up in the image\'s /etc/passwd and /etc/group as Docker does: a user\'s primary group ' +
      'and home (HOME, unless env[] sets it) come from passwd, and its supplementary groups (the groups default) ' +
      'from group; a uid passwd lacks gets gid = uid when written here, gid 0 when it is the image\'s User (Docker\'s rule).',
    lxc: 'lxc.init.uid, lxc.init.gid',
    nspawn: 'Exec.User',
    parse: raw => raw,
    apply: (cfg, text, origin, ctx) => {
      const image = cfg.rootfs.image
      if (!image) {
        try {
          cfg.exec.user = parseUser(text)
        } catch (err) {
          // a name, for an image that failed to load: that image's error says why
          if (!(err instanceof ValueError && ctx.written?.('rootfs.image'))) throw err
          try {
            checkUserSpec(text)
          } catch (bad) {
            if (bad instanceof UserError) throw new ValueError(bad.message)
            throw bad
          }
        }
        return
      }
      const fromImage = origin.line === 0
      try {
        const user = resolveUser(text, image.users, uid => (fromImage ? 0 : uid), `image ${quote(image.canonical)}`)
        cfg.exec.user = { uid: user.uid, gid: user.gid }
        USER_GROUPS.set(cfg, user.groups)
        if (user.home) USER_HOME.set(cfg, user.home)
      } catch (err) {
        if (err instanceof UserError) throw new ValueError(fromImage ? `the image's User ${quote(text)}: ${err.message}` : err.message)
        throw err
      }
    },
  }),
  key<number[]>({
    section: 'exec',
    key: 'groups',
    value: 'gid list',
    default: { doc: 'none; with an image, the user\'s groups in its /etc/group', from: cfg => (USER_GROUPS.get(cfg) ?? []).join(' ') },
    doc: 'Supplementary group ids, separated by spaces or commas; replaces the ones an image\'s /etc/group gives.',
    lxc: 'lxc.init.groups',
    parse: parseGroups,
    apply: (cfg, groups) => {
      cfg.exec.groups = groups
    },
  }),
  key<boolean>({
    section: 'exec',
    key: 'init',
    value: 'bool',
    default: 'no',
    doc:
      'yes starts a small PID 1 (lite-init: the monitor program in init mode, about 25 KiB resident) that reaps zombies and forwards signals; the program runs as PID 2. ' +
      'Without it the program is PID 1, and the kernel drops a signal such as SIGTERM sent to a ' +
      'PID 1 that has no handler for it.',
    lxc: '(lxc-execute, with init.lxc)',
    nspawn: 'Exec.ProcessTwo',
    parse: parseBool,
    apply: (cfg, init) => {
      cfg.exec.init = init
    },
  }),
  key<number>({
    section: 'exec',
    key: 'stop_signal',
    value: 'signal',
    default: { doc: 'the image\'s StopSignal, else SIGTERM', from: cfg => cfg.rootfs.image?.defaults.stopSignal ?? 'SIGTERM' },
    doc: 'The signal that asks the container to stop: a name (SIGTERM, TERM, SIGRTMIN+3) or a number.',
    lxc: 'lxc.signal.stop',
    nspawn: 'Exec.KillSignal',
    parse: parseSignal,
    apply: (cfg, signal) => {
      cfg.exec.stopSignal = signal
    },
  }),
  key<number>({
    section: 'exec',
    key: 'stop_timeout',
    value: 'seconds, 0..3600',
    default: '10',
    doc: 'How long to wait after stop_signal before SIGKILL.',
    lxc: '(lxc-stop --timeout)',
    parse: intRange(0, 3600),
    apply: (cfg, seconds) => {
      cfg.exec.stopTimeout = seconds
    },
  }),

  // ---------------------------------------------------------------- [mount]
  key<Omit<ContainerConfig['mounts'][number], 'origin'>>({
    section: 'mount',
    key: 'entry',
    list: true,
    value: 'SOURCE TARGET TYPE [OPTIONS]',
    defaultDoc: 'none',
    doc:
      'An fstab-like line. TARGET is inside the container, absolute or relative to its root, without "..". ' +
      'OPTIONS are mount options plus lite\'s own create=dir|file (make the target first) and optional ' +
      '(skip the mount if SOURCE is missing). A bind mount is the option bind or rbind with the type ' +
      'none or bind; its SOURCE may be relative to the config file. Spaces in a field are written \\040. ' +
      'Types that show the host\'s kernel state unmasked are refused: proc, sysfs, cgroup, cgroup2, devtmpfs, ' +
      'securityfs, debugfs, tracefs, bpf, configfs, efivarfs, pstore, binfmt_misc and the like.',
    lxc: 'lxc.mount.entry',
    nspawn: 'Files.Bind, Files.TemporaryFileSystem',
    parse: (raw, ctx) => parseMountEntry(raw, ctx.dir),
    apply: (cfg, entry, origin) => {
      cfg.mounts.push({ ...entry, origin })
    },
  }),

  // ----------------------------------------------------------- [namespaces]
  key<KeepableNamespace[]>({
    section: 'namespaces',
    key: 'keep',
    value: 'list of ipc uts cgroup',
    default: '',
    defaultDoc: 'none',
    doc:
      'Namespaces shared with the host instead of new ones, separated by spaces. For the network ' +
      'use [net] type = host; the mount and pid namespaces are always new.',
    lxc: 'lxc.namespace.keep',
    parse: parseKeep,
    apply: (cfg, keep) => {
      cfg.namespaces.keep = keep
    },
  }),

  // ----------------------------------------------------------------- [user]
  key<'none' | 'auto' | IdRange[]>({
    section: 'user',
    key: 'map',
    value: 'none | auto | CONTAINER:HOST:COUNT[,...]',
    default: 'none',
    doc:
      'none: no user namespace. auto: 65536 ids from the pool (the `lite` entries of /etc/subuid ' +
      'and /etc/subgid, else lite\'s default pool, shown by lite info), the same range for a name ' +
      'that keeps files on the host (a directory upper, a writable bind) until lite rm. Ranges: ' +
      'container ids CONTAINER.. are host ids HOST.. for COUNT ids, for uids and (unless gid_map) ' +
      'gids. Container root (0) must be mapped.',
    lxc: 'lxc.idmap',
    parse: (raw) => {
      if (raw === 'none' || raw === 'auto') return raw
      return mappedRanges(raw, 'map')
    },
    apply: (cfg, map) => {
      cfg.user.map = map
    },
  }),
  key<IdRange[]>({
    section: 'user',
    key: 'gid_map',
    value: 'CONTAINER:HOST:COUNT[,...]',
    defaultDoc: 'the map ranges',
    doc: 'The gid ranges, when they differ from the uid ranges of map.',
    lxc: 'lxc.idmap = g ...',
    parse: (raw) => mappedRanges(raw, 'gid_map'),
    apply: (cfg, map) => {
      cfg.user.gidMap = map
    },
  }),

  // ------------------------------------------------------------------ [net]
  key<NetMode>({
    section: 'net',
    key: 'type',
    value: 'none | host | bridge | macvlan | ipvlan | container:NAME | netns:PATH',
    default: 'none',
    doc:
      'none: a new network namespace with only lo up. host: the host\'s network. bridge: eth0 on a ' +
      'bridge with NAT and published ports. macvlan, ipvlan: eth0 with its own address on parent\'s ' +
      'LAN. container:NAME: the network of a running container. netns:PATH: a named network ' +
      'namespace such as /run/netns/x.',
    lxc: 'lxc.net.0.type',
    nspawn: 'Network.Private',
    parse: parseNetType,
    apply: (cfg, mode) => {
      cfg.net.type = mode.type
      if (mode.target !== undefined) cfg.net.target = mode.target
    },
  }),
  key<string>({
    section: 'net',
    key: 'bridge',
    value: 'interface name',
    default: DEFAULT_BRIDGE,
    doc: 'type = bridge: the host bridge, created on first use with the subnet\'s gateway and kept, as docker0 is.',
    lxc: 'lxc.net.0.link',
    parse: parseInterfaceName,
    apply: (cfg, bridge) => {
      cfg.net.bridge = bridge
    },
  }),
  key<Ipv4Net>({
    section: 'net',
    key: 'subnet',
    value: 'IPv4 CIDR',
    default: formatNet(DEFAULT_SUBNET),
    doc: 'type = bridge: the bridge\'s subnet; its .1 is the gateway. Every container on one bridge must give the same subnet.',
    parse: parseSubnet,
    apply: (cfg, subnet) => {
      cfg.net.subnet = subnet
    },
  }),
  key<{ address: string; prefix?: number }>({
    section: 'net',
    key: 'address',
    value: 'IPv4 [/prefix]',
    defaultDoc: 'leased (bridge)',
    doc: 'bridge: a fixed address in the subnet, else one is leased. macvlan, ipvlan: the address with its prefix (required), e.g. 192.168.1.50/24.',
    lxc: 'lxc.net.0.ipv4.address',
    parse: (raw) => (raw.includes('/') ? parseCidr(raw, { minPrefix: 1, maxPrefix: 32 }) : { address: parseIpv4(raw) }),
    apply: (cfg, address) => {
      cfg.net.address = address
    },
  }),
  key<string>({
    section: 'net',
    key: 'gateway',
    value: 'IPv4',
    defaultDoc: 'none (bridge: the subnet\'s .1)',
    doc: 'macvlan, ipvlan: the default route\'s gateway on the parent\'s LAN.',
    lxc: 'lxc.net.0.ipv4.gateway',
    parse: parseIpv4,
    apply: (cfg, gateway) => {
      cfg.net.gateway = gateway
    },
  }),
  key<string>({
    section: 'net',
    key: 'parent',
    value: 'interface name',
    defaultDoc: 'none',
    doc: 'macvlan, ipvlan: the host interface the container\'s eth0 sits on (required).',
    lxc: 'lxc.net.0.link',
    parse: parseInterfaceName,
    apply: (cfg, parent) => {
      cfg.net.parent = parent
    },
  }),
  key<Publish>({
    section: 'net',
    key: 'publish',
    list: true,
    value: '[HOSTIP:]HOSTPORT:PORT[/tcp|udp]',
    defaultDoc: 'none',
    doc:
      'type = bridge: a port of the host forwarded to the container (DNAT), from other hosts and from ' +
      'the host itself (127.0.0.1 included). tcp unless /udp is given.',
    parse: parsePublish,
    apply: (cfg, p) => {
      cfg.net.publish.push(p)
    },
  }),
  key<string>({
    section: 'net',
    key: 'link',
    list: true,
    value: 'container name',
    defaultDoc: 'none',
    doc:
      'type = bridge: a running container on the same bridge whose name and address go into this ' +
      'container\'s /etc/hosts at start (one-way: start it first).',
    parse: parseContainerName,
    apply: (cfg, name) => {
      cfg.net.links.push(name)
    },
  }),
  key<string>({
    section: 'net',
    key: 'resolv_conf',
    value: 'host | rootfs | path',
    default: 'host',
    doc:
      'The container\'s /etc/resolv.conf: host copies the host\'s, rootfs keeps the image\'s, or a file ' +
      '(absolute, or relative to the config file). dns[] replaces it with a generated one.',
    nspawn: 'Exec.ResolvConf',
    parse: (raw, ctx) => {
      if (raw === 'host' || raw === 'rootfs') return raw
      const resolved = parseHostPath(raw, ctx.dir)
      try {
        requireRegularFile(resolved, raw)
      } catch (err) {
        if (err instanceof ValueError) throw new ValueError(`${err.message}; use host, rootfs or the path of a file`)
        throw err
      }
      return resolved
    },
    apply: (cfg, resolv) => {
      cfg.net.resolvConf = resolv
    },
  }),
  key<string>({
    section: 'net',
    key: 'dns',
    list: true,
    value: 'IP address',
    defaultDoc: 'none',
    doc: 'A nameserver (IPv4 or IPv6). Setting any generates resolv.conf; not with resolv_conf = rootfs or a file.',
    parse: parseIpAddress,
    apply: (cfg, address) => {
      cfg.net.dns.push(address)
    },
  }),
  key<string>({
    section: 'net',
    key: 'hosts',
    list: true,
    value: 'ADDRESS NAME [NAME...]',
    defaultDoc: 'none',
    doc: 'An extra /etc/hosts line.',
    parse: parseHostsLine,
    apply: (cfg, line) => {
      cfg.net.hosts.push(line)
    },
  }),

  // --------------------------------------------------------------- [limits]
  key<{ soft: number; hard: number }>({
    section: 'limits',
    key: '<rlimit>',
    names: RLIMITS,
    value: 'soft[:hard]',
    defaultDoc: 'inherited',
    doc:
      `<rlimit> is one of ${RLIMITS.join(', ')}. Each limit is a non-negative integer or unlimited; ` +
      'one value sets both soft and hard, e.g. nofile = 1024:4096.',
    lxc: 'lxc.prlimit.<rlimit>',
    nspawn: 'Exec.Limit<RLIMIT>',
    parse: parseRlimit,
    apply: (cfg, { soft, hard }, origin, ctx) => {
      cfg.limits.rlimits.push({ resource: ctx.key, soft, hard, origin })
    },
  }),
  key<number>({
    section: 'limits',
    key: 'oom_score_adj',
    value: 'integer, -1000..1000',
    defaultDoc: 'inherited',
    doc: 'Added to the OOM killer\'s score of the container\'s processes; -1000 exempts them.',
    lxc: 'lxc.proc.oom_score_adj',
    nspawn: 'Exec.OOMScoreAdjust',
    parse: intRange(-1000, 1000),
    apply: (cfg, adj) => {
      cfg.limits.oomScoreAdj = adj
    },
  }),

  // ------------------------------------------------------------ [resources]
  key<number>({
    section: 'resources',
    key: 'memory',
    value: 'size',
    defaultDoc: 'no limit',
    doc:
      'The memory limit (v2 memory.max, v1 memory.limit_in_bytes). When it kills the program, lite ' +
      'says so and exits 137. At least the measured floor (see "Memory floor").',
    lxc: 'lxc.cgroup2.memory.max',
    nspawn: '(MemoryMax=)',
    parse: parseMemory,
    apply: (cfg, v) => {
      cfg.resources.memory = v
    },
  }),
  key<number>({
    section: 'resources',
    key: 'swap',
    value: 'size',
    defaultDoc: 'the host\'s default',
    doc: 'Swap allowed on top of memory (v2 memory.swap.max; v1 memory.memsw.limit_in_bytes = memory + swap). 0 forbids swap.',
    lxc: 'lxc.cgroup2.memory.swap.max',
    parse: parseSize,
    apply: (cfg, v) => {
      cfg.resources.swap = v
    },
  }),
  key<number>({
    section: 'resources',
    key: 'cpus',
    value: 'CPUs, e.g. 0.5',
    defaultDoc: 'no limit',
    doc: 'CPU time per 100 ms period, in CPUs (v2 cpu.max, v1 cpu.cfs_quota_us and cpu.cfs_period_us).',
    lxc: 'lxc.cgroup2.cpu.max',
    nspawn: '(CPUQuota=)',
    parse: parseCpus,
    apply: (cfg, v) => {
      cfg.resources.cpus = v
    },
  }),
  key<number>({
    section: 'resources',
    key: 'weight',
    value: 'integer, 1..10000',
    defaultDoc: '100 (the kernel\'s)',
    doc: 'The CPU share against other cgroups (v2 cpu.weight; v1 cpu.shares, converted as crun does).',
    lxc: 'lxc.cgroup2.cpu.weight',
    nspawn: '(CPUWeight=)',
    parse: intRange(1, 10000),
    apply: (cfg, v) => {
      cfg.resources.weight = v
    },
  }),
  key<string>({
    section: 'resources',
    key: 'cpuset',
    value: 'CPU list, e.g. 0-1,3',
    defaultDoc: 'the parent\'s',
    doc: 'The CPUs the container may run on (cpuset.cpus).',
    lxc: 'lxc.cgroup2.cpuset.cpus',
    nspawn: 'Exec.CPUAffinity',
    parse: parseCpuList,
    apply: (cfg, v) => {
      cfg.resources.cpuset = v
    },
  }),
  key<string>({
    section: 'resources',
    key: 'mems',
    value: 'node list, e.g. 0',
    defaultDoc: 'the parent\'s',
    doc: 'The memory nodes the container may use (cpuset.mems).',
    lxc: 'lxc.cgroup2.cpuset.mems',
    parse: parseCpuList,
    apply: (cfg, v) => {
      cfg.resources.mems = v
    },
  }),
  key<number>({
    section: 'resources',
    key: 'pids',
    value: 'integer, or max',
    defaultDoc: 'no limit',
    doc: 'The most processes and threads the container may have (pids.max).',
    lxc: 'lxc.cgroup2.pids.max',
    nspawn: '(TasksMax=)',
    parse: parsePids,
    apply: (cfg, v) => {
      cfg.resources.pids = v
    },
  }),
  ...(['read_bps', 'write_bps', 'read_iops', 'write_iops'] as const).map(kind =>
    key<Omit<IoLimit, 'kind' | 'origin'>>({
      section: 'resources',
      key: `io_${kind}`,
      list: true,
      value: kind.endsWith('bps') ? 'DEVICE SIZE' : 'DEVICE COUNT',
      defaultDoc: 'none',
      doc: `A ${kind.startsWith('read') ? 'read' : 'write'} limit for one block device, in ${kind.endsWith('bps') ? 'bytes' : 'operations'} per second (v2 io.max; v1 blkio.throttle.${kind.replace('_', '_')}_device), e.g. /dev/mmcblk0 ${kind.endsWith('bps') ? '10M' : '500'}.`,
      lxc: 'lxc.cgroup2.io.max',
      parse: (raw, ctx) => ioLimitParser(kind.endsWith('bps') ? 'bytes' : 'ops')(raw, ctx.dir),
      apply: (cfg, v, origin) => {
        cfg.resources.io.push({ kind, ...v, origin })
      },
    }),
  ),
  key<number>({
    section: 'resources',
    key: 'io_weight',
    value: 'integer, 1..10000',
    defaultDoc: 'the kernel\'s',
    doc: 'The I/O share against other cgroups (v2 io.weight; v1 blkio.bfq.weight, 1..1000, only with the BFQ scheduler).',
    lxc: 'lxc.cgroup2.io.weight',
    parse: intRange(1, 10000),
    apply: (cfg, v) => {
      cfg.resources.ioWeight = v
    },
  }),
  key<number>({
    section: 'resources',
    key: 'rt_runtime',
    value: 'microseconds',
    defaultDoc: '0 on v1 (no SCHED_FIFO/RR)',
    doc:
      'Real-time CPU time per second for SCHED_FIFO/SCHED_RR threads (v1 cpu.rt_runtime_us). A new v1 ' +
      'cgroup gets 0, so real-time threads fail with EPERM without it. v2 has no real-time group scheduling.',
    lxc: 'lxc.cgroup.cpu.rt_runtime_us',
    parse: intRange(1, 1000000),
    apply: (cfg, v) => {
      cfg.resources.rtRuntime = v
    },
  }),

  // --------------------------------------------------------------- [devices]
  key<Omit<PassedDevice, 'origin'>>({
    section: 'devices',
    key: 'allow',
    list: true,
    value: 'DEVICE [rwm]',
    defaultDoc: 'none',
    doc:
      'A host character or block device (e.g. /dev/i2c-1 rw, /dev/ttyS1 rw): its node is made at ' +
      'the same path in the container\'s /dev, with the host\'s numbers and mode, and access is ' +
      'allowed (r read, w write, m mknod; default rw).',
    lxc: 'lxc.cgroup.devices.allow',
    nspawn: '--bind= (DeviceAllow=)',
    parse: parseDeviceAllow,
    apply: (cfg, v, origin) => {
      cfg.devices.push({ ...v, origin })
    },
  }),

  // --------------------------------------------------------- [cgroup] [cgroup2]
  key<string>({
    section: 'cgroup',
    key: 'parent',
    value: 'cgroup path',
    default: 'lite',
    doc: 'Where the container\'s cgroup goes in each hierarchy: PARENT/NAME.',
    parse: parseCgroupParent,
    apply: (cfg, v) => {
      cfg.cgroup.parent = v
    },
  }),
  key<string>({
    section: 'cgroup',
    key: '<controller>.<file>',
    pattern: RAW_CGROUP_FILE,
    value: 'value',
    defaultDoc: 'none',
    doc:
      'A cgroup v1 file of the container\'s cgroup, written as is, e.g. memory.swappiness = 10. The controller must be on v1 on this host. ' +
      `Only limits: ${NOT_LIMITS_DOC}.`,
    lxc: 'lxc.cgroup.<controller>.<file>',
    parse: parseRawCgroupKey,
    apply: (cfg, value, origin, ctx) => {
      cfg.cgroup.v1.push({ file: ctx.key, value, origin })
    },
  }),
  key<string>({
    section: 'cgroup2',
    key: '<file>',
    pattern: RAW_CGROUP_FILE,
    value: 'value',
    defaultDoc: 'none',
    doc:
      'A cgroup v2 file of the container\'s cgroup, written as is, e.g. memory.high = 32M. The controller must be on v2 on this host. ' +
      `Only limits: ${NOT_LIMITS_DOC}.`,
    lxc: 'lxc.cgroup2.<file>',
    parse: parseRawCgroupKey,
    apply: (cfg, value, origin, ctx) => {
      cfg.cgroup.v2.push({ file: ctx.key, value, origin })
    },
  }),

  // ------------------------------------------------------------- [security]
  key<string[]>({
    section: 'security',
    key: 'cap.keep',
    value: 'capability list',
    default: DEFAULT_CAP_TEXT,
    defaultDoc: `Docker's 14: ${DEFAULT_CAP_TEXT}`,
    doc:
      'The capabilities the program keeps in its bounding, permitted and effective sets, replacing the ' +
      'default ones: names separated by spaces, with or without CAP_, in any case; ALL is every one the ' +
      'kernel has. Not with cap.drop. The inheritable and ambient sets stay empty, so a program running as ' +
      'a non-root user has none of them after exec unless its file has capabilities (which no_new_privs refuses).',
    lxc: 'lxc.cap.keep',
    nspawn: 'Exec.Capability',
    parse: parseCapList,
    apply: (cfg, caps) => {
      cfg.security.caps = caps
    },
  }),
  key<string[]>({
    section: 'security',
    key: 'cap.drop',
    value: 'capability list',
    defaultDoc: 'none',
    doc: 'Capabilities taken out of the default ones, written like cap.keep (ALL drops them all). Not with cap.keep.',
    lxc: 'lxc.cap.drop',
    nspawn: 'Exec.DropCapability',
    parse: parseCapList,
    apply: (cfg, drop) => {
      cfg.security.caps = cfg.security.caps.filter(c => !drop.includes(c))
    },
  }),
  key<boolean>({
    section: 'security',
    key: 'no_new_privs',
    value: 'bool',
    default: 'yes',
    doc:
      'yes: execve can never grant privileges (setuid bits and file capabilities are ignored), and the ' +
      'seccomp filter is installed just before exec. no: the filter is installed before the capabilities ' +
      'are dropped, and must then allow lite\'s own set-up (Docker\'s default does).',
    lxc: 'lxc.no_new_privs',
    nspawn: 'Exec.NoNewPrivileges',
    parse: parseBool,
    apply: (cfg, yes) => {
      cfg.security.noNewPrivs = yes
    },
  }),
  key<ContainerConfig['security']['seccomp']>({
    section: 'security',
    key: 'seccomp',
    value: 'default | unconfined | path',
    default: 'default',
    doc:
      'The seccomp filter: default is Docker\'s default profile (an allowlist; keyctl, add_key, mount, ' +
      'unshare and clone with namespace flags without CAP_SYS_ADMIN, ... get EPERM), unconfined is none, ' +
      'or a Docker-format JSON profile file (absolute, or relative to the config file), checked now. ' +
      'Rules are resolved for the container\'s arch and capabilities; names the arch lacks are skipped.',
    lxc: 'lxc.seccomp.profile',
    nspawn: 'Exec.SystemCallFilter',
    parse: (raw, ctx) => parseSeccomp(raw, ctx.dir),
    apply: (cfg, choice) => {
      cfg.security.seccomp = choice
    },
  }),

  // --------------------------------------------------------------- [sysctl]
  key<string>({
    section: 'sysctl',
    key: '<name>',
    pattern: /./,
    value: 'value',
    defaultDoc: 'the kernel\'s',
    doc: '<name> is a sysctl such as net.ipv4.ip_forward or kernel.shmmax; its value is written as it is.',
    lxc: 'lxc.sysctl.<name>',
    parse: parseSysctlValue,
    apply: (cfg, value, origin, ctx) => {
      const problem = sysctlProblem(ctx.key, {
        newNet: ownsNetns(cfg.net.type),
        newIpc: !cfg.namespaces.keep.includes('ipc'),
      })
      if (problem) throw new ValueError(problem)
      cfg.sysctl.push({ key: ctx.key, value, origin })
    },
  }),

  // ----------------------------------------------------------------- [hook]
  key<string[]>({
    section: 'hook',
    key: 'pre-start',
    list: true,
    value: 'command line',
    defaultDoc: 'none',
    doc:
      'Runs on the host before the container\'s program starts. The program is an absolute path or ' +
      'relative to the config file; arguments are split like [exec] cmd.',
    lxc: 'lxc.hook.pre-start',
    parse: parseHookArgv,
    apply: (cfg, argv, origin) => {
      cfg.hooks.preStart.push({ argv, origin })
    },
  }),
  key<string[]>({
    section: 'hook',
    key: 'post-stop',
    list: true,
    value: 'command line',
    defaultDoc: 'none',
    doc: 'Runs on the host after the container has exited. Written like pre-start[].',
    lxc: 'lxc.hook.post-stop',
    parse: parseHookArgv,
    apply: (cfg, argv, origin) => {
      cfg.hooks.postStop.push({ argv, origin })
    },
  }),

  // ---------------------------------------------------------------- [start]
  key<boolean>({
    section: 'start',
    key: 'auto',
    value: 'bool',
    default: 'no',
    doc: 'yes: lite boot DIR starts this container (detached) when DIR holds its config; lite shutdown DIR stops it.',
    lxc: 'lxc.start.auto',
    parse: parseBool,
    apply: (cfg, auto) => {
      cfg.start.auto = auto
    },
  }),
  key<number>({
    section: 'start',
    key: 'order',
    value: 'integer',
    default: '0',
    doc: 'lite boot starts lower orders first (equal orders by name); lite shutdown stops in the reverse order.',
    lxc: 'lxc.start.order',
    parse: intRange(-1_000_000, 1_000_000),
    apply: (cfg, order) => {
      cfg.start.order = order
    },
  }),
  key<number>({
    section: 'start',
    key: 'delay',
    value: 'seconds, 0..3600',
    default: '0',
    doc: 'How long lite boot waits after starting this container before it starts the next one (e.g. 0.5).',
    lxc: 'lxc.start.delay',
    parse: parseDelay,
    apply: (cfg, delay) => {
      cfg.start.delay = delay
    },
  }),
  key<RestartPolicy>({
    section: 'start',
    key: 'restart',
    value: 'no | on-failure[:N] | always',
    default: 'no',
    doc:
      'What the monitor does when the container exits by itself: no; on-failure restarts it after a ' +
      'non-zero exit or a signal, at most N times (unlimited without :N); always restarts it after any ' +
      'exit. The back-off before a restart starts at 100 ms and doubles up to 10 s; a run of 10 s or more ' +
      'starts it over. The same monitor pid restarts lite with the config (an init system sees no change). A container ' +
      'stopped with lite stop (or SIGTERM to its monitor) is never restarted.',
    nspawn: '(systemd Restart=)',
    parse: parseRestart,
    apply: (cfg, restart) => {
      cfg.start.restart = restart
    },
  }),

  // --------------------------------------------------------------- [health]
  key<string[] | null>({
    section: 'health',
    key: 'cmd',
    value: 'shell command | none',
    defaultDoc: 'the image\'s Healthcheck (CMD, CMD-SHELL or NONE), else none',
    doc:
      'The check: a command line run inside the container by /bin/sh -c (Docker\'s CMD-SHELL form), with the ' +
      'container\'s user, environment and confinement, as lite exec runs one; exit status 0 means healthy. Quote the ' +
      'whole value if it has ; or #, as in cmd = "wget -q -O /dev/null http://127.0.0.1/ || exit 1". ' +
      'none turns off a health check that the image defines. The image\'s CMD form runs its program without a shell.',
    parse: raw => {
      const argv = parseHealthCmd(raw)
      const problem = argv && healthArgProblem(raw)
      if (problem) throw new ValueError(problem)
      return argv
    },
    apply: (cfg, argv) => {
      if (argv) cfg.health.cmd = argv
      else delete cfg.health.cmd
    },
  }),
  key<number>({
    section: 'health',
    key: 'interval',
    value: 'duration, 100ms..24h',
    default: { doc: 'the image\'s Healthcheck Interval, else 30s', from: healthDefault('intervalMs', '30s') },
    doc:
      'How often cmd runs: the first check one interval after the start, each next one an interval after the ' +
      'previous one ended.',
    parse: parseDuration(100, HEALTH_MAX_MS),
    apply: (cfg, ms) => {
      cfg.health.intervalMs = ms
    },
  }),
  key<number>({
    section: 'health',
    key: 'timeout',
    value: 'duration, 100ms..24h',
    default: { doc: 'the image\'s Healthcheck Timeout, else 30s', from: healthDefault('timeoutMs', '30s') },
    doc: 'How long one check may run: a check still running then is killed and counts as a failure.',
    parse: parseDuration(100, HEALTH_MAX_MS),
    apply: (cfg, ms) => {
      cfg.health.timeoutMs = ms
    },
  }),
  key<number>({
    section: 'health',
    key: 'retries',
    value: 'integer, 1..100',
    default: { doc: 'the image\'s Healthcheck Retries, else 3', from: healthDefault('retries', '3') },
    doc: 'How many failed checks in a row make the container unhealthy.',
    parse: intRange(1, 100),
    apply: (cfg, retries) => {
      cfg.health.retries = retries
    },
  }),
  key<number>({
    section: 'health',
    key: 'start_period',
    value: 'duration, 0..24h',
    default: { doc: 'the image\'s Healthcheck StartPeriod, else 0', from: healthDefault('startPeriodMs', '0') },
    doc:
      'Time for the program to start: a failure within it does not count while the container is still ' +
      'starting, and a pass makes it healthy at once.',
    parse: parseDuration(0, HEALTH_MAX_MS),
    apply: (cfg, ms) => {
      cfg.health.startPeriodMs = ms
    },
  }),
  key<'none' | 'restart'>({
    section: 'health',
    key: 'on_unhealthy',
    value: 'none | restart',
    default: 'none',
    doc:
      'What the monitor does when the container becomes unhealthy. none: it only shows the state. restart: ' +
      'it stops the container ([exec] stop_signal, then SIGKILL after stop_timeout) and starts it again ' +
      'whatever [start] restart says, with the same back-off and within its on-failure:N limit. lite stop always wins.',
    parse: oneOf(['none', 'restart'] as const),
    apply: (cfg, action) => {
      cfg.health.onUnhealthy = action
    },
  }),

  // --------------------------------------------------------------- [update]
  key<number>({
    section: 'update',
    key: 'health_timeout',
    value: 'duration, 1s..1h',
    default: '60s',
    doc:
      'How long lite update waits for the new container to be healthy before it rolls back: with [health], ' +
      'healthy is what the check says; without it, the new container must run for 5 s (or health_timeout, if ' +
      'shorter) without exiting.',
    parse: parseDuration(1000, 3600_000),
    apply: (cfg, ms) => {
      cfg.update.healthTimeoutMs = ms
    },
  }),
  key<number>({
    section: 'update',
    key: 'keep',
    value: 'integer, 0..16',
    default: '1',
    doc:
      'How many previous images lite update keeps for lite rollback; an image that drops out of them is ' +
      'removed from the store with its tags, unless another container uses it.',
    parse: intRange(0, 16),
    apply: (cfg, keep) => {
      cfg.update.keep = keep
    },
  }),

  // ------------------------------------------------------------------ [log]
  key<'file' | 'syslog' | 'none'>({
    section: 'log',
    key: 'target',
    value: 'file | syslog | none',
    default: 'file',
    doc:
      'file: /run/lite/NAME/log, a ring of two files on /run (RAM, no flash wear) read by lite logs; ' +
      'syslog: the system log (/dev/log, facility user, severity info), one message per line tagged lite/NAME; ' +
      'none: discarded. A foreground lite run writes to its own stdout and stderr instead.',
    lxc: 'lxc.console.logfile',
    parse: oneOf(['file', 'syslog', 'none'] as const),
    apply: (cfg, target) => {
      cfg.log.target = target
    },
  }),
  key<number>({
    section: 'log',
    key: 'size',
    value: 'size, at least 16K',
    default: '1M',
    doc: 'The most a file log keeps: when log reaches half of it, it becomes log.1 (replacing the older one).',
    lxc: 'lxc.console.size',
    parse: parseLogSize,
    apply: (cfg, size) => {
      cfg.log.size = size
    },
  }),
]

/** The key names of a section (family members included), in table order. */
export function keyNames(section: string): string[] {
  return KEYS.filter(row => row.section === section).flatMap(row => row.names ?? [row.key])
}

/** The row for a key as written, if any. */
export function findKey(section: string, name: string): KeySpec | undefined {
  return (
    KEYS.find(row => row.section === section && (row.names ? row.names.includes(name) : row.key === name)) ??
    KEYS.find(row => row.section === section && row.pattern?.test(name))
  )
}

/**
 * A config with every field present but nothing meaningful in it: validate.ts
 * fills it from the rows (written values, then defaults).
 */
export function emptyConfig(file: string): ContainerConfig {
  return {
    file,
    container: { name: '', hostname: '', localtime: 'none' },
    rootfs: { path: '', kind: 'dir', upper: 'tmpfs', size: 0, readonly: false },
    exec: { entrypoint: [], cmd: [], env: [], cwd: '', user: { uid: 0, gid: 0 }, groups: [], init: false, stopSignal: 0, stopTimeout: 0 },
    mounts: [],
    namespaces: { keep: [] },
    user: { map: 'none' },
    net: { type: 'none', bridge: DEFAULT_BRIDGE, subnet: DEFAULT_SUBNET, publish: [], links: [], resolvConf: 'host', dns: [], hosts: [] },
    limits: { rlimits: [], oomScoreAdj: null },
    hooks: { preStart: [], postStop: [] },
    security: { caps: [], noNewPrivs: true, seccomp: { kind: 'default' } },
    sysctl: [],
    devices: [],
    resources: { memory: null, swap: null, cpus: null, weight: null, cpuset: null, mems: null, pids: null, io: [], ioWeight: null, rtRuntime: null },
    cgroup: { parent: 'lite', v1: [], v2: [] },
    start: { auto: false, order: 0, delay: 0, restart: { policy: 'no', max: 0 } },
    health: { intervalMs: 0, timeoutMs: 0, retries: 0, startPeriodMs: 0, onUnhealthy: 'none' },
    update: { healthTimeoutMs: 0, keep: 0 },
    log: { target: 'file', size: 0 },
    origins: {},
  }
}
