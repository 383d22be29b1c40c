//! A streaming tar reader for OCI layers: ustar, PAX extended headers (long `path` and
//! `linkpath`, `size`, `uid`, `gid`, `mtime`, `SCHILY.xattr.*`) and GNU long names
//! (`L`, `K`). Global PAX headers (`g`) are read and ignored.
//!
//! Nothing is buffered but one 512-byte header and the metadata records, each capped
//! (`MAX_META`): an entry's data is read by the caller through `read_data`, in pieces.

use std::io::{self, Read};

pub const BLOCK: usize = 512;
/// The most the PAX headers and GNU long names before one entry may hold together: far
/// more than any real one.
pub const MAX_META: u64 = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Regular,
    HardLink,
    Symlink,
    Char,
    Block,
    Dir,
    Fifo,
}

/// One entry, its metadata records already applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub path: Vec<u8>,
    /// A symlink's target or a hard link's path in the image.
    pub link: Vec<u8>,
    pub kind: Kind,
    /// Permission bits with setuid, setgid and sticky (07777).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Bytes of data that follow (0 for all but regular files).
    pub size: u64,
    pub mtime_sec: i64,
    pub mtime_nsec: u32,
    pub dev_major: u32,
    pub dev_minor: u32,
    /// From `SCHILY.xattr.NAME` records, in their order: (NAME, raw value).
    pub xattrs: Vec<(Vec<u8>, Vec<u8>)>,
    /// Where this entry's header block starts in the tar stream.
    pub offset: u64,
}

#[derive(Debug)]
pub enum TarError {
    /// The reader under the tar failed (the decompressor, the blob, the size limit).
    Io(io::Error),
    /// The stream ends inside a header or an entry's data.
    Truncated {
        offset: u64,
    },
    Checksum {
        offset: u64,
    },
    /// A numeric header field that is not a number.
    BadField {
        offset: u64,
        field: &'static str,
    },
    /// A PAX header or GNU long name larger than `MAX_META`.
    MetaTooLarge {
        offset: u64,
        size: u64,
    },
    BadPax {
        offset: u64,
        detail: String,
    },
    /// A type this reader does not apply (GNU sparse, volume labels, ...).
    Unsupported {
        offset: u64,
        typeflag: u8,
    },
}

impl std::fmt::Display for TarError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TarError::Io(e) => write!(f, "{e}"),
            TarError::Truncated { offset } => {
                write!(f, "tar: the stream ends early (at byte {offset})")
            }
            TarError::Checksum { offset } => {
                write!(f, "tar: bad header checksum at byte {offset}")
            }
            TarError::BadField { offset, field } => {
                write!(f, "tar: the header at byte {offset} has an invalid {field}")
            }
            TarError::MetaTooLarge { offset, size } => write!(
                f,
                "tar: the extended header at byte {offset} holds {size} bytes (at most {MAX_META})"
            ),
            TarError::BadPax { offset, detail } => {
                write!(f, "tar: bad PAX header at byte {offset}: {detail}")
            }
            TarError::Unsupported { offset, typeflag } => write!(
                f,
                "tar: the entry at byte {offset} has type {} that lite does not unpack",
                show_typeflag(*typeflag)
            ),
        }
    }
}

fn show_typeflag(t: u8) -> String {
    if t.is_ascii_graphic() {
        format!("'{}'", t as char)
    } else {
        format!("{t}")
    }
}

/// What the PAX and GNU metadata records before an entry say.
#[derive(Default)]
struct Pending {
    path: Option<Vec<u8>>,
    link: Option<Vec<u8>>,
    size: Option<u64>,
    uid: Option<u64>,
    gid: Option<u64>,
    mtime: Option<(i64, u32)>,
    xattrs: Vec<(Vec<u8>, Vec<u8>)>,
    sparse: bool,
}

pub struct TarReader<R: Read> {
    r: R,
    /// Bytes of the tar stream consumed so far.
    pos: u64,
    /// Data bytes of the current entry not read yet, and the padding after them.
    remaining: u64,
    padding: u64,
    done: bool,
}

impl<R: Read> TarReader<R> {
    pub fn new(r: R) -> Self {
        TarReader {
            r,
            pos: 0,
            remaining: 0,
            padding: 0,
            done: false,
        }
    }

