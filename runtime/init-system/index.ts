// The service definitions lite can write, by init system.

import { openrcScript } from './openrc.ts'
import { procdScript } from './procd.ts'
import type { ServiceSpec } from './service.ts'
import { systemdUnit } from './systemd.ts'
import { sysvScript } from './sysv.ts'

export type InitSystem = 'sysv' | 'openrc' | 'systemd' | 'procd'

export const INIT_SYSTEMS: Record<InitSystem, { render: (s: ServiceSpec) => string; mode: number; fileName: (name: string) => string }> = {
  sysv: { render: sysvScript, mode: 0o755, fileName: (n) => `lite-${n}` },
  openrc: { render: openrcScript, mode: 0o755, fileName: (n) => `lite-${n}` },
  systemd: { render: systemdUnit, mode: 0o644, fileName: (n) => `lite-${n}.service` },
  procd: { render: procdScript, mode: 0o755, fileName: (n) => `lite-${n}` },
}
