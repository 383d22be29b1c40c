//! The OCI front end's additions to the child sequence, against the recording fake:
//! no parent-death signal, the READY wait, the five capability sets, umask,
//! domainname, early rlimits, namespaces joined by fd, root propagation, the ways into
//! the root, and a stdin fd.

use crate::child::{close_unneeded_fds, run, ChildFds, Outcome};
use crate::fake::{pos, stat_with, RecordingSys};
use crate::plan::{
    prepare, tests::sample_plan, CapSets, FsOp, NamespaceJoin, Plan, Prepared, SeccompRuleSpec,
    SeccompSpec,
};
use crate::report::{ChildReport, Step};

const FDS: ChildFds = ChildFds {
    sock: 3,
    devnull: 4,
    in_cgroup: false,
    progress: std::ptr::null_mut(),
};

/// The fd of the ready FIFO in these tests.
const READY: i32 = 15;

fn prepared(plan: &Plan) -> Prepared {
    prepare(plan, 40).expect("plan")
}

fn run_plan(plan: &Plan, sys: &RecordingSys) -> Outcome {
    run(&prepared(plan), sys, FDS)
}

fn failed(step: Step, index: u16, errno: i32) -> Outcome {
    Outcome::Failed(ChildReport { step, index, errno })
}

fn has_prefix(calls: &[String], prefix: &str) -> bool {
    calls.iter().any(|c| c.starts_with(prefix))
}

// ---- 1. noParentDeath ----

#[test]
fn no_parent_death_skips_pdeathsig() {
    let pdeathsig = format!("prctl {} {}", libc::PR_SET_PDEATHSIG, libc::SIGKILL);
    let sys = RecordingSys::default();
    assert_eq!(run_plan(&sample_plan(), &sys), Outcome::Exec);
    assert!(sys.calls().contains(&pdeathsig), "on by default");

    let mut plan = sample_plan();
    plan.no_parent_death = Some(true);
    let sys = RecordingSys::default();
    assert_eq!(run_plan(&plan, &sys), Outcome::Exec);
    let calls = sys.calls();
    assert!(!calls.contains(&pdeathsig), "{calls:#?}");
    assert!(calls.contains(&format!("prctl {} 0", libc::PR_SET_DUMPABLE)));
}

// ---- 2. readyWaitFd ----

fn ready_plan() -> Plan {
    let mut plan = sample_plan();
    plan.ready_wait_fd = Some(READY);
    plan
}

fn with_filter(mut plan: Plan) -> Plan {
    plan.seccomp = Some(SeccompSpec {
        arch: std::env::consts::ARCH.into(),
        default_action: "errno".into(),
        default_errno_ret: None,
        rules: vec![SeccompRuleSpec {
            names: vec!["execve".into()],
            action: "allow".into(),
            ..Default::default()
        }],
    });
    plan
}

#[test]
fn ready_resolves_the_candidate_sends_ready_waits_then_filters_and_execs() {
    let p = prepared(&with_filter(ready_plan()));
    let insns = p.seccomp.as_ref().unwrap().len();
    let sys = RecordingSys::default();
    assert_eq!(run(&p, &sys, FDS), Outcome::Exec);
    let calls = sys.calls();
    let from = pos(&calls, "stat /usr/bin/app");
    assert_eq!(
        &calls[from..],
        &[
            "stat /usr/bin/app".to_string(),
            format!("access /usr/bin/app {}", libc::X_OK),
            "write 3 \"RDY\\0\"".into(),
            format!("poll {READY}"),
            format!("read {READY}"),
            format!("close {READY}"),
            format!("seccomp {insns} insns"),
            "execve /usr/bin/app".into(),
        ][..],
        "{calls:#?}"
    );
    // After everything of step 11: the umask and the rlimits come first.
    assert!(pos(&calls, "umask 22") < from);
    assert!(calls[..from].iter().any(|c| c.starts_with("setrlimit")));
}

#[test]
fn ready_execs_only_the_candidate_it_found() {
    let sys = RecordingSys::default();
    sys.fail_nth("stat", 0, libc::ENOENT); // /usr/bin/app is not there
    assert_eq!(run_plan(&ready_plan(), &sys), Outcome::Exec);
    let execs: Vec<String> = sys
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("execve"))
        .collect();
    assert_eq!(execs, vec!["execve /bin/app"]);
}

