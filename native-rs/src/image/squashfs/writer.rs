//! The walk of the source tree (streaming file data out as it goes), then the inode and
//! directory tables, the other tables and the superblock.
//!
//! Image layout, in the order the kernel's sanity checks expect:
//! superblock | data blocks and fragment blocks | inode table | directory table |
//! fragment table + index | id table + index | xattr kv | xattr ids | xattr id header +
//! index (ends at bytes_used) | zero padding to 4 KiB.

use std::collections::{BTreeMap, HashMap};
use std::ffi::{CStr, CString};
use std::fs::File;
use std::io::{BufWriter, ErrorKind, Read, Seek, SeekFrom, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;

use super::metadata::{Compressor, MetaPos, MetaWriter};
use super::tables::{indexed_table, write_listing, IdTable, ListEntry, Listing, XattrTable};
use super::{Error, Options, Result, Summary};

const MAGIC: u32 = 0x7371_7368;
const INVALID: u64 = u64::MAX;
const NO_FRAGMENT: u32 = u32::MAX;
const NO_XATTR: u32 = u32::MAX;
/// In a data or fragment block's size: the block is stored uncompressed.
const BLOCK_UNCOMPRESSED: u32 = 1 << 24;
const COMPRESSION_ZLIB: u16 = 1;
const FLAG_ALWAYS_FRAGMENTS: u16 = 0x0020;
const FLAG_NO_XATTRS: u16 = 0x0200;
const SUPERBLOCK_SIZE: usize = 96;
/// The image is padded to this, so that a loop device sees all of it.
const PAD: u64 = 4096;

// Basic inode types; the extended type of each is the basic one plus 7.
const T_DIR: u16 = 1;
const T_FILE: u16 = 2;
const T_SYMLINK: u16 = 3;
const T_BLK: u16 = 4;
const T_CHR: u16 = 5;
const T_FIFO: u16 = 6;
const T_SOCK: u16 = 7;
const EXTENDED: u16 = 7;

struct FileData {
    size: u64,
    start: u64,
    blocks: Vec<u32>,
    /// During the walk: each block's sequence number, or HOLE.
    seqs: Vec<u64>,
    fragment: u32,
    frag_offset: u32,
    /// Bytes in holes (all-zero blocks).
    sparse: u64,
}

enum Kind {
    Dir(Vec<(Vec<u8>, usize)>),
    File(FileData),
    Symlink(Vec<u8>),
    Block(u32),
    Char(u32),
    Fifo,
    Socket,
}

impl Kind {
    fn basic_type(&self) -> u16 {
        match self {
            Kind::Dir(_) => T_DIR,
            Kind::File(_) => T_FILE,
            Kind::Symlink(_) => T_SYMLINK,
            Kind::Block(_) => T_BLK,
            Kind::Char(_) => T_CHR,
            Kind::Fifo => T_FIFO,
            Kind::Socket => T_SOCK,
        }
    }
}

struct Node {
    kind: Kind,
    /// Permission bits, setuid, setgid and sticky included.
    perm: u16,
    uid: u32,
    gid: u32,
    mtime: u32,
    xattr: Option<u32>,
    /// Links inside the tree (directories: 2 + subdirectories).
    nlink: u32,
    number: u32,
    inode: Option<MetaPos>,
}

/// The image file, written sequentially.
struct Out {
    w: BufWriter<File>,
    pos: u64,
}

impl Out {
    fn write(&mut self, b: &[u8]) -> Result<()> {
        self.w
            .write_all(b)
            .map_err(|e| Error::os("write the image", e))?;
        self.pos += b.len() as u64;
        Ok(())
    }
}

/// A block to compress, by its place in the image's block sequence.
type Job = (u64, Vec<u8>);
/// A block done: its place, its bytes, and whether they are compressed.
type Done = (u64, Vec<u8>, bool);

/// In a file's block list during the walk: a hole (an all-zero block, not stored).
const HOLE: u64 = u64::MAX;

/// Data and fragment blocks, streamed to the image. Blocks get sequence numbers as
/// they are submitted, are compressed inline or by worker threads, and are written in
/// sequence order, so the output does not depend on the number of threads. Their
/// positions are known once written: files and fragments hold sequence numbers until
/// `resolve`.
struct Data {
    out: Out,
    z: Compressor,
    block_size: usize,
    cbuf: Vec<u8>,
    frag: Vec<u8>,
    /// Per fragment block: its sequence number.
    fragments: Vec<u64>,
    next_seq: u64,
    /// By sequence number: position and size field of each written block.
    written: Vec<(u64, u32)>,
    /// Workers' queues; None when compressing inline.
    jobs: Option<SyncSender<Job>>,
    results: Option<Receiver<Done>>,
    /// Finished blocks waiting for an earlier one.
    reorder: BTreeMap<u64, (Vec<u8>, bool)>,
    /// Blocks submitted but not written, at most.
    max_inflight: u64,
}

impl Data {
    fn new(
        out: Out,
        opts: &Options,
        jobs: Option<SyncSender<Job>>,
        results: Option<Receiver<Done>>,
        threads: usize,
    ) -> Data {
        let bs = opts.block_size as usize;
        Data {
            out,
            z: Compressor::new(opts.level),
            block_size: bs,
            cbuf: Vec::with_capacity(bs),
            frag: Vec::with_capacity(bs),
            fragments: Vec::new(),
            next_seq: 0,
            written: Vec::new(),
            jobs,
            results,
            reorder: BTreeMap::new(),
            max_inflight: 2 * threads as u64,
        }
    }

    /// Writes the finished blocks that are next in sequence.
    fn emit(&mut self, seq: u64, bytes: Vec<u8>, compressed: bool) -> Result<()> {
        self.reorder.insert(seq, (bytes, compressed));
        while let Some((bytes, compressed)) = self.reorder.remove(&(self.written.len() as u64)) {
            let pos = self.out.pos;
            self.out.write(&bytes)?;
            let size = bytes.len() as u32 | if compressed { 0 } else { BLOCK_UNCOMPRESSED };
            self.written.push((pos, size));
        }
        Ok(())
    }

    fn wait_one(&mut self) -> Result<()> {
        let done = self.results.as_ref().expect("workers").recv();
        let (seq, bytes, compressed) =
            done.map_err(|_| Error::Invalid("a compression thread stopped".into()))?;
        self.emit(seq, bytes, compressed)
    }

    /// Queues one block; returns its sequence number.
    fn submit(&mut self, block: Vec<u8>) -> Result<u64> {
        let seq = self.next_seq;
        self.next_seq += 1;
        if self.jobs.is_none() {
            let mut cbuf = std::mem::take(&mut self.cbuf);
            let r = if self.z.compress(&block, &mut cbuf) {
                self.emit(seq, cbuf, true)
            } else {
                self.cbuf = cbuf;
                self.emit(seq, block, false)
            };
            // emit wrote and dropped the buffer; keep one for the next block.
            if self.cbuf.capacity() == 0 {
                self.cbuf = Vec::with_capacity(self.block_size);
            }
            return r.map(|_| seq);
        }
        while seq - self.written.len() as u64 >= self.max_inflight {
            self.wait_one()?;
        }
        let sent = self.jobs.as_ref().expect("workers").send((seq, block));
        sent.map_err(|_| Error::Invalid("a compression thread stopped".into()))?;
        // Write what is ready without waiting.
        while let Some(Ok((s, bytes, c))) = self.results.as_ref().map(|r| r.try_recv()) {
            self.emit(s, bytes, c)?;
        }
        Ok(seq)
    }

    fn flush_fragment(&mut self) -> Result<()> {
        if self.frag.is_empty() {
            return Ok(());
        }
        let frag = std::mem::replace(&mut self.frag, Vec::with_capacity(self.block_size));
        let seq = self.submit(frag)?;
        self.fragments.push(seq);
        Ok(())
    }

    /// The last fragment, then every block written; stops the workers.
    fn finish(&mut self) -> Result<()> {
        self.flush_fragment()?;
        self.jobs = None;
        while (self.written.len() as u64) < self.next_seq {
            self.wait_one()?;
        }
        Ok(())
    }

    /// Streams a file of `size` bytes: full blocks to the image, the tail to a fragment.
    fn file(&mut self, r: &mut File, size: u64, path: &dyn Fn() -> String) -> Result<FileData> {
        let bs = self.block_size as u64;
        let mut d = FileData {
            size,
            start: 0,
            blocks: Vec::new(),
            seqs: Vec::with_capacity((size / bs) as usize),
            fragment: NO_FRAGMENT,
            frag_offset: 0,
            sparse: 0,
        };
        let read = |r: &mut File, buf: &mut [u8]| {
            r.read_exact(buf).map_err(|e| {
                if e.kind() == ErrorKind::UnexpectedEof {
                    Error::Invalid(format!("{}: the file shrank while it was read", path()))
                } else {
                    Error::os(format!("read {}", path()), e)
                }
            })
        };
        for _ in 0..size / bs {
            let mut buf = vec![0u8; self.block_size];
            read(r, &mut buf)?;
            if is_zero(&buf) {
                d.seqs.push(HOLE);
                d.sparse += bs;
            } else {
                d.seqs.push(self.submit(buf)?);
            }
        }
        let tail = (size % bs) as usize;
        if tail > 0 {
            let mut buf = vec![0u8; tail];
            read(r, &mut buf)?;
            if self.frag.len() + tail > self.block_size {
                self.flush_fragment()?;
            }
            // The fragment's index: blocks flushed so far.
            d.fragment = self.fragments.len() as u32;
            d.frag_offset = self.frag.len() as u32;
            self.frag.extend_from_slice(&buf);
        }
        Ok(d)
    }

    /// Turns a file's sequence numbers into its start and block sizes, once all blocks
    /// are written. A file's stored blocks are consecutive in the sequence.
    fn resolve(&self, d: &mut FileData) {
        let seqs = std::mem::take(&mut d.seqs);
        d.start = seqs
            .iter()
            .find(|&&s| s != HOLE)
            .map_or(self.out.pos, |&s| self.written[s as usize].0);
        d.blocks = seqs
            .iter()
            .map(|&s| {
                if s == HOLE {
                    0
                } else {
                    self.written[s as usize].1
                }
            })
            .collect();
    }
}

/// A compression thread: blocks in, finished blocks out, until the queue closes.
fn worker(jobs: &Mutex<Receiver<Job>>, done: SyncSender<Done>, level: u32) {
    let mut z = Compressor::new(level);
    loop {
        let job = jobs.lock().map(|rx| rx.recv());
        let Ok(Ok((seq, block))) = job else { return };
        let mut out = Vec::with_capacity(block.len());
        let result = if z.compress(&block, &mut out) {
            (seq, out, true)
        } else {
            (seq, block, false)
        };
        if done.send(result).is_err() {
            return;
        }
    }
}

fn is_zero(b: &[u8]) -> bool {
    let (pre, mid, post) = unsafe { b.align_to::<u64>() };
    pre.iter().all(|&x| x == 0) && mid.iter().all(|&x| x == 0) && post.iter().all(|&x| x == 0)
}

/// A path in the tree for messages: the tail of a very long one.
fn shown_path(p: &[u8]) -> String {
    const MAX: usize = 200;
    if p.len() <= MAX {
        return String::from_utf8_lossy(p).into_owned();
    }
    format!("...{}", String::from_utf8_lossy(&p[p.len() - MAX..]))
}

fn cstr(b: &[u8]) -> CString {
    // Names from readdir and paths from the caller have no NUL.
    CString::new(b).expect("no NUL")
}

fn fstat(fd: RawFd) -> std::io::Result<libc::stat> {
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd, &mut st) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(st)
}

