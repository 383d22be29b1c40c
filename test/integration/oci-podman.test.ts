// podman (Debian's, with conmon) driving lite-oci as its OCI runtime (`--runtime`):
// foreground run with output and exit code, run -d / exec / stop / rm, memory and pids
// limits seen inside, a terminal (run -it through script's pty), kill -> 137, and a
// missing command -> 127 as with runc and crun. podman is isolated under build/oci/podman
// (test/support/engines.ts) and has no network. LITE_OCI_TEST_RUNTIME=crun|runc runs the
// same tests against another runtime. Each test removes its containers in a teardown and
// ends with no container process, cgroup, mount or network object left.

import t, { type Test } from 'tap'
import {
  PODMAN_RUN,
  IMAGE,
  assertNoEngineLeaks,
  callsLogTail,
  cgroupsNamed,
  engineSnapshot,
  ociRuntime,
  processesWith,
  requireEngines,
  run,
  runInPty,
  show,
  startPodman,
  until,
  type Podman,
} from '../support/engines.ts'

let counter = 0
const uniqueName = () => `lite-oci-${process.pid}-${++counter}`

/** Removes the container NAME in the test's teardown, whatever happened. */
function removeAtEnd(t: Test, podman: Podman, name: string): void {
  t.teardown(() => {
    podman(['rm', '--force', '--time', '0', name], { timeout: 60_000 })
  })
}

/** No process of the container is left (by its cgroup, libpod-ID) and its cgroups are gone. */
async function assertContainerGone(t: Test, id: string): Promise<void> {
  const procs = await until(() => processesWith(`libpod-${id}`).length === 0, 10_000)
  t.ok(procs, `no process of the container is left: ${processesWith(`libpod-${id}`).join('; ')}`)
  const cgroups = await until(() => cgroupsNamed('libpod_parent', id).length === 0, 5000)
  t.ok(cgroups, `its cgroups are gone: ${cgroupsNamed('libpod_parent', id).join(' ')}`)
}

/** Adds the runtime's recent calls to a failing test's output (LITE_OCI_TEST_LOG=1). */
function explain(t: Test): void {
  t.teardown(() => {
    if (!t.passing()) {
      const calls = callsLogTail()
      if (calls) t.comment(`runtime calls:\n${calls}`)
    }
  })
}

