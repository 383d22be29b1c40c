//! The layer blob as an uncompressed tar stream: gzip (flate2 with zlib-rs) or zstd
//! (ruzstd), both pure Rust, so cross builds need no C library. The stream counts and
//! hashes what it yields: the sha256 is the layer's diff_id, and the count stops a
//! decompression bomb at the caller's limit.
//!
//! Errors come out of `Read` as `io::Error`s that carry a `StreamError`, so that the tar
//! reader above passes them through and the unpacker names what failed and where.

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

use sha2::{Digest, Sha256};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Zstd,
    None,
}

impl Compression {
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::None => "none",
        }
    }

    /// From a blob's first bytes.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&ZSTD_MAGIC)
            || (head.len() >= 4
                && is_skippable(u32::from_le_bytes([head[0], head[1], head[2], head[3]])))
        {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

fn is_skippable(magic: u32) -> bool {
    magic & 0xffff_fff0 == 0x184d_2a50
}

/// Why the stream stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamError {
    /// Reading the blob file failed.
    Blob { errno: i32 },
    /// The compressed data is invalid; `offset` is how far into the blob the decoder had
    /// read.
    Corrupt {
        format: &'static str,
        offset: u64,
        detail: String,
    },
    /// More uncompressed bytes than allowed.
    TooLarge { max: u64 },
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Blob { errno } => write!(
                f,
                "read the layer blob: {}",
                std::io::Error::from_raw_os_error(*errno)
            ),
            StreamError::Corrupt {
                format,
                offset,
                detail,
            } => write!(f, "{format}: invalid data at byte {offset}: {detail}"),
            StreamError::TooLarge { max } => write!(f, "more than {max} bytes"),
        }
    }
}

impl std::error::Error for StreamError {}

impl StreamError {
    fn into_io(self) -> io::Error {
        io::Error::other(self)
    }
    /// The StreamError inside an io::Error that came out of a `LayerStream`.
    pub fn from_io(e: &io::Error) -> Option<&StreamError> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<StreamError>())
    }
}

/// Counts the compressed bytes the decoder consumes, and keeps the errno of a failed
/// read of the blob apart from the decoder's own errors.
struct Counting<B> {
    inner: B,
    consumed: Rc<Cell<u64>>,
    read_errno: Rc<Cell<i32>>,
}

impl<B: BufRead> Read for Counting<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = {
            let avail = self.fill_buf()?;
            let n = avail.len().min(buf.len());
            buf[..n].copy_from_slice(&avail[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<B: BufRead> BufRead for Counting<B> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self.inner.fill_buf() {
            Ok(b) => Ok(b),
            Err(e) => {
                self.read_errno.set(e.raw_os_error().unwrap_or(libc::EIO));
                Err(e)
            }
        }
    }
    fn consume(&mut self, n: usize) {
        self.consumed.set(self.consumed.get() + n as u64);
        self.inner.consume(n);
    }
}

/// zstd frames one after the other, skippable frames (zstd:chunked's metadata) skipped;
/// each frame's checksum is checked when it has one.
struct Zstd<B: BufRead> {
    src: B,
    dec: ruzstd::decoding::FrameDecoder,
    in_frame: bool,
}

impl<B: BufRead> Zstd<B> {
    fn corrupt(e: impl fmt::Display) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, e.to_string())
    }
}

impl<B: BufRead> Read for Zstd<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
        use ruzstd::decoding::BlockDecodingStrategy;
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if !self.in_frame {
                if self.src.fill_buf()?.is_empty() {
                    return Ok(0);
                }
                match self.dec.reset(&mut self.src) {
                    Ok(()) => self.in_frame = true,
                    Err(FrameDecoderError::ReadFrameHeaderError(
                        ReadFrameHeaderError::SkipFrame { length, .. },
                    )) => {
                        let skipped =
                            io::copy(&mut (&mut self.src).take(length as u64), &mut io::sink())?;
                        if skipped != length as u64 {
                            return Err(Self::corrupt("a skippable frame is cut short"));
                        }
                        continue;
                    }
                    Err(e) => return Err(Self::corrupt(e)),
                }
            }
            if self.dec.can_collect() > 0 {
                return self.dec.read(buf);
            }
            if self.dec.is_finished() {
                if let (Some(want), Some(got)) = (
                    self.dec.get_checksum_from_data(),
                    self.dec.get_calculated_checksum(),
                ) {
                    if want != got {
                        return Err(Self::corrupt("frame checksum mismatch"));
                    }
                }
                self.in_frame = false;
                continue;
            }
            self.dec
                .decode_blocks(&mut self.src, BlockDecodingStrategy::UptoBlocks(1))
                .map_err(Self::corrupt)?;
        }
    }
}

