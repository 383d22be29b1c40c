//! The N-API surface: type conversion and error mapping only. The JS `error.code` is the
//! core error's code (InvalidPlan, Os, Timeout, Protocol).

use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd};
use std::time::Duration;

use napi_derive::napi;

use crate::error::Error;
use crate::monitor;
use crate::plan::{prepare, read_last_cap, Plan};
use crate::report::ChildReport;
use crate::spawn::{self, NetOutcome, StartOutcome};
use crate::wait;

/// A JS `error.code`: the core error's (`Error::code`), or "Os"/"InvalidPlan" from
/// the nf_tables surface (net/nft_napi.rs).
pub struct Code(pub(crate) &'static str);
impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

pub(crate) fn js_err(e: Error) -> napi::Error<Code> {
    napi::Error::new(Code(e.code()), e.to_string())
}

/// Kernel features behind the fallbacks (clone3, pidfd, close_range, MFD_EXEC).
#[napi]
pub fn probe() -> crate::probe::Features {
    crate::probe::probe()
}

/// A plan's seccomp rules compiled to BPF for this machine, as `Plan.seccomp_filter`
/// takes it: lite compiles once per config and keeps the result in its plan cache.
#[napi]
pub fn compile_seccomp(spec: crate::plan::SeccompSpec) -> napi::Result<Vec<u32>, Code> {
    crate::plan::compile_seccomp(&spec)
        .map(|program| crate::seccomp::to_words(&program))
        .map_err(js_err)
}

/// fast_run::check::host_fingerprint: stored in a fast entry (lifecycle/fast-entry.ts).
#[napi]
pub fn fast_host_fingerprint() -> String {
    crate::fast_run::check::host_fingerprint()
}

/// fast_run::check::file_signature: plan-cache.ts's fileSignature, computed natively
/// (the tests hold the two to the same text).
#[napi]
pub fn fast_file_signature(path: String) -> String {
    crate::fast_run::check::file_signature(&path)
}

/// strerror text for an errno, without Rust's "(os error N)" suffix.
#[napi]
pub fn errno_text(errno: i32) -> String {
    let s = std::io::Error::from_raw_os_error(errno).to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Takes an exclusive flock on `path` (created 0600) and returns the fd, which holds
/// the lock until this process (or its exec successor) exits. A held lock is the
/// "still running" test that survives a lite killed with -9. Throws code "Busy".
#[napi]
pub fn lock_exclusive(path: String) -> napi::Result<i32, Code> {
    open_locked(
        path,
        libc::LOCK_EX,
        0,
        ("open the state lock", "lock the state"),
    )
}

/// Tries a flock on `path` (created 0600), shared or exclusive, without waiting; the
/// returned fd holds it until it is closed or this process dies. The image store's
/// locks: many pulls share the store while prune holds it alone. Waiting, bounded,
/// is the caller's loop, so the event loop is never blocked. Throws code "Busy".
#[napi]
pub fn lock_file(path: String, exclusive: bool) -> napi::Result<i32, Code> {
    let op = if exclusive {
        libc::LOCK_EX
    } else {
        libc::LOCK_SH
    };
    open_locked(
        path,
        op,
        libc::O_NOFOLLOW,
        ("open a lock file", "lock a file"),
    )
}

/// lockfile::lock for JavaScript: the fd, or "Busy" when another holds it.
fn open_locked(
    path: String,
    op: libc::c_int,
    extra_flags: libc::c_int,
    what: (&'static str, &'static str),
) -> napi::Result<i32, Code> {
    match crate::lockfile::lock(&path, op, extra_flags, what) {
        Ok(fd) => Ok(std::os::fd::IntoRawFd::into_raw_fd(fd)),
        Err(crate::lockfile::LockError::Busy) => Err(napi::Error::new(
            Code("Busy"),
            "locked by another process".to_string(),
        )),
        Err(crate::lockfile::LockError::Os(err)) => Err(js_err(err)),
    }
}

/// Attaches a BPF_CGROUP_DEVICE program that allows exactly `rules` (v1 devices.allow
/// syntax: "c 1:3 rwm", "c 136:* rw") to a cgroup v2 directory.
#[napi]
pub fn attach_device_filter(cgroup_dir: String, rules: Vec<String>) -> napi::Result<(), Code> {
    let parsed = rules
        .iter()
        .map(|r| crate::device_bpf::parse_rule(r))
        .collect::<crate::error::Result<Vec<_>>>()
        .map_err(js_err)?;
    crate::device_bpf::attach(&cgroup_dir, &parsed).map_err(js_err)
}

#[napi(object)]
pub struct ChildFailure {
    /// The set-up step (report.rs names: "fs-op", "pivot-root", "exec", ...).
    pub step: String,
    /// Which item of that step's list: the op, the rlimit, the exec candidate.
    pub index: u32,
    pub errno: i32,
    /// The child did not finish set-up in time: `step` and `index` say where it hung
    /// (it has been killed).
    pub timed_out: Option<bool>,
}

#[napi(object)]
pub struct StartResult {
    pub failure: Option<ChildFailure>,
    /// A pty master came back (`-t`).
    pub tty: bool,
    /// The child sent READY (plan.readyWaitFd): set-up is done and it waits for a byte
    /// on that fd before it execs; false when the app has exec'd already.
    pub ready: bool,
}

#[napi(object)]
pub struct ExitStatus {
    pub code: i32,
    pub signal: i32,
}

#[napi]
pub struct Container {
    pid: i32,
    pidfd: Option<OwnedFd>,
    sock: Option<OwnedFd>,
    loop_fd: Option<OwnedFd>,
    loop_device: Option<String>,
    tty_master: Option<OwnedFd>,
    progress: Option<spawn::Progress>,
    /// A failure that arrived while takeNetSocket waited (or, with a joined pid
    /// namespace, while create() waited for the pid): start() returns it.
    pending_failure: Option<ChildReport>,
    /// The NET socket that came while create() waited for a joined pid namespace's pid.
    early_net: Option<OwnedFd>,
    /// A new user namespace: its maps and id-mapped mounts, set up by start() before GO.
    user_ns: Option<(
        crate::plan::PreparedUserNs,
        Vec<crate::userns::IdmapMount>,
        Option<crate::userns::RootTree>,
    )>,
}

fn failed_before_net(r: &ChildReport) -> String {
    format!(
        "the container failed at step {} (index {}, errno {}) before sending its network socket",
        r.step.name(),
        r.index,
        r.errno
    )
}

fn child_failure(r: ChildReport, timed_out: Option<bool>) -> ChildFailure {
    ChildFailure {
        step: r.step.name().to_string(),
        index: r.index as u32,
        errno: r.errno,
        timed_out,
    }
}

/// Clones the container's first process into its new namespaces. It waits for `start`.
/// `cgroup_dir` (cgroup v2) lets clone3 place it there directly.
#[napi]
pub fn create(plan: Plan, cgroup_dir: Option<String>) -> napi::Result<Container, Code> {
    let mut prepared = prepare(&plan, read_last_cap()).map_err(js_err)?;
    let s = spawn::spawn(
        &mut prepared,
        plan.loop_image.as_deref(),
        cgroup_dir.as_deref(),
    )
    .map_err(js_err)?;
    let idmaps = crate::userns::idmap_mounts(&prepared);
    let root_tree = crate::userns::root_tree(&prepared);
    let user_ns = match (prepared.user_ns.clone(), idmaps) {
        (Some(u), Ok(m)) => Some((u, m, root_tree)),
        (None, _) => None,
        (Some(_), Err(e)) => {
            let _ = wait::send_signal(s.pid, s.pidfd.as_ref(), libc::SIGKILL);
            return Err(js_err(e));
        }
    };
    Ok(Container {
        user_ns,
        pid: s.pid,
        pidfd: s.pidfd,
        sock: s.sock,
        loop_fd: s.loop_fd,
        loop_device: prepared
            .loop_device
            .as_ref()
            .map(|d| d.to_string_lossy().into_owned()),
        tty_master: None,
        progress: s.progress,
        pending_failure: s.early_failure,
        early_net: s.early_net,
    })
}

#[napi]
impl Container {
    /// The container's first process (with a joined pid namespace: the process
    /// cloned inside it).
    #[napi(getter)]
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The loop device of an image rootfs ("/dev/loop3"): the container's devices
    /// cgroup must let it open that one, read-only, to mount its root.
    #[napi(getter)]
    pub fn loop_device(&self) -> Option<String> {
        self.loop_device.clone()
    }

    /// Sends GO and waits until the app has exec'd (EOF), the child is ready and waits
    /// on plan.readyWaitFd (READY: `ready`), or set-up failed (a report). A child that
    /// does not finish set-up in time is killed, and the failure names the step it hung
    /// in (`timedOut`).
    #[napi]
    pub fn start(&mut self, timeout_ms: u32) -> napi::Result<StartResult, Code> {
        // Set-up already failed while lite waited for the net socket: that is the outcome.
        if let Some(r) = self.pending_failure.take() {
            self.sock = None;
            self.loop_fd = None;
            let timed_out = (r.errno == libc::ETIMEDOUT).then_some(true);
            return Ok(StartResult {
                failure: Some(child_failure(r, timed_out)),
                tty: false,
                ready: false,
            });
        }
        let sock = self
            .sock
            .take()
            .ok_or_else(|| js_err(Error::Protocol("start called twice".into())))?;
        // The user namespace's maps and id-mapped mounts, before GO. A failure here is
        // lite's (the child only waits): it is thrown, and the caller kills the child.
        let idmap_fds = match &self.user_ns {
            Some((u, mounts, root)) => {
                crate::userns::set_up(&crate::sys::LinuxSys, self.pid, u, mounts, root.as_ref())
                    .map_err(js_err)?
                    .into_iter()
                    // SAFETY: set_up hands over fds that nothing else owns.
                    .map(|fd| unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) })
                    .collect()
            }
            None => Vec::new(),
        };
        let raw: Vec<i32> = idmap_fds
            .iter()
            .map(std::os::fd::AsRawFd::as_raw_fd)
            .collect();
        let outcome = spawn::start_with_fds(&sock, Duration::from_millis(timeout_ms as u64), &raw);
        drop(idmap_fds);
        // The child has mounted the image or failed: the loop device may autoclear now.
        self.loop_fd = None;
        if let Err(Error::Timeout) = outcome {
            let _ = wait::send_signal(self.pid, self.pidfd.as_ref(), libc::SIGKILL);
            let hung = self
                .progress
                .as_ref()
                .and_then(|p| p.report(libc::ETIMEDOUT));
            if let Some(r) = hung {
                return Ok(StartResult {
                    failure: Some(ChildFailure {
                        step: r.step.name().to_string(),
                        index: r.index as u32,
                        errno: r.errno,
                        timed_out: Some(true),
                    }),
                    tty: false,
                    ready: false,
                });
            }
        }
        match outcome.map_err(js_err)? {
            StartOutcome::Running { tty_master, ready } => {
                let tty = tty_master.is_some();
                self.tty_master = tty_master;
                Ok(StartResult {
                    failure: None,
                    tty,
                    ready,
                })
            }
            StartOutcome::Failed(r) => Ok(StartResult {
                failure: Some(ChildFailure {
                    step: r.step.name().to_string(),
                    index: r.index as u32,
                    errno: r.errno,
                    timed_out: None,
                }),
                tty: false,
                ready: false,
            }),
        }
    }

    /// Hands the pty master that came back (`tty`, after start()) to the caller as a
    /// close-on-exec fd, to close or pass on (OCI --console-socket); this Container no
    /// longer holds it. Null when there is none (or it was taken already).
    #[napi]
    pub fn take_pty_master(&mut self) -> Option<i32> {
        self.tty_master.take().map(|fd| fd.into_raw_fd())
    }

    /// The NETLINK_ROUTE socket the child opened in the container's new network
    /// namespace (plan.netSocket), sent before GO; the fd is close-on-exec and the
    /// caller's to close. When set-up failed first (a cgroup, the socket), this throws
    /// with code "ChildFailed" and the following start() returns that failure; when
    /// nothing came in time, the child is killed, this throws "Timeout", and start()
    /// returns the step it hung in.
    #[napi]
    pub fn take_net_socket(&mut self, timeout_ms: u32) -> napi::Result<i32, Code> {
        if let Some(fd) = self.early_net.take() {
            return Ok(fd.into_raw_fd());
        }
        if let Some(r) = &self.pending_failure {
            return Err(napi::Error::new(Code("ChildFailed"), failed_before_net(r)));
        }
        let sock = self
            .sock
            .as_ref()
            .ok_or_else(|| js_err(Error::Protocol("takeNetSocket after start".into())))?;
        match spawn::take_net_socket(sock, Duration::from_millis(timeout_ms as u64)) {
            Ok(NetOutcome::Socket(fd)) => Ok(fd.into_raw_fd()),
            Ok(NetOutcome::Failed(r)) => {
                let msg = failed_before_net(&r);
                self.pending_failure = Some(r);
                Err(napi::Error::new(Code("ChildFailed"), msg))
            }
            Err(Error::Timeout) => {
                let _ = wait::send_signal(self.pid, self.pidfd.as_ref(), libc::SIGKILL);
                self.pending_failure = self
                    .progress
                    .as_ref()
                    .and_then(|p| p.report(libc::ETIMEDOUT));
                Err(js_err(Error::Timeout))
            }
            Err(e) => Err(js_err(e)),
        }
    }

    /// Replaces this process with the monitor (DESIGN.md §6): it keeps this pid, so it
    /// stays the container's parent. Returns only with the reason it could not.
    #[napi]
    pub fn exec_monitor(
        &mut self,
        image_fd: i32,
        spec: String,
        keep_fds: Vec<i32>,
        null_stdio: bool,
        interactive: bool,
    ) -> napi::Result<(), Code> {
        let err = monitor::enter(&monitor::Entry {
            image: image_fd,
            spec: &spec,
            pid: self.pid,
            pidfd: self.pidfd.as_ref().map(|f| f.as_raw_fd()),
            tty_master: self.tty_master.as_ref().map(|f| f.as_raw_fd()),
            interactive,
            keep: &keep_fds,
            null_stdio,
        });
        Err(js_err(err))
    }

    #[napi]
    pub fn kill(&self, signal: i32) -> napi::Result<(), Code> {
        wait::send_signal(self.pid, self.pidfd.as_ref(), signal).map_err(js_err)
    }

    /// Blocking wait, for paths that have nothing else to do (a failed start).
    #[napi]
    pub fn wait_sync(&self) -> napi::Result<ExitStatus, Code> {
        let e = wait::wait_exit(self.pid).map_err(js_err)?;
        Ok(ExitStatus {
            code: e.code,
            signal: e.signal,
        })
    }
}

