// lite-oci: runc's command line, so that podman (conmon), containerd's runc shim and
// k3s drive lite as their OCI runtime. Reached as `lite-oci ...` (a symlink to lite;
// program-name.ts reads the invoked name) or as `lite oci ...`.
//
// runc's parser (urfave/cli) stops at the first word after a command's own flags:
// in `exec ID sh -c x` or `ps ID -o pid`, what follows the ID is the process's, so
// that part is split off before yargs sees it.

import type { Argv, CommandModule } from 'yargs'
import { writeErr } from '../output.ts'
import pkg from '../../package.json' with { type: 'json' }
import { DEFAULT_OCI_ROOT, OciError, report, type OciGlobal } from './errors.ts'
import { parseOciFast, processIdIndex, type FastCall } from './fast-argv.ts'

interface GlobalArgs {
  root: string
  log?: string
  'log-format': string
  debug: boolean
  'systemd-cgroup': boolean
}

function globalOf(a: GlobalArgs): OciGlobal {
  const format = a['log-format']
  if (format !== 'text' && format !== 'json') throw new OciError(`invalid log format "${format}": text or json`)
  return { root: a.root, log: a.log, logFormat: format, debug: a.debug, systemdCgroup: a['systemd-cgroup'] }
}

let exitCode = 0

/** Runs a command's body with runc's error handling: message to stderr and --log, exit 1. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- yargs' parsed arguments, per command
type Parsed = any

function act(body: (a: Parsed, g: OciGlobal) => Promise<number>) {
  return async (a: Parsed) => {
    let g: OciGlobal = { root: String(a.root), logFormat: 'text', debug: false, systemdCgroup: false }
    try {
      g = globalOf(a)
      exitCode = await body(a, g)
    } catch (e) {
      exitCode = report(g, e)
    }
  }
}

/**
 * For exec and ps: the words after the container's ID go behind "--", so yargs leaves
 * them alone (`exec ID sh -c 'x'`). Other commands pass through unchanged.
 */
export function splitProcessArgs(argv: string[]): string[] {
  // yargs does not take a lone "-" as an option's value: `update --resources - ID`
  // (containerd's form) becomes `--resources=-`.
  argv = argv.flatMap((word, i) => (word === '-' && (argv[i - 1] === '--resources' || argv[i - 1] === '-r') ? [] : word === '--resources' || word === '-r' ? (argv[i + 1] === '-' ? ['--resources=-'] : [word]) : [word]))
  if (argv.includes('--')) return argv
  const id = processIdIndex(argv)
  return id === undefined ? argv : [...argv.slice(0, id + 1), '--', ...argv.slice(id + 1)]
}

const lazy = {
  create: () => import('./commands/create.ts'),
  start: () => import('./commands/start.ts'),
  run: () => import('./commands/run.ts'),
  delete: () => import('./commands/delete.ts'),
  exec: () => import('./commands/exec.ts'),
  state: () => import('./commands/state.ts'),
  list: () => import('./commands/list.ts'),
  kill: () => import('./commands/kill.ts'),
  ps: () => import('./commands/ps.ts'),
  pause: () => import('./commands/pause.ts'),
  update: () => import('./commands/update.ts'),
  features: () => import('./commands/features.ts'),
  spec: () => import('./commands/spec.ts'),
}

/** What the engines call on every container, run without yargs (fast-argv.ts). */
const FAST: Record<FastCall['command'], (a: Parsed, g: OciGlobal) => Promise<number>> = {
  create: async (a, g) => (await lazy.create()).ociCreate(a, g),
  start: async (a, g) => (await lazy.start()).ociStart(a, g),
  state: async (a, g) => (await lazy.state()).ociStateCommand(a, g),
  delete: async (a, g) => (await lazy.delete()).ociDelete(a, g),
  kill: async (a, g) => (await lazy.kill()).ociKill(a, g),
  exec: async (a, g) => (await lazy.exec()).ociExec(a, g),
}

type Cmd = CommandModule<GlobalArgs, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- each command has its own arguments