    /// The reader under the tar, for the bytes after the end-of-archive blocks.
    pub fn into_inner(self) -> R {
        self.r
    }

    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Fills `buf` entirely; `Ok(false)` on a clean end before its first byte.
    fn fill(&mut self, buf: &mut [u8]) -> Result<bool, TarError> {
        let start = self.pos;
        let mut got = 0;
        while got < buf.len() {
            match self.r.read(&mut buf[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => return Err(TarError::Truncated { offset: start }),
                Ok(n) => {
                    got += n;
                    self.pos += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(TarError::Io(e)),
            }
        }
        Ok(true)
    }

    fn skip(&mut self, mut n: u64) -> Result<(), TarError> {
        let mut buf = [0u8; 8192];
        while n > 0 {
            let k = n.min(buf.len() as u64) as usize;
            if !self.fill(&mut buf[..k])? {
                return Err(TarError::Truncated { offset: self.pos });
            }
            n -= k as u64;
        }
        Ok(())
    }

    /// Reads a metadata record's whole data (a PAX header, a GNU long name).
    fn read_meta(&mut self, size: u64, offset: u64) -> Result<Vec<u8>, TarError> {
        if size > MAX_META {
            return Err(TarError::MetaTooLarge { offset, size });
        }
        let mut data = vec![0u8; size as usize];
        if !self.fill(&mut data)? && size > 0 {
            return Err(TarError::Truncated { offset: self.pos });
        }
        self.skip(pad(size))?;
        Ok(data)
    }

    /// The current entry's data, up to `buf.len()` bytes; 0 at its end.
    pub fn read_data(&mut self, buf: &mut [u8]) -> Result<usize, TarError> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(self.remaining.min(usize::MAX as u64) as usize);
        loop {
            match self.r.read(&mut buf[..want]) {
                Ok(0) => return Err(TarError::Truncated { offset: self.pos }),
                Ok(n) => {
                    self.pos += n as u64;
                    self.remaining -= n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(TarError::Io(e)),
            }
        }
    }

    /// The next entry, or None at the end of the archive (two zero blocks, one zero
    /// block then the end, or the end of the stream where a header would start).
    pub fn next_entry(&mut self) -> Result<Option<Header>, TarError> {
        if self.done {
            return Ok(None);
        }
        // What the caller did not read of the last entry.
        let rest = self.remaining + self.padding;
        self.remaining = 0;
        self.padding = 0;
        self.skip(rest)?;
        let mut pending = Pending::default();
        let mut meta_total: u64 = 0;
        loop {
            let offset = self.pos;
            let mut block = [0u8; BLOCK];
            if !self.fill(&mut block)? {
                self.done = true;
                return Ok(None);
            }
            if block.iter().all(|&b| b == 0) {
                // The end-of-archive marker: the caller drains what follows.
                self.done = true;
                return Ok(None);
            }
            check_sum(&block, offset)?;
            let typeflag = block[156];
            let size = number(&block[124..136], offset, "size")?;
            if matches!(typeflag, b'x' | b'g' | b'L' | b'K') {
                // All the records before one entry together, not each: a run of
                // headers must not pile up.
                meta_total = meta_total.saturating_add(size);
                if meta_total > MAX_META {
                    return Err(TarError::MetaTooLarge {
                        offset,
                        size: meta_total,
                    });
                }
            }
            match typeflag {
                b'x' => {
                    let data = self.read_meta(size, offset)?;
                    parse_pax(&data, offset, &mut pending)?;
                    continue;
                }
                b'g' => {
                    // Global records: read (bounded) and ignored.
                    self.read_meta(size, offset)?;
                    continue;
                }
                b'L' => {
                    pending.path = Some(trim_nul(self.read_meta(size, offset)?));
                    continue;
                }
                b'K' => {
                    pending.link = Some(trim_nul(self.read_meta(size, offset)?));
                    continue;
                }
                _ => {}
            }
            let header = self.header(&block, offset, typeflag, size, pending)?;
            self.remaining = header.size;
            self.padding = pad(header.size);
            return Ok(Some(header));
        }
    }

    fn header(
        &mut self,
        block: &[u8; BLOCK],
        offset: u64,
        typeflag: u8,
        size: u64,
        pending: Pending,
    ) -> Result<Header, TarError> {
        let ustar = &block[257..263] == b"ustar\0";
        let mut path = match pending.path {
            Some(p) => p,
            None => {
                let name = field(&block[0..100]);
                let prefix = if ustar { field(&block[345..500]) } else { &[] };
                let mut p = Vec::with_capacity(prefix.len() + 1 + name.len());
                if !prefix.is_empty() {
                    p.extend_from_slice(prefix);
                    p.push(b'/');
                }
                p.extend_from_slice(name);
                p
            }
        };
        let link = pending
            .link
            .unwrap_or_else(|| field(&block[157..257]).to_vec());
        if pending.sparse {
            return Err(TarError::Unsupported {
                offset,
                typeflag: b'S',
            });
        }
        let kind = match typeflag {
            // Old (pre-POSIX) tars mark directories only by the trailing slash, with the
            // old regular-file flag NUL. A '0' or '7' entry is a regular file whatever
            // its name, and its data follows: taking it for a directory would read its
            // data as the next headers, entries that Go's archive/tar (containerd,
            // Docker, scanners) never sees.
            0 if path.ends_with(b"/") => Kind::Dir,
            b'0' | 0 | b'7' => Kind::Regular,
            b'1' => Kind::HardLink,
            b'2' => Kind::Symlink,
            b'3' => Kind::Char,
            b'4' => Kind::Block,
            b'5' => Kind::Dir,
            b'6' => Kind::Fifo,
            other => {
                return Err(TarError::Unsupported {
                    offset,
                    typeflag: other,
                })
            }
        };
        while kind == Kind::Dir && path.len() > 1 && path.ends_with(b"/") {
            path.pop();
        }
        let size = pending.size.unwrap_or(size);
        let uid = match pending.uid {
            Some(u) => u,
            None => number(&block[108..116], offset, "uid")?,
        };
        let gid = match pending.gid {
            Some(g) => g,
            None => number(&block[116..124], offset, "gid")?,
        };
        let (mtime_sec, mtime_nsec) = match pending.mtime {
            Some(t) => t,
            None => (signed_number(&block[136..148], offset, "mtime")?, 0),
        };
        let mode = number(&block[100..108], offset, "mode")? as u32 & 0o7777;
        let (dev_major, dev_minor) = if matches!(kind, Kind::Char | Kind::Block) {
            (
                number(&block[329..337], offset, "device major")? as u32,
                number(&block[337..345], offset, "device minor")? as u32,
            )
        } else {
            (0, 0)
        };
        Ok(Header {
            path,
            link,
            kind,
            mode,
            uid,
            gid,
            // Only regular files carry data; a size on a link or a directory is ignored.
            size: if kind == Kind::Regular { size } else { 0 },
            mtime_sec,
            mtime_nsec,
            dev_major,
            dev_minor,
            xattrs: pending.xattrs,
            offset,
        })
    }
}

fn pad(size: u64) -> u64 {
    (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64
}

/// A NUL-terminated (or full) header field.
fn field(f: &[u8]) -> &[u8] {
    match f.iter().position(|&b| b == 0) {
        Some(i) => &f[..i],
        None => f,
    }
}

fn trim_nul(mut v: Vec<u8>) -> Vec<u8> {
    while v.last() == Some(&0) {
        v.pop();
    }
    v
}

/// The unsigned sum of the header with the checksum field as spaces; old tars summed
/// signed bytes, which is accepted too.
fn check_sum(block: &[u8; BLOCK], offset: u64) -> Result<(), TarError> {
    let want =
        number(&block[148..156], offset, "checksum").map_err(|_| TarError::Checksum { offset })?;
    let mut unsigned: u64 = 0;
    let mut signed: i64 = 0;
    for (i, &b) in block.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned += b as u64;
        signed += b as i8 as i64;
    }
    if want == unsigned || want as i64 == signed {
        Ok(())
    } else {
        Err(TarError::Checksum { offset })
    }
}

/// An octal field (spaces and NULs around it), or GNU base-256 when the first byte has
/// its high bit set.
fn signed_number(f: &[u8], offset: u64, name: &'static str) -> Result<i64, TarError> {
    let bad = || TarError::BadField {
        offset,
        field: name,
    };
    if f.first().is_some_and(|&b| b & 0x80 != 0) {
        // Base-256, two's complement: 0x80 marks a positive number, 0xff a negative one.
        let negative = f[0] & 0x40 != 0;
        let mut v: i128 = if negative { -1 } else { 0 };
        for (i, &b) in f.iter().enumerate() {
            let b = if i == 0 && !negative { b & 0x7f } else { b };
            v = (v << 8) | b as i128;
            if v > i64::MAX as i128 || v < i64::MIN as i128 {
                return Err(bad());
            }
        }
        return Ok(v as i64);
    }
    let s = f
        .iter()
        .position(|&b| b != b' ' && b != 0)
        .map_or(&f[f.len()..], |i| &f[i..]);
    let end = s
        .iter()
        .position(|&b| b == b' ' || b == 0)
        .unwrap_or(s.len());
    if s[end..].iter().any(|&b| b != b' ' && b != 0) {
        return Err(bad());
    }
    let mut v: i64 = 0;
    for &b in &s[..end] {
        if !(b'0'..=b'7').contains(&b) {
            return Err(bad());
        }
        v = v
            .checked_mul(8)
            .and_then(|v| v.checked_add((b - b'0') as i64))
            .ok_or_else(bad)?;
    }
    Ok(v)
}

fn number(f: &[u8], offset: u64, name: &'static str) -> Result<u64, TarError> {
    let v = signed_number(f, offset, name)?;
    u64::try_from(v).map_err(|_| TarError::BadField {
        offset,
        field: name,
    })
}

fn decimal(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 20 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(v).ok()?.parse().ok()
}

/// "SECONDS[.FRACTION]", possibly negative.
fn pax_time(v: &[u8]) -> Option<(i64, u32)> {
    let (neg, v) = match v.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, v),
    };
    let (whole, frac) = match v.iter().position(|&b| b == b'.') {
        Some(i) => (&v[..i], &v[i + 1..]),
        None => (v, &b""[..]),
    };
    let secs = i64::try_from(decimal(whole)?).ok()?;
    if !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut nsec: u32 = 0;
    for i in 0..9 {
        nsec = nsec * 10 + frac.get(i).map_or(0, |&d| (d - b'0') as u32);
    }
    if !neg {
        Some((secs, nsec))
    } else if nsec == 0 {
        Some((-secs, 0))
    } else {
        Some((-secs - 1, 1_000_000_000 - nsec))
    }
}

