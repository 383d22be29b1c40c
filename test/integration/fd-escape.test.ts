// The CVE-2024-21626 class against the real dist/lite (issue 12): a cwd of
// /proc/self/fd/N reaches whatever directory lite still holds open as fd N when the
// child changes directory (the cgroup directory of CLONE_INTO_CGROUP was one). Every
// fd from 3 to 20 is tried, since the number differs between a foreground run, a
// detached one and a restart, and closing one number would leave the class open. The
// cwd comes from the config, from the image (/app a link), or from a compromised app
// that plants the link in its persistent upper and exits 1, so that the restart
// resolves it. Each run is either refused (125, [exec] cwd with FILE:LINE) or runs with
// its cwd inside the root: a host-only marker in the test's dir is never seen. The cwd
// is fixed per run, so each fd is one run (about 0.1 s; a restart about 0.4 s).

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { ContainerState } from '../../runtime/lifecycle/state-file.ts'
import { stateOf } from '../support/lifecycle.ts'
import { assertNoLeaks, eventually, requireRootAndBuild, snapshotHost, uniqueName, writeConfig } from '../support/integration.ts'
import { FDS, assertCwdInside, cleanUpContainer, copyRootfs, cwdProbe, hostMarker, lineOf, plantLink, plantPlain, runLite } from '../support/malicious-rootfs.ts'

interface World {
  dir: string
  rootfs: string
  marker: string
}

interface Run {
  code: number | null
  stderr: string
  /** what the app printed: stdout, or the log of a detached container */
  out: string
}

interface Container {
  path: string
  name: string
  text: string
}

/** One container's config; `cwd` is its [exec] cwd, `extra` more sections. */
function writeContainer(t: Test, w: World, cwd: string, extra = '', rootfs = `path = ${w.rootfs}\n`): Container {
  const name = uniqueName('fdx')
  t.teardown(() => cleanUpContainer(name))
  const text = `[container]\nname = ${name}\n[rootfs]\n${rootfs}[exec]\ncmd = /bin/true\ncwd = ${cwd}\n${extra}`
  const path = join(w.dir, `${name}.ini`)
  writeFileSync(path, text)
  return { path, name, text }
}

/** A run either refused at its cwd with FILE:LINE, or confined; a control run must be confined. */
function assertRefusedOrInside(t: Test, w: World, r: Run, c: Container, control = false): void {
  if (r.code === 125 && !control) {
    t.match(r.stderr, new RegExp(`${c.name}\\.ini:${lineOf(c.text, 'cwd = ')}: \\[exec\\] cwd: `), 'refused at [exec] cwd, with FILE:LINE')
    return
  }
  t.equal(r.code, 0, `refused (125) or confined (0): ${r.stderr}`)
  assertCwdInside(t, r.out, { marker: w.marker, name: c.name })
}

