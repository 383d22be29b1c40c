//! Where a detached container's stdout and stderr go: a size-capped ring of two files
//! in its state dir on /run (tmpfs: no flash wear), or syslog, or nowhere.
//! The ring: `log` grows to half the cap, then becomes `log.1` and a new `log` starts,
//! so at most the cap is kept and the newest output is never lost.

use crate::fs::path;
use crate::spec::LogTarget;
use crate::sys::{self, AT_FDCWD};
use crate::text::Buf;

pub struct LogSink<'a> {
    target: LogTarget,
    dir: &'a [u8],
    name: &'a [u8],
    half: i64,
    fd: i32,
    written: i64,
    /// Syslog gets whole lines: a partial one waits here.
    line: Buf<1024>,
}

impl<'a> LogSink<'a> {
    pub fn new(target: LogTarget, dir: &'a [u8], name: &'a [u8], cap: i64) -> Self {
        let mut sink = LogSink { target, dir, name, half: (cap / 2).max(4096), fd: -1, written: 0, line: Buf::new() };
        if target == LogTarget::File {
            sink.open(false);
        }
        sink
    }

    fn open(&mut self, truncate: bool) {
        let mut p = path(&[self.dir, b"/log"]);
        let flags = sys::O_WRONLY | sys::O_CREAT | sys::O_APPEND | if truncate { sys::O_TRUNC } else { 0 };
        self.fd = sys::openat(AT_FDCWD, p.c_str(), flags | sys::O_NOFOLLOW, 0o640).unwrap_or(-1);
        self.written = 0;
    }

    fn rotate(&mut self) {
        sys::close(self.fd);
        let mut from = path(&[self.dir, b"/log"]);
        let mut to = path(&[self.dir, b"/log.1"]);
        let _ = sys::rename(from.c_str(), to.c_str());
        self.open(true);
    }

    /// A message of lite's own (the OOM note), marked as such.
    pub fn note(&mut self, msg: &[u8]) {
        match self.target {
            LogTarget::Inherit => {
                sys::write_all(2, msg);
            }
            _ => self.write(msg),
        }
    }

    pub fn write(&mut self, data: &[u8]) {
        match self.target {
            LogTarget::File => {
                if self.fd < 0 {
                    return;
                }
                if self.written + data.len() as i64 > self.half && self.written > 0 {
                    self.rotate();
                }
                if sys::write_all(self.fd, data) {
                    self.written += data.len() as i64;
                }
            }
            LogTarget::Syslog => {
                for &c in data {
                    if c == b'\n' || self.line.len() >= 1000 {
                        self.flush_line();
                    }
                    if c != b'\n' {
                        self.line.push(&[c]);
                    }
                }
            }
            LogTarget::Inherit => {
                sys::write_all(1, data);
            }
            LogTarget::Discard => {}
        }
    }

    fn flush_line(&mut self) {
        if self.line.is_empty() {
            return;
        }
        // <14>: facility user (1), severity info (6).
        let mut msg = Buf::<1200>::new();
        msg.push(b"<14>lite/").push(self.name).push(b": ").push(self.line.as_bytes());
        sys::syslog_send(msg.as_bytes());
        self.line.clear();
    }

    pub fn finish(&mut self) {
        if self.target == LogTarget::Syslog {
            self.flush_line();
        }
        if self.fd >= 0 {
            sys::close(self.fd);
            self.fd = -1;
        }
    }
}