/// PAX records: "LENGTH KEY=VALUE\n", LENGTH counting the whole record.
fn parse_pax(data: &[u8], offset: u64, p: &mut Pending) -> Result<(), TarError> {
    let bad = |detail: &str| TarError::BadPax {
        offset,
        detail: detail.to_string(),
    };
    let mut rest = data;
    while !rest.is_empty() {
        // Some writers pad the data with NULs.
        if rest.iter().all(|&b| b == 0) {
            break;
        }
        let sp = rest
            .iter()
            .take(21)
            .position(|&b| b == b' ')
            .ok_or_else(|| bad("a record has no length"))?;
        let len = decimal(&rest[..sp]).ok_or_else(|| bad("a record's length is not a number"))?;
        if len as usize > rest.len() || (len as usize) < sp + 3 {
            return Err(bad("a record's length runs past the header"));
        }
        let record = &rest[sp + 1..len as usize];
        rest = &rest[len as usize..];
        let record = record
            .strip_suffix(b"\n")
            .ok_or_else(|| bad("a record does not end with a newline"))?;
        let eq = record
            .iter()
            .position(|&b| b == b'=')
            .ok_or_else(|| bad("a record has no '='"))?;
        let (key, value) = (&record[..eq], &record[eq + 1..]);
        // An empty value removes the key: the ustar field counts again.
        let set = !value.is_empty();
        match key {
            b"path" => p.path = set.then(|| value.to_vec()),
            b"linkpath" => p.link = set.then(|| value.to_vec()),
            b"size" => {
                p.size = if set {
                    Some(decimal(value).ok_or_else(|| bad("size is not a number"))?)
                } else {
                    None
                }
            }
            b"uid" => {
                p.uid = if set {
                    Some(decimal(value).ok_or_else(|| bad("uid is not a number"))?)
                } else {
                    None
                }
            }
            b"gid" => {
                p.gid = if set {
                    Some(decimal(value).ok_or_else(|| bad("gid is not a number"))?)
                } else {
                    None
                }
            }
            b"mtime" => {
                p.mtime = if set {
                    Some(pax_time(value).ok_or_else(|| bad("mtime is not a time"))?)
                } else {
                    None
                }
            }
            _ => {
                if let Some(name) = key.strip_prefix(b"SCHILY.xattr.") {
                    if !name.is_empty() {
                        p.xattrs.retain(|(n, _)| n != name);
                        p.xattrs.push((name.to_vec(), value.to_vec()));
                    }
                } else if key.starts_with(b"GNU.sparse.") {
                    p.sparse = true;
                }
                // atime, ctime, uname, gname, comment, charset...: not applied.
            }
        }
    }
    Ok(())
}

