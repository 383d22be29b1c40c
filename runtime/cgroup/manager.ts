// The container's cgroups on this host: plain file writes. One directory
// PARENT/NAME in every mounted hierarchy (v1, named, and v2), so that the pid is
// attached everywhere (as Docker's cgroupfs driver does); limits written before GO;
// after the exit, anything left is killed and the directories are removed.

import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs'
import { posix } from 'node:path'
import { describeFsError } from '../config/errno.ts'
import { LiteError } from '../errors.ts'
import type { CgroupLayout, Hierarchy } from './detect.ts'
import type { CgroupWrite } from './resources.ts'

export interface CgroupDir {
  hierarchy: Hierarchy
  /** relative to the hierarchy's mount point: PARENT/NAME */
  relative: string
  path: string
}

export interface CgroupPlacement {
  parent: string
  dirs: CgroupDir[]
  /** the v2 directory (for CLONE_INTO_CGROUP), if the host has cgroup v2 */
  v2?: string
}

export function placeCgroups(layout: CgroupLayout, parent: string, name: string): CgroupPlacement {
  const relative = posix.join(parent, name)
  const dirs = layout.hierarchies.map((hierarchy) => ({ hierarchy, relative, path: posix.join(hierarchy.mountPoint, relative) }))
  return { parent, dirs, v2: dirs.find((d) => d.hierarchy.version === 2)?.path }
}

function dirFor(p: CgroupPlacement, w: CgroupWrite): CgroupDir | undefined {
  return p.dirs.find((d) => (w.version === 2 ? d.hierarchy.version === 2 : d.hierarchy.version === 1 && d.hierarchy.options.includes(w.controller)))
}

function write(path: string, value: string): void {
  writeFileSync(path, value)
}

function read(path: string): string {
  return readFileSync(path, 'utf8').trim()
}

/**
 * Makes PARENT/NAME in every hierarchy. A new v1 cpuset cgroup starts with empty
 * cpus and mems (attaching then fails with ENOSPC), so each level copies its
 * parent's. On v2, the controllers the writes need are enabled in the ancestors'
 * subtree_control (never in the container's own cgroup, which holds processes).
 */
export function createCgroups(p: CgroupPlacement, writes: CgroupWrite[]): void {
  for (const d of p.dirs) {
    const mount = d.hierarchy.mountPoint
    const parts = d.relative.split('/')
    let current = mount
    for (const [i, part] of parts.entries()) {
      const parentDir = current
      current = posix.join(current, part)
      if (d.hierarchy.version === 2) {
        const needed = [...new Set(writes.filter((w) => w.version === 2 && w.controller !== 'cgroup').map((w) => w.controller))]
        enableControllers(parentDir, needed)
      }
      try {
        mkdirSync(current)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new LiteError(`cannot create the cgroup ${current}: ${describeFsError(e)}`)
        if (i === parts.length - 1) continue
      }
      if (d.hierarchy.version === 1 && d.hierarchy.options.includes('cpuset')) {
        for (const f of ['cpuset.cpus', 'cpuset.mems']) {
          if (read(posix.join(current, f)) === '') write(posix.join(current, f), read(posix.join(parentDir, f)))
        }
      }
    }
  }
  for (const w of writes) {
    const d = dirFor(p, w)
    if (!d) continue
    // v1 rt_runtime: a child can't have more than its parent, and a new parent has 0.
    const parentNeeds = w.parentToo && Number(read(posix.join(posix.dirname(d.path), w.file))) < Number(w.value)
    const targets = parentNeeds ? [posix.dirname(d.path), d.path] : [d.path]
    for (const dir of targets) {
      try {
        write(posix.join(dir, w.file), w.value)
      } catch (e) {
        const where = w.origin ? `${w.origin.file}:${w.origin.line}: ` : ''
        throw new LiteError(`${where}${w.key}: writing "${w.value}" to ${w.file}: ${describeFsError(e)}`)
      }
    }
  }
}

function enableControllers(dir: string, controllers: string[]): void {
  if (!controllers.length) return
  let enabled: string[] = []
  try {
    enabled = read(posix.join(dir, 'cgroup.subtree_control')).split(/\s+/)
  } catch {}
  for (const c of controllers) {
    if (enabled.includes(c)) continue
    try {
      write(posix.join(dir, 'cgroup.subtree_control'), `+${c}`)
    } catch (e) {
      throw new LiteError(`cannot enable the ${c} controller in ${dir}: ${describeFsError(e)}`)
    }
  }
}

/**
 * Lets the container open one more device node (v1 devices controller), e.g. the loop
 * device of its own image rootfs, which it mounts after GO.
 */
export function allowDevice(p: CgroupPlacement, rule: string): void {
  const d = p.dirs.find((x) => x.hierarchy.version === 1 && x.hierarchy.options.includes('devices'))
  if (!d) return
  try {
    write(posix.join(d.path, 'devices.allow'), rule)
  } catch (e) {
    throw new LiteError(`cannot allow ${rule} in ${d.path}: ${describeFsError(e)}`)
  }
}

/** Moves the container's first process into every hierarchy (before it is let go). */
export function attachPid(p: CgroupPlacement, pid: number, skipV2: boolean): void {
  for (const d of p.dirs) {
    if (skipV2 && d.hierarchy.version === 2) continue
    try {
      write(posix.join(d.path, 'cgroup.procs'), String(pid))
    } catch (e) {
      throw new LiteError(`cannot move the container into ${d.path}: ${describeFsError(e)}`)
    }
  }
}

function pidsIn(dir: string): number[] {
  try {
    return read(posix.join(dir, 'cgroup.procs')).split('\n').filter(Boolean).map(Number)
  } catch {
    return []
  }
}

/**
 * Kills whatever is left and removes the directories (and the parent, when it is
 * empty). The kernel releases a cgroup asynchronously after its last process, so
 * removal is retried within a bound.
 */
export async function removeCgroups(p: CgroupPlacement): Promise<void> {
  const existing = p.dirs.filter((d) => existsSync(d.path))
  for (const d of existing) {
    // cgroup.kill (5.14) takes everything at once; otherwise each pid, a few rounds.
    const kill = posix.join(d.path, 'cgroup.kill')
    if (d.hierarchy.version === 2 && existsSync(kill)) {
      try {
        write(kill, '1')
      } catch {}
    }
    for (let round = 0; round < 5; round++) {
      const pids = pidsIn(d.path)
      if (!pids.length) break
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {}
      }
      await sleep(10)
    }
  }
  const deadline = Date.now() + 3000
  for (const d of existing) {
    for (let attempt = 0; attempt < 300; attempt++) {
      try {
        removeTree(d.path)
        break
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') break
        if (Date.now() > deadline) throw new LiteError(`cannot remove the cgroup ${d.path}: ${describeFsError(e)}`)
        await sleep(10)
      }
    }
    // The shared parent goes too once no other container uses it.
    const parent = posix.dirname(d.path)
    if (parent !== d.hierarchy.mountPoint) {
      try {
        rmdirSync(parent)
      } catch {}
    }
  }
}

/** rmdir a cgroup and any sub-cgroups the container made, deepest first. */
function removeTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeTree(posix.join(dir, entry.name))
  }
  rmdirSync(dir)
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
