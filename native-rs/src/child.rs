//! The child after clone: the set-up sequence, then execve.
//!
//! Bun is multithreaded, so this copy of it may hold a copy of a lock that some other
//! thread held at the moment of clone. Hence the rules here: no allocation, no
//! formatting, no panics, no glibc wrappers that take locks; only `Sys` calls on
//! memory prepared before clone. A failure writes one `ChildReport` and exits 125.
//!
//! The order follows DESIGN.md §2 (runc's and crun's order).

use core::ffi::CStr;
use libc::c_int;

use crate::plan::{Create, OpKind, Prepared, PreparedOp};
use crate::report::{ChildReport, Step, GO, PID_TAG, TTY_TAG};
use crate::sys::{Errno, Sys, SysResult};

/// How the sequence ended. A real execve never returns on success, so `Exec` is seen
/// only with the recording fake.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Exec,
    Failed(ChildReport),
}

/// The fds the child is handed by spawn.
#[derive(Clone, Copy, Debug)]
pub struct ChildFds {
    /// The child's end of the SEQPACKET socket (CLOEXEC).
    pub sock: c_int,
    /// The host's /dev/null, for fd 0 when stdin is not kept.
    pub devnull: c_int,
    /// clone3 put this process in its cgroup v2 already (CLONE_INTO_CGROUP).
    pub in_cgroup: bool,
}

const PATH_MAX: usize = 4096;

fn failed(step: Step, index: usize, errno: i32) -> Outcome {
    Outcome::Failed(ChildReport {
        step,
        index: index as u16,
        errno,
    })
}

macro_rules! step {
    ($e:expr, $step:expr, $index:expr) => {
        match $e {
            Ok(v) => v,
            Err(Errno(errno)) => return failed($step, $index as usize, errno),
        }
    };
}

/// The child's entry point: runs the sequence and never returns.
pub fn child_main<S: Sys>(p: &Prepared, sys: &S, fds: ChildFds) -> ! {
    if p.join_pid.is_some() {
        match join(p, sys, fds) {
            Joined::InContainer => {}
            Joined::Handed => sys.exit(0),
            Joined::Failed(report) => {
                let _ = sys.write(fds.sock, &report.encode());
                sys.exit(125)
            }
        }
    }
    if let Outcome::Failed(report) = run(p, sys, fds) {
        let _ = sys.write(fds.sock, &report.encode());
    }
    sys.exit(125)
}

pub enum Joined {
    /// This is the new process, inside every namespace of the container.
    InContainer,
    /// This is the joining child: its sibling's pid went to lite; it exits.
    Handed,
    Failed(ChildReport),
}

/// `lite exec`: setns into each namespace of the running container, then clone once
/// more so that the new process is inside its pid namespace too (setns of a pid
/// namespace applies to children only). CLONE_PARENT makes it lite's own child, which
/// lite (then the monitor) waits for; this child only reports its pid and exits.
pub fn join<S: Sys>(p: &Prepared, sys: &S, fds: ChildFds) -> Joined {
    for (i, &(fd, kind)) in p.join.iter().enumerate() {
        if let Err(Errno(e)) = sys.setns(fd, kind) {
            return Joined::Failed(ChildReport {
                step: Step::JoinNs,
                index: i as u16,
                errno: e,
            });
        }
    }
    match sys.clone_sibling() {
        Ok(0) => Joined::InContainer,
        Ok(pid) => {
            let mut msg = [0u8; 8];
            msg[..4].copy_from_slice(&PID_TAG);
            msg[4..].copy_from_slice(&pid.to_le_bytes());
            let _ = sys.write(fds.sock, &msg);
            Joined::Handed
        }
        Err(Errno(e)) => Joined::Failed(ChildReport {
            step: Step::JoinNs,
            index: 99,
            errno: e,
        }),
    }
}

