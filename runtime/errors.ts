// Errors that end a lite command, with the exit code they stand for.
// Docker's convention: 125 lite itself failed, 126 the command can't be run,
// 127 the command was not found; otherwise the container's own code.

export const EXIT_LITE_FAILED = 125
export const EXIT_CANNOT_EXEC = 126
export const EXIT_NOT_FOUND = 127

export class LiteError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_LITE_FAILED,
    /** Lines already formatted as "lite: error: ..." (config errors): print as is. */
    readonly preformatted = false,
  ) {
    super(message)
    this.name = 'LiteError'
  }
}

/**
 * Control characters shown as \u escapes, line breaks and tabs kept: a message quotes
 * what images, archives and registries said (an architecture, a platform, a name), and
 * an ESC or a C1 control in it would drive the terminal that shows the error.
 */
export function printable(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** The text a LiteError prints on stderr. */
export function errorText(e: LiteError): string {
  return printable(e.preformatted ? e.message : `lite: error: ${e.message}`)
}

/**
 * A command line that cannot run: thrown from yargs' .fail() (so that no handler
 * runs) or by a handler that checks a combination of options; 125 with a pointer to
 * --help.
 */
export class UsageError extends Error {}
