//! The child's set-up sequence against the recording fake: order, failure reports,
//! and the fallbacks for older kernels.

use crate::child::{run, ChildFds, Outcome};
use crate::fake::{pos_prefix, RecordingSys};
use crate::plan::{prepare, tests::sample_plan, FsOp, Plan, SeccompRuleSpec, SeccompSpec};
use crate::report::{ChildReport, Step};

const FDS: ChildFds = ChildFds {
    sock: 3,
    devnull: 4,
    in_cgroup: false,
    progress: std::ptr::null_mut(),
};

fn prepared(plan: &Plan) -> crate::plan::Prepared {
    prepare(plan, 40).expect("plan")
}

/// The calls with the per-signal noise and fd numbers kept, as one string per call.
fn run_names(plan: &Plan, sys: &RecordingSys) -> (Outcome, Vec<String>) {
    run_names_prepared(&prepared(plan), sys)
}

fn run_names_prepared(p: &crate::plan::Prepared, sys: &RecordingSys) -> (Outcome, Vec<String>) {
    let out = run(p, sys, FDS);
    (out, sys.names())
}

#[test]
fn runs_the_design_order() {
    let sys = RecordingSys::default();
    let (out, names) = run_names(&sample_plan(), &sys);
    assert_eq!(out, Outcome::Exec);
    let first = |n: &str| {
        names
            .iter()
            .position(|x| x == n)
            .unwrap_or_else(|| panic!("no {n} in {names:?}"))
    };
    let order = [
        "read",    // GO
        "unshare", // cgroup ns, after the parent attached the cgroups
        "mount",   // MS_PRIVATE on /
        "mkdir",   // ops
        "socket",  // lo up
        "pivot_root",
        "umount2",
        "sethostname",
        "setgroups",
        "setresgid",
        "setresuid",
        "capset",
        "setsid",
        "dup3", // /dev/null on 0
        "reset_signals",
        "unblock_all_signals",
        "close_range",
        "fchdir",
        "getcwd",
        "setrlimit",
        "execve",
    ];
    let positions: Vec<usize> = order.iter().map(|n| first(n)).collect();
    let mut sorted = positions.clone();
    sorted.sort();
    assert_eq!(positions, sorted, "calls out of order: {:#?}", sys.calls());
}

#[test]
fn mounts_come_in_plan_order_with_their_arguments() {
    let sys = RecordingSys::default();
    let p = prepared(&sample_plan());
    run(&p, &sys, FDS);
    let mounts: Vec<String> = sys
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("mount "))
        .collect();
    assert_eq!(
        mounts,
        vec![
            format!("mount - / - {:#x} -", libc::MS_REC | libc::MS_PRIVATE),
            "mount tmpfs /run/lite/t/layers tmpfs 0x0 size=16m".to_string(),
            format!("mount /data /run/lite/t/root/data - {:#x} -", libc::MS_BIND),
        ]
    );
    // create=dir made the bind target and its parents after an O_PATH probe failed? The
    // fake's open succeeds, so the target counts as existing and nothing is created.
    assert!(!sys
        .calls()
        .iter()
        .any(|c| c == "mkdir /run/lite/t/root/data 755"));
}

#[test]
fn create_dir_makes_missing_parents() {
    let sys = RecordingSys::default();
    sys.fail_nth("open", 0, libc::ENOENT); // the O_PATH probe of the target
    let p = prepared(&sample_plan());
    run(&p, &sys, FDS);
    let mkdirs: Vec<String> = sys
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("mkdir "))
        .collect();
    assert_eq!(
        mkdirs,
        vec![
            "mkdir /run/lite/t/layers/upper 755",
            "mkdir /run 755",
            "mkdir /run/lite 755",
            "mkdir /run/lite/t 755",
            "mkdir /run/lite/t/root 755",
            "mkdir /run/lite/t/root/data 755",
        ]
    );
}

#[test]
fn a_failed_op_reports_its_index_and_errno() {
    let sys = RecordingSys::default();
    sys.fail_nth("mount", 2, libc::ENOENT); // the bind of /data (mount 0 is MS_PRIVATE)
    let (out, names) = run_names(&sample_plan(), &sys);
    assert_eq!(
        out,
        Outcome::Failed(ChildReport {
            step: Step::FsOp,
            index: 2,
            errno: libc::ENOENT
        })
    );
    assert!(
        !names.contains(&"pivot_root".to_string()),
        "nothing after the failure"
    );
}

#[test]
fn an_optional_op_skips_enoent() {
    let mut plan = sample_plan();
    plan.ops[2].optional = true;
    let sys = RecordingSys::default();
    sys.fail_nth("mount", 2, libc::ENOENT);
    let (out, _) = run_names(&plan, &sys);
    assert_eq!(out, Outcome::Exec);
    // but not other errors
    let sys = RecordingSys::default();
    sys.fail_nth("mount", 2, libc::EPERM);
    let (out, _) = run_names(&plan, &sys);
    assert_eq!(
        out,
        Outcome::Failed(ChildReport {
            step: Step::FsOp,
            index: 2,
            errno: libc::EPERM
        })
    );
}

