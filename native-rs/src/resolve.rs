//! Paths inside the container's root, resolved so that nothing an untrusted rootfs holds
//! can lead outside it.
//!
//! Every lookup starts at a root fd and treats that directory as "/": an absolute
//! symlink restarts there and `..` stops there. The kernel does this itself with
//! openat2(RESOLVE_IN_ROOT) from 5.6; older kernels (boards run 4.19) get a walk that
//! opens one component at a time with O_NOFOLLOW and follows each symlink by hand,
//! under the same rules. Either way the result is an O_PATH fd, and mounts go through
//! `/proc/self/fd/N` of that fd, so a path is never looked up twice.
//!
//! Child-safe: no allocation, stack buffers only, every loop bounded.

use core::ffi::CStr;
use libc::c_int;

use crate::plan::Create;
use crate::sys::{Errno, FileStat, Sys, SysResult};

const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
const RESOLVE_NO_SYMLINKS: u64 = 0x04;
const RESOLVE_IN_ROOT: u64 = 0x10;

pub const PATH_MAX: usize = 4096;
/// The kernel's own bound on symlinks in one lookup.
const MAX_LINKS: u32 = 40;
/// openat2 answers EAGAIN when a rename or mount elsewhere raced the lookup.
const EAGAIN_TRIES: u32 = 16;
/// A dangling last symlink to create through (`/etc/resolv.conf -> ../run/x`), at most
/// this deep.
const MAX_CREATE_DEPTH: u32 = 8;

pub const PROC_SUPER_MAGIC: i64 = 0x9fa0;
pub const SYSFS_MAGIC: i64 = 0x6265_6572;

/// How symlinks on the way are treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Follow {
    /// Followed as if the root were "/"; magic links (/proc/PID/fd/N) are refused.
    InRoot,
    /// None at all: lite's own mount points (/proc, /sys, /dev), masks and sysctls.
    Never,
}

fn is_type(st: &FileStat, kind: u32) -> bool {
    st.mode & libc::S_IFMT == kind
}
pub fn is_dir(st: &FileStat) -> bool {
    is_type(st, libc::S_IFDIR)
}

/// `/proc/self/fd/N` for `fd`, NUL-terminated in `buf`.
pub fn fd_path(fd: c_int, buf: &mut [u8; 32]) -> &CStr {
    const PREFIX: &[u8] = b"/proc/self/fd/";
    buf[..PREFIX.len()].copy_from_slice(PREFIX);
    let mut digits = [0u8; 12];
    let d = crate::child::decimal(fd, &mut digits);
    // `d` ends with its NUL
    buf[PREFIX.len()..PREFIX.len() + d.len()].copy_from_slice(d);
    CStr::from_bytes_until_nul(&buf[..]).unwrap_or(c"/proc/self/fd")
}

/// Copies `bytes` into `buf` with a NUL; ENAMETOOLONG if it does not fit.
fn to_cstr<'a>(bytes: &[u8], buf: &'a mut [u8]) -> SysResult<&'a CStr> {
    if bytes.len() >= buf.len() || bytes.contains(&0) {
        return Err(Errno(libc::ENAMETOOLONG));
    }
    buf[..bytes.len()].copy_from_slice(bytes);
    buf[bytes.len()] = 0;
    CStr::from_bytes_until_nul(&buf[..=bytes.len()]).map_err(|_| Errno(libc::EINVAL))
}

