//! One OCI layer applied onto a staging tree, as containerd's and umoci's appliers do:
//! the caller applies the layers in order onto the same directory.
//!
//! Safety: the staging root is opened once and every operation is relative to it. The
//! directory that holds an entry is resolved with RESOLVE_IN_ROOT and no symlink at all
//! (resolve.rs, Follow::Never), so a symlink that a layer plants can never be written
//! through; the last component is never followed either: an existing file or symlink is
//! unlinked and created again, and a directory in the way is removed without following
//! anything. A hard link's target is resolved the same way and must be a regular file.
//!
//! Whiteouts (`.wh.NAME`, `.wh..wh..opq`) remove what the layers below left, never what
//! this layer made, whatever their order in the tar: the paths this layer made are
//! tracked, and a removal walks down to keep them.

use std::collections::HashSet;
use std::ffi::{CStr, CString};
use std::fs::File;
use std::hash::{BuildHasher, RandomState};
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::decompress::{Pipelined, StreamError};
use super::tar::{Header, Kind, TarError, TarReader};
use super::{Refusal, UnpackError, UnpackOptions, UnpackSummary};
use crate::plan::Create;
use crate::resolve::{make_in_root, open_in_root, Follow, PATH_MAX};
use crate::sys::{Errno, LinuxSys, Sys};

/// How deep a directory tree that a layer replaces or whites out may be.
const MAX_REMOVE_DEPTH: u32 = 512;
const DATA_BUF: usize = 256 * 1024;
const OPAQUE: &[u8] = b".wh..wh..opq";
const WHITEOUT: &[u8] = b".wh.";
/// The most the directory paths kept for their mtimes may take (about 64 bytes more
/// each than the path): a real layer needs a few MiB at most.
const MAX_DIR_TIMES_BYTES: usize = 64 << 20;

/// A set of paths as 128-bit keyed hashes: a million entries with 4 KiB paths would
/// otherwise take gigabytes. The keys are random per set, so no layer can aim for a
/// collision; an accidental one has odds of 2^-128 per pair.
struct PathSet {
    set: HashSet<u128>,
    keys: (RandomState, RandomState),
}

impl PathSet {
    fn new() -> Self {
        PathSet {
            set: HashSet::new(),
            keys: (RandomState::new(), RandomState::new()),
        }
    }
    fn key(&self, p: &[u8]) -> u128 {
        (self.keys.0.hash_one(p) as u128) << 64 | self.keys.1.hash_one(p) as u128
    }
    fn insert(&mut self, p: &[u8]) -> bool {
        let k = self.key(p);
        self.set.insert(k)
    }
    fn contains(&self, p: &[u8]) -> bool {
        self.set.contains(&self.key(p))
    }
}

/// Applies the layer in `blob` onto `staging`.
pub fn unpack_layer(
    blob: &Path,
    staging: &Path,
    opts: &UnpackOptions,
) -> Result<UnpackSummary, UnpackError> {
    let file = File::open(blob).map_err(|e| UnpackError::Open {
        what: "layer blob",
        path: blob.display().to_string(),
        errno: e.raw_os_error().unwrap_or(libc::EIO),
    })?;
    let root = open_path(staging)?;
    let stream =
        Pipelined::spawn(file, opts.compression, opts.max_bytes).map_err(|e| UnpackError::Os {
            entry: String::new(),
            what: "start the decompression thread",
            errno: e.raw_os_error().unwrap_or(libc::EAGAIN),
        })?;
    let mut tar = TarReader::new(stream);
    let mut applier = Applier {
        root,
        allow_devices: opts.allow_devices,
        created: PathSet::new(),
        holds_created: PathSet::new(),
        dir_times: Vec::new(),
        dir_times_bytes: 0,
        bytes: 0,
        skipped_devices: 0,
        buf: vec![0u8; DATA_BUF],
    };
    let mut entries: u64 = 0;
    while let Some(h) = tar.next_entry().map_err(tar_error)? {
        entries += 1;
        if entries > opts.max_entries {
            return Err(UnpackError::TooManyEntries {
                max: opts.max_entries,
            });
        }
        applier.apply(&h, &mut tar)?;
    }
    applier.set_dir_times()?;
    let diff_id = tar.into_inner().finish().map_err(io_error)?;
    Ok(UnpackSummary {
        diff_id,
        entries,
        bytes: applier.bytes,
        skipped_devices: applier.skipped_devices,
    })
}

