//! The one module that makes raw syscalls for the child after clone.
//!
//! `Sys` is the seam between the set-up sequence (child.rs) and the kernel: `LinuxSys`
//! calls `libc::syscall` directly (never the glibc wrappers that take locks or
//! broadcast to threads, such as setresuid), and `fake::RecordingSys` records the calls
//! so that the sequence is unit-tested without root.
//!
//! Every method must be async-signal-safe: no allocation, no locks, no panics.

use core::ffi::CStr;
use libc::{c_int, c_long, c_ulong, c_void};

/// An errno value. Kept as a plain integer so that it crosses the report socket as is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub i32);

pub type SysResult<T> = Result<T, Errno>;

pub trait Sys {
    fn prctl(&self, option: c_int, arg2: c_ulong, arg3: c_ulong) -> SysResult<c_int>;
    fn read(&self, fd: c_int, buf: &mut [u8]) -> SysResult<usize>;
    fn write(&self, fd: c_int, buf: &[u8]) -> SysResult<usize>;
    fn unshare(&self, flags: c_int) -> SysResult<()>;
    fn setns(&self, fd: c_int, nstype: c_int) -> SysResult<()>;
    /// clone(CLONE_PARENT | SIGCHLD | ns_flags): a sibling, so the new process is lite's
    /// child; with CLONE_NEW* flags it is made in new namespaces.
    fn clone_sibling(&self, ns_flags: u64) -> SysResult<libc::pid_t>;
    fn mount(
        &self,
        source: Option<&CStr>,
        target: &CStr,
        fstype: Option<&CStr>,
        flags: c_ulong,
        data: Option<&CStr>,
    ) -> SysResult<()>;
    fn umount2(&self, target: &CStr, flags: c_int) -> SysResult<()>;
    fn mkdir(&self, path: &CStr, mode: u32) -> SysResult<()>;
    fn mknod(&self, path: &CStr, mode: u32, dev: u64) -> SysResult<()>;
    fn symlink(&self, target: &CStr, linkpath: &CStr) -> SysResult<()>;
    fn open(&self, path: &CStr, flags: c_int, mode: u32) -> SysResult<c_int>;
    fn close(&self, fd: c_int) -> SysResult<()>;
    /// pipe2(O_CLOEXEC): [read end, write end].
    fn pipe_cloexec(&self) -> SysResult<[c_int; 2]>;
    fn chdir(&self, path: &CStr) -> SysResult<()>;
    fn umask(&self, mask: u32) -> u32;
    fn pivot_root(&self, new_root: &CStr, put_old: &CStr) -> SysResult<()>;
    fn sethostname(&self, name: &[u8]) -> SysResult<()>;
    fn setdomainname(&self, name: &[u8]) -> SysResult<()>;
    fn chroot(&self, path: &CStr) -> SysResult<()>;
    /// stat(2) of a path, symlinks followed (newfstatat with AT_FDCWD).
    fn stat(&self, path: &CStr) -> SysResult<FileStat>;
    /// faccessat(AT_FDCWD, path, mode): the real ids, which equal the effective ones
    /// once the child has changed them.
    fn access(&self, path: &CStr, mode: c_int) -> SysResult<()>;
    /// ppoll of one fd for POLLIN, no timeout: the revents. EINTR is the caller's.
    fn poll_in(&self, fd: c_int) -> SysResult<i16>;
    fn setrlimit(&self, resource: c_int, soft: u64, hard: u64) -> SysResult<()>;
    fn setgroups(&self, groups: &[libc::gid_t]) -> SysResult<()>;
    fn setresgid(&self, gid: libc::gid_t) -> SysResult<()>;
    fn setresuid(&self, uid: libc::uid_t) -> SysResult<()>;
    /// capset of this process's effective, permitted and inheritable sets.
    fn capset(&self, effective: u64, permitted: u64, inheritable: u64) -> SysResult<()>;
    /// seccomp(SECCOMP_SET_MODE_FILTER) with a program compiled before clone.
    fn seccomp_filter(&self, program: &[seccompiler::sock_filter]) -> SysResult<()>;
    fn ioctl(&self, fd: c_int, request: c_ulong, arg: *mut c_void) -> SysResult<c_int>;
    fn socket(&self, domain: c_int, ty: c_int, protocol: c_int) -> SysResult<c_int>;
    fn setsid(&self) -> SysResult<()>;
    fn dup3(&self, oldfd: c_int, newfd: c_int) -> SysResult<()>;
    /// Sends `tag` with one fd attached (SCM_RIGHTS).
    fn send_fd(&self, sock: c_int, tag: &[u8], fd: c_int) -> SysResult<()>;
    fn reset_signal(&self, signal: c_int) -> SysResult<()>;
    fn unblock_all_signals(&self) -> SysResult<()>;
    fn fcntl(&self, fd: c_int, cmd: c_int, arg: c_long) -> SysResult<c_int>;
    fn close_range(&self, first: u32, last: u32, flags: u32) -> SysResult<()>;
    fn getdents64(&self, fd: c_int, buf: &mut [u8]) -> SysResult<usize>;

