// `lite-oci list [-q] [--format table|json]`: the containers under --root, as runc
// lists them: a table padded the way Go's tabwriter pads runc's (minimum width 12,
// padding 3), the ids alone, or one JSON array of runc's container objects.

import { readFileSync, statSync } from 'node:fs'
import { posix } from 'node:path'
import { OciError, warn, type OciGlobal } from '../errors.ts'
import { userNameOf } from '../../host/passwd.ts'
import { listRecords, ociState, processIo, type OciIo, type RuncState } from '../state.ts'

/** The owner of a directory, as runc names it: the user's name, or "#UID" when it has none. */
export function ownerName(uid: number, passwd = '/etc/passwd'): string {
  let text: string | undefined
  try {
    text = readFileSync(passwd, 'utf8')
  } catch {}
  return userNameOf(uid, text) ?? `#${uid}`
}

/**
 * Go's text/tabwriter as runc sets it up (minwidth 12, tabwidth 1, padding 3, ' '):
 * every cell but a line's last is padded to its column's width, which is the widest
 * cell plus 3, and at least 12. Widths count characters, not bytes.
 */
export function tabwrite(rows: string[][], minwidth = 12, padding = 3): string {
  const len = (s: string) => [...s].length
  const columns = Math.max(0, ...rows.map((r) => r.length - 1))
  const widths = Array.from({ length: columns }, (_, i) => Math.max(minwidth, ...rows.filter((r) => i < r.length - 1).map((r) => len(r[i]!) + padding)))
  return rows.map((r) => r.map((c, i) => (i < r.length - 1 ? c + ' '.repeat(widths[i]! - len(c)) : c)).join('') + '\n').join('')
}

/** runc's container object of `list --format json` (the state's fields, owner from the directory). */
function listed(g: OciGlobal): RuncState[] {
  return listRecords(g.root, (msg) => warn(g, msg)).map((rec) => {
    const state = ociState(g.root, rec)
    let owner = state.owner
    try {
      owner = ownerName(statSync(posix.join(g.root, rec.id)).uid)
    } catch {}
    return { ...state, owner }
  })
}

export async function ociList(a: { quiet?: boolean; format?: string }, g: OciGlobal, io: OciIo = processIo): Promise<number> {
  const format = a.format ?? 'table'
  if (!a.quiet && format !== 'table' && format !== 'json') throw new OciError('invalid format option')
  const states = listed(g)
  if (a.quiet) {
    io.stdout(states.map((s) => `${s.id}\n`).join(''))
  } else if (format === 'json') {
    // runc prints null for no containers (a nil Go slice); an empty array parses the same in engines.
    io.stdout(JSON.stringify(states) + '\n')
  } else {
    const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner])]
    io.stdout(tabwrite(rows))
  }
  return 0
}