#[cfg(test)]
thread_local! {
    /// Tests of the callers (the layer unpacker) take the walk of kernels before 5.6 on
    /// this thread, as a board on 4.19 does.
    pub static FORCE_WALK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Opens `path` inside `root` with `flags` (O_PATH for a mount target). O_CLOEXEC is
/// always added.
pub fn open_in_root<S: Sys>(
    sys: &S,
    root: c_int,
    path: &CStr,
    flags: c_int,
    follow: Follow,
) -> SysResult<c_int> {
    #[cfg(test)]
    if FORCE_WALK.with(|f| f.get()) {
        return walk(sys, root, path.to_bytes(), flags, follow);
    }
    let resolve = match follow {
        Follow::InRoot => RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        Follow::Never => RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS,
    };
    for _ in 0..EAGAIN_TRIES {
        match sys.openat2(root, path, flags | libc::O_CLOEXEC, resolve) {
            Err(Errno(libc::EAGAIN)) => continue,
            // Before 5.6, or a seccomp filter of the host's that does not know it.
            Err(Errno(libc::ENOSYS)) | Err(Errno(libc::EPERM)) => {
                return walk(sys, root, path.to_bytes(), flags, follow)
            }
            r => return r,
        }
    }
    Err(Errno(libc::EAGAIN))
}

fn same_file(a: &FileStat, b: &FileStat) -> bool {
    a.dev == b.dev && a.ino == b.ino
}

fn reopen_root<S: Sys>(sys: &S, root: c_int) -> SysResult<c_int> {
    sys.openat(
        root,
        c".",
        libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        0,
    )
}

/// RESOLVE_IN_ROOT by hand, for kernels before 5.6: one component at a time, each
/// opened O_PATH|O_NOFOLLOW from the directory before it; a symlink's content is put in
/// front of the rest of the path and the walk goes on from the root (absolute) or from
/// where it is (relative). A magic link read this way is only text, resolved inside the
/// root like any other.
pub fn walk<S: Sys>(
    sys: &S,
    root: c_int,
    path: &[u8],
    flags: c_int,
    follow: Follow,
) -> SysResult<c_int> {
    let root_stat = sys.fstat(root)?;
    let mut rest = [0u8; PATH_MAX];
    if path.len() >= PATH_MAX {
        return Err(Errno(libc::ENAMETOOLONG));
    }
    rest[..path.len()].copy_from_slice(path);
    let mut len = path.len();
    let mut pos = 0;
    let mut links = 0;
    let mut cur = reopen_root(sys, root)?;
    let result = (|| -> SysResult<c_int> {
        loop {
            while pos < len && rest[pos] == b'/' {
                pos += 1;
            }
            if pos >= len {
                break;
            }
            let start = pos;
            while pos < len && rest[pos] != b'/' {
                pos += 1;
            }
            let last = rest[pos..len].iter().all(|&b| b == b'/');
            let mut name_buf = [0u8; 256];
            let name = to_cstr(&rest[start..pos], &mut name_buf)?;
            match name.to_bytes() {
                b"." => continue,
                b".." => {
                    // `..` of the root is the root.
                    if same_file(&sys.fstat(cur)?, &root_stat) {
                        continue;
                    }
                    let up = sys.openat(
                        cur,
                        c"..",
                        libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
                        0,
                    )?;
                    let _ = sys.close(cur);
                    cur = up;
                    continue;
                }
                _ => {}
            }
            let next = sys.openat(
                cur,
                name,
                libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC,
                0,
            )?;
            let st = match sys.fstat(next) {
                Ok(st) => st,
                Err(e) => {
                    let _ = sys.close(next);
                    return Err(e);
                }
            };
            if is_type(&st, libc::S_IFLNK) {
                if last && flags & libc::O_NOFOLLOW != 0 {
                    let _ = sys.close(cur);
                    cur = next;
                    break;
                }
                links += 1;
                if follow == Follow::Never || links > MAX_LINKS {
                    let _ = sys.close(next);
                    return Err(Errno(libc::ELOOP));
                }
                let mut target = [0u8; PATH_MAX];
                let n = sys.readlink_fd(next, &mut target);
                let _ = sys.close(next);
                let n = n?;
                let tail = len - pos;
                if n == 0 || n + 1 + tail > PATH_MAX {
                    return Err(Errno(if n == 0 {
                        libc::ENOENT
                    } else {
                        libc::ENAMETOOLONG
                    }));
                }
                // rest = target + "/" + what was left after this component
                rest.copy_within(pos..len, n + 1);
                rest[..n].copy_from_slice(&target[..n]);
                rest[n] = b'/';
                len = n + 1 + tail;
                pos = 0;
                if target[0] == b'/' {
                    let r = reopen_root(sys, root)?;
                    let _ = sys.close(cur);
                    cur = r;
                }
                continue;
            }
            if !last && !is_dir(&st) {
                let _ = sys.close(next);
                return Err(Errno(libc::ENOTDIR));
            }
            let _ = sys.close(cur);
            cur = next;
        }
        Ok(cur)
    })();
    let fd = match result {
        Ok(fd) => fd,
        Err(e) => {
            let _ = sys.close(cur);
            return Err(e);
        }
    };
    let st = match sys.fstat(fd) {
        Ok(st) => st,
        Err(e) => {
            let _ = sys.close(fd);
            return Err(e);
        }
    };
    if flags & libc::O_DIRECTORY != 0 && !is_dir(&st) {
        let _ = sys.close(fd);
        return Err(Errno(libc::ENOTDIR));
    }
    if flags & libc::O_PATH != 0 {
        return Ok(fd);
    }
    // Anything more than O_PATH: reopen the checked file itself, not its path.
    let mut buf = [0u8; 32];
    let reopened = sys.open(fd_path(fd, &mut buf), flags | libc::O_CLOEXEC, 0);
    let _ = sys.close(fd);
    reopened
}

/// Opens `path` inside `root` as O_PATH, creating it (`Create::Dir` or `File`) and its
/// missing parents first, each inside the root. A dangling symlink on the way is created
/// through, at its target inside the root, as `mkdir -p` would behind a chroot.
pub fn make_in_root<S: Sys>(
    sys: &S,
    root: c_int,
    path: &CStr,
    create: Create,
    follow: Follow,
) -> SysResult<c_int> {
    make_at_depth(sys, root, path.to_bytes(), create, follow, 0)
}

fn make_at_depth<S: Sys>(
    sys: &S,
    root: c_int,
    path: &[u8],
    create: Create,
    follow: Follow,
    depth: u32,
) -> SysResult<c_int> {
    let mut buf = [0u8; PATH_MAX];
    let whole = to_cstr(path, &mut buf)?;
    match open_in_root(sys, root, whole, libc::O_PATH, follow) {
        Err(Errno(libc::ENOENT)) if create != Create::None => {}
        r => return r,
    }
    if depth >= MAX_CREATE_DEPTH {
        return Err(Errno(libc::ELOOP));
    }
    // The longest prefix that exists, then each missing component below it.
    let mut end = 0;
    let mut parent = reopen_root(sys, root)?;
    while end < path.len() {
        while end < path.len() && path[end] == b'/' {
            end += 1;
        }
        if end >= path.len() {
            break;
        }
        let start = end;
        while end < path.len() && path[end] != b'/' {
            end += 1;
        }
        let last = path[end..].iter().all(|&b| b == b'/');
        let mut prefix_buf = [0u8; PATH_MAX];
        let prefix = to_cstr(&path[..end], &mut prefix_buf)?;
        match open_in_root(sys, root, prefix, libc::O_PATH | libc::O_DIRECTORY, follow) {
            Ok(fd) => {
                let _ = sys.close(parent);
                parent = fd;
                continue;
            }
            Err(Errno(libc::ENOENT)) => {}
            Err(e) => {
                let _ = sys.close(parent);
                return Err(e);
            }
        }
        let mut name_buf = [0u8; 256];
        let name = match to_cstr(&path[start..end], &mut name_buf) {
            Ok(n) if n.to_bytes() != b".." && n.to_bytes() != b"." => n,
            Ok(_) => {
                let _ = sys.close(parent);
                return Err(Errno(libc::ENOENT));
            }
            Err(e) => {
                let _ = sys.close(parent);
                return Err(e);
            }
        };
        let made = if !last || create == Create::Dir {
            sys.mkdirat(parent, name, 0o755)
        } else {
            sys.openat(
                parent,
                name,
                libc::O_CREAT
                    | libc::O_EXCL
                    | libc::O_WRONLY
                    | libc::O_NOFOLLOW
                    | libc::O_NOCTTY
                    | libc::O_CLOEXEC,
                0o644,
            )
            .and_then(|fd| sys.close(fd))
        };
        match made {
            Ok(()) => {}
            // The name is there but did not resolve: a dangling symlink. Create what it
            // points to (inside the root), then the rest of the path through it.
            Err(Errno(libc::EEXIST)) => {
                let link = sys.openat(
                    parent,
                    name,
                    libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC,
                    0,
                );
                let _ = sys.close(parent);
                let link = link?;
                if follow == Follow::Never {
                    let _ = sys.close(link);
                    return Err(Errno(libc::ELOOP));
                }
                let mut target = [0u8; PATH_MAX];
                let n = sys.readlink_fd(link, &mut target);
                let _ = sys.close(link);
                let n = n?;
                // new path = (absolute target | dir of this component + "/" + target) + rest
                let mut next = [0u8; PATH_MAX];
                let mut k = 0;
                let mut put = |bytes: &[u8]| -> SysResult<()> {
                    if k + bytes.len() >= PATH_MAX {
                        return Err(Errno(libc::ENAMETOOLONG));
                    }
                    next[k..k + bytes.len()].copy_from_slice(bytes);
                    k += bytes.len();
                    Ok(())
                };
                if n == 0 {
                    return Err(Errno(libc::ENOENT));
                }
                if target[0] != b'/' {
                    put(&path[..start])?;
                    put(b"/")?;
                }
                put(&target[..n])?;
                put(&path[end..])?;
                return make_at_depth(sys, root, &next[..k], create, follow, depth + 1);
            }
            Err(e) => {
                let _ = sys.close(parent);
                return Err(e);
            }
        }
        let next = sys.openat(
            parent,
            name,
            libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            0,
        );
        let _ = sys.close(parent);
        parent = next?;
    }
    let _ = sys.close(parent);
    open_in_root(sys, root, whole, libc::O_PATH, follow)
}

/// Runs `f(parent_fd, name)` for the directory that holds `path` inside `root` (resolved
/// with `follow`) and the last component's name: for mknodat and symlinkat.
pub fn with_parent<S: Sys, T>(
    sys: &S,
    root: c_int,
    path: &CStr,
    follow: Follow,
    f: impl FnOnce(c_int, &CStr) -> SysResult<T>,
) -> SysResult<T> {
    let bytes = path.to_bytes();
    let trimmed = bytes.len() - bytes.iter().rev().take_while(|&&b| b == b'/').count();
    let cut = bytes[..trimmed].iter().rposition(|&b| b == b'/');
    let (dir, name) = match cut {
        Some(i) => (&bytes[..i], &bytes[i + 1..trimmed]),
        None => (&b""[..], &bytes[..trimmed]),
    };
    let mut name_buf = [0u8; 256];
    let name = to_cstr(name, &mut name_buf)?;
    if matches!(name.to_bytes(), b"" | b"." | b"..") {
        return Err(Errno(libc::EINVAL));
    }
    let mut dir_buf = [0u8; PATH_MAX];
    let dir = to_cstr(if dir.is_empty() { b"/" } else { dir }, &mut dir_buf)?;
    let parent = open_in_root(sys, root, dir, libc::O_PATH | libc::O_DIRECTORY, follow)?;
    let r = f(parent, name);
    let _ = sys.close(parent);
    r
}

#[cfg(test)]
mod tests {
    //! Against a real directory tree (no root needed): the walk for old kernels must
    //! agree with the kernel's own RESOLVE_IN_ROOT, and neither may leave the root.

    use super::*;
    use crate::sys::LinuxSys;
    use std::ffi::CString;
    use std::os::unix::fs::symlink;
    use std::path::{Path, PathBuf};

    struct Tree {
        top: PathBuf,
    }
    impl Drop for Tree {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.top);
        }
    }

    /// top/outside/{secret,dir/}  top/root/{etc/, data/, real/file, links...}
    fn tree(name: &str) -> Tree {
        let top = std::env::temp_dir().join(format!("lite-resolve-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&top);
        let root = top.join("root");
        std::fs::create_dir_all(top.join("outside/dir")).unwrap();
        std::fs::write(top.join("outside/secret"), "host").unwrap();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::create_dir_all(root.join("real/sub")).unwrap();
        std::fs::write(root.join("real/file"), "inside").unwrap();
        let outside = top.join("outside");
        let l = |target: &str, at: &str| symlink(target, root.join(at)).unwrap();
        l(outside.join("secret").to_str().unwrap(), "abs_secret");
        l("../../outside/secret", "rel_secret");
        l("../../../../../../outside/dir", "etc/climb");
        l("/real", "abs_real");
        l("real/sub/../file", "rel_file");
        l("/proc/self/fd/3", "magic");
        l("loop_b", "loop_a");
        l("loop_a", "loop_b");
        l("/nowhere/x", "dangling");
        l(outside.join("dir").to_str().unwrap(), "data");
        Tree { top }
    }

    fn root_fd(t: &Tree) -> c_int {
        let p = CString::new(t.top.join("root").to_str().unwrap()).unwrap();
        LinuxSys
            .open(&p, libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC, 0)
            .unwrap()
    }

    fn id(fd: c_int) -> (u64, u64) {
        let st = LinuxSys.fstat(fd).unwrap();
        let _ = LinuxSys.close(fd);
        (st.dev, st.ino)
    }

    fn stat_id(p: &Path) -> (u64, u64) {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(p).unwrap();
        (m.dev(), m.ino())
    }

    /// A file's identity (dev, ino), or why it could not be opened.
    type Found = SysResult<(u64, u64)>;

    fn both(root: c_int, path: &str, follow: Follow) -> (Found, Found) {
        let c = CString::new(path).unwrap();
        let kernel = open_in_root(&LinuxSys, root, &c, libc::O_PATH, follow).map(id);
        let walked = walk(&LinuxSys, root, path.as_bytes(), libc::O_PATH, follow).map(id);
        (kernel, walked)
    }

    #[test]
    fn the_walk_agrees_with_resolve_in_root_and_never_leaves_the_root() {
        let t = tree("agree");
        let root = root_fd(&t);
        let inside = |p: &str| Ok(stat_id(&t.top.join("root").join(p)));
        let cases: &[(&str, Follow, Found)] = &[
            ("/real/file", Follow::InRoot, inside("real/file")),
            ("real//./sub/../file", Follow::InRoot, inside("real/file")),
            ("/../../../real/file", Follow::InRoot, inside("real/file")),
            ("/abs_real/file", Follow::InRoot, inside("real/file")),
            ("/rel_file", Follow::InRoot, inside("real/file")),
            // Links that point out of the root land inside it, or nowhere.
            ("/abs_secret", Follow::InRoot, Err(Errno(libc::ENOENT))),
            ("/rel_secret", Follow::InRoot, Err(Errno(libc::ENOENT))),
            ("/etc/climb", Follow::InRoot, Err(Errno(libc::ENOENT))),
            ("/data", Follow::InRoot, Err(Errno(libc::ENOENT))),
            ("/dangling", Follow::InRoot, Err(Errno(libc::ENOENT))),
            ("/loop_a", Follow::InRoot, Err(Errno(libc::ELOOP))),
            ("/real/file/x", Follow::InRoot, Err(Errno(libc::ENOTDIR))),
            // No symlink at all for lite's own paths.
            ("/abs_real/file", Follow::Never, Err(Errno(libc::ELOOP))),
            ("/real/file", Follow::Never, inside("real/file")),
        ];
        for (path, follow, want) in cases {
            let (kernel, walked) = both(root, path, *follow);
            assert_eq!(&kernel, want, "openat2 {path}");
            assert_eq!(&walked, want, "walk {path}");
        }
        // A magic link in the rootfs is refused by the kernel and, read as text by the
        // walk, resolved inside the root: neither reaches fd 3.
        let (kernel, walked) = both(root, "/magic", Follow::InRoot);
        assert!(kernel.is_err(), "{kernel:?}");
        assert_eq!(walked, Err(Errno(libc::ENOENT)));
        let _ = LinuxSys.close(root);
    }

    #[test]
    fn make_creates_inside_the_root_through_links_that_point_outside() {
        let t = tree("make");
        let root = root_fd(&t);
        let make = |path: &str, create: Create| {
            let c = CString::new(path).unwrap();
            make_in_root(&LinuxSys, root, &c, create, Follow::InRoot).map(id)
        };
        // `data` -> <top>/outside/dir: the directories go under root/<top>/outside/dir.
        let got = make("/data/a/b/c", Create::Dir).unwrap();
        let under = t
            .top
            .join("root")
            .join(t.top.strip_prefix("/").unwrap())
            .join("outside/dir/a/b/c");
        assert_eq!(got, stat_id(&under));
        assert!(
            !t.top.join("outside/dir/a").exists(),
            "nothing on the host side"
        );
        // A dangling absolute link as the file itself.
        let got = make("/dangling", Create::File).unwrap();
        assert_eq!(got, stat_id(&t.top.join("root/nowhere/x")));
        // `..`-climbing links stay in the root too.
        make("/etc/climb/f", Create::File).unwrap();
        assert!(t.top.join("root/outside/dir/f").is_file());
        assert!(!t.top.join("outside/dir/f").exists());
        // Strict: a link on the way is an error, and nothing is created.
        let c = CString::new("/abs_real/new").unwrap();
        assert_eq!(
            make_in_root(&LinuxSys, root, &c, Create::Dir, Follow::Never),
            Err(Errno(libc::ELOOP))
        );
        assert!(!t.top.join("root/real/new").exists());
        let _ = LinuxSys.close(root);
    }

    #[test]
    fn with_parent_splits_the_last_component() {
        let t = tree("parent");
        let root = root_fd(&t);
        let c = CString::new("/real/sub/node").unwrap();
        let got = with_parent(&LinuxSys, root, &c, Follow::Never, |dir, name| {
            assert_eq!(name.to_bytes(), b"node");
            Ok(id(sys_dup(dir)))
        })
        .unwrap();
        assert_eq!(got, stat_id(&t.top.join("root/real/sub")));
        let c = CString::new("/real/..").unwrap();
        assert!(with_parent(&LinuxSys, root, &c, Follow::Never, |_, _| Ok(())).is_err());
        let _ = LinuxSys.close(root);
    }

    fn sys_dup(fd: c_int) -> c_int {
        unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) }
    }

    #[test]
    fn fd_paths_are_formatted_without_allocating() {
        let mut buf = [0u8; 32];
        assert_eq!(fd_path(7, &mut buf).to_bytes(), b"/proc/self/fd/7");
        assert_eq!(
            fd_path(1_048_575, &mut buf).to_bytes(),
            b"/proc/self/fd/1048575"
        );
    }
}
