use super::entry::{parse, plan_from_json, MAGIC};
use super::*;

fn record(key: &str, value: &str) -> String {
    format!("{key} {}\n{value}\n", value.len())
}

const PLAN: &str = r#"{"namespaces":["mount","pid"],"ops":[{"kind":"mount","source":"/r","target":"/run/lite/c/root","flags":20480,"optional":false,"mode":0,"major":0,"minor":0,"afterPivot":false}],"newRoot":"/run/lite/c/root","hostname":"c","loopbackUp":true,"netSocket":false,"execCandidates":["/bin/true"],"argv":["/bin/true"],"env":["PATH=/bin"],"cwd":"/","uid":0,"gid":0,"groups":[],"caps":[0,1],"noNewPrivs":true,"rlimits":[{"resource":7,"soft":64,"hard":128}],"stubInit":false,"tty":false,"stdin":false,"cgroupTasks":["/sys/fs/cgroup/pids/lite/c/tasks"],"seccompFilter":[6,0,0,2147418112]}"#;

fn entry_text(extra: &str) -> String {
    let mut t = String::from_utf8(MAGIC.to_vec()).unwrap();
    for (k, v) in [
        ("build", "b1"),
        ("config", "/etc/c.ini"),
        ("state_root", "/run/lite"),
        ("kernel", "6.1"),
        ("host", "abc"),
        ("input", "/etc/c.ini\0-"),
        ("name", "c"),
        ("state_dir", "/run/lite/c"),
        ("plan", PLAN),
        ("cgroup", "/sys/fs/cgroup/pids/lite/c"),
        ("write", "/sys/fs/cgroup/pids/lite/c/pids.max\x0064"),
        ("file", "/run/lite/c/etc/hosts\x00127.0.0.1 localhost\n"),
        ("state", "name=c\nstatus=starting\n"),
        ("spec", "name c\nlock_fd 9\n"),
    ] {
        t.push_str(&record(k, v));
    }
    t.push_str(extra);
    t
}

#[test]
fn an_entry_reads_back() {
    let e = parse(entry_text("").as_bytes()).unwrap();
    assert_eq!(e.build, "b1");
    assert_eq!(e.inputs, vec![("/etc/c.ini".to_string(), "-".to_string())]);
    assert_eq!(e.plan.argv, vec!["/bin/true"]);
    assert_eq!(e.plan.ops[0].flags, 20480);
    assert_eq!(e.plan.rlimits[0].hard, 128);
    assert_eq!(
        e.plan.seccomp_filter.as_deref(),
        Some(&[6, 0, 0, 2147418112][..])
    );
    assert_eq!(e.writes[0].1, "64");
    // A value may hold newlines: records are counted, not split on lines.
    assert_eq!(e.files[0].1, "127.0.0.1 localhost\n");
}

#[test]
fn a_damaged_entry_is_refused() {
    let good = entry_text("");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        (
            "other magic",
            good.replacen("lite-fast 1", "lite-fast 2", 1).into_bytes(),
        ),
        ("cut short", good.as_bytes()[..good.len() - 5].to_vec()),
        (
            "unknown record",
            entry_text(&record("other", "x")).into_bytes(),
        ),
        ("bad length", entry_text("spec x\n").into_bytes()),
        (
            "no newline after a value",
            entry_text("spec 1\nab").into_bytes(),
        ),
        (
            "a pair without NUL",
            entry_text(&record("write", "no-nul")).into_bytes(),
        ),
        ("no plan", good.replacen("plan ", "nope ", 1).into_bytes()),
    ];
    for (what, bytes) in cases {
        assert!(parse(&bytes).is_err(), "{what} was accepted");
    }
    let no_build = good.replacen(&record("build", "b1"), "", 1);
    assert_eq!(parse(no_build.as_bytes()).unwrap_err(), "no build");
}