#[test]
fn ready_with_no_candidate_fails_create_with_the_exec_report() {
    // Nothing anywhere: ENOENT, and READY never goes.
    let sys = RecordingSys::default();
    sys.fail_all("stat", libc::ENOENT);
    assert_eq!(
        run_plan(&ready_plan(), &sys),
        failed(Step::Exec, 0, libc::ENOENT)
    );
    assert!(!has_prefix(&sys.calls(), "write 3 \"RDY"));
    assert!(!has_prefix(&sys.calls(), "poll"));

    // The first is a directory, the second is missing: EACCES names the first.
    let sys = RecordingSys::default();
    sys.set_stat("/usr/bin/app", stat_with(libc::S_IFDIR | 0o755, 0, 0));
    sys.fail_nth("stat", 1, libc::ENOENT);
    assert_eq!(
        run_plan(&ready_plan(), &sys),
        failed(Step::Exec, 0, libc::EACCES)
    );

    // The first is not executable, the second is: the second runs.
    let sys = RecordingSys::default();
    sys.fail_nth("access", 0, libc::EACCES);
    assert_eq!(run_plan(&ready_plan(), &sys), Outcome::Exec);
    assert!(sys.calls().contains(&"execve /bin/app".to_string()));

    // Neither is executable: EACCES at the first.
    let sys = RecordingSys::default();
    sys.fail_all("access", libc::EACCES);
    assert_eq!(
        run_plan(&ready_plan(), &sys),
        failed(Step::Exec, 0, libc::EACCES)
    );

    // Any other error stops the search where it happened.
    let sys = RecordingSys::default();
    sys.fail_nth("stat", 0, libc::ENOENT);
    sys.fail_nth("stat", 1, libc::ELOOP);
    assert_eq!(
        run_plan(&ready_plan(), &sys),
        failed(Step::Exec, 1, libc::ELOOP)
    );
}

#[test]
fn a_writer_that_closes_without_a_byte_ends_the_container_quietly() {
    let sys = RecordingSys::default();
    sys.set_read_replies(READY, &[Ok(b"")]);
    assert_eq!(run_plan(&with_filter(ready_plan()), &sys), Outcome::Exit(0));
    let calls = sys.calls();
    assert!(!has_prefix(&calls, "execve"));
    assert!(!has_prefix(&calls, "seccomp"));
    assert!(!has_prefix(&calls, "write 2"), "quietly: {calls:#?}");
}

#[test]
fn the_wait_survives_eintr_and_eagain() {
    let sys = RecordingSys::default();
    sys.fail_nth("poll", 0, libc::EINTR);
    sys.set_read_replies(READY, &[Err(libc::EAGAIN), Ok(b"0")]);
    assert_eq!(run_plan(&ready_plan(), &sys), Outcome::Exec);
    let calls = sys.calls();
    let polls = calls.iter().filter(|c| c.starts_with("poll")).count();
    let reads = calls
        .iter()
        .filter(|c| **c == format!("read {READY}"))
        .count();
    assert_eq!((polls, reads), (3, 2), "{calls:#?}");
}

#[test]
fn a_broken_wait_is_written_to_stderr() {
    let sys = RecordingSys::default();
    sys.fail_all("poll", libc::EBADF);
    assert_eq!(run_plan(&ready_plan(), &sys), Outcome::Exit(125));
    assert!(sys
        .calls()
        .contains(&"write 2 \"lite: wait for start: bad file descriptor\\n\"".to_string()));
}

#[test]
fn an_exec_that_fails_after_ready_says_why_on_stderr() {
    for (errno, code, text) in [
        (libc::ENOENT, 127, "no such file or directory"),
        (libc::EACCES, 126, "permission denied"),
        (libc::EIO, 126, "errno 5"),
    ] {
        let sys = RecordingSys::default();
        sys.set_exec_errnos(&[errno]);
        assert_eq!(run_plan(&ready_plan(), &sys), Outcome::Exit(code));
        let calls = sys.calls();
        assert_eq!(
            calls.last().unwrap(),
            &format!("write 2 \"lite: exec \\\"app\\\": {text}\\n\""),
            "{calls:#?}"
        );
        // One candidate only, and no report on the socket (nobody reads it now).
        assert_eq!(calls.iter().filter(|c| c.starts_with("execve")).count(), 1);
        assert!(!calls
            .iter()
            .any(|c| c.starts_with("write 3") && !c.contains("RDY")));
    }
}

#[test]
fn a_long_argv0_is_cut_to_fit_the_line() {
    let mut plan = ready_plan();
    plan.argv[0] = "x".repeat(5000);
    let sys = RecordingSys::default();
    sys.set_exec_errnos(&[libc::ENOEXEC]);
    assert_eq!(run_plan(&plan, &sys), Outcome::Exit(126));
    let line = sys.calls().last().unwrap().clone();
    assert!(line.starts_with("write 2 \"lite: exec \\\"xxx"), "{line}");
    assert!(line.ends_with(": exec format error\\n\""), "{line}");
}

