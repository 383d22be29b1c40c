// The cgroups of a container whose monitor died before it could remove them: exactly
// the directories its lite run recorded before making them (cgroup-record.ts), emptied
// and removed with the cgroup manager. Parents stay (see manager.ts).

import { removeCgroupDirs } from '../cgroup/manager.ts'
import { readCgroupLayout, type CgroupLayout } from '../cgroup/detect.ts'
import { readMountInfo } from '../host/mountinfo.ts'
import { posix } from 'node:path'
import { readCgroupRecord, removableCgroups } from './cgroup-record.ts'
import { STATE_ROOT } from './state.ts'
import type { ContainerState } from './state-file.ts'

export async function removeDeadCgroups(
  _state: ContainerState,
  name: string,
  root = STATE_ROOT,
  layout: CgroupLayout = readCgroupLayout(readMountInfo()),
): Promise<void> {
  if (layout.mode === 'none') return
  await removeCgroupDirs(removableCgroups(readCgroupRecord(posix.join(root, name)), layout))
}
