// containerd (Debian's 1.6, its io.containerd.runc.v2 shim) driving lite-oci through
// `ctr run --runc-binary`: a foreground run's output and exit code, and a detached task
// killed with SIGKILL (stopped, exit code 137), removed with `ctr task rm` and
// `ctr container rm`. containerd is a daemon of this file's own under build/oci/containerd
// (test/support/engines.ts). LITE_OCI_TEST_RUNTIME=crun|runc runs the same tests against
// another runtime. Each test removes its containers in a teardown and ends with no
// container process, cgroup, mount or network object left.

import t, { type Test } from 'tap'
import {
  CTR_NAMESPACE,
  IMAGE,
  assertNoEngineLeaks,
  callsLogTail,
  cgroupsNamed,
  engineSnapshot,
  ociRuntime,
  processesWith,
  requireEngines,
  run,
  show,
  startContainerd,
  until,
  type Containerd,
} from '../support/engines.ts'
import { spawnBackground } from '../support/integration.ts'

let counter = 0
const uniqueId = () => `lite-oci-${process.pid}-${++counter}`

/** Removes the task and container ID in the test's teardown, whatever happened. */
function removeAtEnd(t: Test, ctd: Containerd, id: string): void {
  t.teardown(() => {
    ctd.ctr(['task', 'kill', '--signal', 'SIGKILL', id], { timeout: 20_000 })
    ctd.ctr(['task', 'delete', '--force', id], { timeout: 30_000 })
    ctd.ctr(['container', 'delete', id], { timeout: 20_000 })
  })
}

/** The STATUS column of `ctr task ls` for ID ('' when there is no such task). */
function taskStatus(ctd: Containerd, id: string): string {
  const line = ctd.ctr(['task', 'ls']).stdout.split('\n').find((l) => l.split(/\s+/)[0] === id)
  return line?.split(/\s+/)[2] ?? ''
}

/** Processes in the container's cgroup (/lite-test/ID) and its cgroups. */
async function assertContainerGone(t: Test, id: string): Promise<void> {
  const needle = `/${CTR_NAMESPACE}/${id}`
  t.ok(await until(() => processesWith(needle).length === 0, 10_000), `no process of the container is left: ${processesWith(needle).join('; ')}`)
  t.ok(await until(() => cgroupsNamed(CTR_NAMESPACE, id).length === 0, 5000), `its cgroups are gone: ${cgroupsNamed(CTR_NAMESPACE, id).join(' ')}`)
}

function explain(t: Test, ctd: Containerd): void {
  t.teardown(() => {
    if (!t.passing()) {
      const calls = callsLogTail()
      if (calls) t.comment(`runtime calls:\n${calls}`)
      t.comment(`containerd's log:\n${ctd.log().split('\n').filter((l) => /level=(error|warning)/.test(l)).slice(-10).join('\n')}`)
    }
  })
}

