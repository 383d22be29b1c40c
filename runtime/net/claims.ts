// Claims on a network's shared resources: an address of a bridge's subnet and a host
// port. Each claim is a small file under /run/lite/.net held with flock by the
// container's monitor for as long as the container lives, so a claim is free the moment
// its holder is gone: exit, kill -9 of lite or of the monitor, or a reboot (/run is a
// tmpfs). No stale claim ever needs cleaning; the file keeps the holder's name for
// error messages.

import { closeSync, fstatSync, ftruncateSync, mkdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { posix } from 'node:path'
import { LiteError } from '../errors.ts'

/**
 * Where the claims live: beside the containers' state, under a name no container can
 * have (a leading dot), so the state scan never takes it for a container.
 */
export function netRoot(stateRoot: string): string {
  return posix.join(stateRoot, '.net')
}

let netnsId: string | undefined

/**
 * This process's network namespace, as its nsfs inode: a bridge named lite0 in one
 * namespace is not the lite0 of another, so their claims live apart.
 */
function currentNetns(): string {
  return (netnsId ??= String(statSync('/proc/self/ns/net').ino))
}

/** The claims of one network (a bridge, or "ports") in this namespace: <root>/.net/<name>@<netns>/ */
export function networkDir(stateRoot: string, name: string): string {
  return posix.join(netRoot(stateRoot), `${name}@${currentNetns()}`)
}

/** An address of a bridge's subnet. */
export function leasePath(stateRoot: string, bridge: string, address: string): string {
  return posix.join(networkDir(stateRoot, bridge), address)
}

/** A host port (one container per port, whatever the host address). */
export function portPath(stateRoot: string, p: { proto: 'tcp' | 'udp'; hostPort: number }): string {
  return posix.join(networkDir(stateRoot, 'ports'), `${p.proto}-${p.hostPort}`)
}

export interface Locker {
  lockFile(path: string, exclusive: boolean): number
}

export interface Claim {
  path: string
  fd: number
}

function isBusy(e: unknown): boolean {
  return (e as { code?: string }).code === 'Busy'
}

/**
 * Takes the claim file at `path` for `holder`, or returns the name of the one who holds
 * it. The inode check catches a release that unlinked the file between our open and
 * our flock (then the claim we locked is no longer the one at the path).
 */
export function tryClaim(locker: Locker, path: string, holder: string): Claim | { heldBy: string } {
  mkdirSync(posix.dirname(path), { recursive: true, mode: 0o755 })
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number
    try {
      fd = locker.lockFile(path, true)
    } catch (e) {
      if (isBusy(e)) return { heldBy: holderOf(path) }
      throw new LiteError(`cannot take ${path}: ${(e as Error).message}`)
    }
    try {
      const held = fstatSync(fd)
      const now = statSync(path)
      if (held.ino !== now.ino || held.dev !== now.dev) {
        closeSync(fd)
        continue
      }
    } catch {
      closeSync(fd)
      continue
    }
    ftruncateSync(fd, 0)
    writeSync(fd, holder + '\n', 0)
    return { path, fd }
  }
  return { heldBy: holderOf(path) }
}

export function holderOf(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim() || 'another container'
  } catch {
    return 'another container'
  }
}

/** Gives claims back now (a failed start); the monitor's exit does the same for a run. */
export function releaseClaims(claims: Claim[]): void {
  for (const c of claims) {
    try {
      unlinkSync(c.path)
    } catch {}
    try {
      closeSync(c.fd)
    } catch {}
  }
}

/** Removes the claim files still naming `holder` that nobody holds (tidying after its exit). */
export function forgetClaims(locker: Locker, paths: string[], holder: string): void {
  for (const path of paths) {
    if (holderOf(path) !== holder) continue
    let fd: number
    try {
      fd = locker.lockFile(path, true)
    } catch {
      continue // held: a new holder took it, or the holder still runs
    }
    try {
      if (holderOf(path) === holder) unlinkSync(path)
    } catch {
    } finally {
      closeSync(fd)
    }
  }
}
