// Debian's dockerd, started by a test (data, exec root and socket under build/, no
// iptables, no bridge, the vfs driver) and stopped by its teardown. Returns a `docker`
// runner, or undefined (with the reason as a comment) when the kernel cannot run it.

import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'tap'
import { REPO, eventually } from './integration.ts'

export type Docker = (args: string[], timeout?: number) => SpawnSyncReturns<string>

export async function startDockerd(t: Test, name = 'dk'): Promise<Docker | undefined> {
  // Short paths: the socket path must fit in sun_path (108 bytes).
  const base = join(REPO, 'build', name)
  rmSync(base, { recursive: true, force: true })
  mkdirSync(base, { recursive: true })
  const sock = join(base, 'd.sock')
  const daemon = spawn('dockerd', ['--iptables=false', '--ip6tables=false', '--bridge=none', '--data-root', join(base, 'data'), '--exec-root', join(base, 'x'), '--pidfile', join(base, 'd.pid'), '-H', `unix://${sock}`, '--storage-driver', 'vfs'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  daemon.stderr.on('data', (d) => (log = (log + d).slice(-4000)))
  t.teardown(async () => {
    daemon.kill('SIGTERM')
    await eventually(() => daemon.exitCode !== null || daemon.signalCode !== null, 20_000)
    if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL')
    spawnSync('umount', ['-R', '-l', base])
    rmSync(base, { recursive: true, force: true })
  })
  const docker: Docker = (args, timeout = 120_000) => spawnSync('docker', ['-H', `unix://${sock}`, ...args], { encoding: 'utf8', timeout })
  const up = await eventually(() => existsSync(sock) && docker(['version'], 10_000).status === 0, 60_000)
  if (!up) {
    // The only accepted skip: say why, in the test output.
    t.comment(`SKIP: dockerd could not start on this kernel: ${log.split('\n').filter(Boolean).slice(-3).join(' | ')}`)
    return undefined
  }
  return docker
}
