// lite-oci's runc command line against the real kernel: create leaves the init
// waiting on exec.fifo and exits; start releases it; state, list, ps, exec, pause,
// resume, kill and delete behave as runc's do (engines parse their words and exit
// codes); bad config.json files give the JSON path at fault and leave nothing behind.

import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, rmdirSync, symlinkSync, writeFileSync, openSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { BUSYBOX, LITE, REPO, assertNoLeaks, eventually, requireRootAndBuild, snapshotHost, uniqueName } from '../support/integration.ts'

type Json = Record<string, unknown>

/** runc spec's default, read-only on lite's busybox rootfs, with `args`. */
export function bundleConfig(args: string[], extra: (c: Json) => void = () => {}): Json {
  const c: Json = {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args,
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: Object.fromEntries(['bounding', 'effective', 'permitted'].map((k) => [k, ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']])),
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: BUSYBOX, readonly: true },
    hostname: 'oci',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'size=1m'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }], pids: { limit: 64 } },
      namespaces: ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup'].map((type) => ({ type })),
      maskedPaths: ['/proc/kcore', '/proc/keys', '/sys/firmware'],
      readonlyPaths: ['/proc/sys', '/proc/sysrq-trigger'],
    },
  }
  extra(c)
  return c
}

interface Oci {
  root: string
  run(args: string[], opts?: { input?: string; stdout?: number; timeout?: number; bin?: string; fds?: number[]; env?: Record<string, string> }): { code: number; stdout: string; stderr: string }
  bundle(config: Json | string): string
}

/** A --root of the test's own, and a clean-up of every container in it, whatever happened. */
function ociFixture(t: Test): Oci {
  const root = mkdtempSync('/run/lite-oci-test-')
  const dirs: string[] = []
  // stdout and stderr go to files: a container's init inherits them, and a pipe would
  // keep spawnSync waiting until the container ends.
  const io = mkdtempSync('/tmp/lite-oci-io-')
  let calls = 0
  const run: Oci['run'] = (args, opts = {}) => {
    const n = ++calls
    const out = opts.stdout ?? openSync(join(io, `${n}.out`), 'w')
    const err = openSync(join(io, `${n}.err`), 'w')
    const r = spawnSync(opts.bin ?? LITE, [...(opts.bin ? [] : ['oci']), '--root', root, ...args], {
      input: opts.input,
      stdio: ['pipe', out, err, ...(opts.fds ?? [])],
      timeout: opts.timeout ?? 30_000,
      env: { PATH: process.env.PATH, ...opts.env },
    })
    if (opts.stdout === undefined) closeSync(out)
    closeSync(err)
    const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '')
    return { code: r.status ?? -1, stdout: opts.stdout === undefined ? read(join(io, `${n}.out`)) : '', stderr: read(join(io, `${n}.err`)) }
  }
  t.teardown(() => {
    const ids = run(['list', '-q']).stdout.split('\n').filter(Boolean)
    for (const id of ids) run(['delete', '--force', id])
    rmSync(root, { recursive: true, force: true })
    rmSync(io, { recursive: true, force: true })
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })
  return {
    root,
    run,
    bundle(config) {
      const dir = mkdtempSync(join(REPO, 'build', 'oci-bundle-'))
      dirs.push(dir)
      writeFileSync(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config, null, 2))
      return dir
    },
  }
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')

function state(oci: Oci, id: string): Json {
  const r = oci.run(['state', id])
  return r.code === 0 ? (JSON.parse(r.stdout) as Json) : { error: r.stderr }
}

