// The docker-save layout (what `docker load` of Docker 20.10 accepts; it does
// not take an OCI layout): manifest.json, the config as <sha>.json, the layer
// uncompressed at <sha>/layer.tar, and the legacy repositories file.

import { writeFileSync } from 'node:fs'
import { filesTar } from './layer-tar.ts'
import { type ImageSpec, imageConfigJson, sha256 } from './image-config.ts'

export async function writeDockerArchive(path: string, layer: Buffer, spec: ImageSpec): Promise<number> {
  const config = imageConfigJson(spec)
  const configId = sha256(config)
  const layerId = spec.diffId
  const manifest = [{ Config: `${configId}.json`, RepoTags: [`${spec.repository}:${spec.tag}`], Layers: [`${layerId}/layer.tar`] }]
  const repositories = { [spec.repository]: { [spec.tag]: layerId } }
  const tar = await filesTar([
    [`${configId}.json`, config],
    [`${layerId}/VERSION`, Buffer.from('1.0')],
    [`${layerId}/layer.tar`, layer],
    ['manifest.json', Buffer.from(JSON.stringify(manifest))],
    ['repositories', Buffer.from(JSON.stringify(repositories))],
  ])
  writeFileSync(path, tar)
  return tar.length
}