#[cfg(test)]
pub mod testtar {
    //! A tiny tar writer for the tests: ustar headers, PAX records, GNU long names, and
    //! hooks to break them.

    use super::BLOCK;

    #[derive(Clone)]
    pub struct Entry {
        pub path: Vec<u8>,
        pub typeflag: u8,
        pub mode: u32,
        pub uid: u64,
        pub gid: u64,
        pub mtime: u64,
        pub link: Vec<u8>,
        pub data: Vec<u8>,
        pub dev: (u32, u32),
        pub pax: Vec<(Vec<u8>, Vec<u8>)>,
    }

    pub fn entry(path: &str, typeflag: u8) -> Entry {
        Entry {
            path: path.as_bytes().to_vec(),
            typeflag,
            mode: if typeflag == b'5' { 0o755 } else { 0o644 },
            uid: 0,
            gid: 0,
            mtime: 1_600_000_000,
            link: Vec::new(),
            data: Vec::new(),
            dev: (0, 0),
            pax: Vec::new(),
        }
    }
    pub fn file(path: &str, data: &[u8]) -> Entry {
        Entry {
            data: data.to_vec(),
            ..entry(path, b'0')
        }
    }
    pub fn dir(path: &str) -> Entry {
        entry(path, b'5')
    }
    pub fn symlink(path: &str, target: &str) -> Entry {
        Entry {
            link: target.as_bytes().to_vec(),
            ..entry(path, b'2')
        }
    }
    pub fn hardlink(path: &str, target: &str) -> Entry {
        Entry {
            link: target.as_bytes().to_vec(),
            ..entry(path, b'1')
        }
    }

