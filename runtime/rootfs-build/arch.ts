// The target architectures a rootfs can be built for, and what each one means
// to the tools: Debian's name, the multiarch triple (library dirs), the ELF
// machine number, Go's GOARCH, the OCI platform and the qemu-user emulator.

export interface TargetArch {
  /** Debian's architecture name, as in `apt-get download pkg:arm64` */
  debian: 'amd64' | 'arm64'
  /** the multiarch triple: /usr/lib/<triple> */
  triple: string
  /** e_machine in the ELF header */
  elfMachine: number
  goarch: string
  /** OCI platform architecture (same spelling as Debian here) */
  oci: string
  /** the dynamic loader, as PT_INTERP names it */
  loader: string
  /** qemu-user emulator for running target binaries on another host */
  qemu: string
  /** binutils' strip, ld and nm for this target */
  strip: string
  ld: string
  nm: string
}

export const ARCHES: Record<string, TargetArch> = {
  amd64: {
    debian: 'amd64',
    triple: 'x86_64-linux-gnu',
    elfMachine: 62,
    goarch: 'amd64',
    oci: 'amd64',
    loader: '/lib64/ld-linux-x86-64.so.2',
    qemu: 'qemu-x86_64-static',
    strip: 'x86_64-linux-gnu-strip',
    ld: 'x86_64-linux-gnu-ld',
    nm: 'x86_64-linux-gnu-nm',
  },
  arm64: {
    debian: 'arm64',
    triple: 'aarch64-linux-gnu',
    elfMachine: 183,
    goarch: 'arm64',
    oci: 'arm64',
    loader: '/lib/ld-linux-aarch64.so.1',
    qemu: 'qemu-aarch64-static',
    strip: 'aarch64-linux-gnu-strip',
    ld: 'aarch64-linux-gnu-ld',
    nm: 'aarch64-linux-gnu-nm',
  },
}

/** The build host's own architecture, in Debian's spelling. */
export function hostArch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch === 'arm64' ? 'arm64' : process.arch
}

/** The directories the target's loader searches by default, in its order. */
export function defaultLibDirs(arch: TargetArch): string[] {
  return [`/lib/${arch.triple}`, `/usr/lib/${arch.triple}`, '/lib', '/usr/lib']
}