#[test]
fn a_parent_that_went_away_stops_the_child() {
    let sys = RecordingSys::default();
    sys.set_go_reply(b"");
    let (out, names) = run_names(&sample_plan(), &sys);
    assert_eq!(
        out,
        Outcome::Failed(ChildReport {
            step: Step::WaitGo,
            index: 0,
            errno: libc::EPIPE
        })
    );
    assert_eq!(names, vec!["prctl", "prctl", "read"]);
}

#[test]
fn exec_tries_candidates_like_execvp() {
    // ENOENT everywhere: not found (127 in TypeScript).
    let sys = RecordingSys::default();
    sys.set_exec_errnos(&[libc::ENOENT, libc::ENOENT]);
    let (out, _) = run_names(&sample_plan(), &sys);
    assert_eq!(
        out,
        Outcome::Failed(ChildReport {
            step: Step::Exec,
            index: 0,
            errno: libc::ENOENT
        })
    );
    // An EACCES candidate is remembered while the search goes on (126).
    let sys = RecordingSys::default();
    sys.set_exec_errnos(&[libc::EACCES, libc::ENOENT]);
    let (out, _) = run_names(&sample_plan(), &sys);
    assert_eq!(
        out,
        Outcome::Failed(ChildReport {
            step: Step::Exec,
            index: 0,
            errno: libc::EACCES
        })
    );
    // The second candidate works.
    let sys = RecordingSys::default();
    sys.set_exec_errnos(&[libc::ENOENT, 0]);
    let (out, _) = run_names(&sample_plan(), &sys);
    assert_eq!(out, Outcome::Exec);
    // ENOEXEC stops the search at once (126).
    let sys = RecordingSys::default();
    sys.set_exec_errnos(&[libc::ENOEXEC]);
    let (out, _) = run_names(&sample_plan(), &sys);
    assert_eq!(
        out,
        Outcome::Failed(ChildReport {
            step: Step::Exec,
            index: 0,
            errno: libc::ENOEXEC
        })
    );
}

#[test]
fn ids_and_caps_in_order_and_a_non_root_user_keeps_the_configured_set() {
    let sys = RecordingSys::default();
    let p = prepared(&sample_plan()); // uid 1000
    run(&p, &sys, FDS);
    let calls = sys.calls();
    let tail: Vec<&String> = calls
        .iter()
        .filter(|c| {
            ["setgroups", "setresgid", "setresuid", "capset"]
                .iter()
                .any(|n| c.starts_with(n))
        })
        .collect();
    assert_eq!(
        tail,
        vec![
            "setgroups [5]",
            "setresgid 1000",
            "setresuid 1000",
            "capset 0x21 0x21 0x0"
        ]
    );
    // The bounding set keeps caps 0 and 5 and drops the others up to last_cap (40).
    let drops = calls
        .iter()
        .filter(|c| c.starts_with(&format!("prctl {} ", libc::PR_CAPBSET_DROP)))
        .count();
    assert_eq!(drops, 41 - 2);

    let mut root = sample_plan();
    root.uid = 0;
    let sys = RecordingSys::default();
    run(&prepared(&root), &sys, FDS);
    assert!(sys.calls().contains(&"capset 0x21 0x21 0x0".to_string()));
}

#[test]
fn caps_the_kernel_does_not_know_are_left_out() {
    let mut plan = sample_plan();
    plan.caps = vec![0, 38, 40];
    let p = prepare(&plan, 37).unwrap();
    assert_eq!(
        p.caps, 1,
        "a 4.19 kernel (cap_last_cap 37) has no PERFMON or CHECKPOINT_RESTORE"
    );
}

fn late(kind: &str, target: &str, data: Option<&str>) -> FsOp {
    FsOp {
        kind: kind.into(),
        target: target.into(),
        data: data.map(|d| d.into()),
        optional: true,
        after_pivot: true,
        resolve: Some("strict".into()),
        ..Default::default()
    }
}

fn with_late_ops() -> Plan {
    let mut plan = sample_plan();
    plan.ops
        .push(late("write", "/proc/sys/net/ipv4/ip_forward", Some("1")));
    plan.ops.push(late("mask", "/proc/kcore", None));
    plan.ops.push(late("mask", "/sys/firmware", None));
    plan.ops.push(FsOp {
        kind: "mount".into(),
        target: "/proc/sys".into(),
        flags: (libc::MS_BIND | libc::MS_REC) as u32,
        optional: true,
        after_pivot: true,
        resolve: Some("strict".into()),
        ..Default::default()
    });
    plan
}

