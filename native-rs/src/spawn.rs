//! The parent's half of starting a container: socketpair, blocked signals, clone with
//! new namespaces (clone3 where the kernel has it), and the GO / report handshake.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use libc::c_int;

use crate::child::{child_main, ChildFds};
use crate::error::{Error, Result};
use crate::loopdev;
use crate::plan::Prepared;
use crate::report::{ChildReport, GO, NET_TAG, PID_TAG, READY_TAG, REPORT_LEN, TTY_TAG};
use crate::sys::{
    CloneArgs, Errno, LinuxSys, Sys, CLONE_ARGS_SIZE_VER0, CLONE_ARGS_SIZE_VER2, CLONE_INTO_CGROUP,
    CLONE_PIDFD,
};

/// A cloned child waiting for GO.
#[derive(Debug)]
pub struct Spawned {
    pub pid: libc::pid_t,
    pub pidfd: Option<OwnedFd>,
    /// The parent's end of the handshake socket; dropped once the child has exec'd.
    pub sock: Option<OwnedFd>,
    /// Holds the autoclear loop device until the child has mounted it (or failed).
    pub loop_fd: Option<OwnedFd>,
    /// Whether clone3 placed the child in the cgroup itself (CLONE_INTO_CGROUP).
    pub joined_cgroup: bool,
    /// Which clone path was taken, for `LITE_TRACE` and `lite info`.
    pub clone_path: ClonePath,
    /// Where the child notes the step it is in (see `Progress`).
    pub progress: Option<Progress>,
    /// A joined pid namespace: what came before the sibling's pid. A failure report
    /// (start() returns it), and the NET socket the sibling may send first.
    pub early_failure: Option<ChildReport>,
    pub early_net: Option<OwnedFd>,
}

/// One page shared with the child (MAP_SHARED survives clone without CLONE_VM): the
/// child stores its current {step, index} there, so that a start that times out can say
/// which step hung and which config line asked for it.
#[derive(Debug)]
pub struct Progress {
    page: *mut u32,
}

// The page is only read by the parent, through volatile loads.
unsafe impl Send for Progress {}