#[napi(object)]
pub struct MonitorImage {
    pub fd: i32,
    /// "memfd", or "tmpfile" where vm.memfd_noexec forbids executable memfds.
    pub kind: String,
    pub size: u32,
}

/// The monitor written to a sealed memfd, kept open (close-on-exec) until lite execs
/// into it; also what `[exec] init = yes` runs as PID 1.
#[napi]
pub fn monitor_image(fallback_dir: String) -> napi::Result<MonitorImage, Code> {
    let image = monitor::image(&fallback_dir).map_err(js_err)?;
    Ok(MonitorImage {
        kind: image.kind.to_string(),
        fd: image.fd.into_raw_fd(),
        size: monitor::MONITOR.len() as u32,
    })
}

/// A close-on-exec pipe: [read end, write end] (a detached container's log).
#[napi]
pub fn pipe() -> napi::Result<Vec<i32>, Code> {
    let mut fds = [0 as libc::c_int; 2];
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(js_err(Error::last_os("pipe")));
    }
    Ok(fds.to_vec())
}

#[napi]
pub fn close_fd(fd: i32) {
    unsafe { libc::close(fd) };
}

/// mkfifo(path, mode) (the umask applies): the FIFO whose read end is
/// plan.readyWaitFd (OCI `create`/`start`). Throws code "Os" with the path in the
/// message (EEXIST when something is there).
#[napi]
pub fn make_fifo(path: String, mode: u32) -> napi::Result<(), Code> {
    let c = std::ffi::CString::new(path.as_str())
        .map_err(|_| js_err(Error::InvalidPlan("fifo path has a NUL".into())))?;
    if unsafe { libc::mkfifo(c.as_ptr(), mode as libc::mode_t) } < 0 {
        let e = std::io::Error::last_os_error();
        return Err(napi::Error::new(
            Code("Os"),
            format!("make the fifo {path}: {e}"),
        ));
    }
    Ok(())
}

