// The unpacked addon's file name, apart from addon-dir.ts so that the fast run's front
// (fast-front.ts) can name it without loading the directory checks.

/**
 * The addon's name in `dir`: the build id, and the uid, since /tmp is shared and lite
 * uses only a file of its own user (another's may not be replaced there).
 */
export function addonFileName(dir: string, addonId: string, euid: number): string {
  return `${dir}/.lite-${addonId}.${euid}.node`
}
