//! Raw Linux system calls for x86_64 and aarch64: the monitor links no libc.
//! Each call returns the kernel's value, or `Err(errno)`.

use core::arch::asm;

#[cfg(target_arch = "x86_64")]
mod nr {
    pub const READ: usize = 0;
    pub const WRITE: usize = 1;
    pub const CLOSE: usize = 3;
    pub const IOCTL: usize = 16;
    pub const RT_SIGACTION: usize = 13;
    pub const RT_SIGPROCMASK: usize = 14;
    pub const GETPID: usize = 39;
    pub const SOCKET: usize = 41;
    pub const CONNECT: usize = 42;
    pub const SENDTO: usize = 44;
    pub const RECVFROM: usize = 45;
    pub const CLONE: usize = 56;
    pub const EXECVE: usize = 59;
    pub const EXIT: usize = 60;
    pub const WAIT4: usize = 61;
    pub const KILL: usize = 62;
    pub const FCNTL: usize = 72;
    pub const GETDENTS64: usize = 217;
    pub const CLOCK_GETTIME: usize = 228;
    pub const EXIT_GROUP: usize = 231;
    pub const OPENAT: usize = 257;
    pub const UNLINKAT: usize = 263;
    pub const PPOLL: usize = 271;
    pub const SIGNALFD4: usize = 289;
    pub const RENAMEAT2: usize = 316;
    pub const RT_SIGTIMEDWAIT: usize = 128;
    pub const PRCTL: usize = 157;
    pub const PIDFD_SEND_SIGNAL: usize = 424;
}