    // Paths inside the container's root (resolve.rs): relative to a directory fd.
    fn openat(&self, dirfd: c_int, path: &CStr, flags: c_int, mode: u32) -> SysResult<c_int>;
    /// openat2 (5.6) with `struct open_how { flags, mode: 0, resolve }`.
    fn openat2(&self, dirfd: c_int, path: &CStr, flags: c_int, resolve: u64) -> SysResult<c_int>;
    fn mkdirat(&self, dirfd: c_int, name: &CStr, mode: u32) -> SysResult<()>;
    fn mknodat(&self, dirfd: c_int, name: &CStr, mode: u32, dev: u64) -> SysResult<()>;
    /// fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW): the owner of a node just made.
    fn fchownat_nofollow(&self, dirfd: c_int, name: &CStr, uid: u32, gid: u32) -> SysResult<()>;
    fn symlinkat(&self, content: &CStr, dirfd: c_int, name: &CStr) -> SysResult<()>;
    /// readlinkat(fd, "", ...) of an O_PATH|O_NOFOLLOW fd: the link's own content.
    fn readlink_fd(&self, fd: c_int, buf: &mut [u8]) -> SysResult<usize>;
    fn fstat(&self, fd: c_int) -> SysResult<FileStat>;
    /// statfs's f_type: which filesystem holds the file (PROC_SUPER_MAGIC, ...).
    fn fstatfs_type(&self, fd: c_int) -> SysResult<i64>;
    /// statfs's f_flags (ST_RDONLY, ST_NOSUID, ... : the same bits as MS_*): the flags of
    /// the mount that holds the file.
    fn fstatfs_flags(&self, fd: c_int) -> SysResult<u64>;
    fn fchdir(&self, fd: c_int) -> SysResult<()>;
    /// The raw getcwd syscall: a path outside the process's root starts "(unreachable)".
    fn getcwd(&self, buf: &mut [u8]) -> SysResult<usize>;
    /// Returns only on failure.
    fn execve(
        &self,
        path: &CStr,
        argv: *const *const libc::c_char,
        envp: *const *const libc::c_char,
    ) -> Errno;
    /// A raw clone with fork semantics (never glibc's fork: its atfork handlers take malloc locks).
    fn fork(&self) -> SysResult<libc::pid_t>;
    /// execveat(fd, "", argv, envp, AT_EMPTY_PATH): the monitor image. Returns only on
    /// failure.
    fn execveat_empty(
        &self,
        fd: c_int,
        argv: *const *const libc::c_char,
        envp: *const *const libc::c_char,
    ) -> Errno;
    fn kill(&self, pid: libc::pid_t, signal: c_int) -> SysResult<()>;
    fn exit(&self, code: c_int) -> !;

    // Parent side (spawn): newer syscalls with fallbacks, behind the same seam so that
    // the fallbacks are tested with a fake that answers ENOSYS.
    fn clone3(&self, args: &mut CloneArgs, size: usize) -> SysResult<libc::pid_t>;
    /// Legacy clone with fork semantics; `pidfd` receives a pidfd where CLONE_PIDFD works.
    fn clone_legacy(&self, flags: u64, pidfd: &mut c_int) -> SysResult<libc::pid_t>;
    fn pidfd_open(&self, pid: libc::pid_t) -> SysResult<c_int>;
    fn pidfd_send_signal(&self, pidfd: c_int, signal: c_int) -> SysResult<()>;

    // User namespaces (userns.rs, and the child's GO): id-mapped mounts made by lite
    // and handed to the child, which moves them into place.
    /// recvmsg of one message into `buf`, with up to `fds.len()` SCM_RIGHTS fds (made
    /// CLOEXEC): (bytes, fds received). Fds beyond `fds.len()` are closed.
    fn recv_with_fds(
        &self,
        sock: c_int,
        buf: &mut [u8],
        fds: &mut [c_int],
    ) -> SysResult<(usize, usize)>;
    /// move_mount(from, "", to, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) (5.2).
    fn move_mount_fd(&self, from: c_int, to: c_int) -> SysResult<()>;
    /// open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC [| AT_RECURSIVE]) (5.2):
    /// a detached copy of the mount at `path`.
    fn open_tree_clone(&self, path: &CStr, recursive: bool) -> SysResult<c_int>;
    /// mount_setattr(fd, "", AT_EMPTY_PATH [| AT_RECURSIVE], { attr_set, userns_fd }) (5.12).
    fn mount_setattr(
        &self,
        fd: c_int,
        recursive: bool,
        attr_set: u64,
        userns_fd: c_int,
    ) -> SysResult<()>;
    /// fsopen(fstype, FSOPEN_CLOEXEC) (5.2).
    fn fsopen(&self, fstype: &CStr) -> SysResult<c_int>;
    /// fsconfig(fd, FSCONFIG_SET_STRING, key, value, 0).
    fn fsconfig_string(&self, fd: c_int, key: &CStr, value: &CStr) -> SysResult<()>;
    /// fsconfig(fd, FSCONFIG_SET_FLAG, key, NULL, 0).
    fn fsconfig_flag(&self, fd: c_int, key: &CStr) -> SysResult<()>;
    /// fsconfig(fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0).
    fn fsconfig_create(&self, fd: c_int) -> SysResult<()>;
    /// fsmount(fd, FSMOUNT_CLOEXEC, attrs): the new superblock as a detached mount.
    fn fsmount(&self, fd: c_int, attrs: u64) -> SysResult<c_int>;
}