    fn octal(dst: &mut [u8], v: u64) {
        let s = format!("{:0width$o}", v, width = dst.len() - 1);
        assert!(s.len() < dst.len(), "{v} does not fit");
        dst[..s.len()].copy_from_slice(s.as_bytes());
    }

    pub fn header_block(
        e: &Entry,
        name: &[u8],
        link: &[u8],
        typeflag: u8,
        size: u64,
    ) -> [u8; BLOCK] {
        let mut h = [0u8; BLOCK];
        h[..name.len().min(100)].copy_from_slice(&name[..name.len().min(100)]);
        octal(&mut h[100..108], e.mode as u64);
        octal(&mut h[108..116], e.uid.min(0o7777777));
        octal(&mut h[116..124], e.gid.min(0o7777777));
        octal(&mut h[124..136], size);
        octal(&mut h[136..148], e.mtime);
        h[156] = typeflag;
        h[157..157 + link.len().min(100)].copy_from_slice(&link[..link.len().min(100)]);
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        octal(&mut h[329..337], e.dev.0 as u64);
        octal(&mut h[337..345], e.dev.1 as u64);
        fix_sum(&mut h);
        h
    }

    pub fn fix_sum(h: &mut [u8; BLOCK]) {
        h[148..156].copy_from_slice(b"        ");
        let sum: u64 = h.iter().map(|&b| b as u64).sum();
        let s = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(s.as_bytes());
    }

    fn put_data(out: &mut Vec<u8>, data: &[u8]) {
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
    }

    pub fn pax_records(records: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (k, v) in records {
            let body = k.len() + v.len() + 3; // ' ' '=' '\n'
            let mut len = body + 1;
            while len != body + len.to_string().len() {
                len = body + len.to_string().len();
            }
            out.extend_from_slice(len.to_string().as_bytes());
            out.push(b' ');
            out.extend_from_slice(k);
            out.push(b'=');
            out.extend_from_slice(v);
            out.push(b'\n');
        }
        out
    }

    /// Long names go to PAX records unless `gnu`, then to `L`/`K` entries.
    pub fn write(entries: &[Entry], gnu: bool) -> Vec<u8> {
        let mut out = Vec::new();
        for e in entries {
            let mut pax = e.pax.clone();
            if e.path.len() > 100 {
                if gnu {
                    let h = header_block(e, b"././@LongLink", b"", b'L', e.path.len() as u64 + 1);
                    out.extend_from_slice(&h);
                    let mut d = e.path.clone();
                    d.push(0);
                    put_data(&mut out, &d);
                } else {
                    pax.push((b"path".to_vec(), e.path.clone()));
                }
            }
            if e.link.len() > 100 {
                if gnu {
                    let h = header_block(e, b"././@LongLink", b"", b'K', e.link.len() as u64 + 1);
                    out.extend_from_slice(&h);
                    let mut d = e.link.clone();
                    d.push(0);
                    put_data(&mut out, &d);
                } else {
                    pax.push((b"linkpath".to_vec(), e.link.clone()));
                }
            }
            if !pax.is_empty() {
                let data = pax_records(&pax);
                let h = header_block(e, b"PaxHeaders/x", b"", b'x', data.len() as u64);
                out.extend_from_slice(&h);
                put_data(&mut out, &data);
            }
            let h = header_block(e, &e.path, &e.link, e.typeflag, e.data.len() as u64);
            out.extend_from_slice(&h);
            put_data(&mut out, &e.data);
        }
        out.extend_from_slice(&[0u8; 2 * BLOCK]);
        out
    }
}

#[cfg(test)]
pub mod tests {
    use super::testtar::*;
    use super::*;