if (requireRootAndBuild(t)) {
  t.test('create waits on exec.fifo; start lets it run; delete removes it', async (t) => {
    const before = snapshotHost()
    const oci = ociFixture(t)
    const id = uniqueName('oc')
    const bundle = oci.bundle(bundleConfig(['/bin/sh', '-c', 'echo started as $$; hostname']))
    const out = join(bundle, 'out')
    const fd = openSync(out, 'w')
    const pidFile = join(bundle, 'pid')
    const created = oci.run(['create', '--bundle', bundle, '--pid-file', pidFile, id], { stdout: fd })
    closeSync(fd)
    t.equal(created.code, 0, `create: ${created.stderr}`)
    const pid = Number(readFileSync(pidFile, 'utf8'))
    t.ok(pid > 1 && alive(pid), 'the pid file names a live init')
    const s = state(oci, id)
    t.match(s, { ociVersion: '1.0.2', id, status: 'created', pid, bundle }, 'state: created')
    t.ok(existsSync(join(oci.root, id, 'exec.fifo')), 'the init waits on exec.fifo')
    t.equal(readFileSync(out, 'utf8'), '', 'nothing ran before start')
    t.equal(oci.run(['create', '--bundle', bundle, id]).stderr.includes('container with given ID already exists'), true, 'an id is taken once')

    const started = oci.run(['start', id])
    t.equal(started.code, 0, `start: ${started.stderr}`)
    t.ok(await eventually(() => readFileSync(out, 'utf8').includes('oci'), 5000), 'the process ran, with its hostname')
    t.match(readFileSync(out, 'utf8'), /^started as 1\n/, 'as PID 1 of its own pid namespace')
    t.ok(await eventually(() => (state(oci, id).status as string) === 'stopped', 5000), 'state: stopped once it exited')
    t.match(oci.run(['start', id]).stderr, /cannot start a container that has stopped/)
    t.equal(oci.run(['delete', id]).code, 0, 'delete')
    t.equal(existsSync(join(oci.root, id)), false, 'its record is gone')
    const gone = oci.run(['state', id])
    t.equal(gone.code, 1)
    t.match(gone.stderr, /container does not exist/)
    t.equal(oci.run(['delete', '--force', id]).code, 0, 'delete --force of an unknown id is not an error (containerd relies on it)')
    await assertNoLeaks(t, before)
  })

  t.test('run -d, exec, ps, pause, resume, kill, list, delete', async (t) => {
    const before = snapshotHost()
    const oci = ociFixture(t)
    const id = uniqueName('oc')
    const bundle = oci.bundle(bundleConfig(['/bin/sleep', '300']))
    const r = oci.run(['run', '--detach', '--bundle', bundle, id])
    t.equal(r.code, 0, `run -d: ${r.stderr}`)
    const s = state(oci, id)
    t.equal(s.status, 'running')
    const pid = s.pid as number

    const ex = oci.run(['exec', id, '/bin/sh', '-c', 'echo in $(hostname); cat /proc/self/status | grep -c ^Pid'])
    t.equal(ex.code, 0, `exec: ${ex.stderr}`)
    t.match(ex.stdout, /^in oci\n/, 'exec runs in the container\'s uts namespace')
    t.equal(oci.run(['exec', id, '/bin/sh', '-c', 'exit 7']).code, 7, 'exec exits with the process\'s code')
    // The exec'd process joined the init's cgroups itself, in every hierarchy.
    const cg = oci.run(['exec', id, '/bin/sh', '-c', 'cat /proc/self/cgroup; echo ==; cat /proc/1/cgroup'])
    t.equal(cg.code, 0, cg.stderr)
    const [own, init] = cg.stdout.split('==\n')
    t.ok(own!.trim().split('\n').length >= 1 && own === init, `the exec's cgroups are the init's:\n${cg.stdout}`)
    const hostView = (p: number) => readFileSync(`/proc/${p}/cgroup`, 'utf8')
    t.match(hostView(pid), new RegExp(id), 'the init sits in the container\'s own cgroups (host view)')

    const ps = oci.run(['ps', '--format', 'json', id])
    t.equal(ps.code, 0, ps.stderr)
    t.ok((JSON.parse(ps.stdout) as number[]).includes(pid), 'ps --format json lists the init\'s host pid')

    t.equal(oci.run(['pause', id]).code, 0, 'pause')
    t.equal(state(oci, id).status, 'paused')
    t.equal(oci.run(['resume', id]).code, 0, 'resume')
    t.equal(state(oci, id).status, 'running')

    const list = oci.run(['list', '--format', 'json'])
    t.match(JSON.parse(list.stdout), [{ id, pid, status: 'running' }], 'list --format json')
    t.match(oci.run(['list']).stdout, new RegExp(`^ID\\s+PID\\s+STATUS\\s+BUNDLE\\s+CREATED\\s+OWNER\\n${id}\\s+${pid}\\s+running`), 'list: runc\'s table')

    const refused = oci.run(['delete', id])
    t.equal(refused.code, 1)
    t.match(refused.stderr, `cannot delete container ${id} that is not stopped: running`)

    t.equal(oci.run(['kill', id, 'KILL']).code, 0, 'kill ID KILL')
    t.ok(await eventually(() => !alive(pid), 5000), 'the init is gone')
    t.equal(state(oci, id).status, 'stopped')
    t.match(oci.run(['kill', id, '9']).stderr, /container not running/, 'kill of a stopped container: runc\'s words')
    t.equal(oci.run(['delete', id]).code, 0)
    await assertNoLeaks(t, before)
  })

  t.test('exec: a repeated process is planned once (the cache); an edited config.json or another process is planned afresh', async (t) => {
    const before = snapshotHost()
    const oci = ociFixture(t)
    const id = uniqueName('oc')
    const bundle = oci.bundle(bundleConfig(['/bin/sleep', '300'], (c) => ((c.process as Json).env as string[]).push('WHO=first')))
    t.equal(oci.run(['run', '--detach', '--bundle', bundle, id]).code, 0)
    // RACY_MS in plan/plan-cache.ts: config.json must be older before an entry is stored.
    await new Promise((resolve) => setTimeout(resolve, 2100))
    const traced = { env: { LITE_TRACE: '1' } }
    const outcome = (stderr: string) => /plan cache: (.*)/.exec(stderr)?.[1] ?? `(no trace line) ${stderr}`
    // podman writes the process to a new temp file for every exec: the key is its content.
    let files = 0
    const withProcess = (args: string[]) => {
      const file = join(bundle, `process-${++files}.json`)
      writeFileSync(file, JSON.stringify({ ...(bundleConfig([]).process as Json), args }))
      return oci.run(['exec', '--process', file, id], traced)
    }
    const a = withProcess(['/bin/echo', 'one'])
    t.equal(a.stdout, 'one\n', a.stderr)
    t.match(outcome(a.stderr), /^miss \(no entry; stored\)$/)
    const b = withProcess(['/bin/echo', 'one'])
    t.equal(b.stdout, 'one\n', 'the cached plan runs the same process')
    t.equal(outcome(b.stderr), 'hit', 'the same process from another file')
    const c = withProcess(['/bin/echo', 'two'])
    t.equal(c.stdout, 'two\n', 'another process: its own plan')
    t.match(outcome(c.stderr), /^miss \(no entry; stored\)$/)
    t.equal(outcome(withProcess(['/bin/echo', 'one']).stderr), 'hit', 'the first process keeps its entry')
    t.ok(readdirSync(join(oci.root, id)).some((n) => n.startsWith('oci-exec-')), "the entry is in the container's own dir")
    // The flags' form takes the env of config.json's process: an edit shows at the next exec.
    const flags = () => oci.run(['exec', id, '/bin/sh', '-c', 'echo $WHO'], traced)
    t.equal(flags().stdout, 'first\n')
    t.equal(outcome(flags().stderr), 'hit')
    const config = readFileSync(join(bundle, 'config.json'), 'utf8')
    writeFileSync(join(bundle, 'config.json'), config.replace('WHO=first', 'WHO=second'))
    const edited = flags()
    t.equal(edited.stdout, 'second\n', 'the edited config.json, never the cached plan')
    t.match(outcome(edited.stderr), /^miss \(changed: .*config\.json; .*changed just now\)$/)
    t.equal(oci.run(['delete', '--force', id]).code, 0)
    t.notOk(existsSync(join(oci.root, id)), 'delete takes the entry with the container')
    await assertNoLeaks(t, before)
  })

  t.test("crun spec's ambient capabilities without inheritable ones: not raised, as crun and runc do", async (t) => {
    const before = snapshotHost()
    const oci = ociFixture(t)
    const id = uniqueName('oc')
    const caps = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']
    const bundle = oci.bundle(bundleConfig(['/bin/sh', '-c', 'grep -E "^Cap(Inh|Prm|Amb)" /proc/self/status'], (c) => {
      ;(c.process as Json).capabilities = { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: caps }
    }))
    const r = oci.run(['run', '--bundle', bundle, id])
    t.equal(r.code, 0, r.stderr)
    t.equal(r.stdout, 'CapInh:\t0000000000000000\nCapPrm:\t0000000020000420\nCapAmb:\t0000000000000000\n')
    t.match(r.stderr, /warning: \.process\.capabilities\.ambient: not raised, as they are not both permitted and inheritable: CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE/)
    await assertNoLeaks(t, before)
  })

  t.test('delete of a created container, and delete --force of a running one', async (t) => {
    const before = snapshotHost()
    const oci = ociFixture(t)
    const a = uniqueName('oc')
    const b = uniqueName('oc')
    const bundle = oci.bundle(bundleConfig(['/bin/sleep', '300']))
    t.equal(oci.run(['create', '--bundle', bundle, a]).code, 0)
    const pid = state(oci, a).pid as number
    t.equal(oci.run(['delete', a]).code, 0, 'a created, never started container is deleted')
    t.notOk(alive(pid), 'and its waiting init is gone')
    t.equal(oci.run(['run', '-d', '--bundle', bundle, b]).code, 0)
    t.equal(oci.run(['delete', '--force', b]).code, 0, 'delete --force of a running one')
    t.same(oci.run(['list', '-q']).stdout, '', 'nothing listed')
    await assertNoLeaks(t, before)
  })

  t.test('run in the foreground: the exit code, and --log in json', async (t) => {
    const before = snapshotHost()
    const oci = ociFixture(t)
    const bundle = oci.bundle(bundleConfig(['/bin/sh', '-c', 'echo out; exit 3']))
    const r = oci.run(['run', '--bundle', bundle, uniqueName('oc')])
    t.equal(r.code, 3, `the container's code: ${r.stderr}`)
    t.equal(r.stdout, 'out\n', 'stdio goes straight to the container')
    // A supervisor's SIGTERM to lite-oci reaches the container.
    const trapping = oci.bundle(bundleConfig(['/bin/sh', '-c', 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.1; done']))
    const { spawn } = await import('node:child_process')
    const fg = spawn(LITE, ['oci', '--root', oci.root, 'run', '--bundle', trapping, uniqueName('oc')], { stdio: ['ignore', 'pipe', 'inherit'] })
    t.teardown(() => void fg.kill('SIGKILL'))
    let fgOut = ''
    fg.stdout!.on('data', (b: Buffer) => (fgOut += b.toString()))
    const fgExit = new Promise<number | null>((resolve) => fg.on('exit', (code) => resolve(code)))
    t.ok(await eventually(() => fgOut.includes('ready'), 5000), 'the foreground container runs')
    fg.kill('SIGTERM')
    t.equal(await fgExit, 7, 'SIGTERM to lite-oci run is forwarded; it exits with the container\'s code')
    t.match(fgOut, /got-term/)
    const owned = oci.bundle(bundleConfig(['/bin/stat', '-c', '%u:%g %a %t:%T', '/dev/owned'], (c) => {
      ;(c.linux as Json).devices = [{ path: '/dev/owned', type: 'c', major: 1, minor: 3, fileMode: 0o620, uid: 1000, gid: 5 }]
    }))
    const d = oci.run(['run', '--bundle', owned, uniqueName('oc')])
    t.equal(d.stdout, '1000:5 620 1:3\n', `linux.devices: the node, its mode and its owner: ${d.stderr}`)
    const missing = oci.bundle(bundleConfig(['/no/such/program']))
    const log = join(missing, 'log.json')
    const m = oci.run(['--log', log, '--log-format', 'json', 'run', '--bundle', missing, uniqueName('oc')])
    t.equal(m.code, 1, 'a missing program fails the create, as runc')
    t.match(m.stderr, /executable file not found/)
    t.match(JSON.parse(readFileSync(log, 'utf8').trim().split('\n').pop()!), { level: 'error', msg: /executable file not found/ }, 'the last line of the json log says why (containerd reads it)')
    t.same(oci.run(['list', '-q']).stdout, '', 'nothing was left')
    await assertNoLeaks(t, before)
  })

  t.test('the pty goes to --console-socket', async (t) => {
    const before = snapshotHost()
    const oci = ociFixture(t)
    const id = uniqueName('oc')
    const bundle = oci.bundle(bundleConfig(['/bin/sh', '-c', 'tty; stty size'], (c) => {
      const p = c.process as Json
      p.terminal = true
      p.consoleSize = { height: 33, width: 101 }
    }))
    const sock = join(bundle, 'console.sock')
    // A receiver that reads the master fd and copies what the container writes.
    const receiver = `
import socket, os, sys, array
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(1)
print('ready', flush=True)
c, _ = s.accept()
msg, fds, flags, addr = socket.recv_fds(c, 1024, 1)
out = b''
try:
    while len(out) < 4096:
        b = os.read(fds[0], 1024)
        if not b: break
        out += b
except OSError: pass
print(msg.decode(), out.decode().replace('\\r', ''), flush=True)
`
    const { spawn } = await import('node:child_process')
    const py = spawn('python3', ['-c', receiver, sock], { stdio: ['ignore', 'pipe', 'inherit'] })
    t.teardown(() => void py.kill('SIGKILL'))
    let text = ''
    py.stdout.on('data', (d: Buffer) => (text += d.toString()))
    t.ok(await eventually(() => text.includes('ready'), 5000), 'the receiver listens')
    const r = oci.run(['run', '--detach', '--bundle', bundle, '--console-socket', sock, id])
    t.equal(r.code, 0, `run with a console socket: ${r.stderr}`)
    t.ok(await eventually(() => /33 101/.test(text), 5000), `the container wrote to the pty: ${text}`)
    t.match(text, /\/dev\/pts\/\d+/, 'its stdio is a pty of its own devpts')
    await eventually(() => (state(oci, id).status as string) === 'stopped', 5000)
    t.equal(oci.run(['delete', '--force', id]).code, 0)
    await assertNoLeaks(t, before)
  })

  t.test('the six hook kinds: their state on stdin, and where each runs', async (t) => {
    const before = snapshotHost()
    const oci = ociFixture(t)
    const id = uniqueName('oc')
    const dir = mkdtempSync(join(REPO, 'build', 'oci-hooks-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    // A host hook saves its stdin and the uts namespace's host name it runs in.
    const host = (kind: string) => ({ path: '/bin/sh', args: ['sh', '-c', `cat > ${dir}/${kind}.json; hostname > ${dir}/${kind}.host`] })
    const bundle = oci.bundle(bundleConfig(['/bin/sh', '-c', 'cat /tmp/start-hook'], (c) => {
      c.hooks = {
        prestart: [host('prestart')],
        createRuntime: [host('createRuntime')],
        // inside the container's namespaces but the runtime's mount namespace: a host path
        createContainer: [host('createContainer')],
        // inside the container's mount namespace too: a path of the container's rootfs
        startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'cat > /tmp/start-hook; hostname >> /tmp/start-hook'] }],
        poststart: [{ path: '/bin/false' }, host('poststart')],
        poststop: [host('poststop')],
      }
    }))
    const created = oci.run(['create', '--bundle', bundle, id])
    t.equal(created.code, 0, `create: ${created.stderr}`)
    const pid = state(oci, id).pid
    for (const kind of ['prestart', 'createRuntime', 'createContainer']) {
      t.match(JSON.parse(readFileSync(join(dir, `${kind}.json`), 'utf8')), { id, pid, status: 'created', bundle }, `${kind}: the state on stdin`)
    }
    const hostName = readFileSync('/proc/sys/kernel/hostname', 'utf8')
    t.equal(readFileSync(join(dir, 'prestart.host'), 'utf8'), hostName, 'prestart runs in the runtime\'s namespaces')
    t.equal(readFileSync(join(dir, 'createContainer.host'), 'utf8'), 'oci\n', 'createContainer runs in the container\'s uts namespace')
    const out = join(bundle, 'out')
    const fd = openSync(out, 'w')
    const started = oci.run(['start', id], { stdout: fd })
    closeSync(fd)
    t.equal(started.code, 0, `start: ${started.stderr}`)
    t.match(started.stderr, /poststart hook #0 \(\/bin\/false\) exited with 1/, 'a failing poststart hook is a warning')
    t.ok(await eventually(() => (state(oci, id).status as string) === 'stopped', 5000))
    t.match(JSON.parse(readFileSync(join(dir, 'poststart.json'), 'utf8')), { id, status: 'running' }, 'the next poststart hook ran')
    t.equal(oci.run(['delete', id]).code, 0)
    t.match(JSON.parse(readFileSync(join(dir, 'poststop.json'), 'utf8')), { id, status: 'stopped' }, 'poststop at delete')
    await assertNoLeaks(t, before)
  })

  t.test('update: new limits in the running container\'s cgroup', async (t) => {
    const before = snapshotHost()
    const oci = ociFixture(t)
    const id = uniqueName('oc')
    const bundle = oci.bundle(bundleConfig(['/bin/sleep', '300'], (c) => ((c.linux as Json).cgroupsPath = `/lite-oci-test/${id}`)))
    // The parent is the test's (lite never removes a parent): gone from every hierarchy, whatever happens.
    t.teardown(() => {
      for (const h of readdirSync('/sys/fs/cgroup')) {
        try {
          rmdirSync(join('/sys/fs/cgroup', h, 'lite-oci-test'))
        } catch {}
      }
    })
    t.equal(oci.run(['run', '-d', '--bundle', bundle, id]).code, 0)
    const pids = ['/sys/fs/cgroup/pids', '/sys/fs/cgroup/unified', '/sys/fs/cgroup'].map((m) => join(m, 'lite-oci-test', id, 'pids.max')).find((f) => existsSync(f))!
    t.equal(readFileSync(pids, 'utf8').trim(), '64', 'pids.limit from config.json')
    const u = oci.run(['update', '--pids-limit', '10', id])
    t.equal(u.code, 0, u.stderr)
    t.equal(readFileSync(pids, 'utf8').trim(), '10', 'update --pids-limit')
    const r = oci.run(['update', '--resources', '-', id], { input: JSON.stringify({ pids: { limit: 20 } }) })
    t.equal(r.code, 0, r.stderr)
    t.equal(readFileSync(pids, 'utf8').trim(), '20', 'update --resources -')
    t.equal(oci.run(['delete', '--force', id]).code, 0)
    await assertNoLeaks(t, before)
  })

  t.test('--preserve-fds: the caller\'s fds 3.. reach the container, and only those', async (t) => {
    const before = snapshotHost()
    const oci = ociFixture(t)
    const bundle = oci.bundle(bundleConfig(['/bin/sh', '-c', 'echo through-fd3 >&3; ls /proc/self/fd | wc -l']))
    const passed = join(bundle, 'fd3')
    const fd = openSync(passed, 'w')
    const r = oci.run(['run', '--preserve-fds', '1', '--bundle', bundle, uniqueName('oc')], { fds: [fd] })
    t.equal(r.code, 0, r.stderr)
    t.equal(readFileSync(passed, 'utf8'), 'through-fd3\n', 'fd 3 is the caller\'s file')
    t.equal(r.stdout.trim(), '5', 'and no other fd of lite\'s reached it (0-3, and ls\'s own)')
    const more = oci.run(['run', '--preserve-fds', '3', '--bundle', bundle, uniqueName('oc')], { fds: [fd] })
    closeSync(fd)
    t.equal(more.code, 1)
    t.match(more.stderr, /--preserve-fds 3: fd 4 (is not open|was not passed by the caller)/, 'a count beyond what was passed is refused')
    t.same(oci.run(['list', '-q']).stdout, '', 'nothing left')
    await assertNoLeaks(t, before)
  })

  t.test('lite-oci: the same binary by another name', async (t) => {
    const dir = t.testdir({})
    const link = join(dir, 'lite-oci')
    symlinkSync(LITE, link)
    const oci = ociFixture(t)
    const r = oci.run(['list', '-q'], { bin: link })
    t.equal(r.code, 0, r.stderr)
    const f = spawnSync(link, ['features'], { encoding: 'utf8' })
    t.equal(f.status, 0, f.stderr)
    t.match(JSON.parse(f.stdout), { ociVersionMin: /^1\./ }, 'features as JSON')
    const help = spawnSync(link, ['--help'], { encoding: 'utf8' })
    t.match(help.stdout, /create <id>/, 'runc\'s commands in the help')
  })

  t.test('a user namespace joined by path with its mappings (containerd\'s pods): checked against the namespace\'s own', async (t) => {
    const before = snapshotHost()
    const oci = ociFixture(t)
    // The pod's user namespace: a process in it, its maps written by root.
    const holder = spawn('unshare', ['--user', 'sleep', '60'], { stdio: 'ignore' })
    t.teardown(() => {
      holder.kill('SIGKILL')
    })
    const nsPath = `/proc/${holder.pid}/ns/user`
    t.ok(await eventually(() => existsSync(nsPath) && readlinkSync(nsPath) !== readlinkSync('/proc/self/ns/user'), 5000), 'the holder is in its own user namespace')
    writeFileSync(`/proc/${holder.pid}/uid_map`, '0 100000 65536\n')
    writeFileSync(`/proc/${holder.pid}/gid_map`, '0 100000 65536\n')
    const withMaps = (uid: number) => (c: Json) => {
      const linux = c.linux as Json
      ;(linux.namespaces as Json[]).push({ type: 'user', path: nsPath })
      linux.uidMappings = [{ containerID: 0, hostID: uid, size: 65536 }]
      linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]
    }
    const ok = oci.run(['run', '--bundle', oci.bundle(bundleConfig(['/bin/cat', '/proc/self/uid_map'], withMaps(100000))), uniqueName('oj')])
    t.equal(ok.code, 0, ok.stderr)
    t.equal(ok.stdout.trim().replace(/\s+/g, ' '), '0 100000 65536', 'the container is in the joined namespace')
    const other = oci.run(['run', '--bundle', oci.bundle(bundleConfig(['/bin/true'], withMaps(200000))), uniqueName('oj')])
    t.equal(other.code, 1)
    t.match(other.stderr, /\.linux\.uidMappings: these mappings \(0 200000 65536\) are not those of the joined user namespace \/proc\/\d+\/ns\/user \(0 100000 65536\)/)
    holder.kill('SIGKILL')
    await assertNoLeaks(t, before)
  })

  t.test('a new user namespace with its root below a 0700 dir on a shared mount: reached, and nothing mounted on it shows on the host', async (t) => {
    const oci = ociFixture(t)
    // runtime-tools' layout (a bundle in a 0700 root-owned temp dir), on a shared mount
    // as systemd makes them: the container's root (uid 100000 on the host) can't search
    // the dir, so lite hands the child the root's tree, which must not stay the host's peer.
    const shared = mkdtempSync('/tmp/lite-shared-')
    t.teardown(() => {
      spawnSync('umount', ['-l', shared])
      rmSync(shared, { recursive: true, force: true })
    })
    t.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', shared]).status, 0, 'a tmpfs')
    t.equal(spawnSync('mount', ['--make-shared', shared]).status, 0, 'made shared')
    const secret = join(shared, 'secret')
    mkdirSync(secret, { mode: 0o700 })
    const rootfs = join(secret, 'rootfs')
    t.equal(spawnSync('cp', ['-a', BUSYBOX, rootfs]).status, 0, 'the busybox rootfs copied in')
    const before = snapshotHost()
    const mapped = (args: string[]) =>
      bundleConfig(args, (c) => {
        c.root = { path: rootfs, readonly: true }
        const linux = c.linux as Json
        ;(linux.namespaces as Json[]).push({ type: 'user' })
        linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]
        linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]
      })
    const ran = oci.run(['run', '--bundle', oci.bundle(mapped(['/bin/cat', '/proc/self/uid_map'])), uniqueName('ou')])
    t.equal(ran.code, 0, ran.stderr)
    t.equal(ran.stdout.trim().replace(/\s+/g, ' '), '0 100000 65536', 'the container runs in its user namespace')

    // Created (its mounts made, the app not started), with the default propagation and
    // with rshared, which must not make the host the container's peer either.
    for (const propagation of [undefined, 'rshared']) {
      const id = uniqueName('ou')
      const config = mapped(['/bin/true'])
      if (propagation) (config.linux as Json).rootfsPropagation = propagation
      const created = oci.run(['create', '--bundle', oci.bundle(config), id])
      t.equal(created.code, 0, created.stderr)
      const hostMounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(`${rootfs}/`))
      t.same(hostMounts, [], `${propagation ?? 'default propagation'}: the container's /proc, /dev and /tmp are not on the host`)
      t.equal(oci.run(['delete', '--force', id]).code, 0)
    }
    await assertNoLeaks(t, before)
  })

  t.test('bad config.json: the JSON path at fault, exit 1, nothing left', async (t) => {
    const before = snapshotHost()
    const oci = ociFixture(t)
    const cases: [string, Json | string, RegExp][] = [
      ['wrong types', bundleConfig(['/bin/true'], (c) => ((c.process as Json).args = 'true')), /\.process\.args/],
      ['an unknown namespace type', bundleConfig(['/bin/true'], (c) => ((c.linux as Json).namespaces = [{ type: 'pidd' }])), /\.linux\.namespaces\[0\]\.type.*pidd/],
      ['a relative root that escapes the bundle', bundleConfig(['/bin/true'], (c) => (c.root = { path: '../../etc' })), /\.root\.path/],
      ['a mount onto /proc/..', bundleConfig(['/bin/true'], (c) => (c.mounts as Json[]).push({ destination: '/proc/..', type: 'tmpfs', source: 'tmpfs' })), /\.mounts\[7\]\.destination/],
      ['a memory limit of the wrong type', bundleConfig(['/bin/true'], (c) => (((c.linux as Json).resources as Json).memory = { limit: '64m' })), /\.linux\.resources\.memory\.limit/],
      ['not JSON', '{"ociVersion": "1.0.2",\n  "root": }', /config\.json.*2:/],
      ['uid mappings without a user namespace', bundleConfig(['/bin/true'], (c) => ((c.linux as Json).uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }])), /user namespace/],
    ]
    for (const [what, config, message] of cases) {
      const id = uniqueName('bad')
      const r = oci.run(['create', '--bundle', oci.bundle(config), id])
      t.equal(r.code, 1, `${what}: exit 1`)
      t.match(r.stderr, message, `${what}: ${r.stderr.trim()}`)
      t.equal(existsSync(join(oci.root, id)), false, `${what}: no record left`)
    }
    const systemd = oci.run(['--systemd-cgroup', 'create', '--bundle', oci.bundle(bundleConfig(['/bin/true'])), uniqueName('bad')])
    t.equal(systemd.code, 1)
    t.match(systemd.stderr, /systemd/, `--systemd-cgroup without systemd is refused: ${systemd.stderr.trim()}`)
    const slice = oci.run(['create', '--bundle', oci.bundle(bundleConfig(['/bin/true'], (c) => ((c.linux as Json).cgroupsPath = 'system.slice:lite:x'))), uniqueName('bad')])
    t.match(slice.stderr, /systemd/, 'so is the slice:prefix:name form')
    t.same(oci.run(['list', '-q']).stdout, '', 'nothing listed')
    await assertNoLeaks(t, before)
  })
}

