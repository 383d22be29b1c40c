//! Attaching a squashfs/erofs image to a loop device, read-only and with autoclear.
//!
//! Done in the parent before clone (allocation is fine there). The device is cleared by
//! the kernel once its last user is gone: the parent's fd (held until the child has
//! mounted it or failed) and the mount in the container's namespace, which dies with the
//! container. So the host is left with no loop device, even after a crash.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::error::{Error, Result};

const LOOP_SET_FD: libc::c_ulong = 0x4C00;
const LOOP_CLR_FD: libc::c_ulong = 0x4C01;
const LOOP_SET_STATUS64: libc::c_ulong = 0x4C04;
const LOOP_CONFIGURE: libc::c_ulong = 0x4C0A;
const LOOP_CTL_GET_FREE: libc::c_ulong = 0x4C82;
const LO_FLAGS_READ_ONLY: u32 = 1;
const LO_FLAGS_AUTOCLEAR: u32 = 4;

#[repr(C)]
struct LoopInfo64 {
    lo_device: u64,
    lo_inode: u64,
    lo_rdevice: u64,
    lo_offset: u64,
    lo_sizelimit: u64,
    lo_number: u32,
    lo_encrypt_type: u32,
    lo_encrypt_key_size: u32,
    lo_flags: u32,
    lo_file_name: [u8; 64],
    lo_crypt_name: [u8; 64],
    lo_encrypt_key: [u8; 32],
    lo_init: [u64; 2],
}

#[repr(C)]
struct LoopConfig {
    fd: u32,
    block_size: u32,
    info: LoopInfo64,
    reserved: [u64; 8],
}

pub struct Attached {
    pub fd: OwnedFd,
    pub device: CString,
}

fn open(path: &str, flags: libc::c_int, what: &'static str) -> Result<OwnedFd> {
    let c =
        CString::new(path).map_err(|_| Error::InvalidPlan(format!("path has a NUL: {path:?}")))?;
    let fd = unsafe { libc::open(c.as_ptr(), flags | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(Error::last_os(what));
    }
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn info_for(image: &str) -> LoopInfo64 {
    let mut info: LoopInfo64 = unsafe { std::mem::zeroed() };
    info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
    let name = image.as_bytes();
    let n = name.len().min(63);
    info.lo_file_name[..n].copy_from_slice(&name[..n]);
    info
}

/// Binds `image` to a free loop device. LOOP_CONFIGURE (5.8) does it in one step;
/// older kernels get LOOP_SET_FD + LOOP_SET_STATUS64. A device taken by someone else
/// between GET_FREE and the bind (EBUSY) is retried a bounded number of times.
pub fn attach_read_only(image: &str) -> Result<Attached> {
    let backing = open(image, libc::O_RDONLY, "open the rootfs image")?;
    let control = open(
        "/dev/loop-control",
        libc::O_RDWR,
        "open /dev/loop-control (is the loop module loaded?)",
    )?;
    for _ in 0..16 {
        let n = unsafe { libc::ioctl(control.as_raw_fd(), LOOP_CTL_GET_FREE) };
        if n < 0 {
            return Err(Error::last_os("find a free loop device"));
        }
        let device = format!("/dev/loop{n}");
        let dev = open(&device, libc::O_RDONLY, "open the loop device")?;
        let config = LoopConfig {
            fd: backing.as_raw_fd() as u32,
            block_size: 0,
            info: info_for(image),
            reserved: [0; 8],
        };
        let r = unsafe {
            libc::ioctl(
                dev.as_raw_fd(),
                LOOP_CONFIGURE,
                &config as *const LoopConfig,
            )
        };
        let errno = if r < 0 {
            std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
        } else {
            0
        };
        match errno {
            0 => {
                return Ok(Attached {
                    fd: dev,
                    device: CString::new(device).expect("no NUL"),
                })
            }
            libc::EBUSY => continue,
            libc::EINVAL | libc::ENOTTY => {}
            e => {
                return Err(Error::Os {
                    what: "configure the loop device",
                    errno: e,
                })
            }
        }
        // Before 5.8: bind, then set the flags; undo the bind if the flags fail.
        if unsafe { libc::ioctl(dev.as_raw_fd(), LOOP_SET_FD, backing.as_raw_fd()) } < 0 {
            let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            if e == libc::EBUSY {
                continue;
            }
            return Err(Error::Os {
                what: "bind the loop device",
                errno: e,
            });
        }
        let info = info_for(image);
        if unsafe {
            libc::ioctl(
                dev.as_raw_fd(),
                LOOP_SET_STATUS64,
                &info as *const LoopInfo64,
            )
        } < 0
        {
            let err = Error::last_os("set loop device flags");
            unsafe { libc::ioctl(dev.as_raw_fd(), LOOP_CLR_FD, 0) };
            return Err(err);
        }
        return Ok(Attached {
            fd: dev,
            device: CString::new(device).expect("no NUL"),
        });
    }
    Err(Error::Os {
        what: "find a free loop device",
        errno: libc::EBUSY,
    })
}