fn console_err(e: crate::console::ConsoleError) -> napi::Error<Code> {
    napi::Error::new(Code("Os"), e.to_string())
}

/// runc's --console-socket: connects an AF_UNIX stream socket to `socketPath`, sends
/// `name` (the pty's path) with `fd` attached (SCM_RIGHTS), and closes the socket. `fd`
/// stays open. Throws code "Os" with the path in the message (a connect ENOENT, ...).
#[napi]
pub fn send_fd_to_socket(socket_path: String, fd: i32, name: String) -> napi::Result<(), Code> {
    crate::console::send_fd_to_socket(&socket_path, fd, name.as_bytes()).map_err(console_err)
}

/// Sets a terminal's size (TIOCSWINSZ): OCI process.consoleSize on the pty master.
#[napi]
pub fn set_window_size(fd: i32, rows: u32, cols: u32) -> napi::Result<(), Code> {
    let (Ok(r), Ok(c)) = (u16::try_from(rows), u16::try_from(cols)) else {
        return Err(js_err(Error::InvalidPlan(format!(
            "terminal size {rows}x{cols} is out of range (65535 at most)"
        ))));
    };
    crate::console::set_window_size(fd, r, c).map_err(console_err)
}

/// `lite run` notes TERM, INT, HUP, QUIT, USR1 and USR2 from here on, for the monitor
/// (early_signals.rs).
#[napi]
pub fn watch_early_signals() {
    crate::early_signals::watch();
}