#[test]
fn ready_that_cannot_be_sent_is_reported() {
    let mut plan = ready_plan();
    plan.oom_score_adj = None; // READY is the only write then
    let sys = RecordingSys::default();
    sys.fail_all("write", libc::EPIPE);
    assert_eq!(run_plan(&plan, &sys), failed(Step::Ready, 0, libc::EPIPE));
    assert!(!has_prefix(&sys.calls(), "poll"));
}

#[test]
fn with_a_tty_the_pty_master_goes_before_ready() {
    let mut plan = ready_plan();
    plan.tty = true;
    let sys = RecordingSys::default();
    assert_eq!(run_plan(&plan, &sys), Outcome::Exec);
    let calls = sys.calls();
    let pty = calls
        .iter()
        .position(|c| c.starts_with("send_fd 3 \"PTY"))
        .unwrap();
    assert!(pty < pos(&calls, "write 3 \"RDY\\0\""));
}

#[test]
fn the_ready_fd_and_the_stdin_fd_survive_the_first_fd_sweep() {
    let mut plan = ready_plan();
    plan.stdin_fd = Some(9);
    let sys = RecordingSys::default();
    close_unneeded_fds(&sys, &prepared(&plan), &FDS).unwrap();
    assert_eq!(
        sys.calls(),
        vec![
            "close_range 5 0x8 0",
            "close_range 10 0xe 0",
            "close_range 16 0x7ffffffe 0"
        ]
    );
}

#[test]
fn ready_and_stdin_fds_must_be_above_stdio() {
    let mut plan = sample_plan();
    plan.ready_wait_fd = Some(2);
    assert!(prepare(&plan, 40).is_err());
    let mut plan = sample_plan();
    plan.stdin_fd = Some(0);
    assert!(prepare(&plan, 40).is_err());
}

// ---- 3. capSets ----

fn cap_plan() -> Plan {
    let mut plan = sample_plan();
    plan.cap_sets = Some(CapSets {
        bounding: vec![0, 5, 7, 21],
        effective: vec![0, 5],
        permitted: vec![0, 5, 7],
        inheritable: vec![7],
        ambient: vec![7],
    });
    plan
}

#[test]
fn cap_sets_give_each_set_as_it_is() {
    let sys = RecordingSys::default();
    assert_eq!(run_plan(&cap_plan(), &sys), Outcome::Exec);
    let calls = sys.calls();
    let drops: Vec<u32> = calls
        .iter()
        .filter_map(|c| c.strip_prefix(&format!("prctl {} ", libc::PR_CAPBSET_DROP)))
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(drops.len(), 41 - 4);
    assert!(![0, 5, 7, 21].iter().any(|c| drops.contains(c)));
    let capset = format!("capset {:#x} {:#x} {:#x}", 0b100001, 0b10100001, 0b10000000);
    let raise = format!(
        "prctl {} {}",
        libc::PR_CAP_AMBIENT,
        libc::PR_CAP_AMBIENT_RAISE
    );
    let clear = format!(
        "prctl {} {}",
        libc::PR_CAP_AMBIENT,
        libc::PR_CAP_AMBIENT_CLEAR_ALL
    );
    // The fake records prctl's first two arguments: the raise is the call after clear.
    let at = pos(&calls, &capset);
    assert!(pos(&calls, "setresuid 1000") < at);
    assert!(pos(&calls, &clear) > at);
    assert_eq!(calls[pos(&calls, &clear) + 1], raise);
    assert_eq!(calls.iter().filter(|c| **c == raise).count(), 1);
}

#[test]
fn a_refused_ambient_raise_names_its_position() {
    let mut plan = cap_plan();
    plan.cap_sets.as_mut().unwrap().ambient = vec![7, 39, 5];
    let sys = RecordingSys::default();
    // prctl calls: the 41 - 4 drops, DUMPABLE, PDEATHSIG, KEEPCAPS x2, clear: the
    // raises follow. Fail the second raise (ambient[1] = 39).
    let before = sys_prctl_count_before_raises(&plan);
    sys.fail_nth("prctl", before + 1, libc::EPERM);
    assert_eq!(run_plan(&plan, &sys), failed(Step::Caps, 5, libc::EPERM));
}

