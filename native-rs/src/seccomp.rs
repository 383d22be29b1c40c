//! A resolved seccomp profile -> a classic BPF program, compiled in the parent before
//! clone (the child only hands the finished program to the kernel).
//!
//! TypeScript resolves a Docker-format profile for this container (its arch, its
//! capabilities, the kernel version) into a plain rule list; this module knows nothing
//! of Docker's `includes`/`excludes` and nothing of N-API.
//!
//! Semantics: for a syscall, the first rule (in profile order) whose argument
//! comparisons all hold decides the action; a syscall no rule matches gets the default
//! action. Names the arch does not have are skipped, as Docker does. Comparisons are
//! 64-bit, as libseccomp makes them on 64-bit arches.
//!
//! Why not `seccompiler::SeccompFilter`: it has one match action per filter, and a
//! Docker profile mixes them (allow, EPERM by default, ENOSYS for clone3). Stacking one
//! filter per action would make the kernel pick the most restrictive result, not the
//! matching rule's. So this module lays out the program itself (arch check, a binary
//! search over the syscall numbers, one block per syscall with conditional rules) and
//! takes from seccompiler the BPF of each rule's argument comparisons, the part where
//! 64-bit compares are built from 32-bit cBPF loads.
//!
//! Layout:
//! ```text
//!   ld arch; jeq AUDIT_ARCH ? +1 : kill-process
//!   ld nr;   (x86_64) jge X32_SYSCALL_BIT ? kill-process      <- no x32 bypass
//!   a binary search over runs of numbers with one outcome (an allowlist has long
//!   runs): jge pivot ? (ret | ja right) : left...; leaves: ret action | ja block
//!   blocks: per rule [seccompiler's compare chain; ret action] ...; ret default
//! ```

use std::collections::BTreeMap;
use std::str::FromStr;

use seccompiler::{
    sock_filter, BpfProgram, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompRule,
};

/// The kernel's limit on a classic BPF program (BPF_MAXINSNS).
pub const MAX_INSNS: usize = 4096;

const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
const AUDIT_ARCH_AARCH64: u32 = 0xc000_00b7;
const X32_SYSCALL_BIT: u32 = 0x4000_0000;

const SECCOMP_RET_KILL_PROCESS: u32 = 0x8000_0000;
const SECCOMP_RET_KILL_THREAD: u32 = 0x0000_0000;
const SECCOMP_RET_TRAP: u32 = 0x0003_0000;
const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
const SECCOMP_RET_TRACE: u32 = 0x7ff0_0000;
const SECCOMP_RET_LOG: u32 = 0x7ffc_0000;
const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
const SECCOMP_RET_DATA: u32 = 0x0000_ffff;

// cBPF opcodes (linux/bpf_common.h).
/// ld | w | abs
const BPF_LD_W_ABS: u16 = 0x20;
const BPF_JMP_JA: u16 = 0x05;
const BPF_JMP_JEQ_K: u16 = 0x05 | 0x10;
const BPF_JMP_JGE_K: u16 = 0x05 | 0x30;
const BPF_RET_K: u16 = 0x06;
const SECCOMP_DATA_NR: u32 = 0;
const SECCOMP_DATA_ARCH: u32 = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Aarch64,
}

impl Arch {
    pub fn parse(name: &str) -> Option<Arch> {
        match name {
            "x86_64" => Some(Arch::X86_64),
            "aarch64" => Some(Arch::Aarch64),
            _ => None,
        }
    }

    /// The arch this code runs on.
    pub fn native() -> Option<Arch> {
        Arch::parse(std::env::consts::ARCH)
    }

    fn audit(self) -> u32 {
        match self {
            Arch::X86_64 => AUDIT_ARCH_X86_64,
            Arch::Aarch64 => AUDIT_ARCH_AARCH64,
        }
    }

