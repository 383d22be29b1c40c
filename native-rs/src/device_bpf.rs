//! Device access on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the
//! container's cgroup, the v2 equivalent of the v1 devices.allow list (as crun does).
//!
//! The program gets `struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }`
//! with `access_type = access << 16 | type`, and returns 1 to allow, 0 to deny. Rules are
//! tried in order; the first that matches allows. Built in the parent (allocation is fine).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::error::{Error, Result};

/// One allow rule: `c 1:3 rwm`, `c *:* m`, `b 7:0 r`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRule {
    /// 'c', 'b' or 'a' (any)
    pub kind: u8,
    /// None = any
    pub major: Option<u32>,
    pub minor: Option<u32>,
    /// BPF_DEVCG_ACC_* bits: mknod 1, read 2, write 4
    pub access: u32,
}

const DEV_BLOCK: i32 = 1;
const DEV_CHAR: i32 = 2;
const ACC_MKNOD: u32 = 1;
const ACC_READ: u32 = 2;
const ACC_WRITE: u32 = 4;

/// Parses "TYPE MAJOR:MINOR ACCESS" as written to v1 devices.allow.
pub fn parse_rule(text: &str) -> Result<DeviceRule> {
    let bad = || Error::InvalidPlan(format!("bad device rule {text:?}"));
    let mut words = text.split_whitespace();
    let kind = match words.next() {
        Some("c") => b'c',
        Some("b") => b'b',
        Some("a") => b'a',
        _ => return Err(bad()),
    };
    let (major, minor) = words
        .next()
        .and_then(|n| n.split_once(':'))
        .ok_or_else(bad)?;
    let number = |s: &str| -> Result<Option<u32>> {
        if s == "*" {
            Ok(None)
        } else {
            s.parse().map(Some).map_err(|_| bad())
        }
    };
    let mut access = 0;
    for ch in words.next().ok_or_else(bad)?.chars() {
        access |= match ch {
            'm' => ACC_MKNOD,
            'r' => ACC_READ,
            'w' => ACC_WRITE,
            _ => return Err(bad()),
        };
    }
    if words.next().is_some() {
        return Err(bad());
    }
    Ok(DeviceRule {
        kind,
        major: number(major)?,
        minor: number(minor)?,
        access,
    })
}

/// One eBPF instruction (struct bpf_insn).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    code: u8,
    regs: u8,
    off: i16,
    imm: i32,
}

fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn {
        code,
        regs: (src << 4) | dst,
        off,
        imm,
    }
}

// Opcodes (linux/bpf.h, bpf_common.h).
const LDX_MEM_W: u8 = 0x61; // BPF_LDX | BPF_MEM | BPF_W
const ALU32_AND_K: u8 = 0x54;
const ALU32_RSH_K: u8 = 0x74;
const ALU64_MOV_X: u8 = 0xbf;
const ALU64_MOV_K: u8 = 0xb7;
const JMP_JNE_K: u8 = 0x55;
const EXIT: u8 = 0x95;

/// The program: load type, access, major, minor; for each rule, a block that jumps past
/// itself on any mismatch and otherwise returns 1; at the end, return 0.
pub fn program(rules: &[DeviceRule]) -> Vec<Insn> {
    // r1 = ctx. r2 = type, r3 = access, r4 = major, r5 = minor.
    let mut p = vec![
        insn(LDX_MEM_W, 2, 1, 0, 0),
        insn(ALU64_MOV_X, 3, 2, 0, 0),
        insn(ALU32_AND_K, 2, 0, 0, 0xffff),
        insn(ALU32_RSH_K, 3, 0, 0, 16),
        insn(LDX_MEM_W, 4, 1, 4, 0),
        insn(LDX_MEM_W, 5, 1, 8, 0),
    ];
    for rule in rules {
        let mut block: Vec<Insn> = Vec::new();
        // Each check is "jump to the end of this block if it does not match"; the
        // offsets are filled in once the block's length is known.
        let mut jumps: Vec<usize> = Vec::new();
        match rule.kind {
            b'c' => {
                jumps.push(block.len());
                block.push(insn(JMP_JNE_K, 2, 0, 0, DEV_CHAR));
            }
            b'b' => {
                jumps.push(block.len());
                block.push(insn(JMP_JNE_K, 2, 0, 0, DEV_BLOCK));
            }
            _ => {}
        }
        // access must be a subset of the rule's: (access & ~allowed) == 0
        block.push(insn(ALU64_MOV_X, 1, 3, 0, 0));
        block.push(insn(ALU32_AND_K, 1, 0, 0, !(rule.access as i32)));
        jumps.push(block.len());
        block.push(insn(JMP_JNE_K, 1, 0, 0, 0));
        if let Some(major) = rule.major {
            jumps.push(block.len());
            block.push(insn(JMP_JNE_K, 4, 0, 0, major as i32));
        }
        if let Some(minor) = rule.minor {
            jumps.push(block.len());
            block.push(insn(JMP_JNE_K, 5, 0, 0, minor as i32));
        }
        block.push(insn(ALU64_MOV_K, 0, 0, 0, 1));
        block.push(insn(EXIT, 0, 0, 0, 0));
        let len = block.len();
        for j in jumps {
            // from the instruction after the jump to the first one after the block
            block[j].off = (len - j - 1) as i16;
        }
        p.extend(block);
    }
    p.push(insn(ALU64_MOV_K, 0, 0, 0, 0));
    p.push(insn(EXIT, 0, 0, 0, 0));
    p
}