#[test]
fn a_plan_field_the_fast_run_does_not_take_refuses_the_plan() {
    let base: serde_json::Value = serde_json::from_str(PLAN).unwrap();
    for (key, value) in [
        ("loopImage", serde_json::json!("/img.squashfs")),
        ("userNs", serde_json::json!({"uidMap": []})),
        ("netJoinFd", serde_json::json!(5)),
        ("noParentDeath", serde_json::json!(true)),
    ] {
        let mut v = base.clone();
        v[key] = value;
        let err = plan_from_json(&v.to_string()).unwrap_err();
        assert!(err.contains(key), "{key}: {err}");
    }
    for key in ["netSocket", "tty", "stdin"] {
        let mut v = base.clone();
        v[key] = serde_json::json!(true);
        assert!(plan_from_json(&v.to_string()).is_err(), "{key}");
    }
    let mut v = base.clone();
    v["ops"][0]["idmap"] = serde_json::json!(true);
    assert!(plan_from_json(&v.to_string())
        .unwrap_err()
        .contains("idmap"));
    let mut v = base.clone();
    v["uid"] = serde_json::json!(-1);
    assert!(plan_from_json(&v.to_string()).is_err());
    let mut v = base;
    v["caps"] = serde_json::json!(["CHOWN"]);
    assert!(plan_from_json(&v.to_string()).is_err());
}

#[test]
fn a_plan_reads_its_fields_and_takes_null_for_unset() {
    let p = plan_from_json(PLAN).unwrap();
    assert_eq!(p.namespaces, ["mount", "pid"]);
    assert_eq!(p.ops.len(), 1);
    assert_eq!(p.ops[0].flags, 20480);
    assert_eq!(p.ops[0].source.as_deref(), Some("/r"));
    assert_eq!(
        (p.rlimits[0].resource, p.rlimits[0].soft, p.rlimits[0].hard),
        (7, 64, 128)
    );
    assert_eq!(p.seccomp_filter, Some(vec![6, 0, 0, 2147418112]));
    assert!(p.no_new_privs && p.loopback_up && !p.stub_init);
    // plan/types.ts writes null (or leaves out) what is unset
    let mut v: serde_json::Value = serde_json::from_str(PLAN).unwrap();
    for key in [
        "hostname",
        "seccompFilter",
        "rlimits",
        "oomScoreAdj",
        "joinPid",
    ] {
        v[key] = serde_json::Value::Null;
    }
    v["ops"][0]["source"] = serde_json::Value::Null;
    let p = plan_from_json(&v.to_string()).unwrap();
    assert!(p.hostname.is_none() && p.seccomp_filter.is_none() && p.rlimits.is_empty());
    assert!(p.ops[0].source.is_none() && p.join_pid.is_none());
    for (key, why) in [
        ("newRoot", "the plan has no newRoot"),
        ("cwd", "the plan has no cwd"),
    ] {
        let mut v: serde_json::Value = serde_json::from_str(PLAN).unwrap();
        v.as_object_mut().unwrap().remove(key);
        assert_eq!(plan_from_json(&v.to_string()).unwrap_err(), why);
    }
    let mut v: serde_json::Value = serde_json::from_str(PLAN).unwrap();
    v["ops"][0].as_object_mut().unwrap().remove("kind");
    assert_eq!(
        plan_from_json(&v.to_string()).unwrap_err(),
        "an op has no kind"
    );
    assert!(plan_from_json("[]").is_err());
    for bad in [
        "{\"ops\":{}}",
        "{\"uid\":1.5}",
        "{\"argv\":[1]}",
        "{\"rlimits\":[{\"resource\":1}]}",
    ] {
        assert!(
            plan_from_json(bad).unwrap_err().starts_with("plan: "),
            "{bad}"
        );
    }
}

fn values(pid: Option<i32>) -> RunValues {
    RunValues {
        lite: "/usr/bin/lite".into(),
        pid,
        pid_start: pid.map(|_| 4242),
        monitor_pid: 77,
        started: 1700000000,
        lock_fd: 5,
    }
}

#[test]
fn the_state_gets_this_runs_values() {
    let template = "name=c\nconfig=/etc/c.ini\nlite=/old/lite\ndetached=0\nstatus=running\npid=1\npid_start=2\nmonitor_pid=3\nstarted=4\nfinished=\nexit_code=\nrestarts=0\nlog=\nstop_timeout=10\nlock_fd=9\n";
    let starting = state_text(template, &values(None));
    assert_eq!(
        starting,
        "name=c\nconfig=/etc/c.ini\nlite=/usr/bin/lite\ndetached=0\nstatus=starting\npid=\npid_start=\nmonitor_pid=77\nstarted=1700000000\nfinished=\nexit_code=\nrestarts=0\nlog=\nstop_timeout=10\nlock_fd=5\n"
    );
    let running = state_text(template, &values(Some(300)));
    assert!(
        running.contains("\nstatus=running\npid=300\npid_start=4242\n"),
        "{running}"
    );
}