pub fn run<S: Sys>(p: &Prepared, sys: &S, fds: ChildFds) -> Outcome {
    // 1. Die with the parent while still setting up, and keep /proc/<pid> of this copy
    //    of lite unreadable by others until exec.
    step!(
        sys.prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as _, 0),
        Step::Prctl,
        0
    );
    step!(sys.prctl(libc::PR_SET_DUMPABLE, 0, 0), Step::Prctl, 1);

    // Into the cgroups, by the child itself: "0" written to a cgroup v1 `tasks` file
    // moves the calling thread without the global threadgroup lock, whose first write
    // from another process waits out an RCU grace period (5-14 ms measured). This
    // single-threaded process is all of the container so far.
    for (i, tasks) in p.cgroup_tasks.iter().enumerate() {
        step!(write_file(sys, tasks, b"0"), Step::Cgroup, i);
    }
    if let (Some(procs), false) = (&p.cgroup_v2_procs, fds.in_cgroup) {
        step!(write_file(sys, procs, b"0"), Step::Cgroup, 99);
    }

    // Wait for GO: the parent has attached every cgroup hierarchy by then. EOF means the
    // parent is gone.
    let mut go = [0u8; 4];
    match sys.read(fds.sock, &mut go) {
        Ok(4) if go == GO => {}
        Ok(_) => return failed(Step::WaitGo, 0, libc::EPIPE),
        Err(Errno(e)) => return failed(Step::WaitGo, 0, e),
    }
    // `lite exec` joined the container's namespaces and root: nothing to build.
    if p.join_pid.is_none() {
        if p.new_cgroupns {
            step!(sys.unshare(libc::CLONE_NEWCGROUP), Step::CgroupNs, 0);
        }

        // Modes in the plan (device nodes, /dev/shm's 1777) are meant exactly.
        sys.umask(0);

        // 2-4. Filesystems: nothing propagates back to the host, then the plan's ops in order
        //      (rootfs layers, /proc, /sys, /dev, [mount] entries, /etc files).
        step!(
            sys.mount(
                None,
                c"/",
                None,
                (libc::MS_REC | libc::MS_PRIVATE) as _,
                None
            ),
            Step::MountPrivate,
            0
        );
        for (i, op) in p.ops.iter().enumerate() {
            if op.after_pivot {
                break; // prepare keeps these last
            }
            step!(fs_op(sys, p, op), Step::FsOp, i);
        }
        if p.loopback_up {
            step!(loopback_up(sys), Step::LoopbackUp, 0);
        }

        // 5. Enter the new root without a put_old directory (crun's pivot_root(".", ".")),
        //    which also works on a read-only lower.
        step!(sys.chdir(&p.new_root), Step::PivotRoot, 0);
        step!(sys.pivot_root(c".", c"."), Step::PivotRoot, 1);
        step!(sys.umount2(c".", libc::MNT_DETACH), Step::UmountOld, 0);
        step!(sys.chdir(c"/"), Step::PivotRoot, 2);

        // 6. Inside the new root: the sysctls (while /proc/sys is still writable), then the
        //    masked paths and the read-only paths, in plan order.
        for (i, op) in p.ops.iter().enumerate() {
            if op.after_pivot {
                step!(fs_op(sys, p, op), Step::FsOp, i);
            }
        }
    }

    // 7. Identity and limits.
    if let Some(name) = &p.hostname {
        step!(sys.sethostname(name), Step::Hostname, 0);
    }
    for (i, r) in p.rlimits.iter().enumerate() {
        step!(sys.setrlimit(r.resource, r.soft, r.hard), Step::Rlimit, i);
    }
    if let Some(adj) = &p.oom_score_adj {
        step!(
            write_file(sys, c"/proc/self/oom_score_adj", adj),
            Step::OomScore,
            0
        );
    }

    // 8. Without no_new_privs the kernel takes a filter only from a process with
    //    CAP_SYS_ADMIN: install it now, while the caps are all there. The filter must then
    //    allow the rest of this sequence (Docker's default does).
    if !p.no_new_privs {
        if let Some(filter) = &p.seccomp {
            step!(sys.seccomp_filter(filter), Step::Seccomp, 0);
        }
    }

    // 9. Capabilities and ids: bounding set, keep caps across the uid change, ids as raw
    //    syscalls, then permitted+effective with an empty inheritable set.
    for cap in 0..=p.last_cap.min(63) {
        if p.caps & (1u64 << cap) == 0 {
            match sys.prctl(libc::PR_CAPBSET_DROP, cap as _, 0) {
                Ok(_) => {}
                Err(Errno(libc::EINVAL)) => break, // the kernel knows no more caps
                Err(Errno(e)) => return failed(Step::CapBounding, cap as usize, e),
            }
        }
    }
    step!(sys.prctl(libc::PR_SET_KEEPCAPS, 1, 0), Step::Caps, 0);
    step!(sys.setgroups(&p.groups), Step::Groups, 0);
    step!(sys.setresgid(p.gid), Step::Gid, 0);
    step!(sys.setresuid(p.uid), Step::Uid, 0);
    // Any uid keeps the configured set as permitted and effective (KEEPCAPS kept the
    // permitted set across setresuid). With empty inheritable and ambient sets, execve
    // by a non-root uid still leaves the app none: the kernel computes the new sets
    // from the file's capabilities, and a root uid's from the bounding set.
    step!(sys.capset(p.caps), Step::Caps, 1);
    step!(sys.prctl(libc::PR_SET_KEEPCAPS, 0, 0), Step::Caps, 2);
    match sys.prctl(libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_CLEAR_ALL as _, 0) {
        Ok(_) | Err(Errno(libc::EINVAL)) => {} // no ambient set before 4.3
        Err(Errno(e)) => return failed(Step::Caps, 3, e),
    }

    // 10. no_new_privs.
    if p.no_new_privs {
        step!(
            sys.prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0),
            Step::NoNewPrivs,
            0
        );
    }

    // Terminal and stdio: a session of its own, so the outer terminal's job control
    // reaches the container only through lite.
    if p.tty {
        step!(attach_pty(sys, fds.sock), Step::Tty, 0);
    } else {
        step!(sys.setsid(), Step::Stdio, 0);
        if !p.stdin {
            step!(sys.dup3(fds.devnull, 0), Step::Stdio, 1);
        }
        // Detached: the log pipe the monitor reads.
        if let Some(out) = p.output_fd {
            step!(sys.dup3(out, 1), Step::Stdio, 5);
            step!(sys.dup3(out, 2), Step::Stdio, 6);
        }
    }

    // [exec] init = yes: this process stays PID 1 as a reaper; the app goes on as PID 2.
    if p.stub_init {
        let pid = step!(sys.fork(), Step::StubInit, 0);
        if pid > 0 {
            // The stub is a process of the container too: with no_new_privs the app
            // installs the filter just before exec (below), so the stub does it here,
            // while it can still report a failure.
            if p.no_new_privs {
                if let Some(filter) = &p.seccomp {
                    if let Err(Errno(e)) = sys.seccomp_filter(filter) {
                        let _ = sys.kill(pid, libc::SIGKILL);
                        return failed(Step::Seccomp, 1, e);
                    }
                }
            }
            // PID 1 becomes the monitor in init mode: a few KiB, where this copy of
            // lite would keep ~25 MB. Signals stay blocked through exec; it takes them
            // synchronously. Its image is CLOEXEC, like every fd of lite's.
            // No fd of lite's may live on in PID 1 (the state lock, a status pipe).
            if let Err(Errno(e)) = mark_fds_cloexec(sys) {
                let _ = sys.kill(pid, libc::SIGKILL);
                return failed(Step::CloseFds, 1, e);
            }
            if let Some(image) = p.init_exe_fd {
                let mut digits = [0u8; 12];
                let argv: [*const libc::c_char; 3] = [
                    c"lite-init".as_ptr(),
                    decimal(pid, &mut digits).as_ptr() as *const libc::c_char,
                    core::ptr::null(),
                ];
                let envp: [*const libc::c_char; 1] = [core::ptr::null()];
                let Errno(e) = sys.execveat_empty(image, argv.as_ptr(), envp.as_ptr());
                let _ = sys.kill(pid, libc::SIGKILL);
                return failed(Step::StubInit, 1, e);
            }
            let _ = sys.kill(pid, libc::SIGKILL);
            return failed(Step::StubInit, 2, libc::ENOEXEC);
        }
    }

    // 11. A clean process for the app: default signal dispositions and an empty mask
    //     (Bun ignores SIGPIPE, and an ignored signal survives exec), blocking stdio,
    //     no inherited fds.
    for sig in 1..=64 {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            continue;
        }
        match sys.reset_signal(sig) {
            Ok(()) | Err(Errno(libc::EINVAL)) => {}
            Err(Errno(e)) => return failed(Step::Signals, sig as usize, e),
        }
    }
    step!(sys.unblock_all_signals(), Step::Signals, 0);
    for fd in 0..=2 {
        step!(clear_nonblock(sys, fd), Step::Stdio, 2 + fd);
    }
    step!(mark_fds_cloexec(sys), Step::CloseFds, 0);
    step!(sys.chdir(&p.cwd), Step::Chdir, 0);
    // The app starts with Docker's umask.
    sys.umask(0o022);

    // 12. With no_new_privs, the filter goes on last, so that it need not allow lite's
    //     own set-up; only execve (and, if that fails, the report's write and exit)
    //     come after it.
    if p.no_new_privs {
        if let Some(filter) = &p.seccomp {
            step!(sys.seccomp_filter(filter), Step::Seccomp, 0);
        }
    }

    // 13. execve over the PATH candidates computed before clone (execvp may allocate).
    exec_candidates(sys, p)
}