/// Evaluates the program as the kernel would, for tests: 1 allowed, 0 denied.
pub fn evaluate(prog: &[Insn], dev_type: i32, access: u32, major: u32, minor: u32) -> u64 {
    let ctx = [((access << 16) | dev_type as u32), major, minor];
    let mut r = [0u64; 11];
    let mut pc = 0usize;
    while pc < prog.len() {
        let i = prog[pc];
        let dst = (i.regs & 0xf) as usize;
        let src = (i.regs >> 4) as usize;
        pc += 1;
        match i.code {
            LDX_MEM_W => r[dst] = ctx[(i.off / 4) as usize] as u64,
            ALU64_MOV_X => r[dst] = r[src],
            ALU64_MOV_K => r[dst] = i.imm as i64 as u64,
            ALU32_AND_K => r[dst] = ((r[dst] as u32) & (i.imm as u32)) as u64,
            ALU32_RSH_K => r[dst] = ((r[dst] as u32) >> i.imm) as u64,
            JMP_JNE_K => {
                if r[dst] != i.imm as i64 as u64 {
                    pc += i.off as usize;
                }
            }
            EXIT => return r[0],
            other => panic!("opcode {other:#x} not in the evaluator"),
        }
    }
    panic!("fell off the end")
}

/// How often a load that met a signal is tried in all (see `load_retrying`).
const LOAD_TRIES: usize = 5;

/// Runs `f` with every signal blocked on this thread, then puts the mask back.
fn with_signals_blocked<T>(f: impl FnOnce() -> T) -> T {
    let mut all: libc::sigset_t = unsafe { std::mem::zeroed() };
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    unsafe {
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
    }
    let r = f();
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
    r
}

/// The verifier gives up with EAGAIN when a signal is pending for the loading thread,
/// and lite run gets signals to forward at any time (an init system's SIGTERM, a burst
/// of SIGUSR2). So the load runs with this thread's signals blocked (the process's
/// other threads, or the monitor later, take them), and an EAGAIN that still comes
/// (SIGKILL cannot be blocked) is tried again, `LOAD_TRIES` times in all. `load`
/// returns the program's fd or errno.
pub fn load_retrying(
    mut load: impl FnMut() -> std::result::Result<OwnedFd, i32>,
) -> Result<OwnedFd> {
    with_signals_blocked(|| {
        for _ in 1..LOAD_TRIES {
            match load() {
                Err(libc::EAGAIN) => continue,
                r => return r,
            }
        }
        load()
    })
    .map_err(|errno| Error::Os {
        what: "load the device BPF program",
        errno,
    })
}

const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_PROG_ATTACH: libc::c_long = 8;
const BPF_PROG_TYPE_CGROUP_DEVICE: u32 = 15;
const BPF_CGROUP_DEVICE: u32 = 6;