#[cfg(target_arch = "aarch64")]
mod nr {
    pub const READ: usize = 63;
    pub const WRITE: usize = 64;
    pub const CLOSE: usize = 57;
    pub const IOCTL: usize = 29;
    pub const RT_SIGACTION: usize = 134;
    pub const RT_SIGPROCMASK: usize = 135;
    pub const GETPID: usize = 172;
    pub const SOCKET: usize = 198;
    pub const CONNECT: usize = 203;
    pub const SENDTO: usize = 206;
    pub const RECVFROM: usize = 207;
    pub const CLONE: usize = 220;
    pub const EXECVE: usize = 221;
    pub const EXIT: usize = 93;
    pub const WAIT4: usize = 260;
    pub const KILL: usize = 129;
    pub const FCNTL: usize = 25;
    pub const GETDENTS64: usize = 61;
    pub const CLOCK_GETTIME: usize = 113;
    pub const EXIT_GROUP: usize = 94;
    pub const OPENAT: usize = 56;
    pub const UNLINKAT: usize = 35;
    pub const PPOLL: usize = 73;
    pub const SIGNALFD4: usize = 74;
    pub const RENAMEAT2: usize = 276;
    pub const RT_SIGTIMEDWAIT: usize = 137;
    pub const PRCTL: usize = 167;
    pub const PIDFD_SEND_SIGNAL: usize = 424;
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn syscall6(n: usize, a: usize, b: usize, c: usize, d: usize, e: usize, f: usize) -> isize {
    let ret: isize;
    asm!("syscall", inlateout("rax") n as isize => ret, in("rdi") a, in("rsi") b, in("rdx") c,
         in("r10") d, in("r8") e, in("r9") f, lateout("rcx") _, lateout("r11") _,
         options(nostack));
    ret
}

#[cfg(target_arch = "aarch64")]
#[inline(always)]
unsafe fn syscall6(n: usize, a: usize, b: usize, c: usize, d: usize, e: usize, f: usize) -> isize {
    let ret: isize;
    asm!("svc 0", in("x8") n, inlateout("x0") a as isize => ret, in("x1") b, in("x2") c,
         in("x3") d, in("x4") e, in("x5") f, options(nostack));
    ret
}

pub type Res = Result<usize, i32>;

#[inline(always)]
fn check(r: isize) -> Res {
    if (-4095..0).contains(&r) {
        Err(-r as i32)
    } else {
        Ok(r as usize)
    }
}

#[inline(always)]
fn call(n: usize, a: usize, b: usize, c: usize, d: usize, e: usize, f: usize) -> Res {
    check(unsafe { syscall6(n, a, b, c, d, e, f) })
}

pub const EINTR: i32 = 4;
pub const ECHILD: i32 = 10;
pub const EAGAIN: i32 = 11;
pub const EBUSY: i32 = 16;
pub const ENOENT: i32 = 2;
pub const ENOSYS: i32 = 38;

pub const AT_FDCWD: isize = -100;
pub const AT_REMOVEDIR: usize = 0x200;
pub const O_RDONLY: usize = 0;
pub const O_WRONLY: usize = 1;
pub const O_CREAT: usize = 0o100;
pub const O_TRUNC: usize = 0o1000;
pub const O_APPEND: usize = 0o2000;
pub const O_NONBLOCK: usize = 0o4000;
pub const O_DIRECTORY: usize = if cfg!(target_arch = "aarch64") { 0o40000 } else { 0o200000 };
pub const O_NOFOLLOW: usize = if cfg!(target_arch = "aarch64") { 0o100000 } else { 0o400000 };
pub const O_CLOEXEC: usize = 0o2000000;

pub const SIGHUP: i32 = 1;
pub const SIGINT: i32 = 2;
pub const SIGQUIT: i32 = 3;
pub const SIGKILL: i32 = 9;
pub const SIGUSR1: i32 = 10;
pub const SIGUSR2: i32 = 12;
pub const SIGTERM: i32 = 15;
pub const SIGCHLD: i32 = 17;
pub const SIGWINCH: i32 = 28;

pub const WNOHANG: usize = 1;
pub const WALL: usize = 0x4000_0000;

pub const POLLIN: i16 = 1;

pub const TCSETSW: usize = 0x5403;
pub const TIOCGWINSZ: usize = 0x5413;
pub const TIOCSWINSZ: usize = 0x5414;

#[repr(C)]
pub struct PollFd {
    pub fd: i32,
    pub events: i16,
    pub revents: i16,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: i64,
}

pub fn read(fd: i32, buf: &mut [u8]) -> Res {
    call(nr::READ, fd as usize, buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0)
}

pub fn write(fd: i32, buf: &[u8]) -> Res {
    call(nr::WRITE, fd as usize, buf.as_ptr() as usize, buf.len(), 0, 0, 0)
}

/// Writes everything, retrying on EINTR and waiting out EAGAIN (a non-blocking tty).
pub fn write_all(fd: i32, mut buf: &[u8]) -> bool {
    let mut stalls = 0;
    while !buf.is_empty() {
        match write(fd, buf) {
            Ok(0) => return false,
            Ok(n) => buf = &buf[n..],
            Err(EINTR) => {}
            Err(EAGAIN) if stalls < 1000 => {
                stalls += 1;
                let mut p = [PollFd { fd, events: 4, revents: 0 }];
                let _ = poll(&mut p, 10);
            }
            Err(_) => return false,
        }
    }
    true
}

pub fn close(fd: i32) {
    let _ = call(nr::CLOSE, fd as usize, 0, 0, 0, 0, 0);
}

/// `path` must end with a NUL byte.
pub fn openat(dir: isize, path: &[u8], flags: usize, mode: usize) -> Result<i32, i32> {
    call(nr::OPENAT, dir as usize, path.as_ptr() as usize, flags | O_CLOEXEC, mode, 0, 0).map(|fd| fd as i32)
}

pub fn unlinkat(dir: isize, path: &[u8], flags: usize) -> Res {
    call(nr::UNLINKAT, dir as usize, path.as_ptr() as usize, flags, 0, 0, 0)
}

pub fn rename(from: &[u8], to: &[u8]) -> Res {
    call(nr::RENAMEAT2, AT_FDCWD as usize, from.as_ptr() as usize, AT_FDCWD as usize, to.as_ptr() as usize, 0, 0)
}

pub fn getdents64(fd: i32, buf: &mut [u8]) -> Res {
    call(nr::GETDENTS64, fd as usize, buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0)
}

pub fn ioctl(fd: i32, req: usize, arg: usize) -> Res {
    call(nr::IOCTL, fd as usize, req, arg, 0, 0, 0)
}

pub fn fcntl(fd: i32, cmd: usize, arg: usize) -> Res {
    call(nr::FCNTL, fd as usize, cmd, arg, 0, 0, 0)
}

pub fn getpid() -> i32 {
    call(nr::GETPID, 0, 0, 0, 0, 0, 0).unwrap_or(0) as i32
}

pub fn kill(pid: i32, sig: i32) -> Res {
    call(nr::KILL, pid as isize as usize, sig as usize, 0, 0, 0, 0)
}

pub fn pidfd_send_signal(pidfd: i32, sig: i32) -> Res {
    call(nr::PIDFD_SEND_SIGNAL, pidfd as usize, sig as usize, 0, 0, 0, 0)
}

/// wait4 for `pid` (-1: any child); returns (pid, status).
pub fn wait4(pid: i32, options: usize) -> Result<(i32, i32), i32> {
    let mut status: i32 = 0;
    call(nr::WAIT4, pid as isize as usize, &mut status as *mut i32 as usize, options, 0, 0, 0).map(|p| (p as i32, status))
}

/// fork(): clone with only SIGCHLD.
pub fn fork() -> Res {
    call(nr::CLONE, SIGCHLD as usize, 0, 0, 0, 0, 0)
}

pub fn execve(path: *const u8, argv: *const *const u8, envp: *const *const u8) -> i32 {
    match call(nr::EXECVE, path as usize, argv as usize, envp as usize, 0, 0, 0) {
        Ok(_) => 0,
        Err(e) => e,
    }
}

pub fn exit(code: i32) -> ! {
    let _ = call(nr::EXIT_GROUP, code as usize, 0, 0, 0, 0, 0);
    let _ = call(nr::EXIT, code as usize, 0, 0, 0, 0, 0);
    #[allow(clippy::empty_loop)]
    loop {}
}

/// The signal mask of this thread: how = 0 block, 1 unblock, 2 set.
pub fn sigprocmask(how: usize, set: u64) -> Res {
    call(nr::RT_SIGPROCMASK, how, &set as *const u64 as usize, 0, 8, 0, 0)
}

/// SIG_IGN for `sig`: what is pending of it goes, and it stays ignored across execve.
pub fn ignore_signal(sig: i32) -> Res {
    // The kernel's struct sigaction (both arches): handler (SIG_IGN = 1), flags, restorer, mask.
    let act = [1usize, 0, 0, 0];
    call(nr::RT_SIGACTION, sig as usize, act.as_ptr() as usize, 0, 8, 0, 0)
}

pub fn signalfd(set: u64) -> Result<i32, i32> {
    const SFD_CLOEXEC: usize = O_CLOEXEC;
    const SFD_NONBLOCK: usize = O_NONBLOCK;
    call(nr::SIGNALFD4, usize::MAX, &set as *const u64 as usize, 8, SFD_CLOEXEC | SFD_NONBLOCK, 0, 0).map(|fd| fd as i32)
}

/// Waits for one of the blocked signals in `set` (init mode).
pub fn sigwait(set: u64) -> Result<i32, i32> {
    let mut info = [0u8; 128];
    call(nr::RT_SIGTIMEDWAIT, &set as *const u64 as usize, info.as_mut_ptr() as usize, 0, 8, 0, 0).map(|s| s as i32)
}

/// poll with a timeout in ms (negative: none); EINTR counts as "nothing ready".
pub fn poll(fds: &mut [PollFd], timeout_ms: i64) -> Res {
    let ts;
    let tsp = if timeout_ms < 0 {
        0
    } else {
        ts = Timespec { sec: timeout_ms / 1000, nsec: (timeout_ms % 1000) * 1_000_000 };
        &ts as *const Timespec as usize
    };
    match call(nr::PPOLL, fds.as_mut_ptr() as usize, fds.len(), tsp, 0, 8, 0) {
        Err(EINTR) => Ok(0),
        r => r,
    }
}

/// CLOCK_MONOTONIC in ms.
pub fn monotonic_ms() -> i64 {
    clock_ms(1)
}

/// CLOCK_REALTIME in seconds.
pub fn unix_seconds() -> i64 {
    clock_ms(0) / 1000
}

fn clock_ms(clock: usize) -> i64 {
    let mut ts = Timespec::default();
    let _ = call(nr::CLOCK_GETTIME, clock, &mut ts as *mut Timespec as usize, 0, 0, 0, 0);
    ts.sec * 1000 + ts.nsec / 1_000_000
}

pub fn sleep_ms(ms: i64) {
    let _ = poll(&mut [], ms);
}

pub fn set_name(name: &[u8]) {
    const PR_SET_NAME: usize = 15;
    let _ = call(nr::PRCTL, PR_SET_NAME, name.as_ptr() as usize, 0, 0, 0, 0);
}

/// A NETLINK_NETFILTER socket (nf_tables), close-on-exec and non-blocking.
pub fn netlink_netfilter() -> Result<i32, i32> {
    const AF_NETLINK: usize = 16;
    const SOCK_RAW: usize = 3;
    const NETLINK_NETFILTER: usize = 12;
    call(nr::SOCKET, AF_NETLINK, SOCK_RAW | O_CLOEXEC | O_NONBLOCK, NETLINK_NETFILTER, 0, 0, 0).map(|fd| fd as i32)
}

/// One datagram to the kernel (netlink port 0).
pub fn send_to_kernel(fd: i32, buf: &[u8]) -> Res {
    // sockaddr_nl: family AF_NETLINK, pad, pid 0, groups 0
    let addr: [u16; 6] = [16, 0, 0, 0, 0, 0];
    call(nr::SENDTO, fd as usize, buf.as_ptr() as usize, buf.len(), 0, addr.as_ptr() as usize, 12)
}

pub fn recv(fd: i32, buf: &mut [u8]) -> Res {
    call(nr::RECVFROM, fd as usize, buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0)
}

/// A datagram to syslog's /dev/log; failures are dropped (logging must not stop the
/// monitor).
pub fn syslog_send(msg: &[u8]) {
    const AF_UNIX: usize = 1;
    const SOCK_DGRAM: usize = 2;
    static mut SOCK: i32 = -1;
    // SAFETY: the monitor is single-threaded.
    unsafe {
        if SOCK < 0 {
            let Ok(fd) = call(nr::SOCKET, AF_UNIX, SOCK_DGRAM | O_CLOEXEC, 0, 0, 0, 0) else { return };
            let mut addr = [0u8; 110];
            addr[0] = AF_UNIX as u8;
            addr[2..2 + 8].copy_from_slice(b"/dev/log");
            if call(nr::CONNECT, fd, addr.as_ptr() as usize, 2 + 9, 0, 0, 0).is_err() {
                close(fd as i32);
                return;
            }
            SOCK = fd as i32;
        }
        let _ = write(SOCK, msg);
    }
}