/// How many prctl calls a run of `plan` makes before the first ambient raise.
fn sys_prctl_count_before_raises(plan: &Plan) -> usize {
    let sys = RecordingSys::default();
    run_plan(plan, &sys);
    let raise = format!(
        "prctl {} {}",
        libc::PR_CAP_AMBIENT,
        libc::PR_CAP_AMBIENT_RAISE
    );
    sys.calls()
        .iter()
        .filter(|c| c.starts_with("prctl"))
        .position(|c| *c == raise)
        .unwrap()
}

#[test]
fn an_ambient_cap_the_kernel_does_not_know_is_skipped_keeping_the_indexes() {
    let mut plan = cap_plan();
    plan.cap_sets.as_mut().unwrap().ambient = vec![39, 7];
    let p = prepare(&plan, 37).unwrap();
    let sys = RecordingSys::default();
    let raise = format!(
        "prctl {} {}",
        libc::PR_CAP_AMBIENT,
        libc::PR_CAP_AMBIENT_RAISE
    );
    assert_eq!(run(&p, &sys, FDS), Outcome::Exec);
    assert_eq!(sys.calls().iter().filter(|c| **c == raise).count(), 1);
    // The one raise made is ambient[1]: its failure says index 5.
    let before = {
        let s = RecordingSys::default();
        run(&p, &s, FDS);
        s.calls()
            .iter()
            .filter(|c| c.starts_with("prctl"))
            .position(|c| *c == raise)
            .unwrap()
    };
    let sys = RecordingSys::default();
    sys.fail_nth("prctl", before, libc::EPERM);
    assert_eq!(run(&p, &sys, FDS), failed(Step::Caps, 5, libc::EPERM));
}

#[test]
fn no_ambient_set_before_4_3_is_fine_only_when_none_is_asked_for() {
    let clear_nth = |plan: &Plan| {
        let sys = RecordingSys::default();
        run_plan(plan, &sys);
        let clear = format!(
            "prctl {} {}",
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL
        );
        sys.calls()
            .iter()
            .filter(|c| c.starts_with("prctl"))
            .position(|c| *c == clear)
            .unwrap()
    };
    let mut none = cap_plan();
    none.cap_sets.as_mut().unwrap().ambient.clear();
    let sys = RecordingSys::default();
    sys.fail_nth("prctl", clear_nth(&none), libc::EINVAL);
    assert_eq!(run_plan(&none, &sys), Outcome::Exec);

    let plan = cap_plan();
    let sys = RecordingSys::default();
    sys.fail_nth("prctl", clear_nth(&plan), libc::EINVAL);
    assert_eq!(run_plan(&plan, &sys), failed(Step::Caps, 3, libc::EINVAL));
}

#[test]
fn cap_sets_are_checked_and_cut_to_the_kernel() {
    let mut plan = cap_plan();
    plan.cap_sets.as_mut().unwrap().permitted.push(64);
    assert!(prepare(&plan, 40).is_err());
    let mut plan = cap_plan();
    plan.cap_sets.as_mut().unwrap().ambient.push(70);
    assert!(prepare(&plan, 40).is_err());
    let mut plan = cap_plan();
    plan.cap_sets.as_mut().unwrap().effective = vec![0, 38];
    let p = prepare(&plan, 37).unwrap();
    assert_eq!(p.cap_effective, 1);
    // Without capSets: `caps` for bounding, permitted and effective; no inheritable.
    let p = prepared(&sample_plan());
    assert_eq!(
        (p.caps, p.cap_effective, p.cap_permitted, p.cap_inheritable),
        (0x21, 0x21, 0x21, 0)
    );
    assert!(p.cap_ambient.is_empty());
}

// ---- 4. umask ----

#[test]
fn the_apps_umask() {
    let mut plan = sample_plan();
    plan.umask = Some(0o027);
    let sys = RecordingSys::default();
    assert_eq!(run_plan(&plan, &sys), Outcome::Exec);
    let umasks: Vec<String> = sys
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("umask"))
        .collect();
    assert_eq!(umasks, vec!["umask 0", "umask 27"]);
    plan.umask = Some(0o1000);
    assert!(prepare(&plan, 40).is_err());
}

// ---- 5. domainname ----

#[test]
fn the_domainname_follows_the_hostname() {
    let mut plan = sample_plan();
    plan.domainname = Some("example.org".into());
    let sys = RecordingSys::default();
    assert_eq!(run_plan(&plan, &sys), Outcome::Exec);
    let calls = sys.calls();
    let at = pos(&calls, "setdomainname example.org");
    assert_eq!(calls[at - 1], "sethostname box");

    let sys = RecordingSys::default();
    sys.fail_all("setdomainname", libc::EPERM);
    assert_eq!(
        run_plan(&plan, &sys),
        failed(Step::Domainname, 0, libc::EPERM)
    );
    plan.domainname = Some("x".repeat(65));
    assert!(prepare(&plan, 40).is_err());
    // None by default.
    let sys = RecordingSys::default();
    run_plan(&sample_plan(), &sys);
    assert!(!has_prefix(&sys.calls(), "setdomainname"));
}

