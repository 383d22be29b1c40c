//! flock'd files: the state lock of a container name, the image store's locks.

use std::os::fd::{FromRawFd, OwnedFd};

use crate::error::Error;

#[derive(Debug)]
pub enum LockError {
    /// another process holds it
    Busy,
    Os(Error),
}

/// open(O_CREAT, 0600) + flock(op | LOCK_NB): the fd, which holds the lock until it is
/// closed or this process (or its exec successor) ends; `Busy` when another holds it.
pub fn lock(
    path: &str,
    op: libc::c_int,
    extra_flags: libc::c_int,
    (what_open, what_lock): (&'static str, &'static str),
) -> Result<OwnedFd, LockError> {
    let c = std::ffi::CString::new(path)
        .map_err(|_| LockError::Os(Error::InvalidPlan("lock path has a NUL".into())))?;
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_RDWR | libc::O_CREAT | libc::O_CLOEXEC | extra_flags,
            0o600,
        )
    };
    if fd < 0 {
        return Err(LockError::Os(Error::last_os(what_open)));
    }
    // SAFETY: open just returned this fd, and nothing else owns it.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    if unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&fd), op | libc::LOCK_NB) } < 0 {
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        if errno == libc::EWOULDBLOCK {
            return Err(LockError::Busy);
        }
        return Err(LockError::Os(Error::Os {
            what: what_lock,
            errno,
        }));
    }
    Ok(fd)
}