fn open_path(staging: &Path) -> Result<OwnedFd, UnpackError> {
    let err = |errno| UnpackError::Open {
        what: "staging directory",
        path: staging.display().to_string(),
        errno,
    };
    let c = CString::new(staging.as_os_str().as_bytes()).map_err(|_| err(libc::EINVAL))?;
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(err(errno()));
    }
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn io_error(e: std::io::Error) -> UnpackError {
    match StreamError::from_io(&e) {
        Some(StreamError::TooLarge { max }) => UnpackError::TooLarge { max: *max },
        Some(StreamError::Blob { errno }) => UnpackError::BlobRead { errno: *errno },
        Some(StreamError::Corrupt {
            format,
            offset,
            detail,
        }) => UnpackError::Corrupt {
            format,
            offset: *offset,
            detail: detail.clone(),
        },
        None => UnpackError::BlobRead {
            errno: e.raw_os_error().unwrap_or(libc::EIO),
        },
    }
}

fn tar_error(e: TarError) -> UnpackError {
    match e {
        TarError::Io(e) => io_error(e),
        other => UnpackError::Tar(other.to_string()),
    }
}

/// `/x`, `./x` and `x/./y/../` become `x` and `x`; `..` above the root is refused.
/// The root itself is "".
pub fn normalise(p: &[u8]) -> Result<Vec<u8>, Refusal> {
    if p.contains(&0) {
        return Err(Refusal::BadName);
    }
    if p.len() >= PATH_MAX {
        return Err(Refusal::PathTooLong);
    }
    let mut parts: Vec<&[u8]> = Vec::new();
    for c in p.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                if parts.pop().is_none() {
                    return Err(Refusal::LeavesImage);
                }
            }
            c => parts.push(c),
        }
    }
    Ok(parts.join(&b'/'))
}

/// (directory, last component); the directory is "" at the top.
fn split(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (&b""[..], path),
    }
}

fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(dir.len() + 1 + name.len());
    if !dir.is_empty() {
        p.extend_from_slice(dir);
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

fn show(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

fn c(bytes: &[u8]) -> CString {
    // normalise() refused NULs already.
    CString::new(bytes).unwrap_or_default()
}

// Thin syscall wrappers: each returns the errno on failure. Everything is relative to a
// directory fd, and every fd is O_CLOEXEC.

fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

fn check(r: libc::c_int) -> Result<(), i32> {
    if r < 0 {
        Err(errno())
    } else {
        Ok(())
    }
}

fn openat(dir: BorrowedFd, name: &CStr, flags: libc::c_int, mode: u32) -> Result<OwnedFd, i32> {
    let fd = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            name.as_ptr(),
            flags | libc::O_CLOEXEC,
            mode as libc::c_uint,
        )
    };
    if fd < 0 {
        Err(errno())
    } else {
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
}

fn lstatat(dir: BorrowedFd, name: &CStr) -> Result<libc::stat, i32> {
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    check(unsafe {
        libc::fstatat(
            dir.as_raw_fd(),
            name.as_ptr(),
            &mut st,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    })?;
    Ok(st)
}

fn fstat(fd: BorrowedFd) -> Result<libc::stat, i32> {
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    check(unsafe { libc::fstat(fd.as_raw_fd(), &mut st) })?;
    Ok(st)
}

fn is_dir(st: &libc::stat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFDIR
}

fn unlinkat(dir: BorrowedFd, name: &CStr, flags: libc::c_int) -> Result<(), i32> {
    check(unsafe { libc::unlinkat(dir.as_raw_fd(), name.as_ptr(), flags) })
}

fn timespecs(h: &Header) -> [libc::timespec; 2] {
    let t = libc::timespec {
        tv_sec: h.mtime_sec as libc::time_t,
        tv_nsec: h.mtime_nsec as _,
    };
    [t, t]
}

/// `/proc/self/fd/DIR/NAME`: the entry by its parent's fd, for the calls that have no
/// `*at` form (lsetxattr). The magic link is followed only for DIR, already checked.
fn proc_path(dir: BorrowedFd, name: &CStr) -> CString {
    let mut p = format!("/proc/self/fd/{}/", dir.as_raw_fd()).into_bytes();
    p.extend_from_slice(name.to_bytes());
    c(&p)
}

/// Names of a directory's entries, "." and ".." left out.
fn list(dir: BorrowedFd) -> Result<Vec<Vec<u8>>, i32> {
    let mut names = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        let n = LinuxSys
            .getdents64(dir.as_raw_fd(), &mut buf)
            .map_err(|Errno(e)| e)?;
        if n == 0 {
            return Ok(names);
        }
        // struct linux_dirent64 { u64 ino; i64 off; u16 reclen; u8 type; char name[]; }
        let mut off = 0;
        while off + 19 <= n {
            let reclen = u16::from_ne_bytes([buf[off + 16], buf[off + 17]]) as usize;
            if reclen == 0 || off + reclen > n {
                return Err(libc::EIO);
            }
            let name = &buf[off + 19..off + reclen];
            let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
            if name != b"." && name != b".." {
                names.push(name.to_vec());
            }
            off += reclen;
        }
    }
}

struct Applier {
    root: OwnedFd,
    allow_devices: bool,
    /// Paths this layer made (normalised).
    created: PathSet,
    /// Directories above something this layer made.
    holds_created: PathSet,
    /// Directory mtimes, set at the end: creating children changes them.
    dir_times: Vec<(Vec<u8>, [libc::timespec; 2])>,
    dir_times_bytes: usize,
    bytes: u64,
    skipped_devices: u64,
    buf: Vec<u8>,
}

impl Applier {
    fn refused(entry: &Header, why: Refusal) -> UnpackError {
        UnpackError::Refused {
            entry: show(&entry.path),
            why,
        }
    }

    fn os<'a>(entry: &'a Header, what: &'static str) -> impl Fn(i32) -> UnpackError + 'a {
        move |errno| UnpackError::Os {
            entry: show(&entry.path),
            what,
            errno,
        }
    }

    fn mark_created(&mut self, path: &[u8]) {
        self.created.insert(path);
        let mut end = path.len();
        while let Some(i) = path[..end].iter().rposition(|&b| b == b'/') {
            if !self.holds_created.insert(&path[..i]) {
                break;
            }
            end = i;
        }
    }

    fn apply<R: Read>(&mut self, h: &Header, tar: &mut TarReader<R>) -> Result<(), UnpackError> {
        let path = normalise(&h.path).map_err(|why| Self::refused(h, why))?;
        if path.is_empty() {
            if h.kind != Kind::Dir {
                return Err(Self::refused(h, Refusal::RootNotDirectory));
            }
            let fd = openat(
                self.root.as_fd(),
                c".",
                libc::O_RDONLY | libc::O_DIRECTORY,
                0,
            )
            .map_err(Self::os(h, "open the root"))?;
            self.meta_fd(fd.as_fd(), h)?;
            self.keep_dir_time(path, h)?;
            return Ok(());
        }
        let (dir, name) = split(&path);
        if name.starts_with(WHITEOUT) {
            return self.whiteout(h, dir, name);
        }
        if h.uid > u32::MAX as u64 - 1 || h.gid > u32::MAX as u64 - 1 {
            return Err(Self::refused(h, Refusal::IdOutOfRange));
        }
        if matches!(h.kind, Kind::Char | Kind::Block) && !self.allow_devices {
            self.skipped_devices += 1;
            return Ok(());
        }
        // The hard link's target first: refused before anything is created.
        let link_target = if h.kind == Kind::HardLink {
            match self.hard_link_target(h, &path)? {
                Some(fd) => Some(fd),
                // A link to itself: nothing to do.
                None => return Ok(()),
            }
        } else {
            None
        };
        let parent = self
            .parent(h, dir, true)?
            .ok_or_else(|| Self::os(h, "create the parent directory")(libc::ENOENT))?;
        let parent = parent.as_fd();
        let cname = c(name);
        match h.kind {
            Kind::Dir => {
                let fd = self.make_dir(h, parent, &cname)?;
                self.meta_fd(fd.as_fd(), h)?;
                self.keep_dir_time(path.clone(), h)?;
            }
            Kind::Regular => {
                let fd = self.replace(h, parent, &cname, || {
                    openat(
                        parent,
                        &cname,
                        libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW,
                        0o600,
                    )
                })?;
                let mut file = File::from(fd);
                loop {
                    let n = tar.read_data(&mut self.buf).map_err(|e| match e {
                        TarError::Io(e) => io_error(e),
                        other => {
                            UnpackError::Tar(format!("layer entry {:?}: {other}", show(&h.path)))
                        }
                    })?;
                    if n == 0 {
                        break;
                    }
                    file.write_all(&self.buf[..n])
                        .map_err(|e| Self::os(h, "write")(e.raw_os_error().unwrap_or(libc::EIO)))?;
                    self.bytes += n as u64;
                }
                self.meta_fd(file.as_fd(), h)?;
                let times = timespecs(h);
                check(unsafe { libc::futimens(file.as_raw_fd(), times.as_ptr()) })
                    .map_err(Self::os(h, "set the mtime"))?;
            }
            Kind::Symlink => {
                if h.link.is_empty() || h.link.len() >= PATH_MAX || h.link.contains(&0) {
                    return Err(Self::refused(h, Refusal::BadSymlinkTarget));
                }
                let target = c(&h.link);
                self.replace(h, parent, &cname, || {
                    check(unsafe {
                        libc::symlinkat(target.as_ptr(), parent.as_raw_fd(), cname.as_ptr())
                    })
                })?;
                self.meta_at(h, parent, &cname, true)?;
            }
            Kind::HardLink => {
                let target = link_target.as_ref().map(|fd| fd.as_raw_fd()).unwrap_or(-1);
                self.replace(h, parent, &cname, || link(target, parent, &cname))?;
            }
            Kind::Char | Kind::Block | Kind::Fifo => {
                let kind = match h.kind {
                    Kind::Char => libc::S_IFCHR,
                    Kind::Block => libc::S_IFBLK,
                    _ => libc::S_IFIFO,
                };
                let dev = libc::makedev(h.dev_major, h.dev_minor);
                self.replace(h, parent, &cname, || {
                    check(unsafe {
                        libc::mknodat(parent.as_raw_fd(), cname.as_ptr(), kind | 0o600, dev)
                    })
                })?;
                self.meta_at(h, parent, &cname, false)?;
            }
        }
        self.mark_created(&path);
        Ok(())
    }

    /// The directory that holds an entry, resolved in the root with no symlink on the
    /// way; missing directories are made (0755) when `create`, else None.
    fn parent(&self, h: &Header, dir: &[u8], create: bool) -> Result<Option<OwnedFd>, UnpackError> {
        if dir.is_empty() {
            return openat(self.root.as_fd(), c".", libc::O_PATH | libc::O_DIRECTORY, 0)
                .map(Some)
                .map_err(Self::os(h, "open the root"));
        }
        let cdir = c(dir);
        let root = self.root.as_raw_fd();
        let flags = libc::O_PATH | libc::O_DIRECTORY;
        let r = match open_in_root(&LinuxSys, root, &cdir, flags, Follow::Never) {
            Err(Errno(libc::ENOENT)) if create => {
                make_in_root(&LinuxSys, root, &cdir, Create::Dir, Follow::Never)
            }
            Err(Errno(libc::ENOENT)) => return Ok(None),
            r => r,
        };
        match r {
            Ok(fd) => Ok(Some(unsafe { OwnedFd::from_raw_fd(fd) })),
            Err(Errno(e)) => Err(self.blame(h, dir, e)),
        }
    }

    /// Why `dir` did not resolve: the first symlink or non-directory on it, by name.
    fn blame(&self, h: &Header, dir: &[u8], errno: i32) -> UnpackError {
        let mut cur = match openat(self.root.as_fd(), c".", libc::O_PATH | libc::O_DIRECTORY, 0) {
            Ok(fd) => fd,
            Err(_) => return Self::os(h, "resolve the parent directory")(errno),
        };
        let mut end = 0;
        for comp in dir.split(|&b| b == b'/') {
            end += comp.len();
            let prefix = &dir[..end];
            end += 1;
            let name = c(comp);
            let st = match lstatat(cur.as_fd(), &name) {
                Ok(st) => st,
                Err(_) => break,
            };
            match st.st_mode & libc::S_IFMT {
                libc::S_IFLNK => {
                    return Self::refused(
                        h,
                        Refusal::SymlinkOnPath {
                            component: show(prefix),
                            planted: self.created.contains(prefix),
                        },
                    )
                }
                libc::S_IFDIR => {}
                _ => {
                    return Self::refused(
                        h,
                        Refusal::NotADirectory {
                            component: show(prefix),
                        },
                    )
                }
            }
            cur = match openat(
                cur.as_fd(),
                &name,
                libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW,
                0,
            ) {
                Ok(fd) => fd,
                Err(_) => break,
            };
        }
        Self::os(h, "resolve the parent directory")(errno)
    }

    /// Creates with `make`; if the name is taken, removes what is there (never
    /// following it) and creates again.
    fn replace<T>(
        &self,
        h: &Header,
        parent: BorrowedFd,
        name: &CStr,
        make: impl Fn() -> Result<T, i32>,
    ) -> Result<T, UnpackError> {
        match make() {
            Err(libc::EEXIST) => {}
            r => return r.map_err(Self::os(h, "create")),
        }
        self.remove_all(h, parent, name, 0)?;
        make().map_err(Self::os(h, "create"))
    }

    /// A directory stays a directory (the entry updates its metadata); anything else
    /// there is replaced.
    fn make_dir(
        &self,
        h: &Header,
        parent: BorrowedFd,
        name: &CStr,
    ) -> Result<OwnedFd, UnpackError> {
        let mk = || check(unsafe { libc::mkdirat(parent.as_raw_fd(), name.as_ptr(), 0o700) });
        match mk() {
            Ok(()) => {}
            Err(libc::EEXIST) => {
                let st = lstatat(parent, name).map_err(Self::os(h, "stat"))?;
                if !is_dir(&st) {
                    self.remove_all(h, parent, name, 0)?;
                    mk().map_err(Self::os(h, "create the directory"))?;
                }
            }
            Err(e) => return Err(Self::os(h, "create the directory")(e)),
        }
        openat(
            parent,
            name,
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
            0,
        )
        .map_err(Self::os(h, "open the directory"))
    }

    /// Removes `name` and, for a directory, all under it, following nothing.
    fn remove_all(
        &self,
        h: &Header,
        dir: BorrowedFd,
        name: &CStr,
        depth: u32,
    ) -> Result<(), UnpackError> {
        let st = match lstatat(dir, name) {
            Ok(st) => st,
            Err(libc::ENOENT) => return Ok(()),
            Err(e) => return Err(Self::os(h, "stat what the entry replaces")(e)),
        };
        if !is_dir(&st) {
            return unlinkat(dir, name, 0).map_err(Self::os(h, "remove what the entry replaces"));
        }
        if depth >= MAX_REMOVE_DEPTH {
            return Err(Self::refused(h, Refusal::TreeTooDeep(MAX_REMOVE_DEPTH)));
        }
        let fd = openat(
            dir,
            name,
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
            0,
        )
        .map_err(Self::os(h, "open a directory to remove"))?;
        for child in list(fd.as_fd()).map_err(Self::os(h, "list a directory to remove"))? {
            self.remove_all(h, fd.as_fd(), &c(&child), depth + 1)?;
        }
        drop(fd);
        unlinkat(dir, name, libc::AT_REMOVEDIR).map_err(Self::os(h, "remove a directory"))
    }

    /// Removes `name` (at `path`) as far as the layers below made it: what this layer
    /// made stays, with the directories above it.
    fn remove_lower(
        &self,
        h: &Header,
        dir: BorrowedFd,
        name: &CStr,
        path: &[u8],
        depth: u32,
    ) -> Result<(), UnpackError> {
        let own = self.created.contains(path);
        if !own && !self.holds_created.contains(path) {
            return self.remove_all(h, dir, name, depth);
        }
        let st = match lstatat(dir, name) {
            Ok(st) => st,
            Err(libc::ENOENT) => return Ok(()),
            Err(e) => return Err(Self::os(h, "stat a whited-out file")(e)),
        };
        if !is_dir(&st) {
            return Ok(());
        }
        if depth >= MAX_REMOVE_DEPTH {
            return Err(Self::refused(h, Refusal::TreeTooDeep(MAX_REMOVE_DEPTH)));
        }
        let fd = openat(
            dir,
            name,
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
            0,
        )
        .map_err(Self::os(h, "open a whited-out directory"))?;
        for child in list(fd.as_fd()).map_err(Self::os(h, "list a whited-out directory"))? {
            self.remove_lower(h, fd.as_fd(), &c(&child), &join(path, &child), depth + 1)?;
        }
        Ok(())
    }

    fn whiteout(&mut self, h: &Header, dir: &[u8], name: &[u8]) -> Result<(), UnpackError> {
        let opaque = name == OPAQUE;
        let hidden = &name[WHITEOUT.len()..];
        if !opaque && hidden.starts_with(WHITEOUT) {
            // Other `.wh..wh.` names are aufs's own bookkeeping (`.wh..wh.plnk`).
            return Ok(());
        }
        if !opaque && matches!(hidden, b"" | b"." | b"..") {
            return Err(Self::refused(h, Refusal::BadWhiteout));
        }
        let parent = match self.parent(h, dir, opaque)? {
            Some(p) => p,
            None => return Ok(()),
        };
        if !opaque {
            return self.remove_lower(h, parent.as_fd(), &c(hidden), &join(dir, hidden), 0);
        }
        // Every child of `dir` that the layers below made.
        let fd = openat(parent.as_fd(), c".", libc::O_RDONLY | libc::O_DIRECTORY, 0)
            .map_err(Self::os(h, "open the opaque directory"))?;
        for child in list(fd.as_fd()).map_err(Self::os(h, "list the opaque directory"))? {
            self.remove_lower(h, fd.as_fd(), &c(&child), &join(dir, &child), 1)?;
        }
        Ok(())
    }

    /// The target of a hard link, resolved strictly in the root: a regular file, of
    /// this layer or one below. None when the link names itself.
    fn hard_link_target(&self, h: &Header, path: &[u8]) -> Result<Option<OwnedFd>, UnpackError> {
        let refuse = |why: &'static str| {
            Self::refused(
                h,
                Refusal::HardLinkTarget {
                    target: show(&h.link),
                    why,
                },
            )
        };
        let target = normalise(&h.link).map_err(|r| match r {
            Refusal::LeavesImage => refuse("the path leaves the image"),
            _ => refuse("not a valid path"),
        })?;
        if target.is_empty() {
            return Err(refuse("not a regular file"));
        }
        if target == path {
            return Ok(None);
        }
        let fd = match open_in_root(
            &LinuxSys,
            self.root.as_raw_fd(),
            &c(&target),
            libc::O_PATH | libc::O_NOFOLLOW,
            Follow::Never,
        ) {
            Ok(fd) => unsafe { OwnedFd::from_raw_fd(fd) },
            Err(Errno(libc::ENOENT)) => return Err(refuse("no such file in the image")),
            Err(Errno(libc::ELOOP)) => return Err(refuse("a symbolic link is on its path")),
            Err(Errno(libc::ENOTDIR)) => {
                return Err(refuse("a component of its path is not a directory"))
            }
            Err(Errno(e)) => return Err(Self::os(h, "open the hard link's target")(e)),
        };
        let st = fstat(fd.as_fd()).map_err(Self::os(h, "stat the hard link's target"))?;
        if st.st_mode & libc::S_IFMT != libc::S_IFREG {
            return Err(refuse("not a regular file"));
        }
        Ok(Some(fd))
    }

    /// Owner, then mode (chown clears setuid), then xattrs, through an open fd.
    fn meta_fd(&self, fd: BorrowedFd, h: &Header) -> Result<(), UnpackError> {
        let raw = fd.as_raw_fd();
        check(unsafe { libc::fchown(raw, h.uid as libc::uid_t, h.gid as libc::gid_t) })
            .map_err(Self::os(h, "chown"))?;
        check(unsafe { libc::fchmod(raw, h.mode as libc::mode_t) })
            .map_err(Self::os(h, "chmod"))?;
        for (name, value) in &h.xattrs {
            if !xattr_namespace_applied(name) {
                continue;
            }
            let cn = c(name);
            let r = check(unsafe {
                libc::fsetxattr(raw, cn.as_ptr(), value.as_ptr().cast(), value.len(), 0)
            });
            self.xattr_result(h, name, value, r)?;
        }
        Ok(())
    }

    /// The same for what cannot be opened (symlinks, device nodes, FIFOs), by name in
    /// its checked parent; then the mtime.
    fn meta_at(
        &self,
        h: &Header,
        parent: BorrowedFd,
        name: &CStr,
        symlink: bool,
    ) -> Result<(), UnpackError> {
        let dir = parent.as_raw_fd();
        check(unsafe {
            libc::fchownat(
                dir,
                name.as_ptr(),
                h.uid as libc::uid_t,
                h.gid as libc::gid_t,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        })
        .map_err(Self::os(h, "chown"))?;
        if !symlink {
            // The node was made just now by mknodat: not a symlink.
            check(unsafe { libc::fchmodat(dir, name.as_ptr(), h.mode as libc::mode_t, 0) })
                .map_err(Self::os(h, "chmod"))?;
        }
        if h.xattrs.iter().any(|(n, _)| xattr_namespace_applied(n)) {
            let p = proc_path(parent, name);
            for (n, value) in &h.xattrs {
                if !xattr_namespace_applied(n) {
                    continue;
                }
                let cn = c(n);
                let r = check(unsafe {
                    libc::lsetxattr(
                        p.as_ptr(),
                        cn.as_ptr(),
                        value.as_ptr().cast(),
                        value.len(),
                        0,
                    )
                });
                self.xattr_result(h, n, value, r)?;
            }
        }
        let times = timespecs(h);
        check(unsafe {
            libc::utimensat(
                dir,
                name.as_ptr(),
                times.as_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            )
        })
        .map_err(Self::os(h, "set the mtime"))
    }

    /// A filesystem without xattrs, or a namespace refused for this kind of file
    /// (user.* on a symlink): skipped. An xattr too large for the file system (ENOSPC
    /// on ext4, E2BIG or ERANGE past 64 KiB) is the layer's doing: refused as such,
    /// never reported as a full store. Anything else fails the layer.
    fn xattr_result(
        &self,
        h: &Header,
        name: &[u8],
        value: &[u8],
        r: Result<(), i32>,
    ) -> Result<(), UnpackError> {
        match r {
            Ok(()) => Ok(()),
            Err(libc::ENOTSUP | libc::EPERM) => Ok(()),
            Err(libc::ENOSPC | libc::E2BIG | libc::ERANGE) => Err(Self::refused(
                h,
                Refusal::XattrTooLarge {
                    name: show(name),
                    bytes: value.len(),
                },
            )),
            Err(e) => Err(Self::os(h, "set an xattr")(e)),
        }
    }

    fn keep_dir_time(&mut self, path: Vec<u8>, h: &Header) -> Result<(), UnpackError> {
        self.dir_times_bytes += path.len() + 64;
        if self.dir_times_bytes > MAX_DIR_TIMES_BYTES {
            return Err(UnpackError::TooManyDirectories {
                max_bytes: MAX_DIR_TIMES_BYTES as u64,
            });
        }
        self.dir_times.push((path, timespecs(h)));
        Ok(())
    }

    fn set_dir_times(&mut self) -> Result<(), UnpackError> {
        for (path, times) in std::mem::take(&mut self.dir_times) {
            let fd = if path.is_empty() {
                openat(
                    self.root.as_fd(),
                    c".",
                    libc::O_RDONLY | libc::O_DIRECTORY,
                    0,
                )
            } else {
                open_in_root(
                    &LinuxSys,
                    self.root.as_raw_fd(),
                    &c(&path),
                    // Follow::Never refuses a symlink as the last component too; the
                    // walk of old kernels reopens through /proc/self/fd, which
                    // O_NOFOLLOW would refuse.
                    libc::O_RDONLY | libc::O_DIRECTORY,
                    Follow::Never,
                )
                .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })
                .map_err(|Errno(e)| e)
            };
            let fd = match fd {
                Ok(fd) => fd,
                // Replaced later in the layer by something else.
                Err(libc::ENOENT | libc::ENOTDIR | libc::ELOOP) => continue,
                Err(e) => {
                    return Err(UnpackError::Os {
                        entry: show(&path),
                        what: "open the directory",
                        errno: e,
                    })
                }
            };
            check(unsafe { libc::futimens(fd.as_raw_fd(), times.as_ptr()) }).map_err(|e| {
                UnpackError::Os {
                    entry: show(&path),
                    what: "set the mtime",
                    errno: e,
                }
            })?;
        }
        Ok(())
    }
}