fn fstatat(dirfd: RawFd, name: &CStr) -> std::io::Result<libc::stat> {
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstatat(dirfd, name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(st)
}

fn openat(dirfd: RawFd, name: &CStr, flags: i32) -> std::io::Result<OwnedFd> {
    let fd = unsafe {
        libc::openat(
            dirfd,
            name.as_ptr(),
            flags | libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NOCTTY,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The names in a directory (no "." or ".."), sorted bytewise as squashfs wants.
fn read_names(fd: RawFd) -> std::io::Result<Vec<CString>> {
    let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if dup < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let dir = unsafe { libc::fdopendir(dup) };
    if dir.is_null() {
        let e = std::io::Error::last_os_error();
        unsafe { libc::close(dup) };
        return Err(e);
    }
    unsafe { libc::rewinddir(dir) };
    let mut names = Vec::new();
    let result = loop {
        unsafe { *libc::__errno_location() = 0 };
        let ent = unsafe { libc::readdir(dir) };
        if ent.is_null() {
            let errno = unsafe { *libc::__errno_location() };
            break if errno == 0 {
                Ok(())
            } else {
                Err(std::io::Error::from_raw_os_error(errno))
            };
        }
        let name = unsafe { CStr::from_ptr((*ent).d_name.as_ptr()) };
        let b = name.to_bytes();
        if b != b"." && b != b".." {
            names.push(name.to_owned());
        }
    };
    unsafe { libc::closedir(dir) };
    result?;
    names.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    Ok(names)
}

/// Where xattrs are read from: an open fd, or a path whose last component is not
/// followed.
enum XattrAt<'a> {
    Fd(RawFd),
    Path(&'a CStr),
}

fn list_or_get(at: &XattrAt, name: Option<&CStr>, buf: &mut Vec<u8>) -> std::io::Result<()> {
    loop {
        let (p, cap) = (buf.as_mut_ptr() as *mut libc::c_char, buf.len());
        let n = unsafe {
            match (at, name) {
                (XattrAt::Fd(fd), None) => libc::flistxattr(*fd, p, cap),
                (XattrAt::Path(path), None) => libc::llistxattr(path.as_ptr(), p, cap),
                (XattrAt::Fd(fd), Some(n)) => {
                    libc::fgetxattr(*fd, n.as_ptr(), p as *mut libc::c_void, cap)
                }
                (XattrAt::Path(path), Some(n)) => {
                    libc::lgetxattr(path.as_ptr(), n.as_ptr(), p as *mut libc::c_void, cap)
                }
            }
        };
        if n >= 0 {
            buf.truncate(n as usize);
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::ERANGE) || buf.len() >= 1 << 20 {
            return Err(e);
        }
        buf.resize((buf.len() * 2).max(256), 0);
    }
}

/// All xattrs of an entry; none when the filesystem has no xattr support.
fn read_xattrs(at: XattrAt) -> std::io::Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut names = vec![0u8; 1024];
    match list_or_get(&at, None, &mut names) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::ENOTSUP) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    }
    let mut set = Vec::new();
    for n in names.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        if super::tables::xattr_type(n).is_none() {
            continue;
        }
        let mut value = vec![0u8; 256];
        match list_or_get(&at, Some(&cstr(n)), &mut value) {
            Ok(()) => set.push((n.to_vec(), value)),
            // Removed since the listing.
            Err(e) if e.raw_os_error() == Some(libc::ENODATA) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(set)
}

/// A device number in the kernel's "new" 32-bit encoding, which squashfs stores.
fn encode_dev(rdev: libc::dev_t) -> Option<u32> {
    let (major, minor) = (libc::major(rdev), libc::minor(rdev));
    if major >= 1 << 12 || minor >= 1 << 20 {
        return None;
    }
    Some((minor & 0xff) | (major << 8) | ((minor & !0xff) << 12))
}

fn clamp_time(t: i64) -> u32 {
    t.clamp(0, i64::from(u32::MAX)) as u32
}

struct Frame {
    /// The directory, while listed, and afterwards in the first KEEP_FDS frames.
    fd: Option<OwnedFd>,
    /// Its name in its parent, and its (dev, ino), to open it again.
    name: CString,
    id: (u64, u64),
    node: usize,
    path: Vec<u8>,
    /// Subdirectories to descend into: name, node, dev, ino.
    subdirs: Vec<(CString, usize, u64, u64)>,
    next: usize,
}

struct Builder {
    data: Data,
    nodes: Vec<Node>,
    /// Non-directories with more than one link, by (dev, ino).
    links: HashMap<(u64, u64), usize>,
    xattrs: XattrTable,
    /// For the tables (the data compressor is busy in `data`).
    z: Compressor,
    max_depth: usize,
    /// The image being written, left out when it is inside the source.
    image: (u64, u64),
}

impl Builder {
    fn node(&mut self, kind: Kind, st: &libc::stat, xattr: Option<u32>) -> usize {
        self.nodes.push(Node {
            kind,
            perm: (st.st_mode & 0o7777) as u16,
            uid: st.st_uid,
            gid: st.st_gid,
            mtime: clamp_time(st.st_mtime),
            xattr,
            nlink: 1,
            number: 0,
            inode: None,
        });
        self.nodes.len() - 1
    }

    /// Reads a directory's entries into its node, streaming file data, and queues its
    /// subdirectories.
    fn list_dir(&mut self, frame: &mut Frame) -> Result<()> {
        let fd = frame.fd.as_ref().expect("open while listed").as_raw_fd();
        let shown = |name: &[u8]| {
            let mut p = frame.path.clone();
            p.push(b'/');
            p.extend_from_slice(name);
            shown_path(&p)
        };
        let names = read_names(fd)
            .map_err(|e| Error::os(format!("list {}/", shown_path(&frame.path)), e))?;
        let mut children = Vec::with_capacity(names.len());
        for name in names {
            let nb = name.as_bytes();
            if nb.len() > 255 {
                return Err(Error::Invalid(format!("{}: name too long", shown(nb))));
            }
            let path = || shown(nb);
            let st = fstatat(fd, &name).map_err(|e| Error::os(format!("stat {}", path()), e))?;
            let fmt = st.st_mode & libc::S_IFMT;
            let key = (st.st_dev, st.st_ino);
            if key == self.image {
                continue;
            }
            if fmt != libc::S_IFDIR && st.st_nlink > 1 {
                if let Some(&n) = self.links.get(&key) {
                    self.nodes[n].nlink += 1;
                    children.push((nb.to_vec(), n));
                    continue;
                }
            }
            let mut at = b"/proc/self/fd/".to_vec();
            at.extend_from_slice(fd.to_string().as_bytes());
            at.push(b'/');
            at.extend_from_slice(nb);
            let at = cstr(&at);
            let set = read_xattrs(XattrAt::Path(&at))
                .map_err(|e| Error::os(format!("read the xattrs of {}", path()), e))?;
            let xattr = self.xattrs.intern(&mut self.z, set);
            let kind = match fmt {
                libc::S_IFDIR => Kind::Dir(Vec::new()),
                libc::S_IFREG => Kind::File(self.file(fd, &name, &st, &path)?),
                libc::S_IFLNK => Kind::Symlink(readlink(fd, &name, &path)?),
                libc::S_IFBLK | libc::S_IFCHR => {
                    let dev = encode_dev(st.st_rdev).ok_or_else(|| {
                        Error::Invalid(format!("{}: device number out of range", path()))
                    })?;
                    if fmt == libc::S_IFBLK {
                        Kind::Block(dev)
                    } else {
                        Kind::Char(dev)
                    }
                }
                libc::S_IFIFO => Kind::Fifo,
                libc::S_IFSOCK => Kind::Socket,
                _ => return Err(Error::Invalid(format!("{}: unknown file type", path()))),
            };
            let n = self.node(kind, &st, xattr);
            if fmt == libc::S_IFDIR {
                frame.subdirs.push((name.clone(), n, st.st_dev, st.st_ino));
            } else if st.st_nlink > 1 {
                self.links.insert(key, n);
            }
            children.push((nb.to_vec(), n));
        }
        self.nodes[frame.node].kind = Kind::Dir(children);
        Ok(())
    }

    fn file(
        &mut self,
        dirfd: RawFd,
        name: &CStr,
        st: &libc::stat,
        path: &dyn Fn() -> String,
    ) -> Result<FileData> {
        // O_NONBLOCK: if the entry was swapped for a FIFO since the stat, the open
        // does not hang; the fstat below refuses it.
        let fd = openat(dirfd, name, libc::O_RDONLY | libc::O_NONBLOCK)
            .map_err(|e| Error::os(format!("open {}", path()), e))?;
        let now = fstat(fd.as_raw_fd()).map_err(|e| Error::os(format!("stat {}", path()), e))?;
        if now.st_mode & libc::S_IFMT != libc::S_IFREG
            || (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino)
        {
            return Err(Error::Invalid(format!(
                "{}: replaced while the image was built",
                path()
            )));
        }
        let mut f = File::from(fd);
        self.data.file(&mut f, now.st_size as u64, path)
    }

    /// Walks the tree from the root fd, depth first with an explicit stack.
    fn walk(&mut self, root: OwnedFd) -> Result<()> {
        let st = fstat(root.as_raw_fd()).map_err(|e| Error::os("stat the source", e))?;
        if st.st_mode & libc::S_IFMT != libc::S_IFDIR {
            return Err(Error::Invalid("the source is not a directory".into()));
        }
        let set = read_xattrs(XattrAt::Fd(root.as_raw_fd()))
            .map_err(|e| Error::os("read the xattrs of the source", e))?;
        let xattr = self.xattrs.intern(&mut self.z, set);
        let node = self.node(Kind::Dir(Vec::new()), &st, xattr);
        let mut first = Frame {
            fd: Some(root),
            name: CString::default(),
            id: (st.st_dev, st.st_ino),
            node,
            path: Vec::new(),
            subdirs: Vec::new(),
            next: 0,
        };
        self.list_dir(&mut first)?;
        let mut frames = vec![first];
        loop {
            let depth = frames.len();
            let Some(top) = frames.last_mut() else { break };
            if top.next == top.subdirs.len() {
                frames.pop();
                continue;
            }
            let (name, node, dev, ino) = top.subdirs[top.next].clone();
            top.next += 1;
            let mut path = top.path.clone();
            path.push(b'/');
            path.extend_from_slice(name.as_bytes());
            let shown = || shown_path(&path);
            if depth >= self.max_depth {
                return Err(Error::Invalid(format!(
                    "{}: deeper than {} directories",
                    shown(),
                    self.max_depth
                )));
            }
            let reopened;
            let parent = match &frames[depth - 1].fd {
                Some(fd) => fd.as_raw_fd(),
                None => {
                    reopened = reopen(&frames)?;
                    reopened.as_raw_fd()
                }
            };
            let fd = open_dir(parent, &name, (dev, ino), &shown)?;
            let mut frame = Frame {
                fd: Some(fd),
                name,
                id: (dev, ino),
                node,
                path,
                subdirs: Vec::new(),
                next: 0,
            };
            self.list_dir(&mut frame)?;
            // Deep trees must not run out of fds: below this depth a directory is
            // opened again, from the deepest open ancestor, for each subdirectory.
            if depth >= KEEP_FDS {
                frame.fd = None;
            }
            frames.push(frame);
        }
        Ok(())
    }
}

/// Frames that keep their directory open while their subdirectories are walked.
const KEEP_FDS: usize = 64;

/// Opens a subdirectory, checking that it is still the one listed.
fn open_dir(
    parent: RawFd,
    name: &CStr,
    id: (u64, u64),
    shown: &dyn Fn() -> String,
) -> Result<OwnedFd> {
    let fd = openat(parent, name, libc::O_RDONLY | libc::O_DIRECTORY)
        .map_err(|e| Error::os(format!("open {}", shown()), e))?;
    let now = fstat(fd.as_raw_fd()).map_err(|e| Error::os(format!("stat {}", shown()), e))?;
    if (now.st_dev, now.st_ino) != id {
        return Err(Error::Invalid(format!(
            "{}: replaced while the image was built",
            shown()
        )));
    }
    Ok(fd)
}

/// Opens the deepest frame's directory again, name by name from the deepest frame that
/// kept its fd, never following a symlink and checking each step's identity.
fn reopen(frames: &[Frame]) -> Result<OwnedFd> {
    let j = frames
        .iter()
        .rposition(|f| f.fd.is_some())
        .expect("the root keeps its fd");
    let mut cur: Option<OwnedFd> = None;
    for f in &frames[j + 1..] {
        let at = match &cur {
            Some(fd) => fd.as_raw_fd(),
            None => frames[j].fd.as_ref().expect("kept").as_raw_fd(),
        };
        let shown = || shown_path(&f.path);
        cur = Some(open_dir(at, &f.name, f.id, &shown)?);
    }
    Ok(cur.expect("a frame without its fd is below the kept one"))
}

fn readlink(dirfd: RawFd, name: &CStr, path: &dyn Fn() -> String) -> Result<Vec<u8>> {
    // The kernel's squashfs refuses targets longer than a page.
    let mut buf = vec![0u8; 4097];
    let n = unsafe {
        libc::readlinkat(
            dirfd,
            name.as_ptr(),
            buf.as_mut_ptr() as *mut libc::c_char,
            buf.len(),
        )
    };
    if n < 0 {
        return Err(Error::last_os(format!("read the link {}", path())));
    }
    let n = n as usize;
    if n == 0 || n > 4096 {
        return Err(Error::Invalid(format!(
            "{}: symlink target empty or too long",
            path()
        )));
    }
    buf.truncate(n);
    Ok(buf)
}

/// Directories in post-order (children before their parent), children in name order.
fn post_order(nodes: &[Node]) -> Vec<usize> {
    let mut order = Vec::new();
    let mut stack = vec![0usize];
    while let Some(d) = stack.pop() {
        order.push(d);
        if let Kind::Dir(children) = &nodes[d].kind {
            for (_, c) in children {
                if matches!(nodes[*c].kind, Kind::Dir(_)) {
                    stack.push(*c);
                }
            }
        }
    }
    // Pushed in name order, popped in reverse: reversing gives post-order with the
    // children in name order.
    order.reverse();
    order
}

struct Tables {
    inodes: MetaWriter,
    dirs: MetaWriter,
    ids: IdTable,
}

fn ids(ids: &mut IdTable, node: &Node) -> Result<(u16, u16)> {
    let full = || Error::Invalid("more than 65536 distinct uids and gids".into());
    Ok((
        ids.index(node.uid).ok_or_else(full)?,
        ids.index(node.gid).ok_or_else(full)?,
    ))
}

fn header(buf: &mut Vec<u8>, t: u16, node: &Node, uid: u16, gid: u16) {
    buf.clear();
    buf.extend_from_slice(&t.to_le_bytes());
    buf.extend_from_slice(&node.perm.to_le_bytes());
    buf.extend_from_slice(&uid.to_le_bytes());
    buf.extend_from_slice(&gid.to_le_bytes());
    buf.extend_from_slice(&node.mtime.to_le_bytes());
    buf.extend_from_slice(&node.number.to_le_bytes());
}

fn put32(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_le_bytes());
}

fn put64(buf: &mut Vec<u8>, v: u64) {
    buf.extend_from_slice(&v.to_le_bytes());
}

/// Appends a non-directory's inode.
fn write_inode(t: &mut Tables, z: &mut Compressor, node: &Node, buf: &mut Vec<u8>) -> Result<()> {
    let (uid, gid) = ids(&mut t.ids, node)?;
    let xattr = node.xattr.unwrap_or(NO_XATTR);
    let ext = node.xattr.is_some();
    let basic = node.kind.basic_type();
    match &node.kind {
        Kind::Dir(_) => unreachable!("directories are written with their listing"),
        Kind::File(f) => {
            let basic_ok = !ext
                && node.nlink == 1
                && f.sparse == 0
                && f.size <= u64::from(u32::MAX)
                && f.start <= u64::from(u32::MAX);
            if basic_ok {
                header(buf, T_FILE, node, uid, gid);
                put32(buf, f.start as u32);
                put32(buf, f.fragment);
                put32(buf, f.frag_offset);
                put32(buf, f.size as u32);
            } else {
                header(buf, T_FILE + EXTENDED, node, uid, gid);
                put64(buf, f.start);
                put64(buf, f.size);
                put64(buf, f.sparse);
                put32(buf, node.nlink);
                put32(buf, f.fragment);
                put32(buf, f.frag_offset);
                put32(buf, xattr);
            }
            for b in &f.blocks {
                put32(buf, *b);
            }
        }
        Kind::Symlink(target) => {
            header(buf, basic + if ext { EXTENDED } else { 0 }, node, uid, gid);
            put32(buf, node.nlink);
            put32(buf, target.len() as u32);
            buf.extend_from_slice(target);
            if ext {
                put32(buf, xattr);
            }
        }
        Kind::Block(dev) | Kind::Char(dev) => {
            header(buf, basic + if ext { EXTENDED } else { 0 }, node, uid, gid);
            put32(buf, node.nlink);
            put32(buf, *dev);
            if ext {
                put32(buf, xattr);
            }
        }
        Kind::Fifo | Kind::Socket => {
            header(buf, basic + if ext { EXTENDED } else { 0 }, node, uid, gid);
            put32(buf, node.nlink);
            if ext {
                put32(buf, xattr);
            }
        }
    }
    t.inodes.write(z, buf);
    Ok(())
}

fn write_dir_inode(
    t: &mut Tables,
    z: &mut Compressor,
    node: &Node,
    listing: &Listing,
    parent: u32,
    buf: &mut Vec<u8>,
) -> Result<()> {
    let (uid, gid) = ids(&mut t.ids, node)?;
    let size = listing.size + 3;
    let block = u32::try_from(listing.pos.block)
        .map_err(|_| Error::Invalid("the directory table is larger than 4 GiB".into()))?;
    if node.xattr.is_none() && listing.index.is_empty() && size <= 0xffff {
        header(buf, T_DIR, node, uid, gid);
        put32(buf, block);
        put32(buf, node.nlink);
        buf.extend_from_slice(&(size as u16).to_le_bytes());
        buf.extend_from_slice(&listing.pos.offset.to_le_bytes());
        put32(buf, parent);
    } else {
        let count = u16::try_from(listing.index.len())
            .map_err(|_| Error::Invalid("a directory too large for its index".into()))?;
        header(buf, T_DIR + EXTENDED, node, uid, gid);
        put32(buf, node.nlink);
        put32(buf, size);
        put32(buf, block);
        put32(buf, parent);
        buf.extend_from_slice(&count.to_le_bytes());
        buf.extend_from_slice(&listing.pos.offset.to_le_bytes());
        put32(buf, node.xattr.unwrap_or(NO_XATTR));
        for x in &listing.index {
            put32(buf, x.index);
            put32(buf, x.start);
            put32(buf, x.name.len() as u32 - 1);
            buf.extend_from_slice(&x.name);
        }
    }
    t.inodes.write(z, buf);
    Ok(())
}

/// Numbers the inodes, then writes the inode and directory tables. Returns the root's
/// inode reference and the inode count.
fn write_tree(nodes: &mut [Node], t: &mut Tables, z: &mut Compressor) -> Result<(u64, u32)> {
    let order = post_order(nodes);
    let mut next = 1u32;
    let mut parent = vec![0usize; nodes.len()];
    for &d in &order {
        let Kind::Dir(children) = &nodes[d].kind else {
            unreachable!()
        };
        let kids: Vec<usize> = children.iter().map(|(_, c)| *c).collect();
        let mut subdirs = 0;
        for c in kids {
            if matches!(nodes[c].kind, Kind::Dir(_)) {
                subdirs += 1;
                parent[c] = d;
            } else if nodes[c].number == 0 {
                nodes[c].number = next;
                next += 1;
            }
        }
        nodes[d].number = next;
        nodes[d].nlink = 2 + subdirs;
        next += 1;
    }
    let count = next - 1;
    let mut buf = Vec::with_capacity(256);
    for &d in &order {
        let Kind::Dir(children) = &nodes[d].kind else {
            unreachable!()
        };
        let kids: Vec<usize> = children.iter().map(|(_, c)| *c).collect();
        for c in kids {
            if nodes[c].inode.is_none() {
                nodes[c].inode = Some(t.inodes.pos());
                write_inode(t, z, &nodes[c], &mut buf)?;
            }
        }
        let Kind::Dir(children) = &nodes[d].kind else {
            unreachable!()
        };
        let entries: Vec<ListEntry> = children
            .iter()
            .map(|(name, c)| ListEntry {
                name,
                inode: nodes[*c].inode.expect("written"),
                number: nodes[*c].number,
                kind: nodes[*c].kind.basic_type(),
            })
            .collect();
        let listing = write_listing(&mut t.dirs, z, &entries);
        // The root's parent is one past the last inode, as mksquashfs does.
        let p = if d == 0 {
            count + 1
        } else {
            nodes[parent[d]].number
        };
        nodes[d].inode = Some(t.inodes.pos());
        write_dir_inode(t, z, &nodes[d], &listing, p, &mut buf)?;
    }
    Ok((nodes[0].inode.expect("root written").reference(), count))
}

struct Superblock {
    inodes: u32,
    mkfs_time: u32,
    block_size: u32,
    fragments: u32,
    flags: u16,
    ids: u16,
    root: u64,
    bytes_used: u64,
    id_table: u64,
    xattr_table: u64,
    inode_table: u64,
    dir_table: u64,
    fragment_table: u64,
}

impl Superblock {
    fn bytes(&self) -> [u8; SUPERBLOCK_SIZE] {
        let mut b = Vec::with_capacity(SUPERBLOCK_SIZE);
        b.extend_from_slice(&MAGIC.to_le_bytes());
        b.extend_from_slice(&self.inodes.to_le_bytes());
        b.extend_from_slice(&self.mkfs_time.to_le_bytes());
        b.extend_from_slice(&self.block_size.to_le_bytes());
        b.extend_from_slice(&self.fragments.to_le_bytes());
        b.extend_from_slice(&COMPRESSION_ZLIB.to_le_bytes());
        b.extend_from_slice(&(self.block_size.trailing_zeros() as u16).to_le_bytes());
        b.extend_from_slice(&self.flags.to_le_bytes());
        b.extend_from_slice(&self.ids.to_le_bytes());
        b.extend_from_slice(&4u16.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        for v in [
            self.root,
            self.bytes_used,
            self.id_table,
            self.xattr_table,
            self.inode_table,
            self.dir_table,
            self.fragment_table,
            INVALID, // no export table
        ] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.try_into().expect("96 bytes")
    }
}

fn check(opts: &Options) -> Result<()> {
    let bs = opts.block_size;
    if !bs.is_power_of_two() || !(4096..=1 << 20).contains(&bs) {
        return Err(Error::Invalid(format!(
            "block size {bs}: a power of two from 4096 to 1048576"
        )));
    }
    if !(1..=9).contains(&opts.level) {
        return Err(Error::Invalid(format!("gzip level {}: 1 to 9", opts.level)));
    }
    Ok(())
}

/// Writes a squashfs image of the tree at `source` to `out`, which must not exist.
/// On error, the partial file is removed.
pub fn build(source: &Path, out: &Path, opts: &Options) -> Result<Summary> {
    check(opts)?;
    let src = cstr(source.as_os_str().as_bytes());
    let root = unsafe {
        libc::open(
            src.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if root < 0 {
        return Err(Error::last_os(format!("open {}", source.display())));
    }
    let root = unsafe { OwnedFd::from_raw_fd(root) };
    let dst = cstr(out.as_os_str().as_bytes());
    let fd = unsafe {
        libc::open(
            dst.as_ptr(),
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC,
            0o644,
        )
    };
    if fd < 0 {
        return Err(Error::last_os(format!("create {}", out.display())));
    }
    let file = unsafe { File::from_raw_fd(fd) };
    let result = write_image(root, file, opts);
    if result.is_err() {
        unsafe { libc::unlink(dst.as_ptr()) };
    }
    result
}

fn write_image(root: OwnedFd, file: File, opts: &Options) -> Result<Summary> {
    let st = fstat(file.as_raw_fd()).map_err(|e| Error::os("stat the image", e))?;
    let mut out = Out {
        w: BufWriter::with_capacity(256 << 10, file),
        pos: 0,
    };
    out.write(&[0u8; SUPERBLOCK_SIZE])?;
    let threads = opts.threads.max(1);
    // The walk and the data: with compression threads when there are more than one.
    let b = std::thread::scope(|scope| -> Result<Builder> {
        let (jobs, results) = if threads > 1 {
            let (jobs, rx) = sync_channel::<Job>(threads);
            let (done, results) = sync_channel::<Done>(2 * threads);
            let rx = std::sync::Arc::new(Mutex::new(rx));
            for _ in 0..threads {
                let (rx, done) = (rx.clone(), done.clone());
                let level = opts.level;
                scope.spawn(move || worker(&rx, done, level));
            }
            (Some(jobs), Some(results))
        } else {
            (None, None)
        };
        let mut b = Builder {
            data: Data::new(out, opts, jobs, results, threads),
            nodes: Vec::new(),
            links: HashMap::new(),
            xattrs: XattrTable::default(),
            z: Compressor::new(opts.level),
            max_depth: opts.max_depth,
            image: (st.st_dev, st.st_ino),
        };
        // On an error, dropping the builder closes the queues and the workers end.
        b.walk(root)?;
        b.data.finish()?;
        b.data.results = None;
        Ok(b)
    })?;
    let Builder {
        data,
        mut nodes,
        xattrs,
        mut z,
        ..
    } = b;
    for n in &mut nodes {
        if let Kind::File(f) = &mut n.kind {
            data.resolve(f);
        }
    }
    let fragments: Vec<(u64, u32)> = data
        .fragments
        .iter()
        .map(|&s| data.written[s as usize])
        .collect();
    let mut out = data.out;

    let mut t = Tables {
        inodes: MetaWriter::new(),
        dirs: MetaWriter::new(),
        ids: IdTable::default(),
    };
    let (root_ref, inode_count) = write_tree(&mut nodes, &mut t, &mut z)?;

    let inode_table = out.pos;
    let (bytes, _) = t.inodes.finish(&mut z);
    out.write(&bytes)?;
    let dir_table = out.pos;
    let (bytes, _) = t.dirs.finish(&mut z);
    out.write(&bytes)?;

    let entries: Vec<u8> = fragments
        .iter()
        .flat_map(|(start, size)| {
            let mut e = start.to_le_bytes().to_vec();
            e.extend_from_slice(&size.to_le_bytes());
            e.extend_from_slice(&0u32.to_le_bytes());
            e
        })
        .collect();
    let (bytes, fragment_table) = indexed_table(&mut z, &entries, out.pos);
    out.write(&bytes)?;

    let (bytes, id_table) = indexed_table(&mut z, &t.ids.entries(), out.pos);
    out.write(&bytes)?;

    let no_xattrs = xattrs.is_empty();
    let xattr_table = if no_xattrs {
        INVALID
    } else {
        let (bytes, header) = xattrs.finish(&mut z, out.pos);
        out.write(&bytes)?;
        header
    };

    let bytes_used = out.pos;
    let padded = bytes_used.div_ceil(PAD) * PAD;
    out.write(&vec![0u8; (padded - bytes_used) as usize])?;

    let mut flags = FLAG_ALWAYS_FRAGMENTS;
    if no_xattrs {
        flags |= FLAG_NO_XATTRS;
    }
    let sb = Superblock {
        inodes: inode_count,
        mkfs_time: opts.mkfs_time,
        block_size: opts.block_size,
        fragments: fragments.len() as u32,
        flags,
        ids: t.ids.len() as u16,
        root: root_ref,
        bytes_used,
        id_table,
        xattr_table,
        inode_table,
        dir_table,
        fragment_table,
    };
    let mut file = out
        .w
        .into_inner()
        .map_err(|e| Error::os("write the image", e.into_error()))?;
    file.seek(SeekFrom::Start(0))
        .and_then(|_| file.write_all(&sb.bytes()))
        .map_err(|e| Error::os("write the superblock", e))?;
    file.sync_all()
        .map_err(|e| Error::os("fsync the image", e))?;

    let mut files = 0u32;
    let mut data_bytes = 0u64;
    for n in &nodes {
        if let Kind::File(f) = &n.kind {
            files += 1;
            data_bytes += f.size;
        }
    }
    Ok(Summary {
        bytes: padded,
        inodes: inode_count,
        files,
        data_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_numbers_use_the_kernels_encoding() {
        assert_eq!(encode_dev(libc::makedev(1, 3)), Some(0x103));
        assert_eq!(
            encode_dev(libc::makedev(259, 0x12345)),
            Some(0x45 | (259 << 8) | (0x12300 << 12))
        );
        assert_eq!(encode_dev(libc::makedev(4096, 0)), None);
    }

    #[test]
    fn the_superblock_is_96_bytes_with_the_magic_and_block_log() {
        let sb = Superblock {
            inodes: 3,
            mkfs_time: 0,
            block_size: 131072,
            fragments: 0,
            flags: 0,
            ids: 1,
            root: 0,
            bytes_used: 0,
            id_table: 0,
            xattr_table: INVALID,
            inode_table: 0,
            dir_table: 0,
            fragment_table: 0,
        };
        let b = sb.bytes();
        assert_eq!(&b[..4], b"hsqs");
        assert_eq!(u16::from_le_bytes([b[22], b[23]]), 17);
        assert_eq!(u16::from_le_bytes([b[28], b[29]]), 4);
        assert_eq!(&b[88..96], &[0xff; 8]);
    }

    #[test]
    fn zero_detection() {
        let mut v = vec![0u8; 4099];
        assert!(is_zero(&v[1..]));
        v[4098] = 1;
        assert!(!is_zero(&v[1..]));
    }
}