/// A stop request (SIGTERM or SIGINT) came since watchEarlySignals: which one.
#[napi]
pub fn early_stop_signal() -> Option<i32> {
    crate::early_signals::stop_signal()
}

#[napi(object)]
pub struct UnpackOptions {
    /// "gzip" | "zstd" | "none" | "auto" (sniff the blob's magic).
    pub compression: String,
    /// Create char and block devices; otherwise they are skipped and counted.
    pub allow_devices: bool,
    /// The most uncompressed tar bytes: a gzip bomb stops here with an error.
    pub max_bytes: i64,
    /// The most entries (default 1,000,000).
    pub max_entries: Option<u32>,
}

#[napi(object)]
pub struct UnpackResult {
    /// "sha256:<hex>" of the uncompressed tar stream, for the config's diff_ids.
    pub diff_id: String,
    pub entries: u32,
    /// File data written.
    pub bytes: i64,
    pub skipped_devices: u32,
}

pub struct UnpackTask {
    blob: String,
    staging: String,
    options: UnpackOptions,
    /// The failed unpack's `error.code`, for `reject`.
    code: &'static str,
}

impl napi::Task for UnpackTask {
    type Output = crate::image::UnpackSummary;
    type JsValue = UnpackResult;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let o = &self.options;
        let options =
            crate::image::UnpackOptions::parse_compression(&o.compression).and_then(|c| {
                if o.max_bytes <= 0 {
                    return Err(crate::image::UnpackError::BadOption(format!(
                        "maxBytes must be positive, not {}",
                        o.max_bytes
                    )));
                }
                Ok(crate::image::UnpackOptions {
                    compression: c,
                    allow_devices: o.allow_devices,
                    max_bytes: o.max_bytes as u64,
                    max_entries: o
                        .max_entries
                        .map_or(crate::image::DEFAULT_MAX_ENTRIES, u64::from),
                })
            });
        let (blob, staging) = (&self.blob, &self.staging);
        // On a worker thread a panic would take Bun down: it becomes an error instead.
        let run = std::panic::catch_unwind(|| {
            options.and_then(|opts| {
                crate::image::unpack_layer(
                    std::path::Path::new(blob),
                    std::path::Path::new(staging),
                    &opts,
                )
            })
        });
        run.unwrap_or_else(|_| {
            Err(crate::image::UnpackError::Internal(
                "it panicked; the staging tree is incomplete".into(),
            ))
        })
        .map_err(|e| {
            self.code = e.code();
            napi::Error::new(napi::Status::GenericFailure, e.to_string())
        })
    }

    fn resolve(&mut self, _env: napi::Env, s: Self::Output) -> napi::Result<UnpackResult> {
        Ok(UnpackResult {
            diff_id: s.diff_id,
            entries: s.entries.min(u32::MAX as u64) as u32,
            bytes: s.bytes.min(i64::MAX as u64) as i64,
            skipped_devices: s.skipped_devices.min(u32::MAX as u64) as u32,
        })
    }

    /// The same Error as the synchronous calls throw: the core's code in `error.code`.
    fn reject(&mut self, env: napi::Env, err: napi::Error) -> napi::Result<UnpackResult> {
        use napi::bindgen_prelude::{JsObjectValue, JsValue};
        let mut obj = env.create_error(err)?;
        obj.set_named_property("code", self.code)?;
        Err(napi::Error::from(obj.to_unknown()))
    }
}