/// Loads the program and attaches it to the cgroup v2 directory `cgroup_dir`. The
/// attachment lives as long as the cgroup; the fds are closed here.
pub fn attach(cgroup_dir: &str, rules: &[DeviceRule]) -> Result<()> {
    let prog = program(rules);
    let license = c"GPL";
    // union bpf_attr, BPF_PROG_LOAD part: prog_type, insn_cnt, insns, license, log...
    #[repr(C)]
    #[derive(Default)]
    struct LoadAttr {
        prog_type: u32,
        insn_cnt: u32,
        insns: u64,
        license: u64,
        log_level: u32,
        log_size: u32,
        log_buf: u64,
        kern_version: u32,
        prog_flags: u32,
        _rest: [u64; 12],
    }
    let attr = LoadAttr {
        prog_type: BPF_PROG_TYPE_CGROUP_DEVICE,
        insn_cnt: prog.len() as u32,
        insns: prog.as_ptr() as u64,
        license: license.as_ptr() as u64,
        ..Default::default()
    };
    let prog_fd = load_retrying(|| {
        let fd = unsafe {
            libc::syscall(
                libc::SYS_bpf,
                BPF_PROG_LOAD,
                &attr as *const LoadAttr,
                std::mem::size_of::<LoadAttr>(),
            )
        };
        if fd < 0 {
            return Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0));
        }
        Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
    })?;
    let dir = std::ffi::CString::new(cgroup_dir)
        .map_err(|_| Error::InvalidPlan("cgroup dir has a NUL".into()))?;
    let cg = unsafe {
        libc::open(
            dir.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if cg < 0 {
        return Err(Error::last_os("open the cgroup for the device program"));
    }
    let cg = unsafe { OwnedFd::from_raw_fd(cg) };
    #[repr(C)]
    #[derive(Default)]
    struct AttachAttr {
        target_fd: u32,
        attach_bpf_fd: u32,
        attach_type: u32,
        attach_flags: u32,
        replace_bpf_fd: u32,
        _pad: [u32; 7],
    }
    let attr = AttachAttr {
        target_fd: cg.as_raw_fd() as u32,
        attach_bpf_fd: prog_fd.as_raw_fd() as u32,
        attach_type: BPF_CGROUP_DEVICE,
        ..Default::default()
    };
    let r = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_PROG_ATTACH,
            &attr as *const AttachAttr,
            std::mem::size_of::<AttachAttr>(),
        )
    };
    if r < 0 {
        return Err(Error::last_os("attach the device BPF program"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(list: &[&str]) -> Vec<DeviceRule> {
        list.iter().map(|r| parse_rule(r).unwrap()).collect()
    }

    #[test]
    fn parses_v1_rule_syntax() {
        assert_eq!(
            parse_rule("c 1:3 rwm").unwrap(),
            DeviceRule {
                kind: b'c',
                major: Some(1),
                minor: Some(3),
                access: 7
            }
        );
        assert_eq!(
            parse_rule("c 136:* rw").unwrap(),
            DeviceRule {
                kind: b'c',
                major: Some(136),
                minor: None,
                access: 6
            }
        );
        assert_eq!(parse_rule("b *:* m").unwrap().access, 1);
        for bad in [
            "x 1:3 r",
            "c 1 r",
            "c 1:3 rx",
            "c a:3 r",
            "c 1:3",
            "c 1:3 r extra",
        ] {
            assert!(parse_rule(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_program_allows_exactly_the_rules() {
        let p = program(&rules(&[
            "c *:* m",
            "b *:* m",
            "c 1:3 rwm",
            "c 136:* rw",
            "b 7:2 r",
        ]));
        // /dev/null: all access
        assert_eq!(evaluate(&p, DEV_CHAR, ACC_READ | ACC_WRITE, 1, 3), 1);
        // mknod of anything, char or block
        assert_eq!(evaluate(&p, DEV_CHAR, ACC_MKNOD, 1, 1), 1);
        assert_eq!(evaluate(&p, DEV_BLOCK, ACC_MKNOD, 8, 0), 1);
        // opening /dev/mem (1:1) is denied
        assert_eq!(evaluate(&p, DEV_CHAR, ACC_READ, 1, 1), 0);
        // a pts, rw but not mknod
        assert_eq!(evaluate(&p, DEV_CHAR, ACC_WRITE, 136, 9), 1);
        // the loop device read-only
        assert_eq!(evaluate(&p, DEV_BLOCK, ACC_READ, 7, 2), 1);
        assert_eq!(evaluate(&p, DEV_BLOCK, ACC_WRITE, 7, 2), 0);
        assert_eq!(evaluate(&p, DEV_BLOCK, ACC_READ, 7, 3), 0);
        // a char rule does not allow the block device of the same numbers
        assert_eq!(evaluate(&p, DEV_BLOCK, ACC_READ, 1, 3), 0);
    }

    fn some_fd() -> OwnedFd {
        OwnedFd::from(std::fs::File::open("/dev/null").unwrap())
    }

    fn blocked_now(sig: libc::c_int) -> bool {
        let mut mask: libc::sigset_t = unsafe { std::mem::zeroed() };
        unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut mask) };
        unsafe { libc::sigismember(&mask, sig) == 1 }
    }

    #[test]
    fn a_load_that_meets_a_signal_is_tried_again_with_signals_blocked() {
        // (Another test may have blocked some signals on this thread already.)
        let before = blocked_now(libc::SIGUSR2);
        let mut calls = 0;
        let mut blocked = Vec::new();
        let r = load_retrying(|| {
            calls += 1;
            blocked.push(blocked_now(libc::SIGTERM) && blocked_now(libc::SIGUSR2));
            if calls < 3 {
                Err(libc::EAGAIN)
            } else {
                Ok(some_fd())
            }
        });
        assert!(r.is_ok());
        assert_eq!(calls, 3);
        assert_eq!(
            blocked,
            [true, true, true],
            "signals blocked during each try"
        );
        assert_eq!(
            blocked_now(libc::SIGUSR2),
            before,
            "the mask is back afterwards"
        );
    }

    #[test]
    fn retries_are_bounded_and_other_errors_are_not_retried() {
        let mut calls = 0;
        let r = load_retrying(|| {
            calls += 1;
            Err(libc::EAGAIN)
        });
        assert_eq!(calls, LOAD_TRIES);
        assert_eq!(r.unwrap_err().errno(), libc::EAGAIN);
        let mut calls = 0;
        let r = load_retrying(|| {
            calls += 1;
            Err(libc::EPERM)
        });
        assert_eq!(calls, 1, "EPERM is an answer, not a signal");
        assert_eq!(
            r.unwrap_err().to_string(),
            "load the device BPF program: Operation not permitted (os error 1)"
        );
    }

    #[test]
    fn no_rules_deny_everything() {
        let p = program(&[]);
        assert_eq!(evaluate(&p, DEV_CHAR, ACC_READ, 1, 3), 0);
    }
}
