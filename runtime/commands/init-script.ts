import type { Argv, CommandModule } from 'yargs'
import type { InitSystem } from '../init-system/index.ts'
import type { RestartPolicy } from '../init-system/service.ts'

interface InitScriptArgs {
  config: string
  system: InitSystem
  output?: string
  'config-path'?: string
  lite: string
  restart: RestartPolicy
}

export const initScript: CommandModule<object, InitScriptArgs> = {
  command: 'init-script <config>',
  describe: 'write a service definition (sysv, openrc, systemd, procd) that starts, stops and restarts a container',
  builder: (y: Argv) =>
    y
      .positional('config', { type: 'string', demandOption: true, describe: 'the container\'s ini file' })
      .option('system', { type: 'string', choices: ['sysv', 'openrc', 'systemd', 'procd'], demandOption: true, describe: 'the init system' })
      .option('output', { alias: 'o', type: 'string', describe: 'write to this file (mode 0755, or 0644 for a unit) instead of stdout' })
      .option('config-path', { type: 'string', describe: 'the config\'s absolute path on the target (default: its absolute path here)' })
      .option('lite', { type: 'string', default: '/usr/bin/lite', describe: 'the lite binary on the target' })
      .option('restart', { type: 'string', choices: ['no', 'on-failure', 'always'], default: 'on-failure', describe: 'restart policy, for the supervisors that restart' })
      .example('$0 init-script --system systemd configs/sensor.ini -o /etc/systemd/system/lite-sensor.service', '')
      .example('$0 init-script --system sysv --config-path /etc/lite/sensor.ini configs/sensor.ini', '') as Argv<InitScriptArgs>,
  handler: async (args) => {
    const { writeInitScript } = await import('../init-system/write.ts')
    process.exitCode = writeInitScript({
      config: args.config,
      system: args.system,
      output: args.output,
      configPath: args['config-path'],
      lite: args.lite,
      restart: args.restart,
    })
  },
}
