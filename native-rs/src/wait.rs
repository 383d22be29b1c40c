//! Waiting for the container's first process and sending it signals.

use std::os::fd::{AsRawFd, OwnedFd};

use crate::child::exit_code;
use crate::error::{Error, Result};
use crate::sys::{Errno, LinuxSys, Sys};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit {
    /// The exit code as a shell reports it (128 + signal when killed).
    pub code: i32,
    /// The signal that killed it, or 0.
    pub signal: i32,
}

/// Blocks until `pid` exits and reaps it. Waits on this pid only, never -1, so that the
/// runtime's own child handling is not disturbed.
pub fn wait_exit(pid: libc::pid_t) -> Result<Exit> {
    loop {
        let mut status: libc::c_int = 0;
        let r = unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
        if r == pid {
            let signal = if libc::WIFSIGNALED(status) {
                libc::WTERMSIG(status)
            } else {
                0
            };
            return Ok(Exit {
                code: exit_code(status),
                signal,
            });
        }
        let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        if e != libc::EINTR {
            return Err(Error::Os {
                what: "wait for the container",
                errno: e,
            });
        }
    }
}

/// Signals through the pidfd when there is one (no pid reuse race), else by pid.
pub fn send_signal(pid: libc::pid_t, pidfd: Option<&OwnedFd>, signal: i32) -> Result<()> {
    let sys = LinuxSys;
    let r = match pidfd {
        Some(fd) => match sys.pidfd_send_signal(fd.as_raw_fd(), signal) {
            Err(Errno(libc::ENOSYS)) => sys.kill(pid, signal),
            r => r,
        },
        None => sys.kill(pid, signal),
    };
    match r {
        // Already gone: nothing left to signal.
        Ok(()) | Err(Errno(libc::ESRCH)) => Ok(()),
        Err(Errno(e)) => Err(Error::Os {
            what: "signal the container",
            errno: e,
        }),
    }
}