#[test]
fn sysctls_masks_and_read_only_paths_come_after_pivot_root_in_plan_order() {
    let sys = RecordingSys::default();
    let (out, _) = run_names(&with_late_ops(), &sys);
    assert_eq!(out, Outcome::Exec);
    let calls = sys.calls();
    let umount = calls.iter().position(|c| c.starts_with("umount2")).unwrap();
    let hostname = calls
        .iter()
        .position(|c| c.starts_with("sethostname"))
        .unwrap();
    let between: Vec<&String> = calls[umount + 1..hostname]
        .iter()
        .filter(|c| !c.starts_with("chdir"))
        .collect();
    let want = [
        // One root fd for the ops inside the container.
        format!(
            "open / {:#x}",
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC
        ),
        // The sysctl: no symlink on the way, a regular file of procfs, reopened by fd.
        format!("openat2 100 /proc/sys/net/ipv4/ip_forward {PATH:#x} {STRICT:#x}"),
        "fstat 200".into(),
        "fstatfs 200".into(),
        format!(
            "open /proc/self/fd/200 {:#x}",
            libc::O_WRONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC
        ),
        "close 200".into(),
        "write 100 \"1\"".into(),
        "close 100".into(),
        // A file mask: lite's own /dev/null, checked, bound over the fd of the target.
        format!("openat2 100 /proc/kcore {PATH:#x} {STRICT:#x}"),
        "fstat 201".into(),
        "fstatfs 201".into(),
        format!("openat2 100 /dev/null {PATH:#x} {STRICT:#x}"),
        "fstat 202".into(),
        format!(
            "mount /proc/self/fd/202 /proc/self/fd/201 - {:#x} -",
            libc::MS_BIND
        ),
        "close 202".into(),
        "close 201".into(),
        // A directory mask: an empty read-only tmpfs.
        format!("openat2 100 /sys/firmware {PATH:#x} {STRICT:#x}"),
        "fstat 203".into(),
        "fstatfs 203".into(),
        format!(
            "mount tmpfs /proc/self/fd/203 tmpfs {:#x} -",
            libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC
        ),
        "close 203".into(),
        // A read-only path: bound onto itself through one fd.
        format!("openat2 100 /proc/sys {PATH:#x} {STRICT:#x}"),
        format!(
            "mount /proc/self/fd/204 /proc/self/fd/204 - {:#x} -",
            libc::MS_BIND | libc::MS_REC
        ),
        "close 204".into(),
        "close 100".into(),
    ];
    assert_eq!(between, want.iter().collect::<Vec<_>>());
}

const PATH: i32 = libc::O_PATH | libc::O_CLOEXEC;
/// RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS
const STRICT: u64 = 0x16;
/// RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS
const IN_ROOT: u64 = 0x12;

#[test]
fn a_missing_masked_path_is_skipped_and_a_failed_sysctl_names_its_op() {
    let sys = RecordingSys::default();
    sys.fail_nth("openat2", 1, libc::ENOENT); // this kernel has no /proc/kcore
    let (out, _) = run_names(&with_late_ops(), &sys);
    assert_eq!(out, Outcome::Exec);

    let sys = RecordingSys::default();
    sys.fail_nth("openat2", 0, libc::ENOENT); // the sysctl's file
    let mut plan = with_late_ops();
    plan.ops[3].optional = false;
    let (out, names) = run_names(&plan, &sys);
    assert_eq!(
        out,
        Outcome::Failed(ChildReport {
            step: Step::FsOp,
            index: 3,
            errno: libc::ENOENT
        })
    );
    assert!(names.contains(&"pivot_root".to_string()));
    assert!(!names.contains(&"sethostname".to_string()));
}

#[test]
fn late_ops_must_come_last() {
    let mut plan = with_late_ops();
    plan.ops.push(FsOp {
        kind: "mkdir".into(),
        target: "/run/lite/t/root/x".into(),
        ..Default::default()
    });
    assert!(prepare(&plan, 40).is_err());
}

fn with_seccomp(no_new_privs: bool) -> Plan {
    let mut plan = sample_plan();
    plan.no_new_privs = no_new_privs;
    plan.seccomp = Some(SeccompSpec {
        arch: std::env::consts::ARCH.into(),
        default_action: "errno".into(),
        default_errno_ret: None,
        rules: vec![SeccompRuleSpec {
            names: vec!["read".into(), "execve".into()],
            action: "allow".into(),
            ..Default::default()
        }],
    });
    plan
}

#[test]
fn seccomp_goes_on_last_with_no_new_privs() {
    let sys = RecordingSys::default();
    let (out, names) = run_names(&with_seccomp(true), &sys);
    assert_eq!(out, Outcome::Exec);
    let seccomp = names.iter().position(|n| n == "seccomp").unwrap();
    assert_eq!(&names[seccomp - 1], "setrlimit", "after the late rlimits");
    assert_eq!(&names[seccomp + 1], "execve");
    let nnp = sys
        .calls()
        .iter()
        .position(|c| c == &format!("prctl {} 1", libc::PR_SET_NO_NEW_PRIVS))
        .unwrap();
    assert!(nnp < seccomp);
}