// ---- 6. rlimitsEarly ----

#[test]
fn early_rlimits_come_before_the_caps_are_dropped() {
    let first_drop = |calls: &[String]| {
        calls
            .iter()
            .position(|c| c.starts_with(&format!("prctl {} ", libc::PR_CAPBSET_DROP)))
            .unwrap()
    };
    let rlimit = format!(
        "setrlimit {} 64 {}",
        libc::RLIMIT_NOFILE,
        libc::RLIM_INFINITY
    );
    // Today's place: after the cwd, just before exec.
    let sys = RecordingSys::default();
    run_plan(&sample_plan(), &sys);
    let calls = sys.calls();
    assert!(pos(&calls, &rlimit) > pos(&calls, "getcwd"));

    let mut plan = sample_plan();
    plan.rlimits_early = Some(true);
    let sys = RecordingSys::default();
    assert_eq!(run_plan(&plan, &sys), Outcome::Exec);
    let calls = sys.calls();
    let at = pos(&calls, &rlimit);
    assert!(at > pos(&calls, "sethostname box"));
    assert!(at < first_drop(&calls));
    assert_eq!(calls.iter().filter(|c| **c == rlimit).count(), 1, "once");
    // A refused raise names its rlimit.
    let sys = RecordingSys::default();
    sys.fail_all("setrlimit", libc::EPERM);
    assert_eq!(run_plan(&plan, &sys), failed(Step::Rlimit, 0, libc::EPERM));
    assert!(!has_prefix(&sys.calls(), "setresuid"));
}

// ---- 7. joinNs ----

fn join(kind: &str, fd: i32) -> NamespaceJoin {
    NamespaceJoin {
        kind: kind.into(),
        fd,
    }
}

fn joining(kinds: &[(&str, i32)]) -> Plan {
    let mut plan = sample_plan();
    plan.namespaces
        .retain(|n| !kinds.iter().any(|(k, _)| k == n));
    plan.join_ns = Some(kinds.iter().map(|(k, fd)| join(k, *fd)).collect());
    plan
}

#[test]
fn namespaces_are_joined_in_the_given_order_first_thing() {
    let plan = joining(&[("ipc", 20), ("uts", 21), ("net", 22)]);
    let sys = RecordingSys::default();
    assert_eq!(run_plan(&plan, &sys), Outcome::Exec);
    let calls = sys.calls();
    assert_eq!(
        &calls[..6],
        &[
            format!("setns 20 {:#x}", libc::CLONE_NEWIPC),
            format!("setns 21 {:#x}", libc::CLONE_NEWUTS),
            format!("setns 22 {:#x}", libc::CLONE_NEWNET),
            "close 20".into(),
            "close 21".into(),
            "close 22".into(),
        ]
    );
    assert!(!has_prefix(&calls, "clone_sibling"), "no pid namespace");
    let p = prepared(&plan);
    assert_eq!(
        p.clone_flags,
        (libc::CLONE_NEWNS | libc::CLONE_NEWPID) as u64
    );
}

#[test]
fn netjoinfd_goes_through_the_same_list_first() {
    let mut plan = joining(&[("uts", 21)]);
    plan.namespaces.retain(|n| n != "net");
    plan.net_join_fd = Some(9);
    let sys = RecordingSys::default();
    assert_eq!(run_plan(&plan, &sys), Outcome::Exec);
    assert_eq!(
        &sys.calls()[..2],
        &[
            format!("setns 9 {:#x}", libc::CLONE_NEWNET),
            format!("setns 21 {:#x}", libc::CLONE_NEWUTS),
        ]
    );
}

#[test]
fn a_failed_setns_names_its_position() {
    let plan = joining(&[("ipc", 20), ("uts", 21)]);
    let sys = RecordingSys::default();
    sys.fail_nth("setns", 1, libc::EINVAL);
    assert_eq!(
        run_plan(&plan, &sys),
        failed(Step::JoinNs, 201, libc::EINVAL)
    );
    assert_eq!(sys.names(), vec!["setns", "setns"]);
}