    fn read_all(tar: &[u8]) -> Result<Vec<(Header, Vec<u8>)>, TarError> {
        let mut r = TarReader::new(tar);
        let mut out = Vec::new();
        while let Some(h) = r.next_entry()? {
            let mut data = Vec::new();
            let mut buf = [0u8; 100];
            loop {
                let n = r.read_data(&mut buf)?;
                if n == 0 {
                    break;
                }
                data.extend_from_slice(&buf[..n]);
            }
            out.push((h, data));
        }
        Ok(out)
    }

    #[test]
    fn a_regular_file_with_a_trailing_slash_keeps_its_data() {
        // The data of "a/" is itself a header: read as a directory (no data), the entry
        // would smuggle "smuggled" past every Go-based reader of the same layer.
        let inner = file("smuggled", b"");
        let hidden = header_block(&inner, b"smuggled", b"", b'0', 0).to_vec();
        let mut old_dir = entry("d/", 0);
        old_dir.mode = 0o755;
        for flag in [b'0', b'7'] {
            let e = Entry {
                data: hidden.clone(),
                ..entry("a/", flag)
            };
            let got = read_all(&write(&[e, old_dir.clone()], false)).unwrap();
            let seen: Vec<_> = got
                .iter()
                .map(|(h, d)| (h.path.clone(), h.kind, d.len()))
                .collect();
            assert_eq!(
                seen,
                vec![
                    (b"a/".to_vec(), Kind::Regular, BLOCK),
                    (b"d".to_vec(), Kind::Dir, 0)
                ],
                "typeflag {flag}"
            );
        }
    }

    #[test]
    fn reads_ustar_entries_of_every_type() {
        let mut dev = entry("dev/null", b'3');
        dev.dev = (1, 3);
        let mut exe = file("bin/su", b"#!/bin/sh\n");
        exe.mode = 0o4755;
        exe.uid = 1000;
        exe.gid = 50;
        let tar = write(
            &[
                dir("bin/"),
                exe,
                symlink("bin/sh", "busybox"),
                hardlink("bin/ash", "bin/su"),
                dev,
                entry("run/fifo", b'6'),
                Entry {
                    typeflag: b'7',
                    ..file("contiguous", b"c")
                },
                // V7: the NUL typeflag, a directory only by its slash.
                entry("old-style-dir/", 0),
            ],
            false,
        );
        let got = read_all(&tar).unwrap();
        let kinds: Vec<_> = got.iter().map(|(h, _)| h.kind).collect();
        assert_eq!(
            kinds,
            [
                Kind::Dir,
                Kind::Regular,
                Kind::Symlink,
                Kind::HardLink,
                Kind::Char,
                Kind::Fifo,
                Kind::Regular,
                Kind::Dir
            ]
        );
        assert_eq!(got[6].1, b"c");
        assert_eq!(got[7].0.path, b"old-style-dir");
        assert_eq!(got[0].0.path, b"bin");
        let (su, data) = &got[1];
        assert_eq!(
            (su.mode, su.uid, su.gid, su.size, su.mtime_sec),
            (0o4755, 1000, 50, 10, 1_600_000_000)
        );
        assert_eq!(data, b"#!/bin/sh\n");
        assert_eq!(got[2].0.link, b"busybox");
        assert_eq!(got[3].0.link, b"bin/su");
        assert_eq!((got[4].0.dev_major, got[4].0.dev_minor), (1, 3));
        assert_eq!(got[1].0.offset, 512);
    }

    #[test]
    fn pax_records_override_the_ustar_fields() {
        let long = "d/".repeat(150) + "file";
        let mut e = file(&long, b"x");
        e.pax = vec![
            (b"mtime".to_vec(), b"1234567890.5".to_vec()),
            (b"uid".to_vec(), b"3000000000".to_vec()),
            (
                b"SCHILY.xattr.security.capability".to_vec(),
                vec![1, 0, 0, 2, b'\n', 0],
            ),
            (b"SCHILY.xattr.user.x".to_vec(), b"v=1".to_vec()),
            (b"atime".to_vec(), b"1".to_vec()),
        ];
        let link_target = "t/".repeat(200) + "x";
        let tar = write(&[e, symlink("l", &link_target)], false);
        let got = read_all(&tar).unwrap();
        let h = &got[0].0;
        assert_eq!(h.path, long.as_bytes());
        assert!(h.path.len() > 255);
        assert_eq!((h.mtime_sec, h.mtime_nsec), (1_234_567_890, 500_000_000));
        assert_eq!(h.uid, 3_000_000_000);
        assert_eq!(
            h.xattrs,
            vec![
                (b"security.capability".to_vec(), vec![1, 0, 0, 2, b'\n', 0]),
                (b"user.x".to_vec(), b"v=1".to_vec())
            ]
        );
        assert_eq!(got[0].1, b"x");
        assert_eq!(got[1].0.link, link_target.as_bytes());
        // The records apply to one entry only.
        assert!(got[1].0.xattrs.is_empty());
    }

