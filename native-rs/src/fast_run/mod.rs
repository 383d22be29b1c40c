//! The fast run: a warm plain `lite run FILE` without Bun's part of the work (issue 17,
//! bench/START-PATH.md). lite's compiled binary sees `run FILE` and nothing else, and
//! execs this addon (made executable: exec_entry.rs) with the fast entry's path. Here
//! the entry is checked against the host (check.rs), then the run does what
//! lifecycle/run.ts does for such a config, in the same order and through the same
//! code for the container itself (plan.rs, spawn.rs, child.rs, the monitor): the state
//! lock and file, the cgroups, clone and set-up, and the exec into the monitor.
//!
//! Whatever this path cannot do as run.ts would, it does not do: a miss, a name that is
//! held, state left by an earlier run, a cgroup that exists, a failed set-up. It then
//! undoes what it made and the caller execs the full path, which says what is wrong
//! exactly as it always does (FILE:LINE errors, the child's failed step).

pub mod check;
pub mod entry;
pub mod exec;

use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::Duration;

use entry::{FastEntry, ENTRY_LIMIT};

/// What lite's compiled binary passes on (runtime/fast-front.ts).
#[derive(Debug, Clone)]
pub struct Args {
    /// the lite binary: the state's `lite`, the monitor's restart command, the full path
    pub lite: String,
    /// lite's build id
    pub build: String,
    /// the fast entry's path
    pub entry: String,
    /// FILE as given (the hooks' LITE_CONFIG)
    pub config_arg: String,
    /// FILE's absolute path
    pub config: String,
    /// where this addon lies: allows exec (the monitor's fallback when memfds may not)
    pub addon_dir: String,
    /// PATH of lite's environment (the hooks' PATH)
    pub path_env: Option<String>,
    /// LITE_TRACE=1: where the fast run's time goes, on stderr (runtime/trace.ts's lines)
    pub trace: Option<Trace>,
}

/// LITE_TRACE's phase lines: ms since LITE_TRACE_T0 (the caller's clock, in seconds
/// since the epoch, as bash's $EPOCHREALTIME) or else since the addon started.
#[derive(Debug, Clone)]
pub struct Trace {
    origin: std::time::SystemTime,
    /// which fast path: "fast run" or "fast exec"
    path: &'static str,
}

impl Trace {
    pub fn new(t0: Option<&str>, path: &'static str) -> Trace {
        let given = t0
            .and_then(|t| t.parse::<f64>().ok())
            .and_then(|t| Duration::try_from_secs_f64(t).ok())
            .and_then(|d| std::time::UNIX_EPOCH.checked_add(d));
        Trace {
            origin: given.unwrap_or_else(std::time::SystemTime::now),
            path,
        }
    }

    pub fn phase(&self, phase: &str) {
        let ms = self
            .origin
            .elapsed()
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0);
        say(&format!("trace: {ms:8.2} ms  {phase:<14} ({})", self.path));
    }
}

/// One line on stderr as "lite: TEXT", in one write: the app may be writing there too,
/// and eprintln! writes each formatted piece on its own.
pub fn say(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(format!("lite: {text}\n").as_bytes());
}

fn trace(a: &Args, phase: &str) {
    if let Some(t) = &a.trace {
        t.phase(phase)
    }
}

/// The state root the front serves (fast-front.ts FAST_STATE_ROOT).
const FAST_STATE_ROOT: &str = "/run/lite";
/// How long the child may take from GO to the app's exec (launch.ts START_TIMEOUT_MS).
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// The hooks' PATH when lite has none (handover.ts).
const DEFAULT_PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin";

/// Why the fast run did not run the container. A miss goes to the full path. A stop
/// request that came first ends the run (`Stop`), as run.ts ends it; so does a failure
/// once the app may have started (`Failed`): running it again could run it twice.
#[derive(Debug)]
pub enum NotRun {
    Miss(String),
    Stop { signal: i32, name: String },
    Failed(String),
}

impl From<String> for NotRun {
    fn from(why: String) -> NotRun {
        NotRun::Miss(why)
    }
}

impl From<&str> for NotRun {
    fn from(why: &str) -> NotRun {
        NotRun::Miss(why.into())
    }
}

