// The error of a value parser, apart from the parsers (values.ts): the run path's
// modules throw it without loading every parser.

/** A bad value: its message names the value; the caller adds the key and the line. */
export class ValueError extends Error {
  override name = 'ValueError'
}
