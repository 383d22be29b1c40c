// `lite oci ...`: listed here for `lite --help`; main.ts hands every `oci` command line
// to oci/cli.ts (runc's command line) before this parser runs.
import type { CommandModule } from 'yargs'

export const oci: CommandModule = {
  command: 'oci',
  describe: 'runc\'s command line (create, start, state, kill, delete, exec, ...), for podman and containerd; also as a symlink named lite-oci',
  handler: async () => {
    const { ociMain } = await import('../oci/cli.ts')
    process.exitCode = await ociMain(['--help'])
  },
}
