// Everything after the app has started: relay the terminal, forward signals, escalate
// a stop to SIGKILL after stop_timeout, wait, and report how it ended.
// This is the part that moves into the tiny monitor (DESIGN.md §6): it needs only the
// container handle, the stop policy and the terminal flags.

import { constants } from 'node:os'
import type { Container } from '../native/index.ts'
import { trace } from '../trace.ts'

export interface StopPolicy {
  /** sent for a SIGTERM lite receives (a stop request), e.g. from an init system */
  stopSignal: number
  /** seconds from a stop request to SIGKILL */
  stopTimeout: number
}

export interface TerminalMode {
  tty: boolean
  interactive: boolean
}

const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const

export async function supervise(container: Container, stop: StopPolicy, term: TerminalMode): Promise<{ code: number; signal: number }> {
  let killTimer: ReturnType<typeof setTimeout> | undefined
  const handlers: [string, () => void][] = []
  for (const name of FORWARDED) {
    const handler = () => {
      const sig = name === 'SIGTERM' ? stop.stopSignal : constants.signals[name]
      try {
        container.kill(sig)
      } catch {}
      // A stop request escalates: after stop_timeout, SIGKILL (the whole pid namespace
      // dies with its init).
      if ((name === 'SIGTERM' || name === 'SIGINT') && !killTimer) {
        killTimer = setTimeout(() => {
          try {
            container.kill(constants.signals.SIGKILL)
          } catch {}
        }, stop.stopTimeout * 1000)
      }
    }
    process.on(name, handler)
    handlers.push([name, handler])
  }
  if (term.tty) {
    container.attachTerminal(term.interactive, term.interactive && !!process.stdin.isTTY)
    const resize = () => container.resizeTerminal()
    process.on('SIGWINCH', resize)
    handlers.push(['SIGWINCH', resize])
  }
  try {
    trace('wait')
    return await container.wait()
  } finally {
    if (killTimer) clearTimeout(killTimer)
    if (term.tty) container.detachTerminal(300)
    for (const [name, handler] of handlers) process.off(name, handler)
    trace('exited')
  }
}
