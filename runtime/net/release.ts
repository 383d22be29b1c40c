// What is left of a container's network once it has ended: its nf_tables rules (tagged
// with its name) and the claim files that still name it. The veth and macvlan links
// need nothing: they die with the container's network namespace. Run by the monitor
// (`lite net-release NAME`), by the stale-state clean-up after a killed monitor, and,
// for rules no state accounts for, by the next bridge start (sweepStaleRules).

import { readdirSync } from 'node:fs'
import { posix } from 'node:path'
import type { Native } from '../native/index.ts'
import { forgetClaims, netRoot } from './claims.ts'
import { isHeld } from '../lifecycle/registry.ts'
import { readState } from '../lifecycle/state-file.ts'

type NetNative = Pick<Native, 'nftDeleteContainerRules' | 'nftTaggedNames' | 'lockFile' | 'lockExclusive'>

/** The claim files a state's net_claims line names (only under the state root's .net). */
function claimPaths(stateRoot: string, extra: Record<string, string>): string[] {
  const root = netRoot(stateRoot) + '/'
  return (extra.net_claims ?? '').split(' ').filter((p) => p.startsWith(root) && !p.includes('/../'))
}

/** Removes the rules and the unheld claims of an ended container; errors are returned, not thrown. */
export function releaseContainerNetwork(native: NetNative, stateRoot: string, name: string, extra: Record<string, string>): string | undefined {
  if (extra.net !== 'bridge') return undefined
  forgetClaims(native, claimPaths(stateRoot, extra), name)
  try {
    native.nftDeleteContainerRules(name)
  } catch (e) {
    return `cannot remove the nf_tables rules of ${name}: ${(e as Error).message}`
  }
  return undefined
}

/**
 * Rules whose container is not running under this state root: a lite killed after it
 * added them and before the state said so. Removing them is safe: a live container's
 * lock is held by its run or monitor.
 */
export function sweepStaleRules(native: NetNative, stateRoot: string, except: string): void {
  let names: string[]
  try {
    names = native.nftTaggedNames()
  } catch {
    return
  }
  let present: Set<string>
  try {
    present = new Set(readdirSync(stateRoot))
  } catch {
    present = new Set()
  }
  for (const name of names) {
    if (name === except) continue
    if (present.has(name) && isHeld(posix.join(stateRoot, name), native)) continue
    try {
      native.nftDeleteContainerRules(name)
    } catch {}
  }
}

/**
 * Before a bridge start claims anything: containers with a bridge network whose monitor
 * is gone are settled now (an orphaned container is killed, its rules removed), so the
 * claims they no longer hold are not handed out while their process still runs. Then
 * rules no state accounts for go.
 */
export async function settleDeadNetworks(native: NetNative, stateRoot: string, self: string): Promise<void> {
  let names: string[]
  try {
    names = readdirSync(stateRoot)
  } catch {
    return
  }
  const dead = names.filter((name) => {
    if (name === self || name.startsWith('.')) return false
    const dir = posix.join(stateRoot, name)
    try {
      return readState(dir)?.extra.net === 'bridge' && !isHeld(dir, native)
    } catch {
      return false
    }
  })
  if (dead.length) {
    const { hostSystem } = await import('../lifecycle/system.ts')
    const { observe } = await import('../lifecycle/registry.ts')
    const sys = await hostSystem()
    for (const name of dead) await observe(name, sys)
  }
  sweepStaleRules(native, stateRoot, self)
}
