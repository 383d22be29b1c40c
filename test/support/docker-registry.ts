// Debian's docker-registry for the image tests: started on 127.0.0.1 with its own
// config and storage, filled by skopeo, stopped in a teardown.

import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import type { Test } from 'tap'

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

export interface RegistryOptions {
  htpasswd?: string
  tls?: { cert: string; key: string }
  token?: { realm: string; rootCerts: string; service: string; issuer: string }
  name?: string
}

/**
 * Debian's docker-registry on 127.0.0.1 (a free port), with its config and storage
 * under `base`; stopped in a teardown. Returns "127.0.0.1:PORT".
 */
export async function startDockerRegistry(t: Test, base: string, opts: RegistryOptions = {}): Promise<string> {
  const dir = join(base, opts.name ?? 'registry')
  mkdirSync(join(dir, 'data'), { recursive: true })
  const port = await freePort()
  const auth = opts.htpasswd ? `auth:\n  htpasswd:\n    realm: lite-test\n    path: ${join(dir, 'htpasswd')}\n` : ''
  if (opts.htpasswd) writeFileSync(join(dir, 'htpasswd'), opts.htpasswd)
  const token = opts.token
    ? `auth:\n  token:\n    realm: ${opts.token.realm}\n    service: ${opts.token.service}\n    issuer: ${opts.token.issuer}\n    rootcertbundle: ${opts.token.rootCerts}\n`
    : ''
  const tls = opts.tls ? `  tls:\n    certificate: ${opts.tls.cert}\n    key: ${opts.tls.key}\n` : ''
  writeFileSync(join(dir, 'config.yml'), `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${tls}${auth}${token}`)
  const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  child.stderr.on('data', (d) => (log = (log + d).slice(-4000)))
  const exited = new Promise((r) => child.on('close', r))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  })
  let up = false
  for (let i = 0; i < 100 && !up; i++) {
    up = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => (c.destroy(), resolve(true)))
      c.on('error', () => resolve(false))
    })
    if (!up) await new Promise((r) => setTimeout(r, 100))
  }
  if (!up) throw new Error(`docker-registry did not start: ${log}`)
  return `127.0.0.1:${port}`
}

/** skopeo copy, asynchronously: a token server in this process must keep answering. */
export async function skopeoCopy(t: Test, layout: string, tag: string, dest: string, creds?: string, timeoutMs = 120_000): Promise<void> {
  const args = ['copy', '--all', '--dest-tls-verify=false', ...(creds ? ['--dest-creds', creds] : []), `oci:${layout}:${tag}`, `docker://${dest}`]
  const child = spawn('skopeo', args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const code = await new Promise<number | null>((r) => child.on('close', r))
  clearTimeout(timer)
  t.equal(code, 0, `skopeo copy ${tag}: ${stderr}`)
}