/// The uncompressed tar stream of a layer blob, hashed and counted as it is read.
pub struct LayerStream {
    inner: Box<dyn Read>,
    format: Compression,
    consumed: Rc<Cell<u64>>,
    read_errno: Rc<Cell<i32>>,
    hasher: Sha256,
    count: u64,
    max: u64,
}

/// Buffer of the blob reads: large enough to keep syscalls rare on flash.
const READ_BUF: usize = 128 * 1024;

impl LayerStream {
    /// `compression`: None sniffs the blob's magic.
    pub fn new<R: Read + 'static>(
        blob: R,
        compression: Option<Compression>,
        max: u64,
    ) -> io::Result<LayerStream> {
        let consumed = Rc::new(Cell::new(0));
        let read_errno = Rc::new(Cell::new(0));
        let mut src = Counting {
            inner: BufReader::with_capacity(READ_BUF, blob),
            consumed: consumed.clone(),
            read_errno: read_errno.clone(),
        };
        let format = match compression {
            Some(c) => c,
            None => Compression::sniff(src.fill_buf().map_err(|e| {
                StreamError::Blob {
                    errno: e.raw_os_error().unwrap_or(libc::EIO),
                }
                .into_io()
            })?),
        };
        let inner: Box<dyn Read> = match format {
            Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(src)),
            Compression::Zstd => Box::new(Zstd {
                src,
                dec: ruzstd::decoding::FrameDecoder::new(),
                in_frame: false,
            }),
            Compression::None => Box::new(src),
        };
        Ok(LayerStream {
            inner,
            format,
            consumed,
            read_errno,
            hasher: Sha256::new(),
            count: 0,
            max,
        })
    }

    pub fn format(&self) -> Compression {
        self.format
    }

    /// Uncompressed bytes so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Reads what is left (the end-of-archive blocks and any padding after them), so
    /// that the digest covers the whole stream, then returns "sha256:<hex>".
    pub fn finish(mut self) -> io::Result<String> {
        let mut buf = vec![0u8; 64 * 1024];
        while self.read(&mut buf)? > 0 {}
        let digest = self.hasher.finalize();
        let mut s = String::with_capacity(7 + 64);
        s.push_str("sha256:");
        for b in digest.iter() {
            s.push_str(&format!("{b:02x}"));
        }
        Ok(s)
    }
}

impl Read for LayerStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            Err(e) => {
                let errno = self.read_errno.get();
                return Err(if errno != 0 {
                    StreamError::Blob { errno }
                } else if self.format == Compression::None {
                    StreamError::Blob {
                        errno: e.raw_os_error().unwrap_or(libc::EIO),
                    }
                } else {
                    StreamError::Corrupt {
                        format: self.format.name(),
                        offset: self.consumed.get(),
                        detail: e.to_string(),
                    }
                }
                .into_io());
            }
        };
        self.count += n as u64;
        if self.count > self.max {
            return Err(StreamError::TooLarge { max: self.max }.into_io());
        }
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

enum Chunk {
    Data(Vec<u8>),
    /// The stream's end: its digest, or why it stopped.
    End(io::Result<String>),
}

/// A `LayerStream` on a thread of its own, so that decompressing and hashing overlap
/// with the unpacker's syscalls (two cores, and a board's slow inflate). At most
/// `PIPE_DEPTH` chunks wait: memory stays bounded. Dropping it stops and joins the
/// thread, which closes the blob.
pub struct Pipelined {
    rx: Option<std::sync::mpsc::Receiver<Chunk>>,
    thread: Option<std::thread::JoinHandle<()>>,
    cur: Vec<u8>,
    pos: usize,
    end: Option<io::Result<String>>,
}