pub const OPEN_TREE_CLONE: u32 = 1;
pub const AT_RECURSIVE: u32 = 0x8000;
pub const MOUNT_ATTR_RDONLY: u64 = 0x1;
pub const MOUNT_ATTR_NOSUID: u64 = 0x2;
pub const MOUNT_ATTR_NODEV: u64 = 0x4;
pub const MOUNT_ATTR_NOEXEC: u64 = 0x8;
pub const MOUNT_ATTR_IDMAP: u64 = 0x0010_0000;
const MOVE_MOUNT_F_EMPTY_PATH: u32 = 0x4;
const MOVE_MOUNT_T_EMPTY_PATH: u32 = 0x40;
const FSCONFIG_SET_FLAG: u32 = 0;
const FSCONFIG_SET_STRING: u32 = 1;
const FSCONFIG_CMD_CREATE: u32 = 6;

/// The kernel's struct statfs on 64-bit arches (x86_64 and the generic layout arm64
/// uses): the libc crate leaves out f_flags.
#[repr(C)]
struct KernelStatfs {
    f_type: i64,
    f_bsize: i64,
    f_blocks: u64,
    f_bfree: u64,
    f_bavail: u64,
    f_files: u64,
    f_ffree: u64,
    f_fsid: [i32; 2],
    f_namelen: i64,
    f_frsize: i64,
    f_flags: i64,
    f_spare: [i64; 4],
}

/// struct mount_attr (MOUNT_ATTR_SIZE_VER0).
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// struct clone_args (linux/sched.h), up to the `cgroup` field (CLONE_ARGS_SIZE_VER2).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct CloneArgs {
    pub flags: u64,
    pub pidfd: u64,
    pub child_tid: u64,
    pub parent_tid: u64,
    pub exit_signal: u64,
    pub stack: u64,
    pub stack_size: u64,
    pub tls: u64,
    pub set_tid: u64,
    pub set_tid_size: u64,
    pub cgroup: u64,
}
/// What the child needs of struct stat.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileStat {
    pub mode: u32,
    pub dev: u64,
    pub ino: u64,
    pub rdev: u64,
}

pub const CLONE_ARGS_SIZE_VER0: usize = 64;
pub const CLONE_ARGS_SIZE_VER2: usize = 88;
pub const CLONE_PIDFD: u64 = 0x1000;
pub const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// The most fds one handshake message carries (the id-mapped mounts with GO).
pub const MAX_SCM_FDS: usize = 16;
/// Room for MAX_SCM_FDS fds' control message.
const SCM_BUFFER: usize = 128;
/// A control-message buffer on the stack, aligned for cmsghdr.
#[repr(C, align(8))]
struct ScmBuffer([u8; SCM_BUFFER]);

/// sendmsg of `bytes` with `fds` (at most MAX_SCM_FDS) as SCM_RIGHTS: no allocation, so
/// the child may use it too. MSG_NOSIGNAL: a closed peer is EPIPE, not SIGPIPE.
pub fn send_with_fds(sock: c_int, bytes: &[u8], fds: &[c_int]) -> SysResult<usize> {
    if fds.is_empty() || fds.len() > MAX_SCM_FDS {
        return Err(Errno(libc::EINVAL));
    }
    let mut control = ScmBuffer([0; SCM_BUFFER]);
    let mut iov = libc::iovec {
        iov_base: bytes.as_ptr() as *mut c_void,
        iov_len: bytes.len(),
    };
    let size = core::mem::size_of_val(fds) as u32;
    let mut msg: libc::msghdr = unsafe { core::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.0.as_mut_ptr() as *mut c_void;
    msg.msg_controllen = unsafe { libc::CMSG_SPACE(size) } as _;
    // SAFETY: the buffer holds CMSG_SPACE(16 fds); one header is written into it.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(size) as _;
        core::ptr::copy_nonoverlapping(
            fds.as_ptr(),
            libc::CMSG_DATA(cmsg) as *mut c_int,
            fds.len(),
        );
    }
    check(unsafe {
        libc::syscall(
            libc::SYS_sendmsg,
            sock,
            &msg as *const libc::msghdr,
            libc::MSG_NOSIGNAL,
        )
    })
    .map(|n| n as usize)
}