/// Runs the container and execs into its monitor; returns only when it did not.
pub fn run(a: &Args) -> NotRun {
    trace(a, "check");
    let e = match load(a) {
        Ok(e) => e,
        Err(why) => return NotRun::Miss(why),
    };
    trace(a, "state");
    // From here a SIGTERM is noted, not fatal (run.ts: watchEarlySignals).
    crate::early_signals::watch();
    let name = e.name.clone();
    let mut made = Made::default();
    let not_run = start(a, e, &mut made);
    made.undo();
    // A stop request noted on the way must not be lost to the full path's exec.
    match (not_run, crate::early_signals::stop_signal()) {
        (NotRun::Miss(_), Some(signal)) => NotRun::Stop { signal, name },
        (not_run, _) => not_run,
    }
}

/// The entry, if it holds on this host and for this lite.
fn load(a: &Args) -> Result<FastEntry, String> {
    let bytes = read_entry(&a.entry)?;
    let e = entry::parse(&bytes)?;
    if e.build != a.build {
        return Err("another build".into());
    }
    if e.config != a.config {
        return Err("another config".into());
    }
    if e.state_root != FAST_STATE_ROOT || e.state_dir != format!("{FAST_STATE_ROOT}/{}", e.name) {
        return Err("another state root".into());
    }
    // The monitor's spec is lines: a value that holds one would add lines the full path
    // refuses (monitor/spec.ts).
    for v in std::iter::once(&a.config_arg).chain(a.path_env.as_ref()) {
        if v.contains(['\n', '\0']) {
            return Err("a newline in the command line or PATH".into());
        }
    }
    check_host(&e.kernel, &e.host, &e.inputs)?;
    Ok(e)
}

/// Whether an entry written on this kernel, with these host facts and inputs, still holds.
fn check_host(kernel: &str, host: &str, inputs: &[(String, String)]) -> Result<(), String> {
    if kernel != check::kernel_release() {
        return Err("another kernel".into());
    }
    if host != check::host_fingerprint() {
        return Err("host facts changed".into());
    }
    for (path, signature) in inputs {
        if check::file_signature(path) != *signature {
            return Err(format!("changed: {path}"));
        }
    }
    Ok(())
}

/// lite's own file (plan-cache.ts trusts its entries alike): ours, not a link, 0600.
fn read_entry(path: &str) -> Result<Vec<u8>, String> {
    use std::io::Read;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| format!("no entry ({e})"))?;
    let m = f.metadata().map_err(|e| e.to_string())?;
    if !m.is_file() || m.uid() != unsafe { libc::geteuid() } || m.mode() & 0o077 != 0 {
        return Err("the entry is not lite's".into());
    }
    if m.len() > ENTRY_LIMIT as u64 {
        return Err("the entry is too large".into());
    }
    let mut bytes = Vec::with_capacity(m.len() as usize);
    f.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// What this run made, undone in reverse when it does not reach the monitor.
#[derive(Default)]
struct Made {
    lock: Option<(OwnedFd, String)>,
    cgroups: Vec<String>,
    child: Option<(libc::pid_t, Option<OwnedFd>)>,
}

impl Made {
    fn undo(&mut self) {
        if let Some((pid, pidfd)) = self.child.take() {
            let _ = crate::wait::send_signal(pid, pidfd.as_ref(), libc::SIGKILL);
            let _ = crate::wait::wait_exit(pid);
        }
        remove_cgroups(&std::mem::take(&mut self.cgroups));
        // run.ts releaseState: the directory goes, then the lock.
        if let Some((fd, dir)) = self.lock.take() {
            let _ = std::fs::remove_dir_all(&dir);
            drop(fd);
        }
    }
}

/// Kills what is left in each cgroup and removes it (cgroup/manager.ts removeCgroupDirs),
/// within a bound: the kernel frees a cgroup shortly after its last process.
fn remove_cgroups(dirs: &[String]) {
    for dir in dirs.iter().rev() {
        for _ in 0..300 {
            if let Ok(text) = std::fs::read_to_string(format!("{dir}/cgroup.procs")) {
                for pid in text.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                }
            }
            match std::fs::remove_dir(dir) {
                Ok(()) => break,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    }
}

fn write_file(path: &str, text: &str, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| format!("{path}: {e}"))?;
    std::io::Write::write_all(&mut f, text.as_bytes()).map_err(|e| format!("{path}: {e}"))
}