const PIPE_CHUNK: usize = 256 * 1024;
const PIPE_DEPTH: usize = 4;

impl Pipelined {
    pub fn spawn<R: Read + Send + 'static>(
        blob: R,
        compression: Option<Compression>,
        max: u64,
    ) -> io::Result<Pipelined> {
        let (tx, rx) = std::sync::mpsc::sync_channel(PIPE_DEPTH);
        let thread = std::thread::Builder::new()
            .name("lite-unpack".into())
            .spawn(move || {
                let mut s = match LayerStream::new(blob, compression, max) {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = tx.send(Chunk::End(Err(e)));
                        return;
                    }
                };
                loop {
                    let mut buf = vec![0u8; PIPE_CHUNK];
                    let mut n = 0;
                    // Full chunks: fewer, larger messages.
                    while n < buf.len() {
                        match s.read(&mut buf[n..]) {
                            Ok(0) => break,
                            Ok(k) => n += k,
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => {
                                let _ = tx.send(Chunk::End(Err(e)));
                                return;
                            }
                        }
                    }
                    if n == 0 {
                        break;
                    }
                    buf.truncate(n);
                    // The unpacker gave up: stop here.
                    if tx.send(Chunk::Data(buf)).is_err() {
                        return;
                    }
                }
                let _ = tx.send(Chunk::End(s.finish()));
            })?;
        Ok(Pipelined {
            rx: Some(rx),
            thread: Some(thread),
            cur: Vec::new(),
            pos: 0,
            end: None,
        })
    }

    fn next_chunk(&mut self) -> io::Result<bool> {
        if self.end.is_some() {
            return Ok(false);
        }
        let got = match &self.rx {
            Some(rx) => rx.recv().ok(),
            None => None,
        };
        match got {
            Some(Chunk::Data(v)) => {
                self.cur = v;
                self.pos = 0;
                Ok(true)
            }
            Some(Chunk::End(Ok(digest))) => {
                self.end = Some(Ok(digest));
                Ok(false)
            }
            Some(Chunk::End(Err(e))) => {
                let copy = copy_error(&e);
                self.end = Some(Err(e));
                Err(copy)
            }
            None => Err(io::Error::other("the layer's decompression thread stopped")),
        }
    }

    /// Reads to the end (the tar's trailer), then returns "sha256:<hex>".
    pub fn finish(mut self) -> io::Result<String> {
        while self.next_chunk()? {}
        match self.end.take() {
            Some(r) => r,
            None => Err(io::Error::other("the layer stream ended without a digest")),
        }
    }
}

/// An io::Error again, its StreamError kept (io::Error is not Clone).
fn copy_error(e: &io::Error) -> io::Error {
    match StreamError::from_io(e) {
        Some(s) => s.clone().into_io(),
        None => match e.raw_os_error() {
            Some(errno) => io::Error::from_raw_os_error(errno),
            None => io::Error::new(e.kind(), e.to_string()),
        },
    }
}