    /// The syscall's number on this arch, or None when the arch has no such syscall.
    /// Names are the kernel's (and libseccomp's, which profiles use).
    pub fn syscall_number(self, name: &str) -> Option<u32> {
        // The syscalls crate spells aarch64's 79 by its generic slot, `fstatat`; the
        // kernel names it `newfstatat` on every 64-bit arch. Without this, a profile's
        // newfstatat is skipped and stat(2) gets the default action.
        let name = match (self, name) {
            (Arch::Aarch64, "newfstatat") => "fstatat",
            _ => name,
        };
        match self {
            Arch::X86_64 => syscalls::x86_64::Sysno::from_str(name)
                .ok()
                .map(|s| s.id() as u32),
            Arch::Aarch64 => syscalls::aarch64::Sysno::from_str(name)
                .ok()
                .map(|s| s.id() as u32),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Allow,
    Errno(u16),
    KillThread,
    KillProcess,
    Trap,
    Trace(u16),
    Log,
}

impl Action {
    pub fn ret(self) -> u32 {
        match self {
            Action::Allow => SECCOMP_RET_ALLOW,
            Action::Errno(e) => SECCOMP_RET_ERRNO | (e as u32 & SECCOMP_RET_DATA),
            Action::KillThread => SECCOMP_RET_KILL_THREAD,
            Action::KillProcess => SECCOMP_RET_KILL_PROCESS,
            Action::Trap => SECCOMP_RET_TRAP,
            Action::Trace(m) => SECCOMP_RET_TRACE | (m as u32 & SECCOMP_RET_DATA),
            Action::Log => SECCOMP_RET_LOG,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// (arg & mask) == value
    MaskedEq {
        mask: u64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArgCmp {
    /// 0..=5
    pub index: u8,
    pub op: Op,
    pub value: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub names: Vec<String>,
    pub action: Action,
    /// All must hold (AND); empty: the syscall matches whatever its arguments.
    pub args: Vec<ArgCmp>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub arch: Arch,
    pub default_action: Action,
    pub rules: Vec<Rule>,
}

#[derive(Debug)]
pub struct Compiled {
    pub program: BpfProgram,
    /// Names of the profile that this arch does not have (skipped).
    pub skipped: Vec<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum CompileError {
    TooLarge(usize),
    BadArgument(String),
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            CompileError::TooLarge(n) => write!(
                f,
                "the seccomp filter needs {n} BPF instructions; the kernel takes at most {MAX_INSNS}"
            ),
            CompileError::BadArgument(m) => write!(f, "seccomp rule: {m}"),
        }
    }
}

fn stmt(code: u16, k: u32) -> sock_filter {
    sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> sock_filter {
    sock_filter { code, jt, jf, k }
}

/// What one syscall does: a plain action, or a block of conditional rules.
#[derive(Debug)]
enum Entry {
    Action(Action),
    Block(Vec<(Vec<ArgCmp>, Action)>),
}

/// Instructions before their long jumps are resolved.
enum Insn {
    Plain(sock_filter),
    /// `ja` to the start of block n.
    ToBlock(usize),
    /// `ja` to label n (a subtree of the search).
    ToLabel(usize),
    Label(usize),
}

fn condition(c: &ArgCmp) -> Result<SeccompCondition, CompileError> {
    let op = match c.op {
        Op::Eq => SeccompCmpOp::Eq,
        Op::Ne => SeccompCmpOp::Ne,
        Op::Lt => SeccompCmpOp::Lt,
        Op::Le => SeccompCmpOp::Le,
        Op::Gt => SeccompCmpOp::Gt,
        Op::Ge => SeccompCmpOp::Ge,
        Op::MaskedEq { mask } => {
            if c.value & !mask != 0 {
                return Err(CompileError::BadArgument(format!(
                    "masked_eq value {:#x} has bits outside the mask {mask:#x}",
                    c.value
                )));
            }
            SeccompCmpOp::MaskedEq(mask)
        }
    };
    SeccompCondition::new(c.index, SeccompCmpArgLen::Qword, op, c.value)
        .map_err(|e| CompileError::BadArgument(e.to_string()))
}

/// Each syscall's entry: the rules naming it, in profile order, cut after the first
/// rule without conditions (nothing after it can match).
fn entries(profile: &Profile) -> (BTreeMap<u32, Entry>, Vec<String>) {
    let mut rules: BTreeMap<u32, Vec<(Vec<ArgCmp>, Action)>> = BTreeMap::new();
    let mut skipped = Vec::new();
    for rule in &profile.rules {
        for name in &rule.names {
            match profile.arch.syscall_number(name) {
                Some(nr) => rules
                    .entry(nr)
                    .or_default()
                    .push((rule.args.clone(), rule.action)),
                None => {
                    if !skipped.contains(name) {
                        skipped.push(name.clone())
                    }
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    for (nr, mut list) in rules {
        if let Some(i) = list.iter().position(|(args, _)| args.is_empty()) {
            list.truncate(i + 1);
        }
        let entry = match list.as_slice() {
            [(args, action)] if args.is_empty() => {
                if *action == profile.default_action {
                    continue; // the same as no rule
                }
                Entry::Action(*action)
            }
            _ => Entry::Block(list),
        };
        out.insert(nr, entry);
    }
    (out, skipped)
}

pub fn compile(profile: &Profile) -> Result<Compiled, CompileError> {
    let (entries, skipped) = entries(profile);
    let default = profile.default_action.ret();
    let kill = Action::KillProcess.ret();
    let mut code: Vec<Insn> = vec![
        Insn::Plain(stmt(BPF_LD_W_ABS, SECCOMP_DATA_ARCH)),
        Insn::Plain(jump(BPF_JMP_JEQ_K, profile.arch.audit(), 1, 0)),
        Insn::Plain(stmt(BPF_RET_K, kill)),
        Insn::Plain(stmt(BPF_LD_W_ABS, SECCOMP_DATA_NR)),
    ];
    if profile.arch == Arch::X86_64 {
        // x32 syscalls carry the x86_64 audit arch with this bit set in the number; the
        // rules name x86_64 numbers only, so a default of allow would let them through.
        code.push(Insn::Plain(jump(BPF_JMP_JGE_K, X32_SYSCALL_BIT, 0, 1)));
        code.push(Insn::Plain(stmt(BPF_RET_K, kill)));
    }

    let segs = segments(&entries, default);
    let mut blocks: Vec<&Vec<(Vec<ArgCmp>, Action)>> = Vec::new();
    let mut labels = 0usize;
    search(&segs, &mut code, &mut blocks, &mut labels);

    // The blocks: each rule is seccompiler's compare chain (which jumps past the rule
    // when a comparison fails) followed by the rule's action; then the default.
    let mut block_starts = Vec::with_capacity(blocks.len());
    let mut block_code: Vec<sock_filter> = Vec::new();
    for rules in &blocks {
        block_starts.push(block_code.len());
        for (args, action) in rules.iter() {
            if args.is_empty() {
                block_code.push(stmt(BPF_RET_K, action.ret()));
                break;
            }
            let conditions = args.iter().map(condition).collect::<Result<Vec<_>, _>>()?;
            let rule = SeccompRule::new(conditions)
                .map_err(|e| CompileError::BadArgument(e.to_string()))?;
            let bpf: BpfProgram = rule.into();
            // seccompiler starts a rule with `ja +1; ja <out of the syscall's chain>`
            // for its own dispatch; blocks are entered at the comparisons, and the
            // second jump would point past the program after the last block.
            match bpf.get(..2) {
                Some([a, b]) if a.code == BPF_JMP_JA && a.k == 1 && b.code == BPF_JMP_JA => {}
                _ => {
                    return Err(CompileError::BadArgument(
                        "unexpected rule layout from seccompiler".into(),
                    ))
                }
            }
            block_code.extend(bpf.into_iter().skip(2));
            block_code.push(stmt(BPF_RET_K, action.ret()));
        }
        block_code.push(stmt(BPF_RET_K, default));
    }

    // Resolve the long jumps: label positions first, then offsets.
    let mut pos = 0usize;
    let mut label_pos = vec![0usize; labels];
    for insn in &code {
        match insn {
            Insn::Label(l) => label_pos[*l] = pos,
            _ => pos += 1,
        }
    }
    let blocks_at = pos;
    let total = blocks_at + block_code.len();
    if total > MAX_INSNS {
        return Err(CompileError::TooLarge(total));
    }
    let mut program = Vec::with_capacity(total);
    for insn in code {
        let here = program.len();
        match insn {
            Insn::Plain(i) => program.push(i),
            Insn::ToBlock(b) => program.push(stmt(
                BPF_JMP_JA,
                (blocks_at + block_starts[b] - here - 1) as u32,
            )),
            Insn::ToLabel(l) => program.push(stmt(BPF_JMP_JA, (label_pos[l] - here - 1) as u32)),
            Insn::Label(_) => {}
        }
    }
    program.extend(block_code);
    check_jumps(&program)?;
    Ok(Compiled { program, skipped })
}

/// A compiled program as plain numbers, two per instruction (code | jt << 16 | jf << 24,
/// then k): how lite's compiled-plan cache keeps it, so that a cached start skips the compile.
pub fn to_words(program: &[sock_filter]) -> Vec<u32> {
    program
        .iter()
        .flat_map(|i| {
            [
                i.code as u32 | (i.jt as u32) << 16 | (i.jf as u32) << 24,
                i.k,
            ]
        })
        .collect()
}

/// `to_words` undone, with the shape checked again (the words come from a file): a whole
/// number of instructions, no more than the kernel takes, jumps that land inside, a return last.
pub fn from_words(words: &[u32]) -> Result<Vec<sock_filter>, CompileError> {
    if words.is_empty() || !words.len().is_multiple_of(2) || words.len() / 2 > MAX_INSNS {
        return Err(CompileError::BadArgument(format!(
            "a compiled filter of {} words is not 1 to {MAX_INSNS} instructions",
            words.len()
        )));
    }
    let program: Vec<sock_filter> = words
        .chunks_exact(2)
        .map(|w| sock_filter {
            code: (w[0] & 0xffff) as u16,
            jt: (w[0] >> 16) as u8,
            jf: (w[0] >> 24) as u8,
            k: w[1],
        })
        .collect();
    check_jumps(&program)?;
    Ok(program)
}

/// The kernel's structural checks (bpf_check_classic): every jump lands inside the
/// program, and it ends with a return.
fn check_jumps(program: &[sock_filter]) -> Result<(), CompileError> {
    let n = program.len();
    for (pc, i) in program.iter().enumerate() {
        if i.code & 0x07 != 0x05 {
            continue;
        }
        let ok = if i.code == BPF_JMP_JA {
            pc + 1 + (i.k as usize) < n
        } else {
            pc + 1 + (i.jt.max(i.jf) as usize) < n
        };
        if !ok {
            return Err(CompileError::BadArgument(format!(
                "internal error: the jump at {pc} leaves the program"
            )));
        }
    }
    match program.last() {
        Some(last) if last.code == BPF_RET_K => Ok(()),
        _ => Err(CompileError::BadArgument(
            "internal error: the program does not end with a return".into(),
        )),
    }
}

/// What a run of syscall numbers gets: a return value, or a block of conditional rules.
enum Outcome<'a> {
    Ret(u32),
    Block(&'a Vec<(Vec<ArgCmp>, Action)>),
}

/// The numbers from `lo` up to the next segment's `lo` (the last one: up to u32::MAX).
struct Segment<'a> {
    lo: u32,
    what: Outcome<'a>,
}

/// The number line cut into runs with one outcome each: consecutive numbers with the
/// same plain action (an allowlist has long runs), the gaps between the listed numbers
/// (the default), and one segment per syscall with conditional rules.
fn segments(entries: &BTreeMap<u32, Entry>, default: u32) -> Vec<Segment<'_>> {
    fn push_ret(out: &mut Vec<Segment>, lo: u32, ret: u32) {
        if let Some(Segment {
            what: Outcome::Ret(r),
            ..
        }) = out.last()
        {
            if *r == ret {
                return;
            }
        }
        out.push(Segment {
            lo,
            what: Outcome::Ret(ret),
        });
    }
    let mut out = Vec::new();
    let mut next = 0u32;
    for (&nr, entry) in entries {
        if nr > next {
            push_ret(&mut out, next, default);
        }
        match entry {
            Entry::Action(a) => push_ret(&mut out, nr, a.ret()),
            Entry::Block(rules) => out.push(Segment {
                lo: nr,
                what: Outcome::Block(rules),
            }),
        }
        next = nr.saturating_add(1);
    }
    push_ret(&mut out, next, default);
    out
}

fn outcome<'a>(
    what: &Outcome<'a>,
    code: &mut Vec<Insn>,
    blocks: &mut Vec<&'a Vec<(Vec<ArgCmp>, Action)>>,
) {
    match what {
        Outcome::Ret(r) => code.push(Insn::Plain(stmt(BPF_RET_K, *r))),
        Outcome::Block(rules) => {
            code.push(Insn::ToBlock(blocks.len()));
            blocks.push(rules);
        }
    }
}

/// A binary search over the segments. An inner node is `jge pivot ? next : skip`,
/// where next is the right half's single outcome or a `ja` to the right half, and the
/// left half follows inline.
fn search<'a>(
    segs: &[Segment<'a>],
    code: &mut Vec<Insn>,
    blocks: &mut Vec<&'a Vec<(Vec<ArgCmp>, Action)>>,
    labels: &mut usize,
) {
    if segs.len() == 1 {
        outcome(&segs[0].what, code, blocks);
        return;
    }
    let mid = if segs.len() == 2 { 1 } else { segs.len() / 2 };
    code.push(Insn::Plain(jump(BPF_JMP_JGE_K, segs[mid].lo, 0, 1)));
    if segs.len() - mid == 1 {
        outcome(&segs[mid].what, code, blocks);
        search(&segs[..mid], code, blocks, labels);
        return;
    }
    let right = *labels;
    *labels += 1;
    code.push(Insn::ToLabel(right));
    search(&segs[..mid], code, blocks, labels);
    code.push(Insn::Label(right));
    search(&segs[mid..], code, blocks, labels);
}

/// Runs a program the way the kernel would, for tests: the return value for a syscall.
#[cfg(test)]
pub fn evaluate(program: &[sock_filter], arch: u32, nr: u32, args: [u64; 6]) -> u32 {
    let mut data = [0u8; 64];
    data[0..4].copy_from_slice(&nr.to_ne_bytes());
    data[4..8].copy_from_slice(&arch.to_ne_bytes());
    for (i, a) in args.iter().enumerate() {
        data[16 + i * 8..24 + i * 8].copy_from_slice(&a.to_ne_bytes());
    }
    let word =
        |off: u32| u32::from_ne_bytes(data[off as usize..off as usize + 4].try_into().unwrap());
    let mut acc = 0u32;
    let mut pc = 0usize;
    for _ in 0..100_000 {
        let i = &program[pc];
        let class = i.code & 0x07;
        match class {
            0x00 => acc = word(i.k),                     // ld w abs
            0x04 if i.code & 0xf0 == 0x50 => acc &= i.k, // alu and k
            0x06 => return i.k,                          // ret k
            0x05 => {
                let op = i.code & 0xf0;
                if op == 0x00 {
                    pc += i.k as usize;
                } else {
                    let taken = match op {
                        0x10 => acc == i.k,
                        0x20 => acc > i.k,
                        0x30 => acc >= i.k,
                        0x40 => acc & i.k != 0,
                        _ => panic!("opcode {:#x}", i.code),
                    };
                    pc += if taken { i.jt } else { i.jf } as usize;
                }
            }
            _ => panic!("opcode {:#x}", i.code),
        }
        pc += 1;
    }
    panic!("the program loops")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(names: &[&str], action: Action, args: Vec<ArgCmp>) -> Rule {
        Rule {
            names: names.iter().map(|s| s.to_string()).collect(),
            action,
            args,
        }
    }

    fn eperm() -> Action {
        Action::Errno(libc::EPERM as u16)
    }

    fn nr(arch: Arch, name: &str) -> u32 {
        arch.syscall_number(name).unwrap()
    }

    #[test]
    fn names_resolve_per_arch_and_unknown_ones_are_skipped() {
        assert_eq!(Arch::X86_64.syscall_number("read"), Some(0));
        assert_eq!(Arch::Aarch64.syscall_number("read"), Some(63));
        assert_eq!(Arch::X86_64.syscall_number("clone3"), Some(435));
        assert_eq!(Arch::Aarch64.syscall_number("open"), None);
        // The kernel's name, as Docker's profile spells it.
        assert_eq!(Arch::Aarch64.syscall_number("newfstatat"), Some(79));
        assert_eq!(Arch::X86_64.syscall_number("newfstatat"), Some(262));
        let p = Profile {
            arch: Arch::Aarch64,
            default_action: eperm(),
            rules: vec![rule(&["open", "openat", "_llseek"], Action::Allow, vec![])],
        };
        let c = compile(&p).unwrap();
        assert_eq!(c.skipped, vec!["open", "_llseek"]);
    }

    #[test]
    fn first_matching_rule_wins_then_the_default() {
        for arch in [Arch::X86_64, Arch::Aarch64] {
            let eq = |v| ArgCmp {
                index: 0,
                op: Op::Eq,
                value: v,
            };
            let mut names: Vec<String> = Vec::new();
            // Enough syscalls for a deep search tree and long jumps.
            for n in 0..300u32 {
                if let Some(s) = match arch {
                    Arch::X86_64 => syscalls::x86_64::Sysno::new(n as usize).map(|s| s.name()),
                    Arch::Aarch64 => syscalls::aarch64::Sysno::new(n as usize).map(|s| s.name()),
                } {
                    if !["personality", "clone3", "keyctl", "clone"].contains(&s) {
                        names.push(s.to_string());
                    }
                }
            }
            let names_ref: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
            let p = Profile {
                arch,
                default_action: eperm(),
                rules: vec![
                    rule(&names_ref, Action::Allow, vec![]),
                    rule(&["personality"], Action::Allow, vec![eq(0)]),
                    rule(&["personality"], Action::Allow, vec![eq(0xffff_ffff)]),
                    rule(&["personality"], Action::Errno(22), vec![eq(8)]),
                    rule(&["clone3"], Action::Errno(libc::ENOSYS as u16), vec![]),
                    rule(
                        &["clone"],
                        Action::Allow,
                        vec![ArgCmp {
                            index: 0,
                            op: Op::MaskedEq { mask: 0x7e02_0000 },
                            value: 0,
                        }],
                    ),
                ],
            };
            let c = compile(&p).unwrap();
            let run = |name: &str, a0: u64| {
                evaluate(
                    &c.program,
                    arch.audit(),
                    nr(arch, name),
                    [a0, 0, 0, 0, 0, 0],
                )
            };
            let allow = Action::Allow.ret();
            let deny = eperm().ret();
            assert_eq!(run("read", 0), allow);
            assert_eq!(run("write", 0), allow);
            assert_eq!(run("keyctl", 0), deny, "not in the list");
            assert_eq!(run("personality", 0), allow);
            assert_eq!(run("personality", 0xffff_ffff), allow);
            assert_eq!(run("personality", 0x1_ffff_ffff), deny, "64-bit compare");
            assert_eq!(run("personality", 8), Action::Errno(22).ret());
            assert_eq!(run("personality", 0x40000), deny);
            assert_eq!(run("clone3", 0), Action::Errno(libc::ENOSYS as u16).ret());
            assert_eq!(run("clone", libc::SIGCHLD as u64), allow, "a plain fork");
            assert_eq!(run("clone", libc::CLONE_NEWUSER as u64), deny);
            // Every allowed number, including the last ones of the tree.
            for name in &names {
                assert_eq!(run(name, 0), allow, "{name}");
            }
            // Other arches are killed; so are x32 numbers on x86_64.
            assert_eq!(
                evaluate(&c.program, 0x4000_0003, 0, [0; 6]),
                SECCOMP_RET_KILL_PROCESS
            );
            if arch == Arch::X86_64 {
                assert_eq!(
                    evaluate(&c.program, arch.audit(), X32_SYSCALL_BIT | 1, [0; 6]),
                    SECCOMP_RET_KILL_PROCESS
                );
            }
        }
    }

    #[test]
    fn a_default_of_allow_with_a_deny_list() {
        let p = Profile {
            arch: Arch::X86_64,
            default_action: Action::Allow,
            rules: vec![
                rule(&["mount", "umount2"], Action::Errno(1), vec![]),
                rule(&["read"], Action::Allow, vec![]),
                rule(&["kill"], Action::KillProcess, vec![]),
            ],
        };
        let c = compile(&p).unwrap();
        let run = |name: &str| {
            evaluate(
                &c.program,
                AUDIT_ARCH_X86_64,
                nr(Arch::X86_64, name),
                [0; 6],
            )
        };
        assert_eq!(run("mount"), Action::Errno(1).ret());
        assert_eq!(run("read"), Action::Allow.ret());
        assert_eq!(run("getpid"), Action::Allow.ret());
        assert_eq!(run("kill"), SECCOMP_RET_KILL_PROCESS);
    }

    #[test]
    fn rejects_what_the_kernel_would() {
        let p = Profile {
            arch: Arch::X86_64,
            default_action: eperm(),
            rules: vec![rule(
                &["clone"],
                Action::Allow,
                vec![ArgCmp {
                    index: 0,
                    op: Op::MaskedEq { mask: 0xff },
                    value: 0x100,
                }],
            )],
        };
        assert!(matches!(compile(&p), Err(CompileError::BadArgument(_))));
        let p = Profile {
            arch: Arch::X86_64,
            default_action: eperm(),
            rules: vec![rule(
                &["clone"],
                Action::Allow,
                vec![ArgCmp {
                    index: 6,
                    op: Op::Eq,
                    value: 0,
                }],
            )],
        };
        assert!(matches!(compile(&p), Err(CompileError::BadArgument(_))));
        // Too many conditional rules for one program.
        let many: Vec<Rule> = (0..1000)
            .map(|v| {
                rule(
                    &["personality"],
                    Action::Allow,
                    vec![ArgCmp {
                        index: 0,
                        op: Op::Eq,
                        value: v,
                    }],
                )
            })
            .collect();
        let p = Profile {
            arch: Arch::X86_64,
            default_action: eperm(),
            rules: many,
        };
        assert!(matches!(compile(&p), Err(CompileError::TooLarge(_))));
    }
}