fn exec_candidates<S: Sys>(sys: &S, p: &Prepared) -> Outcome {
    let mut eacces: Option<usize> = None;
    for (i, path) in p.exec_candidates.iter().enumerate() {
        let e = sys.execve(path, p.argv_ptrs.as_ptr(), p.envp_ptrs.as_ptr());
        match e.0 {
            0 => return Outcome::Exec,
            libc::ENOENT | libc::ENOTDIR => continue,
            // As execvp does: remember a candidate that exists but is not executable,
            // and keep looking.
            libc::EACCES => {
                eacces.get_or_insert(i);
            }
            errno => {
                return Outcome::Failed(ChildReport {
                    step: Step::Exec,
                    index: i as u16,
                    errno,
                })
            }
        }
    }
    match eacces {
        Some(i) => failed(Step::Exec, i, libc::EACCES),
        None => failed(Step::Exec, 0, libc::ENOENT),
    }
}

fn fs_op<S: Sys>(sys: &S, p: &Prepared, op: &PreparedOp) -> SysResult<()> {
    let result = match op.kind {
        OpKind::Mount => create_target(sys, op).and_then(|()| {
            let source = if op.uses_loop {
                p.loop_device.as_deref()
            } else {
                op.source.as_deref()
            };
            sys.mount(
                source,
                &op.target,
                op.fstype.as_deref(),
                op.flags,
                op.data.as_deref(),
            )
        }),
        OpKind::Mkdir => ignore_exists(sys.mkdir(&op.target, op.mode)),
        OpKind::Mknod => ignore_exists(sys.mknod(&op.target, op.mode, op.dev)),
        OpKind::Symlink => match &op.source {
            Some(content) => ignore_exists(sys.symlink(content, &op.target)),
            None => Err(Errno(libc::EINVAL)),
        },
        OpKind::Mask => mask_path(sys, &op.target),
        OpKind::Write => match &op.data {
            Some(data) => write_file(sys, &op.target, data.to_bytes()),
            None => Err(Errno(libc::EINVAL)),
        },
    };
    match result {
        // `optional`: a source or target that is not there is skipped, not an error.
        Err(Errno(libc::ENOENT)) if op.optional => Ok(()),
        r => r,
    }
}

