//! Text without allocation: a fixed buffer that numbers and strings are appended to,
//! and decimal parsing. Pure, so the library's unit tests include it as well.

/// A fixed-capacity byte buffer; what does not fit is dropped (and `overflowed` set).
pub struct Buf<const N: usize> {
    bytes: [u8; N],
    len: usize,
    pub overflowed: bool,
}

impl<const N: usize> Default for Buf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Buf<N> {
    pub const fn new() -> Self {
        Buf {
            bytes: [0; N],
            len: 0,
            overflowed: false,
        }
    }

    pub fn clear(&mut self) {
        self.len = 0;
        self.overflowed = false;
    }

    pub fn push(&mut self, s: &[u8]) -> &mut Self {
        let room = N - self.len;
        let n = if s.len() > room {
            self.overflowed = true;
            room
        } else {
            s.len()
        };
        self.bytes[self.len..self.len + n].copy_from_slice(&s[..n]);
        self.len += n;
        self
    }

    pub fn num(&mut self, v: i64) -> &mut Self {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut n = v.unsigned_abs();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        if v < 0 {
            self.push(b"-");
        }
        self.push(&digits[i..])
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The contents followed by a NUL, for a system call's path argument.
    pub fn c_str(&mut self) -> &[u8] {
        self.push(b"\0");
        let s = &self.bytes[..self.len];
        self.len -= 1;
        s
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A decimal integer (optionally negative); None for anything else.
pub fn parse_int(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as i64;
    }
    Some(if neg { -v } else { v })
}

/// Hex text to bytes (the saved terminal settings); None if malformed or too long.
pub fn parse_hex(s: &[u8], out: &mut [u8]) -> Option<usize> {
    if s.len() & 1 == 1 || s.len() / 2 > out.len() {
        return None;
    }
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    for (i, pair) in s.chunks(2).enumerate() {
        out[i] = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(s.len() / 2)
}

/// The value after `key ` on a line of a cgroup file such as memory.events
/// ("oom_kill 3"); None if the key is not there.
pub fn keyed_value(text: &[u8], key: &[u8]) -> Option<i64> {
    for line in text.split(|&c| c == b'\n') {
        if line.len() > key.len() && line.starts_with(key) && line[key.len()] == b' ' {
            return parse_int(&line[key.len() + 1..]);
        }
    }
    None
}