impl Read for Pipelined {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.pos >= self.cur.len() {
            match &self.end {
                Some(Ok(_)) => return Ok(0),
                Some(Err(e)) => return Err(copy_error(e)),
                None => {}
            }
            if !self.next_chunk()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Drop for Pipelined {
    fn drop(&mut self) {
        // A closed channel stops the thread at its next chunk; then it is joined, so
        // that the blob's fd is closed when the unpack returns.
        self.rx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zstd(data: &[u8]) -> Vec<u8> {
        ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
    }

    fn read(blob: Vec<u8>, c: Option<Compression>, max: u64) -> io::Result<(Vec<u8>, String)> {
        let mut s = LayerStream::new(io::Cursor::new(blob), c, max)?;
        let mut out = Vec::new();
        s.read_to_end(&mut out)?;
        Ok((out, s.finish()?))
    }

    const EMPTY_SHA: &str =
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn each_format_and_the_sniffer() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        for (blob, fmt) in [
            (gzip(&data), Compression::Gzip),
            (zstd(&data), Compression::Zstd),
            (data.clone(), Compression::None),
        ] {
            for c in [Some(fmt), None] {
                let mut s = LayerStream::new(io::Cursor::new(blob.clone()), c, u64::MAX).unwrap();
                assert_eq!(s.format(), fmt);
                let mut out = Vec::new();
                s.read_to_end(&mut out).unwrap();
                assert_eq!(out, data);
            }
        }
        assert_eq!(read(Vec::new(), None, 10).unwrap().1, EMPTY_SHA);
        assert_eq!(read(gzip(b""), None, 10).unwrap().1, EMPTY_SHA);
    }

    #[test]
    fn several_zstd_frames_and_a_skippable_one() {
        let mut blob = zstd(b"hello ");
        blob.extend_from_slice(&0x184d_2a5eu32.to_le_bytes());
        blob.extend_from_slice(&3u32.to_le_bytes());
        blob.extend_from_slice(b"xyz");
        blob.extend_from_slice(&zstd(b"world"));
        assert_eq!(read(blob, None, 100).unwrap().0, b"hello world");
        // gzip members too.
        let mut blob = gzip(b"ab");
        blob.extend_from_slice(&gzip(b"cd"));
        assert_eq!(read(blob, None, 100).unwrap().0, b"abcd");
    }

    #[test]
    fn a_bomb_stops_at_the_limit() {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&vec![0u8; 10 << 20]).unwrap();
        let blob = e.finish().unwrap();
        assert!(blob.len() < 20_000);
        let mut s = LayerStream::new(io::Cursor::new(blob), None, 1 << 20).unwrap();
        let e = io::copy(&mut s, &mut io::sink()).unwrap_err();
        assert_eq!(
            StreamError::from_io(&e),
            Some(&StreamError::TooLarge { max: 1 << 20 })
        );
        assert!(s.count() <= (1 << 20) + 128 * 1024);
    }

    #[test]
    fn corrupt_data_names_the_format_and_the_offset() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 13) as u8).collect();
        let mut blob = gzip(&data);
        let mid = blob.len() / 2;
        for b in &mut blob[mid..mid + 40] {
            *b = !*b;
        }
        let e = read(blob, None, u64::MAX).unwrap_err();
        match StreamError::from_io(&e) {
            Some(StreamError::Corrupt { format: "gzip", .. }) => {}
            other => panic!("{other:?} {e}"),
        }
        let mut blob = zstd(&data);
        blob.truncate(blob.len() - 10);
        let e = read(blob, None, u64::MAX).unwrap_err();
        assert!(
            e.to_string().starts_with("zstd: invalid data at byte "),
            "{e}"
        );
    }

    #[test]
    fn the_pipelined_stream_gives_the_same_bytes_errors_and_digest() {
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
        let mut p = Pipelined::spawn(io::Cursor::new(gzip(&data)), None, u64::MAX).unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 1000];
        // The tar reader reads in small pieces, then leaves the rest to finish().
        while out.len() < 600_000 {
            let n = p.read(&mut buf).unwrap();
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(out, data[..out.len()]);
        let (_, want) = read(data.clone(), Some(Compression::None), u64::MAX).unwrap();
        assert_eq!(p.finish().unwrap(), want);
        // The limit, through the thread.
        let mut p = Pipelined::spawn(io::Cursor::new(gzip(&data)), None, 1000).unwrap();
        let e = io::copy(&mut p, &mut io::sink()).unwrap_err();
        assert_eq!(
            StreamError::from_io(&e),
            Some(&StreamError::TooLarge { max: 1000 })
        );
        assert!(p.read(&mut buf).is_err());
        // Dropped half-way: the thread stops and is joined.
        let mut p = Pipelined::spawn(io::Cursor::new(data.clone()), None, u64::MAX).unwrap();
        p.read_exact(&mut buf).unwrap();
        drop(p);
    }

    #[test]
    fn the_digest_is_the_uncompressed_streams() {
        let (_, d) = read(zstd(b"abc"), None, 100).unwrap();
        assert_eq!(
            d,
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