/// Calls `each` with every SCM_RIGHTS fd of a message recvmsg filled in.
///
/// # Safety
/// `msg` must be a msghdr that recvmsg has just filled (its control buffer still alive).
pub unsafe fn for_each_scm_fd(msg: &libc::msghdr, mut each: impl FnMut(c_int)) {
    let mut cmsg = libc::CMSG_FIRSTHDR(msg);
    while !cmsg.is_null() {
        if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
            let data = libc::CMSG_DATA(cmsg) as *const c_int;
            let bytes = ((*cmsg).cmsg_len as usize).saturating_sub(data as usize - cmsg as usize);
            for i in 0..bytes / core::mem::size_of::<c_int>() {
                each(core::ptr::read_unaligned(data.add(i)));
            }
        }
        cmsg = libc::CMSG_NXTHDR(msg, cmsg);
    }
}

pub struct LinuxSys;

#[inline]
fn errno() -> Errno {
    Errno(unsafe { *libc::__errno_location() })
}

#[inline]
fn check(ret: c_long) -> SysResult<c_long> {
    if ret < 0 {
        Err(errno())
    } else {
        Ok(ret)
    }
}

fn opt_ptr(s: Option<&CStr>) -> *const libc::c_char {
    s.map_or(core::ptr::null(), |s| s.as_ptr())
}

// Raw capability ABI (linux/capability.h, version 3: two 32-bit words).
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: c_int,
}
#[repr(C)]
#[derive(Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}
const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