/// Applies one OCI layer blob onto `staging_dir` (whiteouts, hard links, owners, modes,
/// mtimes, xattrs), on a worker thread. Every path stays inside `staging_dir`; on error
/// the caller deletes the staging dir. `error.code`: LayerRefused (an unsafe or invalid
/// entry), LayerTooLarge, LayerCorrupt, Os, InvalidArg, Internal.
#[napi(ts_return_type = "Promise<UnpackResult>")]
pub fn unpack_layer(
    blob_path: String,
    staging_dir: String,
    options: UnpackOptions,
) -> napi::bindgen_prelude::AsyncTask<UnpackTask> {
    napi::bindgen_prelude::AsyncTask::new(UnpackTask {
        blob: blob_path,
        staging: staging_dir,
        options,
        code: "Os",
    })
}

#[napi(object)]
pub struct SquashfsOptions {
    /// Data block size: a power of two from 4096 to 1048576 (131072 by default).
    pub block_size: Option<u32>,
    /// "gzip" (zlib, the only one for now, and the default).
    pub compression: Option<String>,
    /// gzip level 1..=9 (9 by default).
    pub level: Option<u32>,
    /// The superblock's creation time, seconds since the epoch (0 by default, so that
    /// the same tree always gives the same bytes).
    pub mkfs_time: Option<u32>,
    /// Compression threads (the CPUs available, at most 4, by default); the image is
    /// the same whatever the number.
    pub threads: Option<u32>,
}

