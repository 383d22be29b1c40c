// The container's cgroups on this host: plain file writes. One directory
// PARENT/NAME in every mounted hierarchy (v1, named, and v2), so that the pid is
// attached everywhere (as Docker's cgroupfs driver does); limits written before GO;
// after the exit, anything left is killed and the directories are removed.
//
// lite removes only the container's own directories, never a parent: not the default
// `lite/` (Docker keeps `docker/` the same way), not one an administrator made (with
// its limits), and not one lite made for a `[cgroup] parent`, since another container
// may be starting under it at that very moment (its mkdir would then fail).

import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs'
import { posix } from 'node:path'
import { describeFsError } from '../config/errno.ts'
import { deviceNumbers } from '../host/device-numbers.ts'
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

/** The container's directory in the hierarchy that holds a write's file (v2, or the v1 one of its controller). */
export function dirFor(p: CgroupPlacement, w: CgroupWrite): CgroupDir | undefined {
  return p.dirs.find((d) => (w.version === 2 ? d.hierarchy.version === 2 : d.hierarchy.version === 1 && d.hierarchy.options.includes(w.controller)))
}

function write(path: string, value: string): void {
  writeFileSync(path, value)
}

function read(path: string): string {
  return readFileSync(path, 'utf8').trim()
}

/** How often the path to a container's cgroup is made from the top when a parent vanishes. */
const CREATE_TRIES = 3

/** What createCgroups tells its caller, so that exactly what it made is removed. */
export interface CgroupCreation {
  /** called once, before the first mkdir, with the container's directories: a run
   * killed from then on leaves their names behind for the next one */
  record(paths: string[]): void
  /** the container's directories that mkdir made, in order */
  created: string[]
}

function fsCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code
}

/** A step of making a path failed: raw, so that a vanished parent can be retried. */
class PathStepError extends Error {
  constructor(
    readonly text: string,
    readonly reason: unknown,
  ) {
    super(text)
  }
}

function step<T>(text: string, f: () => T): T {
  try {
    return f()
  } catch (e) {
    throw new PathStepError(text, e)
  }
}

/**
 * A new v1 cpuset cgroup starts with empty cpus and mems: it copies its parent's. A
 * concurrent creator of the same parent may copy them first, or at the same time: a
 * failed write is fine once the file holds a value.
 */
function copyCpuset(dir: string, parentDir: string): void {
  for (const f of ['cpuset.cpus', 'cpuset.mems']) {
    const file = posix.join(dir, f)
    if (step(`cannot read ${file}`, () => read(file)) !== '') continue
    const value = step(`cannot read ${posix.join(parentDir, f)}`, () => read(posix.join(parentDir, f)))
    try {
      write(file, value)
    } catch (e) {
      if (step(`cannot read ${file}`, () => read(file)) === '') throw new PathStepError(`cannot copy ${f} into ${dir}`, e)
    }
  }
}

/** mkdir -p of PARENT/NAME in one hierarchy: the parents may exist, NAME must not. */
function makePath(d: CgroupDir, controllers: string[], created: string[]): void {
  let current = d.hierarchy.mountPoint
  const parts = d.relative.split('/')
  for (const [i, part] of parts.entries()) {
    const parentDir = current
    current = posix.join(current, part)
    const leaf = i === parts.length - 1
    if (d.hierarchy.version === 2) enableControllers(parentDir, controllers)
    try {
      mkdirSync(current)
      if (leaf) created.push(current)
    } catch (e) {
      if (leaf && fsCode(e) === 'EEXIST') throw new LiteError(existsText(current))
      if (fsCode(e) !== 'EEXIST') throw new PathStepError(`cannot create the cgroup ${current}`, e)
    }
    if (copiesCpuset(d)) copyCpuset(current, parentDir)
  }
}

function existsText(path: string): string {
  return `cannot create the cgroup ${path}: it exists already, and lite did not make it for this container (remove it, or choose another name)`
}

/** The v2 controllers that `writes` need enabled in each ancestor's subtree_control. */
export function subtreeControllers(writes: CgroupWrite[]): string[] {
  return [...new Set(writes.filter((w) => w.version === 2 && w.controller !== 'cgroup').map((w) => w.controller))]
}

/** Whether a new cgroup in this hierarchy copies its parent's cpus and mems (copyCpuset). */
export function copiesCpuset(d: CgroupDir): boolean {
  return d.hierarchy.version === 1 && d.hierarchy.options.includes('cpuset')
}

/**
 * Makes PARENT/NAME in every hierarchy (mkdir -p: parents may exist or appear at the
 * same time; a parent that vanishes meanwhile is made again, CREATE_TRIES times in
 * all). A v1 cpuset cgroup copies its parent's cpus and mems (see copyCpuset). On v2,
 * the controllers the writes need are enabled in the ancestors' subtree_control (never
 * in the container's own cgroup, which holds processes). A container directory that
 * exists already is not lite's to use or remove: refused.
 */