impl Progress {
    pub fn new() -> Option<Progress> {
        let page = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        (page != libc::MAP_FAILED).then_some(Progress {
            page: page as *mut u32,
        })
    }
    pub fn ptr(&self) -> *mut u32 {
        self.page
    }
    /// The step the child noted last, as a report with `errno`.
    pub fn report(&self, errno: i32) -> Option<ChildReport> {
        let (step, index) = unsafe {
            (
                std::ptr::read_volatile(self.page),
                std::ptr::read_volatile(self.page.add(1)),
            )
        };
        crate::report::Step::from_u16(step as u16).map(|step| ChildReport {
            step,
            index: index as u16,
            errno,
        })
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        unsafe { libc::munmap(self.page as *mut libc::c_void, 4096) };
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClonePath {
    Clone3,
    Clone3IntoCgroup,
    CloneWithPidfd,
    CloneThenPidfdOpen,
    ClonePidOnly,
}

impl ClonePath {
    pub fn name(self) -> &'static str {
        match self {
            ClonePath::Clone3 => "clone3",
            ClonePath::Clone3IntoCgroup => "clone3+CLONE_INTO_CGROUP",
            ClonePath::CloneWithPidfd => "clone+CLONE_PIDFD",
            ClonePath::CloneThenPidfdOpen => "clone, pidfd_open",
            ClonePath::ClonePidOnly => "clone (pid only)",
        }
    }
}

/// What the handshake ended with.
#[derive(Debug)]
pub enum StartOutcome {
    /// EOF: the app's execve succeeded; or READY (`ready`): set-up is done and the
    /// child waits on its ready fd. With a tty, the pty master came first.
    Running {
        tty_master: Option<OwnedFd>,
        ready: bool,
    },
    Failed(ChildReport),
}

/// The result of the clone call in the parent, from any of the paths.
#[derive(Debug, PartialEq, Eq)]
pub enum Cloned {
    /// `joined_cgroup`: clone3 placed this child in the cgroup (CLONE_INTO_CGROUP).
    Child { joined_cgroup: bool },
    Parent {
        pid: libc::pid_t,
        pidfd: Option<RawFd>,
        joined_cgroup: bool,
        path: ClonePath,
    },
}

/// clone3 (5.3) with CLONE_PIDFD and, when given, CLONE_INTO_CGROUP (5.7); then legacy
/// clone with CLONE_PIDFD (5.2; older kernels ignore the flag); then pidfd_open (5.3).
/// On 4.19 the result is a plain pid, which is safe for the parent: the pid cannot be
/// reused before the parent reaps it.
pub fn clone_container<S: Sys>(sys: &S, ns_flags: u64, cgroup_fd: Option<RawFd>) -> Result<Cloned> {
    let mut pidfd: c_int = -1;
    let mut args = CloneArgs {
        flags: ns_flags | CLONE_PIDFD,
        pidfd: &mut pidfd as *mut c_int as u64,
        exit_signal: libc::SIGCHLD as u64,
        ..Default::default()
    };
    let mut attempts: [(bool, ClonePath); 2] = [(false, ClonePath::Clone3); 2];
    if let Some(fd) = cgroup_fd {
        args.cgroup = fd as u64;
        attempts[0] = (true, ClonePath::Clone3IntoCgroup);
    }
    for (into_cgroup, path) in attempts {
        let (flags, size) = if into_cgroup {
            (
                ns_flags | CLONE_PIDFD | CLONE_INTO_CGROUP,
                CLONE_ARGS_SIZE_VER2,
            )
        } else {
            (ns_flags | CLONE_PIDFD, CLONE_ARGS_SIZE_VER0)
        };
        args.flags = flags;
        match sys.clone3(&mut args, size) {
            Ok(0) => {
                return Ok(Cloned::Child {
                    joined_cgroup: into_cgroup,
                })
            }
            Ok(pid) => {
                return Ok(Cloned::Parent {
                    pid,
                    pidfd: Some(pidfd),
                    joined_cgroup: into_cgroup,
                    path,
                })
            }
            // ENOSYS: no clone3. E2BIG/EINVAL with the cgroup: a kernel before 5.7.
            Err(Errno(libc::E2BIG)) | Err(Errno(libc::EINVAL)) if into_cgroup => continue,
            Err(Errno(libc::ENOSYS)) => break,
            Err(Errno(e)) => {
                return Err(Error::Os {
                    what: "clone3",
                    errno: e,
                })
            }
        }
    }
    pidfd = -1;
    let pid = match sys.clone_legacy(ns_flags | CLONE_PIDFD | libc::SIGCHLD as u64, &mut pidfd) {
        Ok(0) => {
            return Ok(Cloned::Child {
                joined_cgroup: false,
            })
        }
        Ok(pid) => pid,
        Err(Errno(e)) => {
            return Err(Error::Os {
                what: "clone",
                errno: e,
            })
        }
    };
    if pidfd >= 0 {
        return Ok(Cloned::Parent {
            pid,
            pidfd: Some(pidfd),
            joined_cgroup: false,
            path: ClonePath::CloneWithPidfd,
        });
    }
    match sys.pidfd_open(pid) {
        Ok(fd) => Ok(Cloned::Parent {
            pid,
            pidfd: Some(fd),
            joined_cgroup: false,
            path: ClonePath::CloneThenPidfdOpen,
        }),
        Err(_) => Ok(Cloned::Parent {
            pid,
            pidfd: None,
            joined_cgroup: false,
            path: ClonePath::ClonePidOnly,
        }),
    }
}

fn socketpair() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as c_int; 2];
    let r = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    if r < 0 {
        return Err(Error::last_os("socketpair"));
    }
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn open_cloexec(path: &std::ffi::CStr, flags: c_int, what: &'static str) -> Result<OwnedFd> {
    let fd = unsafe { libc::open(path.as_ptr(), flags | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(Error::last_os(what));
    }
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Clones the container's first process. The child runs `child_main` and waits for GO.
/// `prepared` must outlive nothing: the child works on its copy-on-write copy.
pub fn spawn(
    prepared: &mut Prepared,
    loop_image: Option<&str>,
    cgroup_dir: Option<&str>,
) -> Result<Spawned> {
    let loop_fd = match loop_image {
        Some(image) => {
            let attached = loopdev::attach_read_only(image)?;
            prepared.loop_device = Some(attached.device);
            Some(attached.fd)
        }
        None => None,
    };
    let (parent_sock, child_sock) = socketpair()?;
    let progress = Progress::new();
    let devnull = open_cloexec(c"/dev/null", libc::O_RDWR, "open /dev/null")?;
    // `lite exec`: the running container's namespaces, opened before clone (the child
    // may not allocate) and closed on exec.
    let mut join_fds = Vec::new();
    if let Some(pid) = prepared.join_pid {
        for kind in &prepared.join_kinds {
            let (file, flag) = match *kind {
                "mount" => ("mnt", libc::CLONE_NEWNS),
                "pid" => ("pid", libc::CLONE_NEWPID),
                "uts" => ("uts", libc::CLONE_NEWUTS),
                "ipc" => ("ipc", libc::CLONE_NEWIPC),
                "net" => ("net", libc::CLONE_NEWNET),
                "user" => ("user", libc::CLONE_NEWUSER),
                _ => ("cgroup", libc::CLONE_NEWCGROUP),
            };
            let path = std::ffi::CString::new(format!("/proc/{pid}/ns/{file}")).expect("no NUL");
            let fd = open_cloexec(&path, libc::O_RDONLY, "open the container's namespace")?;
            prepared.join.push((fd.as_raw_fd(), flag));
            join_fds.push(fd);
        }
    }
    let cgroup_fd = match cgroup_dir {
        Some(dir) => {
            let c = std::ffi::CString::new(dir)
                .map_err(|_| Error::InvalidPlan("cgroup dir has a NUL".into()))?;
            Some(open_cloexec(
                &c,
                libc::O_PATH | libc::O_DIRECTORY,
                "open cgroup dir",
            )?)
        }
        None => None,
    };

    // Block every signal across clone so that no Bun handler runs in the child before
    // it resets them; the child unblocks just before exec.
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    let mut all: libc::sigset_t = unsafe { std::mem::zeroed() };
    unsafe {
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
    }
    // A new user namespace, or a joined one with new namespaces: the first child makes
    // them in a sibling (child.rs), so it is cloned into no namespace of its own.
    let first_flags = if prepared.clone_in_sibling {
        0
    } else {
        prepared.clone_flags
    };
    let cloned = clone_container(
        &LinuxSys,
        first_flags,
        cgroup_fd.as_ref().map(|f| f.as_raw_fd()),
    );
    if let Ok(Cloned::Child { joined_cgroup }) = cloned {
        // Single-threaded copy of Bun from here on: no allocation, no unwinding.
        let sys = LinuxSys;
        let _ = sys.close(parent_sock.as_raw_fd());
        child_main(
            prepared,
            &sys,
            ChildFds {
                sock: child_sock.as_raw_fd(),
                devnull: devnull.as_raw_fd(),
                in_cgroup: joined_cgroup,
                progress: progress.as_ref().map_or(std::ptr::null_mut(), |p| p.ptr()),
            },
        );
    }
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
    drop(child_sock);
    drop(devnull);
    drop(join_fds);
    match cloned? {
        Cloned::Child { .. } => unreachable!("the child never returns from child_main"),
        Cloned::Parent {
            pid,
            pidfd,
            joined_cgroup,
            path,
        } => {
            let pidfd = pidfd.map(|fd| unsafe { OwnedFd::from_raw_fd(fd) });
            if prepared.join_pid.is_some() {
                return joined(pid, parent_sock, path, progress);
            }
            let spawned = Spawned {
                pid,
                pidfd,
                sock: Some(parent_sock),
                loop_fd,
                joined_cgroup,
                clone_path: path,
                progress,
                early_failure: None,
                early_net: None,
            };
            if prepared.join_pid_ns || prepared.clone_in_sibling {
                return handed_over(spawned, Duration::from_secs(10));
            }
            Ok(spawned)
        }
    }
}

/// `lite exec`: the joining child reports the pid of its sibling (our child, inside the
/// container) and exits; that sibling waits for GO on the same socket.
fn joined(
    helper: libc::pid_t,
    sock: OwnedFd,
    path: ClonePath,
    progress: Option<Progress>,
) -> Result<Spawned> {
    let mut buf = [0u8; REPORT_LEN];
    let mut pfd = libc::pollfd {
        fd: sock.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ready = unsafe { libc::poll(&mut pfd, 1, 10_000) };
    let n = if ready > 0 {
        recv_with_fd(sock.as_raw_fd(), &mut buf)
            .map(|(n, _)| n)
            .unwrap_or(0)
    } else {
        0
    };
    let _ = crate::wait::wait_exit(helper);
    if n == 8 && buf[..4] == PID_TAG {
        let pid = i32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]);
        let pidfd = LinuxSys
            .pidfd_open(pid)
            .ok()
            .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) });
        return Ok(Spawned {
            pid,
            pidfd,
            sock: Some(sock),
            loop_fd: None,
            joined_cgroup: false,
            clone_path: path,
            progress,
            early_failure: None,
            early_net: None,
        });
    }
    let errno = ChildReport::decode(&buf[..n])
        .map(|r| r.errno)
        .unwrap_or(libc::EPROTO);
    Err(Error::Os {
        what: "join the container's namespaces",
        errno,
    })
}