async function main() {
  t.setTimeout(600_000)
  if (!requireEngines(t, ['containerd', 'ctr', 'containerd-shim-runc-v2'])) return
  const runtime = ociRuntime(t)
  if (!runtime) return
  const ctd = await startContainerd(t, runtime)
  if (!ctd) return
  t.comment(run(['containerd', '--version']).stdout.trim())

  t.test('ctr run --rm: the output, and the exit code of the container', async (t) => {
    explain(t, ctd)
    const before = engineSnapshot()
    const id = uniqueId()
    removeAtEnd(t, ctd, id)
    // stdout only: ctr itself now and then drops a short-lived task's last stream (seen
    // once in a few dozen runs with runc too; containerd issue 770), stderr more often.
    const r = ctd.ctr(['run', '--rm', ...ctd.runtimeArgs, IMAGE, id, 'sh', '-c', 'echo hi; exit 3'])
    t.equal(r.code, 3, `ctr run exits with the container's code: ${show(r)}`)
    t.equal(r.stdout, 'hi\n', 'its stdout')
    t.equal(ctd.ctr(['container', 'ls', '--quiet']).stdout.trim(), '', '--rm removed the container')
    await assertContainerGone(t, id)
    await assertNoEngineLeaks(t, before)
  })

  t.test('ctr run -d, task kill -s SIGKILL: stopped with 137; task rm, container rm', async (t) => {
    explain(t, ctd)
    const before = engineSnapshot()
    const id = uniqueId()
    removeAtEnd(t, ctd, id)
    const r = ctd.ctr(['run', '-d', ...ctd.runtimeArgs, IMAGE, id, 'sleep', '300'])
    t.equal(r.code, 0, `ctr run -d: ${show(r)}`)
    if (r.code !== 0) return
    t.equal(taskStatus(ctd, id), 'RUNNING', 'ctr task ls: RUNNING')
    const pid = ctd.ctr(['task', 'ls']).stdout.split('\n').find((l) => l.startsWith(`${id} `))?.split(/\s+/)[1]
    t.equal(run(['cat', `/proc/${pid}/cmdline`]).stdout, 'sleep\x00300\x00', 'the task\'s pid is the container\'s sleep')

    const ps = ctd.ctr(['task', 'ps', id])
    t.match(ps.stdout, new RegExp(`^${pid}\\b`, 'm'), `ctr task ps lists it (the runtime's ps --format json): ${show(ps)}`)
    const x = ctd.ctr(['task', 'exec', '--exec-id', 'e1', id, 'echo', 'x'])
    t.equal(x.code, 0, `ctr task exec: ${show(x)}`)
    t.equal(x.stdout, 'x\n', 'exec prints x')

    const kill = ctd.ctr(['task', 'kill', '--signal', 'SIGKILL', id])
    t.equal(kill.code, 0, `ctr task kill: ${show(kill)}`)
    t.ok(await until(() => taskStatus(ctd, id) === 'STOPPED', 10_000), `ctr task ls: STOPPED (${taskStatus(ctd, id)})`)
    const rm = ctd.ctr(['task', 'rm', id])
    t.equal(rm.code, 0, `ctr task rm: ${show(rm)}`)
    t.match(rm.stderr, /exit code 137/, 'ctr task rm reports the exit code 137')
    t.equal(taskStatus(ctd, id), '', 'the task is gone')
    const crm = ctd.ctr(['container', 'rm', id])
    t.equal(crm.code, 0, `ctr container rm: ${show(crm)}`)
    t.equal(ctd.ctr(['container', 'ls', '--quiet']).stdout.trim(), '', 'no container is left')
    await assertContainerGone(t, id)
    await assertNoEngineLeaks(t, before)
  })

  t.test('a foreground ctr run killed from outside returns 137', async (t) => {
    explain(t, ctd)
    const before = engineSnapshot()
    const id = uniqueId()
    removeAtEnd(t, ctd, id)
    const fg = spawnBackground(t, 'ctr', ['--address', ctd.sock, '--namespace', CTR_NAMESPACE, 'run', '--rm', ...ctd.runtimeArgs, IMAGE, id, 'sleep', '300'])
    t.ok(await until(() => taskStatus(ctd, id) === 'RUNNING', 20_000), `the task runs: ${fg.errors()}`)
    const kill = ctd.ctr(['task', 'kill', '--signal', 'SIGKILL', id])
    t.equal(kill.code, 0, `ctr task kill: ${show(kill)}`)
    const timer = setTimeout(() => fg.child.kill('SIGKILL'), 30_000)
    const r = await fg.done
    clearTimeout(timer)
    t.equal(r.code, 137, `ctr run exits 137: ${r.stderr.trim()}`)
    t.equal(ctd.ctr(['container', 'ls', '--quiet']).stdout.trim(), '', '--rm removed the container')
    await assertContainerGone(t, id)
    await assertNoEngineLeaks(t, before)
  })
}

await main()