export function createCgroups(p: CgroupPlacement, writes: CgroupWrite[], creation: CgroupCreation): void {
  const taken = p.dirs.find((d) => existsSync(d.path))
  if (taken) throw new LiteError(existsText(taken.path))
  creation.record(p.dirs.map((d) => d.path))
  const controllers = subtreeControllers(writes)
  for (const d of p.dirs) {
    for (let attempt = 1; ; attempt++) {
      try {
        makePath(d, controllers, creation.created)
        break
      } catch (e) {
        if (!(e instanceof PathStepError)) throw e
        if (fsCode(e.reason) === 'ENOENT' && attempt < CREATE_TRIES) continue
        throw new LiteError(`${e.text}: ${describeFsError(e.reason)}`)
      }
    }
  }
  writeCgroupValues(p, writes)
}

/**
 * Writes limits into the container's existing directories, each into the hierarchy that
 * holds its controller (writes whose hierarchy the placement lacks are skipped). Also
 * what `lite-oci update` does to a running container.
 */
export function writeCgroupValues(p: CgroupPlacement, writes: CgroupWrite[]): void {
  for (const w of writes) {
    const d = dirFor(p, w)
    if (!d) continue
    const where = w.origin ? `${w.origin.file}:${w.origin.line}: ` : ''
    // v1 rt_runtime: a child can't have more than its parent, and a new parent has 0.
    const parentFile = posix.join(posix.dirname(d.path), w.file)
    let parentNeeds = false
    try {
      parentNeeds = !!w.parentToo && Number(read(parentFile)) < Number(w.value)
    } catch (e) {
      throw new LiteError(`${where}${w.key}: reading ${parentFile}: ${describeFsError(e)}`)
    }
    const targets = parentNeeds ? [posix.dirname(d.path), d.path] : [d.path]
    for (const dir of targets) {
      try {
        write(posix.join(dir, w.file), w.value)
      } catch (e) {
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
      throw new PathStepError(`cannot enable the ${c} controller in ${dir}`, e)
    }
  }
}

/** The container's directory in the v1 devices hierarchy, if the host mounts one. */
export function v1DevicesDir(p: CgroupPlacement): CgroupDir | undefined {
  return p.dirs.find((x) => x.hierarchy.version === 1 && x.hierarchy.options.includes('devices'))
}

/**
 * Whether the container's devices need v2's BPF_CGROUP_DEVICE program: only where no v1
 * devices controller confines them. On a hybrid host the v1 list already holds every
 * rule, as crun and runc rely on there; loading the program beside it cost ~0.8 ms of a
 * warm run (BPF_PROG_LOAD) and guarded nothing the list does not.
 */
export function needsDeviceProgram(p: CgroupPlacement): boolean {
  return p.v2 !== undefined && v1DevicesDir(p) === undefined
}

/** The device rule of an image rootfs's loop device: read-only block access. */
export function loopDeviceRule(loopDevice: string): string {
  const { major, minor } = deviceNumbers(statSync(loopDevice).rdev)
  return `b ${major}:${minor} r`
}

/**
 * Lets the container open one more device node (v1 devices controller), e.g. the loop
 * device of its own image rootfs, which it mounts after GO.
 */
export function allowDevice(p: CgroupPlacement, rule: string): void {
  const d = v1DevicesDir(p)
  if (!d) return
  try {
    write(posix.join(d.path, 'devices.allow'), rule)
  } catch (e) {
    throw new LiteError(`cannot allow ${rule} in ${d.path}: ${describeFsError(e)}`)
  }
}

/**
 * The files the child writes "0" to, joining its cgroups itself: each v1 hierarchy's
 * `tasks` (a thread moving itself skips the global threadgroup lock, whose first write
 * from another process waits out an RCU grace period), and v2's cgroup.procs unless
 * clone3 placed it there. `lite run`, `lite exec` and lite-oci's create join so.
 */
export function cgroupJoinFiles(cgroups: CgroupPlacement): { cgroupTasks: string[]; cgroupV2Procs?: string } {
  return joinFilesOf(cgroups.dirs.filter((d) => d.hierarchy.version === 1).map((d) => d.path), cgroups.v2)
}

/** cgroupJoinFiles for directories given by path: the v1 ones, and the cgroup2 one. */
export function joinFilesOf(v1Dirs: string[], v2Dir: string | undefined): { cgroupTasks: string[]; cgroupV2Procs?: string } {
  return {
    cgroupTasks: v1Dirs.map((d) => posix.join(d, 'tasks')),
    cgroupV2Procs: v2Dir ? posix.join(v2Dir, 'cgroup.procs') : undefined,
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
 * Kills whatever is left in the container's cgroup directories and removes them (with
 * any sub-cgroups the container made), never their parents. The kernel releases a
 * cgroup asynchronously after its last process, so removal is retried within a bound.
 */
export async function removeCgroupDirs(paths: string[]): Promise<void> {
  const existing = paths.filter((path) => existsSync(path))
  for (const path of existing) {
    // cgroup.kill (v2, 5.14) takes everything at once; otherwise each pid, a few rounds.
    const kill = posix.join(path, 'cgroup.kill')
    if (existsSync(kill)) {
      try {
        write(kill, '1')
      } catch {}
    }
    for (let round = 0; round < 5; round++) {
      const pids = pidsIn(path)
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
  for (const path of existing) {
    for (let attempt = 0; attempt < 300; attempt++) {
      try {
        removeTree(path)
        break
      } catch (e) {
        if (fsCode(e) === 'ENOENT') break
        if (Date.now() > deadline) throw new LiteError(`cannot remove the cgroup ${path}: ${describeFsError(e)}`)
        await sleep(10)
      }
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
