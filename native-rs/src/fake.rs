//! A recording fake of `Sys` (youki's TestHelperSyscall idea): every call is recorded
//! with its arguments, and any call can be made to fail, so that the child sequence,
//! its failure reports and the syscall fallbacks are unit-tested without root.

use core::ffi::CStr;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use libc::{c_int, c_long, c_ulong, c_void};

use crate::report::GO;
use crate::resolve::{PROC_SUPER_MAGIC, SYSFS_MAGIC};
use crate::sys::{CloneArgs, Errno, FileStat, Sys, SysResult};

#[derive(Default)]
pub struct RecordingSys {
    calls: RefCell<Vec<(String, String)>>,
    counts: RefCell<HashMap<String, usize>>,
    /// name -> (which call, counting from 0, or None for every call; errno)
    failures: RefCell<Vec<(String, Option<usize>, i32)>>,
    /// errno per execve call; missing entries succeed.
    exec_errnos: RefCell<Vec<i32>>,
    clone_pid: Cell<libc::pid_t>,
    legacy_clone_no_pidfd: Cell<bool>,
    /// What fork returns: 0 takes the app's path, > 0 the stub init's.
    fork_result: Cell<libc::pid_t>,
    /// What read returns on the handshake socket; GO by default.
    go_reply: RefCell<Option<Vec<u8>>>,
    /// A small model of the paths the child opens inside the root: fd -> path, and
    /// per-path overrides of what fstat answers (see `stat_of` for the defaults).
    open_paths: RefCell<HashMap<c_int, String>>,
    next_fd: Cell<c_int>,
    stats: RefCell<HashMap<String, FileStat>>,
    /// What getcwd answers; "/" by default.
    cwd: RefCell<Option<Vec<u8>>>,
    /// Scripted answers of read on one fd, in turn: bytes, or an errno. Reads past the
    /// script (and of other fds) get the GO reply.
    read_replies: RefCell<HashMap<c_int, Vec<ReadReply>>>,
    /// How many fds come with GO (recv_with_fds): 300, 301, ...
    go_fds: Cell<usize>,
}

/// One scripted read: the bytes, or an errno.
type ReadReply = Result<Vec<u8>, i32>;

/// Where `call` is in a list of recorded calls (the test fails if it is not there).
pub fn pos(calls: &[String], call: &str) -> usize {
    calls
        .iter()
        .position(|c| c == call)
        .unwrap_or_else(|| panic!("no {call:?} in {calls:#?}"))
}

