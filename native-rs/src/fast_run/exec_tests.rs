use super::super::entry::EXEC_MAGIC;
use super::*;

fn record(key: &str, value: &str) -> String {
    format!("{key} {}\n{value}\n", value.len())
}

const PLAN: &str = r#"{"namespaces":["mount","pid","net"],"ops":[],"newRoot":"/run/lite/c/root","loopbackUp":false,"netSocket":false,"execCandidates":["/bin/true"],"argv":["/bin/true"],"env":["PATH=/usr/bin:/bin","HOME=/"],"cwd":"/srv","uid":0,"gid":0,"groups":[],"caps":[0,1],"noNewPrivs":true,"rlimits":[],"stubInit":false,"tty":false,"stdin":false,"cgroupTasks":["/sys/fs/cgroup/pids/lite/c/tasks"],"seccompFilter":[6,0,0,2147418112],"joinPid":4242,"joinSetgroupsDenied":false}"#;

fn entry_text(replace: &[(&str, &str)]) -> String {
    let mut t = String::from_utf8(EXEC_MAGIC.to_vec()).unwrap();
    for (k, v) in [
        ("build", "b1"),
        ("kernel", "6.1"),
        ("host", "abc"),
        ("input", "/etc/c.ini\0-"),
        ("name", "c"),
        ("state_dir", "/run/lite/c"),
        ("pid", "4242"),
        ("pid_start", "777"),
        ("plan", PLAN),
        ("spec", "name c\nexec_only 1\nlite /usr/bin/lite\n"),
    ] {
        let v = replace
            .iter()
            .find(|(rk, _)| *rk == k)
            .map_or(v, |(_, rv)| *rv);
        if !v.is_empty() {
            t.push_str(&record(k, v));
        }
    }
    t
}

#[test]
fn an_exec_entry_reads_back() {
    let e = parse_exec(entry_text(&[]).as_bytes()).unwrap();
    assert_eq!((e.pid, e.pid_start), (4242, 777));
    assert_eq!(e.plan.join_pid, Some(4242));
    assert_eq!(e.plan.join_setgroups_denied, Some(false));
    assert_eq!(e.plan.namespaces, vec!["mount", "pid", "net"]);
    assert_eq!(e.inputs, vec![("/etc/c.ini".to_string(), "-".to_string())]);
    assert_eq!(e.v2, None);
}

#[test]
fn a_damaged_or_foreign_exec_entry_is_refused() {
    let whole = entry_text(&[]);
    for cut in [5, whole.len() / 2, whole.len() - 1] {
        assert!(
            parse_exec(&whole.as_bytes()[..cut]).is_err(),
            "cut at {cut}"
        );
    }
    // A run's entry is not an exec's, and the other way round.
    assert_eq!(
        super::super::entry::parse(whole.as_bytes()).unwrap_err(),
        "not a fast entry"
    );
    let cases: [(&[(&str, &str)], &str); 6] = [
        (&[("pid", "")], "no pid"),
        (&[("pid", "x")], "pid is not a number"),
        (&[("spec", "")], "no spec"),
        (
            &[("plan", &PLAN.replace("4242", "4243"))],
            "the plan joins another process",
        ),
        (
            &[(
                "plan",
                &PLAN.replace(r#""ops":[]"#, r#""ops":[{"kind":"mask","target":"/x"}]"#),
            )],
            "the plan makes a container",
        ),
        (
            &[("plan", &PLAN.replace(r#""tty":false"#, r#""tty":true"#))],
            "the plan has tty",
        ),
    ];
    for (replace, why) in cases {
        assert_eq!(parse_exec(entry_text(replace).as_bytes()).unwrap_err(), why);
    }
    let unknown = entry_text(&[]) + &record("hook", "x");
    assert_eq!(
        parse_exec(unknown.as_bytes()).unwrap_err(),
        "unknown record hook"
    );
}

#[test]
fn a_run_entry_never_joins_a_process() {
    let text = String::from_utf8(super::super::entry::MAGIC.to_vec()).unwrap()
        + &[
            ("build", "b1"),
            ("config", "/etc/c.ini"),
            ("state_root", "/run/lite"),
            ("kernel", "6.1"),
            ("host", "abc"),
            ("name", "c"),
            ("state_dir", "/run/lite/c"),
            ("plan", PLAN),
            ("state", "name=c\n"),
            ("spec", "name c\n"),
        ]
        .iter()
        .map(|(k, v)| record(k, v))
        .collect::<String>();
    assert_eq!(
        super::super::entry::parse(text.as_bytes()).unwrap_err(),
        "the plan joins a process"
    );
}

#[test]
fn the_candidates_are_exec_paths() {
    let env = |path: &str| vec!["PATH=/nope".to_string(), format!("PATH={path}")];
    // Cases plan/exec-path.ts's unit test holds against posix.resolve.
    let cases: [(&str, &str, &str, &[&str]); 7] = [
        ("ps", "/usr/bin:/bin", "/", &["/usr/bin/ps", "/bin/ps"]),
        ("ps", "/bin:/bin/:/usr/../bin", "/", &["/bin/ps"]),
        ("ps", "bin::", "/srv", &["/srv/bin/ps", "/srv/ps"]),
        ("./run.sh", "/bin", "/srv/app", &["/srv/app/run.sh"]),
        ("../x/y", "/bin", "/srv/app/", &["/srv/x/y"]),
        ("/abs/../cmd", "/bin", "/srv", &["/cmd"]),
        ("sh", "/a/../../b", "/", &["/b/sh"]),
    ];
    for (cmd, path, cwd, want) in cases {
        assert_eq!(
            exec_candidates(cmd, &env(path), cwd),
            want,
            "{cmd} {path} {cwd}"
        );
    }
    // No PATH: the working directory alone.
    assert_eq!(exec_candidates("ps", &[], "/srv"), vec!["/srv/ps"]);
}

#[test]
fn the_spec_gets_this_lite() {
    assert_eq!(
        spec_text(
            "name c\nlite /old/lite\nstate_dir /run/lite/c\n",
            "/usr/bin/lite"
        ),
        "name c\nlite /usr/bin/lite\nstate_dir /run/lite/c\n"
    );
}

fn exec_args(entry: &str, name: &str, cmd: &[&str]) -> ExecArgs {
    ExecArgs {
        lite: "/bin/false".into(),
        build: "b1".into(),
        entry: entry.into(),
        name: name.into(),
        cmd: cmd.iter().map(|s| s.to_string()).collect(),
        addon_dir: "/tmp".into(),
        trace: None,
    }
}

fn exec_miss(a: &ExecArgs) -> String {
    match exec(a) {
        NotRun::Miss(why) => why,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_exec_checks_before_anything_is_made() {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = std::env::temp_dir().join(format!("lite-fast-exec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let entry = dir.join("exec.fast");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&entry)
        .unwrap();
    std::io::Write::write_all(&mut f, entry_text(&[]).as_bytes()).unwrap();
    let entry = entry.to_string_lossy().into_owned();
    assert!(exec_miss(&exec_args("/nonexistent/exec.fast", "c", &["ps"])).starts_with("no entry"));
    assert_eq!(exec_miss(&exec_args(&entry, "c", &[""])), "no command");
    assert_eq!(
        exec_miss(&exec_args(&entry, "d", &["ps"])),
        "another container"
    );
    let mut other_build = exec_args(&entry, "c", &["ps"]);
    other_build.build = "b2".into();
    assert_eq!(exec_miss(&other_build), "another build");
    assert_eq!(
        exec_miss(&exec_args(&entry, "c", &["ps"])),
        "another kernel"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
