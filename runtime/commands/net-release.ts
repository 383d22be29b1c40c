import type { Argv, CommandModule } from 'yargs'
import { writeErr } from '../output.ts'

/** The monitor's call when a container with a bridge network has ended (not for users). */
export async function netRelease(name: string, stateRoot?: string): Promise<number> {
  const { loadNative } = await import('../native/index.ts')
  const { readState } = await import('../lifecycle/state-file.ts')
  const { STATE_ROOT } = await import('../lifecycle/state.ts')
  const { requireName } = await import('../lifecycle/registry.ts')
  const { releaseContainerNetwork } = await import('../net/release.ts')
  const { posix } = await import('node:path')
  const root = stateRoot ?? STATE_ROOT
  const state = readState(posix.join(root, requireName(name)))
  if (!state) return 0
  const problem = releaseContainerNetwork(await loadNative(), root, name, state.extra)
  if (problem) writeErr(`lite: error: ${problem}\n`)
  return problem ? 1 : 0
}

export const netReleaseCommand: CommandModule<object, { name: string; root?: string }> = {
  command: 'net-release <name> [root]',
  // Hidden: the monitor runs it when a container with a bridge network ends.
  describe: false,
  builder: (y: Argv) =>
    y.positional('name', { type: 'string', demandOption: true }).positional('root', { type: 'string' }) as Argv<{ name: string; root?: string }>,
  handler: async (args) => {
    process.exitCode = await netRelease(String(args.name), args.root)
  },
}