/// security.* (capability, ima...), trusted.* and user.*; system.* (ACLs) and others
/// are skipped, and so is the build host's SELinux label, which means nothing here.
/// So are overlayfs's own trusted.overlay.* and user.overlay.* (opaque, redirect,
/// metacopy, whiteout...): the image is mounted as an overlay's lower layer, where the
/// kernel would obey them; a layer says "opaque" with `.wh..wh..opq`, never so.
fn xattr_namespace_applied(name: &[u8]) -> bool {
    !name.contains(&0)
        && name != b"security.selinux"
        && !name.starts_with(b"trusted.overlay.")
        && !name.starts_with(b"user.overlay.")
        && (name.starts_with(b"security.")
            || name.starts_with(b"trusted.")
            || name.starts_with(b"user."))
}

/// linkat of an O_PATH fd: AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH, so without it the
/// fd's /proc/self/fd link is followed instead (the same inode, no path lookup).
fn link(target: RawFd, parent: BorrowedFd, name: &CStr) -> Result<(), i32> {
    let r = check(unsafe {
        libc::linkat(
            target,
            c"".as_ptr(),
            parent.as_raw_fd(),
            name.as_ptr(),
            libc::AT_EMPTY_PATH,
        )
    });
    match r {
        Err(libc::ENOENT) => {
            let p = c(format!("/proc/self/fd/{target}").as_bytes());
            check(unsafe {
                libc::linkat(
                    libc::AT_FDCWD,
                    p.as_ptr(),
                    parent.as_raw_fd(),
                    name.as_ptr(),
                    libc::AT_SYMLINK_FOLLOW,
                )
            })
        }
        r => r,
    }
}

#[cfg(test)]
#[path = "unpack_tests.rs"]
mod tests;
