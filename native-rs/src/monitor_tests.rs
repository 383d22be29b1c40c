//! The monitor's spec parsing, text helpers, restart policy and health checks, run with
//! std.

use crate::health::{Health, HealthState, Transition};
use crate::monitor::MONITOR;
use crate::policy::{
    next_restart, restart_request, Ended, Request, FIRST_BACKOFF_MS, MAX_BACKOFF_MS,
};
use crate::spec::{parse, LogTarget, Restart, SpecError};
use crate::text::{keyed_value, parse_hex, parse_int, Buf};

#[test]
fn the_monitor_is_a_small_static_elf_for_this_arch() {
    assert_eq!(&MONITOR[..4], b"\x7fELF");
    // The goal of DESIGN.md §6: at most 64 KB.
    assert!(MONITOR.len() <= 64 * 1024, "{} bytes", MONITOR.len());
    // No PT_INTERP: it needs no dynamic loader and no libc on the board.
    let phoff = u64::from_le_bytes(MONITOR[32..40].try_into().unwrap()) as usize;
    let phentsize = u16::from_le_bytes(MONITOR[54..56].try_into().unwrap()) as usize;
    let phnum = u16::from_le_bytes(MONITOR[56..58].try_into().unwrap()) as usize;
    for i in 0..phnum {
        let p_type = u32::from_le_bytes(MONITOR[phoff + i * phentsize..][..4].try_into().unwrap());
        assert_ne!(p_type, 3, "PT_INTERP found");
    }
}

#[test]
fn spec_lines_become_fields_and_lists() {
    let text = b"name web\nstate_dir /run/lite/web\npid 42\npidfd 5\nlock_fd 4\nstop_signal 2\n\
stop_timeout_ms 3000\nrestart on-failure\nrestart_max 3\nrestarts 1\nbackoff_ms 200\n\
lite /usr/bin/lite\narg run\narg /etc/lite/web.ini\ncgroup /sys/fs/cgroup/memory/lite/web\n\
cgroup /sys/fs/cgroup/pids/lite/web\nhook a.ini:3\x1f/bin/echo\x1fhi\nlog_target file\n\
log_size 65536\nlog_fd 7\nstate name=web\nstate detached=1\nkeep_state 1\nfuture_key 1\n";
    let s = parse(text).unwrap();
    assert_eq!(s.name, b"web");
    assert_eq!((s.pid, s.pidfd, s.lock_fd, s.stop_signal), (42, 5, 4, 2));
    assert_eq!(s.stop_timeout_ms, 3000);
    assert_eq!(
        (s.restart, s.restart_max, s.restarts, s.backoff_ms),
        (Restart::OnFailure, 3, 1, 200)
    );
    assert_eq!(
        s.args.iter().collect::<Vec<_>>(),
        vec![&b"run"[..], b"/etc/lite/web.ini"]
    );
    assert_eq!(s.cgroups.iter().count(), 2);
    assert_eq!(
        s.hooks.iter().next().unwrap(),
        b"a.ini:3\x1f/bin/echo\x1fhi"
    );
    assert_eq!(
        (s.log_target, s.log_size, s.log_fd),
        (LogTarget::File, 65536, 7)
    );
    assert!(s.keep_state);
    assert_eq!(s.state.iter().count(), 2);
}

#[test]
fn nul_terminated_values_parse_the_same() {
    // The monitor turns newlines into NULs so that values can go to execve as they are.
    let s = parse(b"name a\0state_dir /x\0pid 3\0").unwrap();
    assert_eq!((s.name, s.state_dir, s.pid), (&b"a"[..], &b"/x"[..], 3));
}

#[test]
fn claim_fds_are_numbers_above_stdio_and_not_the_monitors_own() {
    let s = parse(
        b"name a\nstate_dir /x\npid 3\nlock_fd 7\nclaim_fd 9\nclaim_fd 7\nclaim_fd 12\n\
          release lite\x1fnet-release\x1fa\n",
    )
    .unwrap();
    assert_eq!(s.claim_fds().collect::<Vec<_>>(), vec![9, 12]);
    assert_eq!(s.release, b"lite\x1fnet-release\x1fa");
    for bad in ["0", "2", "-1", "x", "2147483648", ""] {
        let text = format!("name a\nstate_dir /x\npid 3\nclaim_fd {bad}\n");
        assert_eq!(
            parse(text.as_bytes()).err(),
            Some(SpecError::Line(4)),
            "{bad:?}"
        );
    }
}

