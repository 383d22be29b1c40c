// The cgroups of a container whose monitor died before it could remove them: the
// same PARENT/NAME directories lite run made (the parent from the container's config,
// as it is now, or the default), emptied and removed with the cgroup manager.

import { placeCgroups, removeCgroups } from '../cgroup/manager.ts'
import { readCgroupLayout, type CgroupLayout } from '../cgroup/detect.ts'
import { readMountInfo } from '../host/mountinfo.ts'
import { peekConfig } from './config-peek.ts'
import type { ContainerState } from './state-file.ts'

export async function removeDeadCgroups(state: ContainerState, name: string, layout: CgroupLayout = readCgroupLayout(readMountInfo())): Promise<void> {
  if (layout.mode === 'none') return
  await removeCgroups(placeCgroups(layout, peekConfig(state.config).cgroupParent, name))
}
