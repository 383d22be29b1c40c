//! Real tests: build images of a tree with every kind of entry, then check them with
//! unsquashfs (listing and extraction) and with the kernel (a read-only loop mount).
//! They need root (devices, owners, trusted xattrs, mount); CI runs as root.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use super::{build, Error, Options};

fn root() -> bool {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root");
        return false;
    }
    true
}

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "lite-sqfs-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Unmounts on drop, failure or not.
struct Mounted(PathBuf);

impl Mounted {
    fn new(image: &Path, at: &Path) -> Mounted {
        fs::create_dir_all(at).unwrap();
        let st = Command::new("mount")
            .args(["-t", "squashfs", "-o", "loop,ro"])
            .arg(image)
            .arg(at)
            .status()
            .unwrap();
        assert!(st.success(), "mount {}", image.display());
        Mounted(at.to_path_buf())
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn c(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).unwrap()
}

fn lsetxattr(p: &Path, name: &str, value: &[u8]) {
    let n = CString::new(name).unwrap();
    let r = unsafe {
        libc::lsetxattr(
            c(p).as_ptr(),
            n.as_ptr(),
            value.as_ptr() as *const libc::c_void,
            value.len(),
            0,
        )
    };
    assert_eq!(
        r,
        0,
        "setxattr {name} on {}: {}",
        p.display(),
        std::io::Error::last_os_error()
    );
}

fn xattrs(p: &Path) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut names = vec![0u8; 65536];
    let n = unsafe { libc::llistxattr(c(p).as_ptr(), names.as_mut_ptr() as *mut _, names.len()) };
    if n < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EOPNOTSUPP) {
        // squashfs without an xattr table
        return out;
    }
    assert!(n >= 0, "listxattr {}", p.display());
    names.truncate(n as usize);
    for name in names.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let cn = CString::new(name).unwrap();
        let mut v = vec![0u8; 65536];
        let n = unsafe {
            libc::lgetxattr(
                c(p).as_ptr(),
                cn.as_ptr(),
                v.as_mut_ptr() as *mut _,
                v.len(),
            )
        };
        assert!(n >= 0);
        v.truncate(n as usize);
        out.insert(name.to_vec(), v);
    }
    out
}

