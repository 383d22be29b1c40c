//! A generic netlink layer on std + libc: a message builder, parsers for received
//! buffers, and a socket with request/ack and dump helpers. rtnl.rs (NETLINK_ROUTE)
//! and nft.rs (NETLINK_NETFILTER) build their messages on it.
//!
//! Wire format (linux/netlink.h): every message is a 16-byte `nlmsghdr` (len, type,
//! flags, seq, pid) followed by a family header and attributes; every attribute is a
//! 4-byte `nlattr` (len, type) and its payload; both are padded to 4 bytes.

use crate::sys::Errno;
use std::cell::Cell;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

pub const NLMSG_HDRLEN: usize = 16;
pub const NLA_HDRLEN: usize = 4;

pub const NLMSG_NOOP: u16 = 1;
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;

pub const NLM_F_REQUEST: u16 = 0x1;
pub const NLM_F_MULTI: u16 = 0x2;
pub const NLM_F_ACK: u16 = 0x4;
pub const NLM_F_ROOT: u16 = 0x100;
pub const NLM_F_MATCH: u16 = 0x200;
pub const NLM_F_DUMP: u16 = NLM_F_ROOT | NLM_F_MATCH;
pub const NLM_F_REPLACE: u16 = 0x100;
pub const NLM_F_EXCL: u16 = 0x200;
pub const NLM_F_CREATE: u16 = 0x400;
pub const NLM_F_APPEND: u16 = 0x800;

pub const NLA_F_NESTED: u16 = 0x8000;
pub const NLA_F_NET_BYTEORDER: u16 = 0x4000;
const NLA_TYPE_MASK: u16 = !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);

// Socket options of SOL_NETLINK (linux/netlink.h); not all are in every libc version.
const SOL_NETLINK: libc::c_int = 270;
const NETLINK_EXT_ACK: libc::c_int = 11;

/// The receive timeout: a kernel that never answers must not hang lite.
const RECV_TIMEOUT_SECS: libc::time_t = 5;
/// Dumps of a busy host (many routes) arrive in several datagrams of up to ~32 KiB.
const RECV_BUF: usize = 64 * 1024;
/// The most datagrams one exchange reads: a dump of ~1M routes fits; a socket that
/// keeps receiving without ever ending the exchange does not hold lite forever.
pub const MAX_DATAGRAMS: usize = 1 << 16;

#[inline]
pub const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// A netlink message being built. The header's length field is kept current by every
/// push, so `bytes()` is always a complete message.
#[derive(Clone, Debug)]
pub struct NlMsg {
    buf: Vec<u8>,
}

impl NlMsg {
    /// A message of type `ty`; NLM_F_REQUEST is always set (the kernel ignores
    /// messages without it).
    pub fn new(ty: u16, flags: u16) -> NlMsg {
        let mut buf = Vec::with_capacity(256);
        buf.extend_from_slice(&(NLMSG_HDRLEN as u32).to_ne_bytes());
        buf.extend_from_slice(&ty.to_ne_bytes());
        buf.extend_from_slice(&(flags | NLM_F_REQUEST).to_ne_bytes());
        buf.extend_from_slice(&0u32.to_ne_bytes()); // seq: set by the socket
        buf.extend_from_slice(&0u32.to_ne_bytes()); // pid 0: addressed to the kernel
        NlMsg { buf }
    }

