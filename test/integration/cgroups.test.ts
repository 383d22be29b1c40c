// cgroup limits on this host (v1, v2 or hybrid): placement, limits seen inside,
// OOM, pids, cpu quota, clean-up, and bad values that leave nothing behind.

import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import t from 'tap'
import { readCgroupLayout } from '../../runtime/cgroup/detect.ts'
import { readMountInfo } from '../../runtime/host/mountinfo.ts'
import { MEMORY_FLOOR_PAGES, PAGE_SIZE } from '../../runtime/config/resource-values.ts'
import { LITE, REPO, assertNoLeaks, eventually, lite, liteBackground, requireRootAndBuild, sh, snapshotHost, writeConfig, runningPid, type Result } from '../support/integration.ts'

const layout = readCgroupLayout(readMountInfo())
const home = (c: string) => layout.controllers.find((h) => h.controller === c)
const BASE = `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = /bin/true\n`

/** The path of a controller's file inside the container's /sys/fs/cgroup. */
function inside(controller: string, file: string): string {
  const h = home(controller)!
  return h.version === 2 && layout.mode === 'v2' ? `/sys/fs/cgroup/${file}` : `/sys/fs/cgroup/${h.mountPoint.split('/').pop()}/${file}`
}

/** lite run to completion without blocking the test's event loop (bounded by `timeout` ms). */
function liteAsync(args: string[], timeout = 20_000): Promise<Result> {
  const child = spawn(LITE, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeout)
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    }),
  )
}

/** rmdir of cgroups a test made, deepest first; the kernel may need a moment after the last process. */
async function removeTestCgroups(dirs: string[]): Promise<void> {
  for (const dir of [...dirs].sort((a, b) => b.length - a.length)) {
    for (let i = 0; i < 50 && existsSync(dir); i++) {
      try {
        rmdirSync(dir)
      } catch {
        await new Promise((r) => setTimeout(r, 20))
      }
    }
  }
}