#[test]
fn a_joined_pid_namespace_hands_the_set_up_to_a_sibling() {
    let plan = joining(&[("pid", 20), ("ipc", 21)]);
    let p = prepared(&plan);
    assert!(p.join_pid_ns);
    assert_eq!(p.clone_flags & libc::CLONE_NEWPID as u64, 0);
    // The first child: joins, clones, sends the sibling's pid and is done.
    let sys = RecordingSys::default();
    sys.set_fork_result(77);
    assert_eq!(run(&p, &sys, FDS), Outcome::Exit(0));
    let calls = sys.calls();
    let mut pid_msg = b"PID\0".to_vec();
    pid_msg.extend_from_slice(&77i32.to_le_bytes());
    assert_eq!(
        &calls[..],
        &[
            format!("setns 20 {:#x}", libc::CLONE_NEWPID),
            format!("setns 21 {:#x}", libc::CLONE_NEWIPC),
            "close 20".into(),
            "close 21".into(),
            "clone_sibling".into(),
            format!("write 3 {:?}", String::from_utf8_lossy(&pid_msg)),
        ][..]
    );
    // The sibling goes on with the set-up, inside.
    let sys = RecordingSys::default();
    sys.set_fork_result(0);
    assert_eq!(run(&p, &sys, FDS), Outcome::Exec);
    let calls = sys.calls();
    assert!(pos(&calls, "clone_sibling") < pos(&calls, "read 3"));
    // A clone that fails is JoinNs 99.
    let sys = RecordingSys::default();
    sys.fail_all("clone_sibling", libc::ENOMEM);
    assert_eq!(run(&p, &sys, FDS), failed(Step::JoinNs, 99, libc::ENOMEM));
}

#[test]
fn the_cgroups_are_joined_by_the_host_paths_before_a_joined_mount_namespace() {
    let mut plan = joining(&[("mount", 20)]);
    plan.cgroup_tasks = vec!["/sys/fs/cgroup/memory/lite/c/tasks".into()];
    let sys = RecordingSys::default();
    assert_eq!(run_plan(&plan, &sys), Outcome::Exec);
    let calls = sys.calls();
    assert!(
        pos(&calls, "open /sys/fs/cgroup/memory/lite/c/tasks 0x80001")
            < pos(&calls, &format!("setns 20 {:#x}", libc::CLONE_NEWNS)),
        "{calls:#?}"
    );
}

#[test]
fn joined_namespace_fds_survive_the_first_fd_sweep() {
    let plan = joining(&[("pid", 20), ("mount", 8)]);
    let sys = RecordingSys::default();
    close_unneeded_fds(&sys, &prepared(&plan), &FDS).unwrap();
    assert_eq!(
        sys.calls(),
        vec![
            "close_range 5 0x7 0",
            "close_range 9 0x13 0",
            "close_range 21 0x7ffffffe 0"
        ]
    );
}

#[test]
fn joins_are_checked() {
    // A kind made and joined.
    let mut plan = sample_plan();
    plan.join_ns = Some(vec![join("uts", 20)]);
    assert!(prepare(&plan, 40).is_err());
    // Twice, unknown, on stdio.
    for bad in [
        vec![join("ipc", 20), join("ipc", 21)],
        vec![join("time", 20)],
        vec![join("ipc", 2)],
    ] {
        let mut plan = joining(&[("ipc", 20)]);
        plan.join_ns = Some(bad);
        assert!(prepare(&plan, 40).is_err());
    }
    // netJoinFd and a "net" entry.
    let mut plan = joining(&[("net", 20)]);
    plan.net_join_fd = Some(9);
    assert!(prepare(&plan, 40).is_err());
    // With joinPid (lite exec).
    let mut plan = joining(&[("ipc", 20)]);
    plan.ops.clear();
    plan.join_pid = Some(4);
    assert!(prepare(&plan, 40).is_err());
}

// ---- 8. mountPrivate and rootPropagation; 9. rootEntry ----

#[test]
fn root_propagation_replaces_private_and_can_be_left_alone() {
    let root_mounts = |plan: &Plan| {
        let sys = RecordingSys::default();
        assert_eq!(run_plan(plan, &sys), Outcome::Exec);
        sys.calls()
            .into_iter()
            .filter(|c| c.starts_with("mount - / "))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        root_mounts(&sample_plan()),
        vec![format!(
            "mount - / - {:#x} -",
            libc::MS_REC | libc::MS_PRIVATE
        )]
    );
    let mut plan = sample_plan();
    plan.root_propagation = Some((libc::MS_REC | libc::MS_SLAVE) as u32);
    assert_eq!(
        root_mounts(&plan),
        vec![format!(
            "mount - / - {:#x} -",
            libc::MS_REC | libc::MS_SLAVE
        )]
    );
    let mut plan = sample_plan();
    plan.mount_private = Some(false);
    assert!(root_mounts(&plan).is_empty());
    plan.root_propagation = Some(libc::MS_SLAVE as u32);
    assert!(prepare(&plan, 40).is_err(), "contradictory");
}

