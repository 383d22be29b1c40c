//! The fast exec: a plain `lite exec NAME CMD...` into a running container without
//! Bun's part of the work, as the fast run is for `lite run FILE` (mod.rs). Health
//! checks and scripts run the same exec again and again: the first one, on lite's full
//! path (lifecycle/exec.ts), leaves the container an exec entry (entry.rs ExecEntry) in
//! its state dir. The next ones come here from lite's compiled binary
//! (runtime/fast-front.ts): the entry is checked against the host and the container,
//! this command goes into its plan, and the child joins the container through the same
//! code as the full path's (plan.rs, spawn.rs, child.rs), then the monitor takes over.
//!
//! Whatever this path can't do as exec.ts would, it does not do: the full path then runs
//! and says what is wrong as it always does ("not running", the child's failed step).

use std::os::fd::AsRawFd;

use super::entry::{parse_exec, ExecEntry};
use super::{read_entry, start_time, Made, NotRun, Trace, FAST_STATE_ROOT, START_TIMEOUT};

/// What lite's compiled binary passes on (runtime/fast-front.ts).
#[derive(Debug, Clone)]
pub struct ExecArgs {
    /// the lite binary: the exec monitor's and the full path's
    pub lite: String,
    pub build: String,
    /// the exec entry's path
    pub entry: String,
    /// the container's name
    pub name: String,
    /// the command and its arguments
    pub cmd: Vec<String>,
    /// where this addon lies (mod.rs Args)
    pub addon_dir: String,
    pub trace: Option<Trace>,
}

fn trace(a: &ExecArgs, phase: &str) {
    if let Some(t) = &a.trace {
        t.phase(phase)
    }
}

/// Joins the container and execs into the exec monitor; returns only when it did not.
pub fn exec(a: &ExecArgs) -> NotRun {
    trace(a, "check");
    let e = match load(a) {
        Ok(e) => e,
        Err(why) => return NotRun::Miss(why),
    };
    // As the fast run: what this exec made (only its child) is undone when it returns.
    let mut made = Made::default();
    let not_run = join(a, e, &mut made);
    made.undo();
    not_run
}

fn join(a: &ExecArgs, mut e: ExecEntry, made: &mut Made) -> NotRun {
    e.plan.exec_candidates = exec_candidates(&a.cmd[0], &e.plan.env, &e.plan.cwd);
    e.plan.argv = a.cmd.clone();
    trace(a, "monitor image");
    let monitor = match crate::monitor::image(&a.addon_dir) {
        Ok(m) => m,
        Err(err) => return err.to_string().into(),
    };
    trace(a, "clone");
    let spawned = match super::clone_child(&e.plan, e.v2.as_deref()) {
        Ok(s) => s,
        Err(why) => return why.into(),
    };
    let pid = spawned.pid;
    let pidfd_raw = spawned.pidfd.as_ref().map(|f| f.as_raw_fd());
    made.child = Some((pid, spawned.pidfd));
    let Some(sock) = spawned.sock else {
        return "no handshake socket".into();
    };
    trace(a, "start");
    match crate::spawn::start_with_fds(&sock, START_TIMEOUT, &[]) {
        Ok(crate::spawn::StartOutcome::Running { .. }) => {}
        // Failed before the command's exec: the full path runs it again and says which
        // step failed (or that the container has gone meanwhile).
        Ok(crate::spawn::StartOutcome::Failed(r)) => {
            return format!("set-up failed at {} (errno {})", r.step.name(), r.errno).into()
        }
        Err(err) => return NotRun::Failed(format!("the command did not start: {err}")),
    }
    drop(sock);
    let spec = spec_text(&e.spec, &a.lite);
    if a.trace.is_some() {
        trace(a, "monitor");
        super::say(&format!("trace: fast path: hit, pid {pid}"));
    }
    let err = crate::monitor::enter(&crate::monitor::Entry {
        image: monitor.fd.as_raw_fd(),
        spec: &spec,
        pid,
        pidfd: pidfd_raw,
        tty_master: None,
        interactive: false,
        keep: &[],
        null_stdio: false,
    });
    NotRun::Failed(format!("cannot exec the monitor: {err}"))
}

/// The entry, if it holds for this lite, this host and the container as it runs now.
fn load(a: &ExecArgs) -> Result<ExecEntry, String> {
    if a.cmd.first().is_none_or(|c| c.is_empty()) {
        return Err("no command".into());
    }
    let e = parse_exec(&read_entry(&a.entry)?)?;
    if e.build != a.build {
        return Err("another build".into());
    }
    if e.name != a.name || e.state_dir != format!("{FAST_STATE_ROOT}/{}", e.name) {
        return Err("another container".into());
    }
    if !e.plan.cwd.starts_with('/') {
        return Err("a relative working directory".into());
    }
    super::check_host(&e.kernel, &e.host, &e.inputs)?;
    let state = std::fs::read_to_string(format!("{}/state", e.state_dir))
        .map_err(|err| format!("no state ({err})"))?;
    let value = |key: &str| {
        state
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
    };
    if value("status") != Some("running")
        || value("pid") != Some(&e.pid.to_string())
        || value("pid_start") != Some(&e.pid_start.to_string())
    {
        return Err("the container is not the one the entry is for".into());
    }
    if start_time(e.pid) != Some(e.pid_start) {
        return Err("the container's process has gone".into());
    }
    Ok(e)
}

/// The exec monitor's spec with this lite's path (monitor/spec.ts: `key value` lines).
pub fn spec_text(template: &str, lite: &str) -> String {
    let mut out = String::with_capacity(template.len() + lite.len());
    for line in template.split_terminator('\n') {
        match line.split_once(' ') {
            Some(("lite", _)) => out.push_str(&format!("lite {lite}")),
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// PATH candidates as plan/exec-path.ts makes them: the command resolved against the
/// container's cwd when it has a slash, else against each directory of the env's last
/// PATH (an empty one is "."), without repeats.
pub fn exec_candidates(command: &str, env: &[String], cwd: &str) -> Vec<String> {
    if command.contains('/') {
        return vec![resolve(&[cwd, command])];
    }
    let path = env
        .iter()
        .rev()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or("");
    let mut out: Vec<String> = Vec::new();
    for dir in path.split(':') {
        let dir = if dir.is_empty() { "." } else { dir };
        let c = resolve(&[cwd, dir, command]);
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// posix.resolve for paths that end up absolute: from the last absolute part on,
/// `.` and empty segments dropped and `..` taken back (never above /).
fn resolve(parts: &[&str]) -> String {
    let from = parts.iter().rposition(|p| p.starts_with('/')).unwrap_or(0);
    let mut segments: Vec<&str> = Vec::new();
    for part in &parts[from..] {
        for s in part.split('/') {
            match s {
                "" | "." => {}
                ".." => {
                    segments.pop();
                }
                s => segments.push(s),
            }
        }
    }
    format!("/{}", segments.join("/"))
}

#[cfg(test)]
#[path = "exec_tests.rs"]
mod tests;