#[test]
fn without_no_new_privs_seccomp_goes_on_before_the_caps_are_dropped() {
    let sys = RecordingSys::default();
    let (out, _) = run_names(&with_seccomp(false), &sys);
    assert_eq!(out, Outcome::Exec);
    let calls = sys.calls();
    let seccomp = calls.iter().position(|c| c.starts_with("seccomp")).unwrap();
    let bounding = calls
        .iter()
        .position(|c| c.starts_with(&format!("prctl {} ", libc::PR_CAPBSET_DROP)))
        .unwrap();
    assert!(seccomp < bounding, "{calls:#?}");
    assert_eq!(calls.iter().filter(|c| c.starts_with("seccomp")).count(), 1);
    assert!(!calls.contains(&format!("prctl {} 1", libc::PR_SET_NO_NEW_PRIVS)));
}

#[test]
fn a_refused_filter_is_reported() {
    let sys = RecordingSys::default();
    sys.fail_all("seccomp", libc::EINVAL);
    let (out, names) = run_names(&with_seccomp(true), &sys);
    assert_eq!(
        out,
        Outcome::Failed(ChildReport {
            step: Step::Seccomp,
            index: 0,
            errno: libc::EINVAL
        })
    );
    assert!(!names.contains(&"execve".to_string()));
}

#[test]
fn the_stub_init_gets_the_filter_too() {
    let mut plan = with_seccomp(true);
    plan.stub_init = true;
    plan.init_exe_fd = Some(11);
    let sys = RecordingSys::default();
    sys.set_fork_result(7);
    let p = prepared(&plan);
    let _ = run(&p, &sys, FDS);
    let names = sys.names();
    let fork = names.iter().position(|n| n == "fork").unwrap();
    assert_eq!(names[fork + 1..fork + 3], ["close", "seccomp"]);
    assert_eq!(names.last().unwrap(), "kill");
}

#[test]
fn close_range_falls_back_to_proc_self_fd_before_5_11() {
    let sys = RecordingSys::default();
    sys.fail_all("close_range", libc::ENOSYS);
    let (out, _) = run_names(&sample_plan(), &sys);
    assert_eq!(out, Outcome::Exec);
    let calls = sys.calls();
    let cloexec = format!("fcntl 5 {} {}", libc::F_SETFD, libc::FD_CLOEXEC);
    assert!(calls.contains(&cloexec), "fd 5 marked: {calls:#?}");
    assert!(
        !calls.contains(&format!("fcntl 100 {} {}", libc::F_SETFD, libc::FD_CLOEXEC)),
        "not the dir fd itself"
    );
    assert!(calls.iter().any(|c| c.starts_with("open /proc/self/fd")));
}

#[test]
fn nonblocking_stdio_is_made_blocking() {
    let sys = RecordingSys::default();
    run(&prepared(&sample_plan()), &sys, FDS);
    let setfl: Vec<String> = sys
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("fcntl") && c.contains(&format!(" {} ", libc::F_SETFL)))
        .collect();
    assert_eq!(setfl.len(), 3);
    assert!(setfl
        .iter()
        .all(|c| c.ends_with(&format!(" {}", libc::O_RDWR))));
}

