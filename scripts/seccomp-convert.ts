// scripts/seccomp's converter: a Docker-format profile -> lite's compact form (JSON),
// with the parser `[security] seccomp = PATH` uses. Run with bun.
//   bun scripts/seccomp-convert.ts IN OUT key=value...   (the key=values record the source)

import { writeFileSync } from 'node:fs'
import { readDockerProfile } from '../runtime/seccomp/profile.ts'

const [input, output, ...meta] = process.argv.slice(2)
if (!input || !output) {
  console.error('usage: bun scripts/seccomp-convert.ts IN OUT [key=value...]')
  process.exit(2)
}
const { profile, errors } = readDockerProfile(input)
if (!profile) {
  for (const e of errors) console.error(`seccomp-convert: ${e}`)
  process.exit(1)
}
const source = Object.fromEntries(meta.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
writeFileSync(output, JSON.stringify({ source, ...profile }, null, 1) + '\n')
console.error(`seccomp-convert: ${profile.rules.length} rules -> ${output}`)