const createFlags = (y: Argv<GlobalArgs>) =>
  y
    .positional('id', { type: 'string', demandOption: true })
    .option('bundle', { alias: 'b', type: 'string', describe: 'the bundle directory (default: the current directory)' })
    .option('pid-file', { type: 'string', describe: 'write the init\'s pid here' })
    .option('console-socket', { type: 'string', describe: 'a unix socket that gets the pty master (with process.terminal)' })
    .option('no-pivot', { type: 'boolean', default: false, describe: 'enter the root with MS_MOVE and chroot instead of pivot_root' })
    .option('no-new-keyring', { type: 'boolean', default: false, describe: 'keep the caller\'s session keyring (lite never makes one)' })
    .option('preserve-fds', { type: 'number', default: 0, describe: 'pass this many fds after stdio (3..3+N-1) to the container' })

const commands: Cmd[] = [
  {
    command: 'create <id>',
    describe: 'set up a container from a bundle; its init waits for `start`',
    builder: createFlags,
    handler: act(FAST.create),
  },
  {
    command: 'run <id>',
    describe: 'create and start a container; without --detach, wait for it and exit with its code',
    builder: (y) => createFlags(y).option('detach', { alias: 'd', type: 'boolean', default: false }).option('keep', { type: 'boolean', default: false }),
    handler: act(async (a, g) => (await lazy.run()).ociRun(a, g)),
  },
  {
    command: 'start <id>',
    describe: 'let a created container\'s process run',
    builder: (y) => y.positional('id', { type: 'string', demandOption: true }),
    handler: act(FAST.start),
  },
  {
    command: 'state <id>',
    describe: 'the container\'s state as JSON (runtime spec)',
    builder: (y) => y.positional('id', { type: 'string', demandOption: true }),
    handler: act(FAST.state),
  },
  {
    command: 'kill <id> [signal]',
    describe: 'send a signal (default SIGTERM) to the init, or with --all to every process',
    builder: (y) => y.positional('id', { type: 'string', demandOption: true }).positional('signal', { type: 'string', default: 'SIGTERM' }).option('all', { alias: 'a', type: 'boolean', default: false }),
    handler: act(FAST.kill),
  },
  {
    command: 'delete <id>',
    describe: 'remove a stopped or created container (--force: a running one too)',
    builder: (y) => y.positional('id', { type: 'string', demandOption: true }).option('force', { alias: 'f', type: 'boolean', default: false }),
    handler: act(FAST.delete),
  },
  {
    command: 'exec <id> [command..]',
    describe: 'run a process in a running container (--process FILE, or the command)',
    builder: (y) =>
      y
        .positional('id', { type: 'string', demandOption: true })
        .option('process', { alias: 'p', type: 'string', describe: 'a process.json (runtime spec)' })
        .option('tty', { alias: 't', type: 'boolean', default: false })
        .option('console-socket', { type: 'string' })
        .option('detach', { alias: 'd', type: 'boolean', default: false })
        .option('pid-file', { type: 'string' })
        .option('cwd', { type: 'string' })
        .option('env', { alias: 'e', type: 'string', array: true, default: [] })
        .option('user', { alias: 'u', type: 'string', describe: 'UID[:GID]' })
        .option('additional-gids', { alias: 'g', type: 'number', array: true, default: [] })
        .option('cap', { alias: 'c', type: 'string', array: true, default: [] })
        .option('no-new-privs', { type: 'boolean', default: false })
        .option('preserve-fds', { type: 'number', default: 0 })
        .option('process-label', { type: 'string' })
        .option('apparmor', { type: 'string' }),
    handler: act(async (a, g) => (await lazy.exec()).ociExec({ ...a, args: [...((a.command as string[]) ?? []), ...((a['--'] as string[]) ?? [])].map(String) }, g)),
  },
  {
    command: 'ps <id>',
    describe: 'the processes of a container (table from ps(1), or --format json: pids)',
    builder: (y) => y.positional('id', { type: 'string', demandOption: true }).option('format', { alias: 'f', type: 'string', default: 'table' }),
    handler: act(async (a, g) => (await lazy.ps()).ociPs({ ...a, psArgs: ((a['--'] as string[]) ?? []).map(String) }, g)),
  },
  {
    command: 'list',
    describe: 'the containers under --root',
    builder: (y) => y.option('quiet', { alias: 'q', type: 'boolean', default: false }).option('format', { alias: 'f', type: 'string', default: 'table' }),
    handler: act(async (a, g) => (await lazy.list()).ociList(a, g)),
  },
  {
    command: 'pause <id>',
    describe: 'freeze every process of a container',
    builder: (y) => y.positional('id', { type: 'string', demandOption: true }),
    handler: act(async (a, g) => (await lazy.pause()).ociPause(a, g)),
  },
  {
    command: 'resume <id>',
    describe: 'thaw a paused container',
    builder: (y) => y.positional('id', { type: 'string', demandOption: true }),
    handler: act(async (a, g) => (await lazy.pause()).ociResume(a, g)),
  },
  {
    command: 'update <id>',
    describe: 'change a container\'s resource limits (--resources FILE|-, or the flags)',
    builder: (y) =>
      y
        .positional('id', { type: 'string', demandOption: true })
        .option('resources', { alias: 'r', type: 'string' })
        .option('memory', { type: 'string' })
        .option('memory-reservation', { type: 'string' })
        .option('memory-swap', { type: 'string' })
        .option('kernel-memory', { type: 'string' })
        .option('kernel-memory-tcp', { type: 'string' })
        .option('cpu-shares', { type: 'string' })
        .option('cpu-share', { type: 'string' })
        .option('cpu-burst', { type: 'string' })
        .option('cpu-idle', { type: 'string' })
        .option('l3-cache-schema', { type: 'string' })
        .option('mem-bw-schema', { type: 'string' })
        .option('cpu-quota', { type: 'string' })
        .option('cpu-period', { type: 'string' })
        .option('cpu-rt-runtime', { type: 'string' })
        .option('cpu-rt-period', { type: 'string' })
        .option('cpuset-cpus', { type: 'string' })
        .option('cpuset-mems', { type: 'string' })
        .option('pids-limit', { type: 'string' })
        .option('blkio-weight', { type: 'string' }),
    handler: act(async (a, g) => (await lazy.update()).ociUpdate(a, g)),
  },
  {
    command: 'features',
    describe: 'what this runtime supports, as JSON',
    handler: act(async (a, g) => (await lazy.features()).ociFeatures(a, g)),
  },
  {
    command: 'spec',
    describe: 'write a default config.json into the bundle',
    builder: (y) => y.option('bundle', { alias: 'b', type: 'string' }).option('rootless', { type: 'boolean', default: false }),
    handler: act(async (a, g) => (await lazy.spec()).ociSpec(a, g)),
  },
]

