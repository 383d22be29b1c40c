// The image config both archive formats carry (the OCI image config, which
// Docker reads too): platform, the command, the user, and the layer's diff_id.

import { createHash } from 'node:crypto'
import { parseArgv } from '../../config/values.ts'

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex')
}

export interface ImageSpec {
  /** OCI architecture, e.g. amd64, arm64 */
  architecture: string
  cmd: string[]
  user: string
  env: string[]
  /** sha256 of the uncompressed layer tar */
  diffId: string
  /** e.g. "lite/python" and "amd64" */
  repository: string
  tag: string
}

export function imageConfigJson(spec: ImageSpec): Buffer {
  const config = {
    architecture: spec.architecture,
    os: 'linux',
    ...(spec.architecture === 'arm64' ? { variant: 'v8' } : {}),
    created: '1970-01-01T00:00:00Z',
    config: { User: spec.user, Env: spec.env, Cmd: spec.cmd, WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: [`sha256:${spec.diffId}`] },
    history: [{ created: '1970-01-01T00:00:00Z', created_by: `lite rootfs build (${spec.repository}:${spec.tag})` }],
  }
  return Buffer.from(JSON.stringify(config))
}

/** A recipe's command line, split the way lite's [exec] cmd is (the image runs the same argv). */
export function splitCmd(cmd: string): string[] {
  return parseArgv(cmd)
}