/// Hides a path as runc does: /dev/null bound over it, which the kernel refuses with
/// ENOTDIR on a directory; a directory gets an empty read-only tmpfs instead.
fn mask_path<S: Sys>(sys: &S, target: &CStr) -> SysResult<()> {
    match sys.mount(Some(c"/dev/null"), target, None, libc::MS_BIND as _, None) {
        Err(Errno(libc::ENOTDIR)) => sys.mount(
            Some(c"tmpfs"),
            target,
            Some(c"tmpfs"),
            (libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC) as _,
            None,
        ),
        r => r,
    }
}

fn ignore_exists(r: SysResult<()>) -> SysResult<()> {
    match r {
        Err(Errno(libc::EEXIST)) => Ok(()),
        r => r,
    }
}

/// `create=dir|file`: makes the mount target and its parents when they are missing.
fn create_target<S: Sys>(sys: &S, op: &PreparedOp) -> SysResult<()> {
    if op.create == Create::None {
        return Ok(());
    }
    // Already there (possibly on a read-only lower): nothing to create.
    if let Ok(fd) = sys.open(&op.target, libc::O_PATH | libc::O_CLOEXEC, 0) {
        let _ = sys.close(fd);
        return Ok(());
    }
    let mut buf = [0u8; PATH_MAX];
    let path = op.target.to_bytes();
    if path.len() >= PATH_MAX {
        return Err(Errno(libc::ENAMETOOLONG));
    }
    buf[..path.len()].copy_from_slice(path);
    // Parents first: cut the path at each '/' in place and mkdir the prefix.
    for end in 1..path.len() {
        if buf[end] == b'/' {
            buf[end] = 0;
            ignore_exists(sys.mkdir(cstr_in(&buf[..=end]), 0o755))?;
            buf[end] = b'/';
        }
    }
    match op.create {
        Create::Dir => ignore_exists(sys.mkdir(&op.target, 0o755)),
        _ => {
            let fd = sys.open(
                &op.target,
                libc::O_CREAT | libc::O_WRONLY | libc::O_NOCTTY | libc::O_CLOEXEC,
                0o644,
            )?;
            sys.close(fd)
        }
    }
}

