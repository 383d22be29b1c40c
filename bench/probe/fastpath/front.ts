// The Bun half of the fast-path prototype: what a warm `lite run` would still do before
// handing over. It checks the plan-cache entry exactly as a warm run does (the host
// facts read again, every input's stat, the build id, the payload's sum, parsed:
// plan-cache.ts `lookup`), then execve(2)s the native half with the prototype's plan.
// Compiled as lite is (bun build --compile --bytecode).
//   front CONFIG.ini PROBE PLAN.json BUILD-ID

import { ffiExecv } from '../../../runtime/native/libc-ffi.ts'

const [config, probe, plan, build] = process.argv.slice(2)
// plan-cache.ts reads lite's build id (scripts/build defines it) when it is evaluated.
process.env.LITE_BUILD_ID = build
const { lookup } = await import('../../../runtime/plan/plan-cache.ts')
const { readHostFacts } = await import('../../../runtime/host/facts.ts')
const { kernelRelease } = await import('../../../runtime/host/uname.ts')
// The request of a plain `lite run CONFIG` (lifecycle/run.ts).
const request = {
  purpose: 'run',
  file: config!,
  options: { overrides: {}, tty: false, interactive: false, env: { LITE_STORE: process.env.LITE_STORE ?? null, LITE_IMAGES_CONFIG: process.env.LITE_IMAGES_CONFIG ?? null } },
}
const hit = lookup(request, readHostFacts(), '/run/lite', kernelRelease())
if (typeof hit === 'string') {
  console.error(`front: no warm entry: ${hit}`)
  process.exit(125)
}
await ffiExecv(probe!, [probe!, plan!])
process.exit(127)