/// A joined pid namespace (plan.joinNs): the first child joins the namespaces, clones
/// its sibling inside the pid namespace, sends its pid and exits. The sibling, our own
/// child (CLONE_PARENT), is the container from then on: its pid and pidfd replace the
/// first child's, which is reaped. The sibling may send its NET socket (or fail) before
/// the pid arrives; both are kept for takeNetSocket and start(). A first child that
/// failed (a setns) reports and exits with no sibling: it stays the container's pid,
/// unreaped, and start() returns its report.
fn handed_over(mut s: Spawned, timeout: Duration) -> Result<Spawned> {
    let Some(sock) = s.sock.as_ref() else {
        return Ok(s);
    };
    let fd = sock.as_raw_fd();
    let deadline = Instant::now() + timeout;
    loop {
        let mut buf = [0u8; REPORT_LEN];
        let (n, fd_received) = match recv_until(fd, deadline, &mut buf) {
            Ok(r) => r,
            Err(e) => {
                let _ = crate::wait::send_signal(s.pid, s.pidfd.as_ref(), libc::SIGKILL);
                let _ = crate::wait::wait_exit(s.pid);
                return Err(e);
            }
        };
        let msg = &buf[..n];
        if n == 0 {
            // Everyone exited: the report that came says why.
            return match s.early_failure {
                Some(_) => Ok(s),
                None => {
                    let _ = crate::wait::wait_exit(s.pid);
                    Err(Error::Protocol(
                        "the container exited before it joined its pid namespace".into(),
                    ))
                }
            };
        }
        if n == 8 && buf[..4] == PID_TAG {
            let helper = s.pid;
            let _ = crate::wait::wait_exit(helper);
            s.pid = i32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]);
            s.pidfd = LinuxSys
                .pidfd_open(s.pid)
                .ok()
                .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) });
            return Ok(s);
        }
        if msg == NET_TAG && fd_received.is_some() {
            s.early_net = fd_received;
            continue;
        }
        if s.early_failure.is_none() {
            s.early_failure = Some(report(msg)?);
        }
    }
}

