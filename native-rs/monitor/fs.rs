//! Files: read a small file, replace one atomically, remove a tree (a state dir, or a
//! cgroup with the sub-cgroups the container made).

use crate::sys::{self, AT_FDCWD, AT_REMOVEDIR};
use crate::text::Buf;

pub type Path = Buf<4096>;

pub fn path(parts: &[&[u8]]) -> Path {
    let mut p = Path::new();
    for part in parts {
        p.push(part);
    }
    p
}

/// Reads `fd` to its end or until `buf` is full; the length read, or the errno.
pub fn read_all(fd: i32, buf: &mut [u8]) -> Result<usize, i32> {
    let mut total = 0;
    while total < buf.len() {
        match sys::read(fd, &mut buf[total..]) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(sys::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(total)
}

/// Reads up to `buf.len()` bytes of a file; the length read, or the errno.
pub fn read_file(p: &mut Path, buf: &mut [u8]) -> Result<usize, i32> {
    let fd = sys::openat(AT_FDCWD, p.c_str(), sys::O_RDONLY, 0)?;
    let r = read_all(fd, buf);
    sys::close(fd);
    r
}

/// Writes `data` to `dir/name.tmp`, then renames it over `dir/name`: a reader sees the
/// old file or the new one, never half of one.
pub fn replace_file(dir: &[u8], name: &[u8], data: &[u8]) -> Result<(), i32> {
    let mut tmp = path(&[dir, b"/", name, b".tmp"]);
    let mut dst = path(&[dir, b"/", name]);
    let fd = sys::openat(AT_FDCWD, tmp.c_str(), sys::O_WRONLY | sys::O_CREAT | sys::O_TRUNC | sys::O_NOFOLLOW, 0o644)?;
    let ok = sys::write_all(fd, data);
    // Not synced. The only file written this way is the state under /run (DESIGN.md §7),
    // which describes processes that a power cut ends; lite's own writer does not sync it
    // either, and a state left half-written reads as a stale one. Where /run is on disk,
    // an fsync here cost a foreground run ~0.5-0.9 ms before the monitor could wait.
    sys::close(fd);
    if !ok {
        let _ = sys::unlinkat(AT_FDCWD, tmp.c_str(), 0);
        return Err(sys::EAGAIN);
    }
    sys::rename(tmp.c_str(), dst.c_str()).map(|_| ())
}

/// Removes `p` and everything under it, depth first, at most `depth` levels. Files
/// that cannot be unlinked (cgroupfs' control files) go with their directory.
pub fn remove_tree(p: &mut Path, depth: u32) -> Result<(), i32> {
    match sys::unlinkat(AT_FDCWD, p.c_str(), AT_REMOVEDIR) {
        Ok(_) => return Ok(()),
        Err(sys::ENOENT) => return Ok(()),
        Err(_) if depth == 0 => {}
        Err(_) => {
            let base = p.len();
            let fd = match sys::openat(AT_FDCWD, p.c_str(), sys::O_RDONLY | sys::O_DIRECTORY | sys::O_NOFOLLOW, 0) {
                Ok(fd) => fd,
                Err(sys::ENOENT) => return Ok(()),
                Err(e) => return Err(e),
            };
            let mut buf = [0u8; 2048];
            // Bounded: a directory of more than 64 pages of entries is not ours.
            for _ in 0..64 {
                let n = match sys::getdents64(fd, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let mut off = 0;
                while off + 19 < n {
                    let reclen = u16::from_ne_bytes([buf[off + 16], buf[off + 17]]) as usize;
                    let kind = buf[off + 18];
                    let name_start = off + 19;
                    let mut name_end = name_start;
                    while name_end < off + reclen && buf[name_end] != 0 {
                        name_end += 1;
                    }
                    let name = &buf[name_start..name_end];
                    if name != b"." && name != b".." {
                        let mut child = path(&[&p.as_bytes()[..base], b"/", name]);
                        const DT_DIR: u8 = 4;
                        if kind == DT_DIR {
                            let _ = remove_tree(&mut child, depth - 1);
                        } else {
                            let _ = sys::unlinkat(AT_FDCWD, child.c_str(), 0);
                        }
                    }
                    off += reclen.max(1);
                }
            }
            sys::close(fd);
        }
    }
    match sys::unlinkat(AT_FDCWD, p.c_str(), AT_REMOVEDIR) {
        Ok(_) | Err(sys::ENOENT) => Ok(()),
        Err(e) => Err(e),
    }
}