#[test]
fn tty_opens_the_containers_ptmx_and_sends_the_master() {
    let mut plan = sample_plan();
    plan.tty = true;
    let sys = RecordingSys::default();
    let (out, _) = run_names(&plan, &sys);
    assert_eq!(out, Outcome::Exec);
    let calls = sys.calls();
    let from = calls
        .iter()
        .position(|c| c.starts_with("open /dev/ptmx"))
        .expect("ptmx");
    let seq: Vec<String> = calls[from..]
        .iter()
        .take(11)
        .map(|c| c.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(
        seq,
        vec![
            "open", "ioctl", "ioctl", "ioctl", "ioctl", "setsid", "ioctl", "dup3", "dup3", "dup3",
            "close"
        ]
    );
    // The terminal's size reaches the pty before fd 0 becomes the pty and the app runs.
    assert_eq!(calls[from + 3], format!("ioctl 0 {:#x}", libc::TIOCGWINSZ));
    let master = calls[from + 1].split(' ').nth(1).unwrap();
    assert_eq!(
        calls[from + 4],
        format!("ioctl {master} {:#x}", libc::TIOCSWINSZ)
    );
    assert!(calls.iter().any(|c| c.starts_with("send_fd 3 \"PTY\\0\"")));
}

#[test]
fn tty_without_a_terminal_on_stdin_leaves_the_pty_size_alone() {
    let mut plan = sample_plan();
    plan.tty = true;
    let first = RecordingSys::default();
    run_names(&plan, &first);
    let get_size = format!("ioctl 0 {:#x}", libc::TIOCGWINSZ);
    let nth = first
        .calls()
        .iter()
        .filter(|c| c.starts_with("ioctl"))
        .position(|c| *c == get_size)
        .expect("TIOCGWINSZ on fd 0");
    let sys = RecordingSys::default();
    sys.fail_nth("ioctl", nth, libc::ENOTTY);
    let (out, _) = run_names(&plan, &sys);
    assert_eq!(out, Outcome::Exec, "no terminal is not a failure");
    let set_size = format!("{:#x}", libc::TIOCSWINSZ);
    assert!(!sys.calls().iter().any(|c| c.ends_with(&set_size)));
}

#[test]
fn stub_init_forks_and_the_app_goes_on() {
    let mut plan = sample_plan();
    plan.stub_init = true;
    let sys = RecordingSys::default();
    sys.set_fork_result(0);
    let (out, names) = run_names(&plan, &sys);
    assert_eq!(out, Outcome::Exec);
    let fork = names.iter().position(|n| n == "fork").unwrap();
    let reset = names.iter().position(|n| n == "reset_signals").unwrap();
    assert!(fork < reset, "the stub keeps every signal blocked");
}

#[test]
fn the_app_waits_until_pid_1_has_execd_the_monitor() {
    // Until then PID 1 is a copy of lite, whose environ and cmdline the app could read.
    let mut plan = sample_plan();
    plan.stub_init = true;
    let sys = RecordingSys::default();
    sys.set_fork_result(0);
    sys.set_read_replies(104, &[Ok(b"x"), Ok(b"")]);
    let (out, _) = run_names(&plan, &sys);
    assert_eq!(out, Outcome::Exec);
    let calls = sys.calls();
    let at = |call: &str| calls.iter().position(|c| c == call).unwrap();
    assert!(at("pipe2") < at("fork"));
    assert!(at("fork") < at("close 105"), "the app drops the write end");
    let reads = calls.iter().filter(|c| *c == "read 104").count();
    assert_eq!(reads, 2, "it reads until EOF: {calls:#?}");
    assert!(at("close 104") < at("reset_signals"));
}

#[test]
fn the_stub_drops_the_read_end_before_its_exec() {
    let mut plan = sample_plan();
    plan.stub_init = true;
    plan.init_exe_fd = Some(11);
    let sys = RecordingSys::default();
    sys.set_fork_result(7);
    let _ = run(&prepared(&plan), &sys, FDS);
    let calls = sys.calls();
    let at = |call: &str| calls.iter().position(|c| c == call).unwrap();
    assert!(at("close 104") < at("execveat 11"));
    assert!(!calls.contains(&"read 104".to_string()));
}

#[test]
fn the_stub_becomes_the_monitor_in_init_mode() {
    let mut plan = sample_plan();
    plan.stub_init = true;
    plan.init_exe_fd = Some(11);
    let sys = RecordingSys::default();
    sys.set_fork_result(7);
    let p = prepared(&plan);
    let out = run(&p, &sys, FDS);
    // The fake's execveat "fails" by returning: the app is killed and it is reported.
    assert!(matches!(out, Outcome::Failed(r) if r.step == crate::report::Step::StubInit));
    let calls = sys.calls();
    let fork = calls.iter().position(|c| c == "fork").unwrap();
    let exec = calls.iter().position(|c| c == "execveat 11").unwrap();
    assert!(
        calls[fork..exec]
            .iter()
            .any(|c| c.starts_with("close_range")),
        "lite's fds close on exec: {calls:#?}"
    );
    assert_eq!(calls[exec + 1], "kill 7 9");
    assert!(
        !calls.iter().any(|c| c.starts_with("execve ")),
        "PID 1 never runs the app"
    );
}

#[test]
fn detached_output_goes_to_the_log_pipe() {
    let mut plan = sample_plan();
    plan.output_fd = Some(12);
    let sys = RecordingSys::default();
    let (_, _) = run_names(&plan, &sys);
    let calls = sys.calls();
    assert!(
        calls.contains(&"dup3 12 1".to_string()) && calls.contains(&"dup3 12 2".to_string()),
        "{calls:?}"
    );
}

#[test]
fn exit_codes_follow_the_shell() {
    use crate::child::exit_code;
    assert_eq!(exit_code(3 << 8), 3);
    assert_eq!(exit_code(libc::SIGTERM), 143);
    assert_eq!(exit_code(libc::SIGKILL), 137);
}

#[test]
fn cgroup_namespace_is_unshared_only_when_asked() {
    let mut plan = sample_plan();
    plan.namespaces.retain(|n| n != "cgroup");
    let sys = RecordingSys::default();
    let (_, names) = run_names(&plan, &sys);
    assert!(!names.contains(&"unshare".to_string()));
}

#[test]
fn exec_joins_every_namespace_then_clones_into_the_pid_namespace() {
    let mut plan = sample_plan();
    plan.ops.clear();
    plan.loop_image = None;
    plan.join_pid = Some(40);
    let mut p = prepared(&plan);
    assert_eq!(p.clone_flags, 0, "nothing new");
    assert_eq!(
        *p.join_kinds.last().unwrap(),
        "mount",
        "the mount namespace last"
    );
    p.join = vec![(30, libc::CLONE_NEWPID), (31, libc::CLONE_NEWNS)];
    let sys = RecordingSys::default();
    sys.set_fork_result(77);
    assert!(matches!(
        crate::child::join(&p, &sys, FDS),
        crate::child::Joined::Handed
    ));
    let calls = sys.calls();
    assert_eq!(
        &calls[..6],
        &[
            "prctl 4 0", // not dumpable before the first setns
            "setns 30 0x20000000",
            "setns 31 0x20000",
            "close 30",
            "close 31",
            "clone_sibling"
        ]
    );
    assert!(
        calls[6].starts_with("write 3"),
        "the sibling's pid goes to lite: {calls:?}"
    );
    // The sibling itself skips every filesystem step: no mount, no pivot_root.
    let sys = RecordingSys::default();
    let (_, names) = run_names_prepared(&p, &sys);
    assert!(
        !names.iter().any(|n| n == "mount" || n == "pivot_root"),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n == "execve"));
}

