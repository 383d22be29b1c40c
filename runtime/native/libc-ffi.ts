// libc through bun:ffi, for lite's front (fast-front.ts): it looks at a few files and
// execs the addon before any node module is loaded (node:fs alone costs a compiled Bun
// binary ~2 ms, cli.ts). The bench's probes exec through it too (ffiExecv).
//
// The exec passes the process's own environment (execv: libc's environ, which Bun
// leaves as it found it) rather than process.env: turning the environment into C
// strings in JavaScript was enough work for Bun to start two threads (strace: two
// clone3 between the statx calls and the execve), which the exec then had to end.

/** What lite's front looks at in a file's statx(2). */
export interface FileFacts {
  file: boolean
  uid: number
  mode: number
  size: number
}

export interface Libc {
  /** statx(2) of path, a link not followed; undefined when it fails */
  lstat(path: string): FileFacts | undefined
  /** write(2) of all of text to fd, as far as it goes */
  write(fd: number, text: string): void
  /** execv(3): execve(2) with this process's environment; returns only when it failed */
  execv(file: string, args: string[]): void
}

const AT_FDCWD = -100
const AT_SYMLINK_NOFOLLOW = 0x100
const STATX_BASIC_STATS = 0x7ff
// struct statx's layout is the same on every arch (include/uapi/linux/stat.h).
const STX = { uid: 20, mode: 28, size: 40, bytes: 256 }
const S_IFMT = 0o170000
const S_IFREG = 0o100000

const encoder = new TextEncoder()
const cstring = (s: string) => encoder.encode(`${s}\0`)

export async function openLibc(): Promise<Libc> {
  const { dlopen, FFIType, ptr } = await import('bun:ffi')
  // Each symbol costs a compiled trampoline: only the two every fast run calls.
  const { symbols: c } = dlopen('libc.so.6', {
    execv: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    statx: { args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.u32, FFIType.ptr], returns: FFIType.i32 },
  })
  // write(2) only for LITE_TRACE's line.
  const writer = () => dlopen('libc.so.6', { write: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64 } }).symbols.write
  /** A NULL-terminated table of pointers to `bufs`, which must outlive its use. */
  const table = (bufs: Uint8Array[]) => {
    const t = new BigUint64Array(bufs.length + 1)
    bufs.forEach((b, i) => (t[i] = BigInt(ptr(b))))
    return t
  }
  return {
    lstat(path) {
      const buf = new Uint8Array(STX.bytes)
      const name = cstring(path)
      if (c.statx(AT_FDCWD, ptr(name), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, ptr(buf)) !== 0) return undefined
      const view = new DataView(buf.buffer)
      const mode = view.getUint16(STX.mode, true)
      return { file: (mode & S_IFMT) === S_IFREG, uid: view.getUint32(STX.uid, true), mode, size: Number(view.getBigUint64(STX.size, true)) }
    },
    write(fd, text) {
      const write = writer()
      let bytes = encoder.encode(text)
      // Bounded: a short write moves on, a failure (EAGAIN included) ends it.
      for (let i = 0; i < 64 && bytes.length > 0; i++) {
        const n = Number(write(fd, ptr(bytes), BigInt(bytes.length)))
        if (n <= 0) return
        bytes = bytes.subarray(n)
      }
    },
    execv(file, args) {
      // Kept in variables: the buffers and the table must outlive the call.
      const path = cstring(file)
      const argv = args.map(cstring)
      const argTable = table(argv)
      c.execv(ptr(path), ptr(argTable))
    },
  }
}

/** execv(3) from Bun, with its environment; returns only when the exec failed. */
export async function ffiExecv(file: string, args: string[]): Promise<void> {
  ;(await openLibc()).execv(file, args)
}
