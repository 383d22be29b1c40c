// A set-up failure reported by the init ({step, index, errno}), told against the
// config.json path that asked for the step, in the words engines look for: podman and
// containerd map "executable file not found" and "permission denied" to 127 and 126.

import { constants } from 'node:os'
import type { ChildFailure } from '../native/binding'
import { describeErrno } from '../config/errno.ts'
import { LiteError } from '../errors.ts'
import { STEP_WORDS } from '../lifecycle/failure.ts'
import type { LaunchPlan } from '../plan/build.ts'

export function ociFailure(f: ChildFailure, plan: LaunchPlan, text?: (errno: number) => string): LiteError {
  const err = describeErrno(f.errno, text)
  const n = plan.native
  switch (f.step) {
    case 'exec': {
      if (f.errno === constants.errno.ENOENT) {
        return new LiteError(`exec: ${JSON.stringify(n.argv[0])}: executable file not found in $PATH (.process.args[0]; tried ${n.execCandidates.join(', ')})`, 127)
      }
      const path = n.execCandidates[f.index] ?? n.argv[0]
      return new LiteError(`exec: ${JSON.stringify(path)}: permission denied (.process.args[0]: ${err})`, 126)
    }
    case 'fs-op': {
      const info = plan.ops[f.index]
      return new LiteError(`${info?.key ? `${info.key}: ` : ''}${info?.what ?? `filesystem step ${f.index}`}: ${err}`)
    }
    case 'chdir':
      return new LiteError(`.process.cwd: ${n.cwd}: ${err}`)
    case 'rlimit':
      return new LiteError(`.process.rlimits[${f.index}]: ${err}${f.errno === constants.errno.EPERM ? ' (raising a hard limit needs CAP_SYS_RESOURCE, which this host does not give)' : ''}`)
    case 'groups':
      return new LiteError(`.process.user.additionalGids: ${err}`)
    case 'gid':
    case 'uid':
      return new LiteError(`.process.user.${f.step}: ${err}`)
    case 'hostname':
      return new LiteError(`.hostname: ${err}`)
    case 'oom-score':
      return new LiteError(`.process.oomScoreAdj: ${err}`)
    case 'seccomp':
      return new LiteError(`.linux.seccomp: the kernel refused the filter: ${err}`)
    case 'caps':
    case 'cap-bounding':
      return new LiteError(`.process.capabilities: ${STEP_WORDS[f.step]}: ${err}`)
    case 'join-ns': {
      const ns = f.index >= 200 ? plan.joinNamespaces?.[f.index - 200] : undefined
      if (ns) return new LiteError(`${ns.at}: cannot join ${ns.path}: ${err}`)
      return new LiteError(`container set-up failed: ${STEP_WORDS[f.step]}: ${err}`)
    }
    default:
      return new LiteError(`container set-up failed: ${STEP_WORDS[f.step] ?? f.step}: ${err}`)
  }
}