#[test]
fn bad_specs_name_the_line_or_the_missing_key() {
    assert_eq!(
        parse(b"name a\nstate_dir /x\npid x\n").err(),
        Some(SpecError::Line(3))
    );
    assert_eq!(
        parse(b"name a\nrestart sometimes\n").err(),
        Some(SpecError::Line(2))
    );
    assert_eq!(parse(b"novalue\n").err(), Some(SpecError::Line(1)));
    assert_eq!(
        parse(b"name a\nstate_dir /x\n").err(),
        Some(SpecError::Missing("pid"))
    );
    assert_eq!(parse(b"pid 3\n").err(), Some(SpecError::Missing("name")));
}

#[test]
fn text_helpers() {
    let mut b = Buf::<16>::new();
    b.push(b"x=").num(-120).push(b"/").num(0);
    assert_eq!(b.as_bytes(), b"x=-120/0");
    b.push(b"0123456789");
    assert!(b.overflowed && b.len() == 16);
    assert_eq!(parse_int(b"123"), Some(123));
    assert_eq!(parse_int(b"-7"), Some(-7));
    assert_eq!(parse_int(b""), None);
    assert_eq!(parse_int(b"1x"), None);
    let mut out = [0u8; 4];
    assert_eq!(parse_hex(b"00ff7a", &mut out), Some(3));
    assert_eq!(&out[..3], &[0, 255, 0x7a]);
    assert_eq!(parse_hex(b"0g", &mut out), None);
    assert_eq!(
        keyed_value(b"low 0\nhigh 0\noom 2\noom_kill 1\n", b"oom_kill"),
        Some(1)
    );
    assert_eq!(
        keyed_value(b"oom_kill_disable 0\nunder_oom 0\n", b"oom_kill"),
        None
    );
}

fn ended(code: i32, stop: bool, ran_ms: i64) -> Ended {
    Ended {
        exit_code: code,
        stop_requested: stop,
        restart_requested: false,
        ran_ms,
    }
}

#[test]
fn a_restart_request_restarts_at_once_whatever_the_policy_and_its_limit() {
    let asked = |code, stop| Ended {
        restart_requested: true,
        ..ended(code, stop, 50)
    };
    for policy in [Restart::No, Restart::OnFailure, Restart::Always] {
        assert_eq!(next_restart(policy, 0, 0, 0, &asked(0, false)), Some(0));
        assert_eq!(next_restart(policy, 0, 0, 0, &asked(143, false)), Some(0));
        // on-failure:2 used up, and a back-off under way: neither holds it back.
        assert_eq!(
            next_restart(policy, 2, 2, MAX_BACKOFF_MS, &asked(1, false)),
            Some(0)
        );
        // A stop request meanwhile wins.
        assert_eq!(next_restart(policy, 0, 0, 0, &asked(143, true)), None);
    }
}

#[test]
fn a_restart_request_stops_a_running_container_once() {
    // (stop requested, restart requested, stopping unhealthy)
    assert_eq!(restart_request(false, false, false), Request::Stop);
    assert_eq!(
        restart_request(true, false, false),
        Request::Ignore,
        "a stop request came first"
    );
    assert_eq!(
        restart_request(false, true, false),
        Request::Ignore,
        "one is under way"
    );
    assert_eq!(restart_request(false, true, true), Request::Ignore);
    assert_eq!(restart_request(true, false, true), Request::Ignore);
    // Already being stopped for being unhealthy: no second stop signal, the restart
    // just comes at once.
    assert_eq!(restart_request(false, false, true), Request::Join);
}

