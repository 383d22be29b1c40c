// Where the embedded addon is written before dlopen.
//
// Bun's own extraction goes to $BUN_TMPDIR or $TMPDIR, read once at process start. At
// early boot /tmp may be read-only or noexec, and lite cannot re-exec itself with a
// better environment (the binary is ~100 MB), so lite picks the directory itself:
// the first candidate that is writable and on a mount that allows exec.

import { accessSync, constants, lstatSync, mkdirSync, readdirSync, realpathSync, statSync, unlinkSync } from 'node:fs'
import { type MountInfo, mountOf } from '../host/mountinfo.ts'
import { addonFileName } from './addon-name.ts'

export interface DirCheck {
  dir: string
  ok: boolean
  why?: string
}

export function addonDirCandidates(env: NodeJS.ProcessEnv, euid: number): string[] {
  // A user's own runtime dir before the shared ones, where another user's file of the
  // same name can't be in the way (a sticky /tmp refuses to rename over it).
  const list = [env.BUN_TMPDIR, env.TMPDIR, euid === 0 ? '/run/lite' : env.XDG_RUNTIME_DIR, '/tmp', '/dev/shm']
  return [...new Set(list.filter((d): d is string => !!d && d.startsWith('/')))]
}

export function checkDir(dir: string, mounts: MountInfo[], create: boolean): DirCheck {
  try {
    if (create) mkdirSync(dir, { recursive: true, mode: 0o700 })
    const real = realpathSync(dir)
    if (!statSync(real).isDirectory()) return { dir, ok: false, why: 'not a directory' }
    accessSync(real, constants.W_OK | constants.X_OK)
    const m = mountOf(real, mounts)
    if (m?.options.includes('noexec')) return { dir, ok: false, why: `mounted noexec (${m.mountPoint})` }
    if (m?.options.includes('ro')) return { dir, ok: false, why: `mounted read-only (${m.mountPoint})` }
    return { dir, ok: true }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error'
    return { dir, ok: false, why: code === 'EACCES' ? 'not writable' : code === 'ENOENT' ? 'does not exist' : code }
  }
}

export function pickAddonDir(env: NodeJS.ProcessEnv, euid: number, mounts: MountInfo[]): { dir?: string; checks: DirCheck[] } {
  const checks: DirCheck[] = []
  for (const dir of addonDirCandidates(env, euid)) {
    const c = checkDir(dir, mounts, dir === '/run/lite')
    checks.push(c)
    if (c.ok) return { dir, checks }
  }
  return { checks }
}

export function noAddonDirMessage(checks: DirCheck[]): string {
  const tried = checks.map((c) => `${c.dir} (${c.why})`).join(', ')
  return `no directory to unpack the native addon into: tried ${tried}; set BUN_TMPDIR to a writable directory on a mount without noexec`
}

export { addonFileName }

/** The temporary name an unpack writes before its rename: `.lite-ID.UID.node.PID.tmp`. */
export function unpackTempName(target: string, pid: number): string {
  return `${target}.${pid}.tmp`
}

const UNPACK_TEMP = /^\.lite-[^/]*\.node\.(\d+)\.tmp$/

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Removes the half-written addons of unpacks whose lite died (kill -9 in the middle):
 * our own files whose pid no longer runs, or is ours. A live pid's file may be a concurrent unpack
 * (or a reused pid): it stays until a later unpack finds that pid gone. Called only
 * when lite unpacks, so a normal start pays nothing.
 */
export function removeStaleUnpacks(dir: string, euid: number, isAlive: (pid: number) => boolean = alive): string[] {
  const removed: string[] = []
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return removed
  }
  for (const name of names) {
    const m = UNPACK_TEMP.exec(name)
    if (!m) continue
    // Our own pid's file is older than us (a reused pid): ours is not written yet.
    const pid = Number(m[1])
    if (pid !== process.pid && isAlive(pid)) continue
    const path = `${dir}/${name}`
    try {
      const st = lstatSync(path)
      if (!st.isFile() || st.uid !== euid) continue
      unlinkSync(path)
      removed.push(path)
    } catch {}
  }
  return removed
}