fn set_mtime(p: &Path, secs: i64) {
    let t = libc::timespec {
        tv_sec: secs,
        tv_nsec: 0,
    };
    let r = unsafe {
        libc::utimensat(
            libc::AT_FDCWD,
            c(p).as_ptr(),
            [t, t].as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    assert_eq!(r, 0);
}

fn chown(p: &Path, uid: u32, gid: u32) {
    assert_eq!(unsafe { libc::lchown(c(p).as_ptr(), uid, gid) }, 0);
}

fn noise(len: usize, mut x: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    v
}

const BS: usize = 131_072;

/// The tree the brief asks for: every entry kind, the block-size edges, big files,
/// hard links, long targets, modes, owners, mtimes and xattrs.
fn make_tree(t: &Path) {
    fs::create_dir_all(t.join("a/b/c/d")).unwrap();
    fs::write(t.join("a/b/c/d/deep"), b"deep file\n").unwrap();
    fs::create_dir(t.join("many")).unwrap();
    for i in 0..300 {
        fs::write(
            t.join(format!("many/f{i:03}")),
            format!("file {i}\n").repeat(i % 7),
        )
        .unwrap();
    }
    // A listing larger than 64 KiB and than one metadata block: an extended directory
    // with an index, found by name through the kernel's lookup.
    fs::create_dir(t.join("wide")).unwrap();
    for i in 0..1200 {
        let name = format!("{i:05}-{}", "n".repeat(60));
        fs::write(t.join("wide").join(name), i.to_string()).unwrap();
    }
    fs::write(t.join("empty"), b"").unwrap();
    fs::write(t.join("exact"), noise(BS, 1)).unwrap();
    fs::write(t.join("exact+1"), noise(BS + 1, 2)).unwrap();
    fs::write(t.join("random20m"), noise(20 << 20, 3)).unwrap();
    fs::write(t.join("zeros20m"), vec![0u8; 20 << 20]).unwrap();
    // Zero blocks around data, and a zero tail.
    let mut mixed = vec![0u8; 3 * BS + 100];
    mixed[BS..2 * BS].copy_from_slice(&noise(BS, 4));
    fs::write(t.join("mixed"), mixed).unwrap();
    fs::write(t.join("text"), "squashfs ".repeat(50_000)).unwrap();
    fs::write(t.join("hl1"), b"linked content\n").unwrap();
    fs::hard_link(t.join("hl1"), t.join("a/hl2")).unwrap();
    fs::hard_link(t.join("hl1"), t.join("many/hl3")).unwrap();
    symlink("a/b", t.join("short-link")).unwrap();
    let long: String = (0..1000).map(|_| "abc/").collect();
    symlink(&long, t.join("long-link")).unwrap();
    symlink("/etc/passwd", t.join("a/abs-link")).unwrap();
    fs::hard_link(t.join("short-link"), t.join("a/short-link-hl")).unwrap();
    let fifo = c(&t.join("fifo"));
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o640) }, 0);
    let null = c(&t.join("null"));
    assert_eq!(
        unsafe { libc::mknod(null.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) },
        0
    );
    let blk = c(&t.join("blk"));
    assert_eq!(
        unsafe {
            libc::mknod(
                blk.as_ptr(),
                libc::S_IFBLK | 0o600,
                libc::makedev(259, 70000),
            )
        },
        0
    );
    fs::write(t.join("suid"), b"#!/bin/sh\n").unwrap();
    fs::set_permissions(t.join("suid"), fs::Permissions::from_mode(0o4755)).unwrap();
    fs::write(t.join("sgid"), b"x").unwrap();
    fs::set_permissions(t.join("sgid"), fs::Permissions::from_mode(0o2711)).unwrap();
    fs::create_dir(t.join("sticky")).unwrap();
    fs::set_permissions(t.join("sticky"), fs::Permissions::from_mode(0o1777)).unwrap();
    fs::write(t.join("owned"), b"owned").unwrap();
    chown(&t.join("owned"), 1000, 2000);
    chown(&t.join("a"), 1000, 2000);
    chown(&t.join("short-link"), 2000, 1000);
    // security.capability: revision 2, effective, cap_net_bind_service permitted.
    let mut cap = Vec::new();
    for w in [0x0200_0001u32, 1 << 10, 0, 0, 0] {
        cap.extend_from_slice(&w.to_le_bytes());
    }
    fs::write(t.join("capable"), b"\x7fELF").unwrap();
    fs::set_permissions(t.join("capable"), fs::Permissions::from_mode(0o755)).unwrap();
    lsetxattr(&t.join("capable"), "security.capability", &cap);
    lsetxattr(&t.join("capable"), "user.test", b"hello");
    lsetxattr(&t.join("a"), "user.test", b"on a dir");
    lsetxattr(&t.join("empty"), "user.test", b"");
    lsetxattr(&t.join("hl1"), "user.test", b"hello");
    lsetxattr(&t.join("a/abs-link"), "trusted.lnk", b"on a symlink");
    // mtimes last (children change their directory's), deepest first.
    let mut all = Vec::new();
    walk(t, &mut all);
    all.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for (i, p) in all.iter().enumerate() {
        set_mtime(p, 1_600_000_000 + i as i64 * 7);
    }
    set_mtime(t, 1_234_567_890);
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut names: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for p in names {
        out.push(p.clone());
        if fs::symlink_metadata(&p).unwrap().is_dir() {
            walk(&p, out);
        }
    }
}