#[test]
fn restart_policy_follows_docker() {
    let crash = ended(1, false, 50);
    assert_eq!(next_restart(Restart::No, 0, 0, 0, &crash), None);
    assert_eq!(
        next_restart(Restart::OnFailure, 0, 0, 0, &crash),
        Some(FIRST_BACKOFF_MS)
    );
    assert_eq!(
        next_restart(Restart::OnFailure, 0, 0, 0, &ended(0, false, 50)),
        None
    );
    assert_eq!(
        next_restart(Restart::Always, 0, 0, 0, &ended(0, false, 50)),
        Some(FIRST_BACKOFF_MS)
    );
    // A stop request is never undone by a restart.
    assert_eq!(
        next_restart(Restart::Always, 0, 0, 0, &ended(143, true, 50)),
        None
    );
    // on-failure:3 gives up after three restarts.
    assert_eq!(
        next_restart(Restart::OnFailure, 3, 2, 100, &crash),
        Some(200)
    );
    assert_eq!(next_restart(Restart::OnFailure, 3, 3, 200, &crash), None);
}

#[test]
fn back_off_doubles_and_starts_over_after_a_stable_run() {
    let crash = ended(1, false, 50);
    let mut delay = 0;
    let mut seen = vec![];
    for n in 0..10 {
        delay = next_restart(Restart::Always, 0, n, delay, &crash).unwrap();
        seen.push(delay);
    }
    assert_eq!(&seen[..4], &[100, 200, 400, 800]);
    assert_eq!(*seen.last().unwrap(), MAX_BACKOFF_MS);
    assert_eq!(
        next_restart(
            Restart::Always,
            0,
            10,
            MAX_BACKOFF_MS,
            &ended(1, false, 60_000)
        ),
        Some(FIRST_BACKOFF_MS)
    );
}

#[test]
fn a_signal_noted_before_the_monitor_comes_in_the_spec() {
    let s = parse(b"name a\nstate_dir /x\npid 3\npending_signal 15\n").unwrap();
    assert_eq!(s.pending_signal, 15);
    assert_eq!(
        parse(b"name a\nstate_dir /x\npid 3\n")
            .unwrap()
            .pending_signal,
        0
    );
}

#[test]
fn claim_paths_and_the_nft_release_are_read() {
    let s = parse(
        b"name a\nstate_dir /x\npid 3\nclaim_fd 9\nclaim /run/lite/.net/lite0@1/10.88.0.2\n\
          nft_release 0a0b\nrelease lite\x1fnet-release\x1fa\n",
    )
    .unwrap();
    assert_eq!(
        s.claim_paths.iter().collect::<Vec<_>>(),
        vec![&b"/run/lite/.net/lite0@1/10.88.0.2"[..]]
    );
    assert_eq!(s.claim_paths.count(), 1);
    assert_eq!(s.nft_release, b"0a0b");
    // A claim is an absolute path.
    assert_eq!(
        parse(b"name a\nstate_dir /x\npid 3\nclaim run/x\n").err(),
        Some(SpecError::Line(4))
    );
    // The release is decoded when used: too long or malformed is a fallback, not an error.
    let mut out = [0u8; crate::nlrelease::RELEASE_MAX];
    let long = "00".repeat(crate::nlrelease::RELEASE_MAX + 1);
    assert_eq!(parse_hex(long.as_bytes(), &mut out), None);
    assert_eq!(parse_hex(b"0A", &mut out), None);
}

