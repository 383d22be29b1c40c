// A set-up failure reported by the child as {step, index, errno}, told against the
// config line that asked for that step, with Docker's exit codes.

import { constants } from 'node:os'
import { MS } from '../plan/linux.ts'
import type { ChildFailure } from '../native/binding'
import { EXIT_CANNOT_EXEC, EXIT_LITE_FAILED, EXIT_NOT_FOUND, LiteError } from '../errors.ts'
import { describeErrno } from '../config/errno.ts'
import type { Origin } from '../config/types.ts'
import type { LaunchPlan } from '../plan/build.ts'
import { START_TIMEOUT_MS } from './launch.ts'

export { describeErrno, errnoName } from '../config/errno.ts'

function where(origin: Origin | undefined): string {
  return origin ? (origin.line ? `${origin.file}:${origin.line}: ` : `${origin.file}: `) : ''
}

export const STEP_WORDS: Record<string, string> = {
  'wait-go': 'wait for the parent',
  prctl: 'set the parent-death signal',
  cgroupns: 'create the cgroup namespace',
  'mount-private': 'make mounts private',
  'loopback-up': 'bring up lo',
  'pivot-root': 'pivot_root into the rootfs',
  'umount-old': 'detach the old root',
  hostname: 'set the hostname',
  'oom-score': 'set oom_score_adj',
  'cap-bounding': 'drop the capability bounding set',
  caps: 'set capabilities',
  'no-new-privs': 'set no_new_privs',
  tty: 'open a pty in the container',
  stdio: 'set up stdio',
  'stub-init': 'start the init (lite-init, from the monitor image)',
  'join-ns': 'join the running container\'s namespaces',
  cgroup: 'join the container\'s cgroups',
  signals: 'reset signal handlers',
  'close-fds': 'close inherited fds',
  'net-socket': 'open a netlink socket in its network namespace',
}