/// What must survive: per relative path, kind and mode, owner, size, mtime, link count,
/// rdev, content (or target), xattrs, and which paths share an inode.
fn snapshot(root: &Path, with_root_mtime: bool) -> BTreeMap<PathBuf, String> {
    let mut paths = vec![root.to_path_buf()];
    walk(root, &mut paths);
    let mut inodes: BTreeMap<u64, PathBuf> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for p in paths {
        let rel = p.strip_prefix(root).unwrap().to_path_buf();
        let m = fs::symlink_metadata(&p).unwrap();
        let ft = m.file_type();
        let body = if ft.is_file() {
            let data = fs::read(&p).unwrap();
            format!("{:x}", fnv(&data))
        } else if ft.is_symlink() {
            format!("{:?}", fs::read_link(&p).unwrap().as_os_str())
        } else {
            String::new()
        };
        let first = if m.nlink() > 1 && !ft.is_dir() {
            let f = inodes.entry(m.ino()).or_insert(rel.clone());
            f.display().to_string()
        } else {
            String::new()
        };
        let mtime = if rel.as_os_str().is_empty() && !with_root_mtime {
            0
        } else {
            m.mtime()
        };
        let line = format!(
            "mode={:o} uid={} gid={} size={} mtime={} nlink={} rdev={:x} body={} same-as={} xattrs={:?}",
            m.mode(),
            m.uid(),
            m.gid(),
            if ft.is_dir() { 0 } else { m.size() },
            mtime,
            m.nlink(),
            m.rdev(),
            body,
            first,
            xattrs(&p)
        );
        out.insert(rel, line);
    }
    out
}

/// A content fingerprint, a word at a time (the tests run unoptimised).
fn fnv(d: &[u8]) -> u64 {
    let words = d.chunks(8).map(|c| {
        let mut w = [0u8; 8];
        w[..c.len()].copy_from_slice(c);
        u64::from_le_bytes(w)
    });
    words.fold(0xcbf2_9ce4_8422_2325u64 ^ d.len() as u64, |h, w| {
        (h ^ w).wrapping_mul(0x100_0000_01b3)
    })
}

fn assert_same(a: &BTreeMap<PathBuf, String>, b: &BTreeMap<PathBuf, String>, what: &str) {
    for (p, l) in a {
        assert_eq!(Some(l), b.get(p), "{what}: {}", p.display());
    }
    assert_eq!(a.len(), b.len(), "{what}: entry count");
}

/// The `unsquashfs -lln` line for an entry of the source.
fn lln_line(root: &Path, p: &Path) -> String {
    let m = fs::symlink_metadata(p).unwrap();
    let ft = m.file_type();
    let mode = m.mode();
    let kind = match mode & libc::S_IFMT {
        libc::S_IFDIR => 'd',
        libc::S_IFREG => '-',
        libc::S_IFLNK => 'l',
        libc::S_IFCHR => 'c',
        libc::S_IFBLK => 'b',
        libc::S_IFIFO => 'p',
        _ => 's',
    };
    let mut perm = String::from(kind);
    for (i, ch) in "rwxrwxrwx".chars().enumerate() {
        let bit = 0o400 >> i;
        let mut x = if mode & bit != 0 { ch } else { '-' };
        let special = match i {
            2 => Some((libc::S_ISUID, 's')),
            5 => Some((libc::S_ISGID, 's')),
            8 => Some((libc::S_ISVTX, 't')),
            _ => None,
        };
        if let Some((flag, s)) = special {
            if mode & flag != 0 {
                x = if mode & bit != 0 {
                    s
                } else {
                    s.to_ascii_uppercase()
                };
            }
        }
        perm.push(x);
    }
    let rel = p.strip_prefix(root).unwrap();
    let name = if rel.as_os_str().is_empty() {
        "squashfs-root".to_string()
    } else {
        format!("squashfs-root/{}", rel.display())
    };
    let size = if ft.is_dir() {
        String::from("?")
    } else if kind == 'c' || kind == 'b' {
        // unsquashfs 4.5 lists the stored 32-bit number as (n >> 8, n & 0xff), which
        // is major, minor only for minors below 256 (its extraction is right).
        let (maj, min) = (libc::major(m.rdev()), libc::minor(m.rdev()));
        let n = (min & 0xff) | (maj << 8) | ((min & !0xff) << 12);
        format!("{},{}", n >> 8, n & 0xff)
    } else {
        m.size().to_string()
    };
    let target = if ft.is_symlink() {
        format!(" -> {}", fs::read_link(p).unwrap().display())
    } else {
        String::new()
    };
    format!("{perm} {}/{} {size} {name}{target}", m.uid(), m.gid())
}

