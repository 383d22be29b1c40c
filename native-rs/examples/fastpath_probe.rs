//! Issue 17's "monitor fast path", as a prototype to measure (not a product path):
//! given a compiled plan, one native process makes the container's cgroups, clones,
//! sets up and execs the app through the same child code as `lite run` (plan.rs,
//! spawn.rs, child.rs), waits for it and removes the cgroups. bench/probe/fastpath/
//! puts a compiled Bun binary that reads lite's plan-cache entry and execve's this in
//! front of it, which is what a warm `lite run` handing its blob to the monitor costs.
//!   cargo build --release --no-default-features --example fastpath_probe
//!   fastpath_probe PLAN.json      (written by bench/probe/fastpath/extract.ts)
use std::time::Duration;

use lite_native::plan::{prepare, read_last_cap, FsOp, Plan, RlimitOp};
use lite_native::spawn::{self, StartOutcome};
use lite_native::wait::wait_exit;
use serde_json::Value;

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(String::from)
}

fn num(v: &Value) -> u32 {
    v.as_u64().unwrap_or(0) as u32
}

fn op(v: &Value) -> FsOp {
    FsOp {
        kind: text(&v["kind"]).unwrap_or_default(),
        source: text(&v["source"]),
        target: text(&v["target"]).unwrap_or_default(),
        fstype: text(&v["fstype"]),
        flags: num(&v["flags"]),
        data: text(&v["data"]),
        create: text(&v["create"]),
        optional: v["optional"].as_bool().unwrap_or(false),
        mode: num(&v["mode"]),
        major: num(&v["major"]),
        minor: num(&v["minor"]),
        after_pivot: v["afterPivot"].as_bool().unwrap_or(false),
        resolve: text(&v["resolve"]),
        mask_anywhere: v["maskAnywhere"].as_bool(),
        uid: v["uid"].as_u64().map(|n| n as u32),
        gid: v["gid"].as_u64().map(|n| n as u32),
        idmap: v["idmap"].as_bool(),
    }
}

/// The fields a plain `lite run` plan uses (no network, user namespace, tty or joins).
fn plan(v: &Value) -> Plan {
    Plan {
        namespaces: strings(&v["namespaces"]),
        ops: v["ops"]
            .as_array()
            .map(|a| a.iter().map(op).collect())
            .unwrap_or_default(),
        new_root: text(&v["newRoot"]).unwrap_or_default(),
        hostname: text(&v["hostname"]),
        loopback_up: v["loopbackUp"].as_bool().unwrap_or(false),
        exec_candidates: strings(&v["execCandidates"]),
        argv: strings(&v["argv"]),
        env: strings(&v["env"]),
        cwd: text(&v["cwd"]).unwrap_or_else(|| "/".into()),
        uid: num(&v["uid"]),
        gid: num(&v["gid"]),
        groups: v["groups"]
            .as_array()
            .map(|a| a.iter().map(num).collect())
            .unwrap_or_default(),
        caps: v["caps"]
            .as_array()
            .map(|a| a.iter().map(num).collect())
            .unwrap_or_default(),
        no_new_privs: v["noNewPrivs"].as_bool().unwrap_or(false),
        seccomp_filter: v["seccompFilter"]
            .as_array()
            .map(|a| a.iter().map(num).collect()),
        rlimits: v["rlimits"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|r| RlimitOp {
                        resource: num(&r["resource"]),
                        soft: r["soft"].as_i64().unwrap_or(-1),
                        hard: r["hard"].as_i64().unwrap_or(-1),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        cgroup_tasks: strings(&v["cgroupTasks"]),
        cgroup_v2_procs: text(&v["cgroupV2Procs"]),
        ..Plan::default()
    }
}

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("fastpath_probe: {what}: {e}");
    std::process::exit(125)
}

fn main() {
    let file = std::env::args()
        .nth(1)
        .unwrap_or_else(|| fail("usage", "fastpath_probe PLAN.json"));
    let raw = std::fs::read(&file).unwrap_or_else(|e| fail(&file, e));
    let v: Value = serde_json::from_slice(&raw).unwrap_or_else(|e| fail(&file, e));
    for d in strings(&v["dirs"]) {
        std::fs::create_dir_all(&d).unwrap_or_else(|e| fail(&d, e));
    }
    for f in v["files"].as_array().into_iter().flatten() {
        let (path, content) = (f[0].as_str().unwrap_or(""), f[1].as_str().unwrap_or(""));
        std::fs::write(path, content).unwrap_or_else(|e| fail(path, e));
    }
    let cgroups = strings(&v["cgroupDirs"]);
    for d in &cgroups {
        std::fs::create_dir(d).unwrap_or_else(|e| fail(d, e));
    }
    for w in v["writes"].as_array().into_iter().flatten() {
        let (path, value) = (w[0].as_str().unwrap_or(""), w[1].as_str().unwrap_or(""));
        std::fs::write(path, value).unwrap_or_else(|e| fail(path, e));
    }
    let p = plan(&v["native"]);
    let mut prepared = prepare(&p, read_last_cap()).unwrap_or_else(|e| fail("prepare", e));
    let s =
        spawn::spawn(&mut prepared, None, v["v2"].as_str()).unwrap_or_else(|e| fail("clone", e));
    let sock = s
        .sock
        .as_ref()
        .unwrap_or_else(|| fail("clone", "no handshake socket"));
    match spawn::start_with_fds(sock, Duration::from_secs(10), &[]) {
        Ok(StartOutcome::Running { .. }) => {}
        Ok(StartOutcome::Failed(r)) => {
            let _ = wait_exit(s.pid);
            remove_cgroups(&cgroups);
            fail(
                "set-up",
                format!("step {} index {} errno {}", r.step.name(), r.index, r.errno),
            )
        }
        Err(e) => fail("start", e),
    }
    drop(s.sock);
    let exit = wait_exit(s.pid).unwrap_or_else(|e| fail("wait", e));
    remove_cgroups(&cgroups);
    std::process::exit(exit.code)
}

/// The kernel frees a cgroup shortly after its last process: a few bounded retries.
fn remove_cgroups(cgroups: &[String]) {
    for d in cgroups.iter().rev() {
        for attempt in 0..200 {
            match std::fs::remove_dir(d) {
                Ok(()) => break,
                Err(e) if e.raw_os_error() == Some(libc::EBUSY) && attempt < 199 => {
                    std::thread::sleep(Duration::from_micros(200))
                }
                Err(e) => fail(d, e),
            }
        }
    }
}