export function failureError(f: ChildFailure, plan: LaunchPlan, text?: (errno: number) => string): LiteError {
  const cfg = plan.config
  if (!cfg) return new LiteError(`container set-up failed: ${STEP_WORDS[f.step] ?? f.step}: ${describeErrno(f.errno, text)}`)
  const err = describeErrno(f.errno, text)
  const o = (key: string) => cfg.origins[key]
  switch (f.step) {
    case 'exec': {
      const cmd = plan.native.argv[0]
      // A command given on the command line has no config line to name.
      const key = cfg.exec.entrypoint.length ? 'entrypoint' : 'cmd'
      const subject = o(`exec.${key}`) ? `${where(o(`exec.${key}`))}[exec] ${key}: ` : ''
      if (f.errno === constants.errno.ENOENT) {
        const tried = plan.native.execCandidates.join(', ')
        return new LiteError(`${subject}${JSON.stringify(cmd)}: command not found in the container (tried ${tried})`, EXIT_NOT_FOUND)
      }
      const path = plan.native.execCandidates[f.index] ?? cmd
      const code = [constants.errno.EACCES, constants.errno.ENOEXEC, constants.errno.EISDIR, constants.errno.EPERM].includes(f.errno)
        ? EXIT_CANNOT_EXEC
        : EXIT_LITE_FAILED
      return new LiteError(`${subject}cannot execute ${path}: ${err}`, code)
    }
    case 'fs-op': {
      const info = plan.ops[f.index]
      const key = info?.key ? `${info.key}: ` : ''
      const why = f.timedOut ? hung(err) : fsOpReason(plan.native.ops[f.index], f.errno, plan.native.namespaces.includes('user')) ?? err
      return new LiteError(`${where(info?.origin)}${key}${info?.what ?? `filesystem step ${f.index}`}: ${why}`)
    }
    case 'chdir': {
      const why = f.errno === constants.errno.EXDEV ? `resolves outside the container's root (EXDEV)` : f.errno === constants.errno.ELOOP ? `${err}: a cwd may not go through /proc/PID/fd links or loop` : err
      return new LiteError(`${where(o('exec.cwd'))}[exec] cwd: ${plan.native.cwd}: ${f.timedOut ? hung(err) : why}`)
    }
    case 'groups':
      return new LiteError(`${where(o('exec.groups') ?? o('exec.user'))}[exec] groups: cannot set the supplementary groups: ${err}`)
    case 'gid':
    case 'uid':
      return new LiteError(`${where(o('exec.user'))}[exec] user: cannot set the ${f.step}: ${err}`)
    case 'rlimit': {
      const r = cfg.limits.rlimits[f.index]
      const hint = f.errno === constants.errno.EPERM ? ' (a limit may only be lowered: lite runs without raising the inherited hard limit)' : ''
      return new LiteError(`${where(r?.origin)}[limits] ${r?.resource ?? '?'}: ${err}${hint}`)
    }
    case 'oom-score':
      return new LiteError(`${where(o('limits.oom_score_adj'))}[limits] oom_score_adj: ${err}`)
    case 'join-ns':
      // index 100: [net] type = container:NAME or netns:PATH, joined first thing.
      if (f.index === 100) {
        const why = f.errno === constants.errno.EINVAL ? 'it is not a network namespace (EINVAL)' : err
        return new LiteError(`${where(o('net.type'))}[net] type = ${cfg.net.type}:${cfg.net.target}: cannot join its network namespace: ${why}`)
      }
      return new LiteError(`container set-up failed: ${STEP_WORDS[f.step]}: ${err}`)
    case 'net-socket':
      return new LiteError(`${where(o('net.type'))}[net] type = ${cfg.net.type}: cannot ${STEP_WORDS[f.step]}: ${err}`)
    case 'hostname':
      return new LiteError(`${where(o('container.hostname'))}[container] hostname: ${err}`)
    case 'seccomp': {
      const choice = cfg.security.seccomp
      const profile = choice.kind === 'file' ? choice.path : "Docker's default profile"
      const who = f.index === 1 ? ' in lite-init (PID 1)' : ''
      return new LiteError(`${where(o('security.seccomp'))}[security] seccomp: the kernel refused the filter (${profile})${who}: ${err}`)
    }
    case 'caps':
    case 'cap-bounding': {
      const origin = o('security.cap.keep') ?? o('security.cap.drop')
      const key = o('security.cap.keep') ? 'cap.keep' : 'cap.drop'
      if (origin) return new LiteError(`${where(origin)}[security] ${key}: ${STEP_WORDS[f.step]}: ${err}`)
      return new LiteError(`container set-up failed: ${STEP_WORDS[f.step]}: ${err}`)
    }
    default:
      return new LiteError(`container set-up failed: ${STEP_WORDS[f.step] ?? f.step}: ${f.timedOut ? hung(err) : err}`)
  }
}

/** A set-up step that never returned: the child was killed at the start timeout. */
function hung(err: string): string {
  return `did not finish within ${START_TIMEOUT_MS / 1000} s, so lite stopped the container (${err.replace(/^.*\((\w+)\)$/, '$1')})`
}

/** Why the child refused an op of an untrusted rootfs, in words; undefined: the errno says it. */
function fsOpReason(op: { kind: string; target: string; resolve?: string; flags?: number } | undefined, errno: number, userNs = false): string | undefined {
  if (!op) return undefined
  const { ELOOP, EXDEV, ENODEV, EINVAL } = constants.errno
  // The kernel's rule in a user namespace: a bind without rbind would show what the
  // mounts under the source hide.
  const bind = MS.BIND
  if (errno === EINVAL && userNs && op.kind === 'mount' && ((op.flags ?? 0) & (bind | MS.REC | MS.REMOUNT)) === bind) {
    return 'in a user namespace, a directory with mounts under it can only be bound with all of them: use rbind (EINVAL)'
  }
  if (errno === ELOOP && op.resolve === 'strict') {
    return `${op.target} or a directory above it is a symbolic link in the rootfs; lite does not follow links for its own mount points, masks and sysctls (ELOOP)`
  }
  if (errno === EXDEV && op.kind === 'write') return `${op.target} is not a file of the kernel's procfs (EXDEV)`
  if (errno === EXDEV && op.kind === 'mask') return `${op.target} is not on procfs or sysfs (EXDEV)`
  if (errno === ENODEV && op.kind === 'mask') return `the container's /dev/null is not the null device (1:3) that lite made (ENODEV)`
  return undefined
}
