// The command list, explicit (no commandDir: bundlers cannot follow it).
import type { CommandModule } from 'yargs'
import { check } from './check.ts'
import { helpConfig } from './help-config.ts'
import { info } from './info.ts'
import { initScript } from './init-script.ts'
import { rootfs } from './rootfs.ts'
import { image } from './image.ts'
import { run } from './run.ts'
import { exec } from './exec.ts'
import { ps } from './ps.ts'
import { status } from './status.ts'
import { stop } from './stop.ts'
import { restart } from './restart.ts'
import { kill } from './kill.ts'
import { logs } from './logs.ts'
import { rm } from './rm.ts'
import { boot } from './boot.ts'
import { shutdown } from './shutdown.ts'
import { netReleaseCommand } from './net-release.ts'
import { oci } from './oci.ts'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each module has its own argument type
export const commands: CommandModule<any, any>[] = [run, exec, ps, status, stop, restart, kill, logs, rm, boot, shutdown, check, info, helpConfig, rootfs, image, initScript, oci, netReleaseCommand]