/// GO, with `fds` as SCM_RIGHTS when there are any (at most MAX_IDMAPS).
fn send_go(sock: RawFd, fds: &[RawFd]) -> isize {
    if fds.is_empty() {
        return unsafe {
            libc::send(
                sock,
                GO.as_ptr() as *const libc::c_void,
                GO.len(),
                libc::MSG_NOSIGNAL,
            )
        };
    }
    crate::sys::send_with_fds(sock, &GO, fds).map_or(-1, |n| n as isize)
}

/// Receives one message and at most one fd from the handshake socket.
fn recv_with_fd(sock: RawFd, buf: &mut [u8]) -> std::io::Result<(usize, Option<OwnedFd>)> {
    #[repr(C, align(8))]
    struct Cmsg([u8; 64]);
    let mut control = Cmsg([0; 64]);
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr() as *mut libc::c_void,
        iov_len: buf.len(),
    };
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.0.as_mut_ptr() as *mut libc::c_void;
    msg.msg_controllen = control.0.len() as _;
    let n = loop {
        let n = unsafe { libc::recvmsg(sock, &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if n >= 0 {
            break n as usize;
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(e);
        }
    };
    // Every fd received is owned at once, so that any beyond the first (the child
    // sends one) is closed rather than leaked.
    let mut fds = Vec::new();
    // SAFETY: msg was filled by recvmsg above; each fd is new and ours.
    unsafe { crate::sys::for_each_scm_fd(&msg, |raw| fds.push(OwnedFd::from_raw_fd(raw))) };
    Ok((n, fds.into_iter().next()))
}

/// What the child sent before GO when the plan asked for its network socket.
#[derive(Debug)]
pub enum NetOutcome {
    /// A NETLINK_ROUTE socket acting in the container's network namespace (CLOEXEC).
    Socket(OwnedFd),
    /// Set-up failed before the socket was sent (joining a cgroup, opening it).
    Failed(ChildReport),
}

/// One message from the child on the handshake socket, waited for until `deadline`:
/// its length (0 at EOF) and the fd it carried.
fn recv_until(
    fd: RawFd,
    deadline: Instant,
    buf: &mut [u8; REPORT_LEN],
) -> Result<(usize, Option<OwnedFd>)> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::Timeout);
        }
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let r = unsafe { libc::poll(&mut pfd, 1, left.as_millis().min(i32::MAX as u128) as c_int) };
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(Error::Os {
                what: "poll the container",
                errno: e.raw_os_error().unwrap_or(0),
            });
        }
        if r == 0 {
            continue;
        }
        return recv_with_fd(fd, buf).map_err(|e| Error::Os {
            what: "read from the container",
            errno: e.raw_os_error().unwrap_or(0),
        });
    }
}