if (requireRootAndBuild(t)) {
  t.test('the limits are written and the container sees its own in /sys/fs/cgroup', { skip: !home('memory') && 'no memory controller' }, async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, BASE + `[resources]\nmemory = 16M\npids = 50\ncpus = 0.5\n`)
    const mem = home('memory')!.version === 2 ? 'memory.max' : 'memory.limit_in_bytes'
    const quota = home('cpu')!.version === 2 ? inside('cpu', 'cpu.max') : inside('cpu', 'cpu.cfs_quota_us')
    const r = sh(c.path, `cat ${inside('memory', mem)} ${inside('pids', 'pids.max')} ${quota}; grep -c ":/$" /proc/self/cgroup; touch /sys/fs/cgroup/x 2>&1; true`)
    t.equal(r.code, 0, r.stderr)
    const lines = r.stdout.trim().split('\n')
    t.equal(lines[0], '16777216', 'memory limit')
    t.equal(lines[1], '50', 'pids limit')
    t.match(lines[2], /^50000( 100000)?$/, 'cpu quota')
    t.equal(Number(lines[3]), layout.hierarchies.length, 'the cgroup namespace shows / in every hierarchy')
    t.match(lines[4], /Read-only file system/)
    await assertNoLeaks(t, before, 'the cgroups are removed')
  })

  t.test('io limits per device reach the blkio/io files', { skip: (!existsSync('/dev/loop0') || !(home('blkio') ?? home('io'))) && 'needs /dev/loop0 and an io controller' }, async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, BASE + `[resources]\nio_read_bps[] = /dev/loop0 1M\nio_write_iops[] = /dev/loop0 100\n`)
    const v1 = home('blkio')?.version === 1
    const files = v1 ? `${inside('blkio', 'blkio.throttle.read_bps_device')} ${inside('blkio', 'blkio.throttle.write_iops_device')}` : inside('io', 'io.max')
    const r = sh(c.path, `cat ${files}`)
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, v1 ? /^7:0 1048576\n7:0 100\n$/ : /^7:0 rbps=1048576 wbps=max riops=max wiops=100/)
    await assertNoLeaks(t, before)
  })

  t.test('the container is in lite/NAME of every hierarchy while it runs', async (t) => {
    const c = writeConfig(t, BASE)
    const run = liteBackground(t, ['run', c.path, '--', 'sleep', '30'])
    t.ok(await eventually(() => runningPid(c.name) !== undefined))
    const pid = String(runningPid(c.name))
    for (const h of layout.hierarchies) {
      t.match(readFileSync(`${h.mountPoint}/lite/${c.name}/cgroup.procs`, 'utf8'), new RegExp(`^${pid}$`, 'm'), `attached in ${h.mountPoint}`)
    }
    process.kill(Number(pid), 'SIGKILL')
    await run.done
    for (const h of layout.hierarchies) t.notOk(existsSync(`${h.mountPoint}/lite/${c.name}`), `removed from ${h.mountPoint}`)
  })

  t.test('a memory hog is OOM-killed: exit 137 and the reason', { skip: !home('memory') && 'no memory controller' }, async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, BASE + `[resources]\nmemory = 4M\nswap = 0\n`.replace('swap = 0\n', home('memory')?.version === 1 && !existsSync(`${home('memory')!.mountPoint}/memory.memsw.limit_in_bytes`) ? '' : 'swap = 0\n'))
    const r = sh(c.path, 'x=$(head -c 64000000 /dev/zero | tr "\\0" a); echo survived')
    t.equal(r.code, 137)
    t.equal(r.stdout, '')
    t.match(r.stderr, new RegExp(`lite: ${c.name} was killed by the OOM killer \\(memory limit 4M\\)`))
    await assertNoLeaks(t, before)
  })

  t.test('a fork bomb stays inside pids and ends', { skip: !home('pids') && 'no pids controller' }, async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, BASE + `[resources]\npids = 16\n`)
    // Bounded: 64 background sleeps at most; busybox sh gives up at the first failed fork.
    const started = Date.now()
    const r = sh(c.path, 'i=0; while [ $i -lt 64 ]; do sleep 5 & i=$((i+1)); echo $i; done', { timeout: 20_000 })
    t.not(r.code, 0, 'the shell failed')
    t.match(r.stderr, /can't fork: Resource temporarily unavailable/, 'fork failed at the limit')
    const forks = Number(r.stdout.trim().split('\n').pop())
    t.ok(forks < 16, `stopped after ${forks} background sleeps (pids = 16 counts the shell too)`)
    t.ok(Date.now() - started < 5000, 'the whole pid namespace ended with its init, not after the sleeps')
    await assertNoLeaks(t, before)
  })

  t.test('the memory floor: /bin/true starts at it; one page less is refused', { skip: !home('memory') && 'no memory controller' }, async (t) => {
    const floor = MEMORY_FLOOR_PAGES * PAGE_SIZE
    const at = writeConfig(t, BASE + `[resources]\nmemory = ${floor}\n`)
    writeFileSyncDropCaches()
    const r = lite(['run', at.path])
    t.equal(r.code, 0, `starts at ${floor} bytes: ${r.stderr}`)
    const below = writeConfig(t, BASE + `[resources]\nmemory = ${floor - PAGE_SIZE}\n`)
    const r2 = lite(['run', below.path])
    t.equal(r2.code, 125)
    t.match(r2.stderr, new RegExp(`c\\.ini:8: \\[resources\\] memory: "${floor - PAGE_SIZE}" is below lite's floor of ${floor / 1024}K \\(${MEMORY_FLOOR_PAGES} pages\\)`))
  })

  t.test('a stale cgroup of a lite killed with -9 is cleaned by the next run', async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, BASE)
    const run = liteBackground(t, ['run', c.path, '--', 'sleep', '30'])
    t.ok(await eventually(() => runningPid(c.name) !== undefined))
    run.child.kill('SIGKILL')
    await run.done
    const stale = layout.hierarchies.map((h) => `${h.mountPoint}/lite/${c.name}`)
    t.ok(stale.some((d) => existsSync(d)), 'a cgroup is left')
    t.equal(lite(['run', c.path]).code, 0)
    await assertNoLeaks(t, before)
  })

  t.test('devices: mknod works but opening a node outside the allowlist is EPERM; a passed device opens', { skip: home('devices')?.version !== 1 && !layout.unified && 'needs the v1 devices controller or cgroup v2' }, async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, BASE)
    // /dev/loop-control's numbers: its open checks no capability (/dev/mem's wants
    // CAP_SYS_RAWIO, a read of /dev/kmsg CAP_SYSLOG), so an EPERM is the cgroup's.
    const r = sh(c.path, 'mknod /dev/lc2 c 10 237 && echo mknod-ok; { true < /dev/lc2; } 2>&1; ls /dev/kmsg 2>&1; cat /dev/null && echo null-ok; true')
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, /mknod-ok\n.*can't open \/dev\/lc2: Operation not permitted\n.*No such file or directory\nnull-ok/)
    const w = writeConfig(t, BASE + '[devices]\nallow[] = /dev/kmsg w\nallow[] = /dev/loop-control w\n')
    const r2 = sh(w.path, 'ls -l /dev/kmsg | cut -c1,35-; echo "<6>lite test: a passed device" > /dev/kmsg && echo write-ok; true > /dev/loop-control && echo lc-write-ok; { true < /dev/loop-control; } 2>&1; true')
    t.match(r2.stdout, /^c.*1, +11 .*\/dev\/kmsg\nwrite-ok\nlc-write-ok\n.*can't open \/dev\/loop-control: Operation not permitted/, 'w is allowed, r is not')
    await assertNoLeaks(t, before)
  })

  t.test('rt_runtime lets a SCHED_FIFO thread start (cgroup v1)', { skip: (home('cpu')?.version !== 1 || !existsSync(`${home('cpu')?.mountPoint}/cpu.rt_runtime_us`)) && 'needs v1 cpu with RT group scheduling' }, async (t) => {
    const before = snapshotHost()
    const probe = `${REPO}/build/rootfs/probe/probe`
    const rt = (extra: string) => {
      const c = writeConfig(t, BASE + `[mount]\nentry[] = ${probe} /probe none bind,ro,create=file\n[security]\ncap.keep = CHOWN DAC_OVERRIDE FOWNER KILL SETGID SETUID SYS_NICE\n` + extra)
      return lite(['run', c.path, '--', '/probe', 'fifo'])
    }
    t.equal(rt('').stdout, 'fifo EPERM\n', 'a new v1 cgroup has cpu.rt_runtime_us = 0')
    const r = rt('[resources]\nrt_runtime = 10000\n')
    t.equal(r.stdout, 'fifo ok\n', r.stderr)
    await assertNoLeaks(t, before)
  })

  t.test('hybrid: the v1 devices list alone confines (no v2 device program beside it)', { skip: (!layout.unified || home('devices')?.version !== 1) && 'needs a hybrid host (v1 devices beside cgroup2)' }, async (t) => {
    const before = snapshotHost()
    // A raw [cgroup] devices.allow is refused (it would undo the device rules), so the
    // test opens v1 itself, from the host, while the container waits for a go file. The
    // node (/dev/loop-control's numbers: outside the allowlist, and its open checks no
    // capability, unlike /dev/mem's or /dev/kmsg's) is refused before, and opens after,
    // which shows that no BPF_CGROUP_DEVICE program sits beside the list. Pure v2 (the
    // program) is tested in the qemu VM's boots (devices-deny).
    const c = writeConfig(t, BASE.replace('cmd = /bin/true\n', '') + `[mount]\nentry[] = {DIR} /x none bind,create=dir\n`)
    writeFileSync(c.path, readFileSync(c.path, 'utf8').replace('{DIR}', c.dir))
    const script = 'mknod /dev/lc2 c 10 237; true < /dev/lc2 && echo opened-before; : > /x/ready; i=0; until [ -e /x/go ] || [ $i -ge 200 ]; do sleep 0.05; i=$((i+1)); done; grep -c "a \\*:\\* rwm" /sys/fs/cgroup/devices/devices.list; true < /dev/lc2 && echo opened-after; true'
    const bg = liteBackground(t, ['run', c.path, '--', '/bin/sh', '-c', script])
    const allow = `${home('devices')!.mountPoint}/lite/${c.name}/devices.allow`
    t.ok(await eventually(() => existsSync(allow), 10_000), 'the container cgroup is there')
    // Once the app runs: lite writes its device rules before GO, and a host write of
    // "a" before them would be overwritten.
    t.ok(await eventually(() => existsSync(`${c.dir}/ready`), 10_000), 'the app runs')
    writeFileSync(allow, 'a')
    writeFileSync(`${c.dir}/go`, '')
    const r = await bg.done
    t.equal(r.code, 0, r.stderr)
    t.match(r.stderr, /lc2: Operation not permitted/, 'refused by the v1 list')
    t.equal(r.stdout, '1\nopened-after\n', 'v1 allows all (as the container sees it), and nothing else denies')
    await assertNoLeaks(t, before)
  })

  t.test('three names started in parallel, 60 runs: none fails, as a container that ends leaves the lite parent alone', async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, BASE)
    const deadline = Date.now() + 60_000
    const failures: string[] = []
    let runs = 0
    // Each name in a loop of its own, so that starts and ends of the three overlap.
    const loop = async (name: string) => {
      for (let i = 0; i < 20 && Date.now() < deadline; i++) {
        const r = await liteAsync(['run', c.path, '--name', name])
        runs++
        if (r.code !== 0) failures.push(`${name} run ${i}: exit ${r.code ?? r.signal}: ${r.stderr.trim()}`)
      }
    }
    await Promise.all([1, 2, 3].map((k) => loop(`${c.name}-${k}`)))
    t.equal(runs, 60, 'every run within 60 s')
    t.same(failures, [], 'no start failed')
    for (const h of layout.hierarchies) t.ok(existsSync(`${h.mountPoint}/lite`), `lite/ stays in ${h.mountPoint}`)
    await assertNoLeaks(t, before, 'no container cgroup is left under lite/')
  })

  t.test('an administrator\'s [cgroup] parent keeps its limit through every clean-up; lite removes only the container\'s dirs', { skip: !home('memory') && 'no memory controller' }, async (t) => {
    const before = snapshotHost()
    // Not named lite*: the leak check leaves it out, and this test checks it itself.
    const admin = `t11-${process.pid}`
    const parents = layout.hierarchies.map((h) => `${h.mountPoint}/${admin}`)
    t.teardown(() => removeTestCgroups(parents))
    const mem = home('memory')!
    const limitFile = `${mem.mountPoint}/${admin}/${mem.version === 2 ? 'memory.max' : 'memory.limit_in_bytes'}`
    for (const h of layout.hierarchies) {
      mkdirSync(`${h.mountPoint}/${admin}`)
      // As an administrator sets up a v1 cpuset parent before anyone uses it.
      if (h.version === 1 && h.options.includes('cpuset')) {
        for (const f of ['cpuset.cpus', 'cpuset.mems']) writeFileSync(`${h.mountPoint}/${admin}/${f}`, readFileSync(`${h.mountPoint}/${f}`, 'utf8'))
      }
    }
    writeFileSync(limitFile, String(256 << 20))
    const check = (how: string, name: string) => {
      t.equal(existsSync(limitFile) && readFileSync(limitFile, 'utf8').trim(), String(256 << 20), `${how}: the parent's 256M limit is kept`)
      for (const h of layout.hierarchies) {
        t.ok(existsSync(`${h.mountPoint}/${admin}`), `${how}: the parent stays in ${h.mountPoint}`)
        t.notOk(existsSync(`${h.mountPoint}/${admin}/${name}`), `${how}: the container's dir is removed from ${h.mountPoint}`)
      }
    }
    const c = writeConfig(t, BASE + `[cgroup]\nparent = ${admin}\n`)

    // The monitor's clean-up, after a normal run.
    const r = lite(['run', c.path])
    t.equal(r.code, 0, r.stderr)
    check('after a run', c.name)

    // lite run's own clean-up, after a start that failed once the cgroups were made.
    const failing = writeConfig(t, BASE + `[cgroup]\nparent = ${admin}\n[hook]\npre-start[] = /bin/false\n`)
    t.equal(lite(['run', failing.path]).code, 125)
    check('after a failed start', failing.name)

    // The dead-container clean-up, after its monitor was killed with -9.
    const detached = writeConfig(t, `[rootfs]\npath = {BUSYBOX}\n[exec]\ncmd = sleep 30\n[cgroup]\nparent = ${admin}\n`)
    t.teardown(() => void lite(['rm', '-f', detached.name]))
    t.equal(lite(['run', '-d', detached.path]).code, 0)
    t.ok(await eventually(() => runningPid(detached.name) !== undefined, 5000))
    const monitor = Number(/^monitor_pid=(\d+)$/m.exec(readFileSync(`/run/lite/${detached.name}/state`, 'utf8'))?.[1])
    process.kill(monitor, 'SIGKILL')
    t.ok(await eventually(() => !existsSync(`/proc/${monitor}`), 3000), 'the monitor is gone')
    t.match(lite(['ps', '-a']).stderr, /its monitor is gone/, 'ps settles the dead container')
    check('after the dead container was settled', detached.name)
    t.equal(lite(['rm', detached.name]).code, 0)
    await assertNoLeaks(t, before)
  })

  t.test('a nested [cgroup] parent a/b: lite makes it where missing and keeps it, like lite/; the container\'s dir goes', async (t) => {
    const before = snapshotHost()
    const top = `t11n-${process.pid}`
    const made = layout.hierarchies.flatMap((h) => [`${h.mountPoint}/${top}`, `${h.mountPoint}/${top}/b`])
    t.teardown(() => removeTestCgroups(made))
    const c = writeConfig(t, BASE + `[cgroup]\nparent = ${top}/b\n`)
    const r = lite(['run', c.path])
    t.equal(r.code, 0, r.stderr)
    for (const h of layout.hierarchies) {
      t.notOk(existsSync(`${h.mountPoint}/${top}/b/${c.name}`), `the container's dir is removed from ${h.mountPoint}`)
      // Another container may be starting under a parent at any moment: never removed.
      t.ok(existsSync(`${h.mountPoint}/${top}/b`), `${top}/b stays in ${h.mountPoint}`)
    }
    t.equal(lite(['run', c.path]).code, 0, 'and the next run uses it')
    await assertNoLeaks(t, before)
  })

  t.test('a container dir that lite did not make is refused, and left alone', async (t) => {
    const before = snapshotHost()
    const c = writeConfig(t, BASE)
    const h = layout.hierarchies[0]!
    const foreign = `${h.mountPoint}/lite/${c.name}`
    mkdirSync(`${h.mountPoint}/lite`, { recursive: true })
    mkdirSync(foreign)
    t.teardown(() => removeTestCgroups([foreign]))
    const r = lite(['run', c.path])
    t.equal(r.code, 125)
    t.match(r.stderr, new RegExp(`cannot create the cgroup ${foreign}: it exists already, and lite did not make it`))
    t.ok(existsSync(foreign), 'still there')
    await removeTestCgroups([foreign])
    await assertNoLeaks(t, before)
  })

  t.test('bad values: FILE:LINE, 125, nothing left', async (t) => {
    const cases: [string, RegExp][] = [
      ['[resources]\ncpuset = 999\n', /c\.ini:8: \[resources\] cpuset: writing "999" to cpuset\.cpus: .*\((EINVAL|ENOSPC|ERANGE)\)/],
      ['[resources]\nmemory = 1K\n', /c\.ini:8: \[resources\] memory: "1K" is below lite's floor/],
      ['[resources]\ncpus = -1\n', /c\.ini:8: \[resources\] cpus: "-1" is not a number of CPUs/],
      ['[cgroup]\nparent = ../escape\n', /c\.ini:8: \[cgroup\] parent: /],
      ['[devices]\nallow[] = /dev/nonexistent rw\n', /c\.ini:8: \[devices\] allow: \/dev\/nonexistent: No such file or directory \(ENOENT\)/],
      ['[devices]\nallow[] = /dev/null rx\n', /c\.ini:8: \[devices\] allow: "rx" is not an access of r, w and m/],
    ]
    if (layout.mode === 'hybrid' || layout.mode === 'v1') cases.push(['[cgroup2]\nmemory.high = 1M\n', /c\.ini:8: \[cgroup2\] memory\.high: this host has (memory on cgroup v1|no cgroup v2)/])
    if (layout.mode === 'v2') cases.push(['[cgroup]\nmemory.swappiness = 1\n', /c\.ini:8: \[cgroup\] memory\.swappiness: this host has memory on cgroup v2/])
    for (const [body, want] of cases) {
      const before = snapshotHost()
      const c = writeConfig(t, BASE + body)
      const r = lite(['run', c.path])
      t.equal(r.code, 125, body)
      t.match(r.stderr, want)
      await assertNoLeaks(t, before)
    }
  })
}

function writeFileSyncDropCaches(): void {
  // The floor is measured after dropping the page cache, so that the container pays
  // for reading busybox: the worst case.
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3')
  } catch {}
}