fn write_atomic(path: &str, text: &str, mode: u32) -> Result<(), String> {
    let temp = format!("{path}.tmp");
    write_file(&temp, text, mode)?;
    std::fs::rename(&temp, path).map_err(|e| format!("{path}: {e}"))
}

fn mkdir(path: &str, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().mode(mode).create(path)
}

/// state.ts acquireState for a name that nothing holds and nothing was left under.
fn take_state(e: &FastEntry, made: &mut Made) -> Result<RawFd, String> {
    if let Err(err) = mkdir(&e.state_root, 0o700) {
        if err.kind() != std::io::ErrorKind::AlreadyExists {
            return Err(format!("{}: {err}", e.state_root));
        }
    }
    if let Err(err) = mkdir(&e.state_dir, 0o700) {
        if err.kind() != std::io::ErrorKind::AlreadyExists {
            return Err(format!("{}: {err}", e.state_dir));
        }
    }
    let lock_path = format!("{}/lock", e.state_dir);
    let what = ("open the state lock", "lock the state");
    let fd =
        crate::lockfile::lock(&lock_path, libc::LOCK_EX, 0, what).map_err(|err| match err {
            crate::lockfile::LockError::Busy => "the name is held".to_string(),
            crate::lockfile::LockError::Os(err) => err.to_string(),
        })?;
    // The lock must be the file at that path (a releasing run may have unlinked it).
    let held = fd_identity(fd.as_raw_fd());
    let now = std::fs::metadata(&lock_path).ok().map(|m| {
        use std::os::unix::fs::MetadataExt;
        (m.dev(), m.ino())
    });
    if held.is_none() || held != now {
        return Err("the lock moved".into());
    }
    let raw = fd.as_raw_fd();
    // An earlier run's state (an orphan, a cgroup record, a kept log): the full path
    // settles it.
    let left = std::fs::read_dir(&e.state_dir)
        .map_err(|err| err.to_string())?
        .filter_map(|d| d.ok())
        .any(|d| d.file_name() != "lock");
    if left {
        return Err("state left by an earlier run".into());
    }
    made.lock = Some((fd, e.state_dir.clone()));
    Ok(raw)
}

fn fd_identity(fd: RawFd) -> Option<(u64, u64)> {
    let mut st: libc::stat64 = unsafe { std::mem::zeroed() };
    (unsafe { libc::fstat64(fd, &mut st) } == 0).then_some((st.st_dev, st.st_ino))
}

/// Makes the container's cgroups as cgroup/manager.ts createCgroups does once the
/// parents exist, and writes its limits and device rules.
fn make_cgroups(e: &FastEntry, made: &mut Made) -> Result<(), String> {
    for (dir, controller) in &e.subtree {
        let enabled = std::fs::read_to_string(format!("{dir}/cgroup.subtree_control"))
            .map_err(|err| format!("{dir}: {err}"))?;
        if !enabled.split_whitespace().any(|c| c == controller) {
            return Err(format!("{controller} is not enabled in {dir}"));
        }
    }
    for dir in &e.cgroups {
        mkdir(dir, 0o755).map_err(|err| format!("{dir}: {err}"))?;
        made.cgroups.push(dir.clone());
        if e.cpusets.contains(dir) {
            let parent = &dir[..dir.rfind('/').unwrap_or(0)];
            for file in ["cpuset.cpus", "cpuset.mems"] {
                let own = std::fs::read_to_string(format!("{dir}/{file}")).unwrap_or_default();
                if own.trim().is_empty() {
                    let value = std::fs::read_to_string(format!("{parent}/{file}"))
                        .map_err(|err| format!("{parent}/{file}: {err}"))?;
                    std::fs::write(format!("{dir}/{file}"), value.trim())
                        .map_err(|err| format!("{dir}/{file}: {err}"))?;
                }
            }
        }
    }
    for (file, value) in &e.writes {
        std::fs::write(file, value).map_err(|err| format!("{file}: {err}"))?;
    }
    Ok(())
}

/// Field 22 of /proc/PID/stat (process-identity.ts).
fn start_time(pid: libc::pid_t) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