/// A message that is none of the tags: the child's failure report.
fn report(msg: &[u8]) -> Result<ChildReport> {
    ChildReport::decode(msg)
        .ok_or_else(|| Error::Protocol(format!("{} bytes that are not a report", msg.len())))
}

/// Waits (bounded) for the child's NET message, sent before GO. A report instead is
/// the child's failure; EOF means it died without one.
pub fn take_net_socket(sock: &OwnedFd, timeout: Duration) -> Result<NetOutcome> {
    let deadline = Instant::now() + timeout;
    let mut buf = [0u8; REPORT_LEN];
    let (n, fd_received) = recv_until(sock.as_raw_fd(), deadline, &mut buf)?;
    let msg = &buf[..n];
    if n == 0 {
        return Err(Error::Protocol(
            "the container exited before sending its network socket".into(),
        ));
    }
    if msg == NET_TAG {
        return match fd_received {
            Some(s) => Ok(NetOutcome::Socket(s)),
            None => Err(Error::Protocol("a NET message without its socket".into())),
        };
    }
    // Anything else is closed here (an fd with a report is not the child's way).
    drop(fd_received);
    report(msg).map(NetOutcome::Failed)
}

/// Sends GO and waits for the outcome: EOF (exec succeeded), READY (waiting on its
/// ready fd) or a report.
pub fn start(sock: &OwnedFd, timeout: Duration) -> Result<StartOutcome> {
    start_with_fds(sock, timeout, &[])
}