const alive = (pid: number) => {
  try {
    return !/^\S+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

/**
 * lite run -d; once its monitor is gone (bounded), the final state, the log, then
 * lite rm. The monitor keeps its pid across restarts, and while a restart is set up the
 * state may be missing for a moment: only the monitor's end makes the state final.
 * `state` is undefined when lite removed it (a restart that failed its set-up).
 */
async function runDetached(t: Test, c: Container, script: string): Promise<Run & { started: boolean; state?: ContainerState }> {
  const r = runLite(['run', '-d', c.path, '--', '/bin/sh', '-c', script])
  if (r.code !== 0) return { code: r.code, stderr: r.stderr, out: r.stdout, started: false }
  const monitor = stateOf(c.name)?.monitorPid
  if (monitor) t.ok(await eventually(() => !alive(monitor), 15_000), `the monitor of ${c.name} has ended`)
  const state = stateOf(c.name)
  const out = state ? runLite(['logs', c.name]).stdout : ''
  if (state) t.equal(runLite(['rm', c.name]).code, 0, 'lite rm')
  return { code: state?.exitCode ?? null, stderr: r.stderr, out, started: true, state }
}

/**
 * The first run plants /app -> /proc/self/fd/N in its upper (no link for the control)
 * and fails; the restart runs the probe.
 */
const plantThenProbe = (fd: number | null, dir: string) =>
  `if [ -e /planted ]; then ${cwdProbe(dir)}; exit 0; fi; touch /planted; ` +
  (fd === null ? '' : `cd /; rm -rf /app; ln -s /proc/self/fd/${fd} /app; `) +
  'echo planted; exit 1'

/** Every fd, after a control: /app a plain directory, where the run must be confined. */
const TRIES: readonly (number | null)[] = [null, ...FDS]
const label = (fd: number | null) => (fd === null ? 'control, /app a directory' : `fd ${fd}`)

if (requireRootAndBuild(t)) {
  /** The image's /app: a link to /proc/self/fd/N, or a plain directory for the control. */
  const plantApp = (w: World, fd: number | null) => (fd === null ? plantPlain(w.rootfs, 'app', 'dir') : plantLink(w.rootfs, 'app', `/proc/self/fd/${fd}`))

  const world = (t: Test): World => {
    const dir = writeConfig(t, '').dir
    const rootfs = copyRootfs(dir)
    mkdirSync(join(rootfs, 'app'))
    return { dir, rootfs, marker: hostMarker(dir) }
  }

  t.test('foreground: [exec] cwd = /proc/self/fd/N', async (t) => {
    const w = world(t)
    const before = snapshotHost()
    for (const fd of TRIES) {
      await t.test(label(fd), async (t) => {
        const c = writeContainer(t, w, fd === null ? '/app' : `/proc/self/fd/${fd}`)
        const r = runLite(['run', c.path, '--', '/bin/sh', '-c', cwdProbe(w.dir)])
        assertRefusedOrInside(t, w, { ...r, out: r.stdout }, c, fd === null)
      })
    }
    await assertNoLeaks(t, before)
  })

  t.test('foreground: the image\'s /app -> /proc/self/fd/N, cwd = /app', async (t) => {
    const w = world(t)
    const before = snapshotHost()
    for (const fd of TRIES) {
      await t.test(label(fd), async (t) => {
        plantApp(w, fd)
        const c = writeContainer(t, w, '/app')
        const r = runLite(['run', c.path, '--', '/bin/sh', '-c', cwdProbe(w.dir)])
        assertRefusedOrInside(t, w, { ...r, out: r.stdout }, c, fd === null)
      })
    }
    await assertNoLeaks(t, before)
  })

  for (const form of ['config', 'image'] as const) {
    t.test(`detached (lite run -d): ${form === 'config' ? '[exec] cwd = /proc/self/fd/N' : "the image's /app -> /proc/self/fd/N"}`, async (t) => {
      const w = world(t)
      const before = snapshotHost()
      for (const fd of TRIES) {
        await t.test(label(fd), async (t) => {
          if (form === 'image') plantApp(w, fd)
          const c = writeContainer(t, w, form === 'config' && fd !== null ? `/proc/self/fd/${fd}` : '/app')
          const r = await runDetached(t, c, cwdProbe(w.dir))
          assertRefusedOrInside(t, w, r, c, fd === null)
        })
      }
      await assertNoLeaks(t, before)
    })
  }

  for (const detached of [false, true]) {
    t.test(`restart${detached ? ' (detached)' : ''}: the app plants /app -> /proc/self/fd/N in its persistent upper, exits 1, and is restarted`, async (t) => {
      const w = world(t)
      const before = snapshotHost()
      for (const fd of TRIES) {
        await t.test(label(fd), async (t) => {
          const upper = join(w.dir, `upper-${fd ?? 'control'}`)
          mkdirSync(upper)
          const c = writeContainer(t, w, '/app', '[start]\nrestart = on-failure:1\n', `path = ${w.rootfs}\nupper = ${upper}\n`)
          const script = plantThenProbe(fd, w.dir)
          if (!detached) {
            const r = runLite(['run', c.path, '--', '/bin/sh', '-c', script])
            t.match(r.stdout, /^planted\n/, 'the first run planted the link')
            assertRefusedOrInside(t, w, { ...r, out: r.stdout }, c, fd === null)
            return
          }
          const r = await runDetached(t, c, script)
          t.ok(r.started, `the first run started: ${r.stderr}`)
          if (r.state) t.match(r.out, /^planted\n/, 'the first run planted the link')
          if (fd !== null && (r.state === undefined || r.code === 125)) {
            // The restart was refused: lite ends the container (and may remove its state).
            t.pass(`the restart was refused (${r.state ? `exit ${r.code}` : 'state removed'})`)
            return
          }
          t.equal(r.state?.restarts, 1, 'the probe ran in the restart')
          assertRefusedOrInside(t, w, r, c, fd === null)
        })
      }
      await assertNoLeaks(t, before)
    })
  }
}
