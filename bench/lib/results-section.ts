// Writes one "## N. ..." section into bench/RESULTS.md: in place of the same heading's
// section, or before "Reading these numbers" when it is new. The section reports that
// run alone (bench/net, bench/oci) update their own part of the file this way.

import { existsSync, readFileSync, writeFileSync } from 'node:fs'

export function replaceSection(file: string, heading: string, section: string): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : ''
  const start = text.indexOf(`\n${heading}\n`)
  let next: string
  if (start >= 0) {
    const end = text.indexOf('\n## ', start + heading.length + 1)
    next = text.slice(0, start + 1) + section + (end >= 0 ? text.slice(end) : '\n')
  } else {
    const notes = text.indexOf('\n## Reading these numbers')
    next = notes >= 0 ? `${text.slice(0, notes + 1)}${section}${text.slice(notes)}` : `${text.trimEnd()}\n\n${section}\n`
  }
  writeFileSync(file, next.replace(/\n{3,}/g, '\n\n'))
}

/** The "## " sections of a results file, each with its heading line and its text up to the next one. */
export function sections(text: string): { heading: string; text: string }[] {
  const starts = [...text.matchAll(/^## .*$/gm)].map((m) => m.index!)
  return starts.map((start, i) => {
    const body = text.slice(start, starts[i + 1] ?? text.length)
    return { heading: body.slice(0, body.indexOf('\n') < 0 ? body.length : body.indexOf('\n')), text: body.trimEnd() + '\n' }
  })
}