/// `start`, with fds sent along with GO (the id-mapped mounts, in op order).
pub fn start_with_fds(sock: &OwnedFd, timeout: Duration, fds: &[RawFd]) -> Result<StartOutcome> {
    let fd = sock.as_raw_fd();
    let sent = send_go(fd, fds);
    // A child that failed before GO (joining a netns, its cgroups) has reported and
    // exited already: GO then meets EPIPE, and its report is still queued to be read.
    let go_failed = (sent != GO.len() as isize).then(|| Error::last_os("send GO to the container"));
    let deadline = Instant::now() + timeout;
    let mut tty_master = None;
    loop {
        let mut buf = [0u8; REPORT_LEN];
        let (n, fd_received) = recv_until(fd, deadline, &mut buf)?;
        let msg = &buf[..n];
        if n == 0 {
            // EOF after a GO that went: the app's exec closed the socket. After a GO
            // that did not: the child died without a word.
            return match go_failed {
                Some(e) => Err(e),
                None => Ok(StartOutcome::Running {
                    tty_master,
                    ready: false,
                }),
            };
        }
        if msg == TTY_TAG && fd_received.is_some() {
            tty_master = fd_received;
            continue;
        }
        // plan.readyWaitFd: set-up is done and the child waits for `start` there.
        if msg == READY_TAG {
            return Ok(StartOutcome::Running {
                tty_master,
                ready: true,
            });
        }
        // A net socket nobody took (takeNetSocket not called): dropped, so closed.
        if msg == NET_TAG {
            continue;
        }
        return report(msg).map(StartOutcome::Failed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::RecordingSys;

    #[test]
    fn clone3_with_pidfd_is_the_first_choice() {
        let sys = RecordingSys::default();
        sys.set_clone_pid(42);
        let r = clone_container(&sys, libc::CLONE_NEWNS as u64, None).unwrap();
        assert!(matches!(
            r,
            Cloned::Parent {
                pid: 42,
                path: ClonePath::Clone3,
                ..
            }
        ));
        assert_eq!(sys.names(), vec!["clone3"]);
    }

    #[test]
    fn into_cgroup_falls_back_to_plain_clone3_before_5_7() {
        let sys = RecordingSys::default();
        sys.set_clone_pid(42);
        sys.fail_nth("clone3", 0, libc::E2BIG);
        let r = clone_container(&sys, libc::CLONE_NEWNS as u64, Some(7)).unwrap();
        assert!(matches!(
            r,
            Cloned::Parent {
                joined_cgroup: false,
                path: ClonePath::Clone3,
                ..
            }
        ));
        assert_eq!(sys.names(), vec!["clone3", "clone3"]);
    }

    #[test]
    fn no_clone3_means_legacy_clone_then_pidfd_open() {
        let sys = RecordingSys::default();
        sys.set_clone_pid(42);
        sys.fail_all("clone3", libc::ENOSYS);
        sys.set_legacy_clone_gives_pidfd(false);
        let r = clone_container(&sys, libc::CLONE_NEWNS as u64, Some(7)).unwrap();
        assert!(matches!(
            r,
            Cloned::Parent {
                pid: 42,
                path: ClonePath::CloneThenPidfdOpen,
                ..
            }
        ));
        assert_eq!(sys.names(), vec!["clone3", "clone_legacy", "pidfd_open"]);
    }

    #[test]
    fn kernel_4_19_gets_a_plain_pid() {
        let sys = RecordingSys::default();
        sys.set_clone_pid(42);
        sys.fail_all("clone3", libc::ENOSYS);
        sys.fail_all("pidfd_open", libc::ENOSYS);
        sys.set_legacy_clone_gives_pidfd(false);
        let r = clone_container(&sys, libc::CLONE_NEWNS as u64, None).unwrap();
        assert_eq!(
            r,
            Cloned::Parent {
                pid: 42,
                pidfd: None,
                joined_cgroup: false,
                path: ClonePath::ClonePidOnly
            }
        );
    }

    #[test]
    fn other_clone3_errors_are_reported() {
        let sys = RecordingSys::default();
        sys.fail_all("clone3", libc::EPERM);
        assert!(matches!(
            clone_container(&sys, 0, None),
            Err(Error::Os {
                what: "clone3",
                errno: libc::EPERM
            })
        ));
    }

    #[test]
    fn a_report_sent_before_go_is_read_even_when_go_cannot_be_sent() {
        use crate::report::Step;
        let (parent, child) = socketpair().unwrap();
        let report = ChildReport {
            step: Step::JoinNs,
            index: 100,
            errno: libc::EINVAL,
        };
        let bytes = report.encode();
        let n = unsafe {
            libc::send(
                child.as_raw_fd(),
                bytes.as_ptr() as *const _,
                bytes.len(),
                0,
            )
        };
        assert_eq!(n, bytes.len() as isize);
        drop(child); // the child exited: GO meets EPIPE
        match start(&parent, Duration::from_secs(5)).unwrap() {
            StartOutcome::Failed(r) => assert_eq!(r, report),
            other => panic!("{other:?}"),
        }
        // Gone without a report: the send error stands.
        let (parent, child) = socketpair().unwrap();
        drop(child);
        assert!(start(&parent, Duration::from_secs(5)).is_err());
    }

    #[test]
    fn the_net_socket_or_a_report_comes_before_go() {
        use crate::report::Step;
        let (parent, child) = socketpair().unwrap();
        let null = open_cloexec(c"/dev/null", libc::O_RDONLY, "open").unwrap();
        LinuxSys
            .send_fd(child.as_raw_fd(), &NET_TAG, null.as_raw_fd())
            .unwrap();
        match take_net_socket(&parent, Duration::from_secs(5)).unwrap() {
            NetOutcome::Socket(fd) => {
                let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) };
                assert_eq!(flags & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
            }
            other => panic!("{other:?}"),
        }
        // A failure report instead of the socket.
        let report = ChildReport {
            step: Step::Cgroup,
            index: 99,
            errno: libc::EACCES,
        };
        let bytes = report.encode();
        assert_eq!(
            unsafe {
                libc::send(
                    child.as_raw_fd(),
                    bytes.as_ptr() as *const _,
                    bytes.len(),
                    0,
                )
            },
            bytes.len() as isize
        );
        assert!(matches!(
            take_net_socket(&parent, Duration::from_secs(5)).unwrap(),
            NetOutcome::Failed(r) if r == report
        ));
        // Nothing within the timeout.
        assert!(matches!(
            take_net_socket(&parent, Duration::from_millis(20)),
            Err(Error::Timeout)
        ));
        // A NET message nobody took does not confuse start(); EOF is success.
        LinuxSys
            .send_fd(child.as_raw_fd(), &NET_TAG, null.as_raw_fd())
            .unwrap();
        // The child's end stops writing (EOF for the parent) but still takes GO.
        assert_eq!(
            unsafe { libc::shutdown(child.as_raw_fd(), libc::SHUT_WR) },
            0
        );
        assert!(matches!(
            start(&parent, Duration::from_secs(5)),
            Ok(StartOutcome::Running {
                tty_master: None,
                ready: false
            })
        ));
    }

    fn send(sock: &OwnedFd, bytes: &[u8]) {
        let n = unsafe { libc::send(sock.as_raw_fd(), bytes.as_ptr() as *const _, bytes.len(), 0) };
        assert_eq!(n, bytes.len() as isize);
    }

    #[test]
    fn ready_is_success_and_the_pty_master_comes_before_it() {
        let (parent, child) = socketpair().unwrap();
        let null = open_cloexec(c"/dev/null", libc::O_RDONLY, "open").unwrap();
        LinuxSys
            .send_fd(child.as_raw_fd(), &TTY_TAG, null.as_raw_fd())
            .unwrap();
        send(&child, &READY_TAG);
        // The child stays (waiting on its ready fd): no EOF is needed.
        match start(&parent, Duration::from_secs(5)).unwrap() {
            StartOutcome::Running {
                tty_master: Some(_),
                ready: true,
            } => {}
            other => panic!("{other:?}"),
        }
        // EOF alone (a plain exec) is not READY.
        let (parent, child) = socketpair().unwrap();
        assert_eq!(
            unsafe { libc::shutdown(child.as_raw_fd(), libc::SHUT_WR) },
            0
        );
        assert!(matches!(
            start(&parent, Duration::from_secs(5)),
            Ok(StartOutcome::Running {
                tty_master: None,
                ready: false
            })
        ));
    }

    fn spawned(pid: libc::pid_t, sock: OwnedFd) -> Spawned {
        Spawned {
            pid,
            pidfd: None,
            sock: Some(sock),
            loop_fd: None,
            joined_cgroup: false,
            clone_path: ClonePath::Clone3,
            progress: None,
            early_failure: None,
            early_net: None,
        }
    }

    /// A pid no process has (above the default pid_max): waiting for it is ECHILD.
    const NO_PID: libc::pid_t = 0x3fff_fff0;

    #[test]
    fn a_joined_pid_namespace_makes_the_siblings_pid_the_containers() {
        use crate::report::Step;
        let (parent, child) = socketpair().unwrap();
        let null = open_cloexec(c"/dev/null", libc::O_RDONLY, "open").unwrap();
        // The sibling's NET socket and failure may come before the helper's PID.
        LinuxSys
            .send_fd(child.as_raw_fd(), &NET_TAG, null.as_raw_fd())
            .unwrap();
        let report = ChildReport {
            step: Step::Cgroup,
            index: 0,
            errno: libc::EACCES,
        };
        send(&child, &report.encode());
        let me = std::process::id() as libc::pid_t;
        let mut msg = PID_TAG.to_vec();
        msg.extend_from_slice(&me.to_le_bytes());
        send(&child, &msg);
        let s = handed_over(spawned(NO_PID, parent), Duration::from_secs(5)).unwrap();
        assert_eq!(s.pid, me);
        assert!(s.early_net.is_some());
        assert_eq!(s.early_failure, Some(report));
        assert!(s.sock.is_some(), "GO still goes to the sibling");
    }

    #[test]
    fn a_join_that_failed_keeps_the_first_childs_pid_and_its_report() {
        use crate::report::Step;
        let (parent, child) = socketpair().unwrap();
        let report = ChildReport {
            step: Step::JoinNs,
            index: 200,
            errno: libc::EINVAL,
        };
        send(&child, &report.encode());
        drop(child); // it exited
        let s = handed_over(spawned(NO_PID, parent), Duration::from_secs(5)).unwrap();
        assert_eq!(s.pid, NO_PID);
        assert_eq!(s.early_failure, Some(report));
        // Gone without a word: an error.
        let (parent, child) = socketpair().unwrap();
        drop(child);
        assert!(handed_over(spawned(NO_PID, parent), Duration::from_secs(5)).is_err());
        // Nothing in time: Timeout.
        let (parent, _child) = socketpair().unwrap();
        assert!(matches!(
            handed_over(spawned(NO_PID, parent), Duration::from_millis(20)),
            Err(Error::Timeout)
        ));
    }
}