fn entry_calls(plan: &Plan) -> Vec<String> {
    let sys = RecordingSys::default();
    assert_eq!(run_plan(plan, &sys), Outcome::Exec, "{:#?}", sys.calls());
    let calls = sys.calls();
    let from = pos(&calls, "chdir /run/lite/t/root");
    let to = pos(&calls, "chdir /");
    calls[from..=to].to_vec()
}

#[test]
fn the_ways_into_the_root() {
    assert_eq!(
        entry_calls(&sample_plan()),
        vec![
            "chdir /run/lite/t/root",
            "pivot_root . .",
            "umount2 . 2",
            "chdir /"
        ]
    );
    let mut plan = sample_plan();
    plan.root_entry = Some("move".into());
    assert_eq!(
        entry_calls(&plan),
        vec![
            "chdir /run/lite/t/root".to_string(),
            format!("mount . / - {:#x} -", libc::MS_MOVE),
            "chroot .".into(),
            "chdir /".into()
        ]
    );
    let mut plan = sample_plan();
    plan.root_entry = Some("chroot".into());
    assert_eq!(
        entry_calls(&plan),
        vec!["chdir /run/lite/t/root", "chroot .", "chdir /"]
    );
    let sys = RecordingSys::default();
    sys.fail_all("chroot", libc::EPERM);
    assert_eq!(
        run_plan(&plan, &sys),
        failed(Step::PivotRoot, 4, libc::EPERM)
    );
    plan.root_entry = Some("jump".into());
    assert!(prepare(&plan, 40).is_err());
}

/// A container with no mount namespace: a chroot into a prepared root, nothing mounted.
fn no_mount_ns() -> Plan {
    let mut plan = sample_plan();
    plan.namespaces.retain(|n| n != "mount");
    plan.ops.retain(|op| op.kind != "mount");
    plan.mount_private = Some(false);
    plan.root_entry = Some("chroot".into());
    plan
}

#[test]
fn without_a_mount_namespace_only_a_chroot_and_nothing_mounted() {
    let sys = RecordingSys::default();
    assert_eq!(run_plan(&no_mount_ns(), &sys), Outcome::Exec);
    let calls = sys.calls();
    assert!(!has_prefix(&calls, "mount"), "{calls:#?}");
    assert!(!has_prefix(&calls, "pivot_root"));
    assert!(calls.contains(&"chroot .".to_string()));

    let mut plan = no_mount_ns();
    plan.mount_private = None;
    assert!(prepare(&plan, 40).is_err(), "the host's propagation");
    let mut plan = no_mount_ns();
    plan.root_entry = None;
    assert!(prepare(&plan, 40).is_err(), "pivot_root of the host");
    let mut plan = no_mount_ns();
    plan.root_entry = Some("move".into());
    assert!(prepare(&plan, 40).is_err());
    let mut plan = no_mount_ns();
    plan.ops.push(FsOp {
        kind: "mount".into(),
        source: Some("proc".into()),
        target: "/run/lite/t/root/proc".into(),
        fstype: Some("proc".into()),
        ..Default::default()
    });
    assert!(prepare(&plan, 40).is_err(), "a mount on the host");
    // lite exec-style joins run no filesystem step: without "mount" they stay in
    // lite's mount namespace (an OCI createContainer hook).
    let mut hook = sample_plan();
    hook.ops.clear();
    hook.namespaces.retain(|n| n != "mount");
    hook.join_pid = Some(40);
    hook.stdin_fd = Some(9);
    let p = prepared(&hook);
    let sys = RecordingSys::default();
    assert_eq!(run(&p, &sys, FDS), Outcome::Exec);
    let calls = sys.calls();
    assert!(!has_prefix(&calls, "mount") && !has_prefix(&calls, "chroot"));
    assert!(calls.contains(&"dup3 9 0".to_string()));
    // A joined mount namespace is one of its own: pivot_root and mounts are fine.
    let mut plan = joining(&[("mount", 20)]);
    plan.mount_private = None;
    assert_eq!(prepared(&plan).clone_flags & libc::CLONE_NEWNS as u64, 0);
}

// ---- 10. stdinFd ----