    #[test]
    fn pax_size_and_a_global_header() {
        let mut out = Vec::new();
        let g = pax_records(&[(b"comment".to_vec(), b"hello".to_vec())]);
        let e = file("f", b"");
        out.extend_from_slice(&header_block(&e, b"global", b"", b'g', g.len() as u64));
        out.extend_from_slice(&g);
        out.resize(out.len().div_ceil(512) * 512, 0);
        let x = pax_records(&[(b"size".to_vec(), b"3".to_vec())]);
        out.extend_from_slice(&header_block(&e, b"pax", b"", b'x', x.len() as u64));
        out.extend_from_slice(&x);
        out.resize(out.len().div_ceil(512) * 512, 0);
        // The ustar size says 0 (as for a file over 8 GiB): PAX's 3 counts.
        out.extend_from_slice(&header_block(&e, b"f", b"", b'0', 0));
        out.extend_from_slice(b"abc");
        out.resize(out.len().div_ceil(512) * 512, 0);
        out.extend_from_slice(&[0; 1024]);
        let got = read_all(&out).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1, b"abc");
    }

    #[test]
    fn gnu_long_names_and_links() {
        let long = "n".repeat(300);
        let target = "t".repeat(150);
        let tar = write(&[hardlink(&long, &target), file("short", b"s")], true);
        let got = read_all(&tar).unwrap();
        assert_eq!(got[0].0.path, long.as_bytes());
        assert_eq!(got[0].0.link, target.as_bytes());
        assert_eq!(got[1].0.path, b"short");
        assert_eq!(got[1].0.link, b"");
    }

    #[test]
    fn ustar_prefix_is_joined() {
        let e = file("x", b"");
        let mut h = header_block(&e, b"name", b"", b'0', 0);
        h[345..351].copy_from_slice(b"prefix");
        fix_sum(&mut h);
        let mut tar = h.to_vec();
        tar.extend_from_slice(&[0; 1024]);
        assert_eq!(read_all(&tar).unwrap()[0].0.path, b"prefix/name");
    }

    #[test]
    fn a_bad_checksum_is_an_error_with_its_offset() {
        let mut tar = write(&[file("a", b"1"), file("b", b"2")], false);
        tar[1024] ^= 1; // the second header's name
        match read_all(&tar) {
            Err(TarError::Checksum { offset: 1024 }) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(
            TarError::Checksum { offset: 1024 }.to_string(),
            "tar: bad header checksum at byte 1024"
        );
    }

    #[test]
    fn truncated_archives() {
        let tar = write(&[file("a", &[7u8; 2000])], false);
        // Inside the data.
        assert!(matches!(
            read_all(&tar[..1000]),
            Err(TarError::Truncated { .. })
        ));
        // Inside a header.
        assert!(matches!(
            read_all(&tar[..300]),
            Err(TarError::Truncated { offset: 0 })
        ));
        // Inside the padding, when the caller skips the data.
        let mut r = TarReader::new(&tar[..2100]);
        r.next_entry().unwrap();
        assert!(matches!(r.next_entry(), Err(TarError::Truncated { .. })));
        // No end-of-archive blocks at all is a clean end.
        let end = 512 + 2048;
        assert_eq!(read_all(&tar[..end]).unwrap().len(), 1);
    }

    #[test]
    fn oversized_and_broken_pax_headers() {
        let e = file("f", b"");
        let mut tar = header_block(&e, b"pax", b"", b'x', MAX_META + 1).to_vec();
        tar.extend_from_slice(&[0; 512]);
        assert!(matches!(read_all(&tar), Err(TarError::MetaTooLarge { .. })));
        for bad in [&b"99 path=x\n"[..], b"5 p\n", b"x path=a\n", b"11 path=ab!"] {
            let mut tar = header_block(&e, b"pax", b"", b'x', bad.len() as u64).to_vec();
            tar.extend_from_slice(bad);
            tar.resize(1024, 0);
            tar.extend_from_slice(&header_block(&e, b"f", b"", b'0', 0));
            tar.extend_from_slice(&[0; 1024]);
            assert!(
                matches!(read_all(&tar), Err(TarError::BadPax { .. })),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn a_run_of_metadata_headers_is_bounded_as_a_whole() {
        let e = file("f", b"");
        let mut tar = Vec::new();
        let rec = pax_records(&[(b"SCHILY.xattr.user.a".to_vec(), vec![b'v'; 300_000])]);
        for i in 0..4 {
            let mut rec = rec.clone();
            // A different name each time, so that none replaces the last.
            let at = rec.iter().position(|&b| b == b'a').unwrap();
            rec[at] = b'a' + i;
            tar.extend_from_slice(&header_block(&e, b"pax", b"", b'x', rec.len() as u64));
            tar.extend_from_slice(&rec);
            tar.resize(tar.len().div_ceil(512) * 512, 0);
        }
        tar.extend_from_slice(&header_block(&e, b"f", b"", b'0', 0));
        tar.extend_from_slice(&[0; 1024]);
        assert!(matches!(
            read_all(&tar),
            Err(TarError::MetaTooLarge { offset, .. }) if offset > 0
        ));
    }

    #[test]
    fn unsupported_types_and_sparse_files_are_errors() {
        let tar = write(&[entry("s", b'S')], false);
        assert!(matches!(
            read_all(&tar),
            Err(TarError::Unsupported { typeflag: b'S', .. })
        ));
        let mut e = file("f", b"");
        e.pax = vec![(b"GNU.sparse.major".to_vec(), b"1".to_vec())];
        assert!(matches!(
            read_all(&write(&[e], false)),
            Err(TarError::Unsupported { .. })
        ));
    }

    #[test]
    fn numbers_in_octal_and_base_256() {
        assert_eq!(number(b"0000755\0", 0, "m").unwrap(), 0o755);
        assert_eq!(number(b"  755 \0\0", 0, "m").unwrap(), 0o755);
        assert_eq!(number(b"\0\0\0\0", 0, "m").unwrap(), 0);
        let mut big = [0u8; 12];
        big[0] = 0x80;
        big[7..].copy_from_slice(&[0x02, 0, 0, 0, 1]);
        assert_eq!(number(&big, 0, "size").unwrap(), (2 << 32) + 1);
        assert_eq!(signed_number(&[0xff; 12], 0, "mtime").unwrap(), -1);
        assert!(number(b"12x4\0", 0, "m").is_err());
        assert!(number(b"12 4\0", 0, "m").is_err());
        assert_eq!(pax_time(b"-1.25"), Some((-2, 750_000_000)));
        assert_eq!(pax_time(b"5"), Some((5, 0)));
        assert_eq!(pax_time(b"5.1234567891"), Some((5, 123_456_789)));
        assert_eq!(pax_time(b"x"), None);
    }

    /// xorshift: reproducible, no dependency.
    pub fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed | 1;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    #[test]
    fn damaged_archives_give_errors_never_panics() {
        let mut e = file(&"p/".repeat(80), b"data");
        e.pax = vec![
            (b"mtime".to_vec(), b"-12.5".to_vec()),
            (b"SCHILY.xattr.user.a".to_vec(), b"v".to_vec()),
        ];
        let mut dev = entry("d", b'4');
        dev.dev = (8, 1);
        let tar = write(
            &[e, hardlink(&"h".repeat(150), "x"), dev, dir("dir/")],
            true,
        );
        let mut next = rng(7);
        for _ in 0..3000 {
            let mut t = tar.clone();
            for _ in 0..1 + next() % 8 {
                let i = (next() % t.len() as u64) as usize;
                t[i] = next() as u8;
            }
            if next().is_multiple_of(4) {
                t.truncate((next() % t.len() as u64) as usize);
            }
            let _ = read_all(&t);
        }
    }

    #[test]
    fn the_tar_crate_agrees() {
        // Archives from an independent writer (GNU and PAX long names).
        let mut b = ::tar::Builder::new(Vec::new());
        let long = format!("{}/file", "dir".repeat(60));
        let mut h = ::tar::Header::new_gnu();
        h.set_size(5);
        h.set_mode(0o640);
        h.set_mtime(42);
        h.set_entry_type(::tar::EntryType::Regular);
        b.append_data(&mut h, &long, &b"hello"[..]).unwrap();
        let mut h = ::tar::Header::new_ustar();
        h.set_size(0);
        h.set_entry_type(::tar::EntryType::Symlink);
        b.append_link(&mut h, "link", "t".repeat(200)).unwrap();
        let data = b.into_inner().unwrap();
        let got = read_all(&data).unwrap();
        assert_eq!(got[0].0.path, long.as_bytes());
        assert_eq!((got[0].0.mode, got[0].0.mtime_sec), (0o640, 42));
        assert_eq!(got[0].1, b"hello");
        assert_eq!(got[1].0.link, "t".repeat(200).as_bytes());
    }
}