    fn fix_len(&mut self) {
        let len = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&len.to_ne_bytes());
    }

    fn pad(&mut self) {
        let to = align4(self.buf.len());
        self.buf.resize(to, 0);
    }

    /// The family header (ifinfomsg, ifaddrmsg, rtmsg, nfgenmsg), padded to 4.
    pub fn push_header(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        self.pad();
        self.fix_len();
    }

    /// One attribute; its length excludes the padding, as the kernel expects.
    pub fn attr(&mut self, ty: u16, payload: &[u8]) {
        let len = (NLA_HDRLEN + payload.len()) as u16;
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(&ty.to_ne_bytes());
        self.buf.extend_from_slice(payload);
        self.pad();
        self.fix_len();
    }
    pub fn attr_u8(&mut self, ty: u16, v: u8) {
        self.attr(ty, &[v]);
    }
    pub fn attr_u16(&mut self, ty: u16, v: u16) {
        self.attr(ty, &v.to_ne_bytes());
    }
    pub fn attr_u32(&mut self, ty: u16, v: u32) {
        self.attr(ty, &v.to_ne_bytes());
    }
    /// Big-endian: nf_tables carries its numbers in network order.
    pub fn attr_u32_be(&mut self, ty: u16, v: u32) {
        self.attr(ty, &v.to_be_bytes());
    }
    pub fn attr_u64_be(&mut self, ty: u16, v: u64) {
        self.attr(ty, &v.to_be_bytes());
    }
    /// A NUL-terminated string (NLA_NUL_STRING / NLA_STRING both accept it).
    pub fn attr_str(&mut self, ty: u16, s: &str) {
        let mut v = Vec::with_capacity(s.len() + 1);
        v.extend_from_slice(s.as_bytes());
        v.push(0);
        self.attr(ty, &v);
    }
    /// A flag attribute: present or absent, no payload.
    pub fn attr_flag(&mut self, ty: u16) {
        self.attr(ty, &[]);
    }

    /// Opens a nested attribute; returns its offset for `nest_end`.
    pub fn nest_start(&mut self, ty: u16) -> usize {
        let at = self.buf.len();
        self.buf
            .extend_from_slice(&(NLA_HDRLEN as u16).to_ne_bytes());
        self.buf
            .extend_from_slice(&(ty | NLA_F_NESTED).to_ne_bytes());
        self.fix_len();
        at
    }
    /// Closes the nest opened at `at`: its length covers everything pushed since.
    pub fn nest_end(&mut self, at: usize) {
        let len = (self.buf.len() - at) as u16;
        self.buf[at..at + 2].copy_from_slice(&len.to_ne_bytes());
    }

    pub fn set_seq(&mut self, seq: u32) {
        self.buf[8..12].copy_from_slice(&seq.to_ne_bytes());
    }
    fn add_flags(&mut self, flags: u16) {
        let old = u16::from_ne_bytes([self.buf[6], self.buf[7]]);
        self.buf[6..8].copy_from_slice(&(old | flags).to_ne_bytes());
    }
    pub fn seq(&self) -> u32 {
        u32::from_ne_bytes(self.buf[8..12].try_into().unwrap())
    }

    /// The complete message; its length field is already correct.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }
}

/// A received message: its header fields and the payload after the nlmsghdr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Msg<'a> {
    pub ty: u16,
    pub flags: u16,
    pub seq: u32,
    pub payload: &'a [u8],
}

impl Msg<'_> {
    /// For NLMSG_ERROR: the (negative or zero) error code and the seq of the request
    /// it answers (from the echoed header).
    pub fn error(&self) -> Option<(i32, u32)> {
        if self.ty != NLMSG_ERROR || self.payload.len() < 4 {
            return None;
        }
        let code = i32::from_ne_bytes(self.payload[0..4].try_into().unwrap());
        let seq = if self.payload.len() >= 4 + 12 {
            u32::from_ne_bytes(self.payload[12..16].try_into().unwrap())
        } else {
            0
        };
        Some((code, seq))
    }
}

/// Walks the messages of one receive buffer; stops at a malformed length.
pub fn messages(buf: &[u8]) -> impl Iterator<Item = Msg<'_>> {
    let mut rest = buf;
    std::iter::from_fn(move || {
        if rest.len() < NLMSG_HDRLEN {
            return None;
        }
        let len = u32::from_ne_bytes(rest[0..4].try_into().unwrap()) as usize;
        if len < NLMSG_HDRLEN || len > rest.len() {
            rest = &[];
            return None;
        }
        let msg = Msg {
            ty: u16::from_ne_bytes([rest[4], rest[5]]),
            flags: u16::from_ne_bytes([rest[6], rest[7]]),
            seq: u32::from_ne_bytes(rest[8..12].try_into().unwrap()),
            payload: &rest[NLMSG_HDRLEN..len],
        };
        rest = &rest[align4(len).min(rest.len())..];
        Some(msg)
    })
}

/// Walks the attributes of a buffer (a message's payload after its family header, or
/// a nested attribute's payload). The type has NLA_F_NESTED/NET_BYTEORDER masked off.
pub fn attrs(buf: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = buf;
    std::iter::from_fn(move || {
        if rest.len() < NLA_HDRLEN {
            return None;
        }
        let len = u16::from_ne_bytes([rest[0], rest[1]]) as usize;
        if len < NLA_HDRLEN || len > rest.len() {
            rest = &[];
            return None;
        }
        let ty = u16::from_ne_bytes([rest[2], rest[3]]) & NLA_TYPE_MASK;
        let payload = &rest[NLA_HDRLEN..len];
        rest = &rest[align4(len).min(rest.len())..];
        Some((ty, payload))
    })
}

