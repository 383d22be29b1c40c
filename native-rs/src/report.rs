//! What the child tells the parent over the SEQPACKET socket.
//!
//! No strings cross the socket: a failure is `{step, index, errno}` in 12 bytes, written
//! with one `write`, and the parent turns it into a message with the plan (which knows
//! the config line of every step). Success is EOF: the socket is CLOEXEC, so a
//! successful execve closes the child's end.

pub const REPORT_MAGIC: u32 = 0x4c49_5445; // "LITE"
pub const REPORT_LEN: usize = 12;
/// Parent -> child: set-up may begin (the cgroups are attached).
pub const GO: [u8; 4] = *b"GO!\0";
/// Child -> parent, with the pty master attached (SCM_RIGHTS).
pub const TTY_TAG: [u8; 4] = *b"PTY\0";
/// `lite exec`: the joining child's message "PID\0" + the new process's pid (LE).
pub const PID_TAG: [u8; 4] = *b"PID\0";
/// Child -> parent, before GO, with a NETLINK_ROUTE socket opened in the container's
/// new network namespace attached (SCM_RIGHTS): lite configures the container's
/// interfaces through it without ever calling setns itself.
pub const NET_TAG: [u8; 4] = *b"NET\0";
/// Child -> parent, with `readyWaitFd` (OCI `create`): set-up is done and the exec
/// candidate exists; the child now waits on that fd for `start`. The parent takes it
/// as success, as the EOF of a plain exec.
pub const READY_TAG: [u8; 4] = *b"RDY\0";

/// The set-up steps, in the order the child runs them. `index` says which item of a
/// step's list failed (the mount op, the rlimit, the exec candidate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum Step {
    WaitGo = 1,
    Prctl = 2,
    CgroupNs = 3,
    MountPrivate = 4,
    /// A filesystem op of the plan (rootfs, /proc, /dev, [mount] entries, /etc files).
    FsOp = 5,
    LoopbackUp = 6,
    PivotRoot = 7,
    UmountOld = 8,
    Hostname = 9,
    Rlimit = 10,
    OomScore = 11,
    CapBounding = 12,
    Groups = 13,
    Gid = 14,
    Uid = 15,
    Caps = 16,
    NoNewPrivs = 17,
    Tty = 18,
    Stdio = 19,
    StubInit = 20,
    Signals = 21,
    CloseFds = 22,
    Chdir = 23,
    Exec = 24,
    /// Installing the seccomp filter (index 0: the app, 1: the stub init).
    Seccomp = 25,
    /// Joining namespaces: `lite exec`'s setns into the running container (index: which
    /// namespace), `netJoinFd` (index 100), `joinNs[i]` (index 200 + i), or the clone
    /// into a joined pid namespace (index 99).
    JoinNs = 26,
    /// Joining a cgroup (index: which `tasks` file; 99 the cgroup v2 one).
    Cgroup = 27,
    /// Opening the netlink socket in the new network namespace (index 0) or sending
    /// it to lite (index 1).
    NetSocket = 28,
    /// setdomainname (plan.domainname).
    Domainname = 29,
    /// Sending READY to lite (plan.readyWaitFd).
    Ready = 30,
}

impl Step {
    pub fn from_u16(v: u16) -> Option<Step> {
        use Step::*;
        const ALL: [Step; 30] = [
            WaitGo,
            Prctl,
            CgroupNs,
            MountPrivate,
            FsOp,
            LoopbackUp,
            PivotRoot,
            UmountOld,
            Hostname,
            Rlimit,
            OomScore,
            CapBounding,
            Groups,
            Gid,
            Uid,
            Caps,
            NoNewPrivs,
            Tty,
            Stdio,
            StubInit,
            Signals,
            CloseFds,
            Chdir,
            Exec,
            Seccomp,
            JoinNs,
            Cgroup,
            NetSocket,
            Domainname,
            Ready,
        ];
        ALL.iter().copied().find(|s| *s as u16 == v)
    }

    /// The name the TypeScript side maps to a message.
    pub fn name(self) -> &'static str {
        use Step::*;
        match self {
            WaitGo => "wait-go",
            Prctl => "prctl",
            CgroupNs => "cgroupns",
            MountPrivate => "mount-private",
            FsOp => "fs-op",
            LoopbackUp => "loopback-up",
            PivotRoot => "pivot-root",
            UmountOld => "umount-old",
            Hostname => "hostname",
            Rlimit => "rlimit",
            OomScore => "oom-score",
            CapBounding => "cap-bounding",
            Groups => "groups",
            Gid => "gid",
            Uid => "uid",
            Caps => "caps",
            NoNewPrivs => "no-new-privs",
            Tty => "tty",
            Stdio => "stdio",
            StubInit => "stub-init",
            Signals => "signals",
            CloseFds => "close-fds",
            Chdir => "chdir",
            Exec => "exec",
            Seccomp => "seccomp",
            JoinNs => "join-ns",
            Cgroup => "cgroup",
            NetSocket => "net-socket",
            Domainname => "domainname",
            Ready => "ready",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChildReport {
    pub step: Step,
    pub index: u16,
    pub errno: i32,
}

impl ChildReport {
    pub fn encode(&self) -> [u8; REPORT_LEN] {
        let mut out = [0u8; REPORT_LEN];
        out[0..4].copy_from_slice(&REPORT_MAGIC.to_le_bytes());
        out[4..6].copy_from_slice(&(self.step as u16).to_le_bytes());
        out[6..8].copy_from_slice(&self.index.to_le_bytes());
        out[8..12].copy_from_slice(&self.errno.to_le_bytes());
        out
    }

    pub fn decode(bytes: &[u8]) -> Option<ChildReport> {
        if bytes.len() != REPORT_LEN {
            return None;
        }
        let magic = u32::from_le_bytes(bytes[0..4].try_into().ok()?);
        if magic != REPORT_MAGIC {
            return None;
        }
        let step = Step::from_u16(u16::from_le_bytes(bytes[4..6].try_into().ok()?))?;
        let index = u16::from_le_bytes(bytes[6..8].try_into().ok()?);
        let errno = i32::from_le_bytes(bytes[8..12].try_into().ok()?);
        Some(ChildReport { step, index, errno })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_step() {
        for v in 1..=30u16 {
            let step = Step::from_u16(v).expect("step");
            let r = ChildReport {
                step,
                index: 7,
                errno: libc::ENOENT,
            };
            assert_eq!(ChildReport::decode(&r.encode()), Some(r));
        }
    }

    #[test]
    fn rejects_wrong_length_magic_and_step() {
        let r = ChildReport {
            step: Step::Exec,
            index: 0,
            errno: 2,
        }
        .encode();
        assert_eq!(ChildReport::decode(&r[..11]), None);
        let mut bad = r;
        bad[0] ^= 1;
        assert_eq!(ChildReport::decode(&bad), None);
        let mut bad_step = r;
        bad_step[4] = 99;
        assert_eq!(Step::from_u16(0), None);
        assert_eq!(Step::from_u16(31), None);
        assert_eq!(ChildReport::decode(&bad_step), None);
    }

    #[test]
    fn step_names_are_unique() {
        let names: Vec<_> = (1..=30u16)
            .map(|v| Step::from_u16(v).unwrap().name())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
    }
}