#[test]
fn health_keys_are_read_with_docker_defaults() {
    let s = parse(b"name a\nstate_dir /x\npid 3\n").unwrap();
    assert_eq!(s.health_cmd, b"");
    assert_eq!(
        (
            s.health_interval_ms,
            s.health_timeout_ms,
            s.health_retries,
            s.health_start_period_ms,
            s.health_restart
        ),
        (30_000, 30_000, 3, 0, false)
    );
    let s = parse(
        b"name a\nstate_dir /x\npid 3\nhealth_cmd /usr/bin/lite\x1fexec\x1fa\x1f--\x1ftrue\n\
          health_interval_ms 500\nhealth_timeout_ms 200\nhealth_retries 2\n\
          health_start_period_ms 1000\nhealth_on_unhealthy restart\n",
    )
    .unwrap();
    assert_eq!(
        s.health_cmd.split(|&c| c == 0x1f).collect::<Vec<_>>(),
        vec![&b"/usr/bin/lite"[..], b"exec", b"a", b"--", b"true"]
    );
    assert_eq!(
        (
            s.health_interval_ms,
            s.health_timeout_ms,
            s.health_retries,
            s.health_start_period_ms,
            s.health_restart
        ),
        (500, 200, 2, 1000, true)
    );
    let none = parse(b"name a\nstate_dir /x\npid 3\nhealth_on_unhealthy none\n").unwrap();
    assert!(!none.health_restart);
    assert_eq!(
        parse(b"name a\nstate_dir /x\npid 3\nhealth_on_unhealthy stop\n").err(),
        Some(SpecError::Line(4))
    );
    assert_eq!(
        parse(b"name a\nstate_dir /x\npid 3\nhealth_retries three\n").err(),
        Some(SpecError::Line(4))
    );
}

/// A check that passed or failed (exit 1), `at` ms after the start; start period 1 s,
/// 3 retries.
fn check(h: &mut HealthState, passed: bool, at: i64) -> Transition {
    h.on_result(passed, if passed { 0 } else { 1 }, 5, at, 1000, 3)
}

#[test]
fn failures_in_the_start_period_do_not_count_while_starting() {
    let mut h = HealthState::new();
    assert_eq!(h.status, Health::Starting);
    for at in [0, 300, 600, 900] {
        assert_eq!(check(&mut h, false, at), Transition::None);
    }
    assert_eq!((h.status, h.streak, h.checks), (Health::Starting, 0, 4));
    // After it, they do.
    assert_eq!(check(&mut h, false, 1000), Transition::None);
    assert_eq!(check(&mut h, false, 1300), Transition::None);
    assert_eq!(h.streak, 2);
    assert_eq!(check(&mut h, false, 1600), Transition::BecameUnhealthy);
    assert_eq!((h.status, h.streak, h.checks), (Health::Unhealthy, 3, 7));
    assert_eq!(h.status.text(), b"unhealthy");
}

#[test]
fn a_pass_makes_it_healthy_and_resets_the_streak() {
    let mut h = HealthState::new();
    // A pass in the start period counts: healthy at once.
    assert_eq!(check(&mut h, true, 100), Transition::BecameHealthy);
    assert_eq!((h.status, h.last_exit, h.last_ms), (Health::Healthy, 0, 5));
    // Once healthy, the start period no longer protects it.
    assert_eq!(check(&mut h, false, 200), Transition::None);
    assert_eq!(check(&mut h, false, 300), Transition::None);
    assert_eq!((h.status, h.streak, h.last_exit), (Health::Healthy, 2, 1));
    assert_eq!(check(&mut h, true, 400), Transition::None);
    assert_eq!(h.streak, 0);
    for at in [500, 600] {
        assert_eq!(check(&mut h, false, at), Transition::None);
    }
    assert_eq!(check(&mut h, false, 700), Transition::BecameUnhealthy);
    // More failures change nothing but the count.
    assert_eq!(check(&mut h, false, 800), Transition::None);
    assert_eq!((h.status, h.streak, h.checks), (Health::Unhealthy, 4, 8));
    // A timeout is a failure with exit -1.
    assert_eq!(
        h.on_result(false, -1, 30_000, 900, 1000, 3),
        Transition::None
    );
    assert_eq!((h.last_exit, h.last_ms), (-1, 30_000));
    assert_eq!(check(&mut h, true, 1000), Transition::Recovered);
    assert_eq!((h.status, h.streak), (Health::Healthy, 0));
    assert_eq!(h.status.text(), b"healthy");
    assert_eq!(Health::Starting.text(), b"starting");
}

#[test]
fn one_retry_makes_the_first_counted_failure_unhealthy() {
    let mut h = HealthState::new();
    assert_eq!(
        h.on_result(false, 137, 5, 0, 0, 1),
        Transition::BecameUnhealthy
    );
}
