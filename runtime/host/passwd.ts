// The host's /etc/passwd, read for names only (lite never resolves users of the host
// for a container: an image's users come from the image, runtime/image/user.ts).

/** The name of `uid` in passwd text, or undefined when no line has it. */
export function userNameOf(uid: number, passwd: string | undefined): string | undefined {
  for (const line of (passwd ?? '').split('\n')) {
    const f = line.split(':')
    if (f.length >= 3 && f[2] === String(uid) && f[0]) return f[0]
  }
  return undefined
}

/** The uid of user `name` in passwd text, or undefined when no line has it. */
export function uidOfUser(name: string, passwd: string | undefined): number | undefined {
  for (const line of (passwd ?? '').split('\n')) {
    const f = line.split(':')
    if (f[0] === name && /^\d+$/.test(f[2] ?? '')) return Number(f[2])
  }
  return undefined
}
