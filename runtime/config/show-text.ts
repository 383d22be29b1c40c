// How a message shows text that came from a config (or a file it names): every
// control character escaped, so that an ESC or a newline in a config can't drive
// the terminal or forge another "lite: error:" line, and long text cut short, so
// that a 2 MiB value does not become a 2 MiB message. Every message that echoes
// config text goes through showText() or quote(); report.ts escapes whole lines
// once more as a safety net.

/** The most characters of config text a message shows before it cuts with "…". */
export const SHOWN_TEXT_LIMIT = 80

const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\', '"': '\\"' }

/**
 * C0 and C1 controls, DEL, the Unicode line and paragraph separators and the
 * bidirectional overrides (which reorder what a terminal shows).
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

function escapeChar(c: string): string {
  const named = NAMED_ESCAPES[c]
  if (named) return named
  const code = c.charCodeAt(0)
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

function escapePiece(c: string): string {
  return c === '\\' || c === '"' || CONTROL.test(c) ? escapeChar(c) : c
}

/** The escaped start of `text`, at most `budget` characters of it; `whole` if that is all of it. */
function escapedHead(text: string, budget: number): { out: string; whole: boolean } {
  let out = ''
  // by code point, so that a cut never splits a surrogate pair
  for (const c of text) {
    const piece = escapePiece(c)
    if (out.length + piece.length > budget) return { out, whole: false }
    out += piece
  }
  return { out, whole: true }
}

/** The escaped end of `text`, at most `budget` characters of it. */
function escapedTail(text: string, budget: number): string {
  // each character gives at least one, so the last `budget` are enough
  let end = text.slice(-budget)
  if (/^[\udc00-\udfff]/.test(end)) end = end.slice(1)
  const pieces = [...end].map(escapePiece)
  let out = ''
  for (let i = pieces.length - 1; i >= 0 && out.length + pieces[i]!.length <= budget; i--) out = pieces[i] + out
  return out
}

/**
 * `text` as a message shows it: controls escaped (\n, \t, \x1b, \u202e), backslash
 * and '"' escaped (so that a quoted form is unambiguous), and at most `limit`
 * characters: a longer text keeps its start and its end (where a path has its file
 * name) around a "…".
 */
export function showText(text: string, limit = SHOWN_TEXT_LIMIT): string {
  const all = escapedHead(text, limit)
  if (all.whole) return all.out
  const headBudget = Math.ceil(limit * 0.6)
  return `${escapedHead(text, headBudget).out}…${escapedTail(text, limit - headBudget - 1)}`
}

/** A value quoted for a message: "abc", escaped and cut as showText() does. */
export function quote(value: string): string {
  return `"${showText(value)}"`
}

const CONTROLS = new RegExp(CONTROL.source, 'g')

/** Only the controls escaped, nothing cut: for a whole message line. */
export function escapeControls(line: string): string {
  return line.replace(CONTROLS, escapeChar)
}
