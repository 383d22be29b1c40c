//! The container's nf_tables rules, deleted by the monitor with the netlink messages
//! lite made when it added them (nft.rs `release_batch`): the batch, then its fence (a
//! NLMSG_NOOP asking for an ack). This part is pure (what to send, what the replies
//! say), so the library's tests run it against the kernel too; monitor.rs does the
//! socket.

/// The most bytes of a release (a rule's DELRULE is 60 bytes: ~60 rules).
pub const RELEASE_MAX: usize = 4096;

const NLMSG_HDRLEN: usize = 16;
const NLMSG_ERROR: u16 = 2;

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Where the fence (the last message) starts, and its seq; None unless `blob` is whole
/// messages, at least two.
pub fn fence_of(blob: &[u8]) -> Option<(usize, u32)> {
    let mut at = 0;
    let mut last = None;
    while at < blob.len() {
        let len = u32_at(blob, at)? as usize;
        if len < NLMSG_HDRLEN || len > blob.len() - at {
            return None;
        }
        last = Some(at);
        at += (len + 3) & !3;
    }
    let last = last.filter(|&l| l > 0)?;
    Some((last, u32_at(blob, last + 8)?))
}

/// What one datagram of replies said.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Replies {
    /// No error so far; the fence's ack is still to come.
    More,
    /// An error for a message of the batch (errno): the batch did nothing.
    Failed(i32),
    /// The fence's ack, with every reply before it a success: the rules are gone.
    Done,
}

/// Reads one datagram; `so_far` is what the earlier ones said (an error sticks).
pub fn scan(datagram: &[u8], fence_seq: u32, so_far: Replies) -> Replies {
    let mut state = so_far;
    let mut at = 0;
    while at + NLMSG_HDRLEN <= datagram.len() {
        let Some(len) = u32_at(datagram, at).map(|l| l as usize) else {
            break;
        };
        if len < NLMSG_HDRLEN || len > datagram.len() - at {
            break;
        }
        let ty = u16::from_ne_bytes([datagram[at + 4], datagram[at + 5]]);
        let seq = u32_at(datagram, at + 8).unwrap_or(0);
        if ty == NLMSG_ERROR {
            let errno = u32_at(datagram, at + NLMSG_HDRLEN)
                .map(|e| -(e as i32))
                .unwrap_or(0);
            if errno != 0 && state == Replies::More {
                state = Replies::Failed(errno);
            }
            if seq == fence_seq {
                return if state == Replies::More {
                    Replies::Done
                } else {
                    state
                };
            }
        }
        at += (len + 3) & !3;
    }
    state
}