#[test]
fn a_failed_setns_is_reported() {
    let mut plan = sample_plan();
    plan.ops.clear();
    plan.loop_image = None;
    plan.join_pid = Some(40);
    let mut p = prepared(&plan);
    p.join = vec![(30, libc::CLONE_NEWPID)];
    let sys = RecordingSys::default();
    sys.fail_all("setns", libc::EPERM);
    assert!(
        matches!(crate::child::join(&p, &sys, FDS), crate::child::Joined::Failed(r) if r.step == Step::JoinNs && r.errno == libc::EPERM)
    );
}

#[test]
fn the_child_joins_its_cgroups_first_by_writing_0() {
    let mut plan = sample_plan();
    plan.cgroup_tasks = vec![
        "/sys/fs/cgroup/memory/lite/c/tasks".into(),
        "/sys/fs/cgroup/pids/lite/c/tasks".into(),
    ];
    plan.cgroup_v2_procs = Some("/sys/fs/cgroup/unified/lite/c/cgroup.procs".into());
    let sys = RecordingSys::default();
    let (out, _) = run_names(&plan, &sys);
    assert_eq!(out, Outcome::Exec);
    let calls = sys.calls();
    let opened: Vec<_> = calls
        .iter()
        .filter(|c| c.starts_with("open /sys/fs/cgroup"))
        .collect();
    assert_eq!(opened.len(), 3, "{calls:#?}");
    let first_mount = calls.iter().position(|c| c.starts_with("mount")).unwrap();
    let last_cgroup = calls
        .iter()
        .rposition(|c| c.starts_with("open /sys/fs/cgroup"))
        .unwrap();
    assert!(
        last_cgroup < first_mount,
        "in its cgroups before any set-up"
    );
    assert!(
        calls.iter().any(|c| c.contains("\"0\"")),
        "the calling thread: \"0\""
    );
    // clone3 with CLONE_INTO_CGROUP placed it in the v2 cgroup already.
    let sys = RecordingSys::default();
    let p = prepared(&plan);
    let _ = run(
        &p,
        &sys,
        ChildFds {
            in_cgroup: true,
            ..FDS
        },
    );
    assert_eq!(
        sys.calls()
            .iter()
            .filter(|c| c.starts_with("open /sys/fs/cgroup"))
            .count(),
        2
    );
}

fn failed_op(index: u16, errno: i32) -> Outcome {
    Outcome::Failed(ChildReport {
        step: Step::FsOp,
        index,
        errno,
    })
}

#[test]
fn a_mask_needs_the_null_device_that_lite_made() {
    // CVE-2025-31133: a /dev/null that is not char 1:3 (a link the rootfs planted, a
    // file) is never bound anywhere.
    let sys = RecordingSys::default();
    sys.set_stat(
        "/dev/null",
        crate::fake::stat_with(libc::S_IFREG | 0o666, 0, 0),
    );
    let (out, _) = run_names(&with_late_ops(), &sys);
    assert_eq!(out, failed_op(4, libc::ENODEV), "{:#?}", sys.calls());
    assert!(!sys
        .calls()
        .iter()
        .any(|c| c.starts_with("mount /proc/self/fd/202")));
}

#[test]
fn a_mask_that_is_not_on_proc_or_sys_is_an_error() {
    let mut plan = with_late_ops();
    plan.ops.push(late("mask", "/tmp/keys", None));
    let sys = RecordingSys::default();
    let (out, _) = run_names(&plan, &sys);
    assert_eq!(out, failed_op(7, libc::EXDEV));
}

#[test]
fn a_sysctl_that_is_not_a_regular_file_of_procfs_is_never_opened_for_writing() {
    let sys = RecordingSys::default();
    sys.set_stat(
        "/proc/sys/net/ipv4/ip_forward",
        crate::fake::stat_with(libc::S_IFIFO | 0o644, 0, 0),
    );
    let (out, _) = run_names(&with_late_ops(), &sys);
    assert_eq!(out, failed_op(3, libc::EXDEV));
    assert!(!sys
        .calls()
        .iter()
        .any(|c| c.starts_with("open /proc/self/fd/")));
}