/// A NUL-terminated slice of a stack buffer as a CStr, without allocating.
fn cstr_in(bytes_with_nul: &[u8]) -> &CStr {
    // The caller writes the NUL at the end; from_bytes_until_nul cannot fail then.
    CStr::from_bytes_until_nul(bytes_with_nul).unwrap_or(c"/")
}

fn write_file<S: Sys>(sys: &S, path: &CStr, data: &[u8]) -> SysResult<()> {
    let fd = sys.open(path, libc::O_WRONLY | libc::O_CLOEXEC, 0)?;
    let r = sys.write(fd, data).map(drop);
    let _ = sys.close(fd);
    r
}

/// A new network namespace has `lo` down; most programs expect 127.0.0.1 to work.
fn loopback_up<S: Sys>(sys: &S) -> SysResult<()> {
    #[repr(C)]
    struct IfreqFlags {
        name: [u8; libc::IFNAMSIZ],
        flags: libc::c_short,
        _pad: [u8; 22],
    }
    let mut req = IfreqFlags {
        name: [0; libc::IFNAMSIZ],
        flags: 0,
        _pad: [0; 22],
    };
    req.name[..2].copy_from_slice(b"lo");
    let fd = sys.socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0)?;
    let ptr = &mut req as *mut IfreqFlags as *mut libc::c_void;
    let r = sys.ioctl(fd, libc::SIOCGIFFLAGS, ptr).and_then(|_| {
        req.flags |= libc::IFF_UP as libc::c_short;
        sys.ioctl(fd, libc::SIOCSIFFLAGS, ptr)
    });
    let _ = sys.close(fd);
    r.map(drop)
}