/// An `unsquashfs -lln` line, with the date dropped (shown in local time) and a
/// directory's size (unsquashfs shows the listing's) replaced by "?".
fn normalise_lln(l: &str) -> String {
    let f: Vec<&str> = l.splitn(2, ' ').collect();
    let perm = f[0];
    let rest = f[1].trim_start();
    let (owner, rest) = rest.split_once(' ').unwrap();
    let rest = rest.trim_start();
    let (size, rest) = if perm.starts_with('c') || perm.starts_with('b') {
        // "1,  3 2020-..." : major, spaces, minor
        let (maj, r) = rest.split_once(',').unwrap();
        let r = r.trim_start();
        let (min, r) = r.split_once(' ').unwrap();
        (format!("{maj},{min}"), r)
    } else {
        let (s, r) = rest.split_once(' ').unwrap();
        (s.to_string(), r)
    };
    // date, time, then the name
    let rest = rest.trim_start();
    let (_, rest) = rest.split_once(' ').unwrap();
    let (_, name) = rest.split_once(' ').unwrap();
    let size = if perm.starts_with('d') {
        "?".into()
    } else {
        size
    };
    format!("{perm} {owner} {size} {name}")
}

fn unsquashfs(args: &[&str], image: &Path) -> String {
    let out = Command::new("unsquashfs")
        .args(args)
        .arg(image)
        .output()
        .expect("unsquashfs is installed for the tests");
    assert!(
        out.status.success(),
        "unsquashfs {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn an_image_of_every_kind_of_entry_matches_its_tree_in_unsquashfs_and_the_kernel() {
    if !root() {
        return;
    }
    let s = Scratch::new("full");
    let src = s.0.join("src");
    fs::create_dir(&src).unwrap();
    make_tree(&src);
    let image = s.0.join("image.sqfs");
    let sum = build(&src, &image, &Options::default()).unwrap();
    assert_eq!(sum.bytes, fs::metadata(&image).unwrap().len());
    assert_eq!(sum.bytes % 4096, 0);
    let want = snapshot(&src, true);
    // Entries minus the extra hard links (hl x3, short-link x2).
    assert_eq!(sum.inodes as usize, want.len() - 3);
    // 20 MB of noise barely compresses, zeros are holes: the image is about 20 MB.
    assert!(sum.bytes < (21 << 20), "{sum:?}");

    // (1) The listing.
    let mut all = vec![src.clone()];
    walk(&src, &mut all);
    let mut expect: Vec<String> = all.iter().map(|p| lln_line(&src, p)).collect();
    expect.sort();
    let listing = unsquashfs(&["-lln"], &image);
    let mut got: Vec<String> = listing
        .lines()
        .filter(|l| l.contains("squashfs-root"))
        .map(normalise_lln)
        .collect();
    got.sort();
    assert_eq!(got.len(), expect.len());
    for (g, e) in got.iter().zip(&expect) {
        assert_eq!(g, e);
    }

    // (2) Extraction: contents, modes, owners, mtimes, links, devices, xattrs.
    let out = s.0.join("out");
    unsquashfs(&["-no-progress", "-d", out.to_str().unwrap()], &image);
    assert_same(&want, &snapshot(&out, true), "unsquashfs -d");

    // (3) The kernel.
    let mnt = s.0.join("mnt");
    let m = Mounted::new(&image, &mnt);
    assert_same(&want, &snapshot(&mnt, true), "mounted");
    // Lookups by name in the wide directory (the index), not only readdir.
    for i in (0..1200).step_by(37) {
        let name = format!("{i:05}-{}", "n".repeat(60));
        assert_eq!(
            fs::read_to_string(mnt.join("wide").join(name)).unwrap(),
            i.to_string()
        );
    }
    assert!(fs::symlink_metadata(mnt.join("wide/zzz")).is_err());
    drop(m);
}

#[test]
fn the_same_tree_gives_the_same_bytes() {
    if !root() {
        return;
    }
    let s = Scratch::new("det");
    let src = s.0.join("src");
    fs::create_dir_all(src.join("d")).unwrap();
    for i in 0..50 {
        fs::write(src.join(format!("d/{i}")), noise(i * 1000, i as u64 + 1)).unwrap();
    }
    let opts = Options {
        block_size: 4096,
        ..Options::default()
    };
    build(&src, &s.0.join("1"), &opts).unwrap();
    build(&src, &s.0.join("2"), &opts).unwrap();
    assert_eq!(
        fs::read(s.0.join("1")).unwrap(),
        fs::read(s.0.join("2")).unwrap()
    );
    // Nor does the number of compression threads change a byte.
    for threads in [1, 3, 8] {
        let name = format!("t{threads}");
        build(
            &src,
            &s.0.join(&name),
            &Options {
                threads,
                ..opts.clone()
            },
        )
        .unwrap();
        assert_eq!(
            fs::read(s.0.join("1")).unwrap(),
            fs::read(s.0.join(name)).unwrap()
        );
    }
    let m = Mounted::new(&s.0.join("1"), &s.0.join("mnt"));
    assert_same(&snapshot(&src, true), &snapshot(&m.0, true), "4 KiB blocks");
}

#[test]
fn an_existing_output_is_never_overwritten_and_bad_options_are_refused() {
    let s = Scratch::new("err");
    let out = s.0.join("exists");
    fs::write(&out, b"keep").unwrap();
    let e = build(&s.0, &out, &Options::default()).unwrap_err();
    assert_eq!(e.errno(), libc::EEXIST, "{e}");
    assert_eq!(fs::read(&out).unwrap(), b"keep");
    for (block_size, level) in [(1000, 9), (2 << 20, 9), (131072, 0), (131072, 10)] {
        let e = build(
            &s.0,
            &s.0.join("new"),
            &Options {
                block_size,
                level,
                ..Options::default()
            },
        )
        .unwrap_err();
        assert!(matches!(e, Error::Invalid(_)), "{e}");
        assert!(!s.0.join("new").exists());
    }
    let e = build(&s.0.join("missing"), &s.0.join("new"), &Options::default()).unwrap_err();
    assert_eq!(e.errno(), libc::ENOENT);
    assert!(!s.0.join("new").exists());
}

#[test]
fn a_failed_build_removes_its_partial_image() {
    let s = Scratch::new("partial");
    let src = s.0.join("src");
    // Deeper than the limit: the walk fails after the image was created.
    fs::create_dir_all(src.join("d/".repeat(20))).unwrap();
    let out = s.0.join("image");
    let opts = Options {
        max_depth: 10,
        ..Options::default()
    };
    let e = build(&src, &out, &opts).unwrap_err();
    assert!(e.to_string().contains("deeper than 10"), "{e}");
    assert!(!out.exists());
    assert!(build(&src, &out, &Options::default()).is_ok());
}

#[test]
fn an_image_written_inside_its_source_leaves_itself_out() {
    let s = Scratch::new("inside");
    fs::write(s.0.join("a"), b"a").unwrap();
    let sum = build(&s.0, &s.0.join("image"), &Options::default()).unwrap();
    // The root and "a" only.
    assert_eq!((sum.inodes, sum.files, sum.data_bytes), (2, 1, 1));
}

#[test]
fn a_deep_tree_is_walked_past_the_kept_fds() {
    if !root() {
        return;
    }
    let s = Scratch::new("deep");
    let src = s.0.join("src");
    // 150 levels, each with a "d" to go deeper and an "e" visited after it, which
    // needs its parent opened again below the fds kept.
    let mut p = src.clone();
    for i in 0..150 {
        fs::create_dir_all(p.join("e")).unwrap();
        fs::write(p.join("e/f"), i.to_string()).unwrap();
        p.push("d");
    }
    fs::create_dir_all(&p).unwrap();
    let image = s.0.join("image");
    let sum = build(&src, &image, &Options::default()).unwrap();
    assert_eq!(sum.inodes, 1 + 150 * 3);
    let m = Mounted::new(&image, &s.0.join("mnt"));
    assert_same(&snapshot(&src, true), &snapshot(&m.0, true), "deep");
}

/// Reads 4 GiB, so not in the debug suite: `cargo test --release --no-default-features
/// image::squashfs -- --ignored`.
#[test]
#[ignore]
fn a_file_over_4_gib_gets_an_extended_inode_the_kernel_reads() {
    if !root() {
        return;
    }
    use std::io::{Read, Seek, SeekFrom, Write};
    let s = Scratch::new("4g");
    let src = s.0.join("src");
    fs::create_dir(&src).unwrap();
    let size = (4u64 << 30) + 5;
    let marks = [(0u64, b"start"), (3 << 30, b"third"), (size - 5, b"-end-")];
    {
        let mut f = fs::File::create(src.join("huge")).unwrap();
        f.set_len(size).unwrap();
        for (at, m) in marks {
            f.seek(SeekFrom::Start(at)).unwrap();
            f.write_all(m).unwrap();
        }
    }
    let image = s.0.join("image");
    let sum = build(&src, &image, &Options::default()).unwrap();
    assert!(sum.bytes < 1 << 20, "holes, not data: {sum:?}");
    let m = Mounted::new(&image, &s.0.join("mnt"));
    let mut f = fs::File::open(m.0.join("huge")).unwrap();
    assert_eq!(f.metadata().unwrap().len(), size);
    for (at, mark) in marks {
        let mut b = [0u8; 5];
        f.seek(SeekFrom::Start(at)).unwrap();
        f.read_exact(&mut b).unwrap();
        assert_eq!(&b, mark);
    }
    let mut b = [1u8; 7];
    f.seek(SeekFrom::Start(2 << 30)).unwrap();
    f.read_exact(&mut b).unwrap();
    assert_eq!(b, [0; 7]);
}

#[test]
fn trees_without_data_or_entries_mount() {
    if !root() {
        return;
    }
    let s = Scratch::new("bare");
    for (i, make) in [(|_: &Path| {}) as fn(&Path), |p: &Path| {
        fs::create_dir(p.join("x")).unwrap();
        fs::write(p.join("empty"), b"").unwrap();
    }]
    .into_iter()
    .enumerate()
    {
        let src = s.0.join(format!("src{i}"));
        fs::create_dir(&src).unwrap();
        make(&src);
        let image = s.0.join(format!("image{i}"));
        build(&src, &image, &Options::default()).unwrap();
        let m = Mounted::new(&image, &s.0.join(format!("mnt{i}")));
        assert_same(&snapshot(&src, true), &snapshot(&m.0, true), "bare");
    }
}

/// A small deterministic generator for the random trees.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// A name of 1..=255 bytes of anything but NUL and '/', not "." or "..".
    fn name(&mut self) -> Vec<u8> {
        loop {
            let len = match self.below(4) {
                0 => 255,
                1 => 1 + self.below(255),
                _ => 1 + self.below(12),
            } as usize;
            let n: Vec<u8> = (0..len)
                .map(|_| loop {
                    let b = if self.below(3) == 0 {
                        self.below(256) as u8
                    } else {
                        b'a' + self.below(26) as u8
                    };
                    if b != 0 && b != b'/' {
                        break b;
                    }
                })
                .collect();
            if n != b"." && n != b".." {
                return n;
            }
        }
    }
}

