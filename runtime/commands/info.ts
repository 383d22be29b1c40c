import type { Argv, CommandModule } from 'yargs'

export const info: CommandModule<object, { json: boolean }> = {
  command: 'info',
  describe: 'show what this host offers: kernel, cgroup mode, filesystems, namespaces, addon directory, kernel features',
  builder: (y: Argv) => y.option('json', { type: 'boolean', default: false, describe: 'print JSON' }) as Argv<{ json: boolean }>,
  handler: async (args) => {
    const { probeHost, formatHostInfo } = await import('../host/info.ts')
    const { loadNative } = await import('../native/index.ts')
    let features
    try {
      features = (await loadNative()).probe()
    } catch (e) {
      process.stderr.write(`lite: warning: kernel feature probe unavailable: ${(e as Error).message}\n`)
    }
    const h = probeHost(features)
    process.stdout.write(args.json ? JSON.stringify(h, null, 2) + '\n' : formatHostInfo(h))
  },
}