#[napi(object)]
pub struct SquashfsResult {
    /// The image file's size (padded to 4 KiB).
    pub bytes: f64,
    /// Inodes in the image (hard links count once).
    pub inodes: u32,
    /// Regular file inodes.
    pub files: u32,
    /// Their content, uncompressed.
    pub data_bytes: f64,
}

pub struct BuildSquashfs {
    source: String,
    out: String,
    opts: crate::image::squashfs::Options,
    /// The core's error, kept from compute for reject: the Task's error type has no
    /// room for a code of our own.
    failure: Option<crate::image::squashfs::Error>,
}

impl napi::Task for BuildSquashfs {
    type Output = crate::image::squashfs::Summary;
    type JsValue = SquashfsResult;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        crate::image::squashfs::build(self.source.as_ref(), self.out.as_ref(), &self.opts).map_err(
            |e| {
                let m = napi::Error::from_reason(e.to_string());
                self.failure = Some(e);
                m
            },
        )
    }

    /// Rejects with an Error whose `code` is the core's ("Os" or "Invalid") and whose
    /// `errno` is set for "Os".
    fn reject(&mut self, env: napi::Env, err: napi::Error) -> napi::Result<SquashfsResult> {
        use napi::bindgen_prelude::{JsObjectValue, JsValue};
        let Some(e) = self.failure.take() else {
            return Err(err);
        };
        let mut obj = env.create_error(napi::Error::from_reason(e.to_string()))?;
        obj.set_named_property("code", e.code())?;
        obj.set_named_property("errno", e.errno())?;
        Err(napi::Error::from(obj.to_unknown()))
    }

    fn resolve(&mut self, _env: napi::Env, s: Self::Output) -> napi::Result<SquashfsResult> {
        Ok(SquashfsResult {
            bytes: s.bytes as f64,
            inodes: s.inodes,
            files: s.files,
            data_bytes: s.data_bytes as f64,
        })
    }
}

