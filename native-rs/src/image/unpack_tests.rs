//! Layers applied to real directory trees. chown and mknod need root: each test returns
//! early (and says so) when not run as root; CI runs them as root.

use super::*;
use crate::image::decompress::Compression;
use crate::image::tar::testtar::{self, dir, entry, file, hardlink, symlink, Entry};
use crate::image::{UnpackOptions, DEFAULT_MAX_ENTRIES};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

struct Tree {
    top: PathBuf,
}
impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.top);
    }
}
impl Tree {
    fn root(&self) -> PathBuf {
        self.top.join("root")
    }
    fn outside(&self) -> PathBuf {
        self.top.join("outside")
    }
    fn at(&self, p: &str) -> PathBuf {
        self.root().join(p)
    }
}

static TREES: AtomicU32 = AtomicU32::new(0);

/// top/root (the staging dir, empty) and top/outside/secret.
fn tree(name: &str) -> Tree {
    let n = TREES.fetch_add(1, Ordering::Relaxed);
    let top = std::env::temp_dir().join(format!("lite-unpack-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&top);
    std::fs::create_dir_all(top.join("root")).unwrap();
    std::fs::create_dir_all(top.join("outside")).unwrap();
    std::fs::write(top.join("outside/secret"), "host").unwrap();
    Tree { top }
}

fn is_root() -> bool {
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    eprintln!("skipped: needs root (chown, mknod)");
    false
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn opts() -> UnpackOptions {
    UnpackOptions {
        compression: None,
        allow_devices: false,
        max_bytes: 1 << 30,
        max_entries: DEFAULT_MAX_ENTRIES,
    }
}

static BLOBS: AtomicU32 = AtomicU32::new(0);

fn apply_blob(t: &Tree, blob: &[u8], o: &UnpackOptions) -> Result<UnpackSummary, UnpackError> {
    let n = BLOBS.fetch_add(1, Ordering::Relaxed);
    let path = t.top.join(format!("blob{n}"));
    std::fs::write(&path, blob).unwrap();
    unpack_layer(&path, &t.root(), o)
}

fn apply(t: &Tree, entries: &[Entry]) -> Result<UnpackSummary, UnpackError> {
    apply_blob(t, &gzip(&testtar::write(entries, false)), &opts())
}

fn refused(r: Result<UnpackSummary, UnpackError>) -> String {
    match r {
        Err(e @ UnpackError::Refused { .. }) => e.to_string(),
        other => panic!("not refused: {other:?}"),
    }
}

fn read(p: PathBuf) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn dot_dot_is_refused_and_absolute_paths_land_inside() {
    if !is_root() {
        return;
    }
    let t = tree("dotdot");
    assert_eq!(
        refused(apply(&t, &[file("../x", b"bad")])),
        r#"layer entry "../x": the path leaves the image"#
    );
    assert_eq!(
        refused(apply(&t, &[file("a/../../outside/y", b"bad")])),
        r#"layer entry "a/../../outside/y": the path leaves the image"#
    );
    assert!(!t.top.join("x").exists() && !t.outside().join("y").exists());
    apply(
        &t,
        &[
            file("/etc/x", b"abs"),
            file("./b", b"dot"),
            file("c/../d", b"d"),
        ],
    )
    .unwrap();
    assert_eq!(read(t.at("etc/x")), "abs");
    assert_eq!(read(t.at("b")), "dot");
    assert_eq!(read(t.at("d")), "d");
    assert!(!t.at("c").exists(), "c/.. is not a directory to make");
}

#[test]
fn a_write_through_a_planted_symlink_is_refused() {
    if !is_root() {
        return;
    }
    let t = tree("plant");
    let out = t.outside();
    // A name of its own, so that no other file in /tmp can be mistaken for it.
    let x = format!("lite-unpack-probe-{}", std::process::id());
    for target in ["/tmp", out.to_str().unwrap(), "../outside", "."] {
        let r = apply(
            &t,
            &[symlink("evil", target), file(&format!("evil/{x}"), b"bad")],
        );
        assert_eq!(
            refused(r),
            format!(r#"layer entry "evil/{x}": "evil" is a symbolic link planted by the layer"#)
        );
        assert!(!out.join(&x).exists() && !Path::new("/tmp").join(&x).exists());
    }
    // Deeper, and through a directory: etc/ then etc/ssl -> /outside, then etc/ssl/a/b.
    let r = apply(
        &t,
        &[
            dir("etc"),
            symlink("etc/ssl", out.to_str().unwrap()),
            file("etc/ssl/a/b", b"x"),
        ],
    );
    assert_eq!(
        refused(r),
        r#"layer entry "etc/ssl/a/b": "etc/ssl" is a symbolic link planted by the layer"#
    );
    assert!(!out.join("a").exists());
    // A symlink from a lower layer is refused the same way.
    apply(&t, &[symlink("lib", "usr/lib"), dir("usr/lib")]).unwrap();
    assert_eq!(
        refused(apply(&t, &[file("lib/libc.so", b"x")])),
        r#"layer entry "lib/libc.so": "lib" is a symbolic link from a lower layer"#
    );
    assert!(!t.at("usr/lib/libc.so").exists());
    // A whiteout through one too.
    assert!(refused(apply(&t, &[entry("lib/.wh.x", b'0')])).contains("symbolic link"));
    // A file as a directory on the way.
    apply(&t, &[file("f", b"")]).unwrap();
    assert_eq!(
        refused(apply(&t, &[file("f/x", b"")])),
        r#"layer entry "f/x": "f" is not a directory"#
    );
}

#[test]
fn the_last_component_is_replaced_never_written_through() {
    if !is_root() {
        return;
    }
    let t = tree("replace");
    let secret = t.outside().join("secret");
    apply(
        &t,
        &[
            symlink("f", secret.to_str().unwrap()),
            symlink("g", "../outside/secret"),
        ],
    )
    .unwrap();
    apply(&t, &[file("f", b"mine"), file("g", b"mine too")]).unwrap();
    assert_eq!(read(secret.clone()), "host");
    assert_eq!(read(t.at("f")), "mine");
    assert!(t.at("g").symlink_metadata().unwrap().is_file());
    // A directory tree replaced by a file, a file by a directory, a file by a symlink.
    apply(
        &t,
        &[dir("d"), dir("d/e"), file("d/e/x", b""), file("h", b"")],
    )
    .unwrap();
    apply(
        &t,
        &[file("d", b"now a file"), dir("h"), symlink("f", "target")],
    )
    .unwrap();
    assert_eq!(read(t.at("d")), "now a file");
    assert!(t.at("h").is_dir());
    assert_eq!(std::fs::read_link(t.at("f")).unwrap(), Path::new("target"));
    // A directory stays one, with the new entry's mode.
    let mut d = dir("h");
    d.mode = 0o700;
    apply(&t, &[file("h/in", b"1")]).unwrap();
    apply(&t, &[d]).unwrap();
    assert_eq!(t.at("h").metadata().unwrap().mode() & 0o7777, 0o700);
    assert!(t.at("h/in").exists());
}

#[test]
fn hard_links_stay_inside_and_link_only_regular_files() {
    if !is_root() {
        return;
    }
    let t = tree("hardlink");
    let out = t.outside();
    let r = apply(
        &t,
        &[
            symlink("l", out.to_str().unwrap()),
            hardlink("h", "l/secret"),
        ],
    );
    assert_eq!(
        refused(r),
        r#"layer entry "h": hard link to "l/secret": a symbolic link is on its path"#
    );
    let r = apply(&t, &[hardlink("h2", "../outside/secret")]);
    assert_eq!(
        refused(r),
        r#"layer entry "h2": hard link to "../outside/secret": the path leaves the image"#
    );
    let r = apply(&t, &[symlink("s", "/etc/passwd"), hardlink("h3", "s")]);
    assert_eq!(
        refused(r),
        r#"layer entry "h3": hard link to "s": not a regular file"#
    );
    assert!(refused(apply(&t, &[dir("dd"), hardlink("h4", "dd")])).contains("not a regular file"));
    assert!(refused(apply(&t, &[hardlink("h5", "nothing")])).contains("no such file in the image"));
    for h in ["h", "h2", "h3", "h4", "h5"] {
        assert!(!t.at(h).exists(), "{h}");
    }
    assert_eq!(std::fs::metadata(out.join("secret")).unwrap().nlink(), 1);
    // Then a link through a symlink, from an entry of the same layer.
    assert!(refused(apply(
        &t,
        &[
            dir("real"),
            file("real/f", b"x"),
            symlink("via", "real"),
            hardlink("h6", "via/f")
        ]
    ))
    .contains("a symbolic link is on its path"));
}

#[test]
fn hard_links_to_a_file_of_an_earlier_layer() {
    if !is_root() {
        return;
    }
    let t = tree("hardlink-lower");
    let mut bb = file("bin/busybox", b"\x7fELF");
    bb.mode = 0o755;
    apply(&t, &[dir("bin"), bb]).unwrap();
    apply(
        &t,
        &[
            hardlink("bin/sh", "bin/busybox"),
            hardlink("usr/bin/env", "/bin/busybox"),
        ],
    )
    .unwrap();
    let ino = t.at("bin/busybox").metadata().unwrap().ino();
    assert_eq!(t.at("bin/sh").metadata().unwrap().ino(), ino);
    assert_eq!(t.at("usr/bin/env").metadata().unwrap().ino(), ino);
    assert_eq!(t.at("bin/busybox").metadata().unwrap().nlink(), 3);
    // A link replaces what is at its name, and a link to itself changes nothing.
    apply(
        &t,
        &[
            file("x", b"old"),
            hardlink("x", "bin/busybox"),
            hardlink("bin/sh", "bin/sh"),
        ],
    )
    .unwrap();
    assert_eq!(t.at("x").metadata().unwrap().ino(), ino);
}

#[test]
fn devices_are_skipped_unless_allowed_and_fifos_are_made() {
    if !is_root() {
        return;
    }
    let t = tree("devices");
    let mut null = entry("dev/null", b'3');
    null.dev = (1, 3);
    null.mode = 0o666;
    let mut sda = entry("dev/sda", b'4');
    sda.dev = (8, 0);
    let layer = testtar::write(&[dir("dev"), null, sda, entry("run/fifo", b'6')], false);
    let s = apply_blob(&t, &layer, &opts()).unwrap();
    assert_eq!((s.entries, s.skipped_devices), (4, 2));
    assert!(!t.at("dev/null").exists() && !t.at("dev/sda").exists());
    assert!(t
        .at("run/fifo")
        .symlink_metadata()
        .unwrap()
        .file_type()
        .is_fifo());
    let s = apply_blob(
        &t,
        &layer,
        &UnpackOptions {
            allow_devices: true,
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(s.skipped_devices, 0);
    let m = t.at("dev/null").symlink_metadata().unwrap();
    assert!(m.file_type().is_char_device());
    assert_eq!((m.rdev(), m.mode() & 0o7777), (libc::makedev(1, 3), 0o666));
    assert!(t
        .at("dev/sda")
        .symlink_metadata()
        .unwrap()
        .file_type()
        .is_block_device());
}

#[test]
fn a_gzip_bomb_stops_at_max_bytes() {
    if !is_root() {
        return;
    }
    let t = tree("bomb");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&testtar::write(
        &[file("zeros", &vec![0u8; 64 << 20])],
        false,
    ))
    .unwrap();
    let blob = e.finish().unwrap();
    assert!(blob.len() < 200_000, "{}", blob.len());
    let e = apply_blob(
        &t,
        &blob,
        &UnpackOptions {
            max_bytes: 1 << 20,
            ..opts()
        },
    )
    .unwrap_err();
    assert!(matches!(e, UnpackError::TooLarge { .. }));
    assert_eq!(
        e.to_string(),
        "the layer unpacks to more than 1 MiB (max_layer_size)"
    );
    assert!(t.at("zeros").metadata().unwrap().len() <= 1 << 20);
    // The entry limit.
    let e = apply_blob(
        &t,
        &testtar::write(&[file("a", b""), file("b", b""), file("c", b"")], false),
        &UnpackOptions {
            max_entries: 2,
            ..opts()
        },
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "the layer has more than 2 entries");
}

#[test]
fn corrupt_and_truncated_layers() {
    if !is_root() {
        return;
    }
    let t = tree("corrupt");
    let tar = testtar::write(&[file("a", &[1u8; 100_000]), file("b", b"b")], false);
    let gz = gzip(&tar);
    let e = apply_blob(&t, &gz[..gz.len() / 2], &opts()).unwrap_err();
    assert!(
        e.to_string().starts_with("gzip: invalid data at byte "),
        "{e}"
    );
    assert_eq!(e.code(), "LayerCorrupt");
    let mut bad = gz.clone();
    bad[3] = 0xff; // reserved gzip flags
    let e = apply_blob(&t, &bad, &opts()).unwrap_err();
    assert!(
        e.to_string().starts_with("gzip: invalid data at byte "),
        "{e}"
    );
    let e = apply_blob(&t, &tar[..5000], &opts()).unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"layer entry "a": tar: the stream ends early (at byte 5000)"#
    );
    let e = apply_blob(&t, &tar[..300], &opts()).unwrap_err();
    assert_eq!(e.to_string(), "tar: the stream ends early (at byte 0)");
    let mut bad = tar.clone();
    bad[0] = b'X';
    let e = apply_blob(&t, &bad, &opts()).unwrap_err();
    assert_eq!(e.to_string(), "tar: bad header checksum at byte 0");
    let e = apply_blob(
        &t,
        &gz,
        &UnpackOptions {
            compression: Some(Compression::Zstd),
            ..opts()
        },
    )
    .unwrap_err();
    assert!(
        e.to_string().starts_with("zstd: invalid data at byte "),
        "{e}"
    );
}

/// A lower layer: a/{keep,gone}, b, c/x, d/{old,sub/old2}.
fn lower(t: &Tree) {
    apply(
        t,
        &[
            dir("a"),
            file("a/keep", b"lower"),
            file("a/gone", b"lower"),
            file("b", b"lower"),
            dir("c"),
            file("c/x", b"lower"),
            dir("d"),
            file("d/old", b"lower"),
            dir("d/sub"),
            file("d/sub/old2", b"lower"),
        ],
    )
    .unwrap();
}

fn wh(path: &str) -> Entry {
    file(path, b"")
}

#[test]
fn whiteouts_remove_lower_entries_in_either_order() {
    if !is_root() {
        return;
    }
    for whiteout_first in [true, false] {
        let t = tree(if whiteout_first {
            "wh-first"
        } else {
            "wh-after"
        });
        lower(&t);
        let own = [file("a/gone", b"upper"), dir("c"), file("c/y", b"upper")];
        let whiteouts = [
            wh("a/.wh.gone"),
            wh(".wh.b"),
            wh(".wh.c"),
            wh("a/.wh.never-there"),
        ];
        let layer: Vec<Entry> = if whiteout_first {
            whiteouts.iter().chain(own.iter()).cloned().collect()
        } else {
            own.iter().chain(whiteouts.iter()).cloned().collect()
        };
        apply(&t, &layer).unwrap();
        let order = if whiteout_first { "before" } else { "after" };
        assert_eq!(read(t.at("a/gone")), "upper", "whiteout {order}");
        assert_eq!(read(t.at("a/keep")), "lower");
        assert!(!t.at("b").exists(), "whiteout {order}");
        assert!(!t.at("c/x").exists(), "the lower c went, whiteout {order}");
        assert_eq!(read(t.at("c/y")), "upper");
        // Whiteout files are never written.
        assert!(!t.at("a/.wh.gone").exists() && !t.at(".wh.b").exists());
        // A next layer's whiteout removes them.
        apply(&t, &[wh("a/.wh.gone"), wh(".wh.c")]).unwrap();
        assert!(!t.at("a/gone").exists() && !t.at("c").exists());
    }
}

#[test]
fn opaque_directories_hide_lower_children_only() {
    if !is_root() {
        return;
    }
    for opaque_first in [true, false] {
        let t = tree(if opaque_first {
            "opq-first"
        } else {
            "opq-after"
        });
        lower(&t);
        let opq = wh("d/.wh..wh..opq");
        let own = [
            dir("d"),
            file("d/new", b"upper"),
            dir("d/sub"),
            file("d/sub/new2", b"upper"),
        ];
        let layer: Vec<Entry> = if opaque_first {
            std::iter::once(opq).chain(own.iter().cloned()).collect()
        } else {
            own.iter().cloned().chain(std::iter::once(opq)).collect()
        };
        apply(&t, &layer).unwrap();
        let mut names: Vec<_> = walk(&t.at("d"));
        names.sort();
        assert_eq!(
            names,
            ["new", "sub", "sub/new2"],
            "opaque first: {opaque_first}"
        );
        assert!(t.at("a/keep").exists());
        assert!(!t.at("d/.wh..wh..opq").exists());
    }
    // An opaque directory that did not exist is made.
    let t = tree("opq-new");
    apply(&t, &[wh("n/.wh..wh..opq")]).unwrap();
    assert!(t.at("n").is_dir());
}

fn walk(d: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().unwrap().is_dir() {
            for sub in walk(&e.path()) {
                out.push(format!("{name}/{sub}"));
            }
        }
        out.push(name);
    }
    out
}

#[test]
fn owners_modes_setuid_and_xattrs_are_kept() {
    if !is_root() {
        return;
    }
    let t = tree("meta");
    let mut su = file("bin/su", b"x");
    su.mode = 0o4755;
    su.uid = 1000;
    su.gid = 1001;
    let mut sgid = dir("srv");
    sgid.mode = 0o2775;
    sgid.gid = 50;
    let mut tmp = dir("tmp");
    tmp.mode = 0o1777;
    // cap_net_bind_service+ep: VFS_CAP_REVISION_2 | effective, permitted bit 10.
    let mut cap = Vec::new();
    for w in [0x0200_0001u32, 1 << 10, 0, 0, 0] {
        cap.extend_from_slice(&w.to_le_bytes());
    }
    let mut ping = file("bin/ping", b"ping");
    ping.mode = 0o755;
    ping.pax = vec![
        (b"SCHILY.xattr.security.capability".to_vec(), cap.clone()),
        (b"SCHILY.xattr.user.note".to_vec(), b"hi".to_vec()),
        (
            b"SCHILY.xattr.system.posix_acl_access".to_vec(),
            b"junk".to_vec(),
        ),
        (b"SCHILY.xattr.nope.x".to_vec(), b"junk".to_vec()),
    ];
    let mut link = symlink("bin/link", "ping");
    link.uid = 7;
    link.gid = 8;
    link.pax = vec![(
        b"SCHILY.xattr.user.note".to_vec(),
        b"refused on symlinks".to_vec(),
    )];
    apply(&t, &[dir("bin"), su, sgid, tmp, ping, link]).unwrap();
    let m = t.at("bin/su").metadata().unwrap();
    assert_eq!((m.mode() & 0o7777, m.uid(), m.gid()), (0o4755, 1000, 1001));
    let m = t.at("srv").metadata().unwrap();
    assert_eq!((m.mode() & 0o7777, m.gid()), (0o2775, 50));
    assert_eq!(t.at("tmp").metadata().unwrap().mode() & 0o7777, 0o1777);
    let m = t.at("bin/link").symlink_metadata().unwrap();
    assert_eq!((m.uid(), m.gid()), (7, 8));
    assert_eq!(
        getxattr(&t.at("bin/ping"), "security.capability"),
        Some(cap)
    );
    if let Some(v) = getxattr(&t.at("bin/ping"), "user.note") {
        assert_eq!(v, b"hi");
    }
    assert_eq!(getxattr(&t.at("bin/ping"), "system.posix_acl_access"), None);
}

#[test]
fn overlayfs_xattrs_are_never_applied() {
    if !is_root() {
        return;
    }
    let t = tree("overlay-xattrs");
    let mut d = dir("etc");
    d.pax = vec![
        (
            b"SCHILY.xattr.trusted.overlay.opaque".to_vec(),
            b"y".to_vec(),
        ),
        (
            b"SCHILY.xattr.trusted.overlay.redirect".to_vec(),
            b"/".to_vec(),
        ),
        (b"SCHILY.xattr.user.overlay.opaque".to_vec(), b"y".to_vec()),
        (b"SCHILY.xattr.trusted.kept".to_vec(), b"k".to_vec()),
    ];
    let mut f = file("etc/shadow", b"x");
    f.pax = vec![
        (
            b"SCHILY.xattr.trusted.overlay.metacopy".to_vec(),
            Vec::new(),
        ),
        (
            b"SCHILY.xattr.trusted.overlay.whiteout".to_vec(),
            Vec::new(),
        ),
        (b"SCHILY.xattr.user.overlay.whiteout".to_vec(), Vec::new()),
    ];
    apply(&t, &[d, f]).unwrap();
    for (p, n) in [
        ("etc", "trusted.overlay.opaque"),
        ("etc", "trusted.overlay.redirect"),
        ("etc", "user.overlay.opaque"),
        ("etc/shadow", "trusted.overlay.metacopy"),
        ("etc/shadow", "trusted.overlay.whiteout"),
        ("etc/shadow", "user.overlay.whiteout"),
    ] {
        assert_eq!(getxattr(&t.at(p), n), None, "{p}: {n}");
    }
    // Other trusted.* names still land (the staging dir's filesystem permitting).
    if let Some(v) = getxattr(&t.at("etc"), "trusted.kept") {
        assert_eq!(v, b"k");
    }
}

#[test]
fn an_xattr_too_large_for_the_file_system_is_refused_not_a_full_store() {
    if !is_root() {
        return;
    }
    let t = tree("big-xattr");
    let mut f = file("f", b"x");
    // Over XATTR_SIZE_MAX (64 KiB): E2BIG on every file system.
    f.pax = vec![(b"SCHILY.xattr.user.big".to_vec(), vec![b'A'; 70_000])];
    let why = refused(apply(&t, &[f]));
    assert!(
        why.contains("xattr \"user.big\" (70000 bytes) is more than the store's file system holds"),
        "{why}"
    );
}

fn getxattr(p: &Path, name: &str) -> Option<Vec<u8>> {
    let cp = CString::new(p.as_os_str().as_bytes()).unwrap();
    let cn = CString::new(name).unwrap();
    let mut buf = vec![0u8; 256];
    let n =
        unsafe { libc::lgetxattr(cp.as_ptr(), cn.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return None;
    }
    buf.truncate(n as usize);
    Some(buf)
}

#[test]
fn mtimes_are_kept_directories_included() {
    if !is_root() {
        return;
    }
    let t = tree("mtime");
    let mut d = dir("d");
    d.mtime = 1000;
    let mut f = file("d/f.pyc", b"x");
    f.mtime = 2000;
    f.pax = vec![(b"mtime".to_vec(), b"2000.123456789".to_vec())];
    let mut l = symlink("d/l", "f.pyc");
    l.mtime = 3000;
    let mut sub = dir("d/sub");
    sub.mtime = 4000;
    let mut late = file("d/sub/late", b"");
    late.mtime = 5000;
    let mut fifo = entry("d/fifo", b'6');
    fifo.mtime = 6000;
    let mut top = dir(".");
    top.mtime = 7000;
    top.mode = 0o755;
    apply(&t, &[top, d, f, l, sub, late, fifo]).unwrap();
    let m = |p: &str| {
        let m = t.at(p).symlink_metadata().unwrap();
        (m.mtime(), m.mtime_nsec())
    };
    assert_eq!(m("d"), (1000, 0));
    assert_eq!(m("d/f.pyc"), (2000, 123_456_789));
    assert_eq!(m("d/l"), (3000, 0));
    assert_eq!(m("d/sub"), (4000, 0));
    assert_eq!(m("d/sub/late"), (5000, 0));
    assert_eq!(m("d/fifo"), (6000, 0));
    assert_eq!(t.root().metadata().unwrap().mtime(), 7000);
    assert_eq!(t.root().metadata().unwrap().mode() & 0o7777, 0o755);
}

#[test]
fn long_names_from_pax_and_gnu_headers() {
    if !is_root() {
        return;
    }
    for gnu in [false, true] {
        let t = tree(if gnu { "long-gnu" } else { "long-pax" });
        let over_100 = format!("usr/share/{}/file", "n".repeat(120));
        let over_255 = format!(
            "{}/{}/{}",
            "a".repeat(200),
            "b".repeat(200),
            "c".repeat(100)
        );
        let target = format!("/{}", over_255);
        let layer = testtar::write(
            &[
                file(&over_100, b"100"),
                file(&over_255, b"255"),
                symlink("l", &target),
                hardlink("h", &over_255),
            ],
            gnu,
        );
        apply_blob(&t, &layer, &opts()).unwrap();
        assert_eq!(read(t.at(&over_100)), "100");
        assert_eq!(read(t.at(&over_255)), "255");
        assert_eq!(std::fs::read_link(t.at("l")).unwrap(), Path::new(&target));
        assert_eq!(read(t.at("h")), "255");
    }
}

fn sha256sum(p: &Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(p)
        .output()
        .unwrap();
    assert!(out.status.success());
    format!("sha256:{}", String::from_utf8_lossy(&out.stdout[..64]))
}

#[test]
fn gzip_zstd_and_plain_layers_with_their_diff_id() {
    if !is_root() {
        return;
    }
    let t = tree("formats");
    let mut tar = testtar::write(
        &[
            dir("etc"),
            file("etc/os-release", b"ID=lite\n"),
            file("big", &vec![7u8; 3 << 20]),
        ],
        false,
    );
    // Padding after the end-of-archive blocks counts in the digest too.
    tar.extend_from_slice(&[0u8; 4096]);
    let tar_path = t.top.join("layer.tar");
    std::fs::write(&tar_path, &tar).unwrap();
    let want = sha256sum(&tar_path);
    let zst =
        ruzstd::encoding::compress_to_vec(&tar[..], ruzstd::encoding::CompressionLevel::Fastest);
    for (blob, c) in [(gzip(&tar), "gzip"), (zst, "zstd"), (tar.clone(), "none")] {
        for compression in [UnpackOptions::parse_compression(c).unwrap(), None] {
            let s = apply_blob(
                &t,
                &blob,
                &UnpackOptions {
                    compression,
                    ..opts()
                },
            )
            .unwrap();
            assert_eq!(s.diff_id, want, "{c}");
            assert_eq!((s.entries, s.bytes), (3, 8 + (3 << 20)), "{c}");
            assert_eq!(read(t.at("etc/os-release")), "ID=lite\n");
        }
    }
    // The zstd tool's frames (with a checksum) too, when it is installed.
    let zpath = t.top.join("layer.tar.zst");
    if let Ok(st) = std::process::Command::new("zstd")
        .args(["-q", "-f", "-19"])
        .arg(&tar_path)
        .arg("-o")
        .arg(&zpath)
        .status()
    {
        assert!(st.success());
        let s = unpack_layer(&zpath, &t.root(), &opts()).unwrap();
        assert_eq!(s.diff_id, want);
    }
    assert!(UnpackOptions::parse_compression("lz4").is_err());
}

#[test]
fn paths_normalise() {
    assert_eq!(normalise(b"./a//b/./c/").unwrap(), b"a/b/c");
    assert_eq!(normalise(b"/").unwrap(), b"");
    assert_eq!(normalise(b"a/../b").unwrap(), b"b");
    assert_eq!(normalise(b".."), Err(Refusal::LeavesImage));
    assert_eq!(normalise(b"a/../../b"), Err(Refusal::LeavesImage));
    assert_eq!(normalise(b"a\0b"), Err(Refusal::BadName));
    assert_eq!(normalise(&vec![b'a'; 5000]), Err(Refusal::PathTooLong));
}

#[test]
fn no_fd_is_left_open() {
    if !is_root() {
        return;
    }
    // Other tests open fds in parallel: compare the highest fd number this thread can
    // get before and after many failing and succeeding unpacks.
    let t = tree("fds");
    let probe = || {
        let f = File::open("/dev/null").unwrap();
        f.as_raw_fd()
    };
    let layer = [
        dir("d"),
        file("d/f", b"x"),
        symlink("s", "/"),
        file("s/x", b""),
    ];
    let before = probe();
    for _ in 0..50 {
        let _ = apply(&t, &layer);
    }
    // Not a strict check (fds of parallel tests come and go): 50 leaks would show.
    assert!(probe() < before + 20);
}

#[test]
fn the_walk_of_old_kernels_gives_the_same_results() {
    if !is_root() {
        return;
    }
    // Kernels before 5.6 have no openat2: resolve.rs walks one component at a time.
    crate::resolve::FORCE_WALK.with(|f| f.set(true));
    dot_dot_is_refused_and_absolute_paths_land_inside();
    a_write_through_a_planted_symlink_is_refused();
    the_last_component_is_replaced_never_written_through();
    hard_links_stay_inside_and_link_only_regular_files();
    hard_links_to_a_file_of_an_earlier_layer();
    whiteouts_remove_lower_entries_in_either_order();
    opaque_directories_hide_lower_children_only();
    mtimes_are_kept_directories_included();
    long_names_from_pax_and_gnu_headers();
    crate::resolve::FORCE_WALK.with(|f| f.set(false));
}

/// path -> (type and mode, uid, gid, size of a file, mtime, symlink target, nlink).
fn listing(top: &Path) -> Vec<String> {
    fn walk_into(top: &Path, rel: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(top.join(rel)).unwrap() {
            let e = e.unwrap();
            let rel = rel.join(e.file_name());
            let m = e.path().symlink_metadata().unwrap();
            let link = if m.file_type().is_symlink() {
                std::fs::read_link(e.path()).unwrap().display().to_string()
            } else {
                String::new()
            };
            let size = if m.is_file() { m.size() } else { 0 };
            let cap = getxattr(&e.path(), "security.capability").map(|v| v.len());
            out.push(format!(
                "{} {:o} {}:{} {size} {}.{} {link} {} {cap:?}",
                rel.display(),
                m.mode(),
                m.uid(),
                m.gid(),
                m.mtime(),
                m.mtime_nsec(),
                m.nlink()
            ));
            if m.is_dir() {
                walk_into(top, &rel, out);
            }
        }
    }
    let mut out = Vec::new();
    walk_into(top, Path::new(""), &mut out);
    out.sort();
    out
}

#[test]
fn a_tree_packed_by_gnu_tar_unpacks_the_same() {
    if !is_root() {
        return;
    }
    let t = tree("gnutar");
    let src = t.top.join("src");
    let set = |p: &str, mode: u32, uid: u32, mtime: i64| {
        let c = CString::new(src.join(p).as_os_str().as_bytes()).unwrap();
        unsafe {
            assert_eq!(libc::lchown(c.as_ptr(), uid, uid + 1), 0, "{p}");
            if mode != 0 {
                assert_eq!(libc::chmod(c.as_ptr(), mode), 0, "{p}");
            }
            let ts = [libc::timespec {
                tv_sec: mtime,
                tv_nsec: 250_000_000,
            }; 2];
            let r = libc::utimensat(
                libc::AT_FDCWD,
                c.as_ptr(),
                ts.as_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            );
            assert_eq!(r, 0, "{p}");
        }
    };
    let long = format!("{}/{}", "l".repeat(120), "m".repeat(200));
    std::fs::create_dir_all(src.join(&long)).unwrap();
    std::fs::create_dir_all(src.join("usr/bin")).unwrap();
    std::fs::write(src.join("usr/bin/su"), "su").unwrap();
    std::fs::hard_link(src.join("usr/bin/su"), src.join("usr/bin/su2")).unwrap();
    std::fs::write(src.join("usr/bin/ping"), vec![1u8; 70_000]).unwrap();
    std::os::unix::fs::symlink("../lib/x", src.join("usr/bin/dangling")).unwrap();
    std::fs::write(src.join(&long).join("f"), "deep").unwrap();
    let fifo = CString::new(src.join("fifo").as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    set("usr/bin/su", 0o4755, 0, 100);
    set("usr/bin/ping", 0o755, 1000, 200);
    set("usr/bin/dangling", 0, 7, 300);
    set("fifo", 0o640, 5, 400);
    set(&format!("{long}/f"), 0o600, 9, 500);
    set(&long, 0o750, 3, 600);
    set("usr/bin", 0o2775, 0, 700);
    let mut cap = Vec::new();
    for w in [0x0200_0001u32, 1 << 13, 0, 0, 0] {
        cap.extend_from_slice(&w.to_le_bytes());
    }
    let ping = CString::new(src.join("usr/bin/ping").as_os_str().as_bytes()).unwrap();
    let r = unsafe {
        libc::setxattr(
            ping.as_ptr(),
            c"security.capability".as_ptr(),
            cap.as_ptr().cast(),
            cap.len(),
            0,
        )
    };
    assert_eq!(r, 0);
    let tar_path = t.top.join("layer.tar");
    let made = std::process::Command::new("tar")
        .args(["--xattrs", "--xattrs-include=*", "--format=pax", "-C"])
        .arg(&src)
        .arg("-cf")
        .arg(&tar_path)
        .arg(".")
        .status();
    match made {
        Ok(st) if st.success() => {}
        other => {
            eprintln!("skipped: no GNU tar ({other:?})");
            return;
        }
    }
    let s = apply_blob(&t, &gzip(&std::fs::read(&tar_path).unwrap()), &opts()).unwrap();
    assert_eq!(s.diff_id, sha256sum(&tar_path));
    let (want, got) = (listing(&src), listing(&t.root()));
    // Directory sizes depend on the filesystem's allocation: left out above.
    assert_eq!(want, got);
    assert!(want
        .iter()
        .any(|l| l.starts_with("usr/bin/ping ") && l.ends_with("Some(20)")));
}

#[test]
fn damaged_layers_give_errors_never_panics_nor_escapes() {
    if !is_root() {
        return;
    }
    let t = tree("damaged");
    let out = t.outside();
    let mut e = file("etc/a", b"data");
    e.pax = vec![(b"SCHILY.xattr.user.a".to_vec(), b"v".to_vec())];
    let layer = testtar::write(
        &[
            dir("etc"),
            e,
            symlink("etc/l", out.to_str().unwrap()),
            hardlink("etc/h", "etc/a"),
            file("etc/.wh.x", b""),
            file("d/.wh..wh..opq", b""),
            entry("etc/fifo", b'6'),
        ],
        false,
    );
    let mut next = crate::image::tar::tests::rng(11);
    for _ in 0..300 {
        let mut l = layer.clone();
        for _ in 0..1 + next() % 6 {
            let i = (next() % l.len() as u64) as usize;
            l[i] = match next() % 4 {
                0 => b'/',
                1 => b'.',
                _ => next() as u8,
            };
        }
        let _ = apply_blob(&t, &l, &opts());
    }
    let mut left: Vec<_> = walk(&out);
    left.sort();
    assert_eq!(left, ["secret"]);
    for e in std::fs::read_dir(&t.top).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            name == "root" || name == "outside" || name.starts_with("blob"),
            "{name}"
        );
    }
}

#[test]
fn removing_a_tree_deeper_than_the_bound_is_refused() {
    if !is_root() {
        return;
    }
    let t = tree("deep");
    let deep = "d/".repeat(600);
    apply(&t, &[file(&format!("{deep}f"), b"")]).unwrap();
    assert_eq!(
        refused(apply(&t, &[file("d", b"")])),
        r#"layer entry "d": the directory tree it removes is more than 512 levels deep"#
    );
    assert!(t.at(&format!("{deep}f")).exists());
    // Within the bound, whited out.
    let t = tree("deep-ok");
    apply(&t, &[file(&format!("{}f", "d/".repeat(500)), b"")]).unwrap();
    apply(&t, &[file(".wh.d", b"")]).unwrap();
    assert!(!t.at("d").exists());
}
