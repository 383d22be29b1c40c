//! Which newer kernel features this host has, for `lite info` and the fallbacks.
//! Each probe is a harmless call whose errno tells ENOSYS from "present".

use crate::sys::{Errno, LinuxSys, Sys};

#[cfg_attr(feature = "napi-addon", napi_derive::napi(object))]
#[derive(Debug, Clone)]
pub struct Features {
    pub clone3: bool,
    pub pidfd_open: bool,
    pub close_range_cloexec: bool,
    pub memfd_exec: bool,
    /// mount_setattr (5.12): id-mapped mounts, for [user] map. Whether a given
    /// filesystem can be id-mapped is asked at the mount itself.
    pub mount_setattr: bool,
    pub last_cap: u32,
}

pub fn probe() -> Features {
    let sys = LinuxSys;
    // clone3 with a zero size is refused with EINVAL where it exists.
    let mut args = crate::sys::CloneArgs::default();
    let clone3 = !matches!(sys.clone3(&mut args, 0), Err(Errno(libc::ENOSYS)));
    let pidfd_open = match sys.pidfd_open(unsafe { libc::getpid() }) {
        Ok(fd) => {
            let _ = sys.close(fd);
            true
        }
        Err(_) => false,
    };
    // An empty range beyond any fd: 0 where CLOSE_RANGE_CLOEXEC (5.11) is known.
    let close_range_cloexec = sys.close_range(u32::MAX - 1, u32::MAX - 1, 1 << 2).is_ok();
    // MFD_EXEC (6.3): memfd_create refuses unknown flags with EINVAL.
    const MFD_CLOEXEC: libc::c_uint = 1;
    const MFD_EXEC: libc::c_uint = 0x10;
    let fd = unsafe {
        libc::syscall(
            libc::SYS_memfd_create,
            c"lite-probe".as_ptr(),
            MFD_CLOEXEC | MFD_EXEC,
        )
    };
    let memfd_exec = fd >= 0;
    if fd >= 0 {
        let _ = sys.close(fd as libc::c_int);
    }
    // On fd -1 it is EBADF where it exists.
    let mount_setattr = !matches!(sys.mount_setattr(-1, false, 0, 0), Err(Errno(libc::ENOSYS)));
    Features {
        mount_setattr,
        clone3,
        pidfd_open,
        close_range_cloexec,
        memfd_exec,
        last_cap: crate::plan::read_last_cap(),
    }
}