/// Writes a squashfs image of `sourceDir` (walked without following symlinks) to
/// `outPath`, which must not exist; on a worker thread. On failure the partial file is
/// removed. The promise rejects with the failing step and path in the message.
#[napi(ts_return_type = "Promise<SquashfsResult>")]
pub fn build_squashfs(
    source_dir: String,
    out_path: String,
    options: SquashfsOptions,
) -> napi::Result<napi::bindgen_prelude::AsyncTask<BuildSquashfs>, Code> {
    let mut opts = crate::image::squashfs::Options::default();
    match options.compression.as_deref() {
        None | Some("gzip") => {}
        Some(other) => {
            return Err(napi::Error::new(
                Code("Invalid"),
                format!("compression {other:?}: only \"gzip\" is supported"),
            ))
        }
    }
    if let Some(b) = options.block_size {
        opts.block_size = b;
    }
    if let Some(l) = options.level {
        opts.level = l;
    }
    if let Some(t) = options.mkfs_time {
        opts.mkfs_time = t;
    }
    if let Some(t) = options.threads {
        opts.threads = (t as usize).clamp(1, 64);
    }
    Ok(napi::bindgen_prelude::AsyncTask::new(BuildSquashfs {
        source: source_dir,
        out: out_path,
        opts,
        failure: None,
    }))
}

// ---- Container networking: rtnetlink (net/rtnl.rs) ----
//
// Errors are the core's `Os` errors: the message ends with the kernel's errno as
// "(os error N)" (EOPNOTSUPP = 95: the kernel lacks the link type, see netKindOption),
// e.g. "create the veth pair: Operation not supported (os error 95)".

fn net_err(what: &'static str) -> impl Fn(crate::sys::Errno) -> napi::Error<Code> {
    move |e| js_err(Error::Os { what, errno: e.0 })
}

fn host_rtnl() -> napi::Result<crate::net::netlink::Socket, Code> {
    crate::net::netlink::Socket::open(libc::NETLINK_ROUTE).map_err(net_err("open a netlink socket"))
}

fn ipv4(what: &str, s: &str) -> napi::Result<std::net::Ipv4Addr, Code> {
    s.parse().map_err(|_| {
        js_err(Error::InvalidPlan(format!(
            "{what}: {s:?} is not an IPv4 address"
        )))
    })
}

fn prefix_len(p: u32) -> napi::Result<u8, Code> {
    u8::try_from(p)
        .ok()
        .filter(|p| *p <= 32)
        .ok_or_else(|| js_err(Error::InvalidPlan(format!("prefix length {p} (0..32)"))))
}

/// /proc/<pid>/ns/net of the container's first process, close-on-exec.
fn netns_of(pid: i32) -> napi::Result<OwnedFd, Code> {
    let path = std::ffi::CString::new(format!("/proc/{pid}/ns/net")).expect("no NUL");
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(js_err(Error::last_os(
            "open the container's network namespace",
        )));
    }
    Ok(unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) })
}

fn link_index(
    sock: &crate::net::netlink::Socket,
    name: &str,
    what: &'static str,
) -> napi::Result<crate::net::rtnl::LinkInfo, Code> {
    crate::net::rtnl::link_by_name(sock, name)
        .map_err(net_err(what))?
        .ok_or_else(|| net_err(what)(crate::sys::Errno(libc::ENODEV)))
}

#[napi(object)]
pub struct NetBridge {
    pub index: u32,
    pub mtu: u32,
    /// This call created it.
    pub created: bool,
}

#[napi(object)]
pub struct NetLink {
    pub index: u32,
    pub mtu: u32,
    /// "bridge", "veth", ...; none for a physical device or lo.
    pub kind: Option<String>,
    pub up: bool,
    /// The index of the bridge it is a port of.
    pub master: Option<u32>,
}

#[napi(object)]
pub struct NetRoute {
    pub dst: String,
    pub prefix: u32,
    /// 0 for a route without an output interface.
    pub oif: u32,
}

/// The bridge `name` with `gateway/prefix`, up: created when missing (safe when two
/// lite processes race). A link of that name that is not a bridge: EEXIST.
#[napi]
pub fn net_ensure_bridge(
    name: String,
    gateway: String,
    prefix: u32,
) -> napi::Result<NetBridge, Code> {
    let gw = ipv4("gateway", &gateway)?;
    let prefix = prefix_len(prefix)?;
    let sock = host_rtnl()?;
    let b = crate::net::rtnl::ensure_bridge(&sock, &name, gw, prefix)
        .map_err(net_err("set up the bridge"))?;
    Ok(NetBridge {
        index: b.index,
        mtu: b.mtu,
        created: b.created,
    })
}

