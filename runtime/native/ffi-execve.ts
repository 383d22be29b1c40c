// execve(2) from Bun through bun:ffi: lite's front hands a warm run to the addon this way
// (fast-front.ts), and the bench's probes use it to measure what that costs. Returns
// only when the exec failed.

export async function ffiExecve(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { dlopen, FFIType, ptr } = await import('bun:ffi')
  const libc = dlopen('libc.so.6', { execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 } })
  const cstrings = (list: string[]) => list.map((s) => Buffer.from(`${s}\0`))
  const table = (bufs: Buffer[]) => {
    const t = new BigUint64Array(bufs.length + 1)
    bufs.forEach((b, i) => (t[i] = BigInt(ptr(b))))
    return t
  }
  // Kept in variables: the buffers and tables must outlive the call.
  const path = Buffer.from(`${file}\0`)
  const argv = cstrings(args)
  const envp = cstrings(Object.entries(env).map(([k, v]) => `${k}=${v}`))
  const argTable = table(argv)
  const envTable = table(envp)
  libc.symbols.execve(ptr(path), ptr(argTable), ptr(envTable))
  libc.close()
}
