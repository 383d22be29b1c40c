//! The default profile (the build's compact form of Docker's) compiled for both arches,
//! and a compiled filter installed for real in a forked process (no root needed: with
//! no_new_privs any process may install one).

use std::path::PathBuf;

use serde_json::Value;

use crate::plan::{seccomp_profile, SeccompArgSpec, SeccompRuleSpec, SeccompSpec};
use crate::seccomp::{compile, evaluate, Action, Arch};
use crate::sys::{LinuxSys, Sys};

const DEFAULT_CAPS: [&str; 14] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "FSETID",
    "FOWNER",
    "MKNOD",
    "NET_RAW",
    "SETGID",
    "SETUID",
    "SETFCAP",
    "SETPCAP",
    "NET_BIND_SERVICE",
    "SYS_CHROOT",
    "KILL",
    "AUDIT_WRITE",
];

fn default_profile() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../build/seccomp/default.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (scripts/seccomp, run by scripts/build, makes it)",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("the compact profile is JSON")
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

/// The same resolution as runtime/seccomp/profile.ts (for a 6.x kernel).
fn resolve(profile: &Value, docker_arch: &str, native: &str, caps: &[&str]) -> SeccompSpec {
    let has = |c: &String| caps.contains(&c.as_str());
    let mut rules = Vec::new();
    for r in profile["rules"].as_array().unwrap() {
        let inc = &r["includes"];
        let exc = &r["excludes"];
        if !strs(&inc["caps"]).iter().all(has) {
            continue;
        }
        let arches = strs(&inc["arches"]);
        if !arches.is_empty() && !arches.iter().any(|a| a == docker_arch) {
            continue;
        }
        if strs(&exc["caps"]).iter().any(has)
            || strs(&exc["arches"]).iter().any(|a| a == docker_arch)
        {
            continue;
        }
        rules.push(SeccompRuleSpec {
            names: strs(&r["names"]),
            action: r["action"].as_str().unwrap().into(),
            errno_ret: r["errnoRet"].as_u64().map(|v| v as u32),
            args: r["args"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| SeccompArgSpec {
                            index: x["index"].as_u64().unwrap() as u32,
                            op: x["op"].as_str().unwrap().into(),
                            value: x["value"].as_str().unwrap().into(),
                            value_two: x["valueTwo"].as_str().map(|s| s.into()),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    SeccompSpec {
        arch: native.into(),
        default_action: profile["defaultAction"].as_str().unwrap().into(),
        default_errno_ret: profile["defaultErrnoRet"].as_u64().map(|v| v as u32),
        rules,
    }
}

fn eperm() -> u32 {
    Action::Errno(libc::EPERM as u16).ret()
}

#[test]
fn the_default_profile_compiles_for_both_arches() {
    let profile = default_profile();
    for (arch, docker, native, audit) in [
        (Arch::X86_64, "amd64", "x86_64", 0xc000_003eu32),
        (Arch::Aarch64, "arm64", "aarch64", 0xc000_00b7u32),
    ] {
        let spec = resolve(&profile, docker, native, &DEFAULT_CAPS);
        let compiled = compile(&seccomp_profile(&spec, arch).unwrap()).unwrap();
        // Runs of allowed numbers keep it small (~200 instructions): the program is
        // charged to the container's memory cgroup, and each syscall walks ~8 nodes.
        assert!(
            compiled.program.len() < 400,
            "{native}: {} insns",
            compiled.program.len()
        );
        let nr = |name: &str| {
            arch.syscall_number(name)
                .unwrap_or_else(|| panic!("{name} on {native}"))
        };
        let run = |name: &str, args: [u64; 6]| evaluate(&compiled.program, audit, nr(name), args);
        let allow = Action::Allow.ret();
        assert_eq!(run("read", [0; 6]), allow, "{native}");
        assert_eq!(run("execve", [0; 6]), allow);
        // stat(2) is newfstatat on both arches (a name the syscalls crate spells
        // otherwise on aarch64); a missed alias fails every stat with EPERM.
        for name in ["newfstatat", "fstat", "statx", "faccessat"] {
            assert_eq!(run(name, [0; 6]), allow, "{name} on {native}");
        }
        assert_eq!(run("keyctl", [0; 6]), eperm());
        assert_eq!(run("add_key", [0; 6]), eperm());
        assert_eq!(
            run("unshare", [libc::CLONE_NEWUSER as u64, 0, 0, 0, 0, 0]),
            eperm()
        );
        assert_eq!(run("mount", [0; 6]), eperm());
        assert_eq!(run("reboot", [0; 6]), eperm(), "no CAP_SYS_BOOT");
        assert_eq!(run("ptrace", [0; 6]), allow, "minKernel 4.8");
        assert_eq!(run("personality", [0xffff_ffff, 0, 0, 0, 0, 0]), allow);
        assert_eq!(run("personality", [0x0040000, 0, 0, 0, 0, 0]), eperm());
        assert_eq!(run("clone", [libc::SIGCHLD as u64, 0, 0, 0, 0, 0]), allow);
        assert_eq!(
            run(
                "clone",
                [(libc::CLONE_NEWNS | libc::SIGCHLD) as u64, 0, 0, 0, 0, 0]
            ),
            eperm()
        );
        assert_eq!(
            run("clone3", [0; 6]),
            Action::Errno(libc::ENOSYS as u16).ret()
        );
        assert_eq!(run("chroot", [0; 6]), allow, "SYS_CHROOT is a default cap");

        // With CAP_SYS_ADMIN the namespace rules open up.
        let mut admin = DEFAULT_CAPS.to_vec();
        admin.push("SYS_ADMIN");
        let spec = resolve(&profile, docker, native, &admin);
        let compiled = compile(&seccomp_profile(&spec, arch).unwrap()).unwrap();
        let run =
            |name: &str, a0: u64| evaluate(&compiled.program, audit, nr(name), [a0, 0, 0, 0, 0, 0]);
        assert_eq!(run("unshare", libc::CLONE_NEWUSER as u64), allow);
        assert_eq!(run("mount", 0), allow);
        assert_eq!(run("clone3", 0), allow);
        assert_eq!(run("keyctl", 0), eperm(), "keyctl stays refused");
    }
}

#[test]
fn an_installed_filter_refuses_keyctl_and_allows_the_rest() {
    let arch = Arch::native().expect("x86_64 or aarch64");
    let (docker, native) = match arch {
        Arch::X86_64 => ("amd64", "x86_64"),
        Arch::Aarch64 => ("arm64", "aarch64"),
    };
    let spec = resolve(&default_profile(), docker, native, &DEFAULT_CAPS);
    let program = compile(&seccomp_profile(&spec, arch).unwrap())
        .unwrap()
        .program;
    // A single-threaded copy of the test process: raw syscalls and _exit only.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let code = unsafe {
            let sys = LinuxSys;
            let errno = || *libc::__errno_location();
            if sys.prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0).is_err() {
                libc::_exit(10);
            }
            if sys.seccomp_filter(&program).is_err() {
                libc::_exit(11);
            }
            // keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0)
            let r = libc::syscall(libc::SYS_keyctl, 0, -3i64, 0);
            if r != -1 || errno() != libc::EPERM {
                libc::_exit(12);
            }
            let r = libc::syscall(libc::SYS_personality, 0x0040000u64);
            if r != -1 || errno() != libc::EPERM {
                libc::_exit(13);
            }
            if libc::syscall(libc::SYS_getpid) <= 0 {
                libc::_exit(14);
            }
            if libc::syscall(libc::SYS_personality, 0xffff_ffffu64) < 0 {
                libc::_exit(15);
            }
            0
        };
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status), "status {status:#x}");
    assert_eq!(
        libc::WEXITSTATUS(status),
        0,
        "10: nnp, 11: install, 12: keyctl not EPERM, 13: personality, 14: getpid, 15: query"
    );
}

#[test]
fn a_compiled_filter_survives_its_words_and_prepare_uses_them() {
    use crate::plan::{prepare, tests::sample_plan};
    use crate::seccomp::{from_words, to_words};
    let spec = resolve(&default_profile(), "amd64", "x86_64", &DEFAULT_CAPS);
    let program = compile(&seccomp_profile(&spec, Arch::X86_64).unwrap())
        .unwrap()
        .program;
    let words = to_words(&program);
    assert_eq!(words.len(), program.len() * 2);
    let back = from_words(&words).unwrap();
    assert_eq!(back.len(), program.len());
    for (a, b) in program.iter().zip(&back) {
        assert_eq!((a.code, a.jt, a.jf, a.k), (b.code, b.jt, b.jf, b.k));
    }

    // prepare takes the words as they are, and prefers them to the rules.
    let mut plan = sample_plan();
    plan.seccomp = Some(SeccompSpec {
        arch: "no-such-arch".into(),
        ..Default::default()
    });
    plan.seccomp_filter = Some(words.clone());
    let prepared = prepare(&plan, 40).unwrap();
    assert_eq!(prepared.seccomp.unwrap().len(), program.len());

    // A damaged filter is an error, never installed as it is.
    let bad = |w: Vec<u32>| {
        let mut plan = sample_plan();
        plan.seccomp_filter = Some(w);
        prepare(&plan, 40).map(|_| ()).unwrap_err().to_string()
    };
    assert!(bad(vec![]).contains("0 words"));
    assert!(bad(words[..words.len() - 1].to_vec()).contains("words"));
    assert!(bad(vec![0; 2 * 4097]).contains("words"));
    // the last instruction no longer a return
    assert!(
        bad(words[..words.len() - 2].to_vec()).contains("return")
            || bad(words[..words.len() - 2].to_vec()).contains("jump")
    );
    // a jump sent past the end
    let mut far = words.clone();
    let jump = program
        .iter()
        .position(|i| i.code & 0x07 == 0x05 && i.code != 0x05)
        .unwrap();
    far[jump * 2] |= 0xff << 16;
    assert!(bad(far).contains("leaves the program"));
}