/// This run's values in the state file's lines (state-file.ts: `key=value`).
pub struct RunValues {
    pub lite: String,
    pub pid: Option<libc::pid_t>,
    pub pid_start: Option<u64>,
    pub monitor_pid: u32,
    pub started: u64,
    pub lock_fd: RawFd,
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The entry's state with this run's values: `starting` before clone, `running` after.
pub fn state_text(template: &str, v: &RunValues) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    for line in template.split_terminator('\n') {
        let key = line.split_once('=').map(|(k, _)| k).unwrap_or("");
        let value = match key {
            "lite" => Some(v.lite.clone()),
            "status" => Some(
                if v.pid.is_some() {
                    "running"
                } else {
                    "starting"
                }
                .to_string(),
            ),
            "pid" => Some(opt(v.pid)),
            "pid_start" => Some(opt(v.pid_start)),
            "monitor_pid" => Some(v.monitor_pid.to_string()),
            "started" => Some(v.started.to_string()),
            "lock_fd" => Some(v.lock_fd.to_string()),
            _ => None,
        };
        match value {
            Some(value) => out.push_str(&format!("{key}={value}")),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// The entry's monitor spec (monitor/spec.ts: `key value` lines) with this run's values.
pub fn spec_text(
    template: &str,
    v: &RunValues,
    config_arg: &str,
    path_env: Option<&str>,
) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    for line in template.split_terminator('\n') {
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        let state_key = (key == "state")
            .then(|| value.split_once('=').map(|(k, _)| k))
            .flatten();
        let env_key = (key == "env")
            .then(|| value.split_once('=').map(|(k, _)| k))
            .flatten();
        let replaced = match (key, state_key, env_key) {
            ("lock_fd", _, _) => Some(format!("lock_fd {}", v.lock_fd)),
            ("lite", _, _) => Some(format!("lite {}", v.lite)),
            (_, Some("lite"), _) => Some(format!("state lite={}", v.lite)),
            (_, Some("pid_start"), _) => Some(format!("state pid_start={}", opt(v.pid_start))),
            (_, Some("started"), _) => Some(format!("state started={}", v.started)),
            (_, Some("lock_fd"), _) => Some(format!("state lock_fd={}", v.lock_fd)),
            (_, _, Some("PATH")) => Some(format!("env PATH={}", path_env.unwrap_or(DEFAULT_PATH))),
            (_, _, Some("LITE_CONFIG")) => Some(format!("env LITE_CONFIG={config_arg}")),
            _ => None,
        };
        out.push_str(replaced.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

fn start(a: &Args, mut e: FastEntry, made: &mut Made) -> NotRun {
    let lock_fd = match take_state(&e, made) {
        Ok(fd) => fd,
        Err(why) => return why.into(),
    };
    let mut values = RunValues {
        lite: a.lite.clone(),
        pid: None,
        pid_start: None,
        monitor_pid: std::process::id(),
        started: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        lock_fd,
    };
    let state_file = format!("{}/state", e.state_dir);
    if let Err(why) = write_atomic(&state_file, &state_text(&e.state, &values), 0o644) {
        return why.into();
    }
    // The cgroup record before the first mkdir (lifecycle/cgroup-record.ts).
    if !e.cgroups.is_empty() {
        let record: String = e.cgroups.iter().map(|c| format!("{c}\n")).collect();
        if let Err(why) = write_atomic(&format!("{}/cgroups", e.state_dir), &record, 0o644) {
            return why.into();
        }
    }
    // run.ts prepareHost: 0755 directories, 0644 files (before the umask, as there).
    let mut dirs = std::fs::DirBuilder::new();
    std::os::unix::fs::DirBuilderExt::mode(dirs.recursive(true), 0o755);
    for dir in &e.dirs {
        if let Err(err) = dirs.create(dir) {
            return format!("{dir}: {err}").into();
        }
    }
    for (path, content) in &e.files {
        if let Some(parent) = std::path::Path::new(path).parent() {
            let _ = dirs.create(parent);
        }
        if let Err(why) = write_file(path, content, 0o644) {
            return why.into();
        }
    }
    trace(a, "monitor image");
    let monitor = match crate::monitor::image(&a.addon_dir) {
        Ok(m) => m,
        Err(err) => return err.to_string().into(),
    };
    if e.plan.stub_init {
        e.plan.init_exe_fd = Some(monitor.fd.as_raw_fd());
    }
    trace(a, "cgroups");
    if let Err(why) = make_cgroups(&e, made) {
        return why.into();
    }
    if let Some(signal) = crate::early_signals::stop_signal() {
        return NotRun::Stop {
            signal,
            name: e.name.clone(),
        };
    }
    trace(a, "clone");
    let spawned = match clone_child(&e.plan, e.v2.as_deref()) {
        Ok(s) => s,
        Err(why) => return why.into(),
    };
    let pid = spawned.pid;
    let pidfd_raw = spawned.pidfd.as_ref().map(|f| f.as_raw_fd());
    made.child = Some((pid, spawned.pidfd));
    let Some(sock) = spawned.sock else {
        return "no handshake socket".into();
    };
    // run.ts confine: a cgroup v2 host's device rules, before GO.
    if e.device_program {
        let attached = e
            .devices
            .iter()
            .map(|r| crate::device_bpf::parse_rule(r))
            .collect::<crate::error::Result<Vec<_>>>()
            .and_then(|rules| crate::device_bpf::attach(e.v2.as_deref().unwrap_or(""), &rules));
        if let Err(err) = attached {
            return format!("the device program: {err}").into();
        }
    }
    trace(a, "start");
    match crate::spawn::start_with_fds(&sock, START_TIMEOUT, &[]) {
        Ok(crate::spawn::StartOutcome::Running { .. }) => {}
        // The child reported before its exec: the full path runs it again and says which
        // step failed, against its config line.
        Ok(crate::spawn::StartOutcome::Failed(r)) => {
            return format!("set-up failed at {} (errno {})", r.step.name(), r.errno).into()
        }
        // A set-up that hung (killed by the undo) or a broken handshake: whether the app
        // started is not known, so it is not run again.
        Err(err) => return NotRun::Failed(format!("the container did not start: {err}")),
    }
    drop(sock);
    values.pid = Some(pid);
    values.pid_start = start_time(pid);
    if let Err(why) = write_atomic(&state_file, &state_text(&e.state, &values), 0o644) {
        return NotRun::Failed(why);
    }
    let spec = spec_text(&e.spec, &values, &a.config_arg, a.path_env.as_deref());
    if a.trace.is_some() {
        trace(a, "monitor");
        say(&format!("trace: fast path: hit, pid {pid}"));
    }
    let err = crate::monitor::enter(&crate::monitor::Entry {
        image: monitor.fd.as_raw_fd(),
        spec: &spec,
        pid,
        pidfd: pidfd_raw,
        tty_master: None,
        interactive: false,
        keep: &[lock_fd],
        null_stdio: false,
    });
    NotRun::Failed(format!("cannot exec the monitor: {err}"))
}

/// The child, cloned (into the cgroup2 directory `v2`) and waiting for GO: the set-up
/// that `create` does for lite run and lite exec, without a loop device.
fn clone_child(
    plan: &crate::plan::Plan,
    v2: Option<&str>,
) -> Result<crate::spawn::Spawned, String> {
    let mut prepared =
        crate::plan::prepare(plan, crate::plan::read_last_cap()).map_err(|e| e.to_string())?;
    crate::spawn::spawn(&mut prepared, None, v2).map_err(|e| e.to_string())
}

/// Execs the full path, `lite ARGS...` with LITE_FAST=0, so that lite's binary does
/// not come back here. Returns only when that exec failed.
pub fn exec_full_path(lite: &str, args: &[&str]) -> std::io::Error {
    let c = |s: &str| CString::new(s).unwrap_or_default();
    let argv: Vec<CString> = std::iter::once(lite)
        .chain(args.iter().copied())
        .map(c)
        .collect();
    let mut env: Vec<CString> = std::env::vars_os()
        .filter(|(k, _)| k != "LITE_FAST")
        .filter_map(|(k, v)| {
            let mut kv = k.into_encoded_bytes();
            kv.push(b'=');
            kv.extend(v.into_encoded_bytes());
            CString::new(kv).ok()
        })
        .collect();
    env.push(c("LITE_FAST=0"));
    let mut argv_ptrs: Vec<*const libc::c_char> = argv.iter().map(|s| s.as_ptr()).collect();
    argv_ptrs.push(std::ptr::null());
    let mut env_ptrs: Vec<*const libc::c_char> = env.iter().map(|s| s.as_ptr()).collect();
    env_ptrs.push(std::ptr::null());
    unsafe { libc::execve(argv[0].as_ptr(), argv_ptrs.as_ptr(), env_ptrs.as_ptr()) };
    std::io::Error::last_os_error()
}

#[cfg(test)]
mod tests;