#[test]
fn openat2_eagain_is_retried_a_bounded_number_of_times() {
    let sys = RecordingSys::default();
    sys.fail_nth("openat2", 0, libc::EAGAIN);
    let (out, _) = run_names(&with_late_ops(), &sys);
    assert_eq!(out, Outcome::Exec);
    let sys = RecordingSys::default();
    sys.fail_all("openat2", libc::EAGAIN);
    let (out, names) = run_names(&with_late_ops(), &sys);
    assert_eq!(out, failed_op(3, libc::EAGAIN));
    assert_eq!(names.iter().filter(|n| *n == "openat2").count(), 16);
}

#[test]
fn mount_entries_inside_the_root_go_through_the_fd_of_their_target() {
    let mut plan = sample_plan();
    plan.ops[2].target = "/data".into();
    plan.ops[2].resolve = Some("root".into());
    plan.ops[2].create = None;
    let sys = RecordingSys::default();
    let (out, _) = run_names(&plan, &sys);
    assert_eq!(out, Outcome::Exec);
    let calls = sys.calls();
    let at = calls
        .iter()
        .position(|c| c.starts_with("openat2"))
        .expect("resolved inside the root");
    assert_eq!(
        &calls[at - 1..at + 3],
        &[
            format!(
                "open /run/lite/t/root {:#x}",
                libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC
            ),
            format!("openat2 100 /data {PATH:#x} {IN_ROOT:#x}"),
            format!("mount /data /proc/self/fd/200 - {:#x} -", libc::MS_BIND),
            "close 200".into(),
        ]
    );
}

#[test]
fn a_host_op_after_pivot_root_is_a_bad_plan() {
    let mut plan = with_late_ops();
    plan.ops[3].resolve = None;
    assert!(prepare(&plan, 40).is_err());
}

#[test]
fn a_cwd_outside_the_root_is_refused() {
    let sys = RecordingSys::default();
    sys.set_cwd(b"(unreachable)/sys/fs/cgroup");
    let (out, _) = run_names(&sample_plan(), &sys);
    assert_eq!(
        out,
        Outcome::Failed(ChildReport {
            step: Step::Chdir,
            index: 0,
            errno: libc::EXDEV
        })
    );
    let calls = sys.calls();
    assert!(calls.contains(&format!(
        "openat2 100 / {:#x} {IN_ROOT:#x}",
        libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC
    )));
    assert!(!calls
        .iter()
        .any(|c| c.starts_with("chdir /") && c != "chdir /" && !c.starts_with("chdir /run")));
}

#[test]
fn every_fd_but_the_handed_over_ones_is_closed_first() {
    let mut plan = sample_plan();
    plan.output_fd = Some(7);
    let mut p = prepared(&plan);
    p.join = vec![(30, libc::CLONE_NEWNS)];
    let sys = RecordingSys::default();
    crate::child::close_unneeded_fds(&sys, &p, &FDS).unwrap();
    assert_eq!(
        sys.calls(),
        vec![
            "close_range 5 0x6 0",
            "close_range 8 0x1d 0",
            "close_range 31 0x7ffffffe 0"
        ]
    );
    // Before 5.9: the fds listed in /proc/self/fd (the fake lists 5 and 100, the dir).
    let sys = RecordingSys::default();
    sys.fail_all("close_range", libc::ENOSYS);
    crate::child::close_unneeded_fds(&sys, &p, &FDS).unwrap();
    let calls = sys.calls();
    assert!(calls.contains(&"close 5".to_string()), "{calls:?}");
    assert_eq!(calls.last().unwrap(), "close 100");
}

#[test]
fn before_5_6_every_path_inside_the_root_is_walked_one_component_at_a_time() {
    let sys = RecordingSys::default();
    sys.fail_all("openat2", libc::ENOSYS);
    let (out, _) = run_names(&with_late_ops(), &sys);
    assert_eq!(out, Outcome::Exec, "{:#?}", sys.calls());
    let calls = sys.calls();
    let nofollow = libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    for part in ["proc", "sys", "net", "ipv4", "ip_forward"] {
        assert!(
            calls
                .iter()
                .any(|c| c.ends_with(&format!(" {part} {nofollow:#x}"))),
            "{part} opened with O_NOFOLLOW: {calls:#?}"
        );
    }
    // The checked sysctl file is reopened by its fd for the write, not by its path.
    assert!(calls.iter().any(|c| c.starts_with("open /proc/self/fd/")
        && c.ends_with(&format!(
            "{:#x}",
            libc::O_WRONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC
        ))));
    assert!(calls.iter().any(|c| c.starts_with("mount /proc/self/fd/")));
}

