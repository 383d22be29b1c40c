// Signal names and numbers, as configs and `lite kill` take them.

import { quote } from './show-text.ts'
import { ValueError } from './value-error.ts'

/** Linux signal numbers shared by x86_64 and arm64 (the generic table). */
export const SIGNALS: Readonly<Record<string, number>> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10,
  SEGV: 11, USR2: 12, PIPE: 13, ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CONT: 18,
  STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26,
  PROF: 27, WINCH: 28, IO: 29, PWR: 30, SYS: 31,
}
export const SIGRTMIN = 34
export const SIGRTMAX = 64

/** SIGTERM, TERM, term, 15, SIGRTMIN+3, RTMAX-1: a signal number from 1 to 64. */
export function parseSignal(raw: string): number {
  const fail = (): never => {
    throw new ValueError(`${quote(raw)} is not a signal (use a name like SIGTERM or TERM, or a number from 1 to ${SIGRTMAX})`)
  }
  let n: number | undefined
  if (/^\d+$/.test(raw)) {
    n = Number(raw)
  } else {
    const name = raw.toUpperCase().replace(/^SIG/, '')
    const rt = /^RT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name)
    if (rt) {
      const offset = rt[3] === undefined ? 0 : Number(rt[3])
      if ((rt[1] === 'MIN' && rt[2] === '-') || (rt[1] === 'MAX' && rt[2] === '+')) fail()
      n = rt[1] === 'MIN' ? SIGRTMIN + offset : SIGRTMAX - offset
      if (n < SIGRTMIN || n > SIGRTMAX) fail()
    } else {
      n = Object.hasOwn(SIGNALS, name) ? SIGNALS[name] : undefined
    }
  }
  if (n === undefined || n < 1 || n > SIGRTMAX) return fail()
  return n
}