/// Random trees: odd names, sizes around the block size, holes, hard links across
/// directories, symlinks, devices, modes, big ids and mtimes, xattrs; several block
/// sizes. The kernel and unsquashfs must see exactly the source.
#[test]
fn random_trees_round_trip_through_the_kernel_and_unsquashfs() {
    if !root() {
        return;
    }
    use std::ffi::OsStr;
    for (seed, block_size) in [(1u64, 4096u32), (2, 131072), (3, 1 << 20)] {
        let s = Scratch::new("random");
        let src = s.0.join("src");
        fs::create_dir(&src).unwrap();
        let mut r = Rng(0x1234_5678_9abc_def0 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let bs = block_size as u64;
        let mut dirs = vec![src.clone()];
        let mut files: Vec<PathBuf> = Vec::new();
        let mut all: Vec<PathBuf> = Vec::new();
        // Fewer entries with 1 MiB blocks: the debug build hashes every byte.
        let entries = if block_size > 131072 { 120 } else { 600 };
        for _ in 0..entries {
            let parent = dirs[r.below(dirs.len() as u64) as usize].clone();
            let p = parent.join(OsStr::from_bytes(&r.name()));
            if fs::symlink_metadata(&p).is_ok() || p.as_os_str().len() > 3500 {
                continue;
            }
            match r.below(12) {
                0 | 1 => {
                    fs::create_dir(&p).unwrap();
                    dirs.push(p.clone());
                }
                2 if !files.is_empty() => {
                    let to = &files[r.below(files.len() as u64) as usize];
                    fs::hard_link(to, &p).unwrap();
                }
                3 => {
                    let len = 1 + r.below(300) as usize;
                    let t: Vec<u8> = (0..len).map(|_| 1 + r.below(255) as u8).collect();
                    symlink(OsStr::from_bytes(&t), &p).unwrap();
                }
                4 => {
                    let kind = [libc::S_IFCHR, libc::S_IFBLK, libc::S_IFIFO][r.below(3) as usize];
                    let dev = libc::makedev(r.below(4096) as u32, r.below(1 << 20) as u32);
                    assert_eq!(unsafe { libc::mknod(c(&p).as_ptr(), kind | 0o600, dev) }, 0);
                }
                _ => {
                    let size = match r.below(6) {
                        0 => 0,
                        1 => bs - 1,
                        2 => bs,
                        3 => bs + 1,
                        _ => r.below(3 * bs),
                    } as usize;
                    let mut data = if r.below(2) == 0 {
                        noise(size, r.next() | 1)
                    } else {
                        format!("{:x} ", r.next())
                            .repeat(size / 17 + 1)
                            .into_bytes()
                    };
                    data.truncate(size);
                    // A hole now and then.
                    if size > 2 * bs as usize && r.below(2) == 0 {
                        data[bs as usize..2 * bs as usize].fill(0);
                    }
                    fs::write(&p, data).unwrap();
                    files.push(p.clone());
                }
            }
            all.push(p);
        }
        for p in &all {
            let m = fs::symlink_metadata(p).unwrap();
            let ids = [0, 1, 1000, 65534, u32::MAX - 1];
            chown(p, ids[r.below(5) as usize], ids[r.below(5) as usize]);
            if !m.file_type().is_symlink() {
                fs::set_permissions(p, fs::Permissions::from_mode(r.below(0o10000) as u32))
                    .unwrap();
            }
            if r.below(4) == 0 {
                let v = noise(r.below(100) as usize, r.next() | 1);
                // user.* is for files and directories only.
                if !m.is_file() && !m.is_dir() {
                    lsetxattr(p, "trusted.x", &v);
                } else {
                    lsetxattr(p, &format!("user.k{}", r.below(3)), &v);
                }
            }
        }
        all.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
        for p in &all {
            set_mtime(p, r.below(u64::from(u32::MAX) + 1) as i64);
        }
        let image = s.0.join("image");
        let opts = Options {
            block_size,
            threads: seed as usize,
            ..Options::default()
        };
        build(&src, &image, &opts).unwrap();
        let want = snapshot(&src, true);
        let m = Mounted::new(&image, &s.0.join("mnt"));
        assert_same(
            &want,
            &snapshot(&m.0, true),
            &format!("seed {seed} mounted"),
        );
        drop(m);
        let out = s.0.join("out");
        unsquashfs(&["-no-progress", "-d", out.to_str().unwrap()], &image);
        assert_same(
            &want,
            &snapshot(&out, true),
            &format!("seed {seed} unsquashfs"),
        );
    }
}