#[test]
fn the_net_socket_goes_to_lite_before_go() {
    let mut plan = sample_plan();
    plan.net_socket = true;
    plan.cgroup_v2_procs = Some("/sys/fs/cgroup/lite/c/cgroup.procs".into());
    let sys = RecordingSys::default();
    let (out, _) = run_names(&plan, &sys);
    assert_eq!(out, Outcome::Exec);
    let calls = sys.calls();
    let at = |prefix: &str| pos_prefix(&calls, prefix);
    let socket = format!(
        "socket {} {:#x} {}",
        libc::AF_NETLINK,
        libc::SOCK_RAW | libc::SOCK_CLOEXEC,
        libc::NETLINK_ROUTE
    );
    // The fake's socket() answers fd 102.
    assert!(
        at("open /sys/fs/cgroup") < at(&socket),
        "in its cgroups first"
    );
    assert_eq!(calls[at(&socket) + 1], "send_fd 3 \"NET\\0\" 102");
    assert_eq!(calls[at(&socket) + 2], "close 102");
    assert!(at("send_fd 3 \"NET") < at("read 3"), "before GO");
    // Without net_socket, no netlink socket.
    let sys = RecordingSys::default();
    run_names(&sample_plan(), &sys);
    assert!(!sys.calls().iter().any(|c| c.starts_with(&socket)));
}

#[test]
fn a_failed_net_socket_is_reported() {
    let mut plan = sample_plan();
    plan.net_socket = true;
    let sys = RecordingSys::default();
    sys.fail_nth("socket", 0, libc::EMFILE);
    let (out, names) = run_names(&plan, &sys);
    assert_eq!(
        out,
        Outcome::Failed(ChildReport {
            step: Step::NetSocket,
            index: 0,
            errno: libc::EMFILE
        })
    );
    assert!(!names.iter().any(|n| n == "read"), "no wait for GO");
    // A failed send closes the socket and names index 1.
    let sys = RecordingSys::default();
    sys.fail_all("send_fd", libc::EPIPE);
    let (out, _) = run_names(&plan, &sys);
    assert_eq!(
        out,
        Outcome::Failed(ChildReport {
            step: Step::NetSocket,
            index: 1,
            errno: libc::EPIPE
        })
    );
    assert!(sys.calls().contains(&"close 102".to_string()));
}

fn joining_a_netns() -> Plan {
    let mut plan = sample_plan();
    plan.namespaces.retain(|n| n != "net");
    plan.net_join_fd = Some(9);
    plan
}

#[test]
fn a_joined_network_namespace_comes_first_and_its_fd_is_closed() {
    let sys = RecordingSys::default();
    let (out, _) = run_names(&joining_a_netns(), &sys);
    assert_eq!(out, Outcome::Exec);
    let calls = sys.calls();
    assert_eq!(
        &calls[..2],
        &[
            format!("setns 9 {:#x}", libc::CLONE_NEWNET),
            "close 9".into()
        ]
    );
    // A refused setns is a JoinNs report with index 100.
    let sys = RecordingSys::default();
    sys.fail_all("setns", libc::EINVAL);
    let (out, names) = run_names(&joining_a_netns(), &sys);
    assert_eq!(
        out,
        Outcome::Failed(ChildReport {
            step: Step::JoinNs,
            index: 100,
            errno: libc::EINVAL
        })
    );
    assert_eq!(names, vec!["setns"]);
}

#[test]
fn the_network_namespace_fd_survives_the_first_fd_sweep() {
    let mut plan = joining_a_netns();
    plan.output_fd = Some(7);
    let p = prepared(&plan);
    let sys = RecordingSys::default();
    crate::child::close_unneeded_fds(&sys, &p, &FDS).unwrap();
    assert_eq!(
        sys.calls(),
        vec![
            "close_range 5 0x6 0",
            "close_range 8 0x8 0",
            "close_range 10 0x7ffffffe 0"
        ]
    );
}

#[test]
fn exec_joins_its_cgroups_before_the_namespaces() {
    let mut plan = sample_plan();
    plan.ops.clear();
    plan.loop_image = None;
    plan.join_pid = Some(40);
    plan.cgroup_tasks = vec!["/sys/fs/cgroup/memory/lite/c/tasks".into()];
    let mut p = prepared(&plan);
    p.join = vec![(30, libc::CLONE_NEWNS)];
    let sys = RecordingSys::default();
    sys.set_fork_result(77);
    // child_main ends in exit(0) once the sibling's pid went to lite: the fake panics there.
    let ended = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::child::child_main(&p, &sys, FDS)
    }));
    assert!(ended.is_err());
    let calls = sys.calls();
    let at = |prefix: &str| calls.iter().position(|c| c.starts_with(prefix)).unwrap();
    assert!(
        at("open /sys/fs/cgroup/memory/lite/c/tasks") < at("setns 30"),
        "the host's path, before the container's mount namespace: {calls:#?}"
    );
    // The sibling, inside, does not write them again (that path is the container's).
    let sys = RecordingSys::default();
    assert_eq!(run(&p, &sys, FDS), Outcome::Exec);
    assert!(!sys
        .calls()
        .iter()
        .any(|c| c.starts_with("open /sys/fs/cgroup")));
}