export async function ociMain(argv: string[]): Promise<number> {
  exitCode = 0
  const fast = parseOciFast(argv)
  if (fast) {
    await act(FAST[fast.command])({ ...fast.global, ...fast.args })
    return exitCode
  }
  const { default: yargs } = await import('yargs')
  let usage: string | undefined
  await yargs(splitProcessArgs(argv))
    .scriptName('lite-oci')
    .locale('en')
    .version(pkg.version)
    .exitProcess(false)
    .parserConfiguration({ 'populate--': true })
    .option('root', { type: 'string', default: DEFAULT_OCI_ROOT, global: true, describe: 'where containers\' state lives' })
    .option('log', { type: 'string', global: true, describe: 'also write errors and warnings to this file' })
    .option('log-format', { type: 'string', default: 'text', global: true, describe: 'text or json' })
    .option('debug', { type: 'boolean', default: false, global: true })
    .option('systemd-cgroup', { type: 'boolean', default: false, global: true, describe: 'use systemd\'s cgroup manager (refused: lite drives cgroupfs)' })
    // runc's flags that lite accepts and has no use for
    .option('rootless', { type: 'string', global: true, hidden: true })
    .option('criu', { type: 'string', global: true, hidden: true })
    .command(commands)
    .demandCommand(1, 'give a command (see lite-oci --help)')
    .strict()
    .help()
    .alias('h', 'help')
    .epilogue('runc\'s command line over lite\'s set-up engine. Errors exit 1, as runc\'s do.')
    .fail((msg, err) => {
      if (err) throw err
      usage = msg
    })
    .parseAsync()
  if (usage) {
    writeErr(`lite-oci: error: ${usage}\n`)
    return 1
  }
  return exitCode
}