#[test]
fn the_stdin_fd_becomes_fd_0() {
    let mut plan = sample_plan();
    plan.stdin_fd = Some(9);
    let sys = RecordingSys::default();
    assert_eq!(run_plan(&plan, &sys), Outcome::Exec);
    let calls = sys.calls();
    let at = pos(&calls, "dup3 9 0");
    assert_eq!(calls[at + 1], "close 9");
    assert!(!calls.contains(&"dup3 4 0".to_string()), "not /dev/null");

    let sys = RecordingSys::default();
    sys.fail_all("dup3", libc::EBADF);
    assert_eq!(run_plan(&plan, &sys), failed(Step::Stdio, 7, libc::EBADF));

    plan.tty = true;
    assert!(prepare(&plan, 40).is_err());
}

// ---- the cwd under an early filter ----

#[test]
fn without_no_new_privs_the_cwd_is_entered_before_the_filter() {
    // A filter installed early (no no_new_privs) may refuse getcwd, which the cwd's
    // check inside the root uses: the cwd is entered, and checked, first.
    let mut plan = with_filter(sample_plan());
    plan.no_new_privs = false;
    let p = prepared(&plan);
    let sys = RecordingSys::default();
    assert_eq!(run(&p, &sys, FDS), Outcome::Exec);
    let calls = sys.calls();
    let seccomp = calls.iter().position(|c| c.starts_with("seccomp")).unwrap();
    let chdirs: Vec<usize> = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| c.starts_with("fchdir"))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(chdirs.len(), 1, "entered once: {calls:#?}");
    assert!(chdirs[0] < seccomp, "{calls:#?}");
}

#[test]
fn an_oci_mask_may_cover_a_path_on_any_filesystem() {
    let mut plan = sample_plan();
    plan.ops.push(FsOp {
        kind: "mask".into(),
        target: "/masked-dir".into(),
        after_pivot: true,
        resolve: Some("strict".into()),
        mask_anywhere: Some(true),
        ..Default::default()
    });
    let p = prepared(&plan);
    let sys = RecordingSys::default();
    assert_eq!(run(&p, &sys, FDS), Outcome::Exec);
    assert!(
        !sys.calls().iter().any(|c| c.starts_with("fstatfs")),
        "{:#?}",
        sys.calls()
    );
}

// ---- --preserve-fds ----

#[test]
fn preserved_fds_stay_open_and_lose_close_on_exec() {
    let mut plan = sample_plan();
    plan.preserve_fds = Some(2);
    let p = prepared(&plan);
    let sys = RecordingSys::default();
    // lite's own fds sit above the preserved 3 and 4
    let fds = ChildFds {
        sock: 10,
        devnull: 11,
        ..FDS
    };
    assert_eq!(run(&p, &sys, fds), Outcome::Exec);
    let calls = sys.calls();
    assert!(
        calls.iter().any(|c| c == "close_range 5 0xffffffff 4"),
        "{calls:#?}"
    );
    assert!(
        calls
            .iter()
            .any(|c| c == &format!("fcntl 3 {} 0", libc::F_SETFD)),
        "{calls:#?}"
    );
    assert!(
        calls
            .iter()
            .any(|c| c == &format!("fcntl 4 {} 0", libc::F_SETFD)),
        "{calls:#?}"
    );
}

#[test]
fn a_preserved_fd_may_not_be_one_of_lites_own() {
    let mut plan = sample_plan();
    plan.preserve_fds = Some(8);
    let p = prepared(&plan);
    let sys = RecordingSys::default();
    assert!(
        close_unneeded_fds(&sys, &p, &FDS).is_err(),
        "the handshake socket is fd 3"
    );
    plan.ready_wait_fd = Some(5);
    assert!(crate::plan::prepare(&plan, 40).is_err());
}

#[test]
fn a_device_node_gets_its_owner() {
    let mut plan = sample_plan();
    plan.ops.push(FsOp {
        kind: "mknod".into(),
        target: "/dev/fuse".into(),
        mode: libc::S_IFCHR | 0o660,
        major: 10,
        minor: 229,
        resolve: Some("strict".into()),
        uid: Some(1000),
        gid: Some(5),
        ..Default::default()
    });
    let p = prepared(&plan);
    let sys = RecordingSys::default();
    assert_eq!(run(&p, &sys, FDS), Outcome::Exec);
    let calls = sys.calls();
    let mknod = calls
        .iter()
        .position(|c| c.starts_with("mknod") && c.contains("/dev/fuse"))
        .unwrap();
    assert!(
        calls[mknod + 1].starts_with("chown") && calls[mknod + 1].ends_with("/dev/fuse 1000:5"),
        "{calls:#?}"
    );
}
