//! The addon's side of the monitor (DESIGN.md §6): the monitor program is carried as
//! bytes, written to a sealed memfd, and entered with execveat, so lite stays one
//! file and nothing re-executes /proc/self/exe.

use std::ffi::CString;
use std::fmt::Write as _;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use crate::error::{Error, Result};

/// monitor/main.rs, built by build.rs for this addon's target.
pub const MONITOR: &[u8] = include_bytes!(env!("LITE_MONITOR_PATH"));

const MFD_CLOEXEC: libc::c_uint = 0x1;
const MFD_ALLOW_SEALING: libc::c_uint = 0x2;
/// Linux 6.3: ask for an executable memfd explicitly (vm.memfd_noexec may refuse it).
const MFD_EXEC: libc::c_uint = 0x10;

/// Where the monitor's bytes live for this run.
#[derive(Debug)]
pub struct Image {
    pub fd: OwnedFd,
    /// "memfd", or "tmpfile" when vm.memfd_noexec forbids executable memfds.
    pub kind: &'static str,
}

fn memfd(name: &std::ffi::CStr, flags: libc::c_uint) -> std::result::Result<OwnedFd, i32> {
    let fd = unsafe { libc::syscall(libc::SYS_memfd_create, name.as_ptr(), flags) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0));
    }
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

fn write_all(fd: RawFd, mut bytes: &[u8], what: &'static str) -> Result<()> {
    while !bytes.is_empty() {
        let n = unsafe { libc::write(fd, bytes.as_ptr() as *const libc::c_void, bytes.len()) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(Error::Os {
                what,
                errno: e.raw_os_error().unwrap_or(0),
            });
        }
        bytes = &bytes[n as usize..];
    }
    Ok(())
}

/// A sealed, executable copy of the monitor. `fallback_dir` (the addon's extraction
/// dir, known to allow exec) takes an unnamed O_TMPFILE when memfds may not be
/// executed (vm.memfd_noexec = 2).
pub fn image(fallback_dir: &str) -> Result<Image> {
    let flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
    let made = match memfd(c"lite-monitor", flags | MFD_EXEC) {
        // Before 6.3 the flag is unknown, and every memfd is executable.
        Err(libc::EINVAL) => memfd(c"lite-monitor", flags),
        r => r,
    };
    match made {
        Ok(fd) => {
            write_all(fd.as_raw_fd(), MONITOR, "write the monitor")?;
            let seals =
                libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL;
            if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_ADD_SEALS, seals) } < 0 {
                return Err(Error::last_os("seal the monitor memfd"));
            }
            Ok(Image { fd, kind: "memfd" })
        }
        Err(libc::EACCES) | Err(libc::EPERM) => tmpfile_image(fallback_dir),
        Err(e) => Err(Error::Os {
            what: "memfd_create for the monitor",
            errno: e,
        }),
    }
}

fn tmpfile_image(dir: &str) -> Result<Image> {
    let c = CString::new(dir).map_err(|_| Error::InvalidPlan("addon dir has a NUL".into()))?;
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_TMPFILE | libc::O_RDWR | libc::O_CLOEXEC,
            0o700,
        )
    };
    if fd < 0 {
        return Err(Error::Os {
            what:
                "vm.memfd_noexec forbids an executable memfd, and O_TMPFILE in the addon dir failed",
            errno: std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
        });
    }
    let w = unsafe { OwnedFd::from_raw_fd(fd) };
    write_all(w.as_raw_fd(), MONITOR, "write the monitor")?;
    // A file open for writing cannot be exec'd (ETXTBSY): reopen it read-only.
    let proc_path = CString::new(format!("/proc/self/fd/{}", w.as_raw_fd())).expect("no NUL");
    let r = unsafe { libc::open(proc_path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if r < 0 {
        return Err(Error::last_os("reopen the monitor read-only"));
    }
    drop(w);
    Ok(Image {
        fd: unsafe { OwnedFd::from_raw_fd(r) },
        kind: "tmpfile",
    })
}

/// How the monitor is entered.
pub struct Entry<'a> {
    pub image: RawFd,
    /// The spec text from TypeScript; the container's fds are appended here.
    pub spec: &'a str,
    pub pid: i32,
    pub pidfd: Option<RawFd>,
    pub tty_master: Option<RawFd>,
    /// Forward stdin to the pty and make the outer terminal raw until the end.
    pub interactive: bool,
    /// fds the monitor keeps open (the state lock, the log pipe).
    pub keep: &'a [RawFd],
    /// Detached: the monitor's stdio becomes /dev/null, so whoever started lite sees
    /// EOF and no terminal is held.
    pub null_stdio: bool,
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Every fd from 3 up closes on exec, but those in `keep`.
fn close_on_exec_except(keep: &[RawFd]) -> Result<()> {
    let dir = std::fs::read_dir("/proc/self/fd").map_err(|e| Error::Os {
        what: "list /proc/self/fd",
        errno: e.raw_os_error().unwrap_or(0),
    })?;
    for entry in dir.flatten() {
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<RawFd>().ok())
        else {
            continue;
        };
        if fd < 3 {
            continue;
        }
        let flag = if keep.contains(&fd) {
            0
        } else {
            libc::FD_CLOEXEC
        };
        unsafe { libc::fcntl(fd, libc::F_SETFD, flag) };
    }
    Ok(())
}

