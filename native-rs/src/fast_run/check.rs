//! Whether a fast entry still holds on this host: its inputs' signatures (the format of
//! plan-cache.ts `fileSignature`), the kernel release, and a fingerprint of the host
//! facts' sources. A difference of any kind is a miss; none can make a stale entry run,
//! since each compares the full state that the plan was derived from.

use sha2::{Digest, Sha256};
use std::ffi::CString;

/// plan-cache.ts `fileSignature`: `dev:ino:mode:size:mtimeNs:ctimeNs:rdev` of stat(2)
/// (symlinks followed), `-` when the file does not exist, `!CODE` for another error.
pub fn file_signature(path: &str) -> String {
    let Ok(c) = CString::new(path) else {
        return "!EINVAL".into();
    };
    let mut st: libc::stat64 = unsafe { std::mem::zeroed() };
    if unsafe { libc::stat64(c.as_ptr(), &mut st) } != 0 {
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        return match errno {
            libc::ENOENT => "-".into(),
            _ => format!("!{}", errno_code(errno)),
        };
    }
    let ns = |sec: i64, nsec: i64| sec as i128 * 1_000_000_000 + nsec as i128;
    format!(
        "{}:{}:{}:{}:{}:{}:{}",
        st.st_dev,
        st.st_ino,
        st.st_mode,
        st.st_size,
        ns(st.st_mtime, st.st_mtime_nsec),
        ns(st.st_ctime, st.st_ctime_nsec),
        st.st_rdev
    )
}

/// The error codes a stat can give, as Node and Bun name them; others never match.
fn errno_code(errno: i32) -> String {
    match errno {
        libc::ENOTDIR => "ENOTDIR".into(),
        libc::EACCES => "EACCES".into(),
        libc::ELOOP => "ELOOP".into(),
        libc::ENAMETOOLONG => "ENAMETOOLONG".into(),
        libc::EPERM => "EPERM".into(),
        libc::EIO => "EIO".into(),
        libc::EOVERFLOW => "EOVERFLOW".into(),
        n => format!("E{n}"),
    }
}

/// Up to `limit` bytes of a regular file, or a token for why not. Opened without
/// blocking and checked after the open: a FIFO or a device put where a file should be
/// can't stall a run (config/bounded-read.ts reads the same way).
fn read(path: &str, limit: u64) -> Vec<u8> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(path);
    let f = match opened {
        Ok(f) => f,
        Err(e) => return format!("!{}", e.raw_os_error().unwrap_or(0)).into_bytes(),
    };
    match f.metadata() {
        Ok(m) if m.is_file() => {}
        Ok(_) => return b"!not a file".to_vec(),
        Err(e) => return format!("!{}", e.raw_os_error().unwrap_or(0)).into_bytes(),
    }
    let mut out = Vec::new();
    match f.take(limit).read_to_end(&mut out) {
        Ok(_) => out,
        Err(e) => format!("!{}", e.raw_os_error().unwrap_or(0)).into_bytes(),
    }
}