/// Where the first call that starts with `prefix` is.
pub fn pos_prefix(calls: &[String], prefix: &str) -> usize {
    calls
        .iter()
        .position(|c| c.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?}... in {calls:#?}"))
}

pub fn stat_with(mode: u32, major: u32, minor: u32) -> FileStat {
    FileStat {
        mode,
        dev: 7,
        ino: 7,
        rdev: libc::makedev(major, minor),
    }
}

fn show(s: &CStr) -> String {
    s.to_string_lossy().into_owned()
}

fn show_opt(s: Option<&CStr>) -> String {
    s.map_or_else(|| "-".to_string(), show)
}

impl RecordingSys {
    pub fn fail_nth(&self, name: &str, nth: usize, errno: i32) {
        self.failures
            .borrow_mut()
            .push((name.into(), Some(nth), errno));
    }
    pub fn fail_all(&self, name: &str, errno: i32) {
        self.failures.borrow_mut().push((name.into(), None, errno));
    }
    pub fn set_exec_errnos(&self, errnos: &[i32]) {
        *self.exec_errnos.borrow_mut() = errnos.to_vec();
    }
    pub fn set_clone_pid(&self, pid: libc::pid_t) {
        self.clone_pid.set(pid);
    }
    pub fn set_legacy_clone_gives_pidfd(&self, yes: bool) {
        self.legacy_clone_no_pidfd.set(!yes);
    }
    pub fn set_fork_result(&self, pid: libc::pid_t) {
        self.fork_result.set(pid);
    }
    pub fn set_go_fds(&self, n: usize) {
        self.go_fds.set(n);
    }
    pub fn set_go_reply(&self, bytes: &[u8]) {
        *self.go_reply.borrow_mut() = Some(bytes.to_vec());
    }
    /// What the next reads of `fd` return, in turn (Err: that errno).
    pub fn set_read_replies(&self, fd: c_int, replies: &[Result<&[u8], i32>]) {
        self.read_replies
            .borrow_mut()
            .insert(fd, replies.iter().map(|r| r.map(|b| b.to_vec())).collect());
    }

    /// What fstat says of `path` (as opened inside the root) from now on.
    pub fn set_stat(&self, path: &str, st: FileStat) {
        self.stats.borrow_mut().insert(path.into(), st);
    }
    pub fn set_cwd(&self, cwd: &[u8]) {
        *self.cwd.borrow_mut() = Some(cwd.to_vec());
    }

    /// The defaults of the model: /dev/null is the null device, the few /proc files the
    /// tests use are regular files, everything else is a directory.
    fn stat_of(&self, path: &str) -> FileStat {
        if let Some(st) = self.stats.borrow().get(path) {
            return *st;
        }
        if path == "/dev/null" {
            return stat_with(libc::S_IFCHR | 0o666, 1, 3);
        }
        // The sample plan's exec candidates are executables.
        if path == "/usr/bin/app" || path == "/bin/app" {
            return stat_with(libc::S_IFREG | 0o755, 0, 0);
        }
        const FILES: [&str; 4] = [
            "/proc/kcore",
            "/proc/keys",
            "/proc/sys/net/ipv4/ip_forward",
            "/proc/self/oom_score_adj",
        ];
        if FILES.contains(&path) {
            return stat_with(libc::S_IFREG | 0o444, 0, 0);
        }
        stat_with(libc::S_IFDIR | 0o755, 0, 0)
    }
    fn new_fd(&self, path: String) -> c_int {
        let fd = self.next_fd.get().max(200);
        self.next_fd.set(fd + 1);
        self.open_paths.borrow_mut().insert(fd, path);
        fd
    }
    fn path_of(&self, fd: c_int) -> String {
        self.open_paths
            .borrow()
            .get(&fd)
            .cloned()
            .unwrap_or_else(|| "/".into())
    }

    /// The calls as "name args" lines.
    pub fn calls(&self) -> Vec<String> {
        self.calls
            .borrow()
            .iter()
            .map(|(n, a)| {
                if a.is_empty() {
                    n.clone()
                } else {
                    format!("{n} {a}")
                }
            })
            .collect()
    }
    pub fn names(&self) -> Vec<String> {
        self.calls.borrow().iter().map(|(n, _)| n.clone()).collect()
    }

    /// The GO reply (GO unless set) copied into `buf`: its length.
    fn go_into(&self, buf: &mut [u8]) -> usize {
        let reply = self
            .go_reply
            .borrow()
            .clone()
            .unwrap_or_else(|| GO.to_vec());
        let n = reply.len().min(buf.len());
        buf[..n].copy_from_slice(&reply[..n]);
        n
    }

    /// Records the call and says whether it is to fail.
    fn record(&self, name: &str, args: String) -> SysResult<()> {
        self.calls.borrow_mut().push((name.into(), args));
        let mut counts = self.counts.borrow_mut();
        let n = counts.entry(name.into()).or_insert(0);
        let this = *n;
        *n += 1;
        for (f, nth, errno) in self.failures.borrow().iter() {
            if f == name && nth.is_none_or(|k| k == this) {
                return Err(Errno(*errno));
            }
        }
        Ok(())
    }
}

impl Sys for RecordingSys {
    fn prctl(&self, option: c_int, arg2: c_ulong, _arg3: c_ulong) -> SysResult<c_int> {
        self.record("prctl", format!("{option} {arg2}")).map(|_| 0)
    }
    fn read(&self, fd: c_int, buf: &mut [u8]) -> SysResult<usize> {
        self.record("read", format!("{fd}"))?;
        let scripted = self
            .read_replies
            .borrow_mut()
            .get_mut(&fd)
            .filter(|r| !r.is_empty())
            .map(|r| r.remove(0));
        if let Some(r) = scripted {
            let bytes = r.map_err(Errno)?;
            let n = bytes.len().min(buf.len());
            buf[..n].copy_from_slice(&bytes[..n]);
            return Ok(n);
        }
        Ok(self.go_into(buf))
    }
    fn write(&self, fd: c_int, buf: &[u8]) -> SysResult<usize> {
        self.record("write", format!("{fd} {:?}", String::from_utf8_lossy(buf)))
            .map(|_| buf.len())
    }
    fn unshare(&self, flags: c_int) -> SysResult<()> {
        self.record("unshare", format!("{flags:#x}"))
    }
    fn setns(&self, fd: c_int, nstype: c_int) -> SysResult<()> {
        self.record("setns", format!("{fd} {nstype:#x}"))
    }
    fn clone_sibling(&self, ns_flags: u64) -> SysResult<libc::pid_t> {
        let args = if ns_flags == 0 {
            String::new()
        } else {
            format!("{ns_flags:#x}")
        };
        self.record("clone_sibling", args)
            .map(|_| self.fork_result.get())
    }
    fn mount(
        &self,
        source: Option<&CStr>,
        target: &CStr,
        fstype: Option<&CStr>,
        flags: c_ulong,
        data: Option<&CStr>,
    ) -> SysResult<()> {
        self.record(
            "mount",
            format!(
                "{} {} {} {flags:#x} {}",
                show_opt(source),
                show(target),
                show_opt(fstype),
                show_opt(data)
            ),
        )
    }
    fn umount2(&self, target: &CStr, flags: c_int) -> SysResult<()> {
        self.record("umount2", format!("{} {flags}", show(target)))
    }
    fn mkdir(&self, path: &CStr, mode: u32) -> SysResult<()> {
        self.record("mkdir", format!("{} {mode:o}", show(path)))
    }
    fn mknod(&self, path: &CStr, mode: u32, dev: u64) -> SysResult<()> {
        self.record(
            "mknod",
            format!(
                "{} {mode:o} {}:{}",
                show(path),
                libc::major(dev),
                libc::minor(dev)
            ),
        )
    }
    fn symlink(&self, target: &CStr, linkpath: &CStr) -> SysResult<()> {
        self.record("symlink", format!("{} {}", show(target), show(linkpath)))
    }
    fn open(&self, path: &CStr, flags: c_int, _mode: u32) -> SysResult<c_int> {
        self.record("open", format!("{} {flags:#x}", show(path)))
            .map(|_| 100)
    }
    fn close(&self, fd: c_int) -> SysResult<()> {
        self.record("close", format!("{fd}"))
    }
    fn pipe_cloexec(&self) -> SysResult<[c_int; 2]> {
        self.record("pipe2", String::new())?;
        // The read end is at EOF, as when the other side has closed it.
        self.read_replies
            .borrow_mut()
            .entry(104)
            .or_insert_with(|| vec![Ok(Vec::new())]);
        Ok([104, 105])
    }
    fn chdir(&self, path: &CStr) -> SysResult<()> {
        self.record("chdir", show(path))
    }
    fn umask(&self, mask: u32) -> u32 {
        let _ = self.record("umask", format!("{mask:o}"));
        0o22
    }
    fn pivot_root(&self, new_root: &CStr, put_old: &CStr) -> SysResult<()> {
        self.record(
            "pivot_root",
            format!("{} {}", show(new_root), show(put_old)),
        )
    }
    fn sethostname(&self, name: &[u8]) -> SysResult<()> {
        self.record("sethostname", String::from_utf8_lossy(name).into_owned())
    }
    fn setdomainname(&self, name: &[u8]) -> SysResult<()> {
        self.record("setdomainname", String::from_utf8_lossy(name).into_owned())
    }
    fn chroot(&self, path: &CStr) -> SysResult<()> {
        self.record("chroot", show(path))
    }
    fn stat(&self, path: &CStr) -> SysResult<FileStat> {
        self.record("stat", show(path))?;
        Ok(self.stat_of(&show(path)))
    }
    fn access(&self, path: &CStr, mode: c_int) -> SysResult<()> {
        self.record("access", format!("{} {mode}", show(path)))
    }
    fn poll_in(&self, fd: c_int) -> SysResult<i16> {
        self.record("poll", format!("{fd}")).map(|_| libc::POLLIN)
    }
    fn setrlimit(&self, resource: c_int, soft: u64, hard: u64) -> SysResult<()> {
        self.record("setrlimit", format!("{resource} {soft} {hard}"))
    }
    fn setgroups(&self, groups: &[libc::gid_t]) -> SysResult<()> {
        self.record("setgroups", format!("{groups:?}"))
    }
    fn setresgid(&self, gid: libc::gid_t) -> SysResult<()> {
        self.record("setresgid", format!("{gid}"))
    }
    fn setresuid(&self, uid: libc::uid_t) -> SysResult<()> {
        self.record("setresuid", format!("{uid}"))
    }
    fn capset(&self, effective: u64, permitted: u64, inheritable: u64) -> SysResult<()> {
        self.record(
            "capset",
            format!("{effective:#x} {permitted:#x} {inheritable:#x}"),
        )
    }
    fn seccomp_filter(&self, program: &[seccompiler::sock_filter]) -> SysResult<()> {
        self.record("seccomp", format!("{} insns", program.len()))
    }
    fn ioctl(&self, fd: c_int, request: c_ulong, _arg: *mut c_void) -> SysResult<c_int> {
        self.record("ioctl", format!("{fd} {request:#x}"))
            .map(|_| 101)
    }
    fn socket(&self, domain: c_int, ty: c_int, protocol: c_int) -> SysResult<c_int> {
        self.record("socket", format!("{domain} {ty:#x} {protocol}"))
            .map(|_| 102)
    }
    fn setsid(&self) -> SysResult<()> {
        self.record("setsid", String::new())
    }
    fn dup3(&self, oldfd: c_int, newfd: c_int) -> SysResult<()> {
        self.record("dup3", format!("{oldfd} {newfd}"))
    }
    fn send_fd(&self, sock: c_int, tag: &[u8], fd: c_int) -> SysResult<()> {
        self.record(
            "send_fd",
            format!("{sock} {:?} {fd}", String::from_utf8_lossy(tag)),
        )
    }
    fn reset_signal(&self, signal: c_int) -> SysResult<()> {
        // Recorded as one line per run, not 62 lines, to keep the expected sequences short.
        let mut calls = self.calls.borrow_mut();
        if calls.last().map(|(n, _)| n.as_str()) != Some("reset_signals") {
            calls.push(("reset_signals".into(), String::new()));
        }
        drop(calls);
        for (f, _, errno) in self.failures.borrow().iter() {
            if f == "reset_signal" {
                return Err(Errno(*errno));
            }
        }
        let _ = signal;
        Ok(())
    }
    fn unblock_all_signals(&self) -> SysResult<()> {
        self.record("unblock_all_signals", String::new())
    }
    fn fcntl(&self, fd: c_int, cmd: c_int, arg: c_long) -> SysResult<c_int> {
        self.record("fcntl", format!("{fd} {cmd} {arg}"))?;
        // F_GETFL on stdio reports O_NONBLOCK, as Bun leaves it.
        Ok(if cmd == libc::F_GETFL {
            libc::O_NONBLOCK | libc::O_RDWR
        } else {
            0
        })
    }
    fn close_range(&self, first: u32, last: u32, flags: u32) -> SysResult<()> {
        self.record("close_range", format!("{first} {last:#x} {flags}"))
    }
    fn getdents64(&self, fd: c_int, buf: &mut [u8]) -> SysResult<usize> {
        self.record("getdents64", format!("{fd}"))?;
        // First call: entries ".", "5", "100" (the dir fd itself); then end of directory.
        if self.counts.borrow()["getdents64"] > 1 {
            return Ok(0);
        }
        let mut off = 0;
        for name in [&b"."[..], b"5", b"100"] {
            let reclen = (19 + name.len() + 1 + 7) & !7;
            buf[off..off + 8].copy_from_slice(&1u64.to_ne_bytes());
            buf[off + 16..off + 18].copy_from_slice(&(reclen as u16).to_ne_bytes());
            buf[off + 19..off + 19 + name.len()].copy_from_slice(name);
            buf[off + 19 + name.len()] = 0;
            off += reclen;
        }
        Ok(off)
    }
    fn openat(&self, dirfd: c_int, path: &CStr, flags: c_int, _mode: u32) -> SysResult<c_int> {
        self.record("openat", format!("{dirfd} {} {flags:#x}", show(path)))?;
        let base = self.path_of(dirfd);
        let joined = match show(path).as_str() {
            "." => base,
            ".." => match base.rfind('/') {
                Some(0) | None => "/".into(),
                Some(i) => base[..i].into(),
            },
            name => format!("{}/{name}", base.trim_end_matches('/')),
        };
        Ok(self.new_fd(joined))
    }
    fn openat2(&self, dirfd: c_int, path: &CStr, flags: c_int, resolve: u64) -> SysResult<c_int> {
        self.record(
            "openat2",
            format!("{dirfd} {} {flags:#x} {resolve:#x}", show(path)),
        )?;
        Ok(self.new_fd(show(path)))
    }
    fn mkdirat(&self, dirfd: c_int, name: &CStr, mode: u32) -> SysResult<()> {
        self.record("mkdirat", format!("{dirfd} {} {mode:o}", show(name)))
    }
    fn fchownat_nofollow(&self, dirfd: c_int, name: &CStr, uid: u32, gid: u32) -> SysResult<()> {
        let path = format!(
            "{}/{}",
            self.path_of(dirfd).trim_end_matches('/'),
            show(name)
        );
        self.record("chown", format!("{path} {uid}:{gid}"))
    }
    fn mknodat(&self, dirfd: c_int, name: &CStr, mode: u32, dev: u64) -> SysResult<()> {
        let path = format!(
            "{}/{}",
            self.path_of(dirfd).trim_end_matches('/'),
            show(name)
        );
        self.record(
            "mknod",
            format!("{path} {mode:o} {}:{}", libc::major(dev), libc::minor(dev)),
        )
    }
    fn symlinkat(&self, content: &CStr, dirfd: c_int, name: &CStr) -> SysResult<()> {
        let path = format!(
            "{}/{}",
            self.path_of(dirfd).trim_end_matches('/'),
            show(name)
        );
        self.record("symlink", format!("{} {path}", show(content)))
    }
    fn readlink_fd(&self, fd: c_int, _buf: &mut [u8]) -> SysResult<usize> {
        self.record("readlink", format!("{fd}")).map(|_| 0)
    }
    fn fstat(&self, fd: c_int) -> SysResult<FileStat> {
        self.record("fstat", format!("{fd}"))?;
        Ok(self.stat_of(&self.path_of(fd)))
    }
    fn fstatfs_flags(&self, fd: c_int) -> SysResult<u64> {
        self.record("fstatfs_flags", format!("{fd}"))?;
        // What a host's /tmp or /dev/shm has: nosuid, nodev, relatime.
        Ok(libc::MS_NOSUID | libc::MS_NODEV | libc::MS_RELATIME)
    }
    fn fstatfs_type(&self, fd: c_int) -> SysResult<i64> {
        self.record("fstatfs", format!("{fd}"))?;
        let path = self.path_of(fd);
        Ok(if path.starts_with("/proc") {
            PROC_SUPER_MAGIC
        } else if path.starts_with("/sys") {
            SYSFS_MAGIC
        } else {
            0x0102_1994 // tmpfs
        })
    }
    fn fchdir(&self, fd: c_int) -> SysResult<()> {
        self.record("fchdir", self.path_of(fd))
    }
    fn getcwd(&self, buf: &mut [u8]) -> SysResult<usize> {
        self.record("getcwd", String::new())?;
        let cwd = self.cwd.borrow().clone().unwrap_or_else(|| b"/".to_vec());
        buf[..cwd.len()].copy_from_slice(&cwd);
        buf[cwd.len()] = 0;
        Ok(cwd.len() + 1)
    }
    fn execve(
        &self,
        path: &CStr,
        _argv: *const *const libc::c_char,
        _envp: *const *const libc::c_char,
    ) -> Errno {
        if let Err(e) = self.record("execve", show(path)) {
            return e;
        }
        let n = self.counts.borrow()["execve"] - 1;
        Errno(self.exec_errnos.borrow().get(n).copied().unwrap_or(0))
    }
    fn fork(&self) -> SysResult<libc::pid_t> {
        self.record("fork", String::new())
            .map(|_| self.fork_result.get())
    }
    fn execveat_empty(
        &self,
        fd: c_int,
        _argv: *const *const libc::c_char,
        _envp: *const *const libc::c_char,
    ) -> Errno {
        match self.record("execveat", format!("{fd}")) {
            Err(e) => e,
            Ok(()) => Errno(0),
        }
    }
    fn kill(&self, pid: libc::pid_t, signal: c_int) -> SysResult<()> {
        self.record("kill", format!("{pid} {signal}"))
    }
    fn exit(&self, code: c_int) -> ! {
        panic!("exit({code}) called on the fake")
    }
    fn clone3(&self, args: &mut CloneArgs, size: usize) -> SysResult<libc::pid_t> {
        self.record("clone3", format!("{:#x} {size}", args.flags))?;
        if args.pidfd != 0 {
            unsafe { *(args.pidfd as *mut c_int) = 9 };
        }
        Ok(self.clone_pid.get())
    }
    fn clone_legacy(&self, flags: u64, pidfd: &mut c_int) -> SysResult<libc::pid_t> {
        self.record("clone_legacy", format!("{flags:#x}"))?;
        if !self.legacy_clone_no_pidfd.get() {
            *pidfd = 9;
        }
        Ok(self.clone_pid.get())
    }
    fn pidfd_open(&self, pid: libc::pid_t) -> SysResult<c_int> {
        self.record("pidfd_open", format!("{pid}")).map(|_| 10)
    }
    fn pidfd_send_signal(&self, pidfd: c_int, signal: c_int) -> SysResult<()> {
        self.record("pidfd_send_signal", format!("{pidfd} {signal}"))
    }
    fn recv_with_fds(
        &self,
        sock: c_int,
        buf: &mut [u8],
        fds: &mut [c_int],
    ) -> SysResult<(usize, usize)> {
        self.record("recv_with_fds", format!("{sock} {}", fds.len()))?;
        let n = self.go_into(buf);
        let got = self.go_fds.get().min(fds.len());
        for (i, fd) in fds.iter_mut().take(got).enumerate() {
            *fd = 300 + i as c_int;
        }
        Ok((n, got))
    }
    fn move_mount_fd(&self, from: c_int, to: c_int) -> SysResult<()> {
        let target = self
            .open_paths
            .borrow()
            .get(&to)
            .cloned()
            .unwrap_or_else(|| to.to_string());
        self.record("move_mount", format!("{from} {target}"))
    }
    fn open_tree_clone(&self, path: &CStr, recursive: bool) -> SysResult<c_int> {
        self.record("open_tree", format!("{} {recursive}", show(path)))
            .map(|_| 200)
    }
    fn mount_setattr(
        &self,
        fd: c_int,
        recursive: bool,
        attr_set: u64,
        userns_fd: c_int,
    ) -> SysResult<()> {
        self.record(
            "mount_setattr",
            format!("{fd} {recursive} {attr_set:#x} {userns_fd}"),
        )
    }
    fn fsopen(&self, fstype: &CStr) -> SysResult<c_int> {
        self.record("fsopen", show(fstype)).map(|_| 210)
    }
    fn fsconfig_string(&self, fd: c_int, key: &CStr, value: &CStr) -> SysResult<()> {
        self.record("fsconfig", format!("{fd} {}={}", show(key), show(value)))
    }
    fn fsconfig_flag(&self, fd: c_int, key: &CStr) -> SysResult<()> {
        self.record("fsconfig", format!("{fd} {}", show(key)))
    }
    fn fsconfig_create(&self, fd: c_int) -> SysResult<()> {
        self.record("fsconfig", format!("{fd} create"))
    }
    fn fsmount(&self, fd: c_int, attrs: u64) -> SysResult<c_int> {
        self.record("fsmount", format!("{fd} {attrs:#x}"))
            .map(|_| 211)
    }
}