async function main() {
  t.setTimeout(600_000)
  if (!requireEngines(t, ['podman', 'conmon', 'script'])) return
  const runtime = ociRuntime(t)
  if (!runtime) return
  const podman = await startPodman(t, runtime)
  if (!podman) return
  t.comment(`podman ${podman(['--version']).stdout.trim()}`)

  t.test('run --rm: the output, and the exit code of the container', async (t) => {
    explain(t)
    const before = engineSnapshot()
    const name = uniqueName()
    removeAtEnd(t, podman, name)
    const r = podman(['run', '--rm', ...PODMAN_RUN, '--name', name, IMAGE, 'sh', '-c', 'echo hi; echo err >&2; exit 3'])
    t.equal(r.code, 3, `podman run exits with the container's code: ${show(r)}`)
    t.equal(r.stdout, 'hi\n', 'its stdout')
    t.match(r.stderr, /^err$/m, 'its stderr')
    const ps = podman(['ps', '--all', '--quiet', '--filter', `name=${name}`])
    t.equal(ps.stdout.trim(), '', '--rm removed it')
    await assertNoEngineLeaks(t, before)
  })

  t.test('run -d, exec, stop -t 2, rm', async (t) => {
    explain(t)
    const before = engineSnapshot()
    const name = uniqueName()
    removeAtEnd(t, podman, name)
    const r = podman(['run', '-d', ...PODMAN_RUN, '--name', name, IMAGE, 'sleep', '300'])
    t.equal(r.code, 0, `run -d: ${show(r)}`)
    const id = r.stdout.trim()
    t.match(id, /^[0-9a-f]{64}$/, 'prints the container id')
    if (r.code !== 0) return
    const state = podman(['inspect', '--format', '{{.State.Status}} {{.State.Pid}}', name])
    t.match(state.stdout, /^running [1-9]\d*/, `podman sees it running: ${show(state)}`)
    const pid = Number(state.stdout.split(' ')[1])
    t.equal(run(['cat', `/proc/${pid}/cmdline`]).stdout, 'sleep\x00300\x00', 'its pid is the container\'s sleep')

    const x = podman(['exec', name, 'echo', 'x'])
    t.equal(x.code, 0, `exec: ${show(x)}`)
    t.equal(x.stdout, 'x\n', 'exec prints x')
    const code = podman(['exec', name, 'sh', '-c', 'exit 5'])
    t.equal(code.code, 5, `exec returns the command's exit code: ${show(code)}`)
    const env = podman(['exec', '--env', 'FOO=bar', '--workdir', '/tmp', name, 'sh', '-c', 'echo $FOO; pwd'])
    t.equal(env.stdout, 'bar\n/tmp\n', `exec --env --workdir: ${show(env)}`)
    const pidns = podman(['exec', name, 'cat', '/proc/1/cmdline'])
    t.equal(pidns.stdout, 'sleep\x00300\x00', 'exec joins the container\'s pid namespace (pid 1 is its sleep)')

    // sleep as pid 1 ignores SIGTERM: stop waits its 2 s, then kills.
    const started = Date.now()
    const stop = podman(['stop', '--time', '2', name])
    const took = Date.now() - started
    t.equal(stop.code, 0, `stop: ${show(stop)}`)
    t.ok(took >= 1900 && took < 30_000, `stop -t 2 waited for the timeout, then killed (${took} ms)`)
    const exited = podman(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', name])
    t.equal(exited.stdout.trim(), 'exited 137', 'stopped by SIGKILL: exited, 137')
    const rm = podman(['rm', name])
    t.equal(rm.code, 0, `rm: ${show(rm)}`)
    t.equal(podman(['ps', '--all', '--quiet', '--filter', `name=${name}`]).stdout.trim(), '', 'gone from ps -a')
    await assertContainerGone(t, id)
    await assertNoEngineLeaks(t, before)
  })

  t.test('--memory 64m and --pids-limit 50 are the container\'s cgroup limits', async (t) => {
    explain(t)
    const before = engineSnapshot()
    const name = uniqueName()
    removeAtEnd(t, podman, name)
    // cgroup v1 (this kind of host): memory/memory.limit_in_bytes, pids/pids.max, the
    // container's own cgroup mounted there (as runc and crun do); v2: memory.max, pids.max.
    const script = [
      'if [ -d /sys/fs/cgroup/memory ]; then cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max',
      'else cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max; fi',
    ].join('; ')
    const r = podman(['run', '--rm', ...PODMAN_RUN, '--name', name, '--memory', '64m', '--pids-limit', '50', IMAGE, 'sh', '-c', script])
    t.equal(r.code, 0, `run: ${show(r)}`)
    t.same(r.stdout.trim().split('\n'), ['67108864', '50'], 'memory limit 64 MiB and pids.max 50, read inside the container')
    await assertNoEngineLeaks(t, before)
  })

  t.test('the limits are the host\'s cgroup files of the container while it runs', async (t) => {
    explain(t)
    const before = engineSnapshot()
    const name = uniqueName()
    removeAtEnd(t, podman, name)
    const r = podman(['run', '-d', ...PODMAN_RUN, '--name', name, '--memory', '64m', '--pids-limit', '50', IMAGE, 'sleep', '300'])
    t.equal(r.code, 0, `run -d: ${show(r)}`)
    if (r.code !== 0) return
    const id = r.stdout.trim()
    const pid = podman(['inspect', '--format', '{{.State.Pid}}', name]).stdout.trim()
    const cg = run(['cat', `/proc/${pid}/cgroup`]).stdout
    const memLine = cg.split('\n').find((l) => /^\d+:(memory|[^:]*,memory[^:]*):/.test(l) || l.startsWith('0::'))
    t.match(cg, new RegExp(`libpod-${id}`), `the container runs in podman's cgroup libpod-ID (cgroupsPath): ${cg.trim().split('\n').slice(0, 4).join(' ')}`)
    const v1 = cg.split('\n').find((l) => /^\d+:memory:/.test(l))
    if (v1) {
      const path = v1.split(':')[2]
      t.equal(run(['cat', `/sys/fs/cgroup/memory${path}/memory.limit_in_bytes`]).stdout.trim(), '67108864', 'memory.limit_in_bytes on the host')
      const pids = cg.split('\n').find((l) => /^\d+:pids:/.test(l))?.split(':')[2]
      t.equal(run(['cat', `/sys/fs/cgroup/pids${pids}/pids.max`]).stdout.trim(), '50', 'pids.max on the host')
    } else {
      t.ok(memLine, 'a cgroup2 line')
    }
    const rm = podman(['rm', '--force', '--time', '0', name])
    t.equal(rm.code, 0, `rm -f: ${show(rm)}`)
    await assertContainerGone(t, id)
    await assertNoEngineLeaks(t, before)
  })

  t.test('run -it through a pty: the container has a terminal of its own', async (t) => {
    explain(t)
    const before = engineSnapshot()
    const name = uniqueName()
    removeAtEnd(t, podman, name)
    const line = podman.line(['run', '--rm', '-it', ...PODMAN_RUN, '--name', name, IMAGE, 'sh', '-c', 'tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-tty; echo ok; exit 4'])
    const r = await runInPty(line, podman.env)
    const out = r.stdout.replaceAll('\r', '')
    t.match(out, /^\/dev\/pts\/\d+$/m, `tty names a /dev/pts device: ${show({ ...r, stdout: out })}`)
    t.match(out, /^ok$/m, 'and the command ran to the end')
    t.match(out, /^all-tty$/m, 'stdin, stdout and stderr are that terminal')
    t.equal(r.code, 4, 'run -it returns the container\'s exit code')
    await assertNoEngineLeaks(t, before)
  })

  t.test('kill -> exit code 137 (wait and inspect)', async (t) => {
    explain(t)
    const before = engineSnapshot()
    const name = uniqueName()
    removeAtEnd(t, podman, name)
    const r = podman(['run', '-d', ...PODMAN_RUN, '--name', name, IMAGE, 'sleep', '300'])
    t.equal(r.code, 0, `run -d: ${show(r)}`)
    if (r.code !== 0) return
    const id = r.stdout.trim()
    const kill = podman(['kill', name])
    t.equal(kill.code, 0, `kill: ${show(kill)}`)
    const wait = podman(['wait', name], { timeout: 30_000 })
    t.equal(wait.stdout.trim(), '137', `podman wait prints 137: ${show(wait)}`)
    t.equal(podman(['inspect', '--format', '{{.State.ExitCode}}', name]).stdout.trim(), '137', 'inspect: State.ExitCode 137')
    t.ok(await until(() => processesWith(`libpod-${id}`).length === 0, 10_000), 'the container\'s processes are gone before rm')
    const rm = podman(['rm', name])
    t.equal(rm.code, 0, `rm: ${show(rm)}`)
    await assertContainerGone(t, id)
    await assertNoEngineLeaks(t, before)
  })

  t.test('a missing command: exit code 127, as with runc and crun', async (t) => {
    explain(t)
    const before = engineSnapshot()
    const name = uniqueName()
    removeAtEnd(t, podman, name)
    const r = podman(['run', '--rm', ...PODMAN_RUN, '--name', name, IMAGE, '/nonexistent'])
    t.equal(r.code, 127, `podman run exits 127: ${show(r)}`)
    t.match(r.stderr, /nonexistent/, 'the error names the command')
    const na = podman(['run', '--rm', ...PODMAN_RUN, '--name', `${name}-x`, IMAGE, '/etc/passwd'])
    removeAtEnd(t, podman, `${name}-x`)
    t.equal(na.code, 126, `a file that is not executable: 126: ${show(na)}`)
    t.equal(podman(['ps', '--all', '--quiet', '--filter', `name=${name}`]).stdout.trim(), '', 'no container is left')
    await assertNoEngineLeaks(t, before)
  })
}

await main()
