// The name lite was started by: "lite-oci" (a symlink) speaks runc's command line. A
// compiled Bun binary's argv[0] is "bun" and its execPath resolves symlinks; argv0 is the
// kernel's argv[0], as /proc/self/cmdline has it.

/** The last component of the program's argv[0]. */
export function programName(argv0: string = process.argv0 ?? ''): string {
  return argv0.slice(argv0.lastIndexOf('/') + 1)
}
