// How config errors are printed: GNU "file:line: message" lines, then a
// summary, so editors and CI can jump to the line.

import { escapeControls } from './show-text.ts'
import type { ConfigError } from './types.ts'

/**
 * "lite: error: sensor.ini:14: message", or without ":14" for line 0. Messages
 * show config text escaped already (show-text.ts); the line is escaped once more,
 * so that no control character from a file or a path ever reaches the terminal.
 */
export function formatConfigError(error: ConfigError): string {
  const where = error.line > 0 ? `${error.file}:${error.line}` : error.file
  return escapeControls(`lite: error: ${where}: ${error.message}`)
}

/**
 * Every error on its own line, then "lite: 2 errors in sensor.ini; nothing
 * was started". `file` is the config path as the user gave it. Returns ''
 * for no errors; otherwise the text ends with a newline.
 */
export function formatConfigErrors(errors: readonly ConfigError[], file: string): string {
  if (errors.length === 0) return ''
  const count = errors.length === 1 ? '1 error' : `${errors.length} errors`
  const lines = errors.map(formatConfigError)
  lines.push(escapeControls(`lite: ${count} in ${file}; nothing was started`))
  return lines.join('\n') + '\n'
}