impl Sys for LinuxSys {
    fn prctl(&self, option: c_int, arg2: c_ulong, arg3: c_ulong) -> SysResult<c_int> {
        check(unsafe {
            libc::syscall(
                libc::SYS_prctl,
                option,
                arg2,
                arg3,
                0 as c_ulong,
                0 as c_ulong,
            )
        })
        .map(|r| r as c_int)
    }
    fn read(&self, fd: c_int, buf: &mut [u8]) -> SysResult<usize> {
        loop {
            match check(unsafe { libc::syscall(libc::SYS_read, fd, buf.as_mut_ptr(), buf.len()) }) {
                Err(Errno(libc::EINTR)) => continue,
                r => return r.map(|n| n as usize),
            }
        }
    }
    fn write(&self, fd: c_int, buf: &[u8]) -> SysResult<usize> {
        loop {
            match check(unsafe { libc::syscall(libc::SYS_write, fd, buf.as_ptr(), buf.len()) }) {
                Err(Errno(libc::EINTR)) => continue,
                r => return r.map(|n| n as usize),
            }
        }
    }
    fn unshare(&self, flags: c_int) -> SysResult<()> {
        check(unsafe { libc::syscall(libc::SYS_unshare, flags) }).map(drop)
    }
    fn setns(&self, fd: c_int, nstype: c_int) -> SysResult<()> {
        check(unsafe { libc::syscall(libc::SYS_setns, fd, nstype) }).map(drop)
    }
    fn clone_sibling(&self, ns_flags: u64) -> SysResult<libc::pid_t> {
        check(unsafe {
            libc::syscall(
                libc::SYS_clone,
                (libc::CLONE_PARENT | libc::SIGCHLD) as c_ulong | ns_flags as c_ulong,
                0usize,
                0usize,
                0usize,
                0usize,
            )
        })
        .map(|p| p as libc::pid_t)
    }
    fn mount(
        &self,
        source: Option<&CStr>,
        target: &CStr,
        fstype: Option<&CStr>,
        flags: c_ulong,
        data: Option<&CStr>,
    ) -> SysResult<()> {
        check(unsafe {
            libc::syscall(
                libc::SYS_mount,
                opt_ptr(source),
                target.as_ptr(),
                opt_ptr(fstype),
                flags,
                opt_ptr(data),
            )
        })
        .map(drop)
    }
    fn umount2(&self, target: &CStr, flags: c_int) -> SysResult<()> {
        check(unsafe { libc::syscall(libc::SYS_umount2, target.as_ptr(), flags) }).map(drop)
    }
    fn mkdir(&self, path: &CStr, mode: u32) -> SysResult<()> {
        check(unsafe { libc::syscall(libc::SYS_mkdirat, libc::AT_FDCWD, path.as_ptr(), mode) })
            .map(drop)
    }
    fn mknod(&self, path: &CStr, mode: u32, dev: u64) -> SysResult<()> {
        check(unsafe { libc::syscall(libc::SYS_mknodat, libc::AT_FDCWD, path.as_ptr(), mode, dev) })
            .map(drop)
    }
    fn symlink(&self, target: &CStr, linkpath: &CStr) -> SysResult<()> {
        check(unsafe {
            libc::syscall(
                libc::SYS_symlinkat,
                target.as_ptr(),
                libc::AT_FDCWD,
                linkpath.as_ptr(),
            )
        })
        .map(drop)
    }
    fn open(&self, path: &CStr, flags: c_int, mode: u32) -> SysResult<c_int> {
        loop {
            match check(unsafe {
                libc::syscall(libc::SYS_openat, libc::AT_FDCWD, path.as_ptr(), flags, mode)
            }) {
                Err(Errno(libc::EINTR)) => continue,
                r => return r.map(|fd| fd as c_int),
            }
        }
    }
    fn close(&self, fd: c_int) -> SysResult<()> {
        check(unsafe { libc::syscall(libc::SYS_close, fd) }).map(drop)
    }
    fn pipe_cloexec(&self) -> SysResult<[c_int; 2]> {
        let mut fds: [c_int; 2] = [-1, -1];
        check(unsafe { libc::syscall(libc::SYS_pipe2, fds.as_mut_ptr(), libc::O_CLOEXEC) })
            .map(|_| fds)
    }
    fn chdir(&self, path: &CStr) -> SysResult<()> {
        check(unsafe { libc::syscall(libc::SYS_chdir, path.as_ptr()) }).map(drop)
    }
    fn umask(&self, mask: u32) -> u32 {
        unsafe { libc::syscall(libc::SYS_umask, mask) as u32 }
    }
    fn pivot_root(&self, new_root: &CStr, put_old: &CStr) -> SysResult<()> {
        check(unsafe { libc::syscall(libc::SYS_pivot_root, new_root.as_ptr(), put_old.as_ptr()) })
            .map(drop)
    }
    fn sethostname(&self, name: &[u8]) -> SysResult<()> {
        check(unsafe { libc::syscall(libc::SYS_sethostname, name.as_ptr(), name.len()) }).map(drop)
    }
    fn setdomainname(&self, name: &[u8]) -> SysResult<()> {
        check(unsafe { libc::syscall(libc::SYS_setdomainname, name.as_ptr(), name.len()) })
            .map(drop)
    }
    fn chroot(&self, path: &CStr) -> SysResult<()> {
        check(unsafe { libc::syscall(libc::SYS_chroot, path.as_ptr()) }).map(drop)
    }
    fn stat(&self, path: &CStr) -> SysResult<FileStat> {
        let mut st: libc::stat = unsafe { core::mem::zeroed() };
        check(unsafe {
            libc::syscall(
                libc::SYS_newfstatat,
                libc::AT_FDCWD,
                path.as_ptr(),
                &mut st as *mut libc::stat,
                0,
            )
        })?;
        Ok(FileStat {
            mode: st.st_mode,
            dev: st.st_dev,
            ino: st.st_ino,
            rdev: st.st_rdev,
        })
    }
    fn access(&self, path: &CStr, mode: c_int) -> SysResult<()> {
        check(unsafe { libc::syscall(libc::SYS_faccessat, libc::AT_FDCWD, path.as_ptr(), mode) })
            .map(drop)
    }
    fn poll_in(&self, fd: c_int) -> SysResult<i16> {
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        check(unsafe {
            libc::syscall(
                libc::SYS_ppoll,
                &mut pfd as *mut libc::pollfd,
                1usize,
                core::ptr::null::<libc::timespec>(),
                core::ptr::null::<u64>(),
                8usize,
            )
        })?;
        Ok(pfd.revents)
    }
    fn setrlimit(&self, resource: c_int, soft: u64, hard: u64) -> SysResult<()> {
        let lim = libc::rlimit64 {
            rlim_cur: soft,
            rlim_max: hard,
        };
        check(unsafe {
            libc::syscall(
                libc::SYS_prlimit64,
                0,
                resource,
                &lim as *const libc::rlimit64,
                core::ptr::null_mut::<libc::rlimit64>(),
            )
        })
        .map(drop)
    }
    fn setgroups(&self, groups: &[libc::gid_t]) -> SysResult<()> {
        check(unsafe { libc::syscall(libc::SYS_setgroups, groups.len(), groups.as_ptr()) })
            .map(drop)
    }
    fn setresgid(&self, gid: libc::gid_t) -> SysResult<()> {
        check(unsafe { libc::syscall(libc::SYS_setresgid, gid, gid, gid) }).map(drop)
    }
    fn setresuid(&self, uid: libc::uid_t) -> SysResult<()> {
        check(unsafe { libc::syscall(libc::SYS_setresuid, uid, uid, uid) }).map(drop)
    }
    fn capset(&self, effective: u64, permitted: u64, inheritable: u64) -> SysResult<()> {
        let header = CapHeader {
            version: LINUX_CAPABILITY_VERSION_3,
            pid: 0,
        };
        let word = |shift: u32| CapData {
            effective: (effective >> shift) as u32,
            permitted: (permitted >> shift) as u32,
            inheritable: (inheritable >> shift) as u32,
        };
        let data = [word(0), word(32)];
        check(unsafe {
            libc::syscall(libc::SYS_capset, &header as *const CapHeader, data.as_ptr())
        })
        .map(drop)
    }
    fn seccomp_filter(&self, program: &[seccompiler::sock_filter]) -> SysResult<()> {
        // struct sock_fprog (linux/filter.h); sock_filter is the kernel's layout.
        #[repr(C)]
        struct SockFprog {
            len: u16,
            filter: *const seccompiler::sock_filter,
        }
        if program.is_empty() || program.len() > u16::MAX as usize {
            return Err(Errno(libc::EINVAL));
        }
        let prog = SockFprog {
            len: program.len() as u16,
            filter: program.as_ptr(),
        };
        const SECCOMP_SET_MODE_FILTER: c_ulong = 1;
        check(unsafe {
            libc::syscall(
                libc::SYS_seccomp,
                SECCOMP_SET_MODE_FILTER,
                0 as c_ulong,
                &prog as *const SockFprog,
            )
        })
        .map(drop)
    }
    // The pointer arguments below go to the kernel as they are; the kernel validates them.
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    fn ioctl(&self, fd: c_int, request: c_ulong, arg: *mut c_void) -> SysResult<c_int> {
        check(unsafe { libc::syscall(libc::SYS_ioctl, fd, request, arg) }).map(|r| r as c_int)
    }
    fn socket(&self, domain: c_int, ty: c_int, protocol: c_int) -> SysResult<c_int> {
        check(unsafe { libc::syscall(libc::SYS_socket, domain, ty, protocol) }).map(|r| r as c_int)
    }
    fn setsid(&self) -> SysResult<()> {
        check(unsafe { libc::syscall(libc::SYS_setsid) }).map(drop)
    }
    fn dup3(&self, oldfd: c_int, newfd: c_int) -> SysResult<()> {
        if oldfd == newfd {
            // dup3 refuses equal fds; the only effect wanted is clearing CLOEXEC.
            return self.fcntl(newfd, libc::F_SETFD, 0).map(drop);
        }
        check(unsafe { libc::syscall(libc::SYS_dup3, oldfd, newfd, 0) }).map(drop)
    }
    fn send_fd(&self, sock: c_int, tag: &[u8], fd: c_int) -> SysResult<()> {
        send_with_fds(sock, tag, &[fd]).map(drop)
    }
    fn reset_signal(&self, signal: c_int) -> SysResult<()> {
        // The kernel's struct sigaction (not glibc's): handler, flags, restorer, mask.
        #[repr(C)]
        struct KernelSigaction {
            handler: usize,
            flags: c_ulong,
            restorer: usize,
            mask: u64,
        }
        let act = KernelSigaction {
            handler: libc::SIG_DFL,
            flags: 0,
            restorer: 0,
            mask: 0,
        };
        check(unsafe {
            libc::syscall(
                libc::SYS_rt_sigaction,
                signal,
                &act as *const KernelSigaction,
                core::ptr::null_mut::<c_void>(),
                8usize,
            )
        })
        .map(drop)
    }
    fn unblock_all_signals(&self) -> SysResult<()> {
        let empty: u64 = 0;
        check(unsafe {
            libc::syscall(
                libc::SYS_rt_sigprocmask,
                libc::SIG_SETMASK,
                &empty as *const u64,
                core::ptr::null_mut::<u64>(),
                8usize,
            )
        })
        .map(drop)
    }
    fn fcntl(&self, fd: c_int, cmd: c_int, arg: c_long) -> SysResult<c_int> {
        check(unsafe { libc::syscall(libc::SYS_fcntl, fd, cmd, arg) }).map(|r| r as c_int)
    }
    fn close_range(&self, first: u32, last: u32, flags: u32) -> SysResult<()> {
        check(unsafe { libc::syscall(libc::SYS_close_range, first, last, flags) }).map(drop)
    }
    fn getdents64(&self, fd: c_int, buf: &mut [u8]) -> SysResult<usize> {
        check(unsafe { libc::syscall(libc::SYS_getdents64, fd, buf.as_mut_ptr(), buf.len()) })
            .map(|n| n as usize)
    }
    fn openat(&self, dirfd: c_int, path: &CStr, flags: c_int, mode: u32) -> SysResult<c_int> {
        loop {
            match check(unsafe {
                libc::syscall(libc::SYS_openat, dirfd, path.as_ptr(), flags, mode)
            }) {
                Err(Errno(libc::EINTR)) => continue,
                r => return r.map(|fd| fd as c_int),
            }
        }
    }
    fn openat2(&self, dirfd: c_int, path: &CStr, flags: c_int, resolve: u64) -> SysResult<c_int> {
        #[repr(C)]
        struct OpenHow {
            flags: u64,
            mode: u64,
            resolve: u64,
        }
        let how = OpenHow {
            flags: flags as u32 as u64,
            mode: 0,
            resolve,
        };
        loop {
            match check(unsafe {
                libc::syscall(
                    libc::SYS_openat2,
                    dirfd,
                    path.as_ptr(),
                    &how as *const OpenHow,
                    core::mem::size_of::<OpenHow>(),
                )
            }) {
                Err(Errno(libc::EINTR)) => continue,
                r => return r.map(|fd| fd as c_int),
            }
        }
    }
    fn mkdirat(&self, dirfd: c_int, name: &CStr, mode: u32) -> SysResult<()> {
        check(unsafe { libc::syscall(libc::SYS_mkdirat, dirfd, name.as_ptr(), mode) }).map(drop)
    }
    fn mknodat(&self, dirfd: c_int, name: &CStr, mode: u32, dev: u64) -> SysResult<()> {
        check(unsafe { libc::syscall(libc::SYS_mknodat, dirfd, name.as_ptr(), mode, dev) })
            .map(drop)
    }
    fn fchownat_nofollow(&self, dirfd: c_int, name: &CStr, uid: u32, gid: u32) -> SysResult<()> {
        check(unsafe {
            libc::syscall(
                libc::SYS_fchownat,
                dirfd,
                name.as_ptr(),
                uid,
                gid,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        })
        .map(drop)
    }
    fn symlinkat(&self, content: &CStr, dirfd: c_int, name: &CStr) -> SysResult<()> {
        check(unsafe { libc::syscall(libc::SYS_symlinkat, content.as_ptr(), dirfd, name.as_ptr()) })
            .map(drop)
    }
    fn readlink_fd(&self, fd: c_int, buf: &mut [u8]) -> SysResult<usize> {
        check(unsafe {
            libc::syscall(
                libc::SYS_readlinkat,
                fd,
                c"".as_ptr(),
                buf.as_mut_ptr(),
                buf.len(),
            )
        })
        .map(|n| n as usize)
    }
    fn fstat(&self, fd: c_int) -> SysResult<FileStat> {
        let mut st: libc::stat = unsafe { core::mem::zeroed() };
        check(unsafe { libc::syscall(libc::SYS_fstat, fd, &mut st as *mut libc::stat) })?;
        Ok(FileStat {
            mode: st.st_mode,
            dev: st.st_dev,
            ino: st.st_ino,
            rdev: st.st_rdev,
        })
    }
    fn fstatfs_type(&self, fd: c_int) -> SysResult<i64> {
        let mut st: libc::statfs = unsafe { core::mem::zeroed() };
        check(unsafe { libc::syscall(libc::SYS_fstatfs, fd, &mut st as *mut libc::statfs) })?;
        Ok(st.f_type as i64)
    }
    fn fstatfs_flags(&self, fd: c_int) -> SysResult<u64> {
        let mut st: KernelStatfs = unsafe { core::mem::zeroed() };
        check(unsafe { libc::syscall(libc::SYS_fstatfs, fd, &mut st as *mut KernelStatfs) })?;
        Ok(st.f_flags as u64)
    }
    fn fchdir(&self, fd: c_int) -> SysResult<()> {
        check(unsafe { libc::syscall(libc::SYS_fchdir, fd) }).map(drop)
    }
    fn getcwd(&self, buf: &mut [u8]) -> SysResult<usize> {
        check(unsafe { libc::syscall(libc::SYS_getcwd, buf.as_mut_ptr(), buf.len()) })
            .map(|n| n as usize)
    }
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    fn execve(
        &self,
        path: &CStr,
        argv: *const *const libc::c_char,
        envp: *const *const libc::c_char,
    ) -> Errno {
        unsafe { libc::syscall(libc::SYS_execve, path.as_ptr(), argv, envp) };
        errno()
    }
    fn fork(&self) -> SysResult<libc::pid_t> {
        // clone(SIGCHLD, NULL stack): a copy of this single-threaded process.
        check(unsafe {
            libc::syscall(
                libc::SYS_clone,
                libc::SIGCHLD as c_ulong,
                0usize,
                0usize,
                0usize,
                0usize,
            )
        })
        .map(|p| p as libc::pid_t)
    }
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    fn execveat_empty(
        &self,
        fd: c_int,
        argv: *const *const libc::c_char,
        envp: *const *const libc::c_char,
    ) -> Errno {
        unsafe {
            libc::syscall(
                libc::SYS_execveat,
                fd,
                c"".as_ptr(),
                argv,
                envp,
                libc::AT_EMPTY_PATH,
            )
        };
        errno()
    }
    fn kill(&self, pid: libc::pid_t, signal: c_int) -> SysResult<()> {
        check(unsafe { libc::syscall(libc::SYS_kill, pid, signal) }).map(drop)
    }
    fn clone3(&self, args: &mut CloneArgs, size: usize) -> SysResult<libc::pid_t> {
        check(unsafe { libc::syscall(libc::SYS_clone3, args as *mut CloneArgs, size) })
            .map(|p| p as libc::pid_t)
    }
    fn clone_legacy(&self, flags: u64, pidfd: &mut c_int) -> SysResult<libc::pid_t> {
        // clone(flags, stack = NULL, parent_tid = &pidfd, ...): the pidfd slot is the
        // third argument on x86_64 and aarch64 alike.
        check(unsafe {
            libc::syscall(
                libc::SYS_clone,
                flags,
                0usize,
                pidfd as *mut c_int,
                0usize,
                0usize,
            )
        })
        .map(|p| p as libc::pid_t)
    }
    fn pidfd_open(&self, pid: libc::pid_t) -> SysResult<c_int> {
        check(unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) }).map(|fd| fd as c_int)
    }
    fn pidfd_send_signal(&self, pidfd: c_int, signal: c_int) -> SysResult<()> {
        check(unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                pidfd,
                signal,
                core::ptr::null::<libc::siginfo_t>(),
                0,
            )
        })
        .map(drop)
    }
    fn recv_with_fds(
        &self,
        sock: c_int,
        buf: &mut [u8],
        fds: &mut [c_int],
    ) -> SysResult<(usize, usize)> {
        let mut control = ScmBuffer([0; SCM_BUFFER]);
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr() as *mut c_void,
            iov_len: buf.len(),
        };
        let mut msg: libc::msghdr = unsafe { core::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.0.as_mut_ptr() as *mut c_void;
        msg.msg_controllen = control.0.len() as _;
        let n = check(unsafe {
            libc::syscall(
                libc::SYS_recvmsg,
                sock,
                &mut msg as *mut libc::msghdr,
                libc::MSG_CMSG_CLOEXEC,
            )
        })? as usize;
        let mut got = 0;
        // SAFETY: msg was filled by recvmsg above.
        unsafe {
            for_each_scm_fd(&msg, |fd| {
                if got < fds.len() {
                    fds[got] = fd;
                    got += 1;
                } else {
                    libc::syscall(libc::SYS_close, fd);
                }
            })
        };
        Ok((n, got))
    }
    fn move_mount_fd(&self, from: c_int, to: c_int) -> SysResult<()> {
        check(unsafe {
            libc::syscall(
                libc::SYS_move_mount,
                from,
                c"".as_ptr(),
                to,
                c"".as_ptr(),
                MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH,
            )
        })
        .map(drop)
    }
    fn open_tree_clone(&self, path: &CStr, recursive: bool) -> SysResult<c_int> {
        let flags =
            OPEN_TREE_CLONE | libc::O_CLOEXEC as u32 | if recursive { AT_RECURSIVE } else { 0 };
        check(unsafe { libc::syscall(libc::SYS_open_tree, libc::AT_FDCWD, path.as_ptr(), flags) })
            .map(|fd| fd as c_int)
    }
    fn mount_setattr(
        &self,
        fd: c_int,
        recursive: bool,
        attr_set: u64,
        userns_fd: c_int,
    ) -> SysResult<()> {
        let attr = MountAttr {
            attr_set,
            attr_clr: 0,
            propagation: 0,
            userns_fd: userns_fd as u64,
        };
        let flags = libc::AT_EMPTY_PATH as u32 | if recursive { AT_RECURSIVE } else { 0 };
        check(unsafe {
            libc::syscall(
                libc::SYS_mount_setattr,
                fd,
                c"".as_ptr(),
                flags,
                &attr as *const MountAttr,
                core::mem::size_of::<MountAttr>(),
            )
        })
        .map(drop)
    }
    fn fsopen(&self, fstype: &CStr) -> SysResult<c_int> {
        const FSOPEN_CLOEXEC: u32 = 1;
        check(unsafe { libc::syscall(libc::SYS_fsopen, fstype.as_ptr(), FSOPEN_CLOEXEC) })
            .map(|fd| fd as c_int)
    }
    fn fsconfig_string(&self, fd: c_int, key: &CStr, value: &CStr) -> SysResult<()> {
        check(unsafe {
            libc::syscall(
                libc::SYS_fsconfig,
                fd,
                FSCONFIG_SET_STRING,
                key.as_ptr(),
                value.as_ptr(),
                0,
            )
        })
        .map(drop)
    }
    fn fsconfig_flag(&self, fd: c_int, key: &CStr) -> SysResult<()> {
        check(unsafe {
            libc::syscall(
                libc::SYS_fsconfig,
                fd,
                FSCONFIG_SET_FLAG,
                key.as_ptr(),
                core::ptr::null::<c_void>(),
                0,
            )
        })
        .map(drop)
    }
    fn fsconfig_create(&self, fd: c_int) -> SysResult<()> {
        check(unsafe {
            libc::syscall(
                libc::SYS_fsconfig,
                fd,
                FSCONFIG_CMD_CREATE,
                core::ptr::null::<libc::c_char>(),
                core::ptr::null::<c_void>(),
                0,
            )
        })
        .map(drop)
    }
    fn fsmount(&self, fd: c_int, attrs: u64) -> SysResult<c_int> {
        const FSMOUNT_CLOEXEC: u32 = 1;
        check(unsafe { libc::syscall(libc::SYS_fsmount, fd, FSMOUNT_CLOEXEC, attrs as u32) })
            .map(|fd| fd as c_int)
    }
    fn exit(&self, code: c_int) -> ! {
        unsafe { libc::syscall(libc::SYS_exit_group, code) };
        // exit_group does not return; satisfy the type without a panic path.
        loop {
            unsafe { libc::syscall(libc::SYS_exit, code) };
        }
    }
}