/// The outer terminal's kernel termios (TCGETS), hex, and raw mode for `-t -i`; the
/// settings to put back if the exec fails.
fn terminal_spec(
    tty_master: RawFd,
    interactive: bool,
    spec: &mut String,
) -> Option<crate::tty::SavedTerminal> {
    if unsafe { libc::isatty(0) } != 1 {
        return None;
    }
    let _ = crate::tty::copy_size(0, tty_master);
    if !interactive {
        return None;
    }
    let mut saved = [0u8; 64];
    if unsafe { libc::ioctl(0, libc::TCGETS, saved.as_mut_ptr()) } < 0 {
        return None;
    }
    // struct termios of the kernel: 4 flags, c_line, c_cc[19] (36 bytes on both arches).
    let _ = write!(spec, "termios ");
    for b in &saved[..36] {
        let _ = write!(spec, "{b:02x}");
    }
    spec.push('\n');
    let t = crate::tty::save(0).ok()?;
    let _ = t.make_raw();
    Some(t)
}

/// Replaces this process with the monitor. Returns only on failure.
pub fn enter(e: &Entry) -> Error {
    let mut spec = String::from(e.spec);
    let _ = writeln!(spec, "pid {}", e.pid);
    if let Some(fd) = e.pidfd {
        let _ = writeln!(spec, "pidfd {fd}");
    }
    let mut keep: Vec<RawFd> = e.keep.to_vec();
    keep.extend(e.pidfd);
    let mut terminal = None;
    if let Some(m) = e.tty_master {
        let _ = writeln!(
            spec,
            "tty_master {m}\nforward_stdin {}",
            e.interactive as u8
        );
        keep.push(m);
        terminal = terminal_spec(m, e.interactive, &mut spec);
    }
    let err = exec(e, &spec, &mut keep);
    if let Some(t) = terminal {
        t.restore();
    }
    err
}

/// The spec in a memfd, lite's fds closed on exec but `keep`, then execveat.
fn exec(e: &Entry, spec: &str, keep: &mut Vec<RawFd>) -> Error {
    // Blocked from here through exec in this thread: the monitor takes them from a
    // signalfd. What came before (noted by early_signals on any thread) goes into the
    // spec; later signals wait for the monitor (early_signals.rs: hand-over and barrier).
    let mut all: libc::sigset_t = unsafe { std::mem::zeroed() };
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    unsafe {
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
    }
    let err = exec_blocked(e, spec, keep);
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
    err
}

fn exec_blocked(e: &Entry, spec: &str, keep: &mut Vec<RawFd>) -> Error {
    let mut spec = String::from(spec);
    if let Some(sig) = crate::early_signals::pending() {
        let _ = writeln!(spec, "pending_signal {sig}");
    }
    let spec_fd = match memfd(c"lite-monitor-spec", 0) {
        Ok(fd) => fd,
        Err(errno) => {
            return Error::Os {
                what: "memfd_create for the monitor spec",
                errno,
            }
        }
    };
    if let Err(err) = write_all(
        spec_fd.as_raw_fd(),
        spec.as_bytes(),
        "write the monitor spec",
    ) {
        return err;
    }
    unsafe { libc::lseek(spec_fd.as_raw_fd(), 0, libc::SEEK_SET) };
    keep.push(spec_fd.as_raw_fd());
    if let Err(err) = close_on_exec_except(keep) {
        return err;
    }
    if e.null_stdio {
        let null = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        if null < 0 {
            return Error::last_os("open /dev/null");
        }
        for fd in 0..3 {
            unsafe { libc::dup2(null, fd) };
        }
        if null > 2 {
            unsafe { libc::close(null) };
        }
    }
    let argv0 = c"lite-monitor";
    let arg1 = CString::new(spec_fd.as_raw_fd().to_string()).expect("digits");
    let argv = [argv0.as_ptr(), arg1.as_ptr(), std::ptr::null()];
    // An ignored signal survives exec (an ignored SIGCHLD would auto-reap the
    // container): back to default; handled ones reset by themselves.
    unsafe {
        for sig in 1..=64 {
            let mut act: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, std::ptr::null(), &mut act) == 0
                && act.sa_sigaction == libc::SIG_IGN
            {
                libc::signal(sig, libc::SIG_DFL);
            }
        }
    }
    extern "C" {
        static environ: *const *const libc::c_char;
    }
    unsafe {
        libc::syscall(
            libc::SYS_execveat,
            e.image,
            c"".as_ptr(),
            argv.as_ptr(),
            environ,
            libc::AT_EMPTY_PATH,
        );
    }
    Error::Os {
        what: "execveat the monitor",
        errno: errno(),
    }
}