#[test]
fn the_spec_gets_this_runs_values() {
    let template = "name c\nlock_fd 9\nlite /old/lite\narg run\narg /etc/c.ini\nenv PATH=/old\nenv LITE_NAME=c\nenv LITE_CONFIG=old.ini\nstate name=c\nstate lite=/old/lite\nstate pid_start=1\nstate started=2\nstate lock_fd=9\nstate stop_timeout=10\n";
    let spec = spec_text(template, &values(Some(300)), "c.ini", Some("/bin:/usr/bin"));
    assert_eq!(
        spec,
        "name c\nlock_fd 5\nlite /usr/bin/lite\narg run\narg /etc/c.ini\nenv PATH=/bin:/usr/bin\nenv LITE_NAME=c\nenv LITE_CONFIG=c.ini\nstate name=c\nstate lite=/usr/bin/lite\nstate pid_start=4242\nstate started=1700000000\nstate lock_fd=5\nstate stop_timeout=10\n"
    );
    // Without PATH in lite's environment, the hooks get handover.ts's default.
    assert!(spec_text(template, &values(Some(1)), "c.ini", None)
        .contains("env PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"));
}

#[test]
fn a_missing_or_foreign_entry_is_a_miss_before_anything_is_made() {
    let a = Args {
        lite: "/bin/false".into(),
        build: "b1".into(),
        entry: "/nonexistent/fast-entry".into(),
        config_arg: "c.ini".into(),
        config: "/etc/c.ini".into(),
        addon_dir: "/tmp".into(),
        path_env: None,
        trace: None,
    };
    match run(&a) {
        NotRun::Miss(why) => assert!(why.starts_with("no entry"), "{why}"),
        other => panic!("{other:?}"),
    }
}

fn entry_file(text: &str) -> String {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = std::env::temp_dir().join(format!("lite-fast-{}-{}", std::process::id(), text.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("fast-entry");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
    path.to_string_lossy().into_owned()
}

fn args_for(entry: String, config_arg: &str) -> Args {
    Args {
        lite: "/bin/false".into(),
        build: "b1".into(),
        entry,
        config_arg: config_arg.into(),
        config: "/etc/c.ini".into(),
        addon_dir: "/tmp".into(),
        path_env: Some("/bin".into()),
        trace: None,
    }
}

fn miss(a: &Args) -> String {
    match run(a) {
        NotRun::Miss(why) => why,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_checks_before_anything_is_made() {
    let entry = entry_file(&entry_text(""));
    assert_eq!(miss(&args_for(entry.clone(), "c.ini")), "another kernel");
    let mut other_build = args_for(entry.clone(), "c.ini");
    other_build.build = "b2".into();
    assert_eq!(miss(&other_build), "another build");
    let mut other_config = args_for(entry.clone(), "c.ini");
    other_config.config = "/etc/d.ini".into();
    assert_eq!(miss(&other_config), "another config");
    // A value that would add lines to the monitor's spec.
    assert_eq!(
        miss(&args_for(entry.clone(), "c\nrestart always\n.ini")),
        "a newline in the command line or PATH"
    );
    let elsewhere = entry_file(&entry_text("").replace("/run/lite/c\n", "/tmp/lite/c\n"));
    let elsewhere_path = elsewhere.clone();
    assert_eq!(miss(&args_for(elsewhere, "c.ini")), "another state root");
    // Readable by others: not lite's.
    std::fs::set_permissions(&entry, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    assert_eq!(
        miss(&args_for(entry.clone(), "c.ini")),
        "the entry is not lite's"
    );
    for path in [entry, elsewhere_path] {
        let _ = std::fs::remove_dir_all(std::path::Path::new(&path).parent().unwrap());
    }
}

#[test]
fn a_device_program_needs_its_cgroup() {
    let text = entry_text(&(record("device_program", "") + &record("device", "c 1:3 rwm")));
    assert_eq!(
        parse(text.as_bytes()).unwrap_err(),
        "a device program without a cgroup v2 directory"
    );
    let with_v2 = entry_text(
        &(record("v2", "/sys/fs/cgroup/lite/c")
            + &record("device_program", "")
            + &record("device", "c 1:3 rwm")),
    );
    let e = parse(with_v2.as_bytes()).unwrap();
    assert!(e.device_program);
    assert_eq!(e.devices, vec!["c 1:3 rwm"]);
}

#[test]
fn a_template_line_keeps_its_carriage_return() {
    let spec = spec_text("hook a\rb\nlock_fd 9\n", &values(Some(1)), "c.ini", None);
    assert_eq!(spec, "hook a\rb\nlock_fd 5\n");
}