/// Opens a pty in the container's own devpts (so `tty` names a node that exists
/// inside), makes it the controlling terminal on 0-2, and sends the master back.
fn attach_pty<S: Sys>(sys: &S, sock: c_int) -> SysResult<()> {
    let master = sys.open(
        c"/dev/ptmx",
        libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        0,
    )?;
    let mut unlock: c_int = 0;
    sys.ioctl(
        master,
        libc::TIOCSPTLCK,
        &mut unlock as *mut c_int as *mut libc::c_void,
    )?;
    // TIOCGPTPEER (4.13) opens the peer without formatting a /dev/pts/N path.
    let flags = (libc::O_RDWR | libc::O_NOCTTY) as usize;
    let slave = sys.ioctl(master, libc::TIOCGPTPEER, flags as *mut libc::c_void)?;
    // The outer terminal's size (fd 0 is still lite's) before the app can ask for it:
    // the monitor's copy comes only at the handover, after the app has started, and a
    // `stty size` run first saw 0x0. Without a terminal on stdin the pty stays 0x0.
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let size_ptr = &mut size as *mut libc::winsize as *mut libc::c_void;
    if sys.ioctl(0, libc::TIOCGWINSZ, size_ptr).is_ok() {
        let _ = sys.ioctl(master, libc::TIOCSWINSZ, size_ptr);
    }
    sys.setsid()?;
    sys.ioctl(slave, libc::TIOCSCTTY, core::ptr::null_mut())?;
    for fd in 0..=2 {
        sys.dup3(slave, fd)?;
    }
    if slave > 2 {
        let _ = sys.close(slave);
    }
    sys.send_fd(sock, &TTY_TAG, master)?;
    sys.close(master)
}

fn clear_nonblock<S: Sys>(sys: &S, fd: c_int) -> SysResult<()> {
    match sys.fcntl(fd, libc::F_GETFL, 0) {
        Ok(flags) if flags & libc::O_NONBLOCK != 0 => sys
            .fcntl(fd, libc::F_SETFL, (flags & !libc::O_NONBLOCK) as _)
            .map(drop),
        Ok(_) | Err(Errno(libc::EBADF)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Marks every fd from 3 up close-on-exec. close_range(CLOEXEC) needs 5.11; older
/// kernels walk /proc/self/fd (the container's own /proc by now).
fn mark_fds_cloexec<S: Sys>(sys: &S) -> SysResult<()> {
    const CLOSE_RANGE_CLOEXEC: u32 = 1 << 2;
    match sys.close_range(3, u32::MAX, CLOSE_RANGE_CLOEXEC) {
        Ok(()) => return Ok(()),
        // Before 5.11; EPERM: a seccomp filter (installed early, without no_new_privs)
        // that does not allow it.
        Err(Errno(libc::ENOSYS)) | Err(Errno(libc::EINVAL)) | Err(Errno(libc::EPERM)) => {}
        Err(e) => return Err(e),
    }
    let dir = match sys.open(
        c"/proc/self/fd",
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        0,
    ) {
        Ok(fd) => fd,
        // No /proc in this container: fall back to a bounded sweep.
        Err(_) => {
            for fd in 3..1024 {
                let _ = sys.fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC as _);
            }
            return Ok(());
        }
    };
    let mut buf = [0u8; 1024];
    loop {
        let n = match sys.getdents64(dir, &mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                let _ = sys.close(dir);
                return Err(e);
            }
        };
        let mut off = 0;
        while off + 19 <= n {
            // struct linux_dirent64 { u64 ino; i64 off; u16 reclen; u8 type; char name[]; }
            let reclen = u16::from_ne_bytes([buf[off + 16], buf[off + 17]]) as usize;
            if reclen == 0 {
                break;
            }
            let mut fd: c_int = 0;
            let mut digits = 0;
            for &b in &buf[off + 19..(off + reclen).min(n)] {
                if !b.is_ascii_digit() {
                    break;
                }
                fd = fd.saturating_mul(10).saturating_add((b - b'0') as c_int);
                digits += 1;
            }
            if digits > 0 && fd >= 3 && fd != dir {
                let _ = sys.fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC as _);
            }
            off += reclen;
        }
    }
    sys.close(dir)
}

/// `n` as NUL-terminated decimal text in `buf`, without allocating.
fn decimal(n: libc::pid_t, buf: &mut [u8; 12]) -> &[u8] {
    let mut i = buf.len() - 1;
    buf[i] = 0;
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 || i == 0 {
            break;
        }
    }
    &buf[i..]
}

/// A wait status as a shell reports it: the exit code, or 128 + the signal.
pub fn exit_code(status: c_int) -> c_int {
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        125
    }
}