/// Payload readers for attributes (None when the payload is too short).
pub fn nla_u32(p: &[u8]) -> Option<u32> {
    p.get(0..4)
        .map(|b| u32::from_ne_bytes(b.try_into().unwrap()))
}
pub fn nla_u8(p: &[u8]) -> Option<u8> {
    p.first().copied()
}
/// A string attribute without its NUL.
pub fn nla_str(p: &[u8]) -> Option<&str> {
    let end = p.iter().position(|&b| b == 0).unwrap_or(p.len());
    std::str::from_utf8(&p[..end]).ok()
}

fn last_errno() -> Errno {
    Errno(
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO),
    )
}

/// A netlink socket bound to the kernel. Not Sync: one user at a time.
pub struct Socket {
    fd: OwnedFd,
    seq: Cell<u32>,
}

impl Socket {
    /// AF_NETLINK socket of `protocol` (NETLINK_ROUTE, NETLINK_NETFILTER), bound, with
    /// extended acks where the kernel has them and a bounded receive.
    pub fn open(protocol: libc::c_int) -> Result<Socket, Errno> {
        let fd = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                protocol,
            )
        };
        if fd < 0 {
            return Err(last_errno());
        }
        let sock = Socket::from_fd(unsafe { OwnedFd::from_raw_fd(fd) });
        // Bind with pid 0: the kernel assigns a unique port id.
        let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        let r = unsafe {
            libc::bind(
                fd,
                &addr as *const libc::sockaddr_nl as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if r < 0 {
            return Err(last_errno());
        }
        sock.configure();
        Ok(sock)
    }

    /// Takes a socket opened elsewhere (the child's, in the container's netns). The
    /// kernel auto-binds it on the first send; the options are set here as in open.
    pub fn from_fd(fd: OwnedFd) -> Socket {
        let sock = Socket {
            fd,
            seq: Cell::new(initial_seq()),
        };
        sock.configure();
        sock
    }

    fn configure(&self) {
        let fd = self.fd.as_raw_fd();
        // Best effort: extended acks only improve error reports (4.12+).
        let one: libc::c_int = 1;
        unsafe {
            libc::setsockopt(
                fd,
                SOL_NETLINK,
                NETLINK_EXT_ACK,
                &one as *const libc::c_int as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        let rcvbuf: libc::c_int = 256 * 1024;
        unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                &rcvbuf as *const libc::c_int as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        let tv = libc::timeval {
            tv_sec: RECV_TIMEOUT_SECS,
            tv_usec: 0,
        };
        unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                &tv as *const libc::timeval as *const libc::c_void,
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            )
        };
    }

    pub fn fd(&self) -> libc::c_int {
        self.fd.as_raw_fd()
    }

    pub fn next_seq(&self) -> u32 {
        let s = self.seq.get().wrapping_add(1).max(1);
        self.seq.set(s);
        s
    }

    /// Records that a caller numbered its own messages up to `last` (an nf_tables
    /// batch takes one seq per message): `next_seq` continues after it.
    pub fn seqs_used_through(&self, last: u32) {
        self.seq.set(last);
    }

    pub fn send(&self, bytes: &[u8]) -> Result<(), Errno> {
        let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        loop {
            let n = unsafe {
                libc::sendto(
                    self.fd.as_raw_fd(),
                    bytes.as_ptr() as *const libc::c_void,
                    bytes.len(),
                    0,
                    &addr as *const libc::sockaddr_nl as *const libc::sockaddr,
                    std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
                )
            };
            if n < 0 {
                let e = last_errno();
                if e.0 == libc::EINTR {
                    continue;
                }
                return Err(e);
            }
            if n as usize != bytes.len() {
                return Err(Errno(libc::EMSGSIZE));
            }
            return Ok(());
        }
    }

    /// One datagram. A timeout (nothing within 5 s) is Err(EAGAIN); a datagram larger
    /// than `buf` is Err(EMSGSIZE) rather than a silently truncated parse.
    pub fn recv(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        loop {
            let n = unsafe {
                libc::recv(
                    self.fd.as_raw_fd(),
                    buf.as_mut_ptr() as *mut libc::c_void,
                    buf.len(),
                    libc::MSG_TRUNC,
                )
            };
            if n < 0 {
                let e = last_errno();
                if e.0 == libc::EINTR {
                    continue;
                }
                return Err(e);
            }
            if n as usize > buf.len() {
                return Err(Errno(libc::EMSGSIZE));
            }
            return Ok(n as usize);
        }
    }

    /// Sends `msg` with NLM_F_ACK and waits for the kernel's ack of that seq. Messages
    /// of other seqs (stale answers) are skipped.
    pub fn request(&self, msg: NlMsg) -> Result<(), Errno> {
        self.request_with(msg, |_| {})
    }

    /// As `request`, and calls `f` for each answer before the ack (a GET's reply).
    pub fn request_with(&self, msg: NlMsg, f: impl FnMut(&Msg)) -> Result<(), Errno> {
        self.exchange(msg, NLM_F_ACK, f)
    }

    /// Sends `msg` as a dump request and calls `f` for every answer until NLMSG_DONE.
    pub fn dump(&self, msg: NlMsg, f: impl FnMut(&Msg)) -> Result<(), Errno> {
        self.exchange(msg, NLM_F_DUMP, f)
    }

    /// Sends `msg` with `flags` added and a fresh seq, then passes every answer of that
    /// seq to `f` until the exchange ends: NLMSG_DONE, or NLMSG_ERROR (an ack of 0 or
    /// the kernel's errno; a truncated one is EIO). Answers to other seqs are stale and
    /// skipped. Bounded: each receive by the socket's timeout (EAGAIN), the whole by
    /// MAX_DATAGRAMS (EMSGSIZE).
    fn exchange(&self, mut msg: NlMsg, flags: u16, mut f: impl FnMut(&Msg)) -> Result<(), Errno> {
        let seq = self.next_seq();
        msg.set_seq(seq);
        msg.add_flags(flags);
        self.send(msg.bytes())?;
        let mut buf = vec![0u8; RECV_BUF];
        for _ in 0..MAX_DATAGRAMS {
            let n = self.recv(&mut buf)?;
            for m in messages(&buf[..n]) {
                if m.seq != seq {
                    continue;
                }
                match m.ty {
                    NLMSG_DONE => return Ok(()),
                    NLMSG_NOOP => {}
                    NLMSG_ERROR => return ack_result(&m),
                    _ => f(&m),
                }
            }
        }
        Err(Errno(libc::EMSGSIZE))
    }
}

