// lite writes to fds 1 and 2 itself (runtime/output.ts), not through process.stdout and
// process.stderr. Tests that capture those streams (t.intercept) mock output.ts with this:
// the same calls, sent to the streams at the moment of the call.

export const outputThroughStreams = {
  '../../runtime/output.ts': {
    writeAll: (fd: number, data: string | Uint8Array) => void (fd === 2 ? process.stderr : process.stdout).write(data),
    writeOut: (data: string | Uint8Array) => void process.stdout.write(data),
    writeErr: (text: string) => void process.stderr.write(text),
  },
}