/// A veth pair: `hostName` on the host, a port of `bridge`, up, with `mtu` (0: the
/// bridge's); its peer "eth0" created directly in the network namespace of `pid`.
#[napi]
pub fn net_create_veth(
    host_name: String,
    bridge: String,
    pid: i32,
    mtu: u32,
) -> napi::Result<(), Code> {
    let sock = host_rtnl()?;
    let br = link_index(&sock, &bridge, "find the bridge")?;
    let ns = netns_of(pid)?;
    let mtu = if mtu == 0 { br.mtu } else { mtu };
    crate::net::rtnl::create_veth(&sock, &host_name, "eth0", ns.as_raw_fd(), mtu, br.index)
        .map_err(net_err("create the veth pair"))
}

/// A "macvlan" (mode bridge) or "ipvlan" (mode l2) link on the host's `parent`, created
/// as "eth0" in the network namespace of `pid`.
#[napi]
pub fn net_create_macvlan(kind: String, parent: String, pid: i32) -> napi::Result<(), Code> {
    let sock = host_rtnl()?;
    let p = link_index(&sock, &parent, "find the parent interface")?;
    let ns = netns_of(pid)?;
    crate::net::rtnl::create_macvlan(&sock, &kind, p.index, "eth0", ns.as_raw_fd())
        .map_err(net_err("create the macvlan/ipvlan link"))
}

/// eth0 inside the container, through the socket from takeNetSocket (not closed here):
/// lo up, `address/prefix`, eth0 up, the default route via `gateway`.
#[napi]
pub fn net_configure_inside(
    sock_fd: i32,
    address: String,
    prefix: u32,
    gateway: Option<String>,
) -> napi::Result<(), Code> {
    let addr = ipv4("address", &address)?;
    let prefix = prefix_len(prefix)?;
    let gw = gateway.as_deref().map(|g| ipv4("gateway", g)).transpose()?;
    // A duplicate, so that the caller's fd stays open when the Socket drops.
    let dup = unsafe { libc::fcntl(sock_fd, libc::F_DUPFD_CLOEXEC, 3) };
    if dup < 0 {
        return Err(js_err(Error::last_os(
            "duplicate the container's netlink socket",
        )));
    }
    let owned: OwnedFd = unsafe { std::os::fd::FromRawFd::from_raw_fd(dup) };
    let sock = crate::net::netlink::Socket::from_fd(owned);
    crate::net::rtnl::configure_inside(&sock, "eth0", addr, prefix, gw)
        .map_err(net_err("configure eth0 in the container"))
}

/// Deletes the host link `name` (a veth's host end takes its peer along); false when
/// there is none.
#[napi]
pub fn net_delete_link(name: String) -> napi::Result<bool, Code> {
    let sock = host_rtnl()?;
    crate::net::rtnl::delete_link(&sock, &name).map_err(net_err("delete the link"))
}

/// The host link `name`, or null.
#[napi]
pub fn net_link(name: String) -> napi::Result<Option<NetLink>, Code> {
    let sock = host_rtnl()?;
    let l = crate::net::rtnl::link_by_name(&sock, &name).map_err(net_err("look up the link"))?;
    Ok(l.map(|l| NetLink {
        index: l.index,
        mtu: l.mtu,
        kind: l.kind,
        up: l.up,
        master: l.master,
    }))
}

/// The host's IPv4 routes of the main table.
#[napi]
pub fn net_ipv4_routes() -> napi::Result<Vec<NetRoute>, Code> {
    let sock = host_rtnl()?;
    let routes = crate::net::rtnl::ipv4_routes(&sock).map_err(net_err("list the routes"))?;
    Ok(routes
        .into_iter()
        .map(|r| NetRoute {
            dst: r.dst.to_string(),
            prefix: r.prefix as u32,
            oif: r.oif,
        })
        .collect())
}

/// The kernel option behind a link kind ("bridge" -> "CONFIG_BRIDGE"; "" if unknown),
/// for the message when creating one fails with EOPNOTSUPP.
#[napi]
pub fn net_kind_option(kind: String) -> String {
    crate::net::rtnl::kind_missing_option(&kind).to_string()
}