/// An NLMSG_ERROR as a result: 0 is the ack, a negative code the errno; one too short
/// to carry a code is EIO.
pub fn ack_result(m: &Msg) -> Result<(), Errno> {
    match m.error() {
        Some((0, _)) => Ok(()),
        Some((code, _)) if code < 0 => Err(Errno(code.saturating_neg())),
        _ => Err(Errno(libc::EIO)),
    }
}

/// A starting seq that differs between sockets, so that a stale answer on a reused
/// fd is not taken for a fresh one.
fn initial_seq() -> u32 {
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_nsec as u32) ^ ((ts.tv_sec as u32) << 20)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ne16(v: u16) -> [u8; 2] {
        v.to_ne_bytes()
    }
    fn ne32(v: u32) -> [u8; 4] {
        v.to_ne_bytes()
    }

    #[test]
    fn empty_message_is_a_bare_header() {
        let m = NlMsg::new(18, 0);
        let mut want = Vec::new();
        want.extend_from_slice(&ne32(16));
        want.extend_from_slice(&ne16(18));
        want.extend_from_slice(&ne16(NLM_F_REQUEST));
        want.extend_from_slice(&ne32(0));
        want.extend_from_slice(&ne32(0));
        assert_eq!(m.bytes(), &want[..]);
    }

    #[test]
    fn header_and_attrs_are_padded_and_counted() {
        let mut m = NlMsg::new(16, NLM_F_CREATE | NLM_F_EXCL);
        m.push_header(&[1, 2, 3]); // padded to 4
        m.attr_str(3, "br0"); // 4 + 4 = 8, no pad
        m.attr_u8(7, 9); // 4 + 1 -> padded to 8
        m.attr_u32(4, 1500);
        m.attr_flag(2);
        m.set_seq(7);
        let b = m.bytes();
        let mut want = Vec::new();
        want.extend_from_slice(&ne32(16 + 4 + 8 + 8 + 8 + 4));
        want.extend_from_slice(&ne16(16));
        want.extend_from_slice(&ne16(NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL));
        want.extend_from_slice(&ne32(7));
        want.extend_from_slice(&ne32(0));
        want.extend_from_slice(&[1, 2, 3, 0]);
        want.extend_from_slice(&ne16(8));
        want.extend_from_slice(&ne16(3));
        want.extend_from_slice(b"br0\0");
        want.extend_from_slice(&ne16(5));
        want.extend_from_slice(&ne16(7));
        want.extend_from_slice(&[9, 0, 0, 0]);
        want.extend_from_slice(&ne16(8));
        want.extend_from_slice(&ne16(4));
        want.extend_from_slice(&ne32(1500));
        want.extend_from_slice(&ne16(4));
        want.extend_from_slice(&ne16(2));
        assert_eq!(b, &want[..]);
        assert_eq!(m.seq(), 7);
    }

    #[test]
    fn big_endian_attrs() {
        let mut m = NlMsg::new(0, 0);
        m.attr_u32_be(1, 0x0102_0304);
        m.attr_u64_be(2, 0x0102_0304_0506_0708);
        m.attr_u16(3, 0xabcd);
        let b = &m.bytes()[16..];
        assert_eq!(&b[4..8], &[1, 2, 3, 4]);
        assert_eq!(&b[12..20], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(&b[20..22], &ne16(6));
        assert_eq!(&b[24..26], &ne16(0xabcd));
        assert_eq!(&b[26..28], &[0, 0]);
        assert_eq!(b.len(), 28);
    }

    #[test]
    fn nests_cover_their_children_and_set_the_flag() {
        let mut m = NlMsg::new(16, 0);
        let outer = m.nest_start(18);
        m.attr_str(1, "veth"); // 4 + 5 -> 12
        let inner = m.nest_start(2);
        m.attr_u32(5, 42); // 8
        m.nest_end(inner);
        m.nest_end(outer);
        let b = &m.bytes()[16..];
        assert_eq!(&b[0..2], &ne16(4 + 12 + 4 + 8));
        assert_eq!(&b[2..4], &ne16(18 | NLA_F_NESTED));
        assert_eq!(&b[4..6], &ne16(9));
        assert_eq!(&b[16..18], &ne16(12));
        assert_eq!(&b[18..20], &ne16(2 | NLA_F_NESTED));
        assert_eq!(m.bytes().len(), 16 + 28);
        assert_eq!(&m.bytes()[0..4], &ne32(44));

        // And the parser reads the nest back with the flag masked off.
        let top: Vec<_> = attrs(b).collect();
        assert_eq!(top.len(), 1);
        assert_eq!(top[0].0, 18);
        let kids: Vec<_> = attrs(top[0].1).collect();
        assert_eq!(kids.len(), 2);
        assert_eq!(nla_str(kids[0].1), Some("veth"));
        assert_eq!(kids[1].0, 2);
        let grand: Vec<_> = attrs(kids[1].1).collect();
        assert_eq!(grand, vec![(5, &ne32(42)[..])]);
    }

    #[test]
    fn messages_walks_a_multi_message_buffer() {
        let mut a = NlMsg::new(16, NLM_F_MULTI);
        a.push_header(&[0; 16]);
        a.attr_str(3, "lo");
        a.set_seq(5);
        let mut done = NlMsg::new(NLMSG_DONE, NLM_F_MULTI);
        done.push_header(&0i32.to_ne_bytes());
        done.set_seq(5);
        let mut buf = a.bytes().to_vec();
        buf.extend_from_slice(done.bytes());
        let ms: Vec<_> = messages(&buf).collect();
        assert_eq!(ms.len(), 2);
        assert_eq!(ms[0].ty, 16);
        assert_eq!(ms[0].seq, 5);
        assert_eq!(ms[0].payload.len(), 16 + 8);
        let at: Vec<_> = attrs(&ms[0].payload[16..]).collect();
        assert_eq!(at.len(), 1);
        assert_eq!(nla_str(at[0].1), Some("lo"));
        assert_eq!(ms[1].ty, NLMSG_DONE);
    }

    #[test]
    fn error_messages_carry_code_and_seq() {
        let mut req = NlMsg::new(16, 0);
        req.set_seq(99);
        let mut e = NlMsg::new(NLMSG_ERROR, 0);
        let mut payload = (-libc::EEXIST).to_ne_bytes().to_vec();
        payload.extend_from_slice(req.bytes());
        e.push_header(&payload);
        e.set_seq(99);
        let m = messages(e.bytes()).next().unwrap();
        assert_eq!(m.error(), Some((-libc::EEXIST, 99)));
    }

    #[test]
    fn parsers_stop_at_malformed_lengths() {
        // A message claiming more than the buffer holds.
        let mut buf = NlMsg::new(16, 0).bytes().to_vec();
        buf[0..4].copy_from_slice(&ne32(400));
        assert_eq!(messages(&buf).count(), 0);
        // An attribute of length 2 (< header) ends the walk.
        assert_eq!(attrs(&[2, 0, 1, 0, 8, 0, 1, 0]).count(), 0);
        // A trailing partial attribute is ignored.
        let mut a = Vec::new();
        a.extend_from_slice(&ne16(5));
        a.extend_from_slice(&ne16(1));
        a.push(7);
        a.extend_from_slice(&[0, 0, 0]);
        a.extend_from_slice(&[9, 9]);
        let v: Vec<_> = attrs(&a).collect();
        assert_eq!(v, vec![(1, &[7u8][..])]);
    }

    #[test]
    fn short_or_positive_error_codes_are_eio() {
        let err = |payload: &[u8]| {
            let mut e = NlMsg::new(NLMSG_ERROR, 0);
            e.push_header(payload);
            let m = messages(e.bytes()).next().unwrap();
            ack_result(&m)
        };
        assert_eq!(err(&0i32.to_ne_bytes()), Ok(()));
        assert_eq!(err(&(-libc::EPERM).to_ne_bytes()), Err(Errno(libc::EPERM)));
        assert_eq!(err(&5i32.to_ne_bytes()), Err(Errno(libc::EIO)));
        assert_eq!(err(&[]), Err(Errno(libc::EIO)));
        assert_eq!(err(&i32::MIN.to_ne_bytes()), Err(Errno(i32::MAX)));
    }

    #[test]
    fn a_stale_answer_is_not_taken_for_the_ack() {
        let s = match Socket::open(libc::NETLINK_ROUTE) {
            Ok(s) => s,
            Err(_) => return,
        };
        let get_link = |name: &str| {
            let mut m = NlMsg::new(libc::RTM_GETLINK, 0);
            m.push_header(&[0u8; 16]);
            m.attr_str(libc::IFLA_IFNAME, name);
            m
        };
        // A request whose answer (lo's link and an ack) is never read ...
        let mut stale = get_link("lo");
        stale.set_seq(s.next_seq());
        stale.add_flags(NLM_F_ACK);
        s.send(stale.bytes()).unwrap();
        // ... is skipped by the next request, which sees only its own answer.
        let mut answers = 0;
        let r = s.request_with(get_link("lite-none0"), |_| answers += 1);
        assert_eq!(r, Err(Errno(libc::ENODEV)));
        assert_eq!(answers, 0);
        // A batch's seqs are not given out again.
        let last = s.next_seq().wrapping_add(10);
        s.seqs_used_through(last);
        assert_eq!(s.next_seq(), last.wrapping_add(1).max(1));
    }

    #[test]
    fn seq_numbers_advance() {
        // Without a kernel socket: from_fd on /dev/null is enough for seq bookkeeping.
        let f = std::fs::File::open("/dev/null").unwrap();
        let s = Socket::from_fd(OwnedFd::from(f));
        let a = s.next_seq();
        let b = s.next_seq();
        assert_ne!(a, 0);
        assert_eq!(b, a.wrapping_add(1).max(1));
    }

    #[test]
    fn a_route_socket_answers_a_link_dump() {
        // Needs no privileges: reading links is allowed to everyone.
        let s = match Socket::open(libc::NETLINK_ROUTE) {
            Ok(s) => s,
            Err(_) => return, // no netlink in this sandbox
        };
        let mut m = NlMsg::new(libc::RTM_GETLINK, 0);
        m.push_header(&[0u8; 16]); // ifinfomsg, AF_UNSPEC
        let mut names = Vec::new();
        s.dump(m, |msg| {
            for (ty, p) in attrs(msg.payload.get(16..).unwrap_or(&[])) {
                if ty == libc::IFLA_IFNAME {
                    names.push(nla_str(p).unwrap_or("").to_string());
                }
            }
        })
        .unwrap();
        assert!(names.iter().any(|n| n == "lo"), "{names:?}");
    }
}