/// A mountinfo path with its octal escapes (`\040` for a space) undone.
fn unescape(path: &str) -> String {
    let b = path.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let octal = b
            .get(i + 1..i + 4)
            .filter(|d| b[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match octal {
            Some(d) => {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            None => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The kernel release (uname -r), as host/uname.ts reads it.
pub fn kernel_release() -> String {
    String::from_utf8_lossy(&read("/proc/sys/kernel/osrelease", 128))
        .trim_end_matches('\n')
        .to_string()
}

/// The fields after " - " of a mountinfo line: fstype, source, super options.
fn mount_fields(line: &str) -> Option<(&str, Vec<&str>)> {
    let (front, back) = line.split_once(" - ")?;
    let mount_point = front.split(' ').nth(4)?;
    let mut back = back.split(' ');
    let fstype = back.next()?;
    let _source = back.next()?;
    let options = back.next().unwrap_or("");
    if fstype != "cgroup" && fstype != "cgroup2" {
        return None;
    }
    Some((mount_point, vec![fstype, options]))
}

/// A digest of what host/facts.ts derives the host facts from: resolv.conf (its kind and
/// bytes), where /etc/localtime leads, the host name, and the cgroup layout's sources
/// (the cgroup mounts in mountinfo order, /proc/cgroups' names and enabled flags, the
/// first cgroup2 mount's controllers), and the effective uid. The same sources give the
/// same facts, so an equal digest means the plan's host facts still hold. Anything that
/// moves more often than the facts (a cgroup count, an unrelated mount) is left out, so
/// that a warm entry is not thrown away for nothing.
pub fn host_fingerprint() -> String {
    let mut h = Sha256::new();
    let mut part = |name: &str, bytes: &[u8]| {
        h.update(name.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    let kind = |path: &str| match std::fs::metadata(path) {
        Ok(m) if m.is_file() => "file".to_string(),
        Ok(_) => "other".to_string(),
        Err(e) => format!("!{}", e.raw_os_error().unwrap_or(0)),
    };
    // host/facts.ts reads at most 64 KiB; one byte more tells a larger file apart.
    part("resolv.conf kind", kind("/etc/resolv.conf").as_bytes());
    part("resolv.conf", &read("/etc/resolv.conf", 64 * 1024 + 1));
    let localtime = std::fs::canonicalize("/etc/localtime")
        .map(|p| format!("{} {}", p.display(), kind(&p.to_string_lossy())))
        .unwrap_or_else(|e| format!("!{}", e.raw_os_error().unwrap_or(0)));
    part("localtime", localtime.as_bytes());
    part("hostname", &read("/proc/sys/kernel/hostname", 128));
    let mountinfo = String::from_utf8_lossy(&read("/proc/self/mountinfo", 4 << 20)).into_owned();
    let mut first_v2 = None;
    for line in mountinfo.lines() {
        if let Some((mount_point, fields)) = mount_fields(line) {
            if fields[0] == "cgroup2" && first_v2.is_none() {
                first_v2 = Some(unescape(mount_point));
            }
            part(
                "mount",
                format!("{mount_point} {}", fields.join(" ")).as_bytes(),
            );
        }
    }
    let cgroups = String::from_utf8_lossy(&read("/proc/cgroups", 64 * 1024)).into_owned();
    for line in cgroups.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() >= 4 {
            part("controller", format!("{} {}", f[0], f[3]).as_bytes());
        }
    }
    if let Some(v2) = first_v2 {
        part(
            "cgroup.controllers",
            &read(&format!("{v2}/cgroup.controllers"), 4096),
        );
    }
    part("euid", &unsafe { libc::geteuid() }.to_le_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_plan_caches_format() {
        let dir = std::env::temp_dir().join(format!("lite-sig-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("f");
        std::fs::write(&f, b"abc").unwrap();
        let sig = file_signature(f.to_str().unwrap());
        let fields: Vec<&str> = sig.split(':').collect();
        assert_eq!(fields.len(), 7, "{sig}");
        assert_eq!(fields[3], "3");
        assert_eq!(fields[6], "0");
        assert_eq!(file_signature(dir.join("none").to_str().unwrap()), "-");
        assert_eq!(
            file_signature(f.join("below").to_str().unwrap()),
            "!ENOTDIR"
        );
        // A write within the same second still changes the signature (ns times, size).
        std::fs::write(&f, b"abcd").unwrap();
        assert_ne!(file_signature(f.to_str().unwrap()), sig);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_host_fingerprint_is_stable_and_leaves_out_counts() {
        assert_eq!(host_fingerprint(), host_fingerprint());
        assert_eq!(host_fingerprint().len(), 64);
        let line = "35 24 0:30 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory";
        assert_eq!(
            mount_fields(line),
            Some(("/sys/fs/cgroup/memory", vec!["cgroup", "rw,memory"]))
        );
        assert_eq!(mount_fields("22 1 0:5 / /dev rw - devtmpfs udev rw"), None);
        assert_eq!(
            unescape("/sys/fs/cgroup\\040v2\\134x"),
            "/sys/fs/cgroup v2\\x"
        );
        assert_eq!(unescape("/a\\09"), "/a\\09", "not three octal digits");
    }

    #[test]
    fn a_fifo_is_not_read() {
        let dir = std::env::temp_dir().join(format!("lite-fifo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("resolv.conf");
        let c = CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        // No writer: a blocking open would wait forever.
        assert_eq!(read(fifo.to_str().unwrap(), 64), b"!not a file");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
