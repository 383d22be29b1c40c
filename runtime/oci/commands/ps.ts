// `lite-oci ps [--format table|json] ID [ps args]`: the container's processes, as
// runc shows them: json is the array of pids in its cgroups; table runs the host's
// ps(1) with the given arguments (default -ef) and keeps its header and the lines
// whose PID column is one of those pids.

import { spawnSync } from 'node:child_process'
import { NOT_RUNNING, OciError, type OciGlobal } from '../errors.ts'
import { containerPids, ociStatus, processIo, readRecord, type OciIo } from '../state.ts'

/** ps(1) output -> its header and the lines of these pids (runc's filter). */
export function filterPsOutput(output: string, pids: readonly number[]): string {
  const lines = output.split('\n')
  const header = lines[0] ?? ''
  const pidIndex = header.trim().split(/\s+/).indexOf('PID')
  if (pidIndex < 0) throw new OciError("couldn't find PID field in ps output")
  const wanted = new Set(pids)
  const kept = [header]
  for (const line of lines.slice(1)) {
    if (line.length === 0) continue
    const field = line.trim().split(/\s+/)[pidIndex] ?? ''
    if (!/^\d+$/.test(field)) throw new OciError(`unable to parse pid: ${JSON.stringify(field)} in ${JSON.stringify(line)}`)
    if (wanted.has(Number(field))) kept.push(line)
  }
  return kept.map((l) => `${l}\n`).join('')
}

export async function ociPs(a: { id: string; format?: string; psArgs?: string[] }, g: OciGlobal, io: OciIo = processIo): Promise<number> {
  const format = a.format ?? 'table'
  const rec = readRecord(g.root, a.id)
  if (ociStatus(g.root, rec) === 'stopped') throw new OciError(NOT_RUNNING)
  const pids = rec.cgroups.length ? containerPids(rec.cgroups) : [rec.pid]
  if (format === 'json') {
    io.stdout(JSON.stringify(pids) + '\n')
    return 0
  }
  if (format !== 'table') throw new OciError('invalid format option')
  const args = a.psArgs?.length ? a.psArgs : ['-ef']
  const r = spawnSync('ps', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`
  if (r.error) throw new OciError(`ps ${args.join(' ')}: ${r.error.message}`)
  if (r.status !== 0) throw new OciError(`ps ${args.join(' ')}: exit status ${r.status ?? `signal ${r.signal}`}: ${output.trim()}`)
  io.stdout(filterPsOutput(r.stdout, pids))
  return 0
}
