//! What `lite run` hands the monitor: one `key value` per line, written by
//! runtime/monitor/spec.ts. Repeated keys (cgroup, hook, env, arg, state) form lists.
//! Parsed in place, without allocation; pure, so it is unit-tested in the library.

use crate::text::{parse_hex, parse_int};

pub const MAX_LIST: usize = 64;

/// A list of borrowed values, in the order they came.
pub struct List<'a> {
    items: [&'a [u8]; MAX_LIST],
    len: usize,
}

impl<'a> List<'a> {
    const fn new() -> Self {
        List {
            items: [&[]; MAX_LIST],
            len: 0,
        }
    }
    fn push(&mut self, v: &'a [u8]) -> bool {
        if self.len == MAX_LIST {
            return false;
        }
        self.items[self.len] = v;
        self.len += 1;
        true
    }
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.items[..self.len].iter().copied()
    }
    pub fn count(&self) -> usize {
        self.len
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Restart {
    No,
    OnFailure,
    Always,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LogTarget {
    /// Foreground: the container writes to lite's own stdout and stderr.
    Inherit,
    File,
    Syslog,
    Discard,
}

pub struct Spec<'a> {
    pub name: &'a [u8],
    pub state_dir: &'a [u8],
    /// Detached runs keep their state (status=exited) until `lite rm`.
    pub keep_state: bool,
    /// `lite exec`: a process in someone else's container; the monitor relays and
    /// waits, and leaves the container's state, cgroups and hooks alone.
    pub exec_only: bool,
    pub pid: i32,
    pub pidfd: i32,
    pub lock_fd: i32,
    pub stop_signal: i32,
    pub stop_timeout_ms: i64,
    pub restart: Restart,
    /// 0: no limit
    pub restart_max: i64,
    pub restarts: i64,
    pub backoff_ms: i64,
    /// The lite binary and its arguments, exec'd for a restart.
    pub lite: &'a [u8],
    pub args: List<'a>,
    /// Extra environment for the restarted lite and for hooks.
    pub env: List<'a>,
    /// The container's own cgroup directories, which lite made; never a parent.
    pub cgroups: List<'a>,
    pub oom_file: &'a [u8],
    pub memory_limit: &'a [u8],
    pub hooks: List<'a>,
    pub tty_master: i32,
    pub forward_stdin: bool,
    pub termios: [u8; 64],
    pub termios_len: usize,
    pub log_fd: i32,
    pub log_target: LogTarget,
    pub log_size: i64,
    /// Fixed lines of the state file (name, config, pid_start, ...), as `key=value`.
    pub state: List<'a>,
    /// A signal lite received before it became the monitor (0: none).
    pub pending_signal: i32,
    /// The network's claims (flock-held files): closed as soon as the container ends.
    pub claim_fds: List<'a>,
    /// The claims' files, unlinked (while still locked) before their fds are closed.
    pub claim_paths: List<'a>,
    /// Hex of the netlink messages that delete the container's nf_tables rules
    /// (nlrelease.rs), sent when the container ends.
    pub nft_release: &'a [u8],
    /// `lite net-release NAME`, its words separated by 0x1f: run when the container ends
    /// if there is no `nft_release`, or it failed.
    pub release: &'a [u8],
    /// The health check: the argv the monitor runs on the host (`lite exec NAME -- CMD`),
    /// its words separated by 0x1f. Empty: no health checks, and no health in the state.
    pub health_cmd: &'a [u8],
    /// From the start to the first check, and from each check's end to the next.
    pub health_interval_ms: i64,
    /// A check that takes longer is killed, and has failed.
    pub health_timeout_ms: i64,
    /// Failed checks in a row that make the container unhealthy.
    pub health_retries: i64,
    /// Failures this soon after the start do not count while it is still starting.
    pub health_start_period_ms: i64,
    /// `health_on_unhealthy restart`: an unhealthy container is stopped and started
    /// again, whatever its restart policy (restart_max and the back-off still apply).
    pub health_restart: bool,
}

/// A claim's fd: a number above stdio that fits an int.
fn claim_fd(value: &[u8]) -> Option<i32> {
    parse_int(value)
        .filter(|fd| (3..=i32::MAX as i64).contains(fd))
        .map(|fd| fd as i32)
}

impl Spec<'_> {
    /// The claims' fds (checked when parsed), less any the monitor uses itself.
    pub fn claim_fds(&self) -> impl Iterator<Item = i32> + '_ {
        let own = [self.pidfd, self.lock_fd, self.tty_master, self.log_fd];
        self.claim_fds
            .iter()
            .filter_map(claim_fd)
            .filter(move |fd| !own.contains(fd))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecError {
    /// The line number (1-based) that is wrong.
    Line(usize),
    Missing(&'static str),
}

fn flag(v: &[u8]) -> bool {
    v == b"1"
}

pub fn parse(text: &[u8]) -> Result<Spec<'_>, SpecError> {
    let mut s = Spec {
        name: &[],
        state_dir: &[],
        keep_state: false,
        exec_only: false,
        pid: 0,
        pidfd: -1,
        lock_fd: -1,
        stop_signal: 15,
        stop_timeout_ms: 10_000,
        restart: Restart::No,
        restart_max: 0,
        restarts: 0,
        backoff_ms: 0,
        lite: &[],
        args: List::new(),
        env: List::new(),
        cgroups: List::new(),
        oom_file: &[],
        memory_limit: &[],
        hooks: List::new(),
        tty_master: -1,
        forward_stdin: false,
        termios: [0; 64],
        termios_len: 0,
        log_fd: -1,
        log_target: LogTarget::Inherit,
        log_size: 1 << 20,
        state: List::new(),
        pending_signal: 0,
        claim_fds: List::new(),
        claim_paths: List::new(),
        nft_release: &[],
        release: &[],
        health_cmd: &[],
        health_interval_ms: 30_000,
        health_timeout_ms: 30_000,
        health_retries: 3,
        health_start_period_ms: 0,
        health_restart: false,
    };
    for (i, line) in text.split(|&c| c == b'\n' || c == 0).enumerate() {
        if line.is_empty() {
            continue;
        }
        let bad = SpecError::Line(i + 1);
        let sp = line
            .iter()
            .position(|&c| c == b' ')
            .ok_or(SpecError::Line(i + 1))?;
        let (key, value) = (&line[..sp], &line[sp + 1..]);
        let int = || parse_int(value).ok_or(SpecError::Line(i + 1));
        match key {
            b"name" => s.name = value,
            b"state_dir" => s.state_dir = value,
            b"keep_state" => s.keep_state = flag(value),
            b"exec_only" => s.exec_only = flag(value),
            b"pid" => s.pid = int()? as i32,
            b"pidfd" => s.pidfd = int()? as i32,
            b"lock_fd" => s.lock_fd = int()? as i32,
            b"stop_signal" => s.stop_signal = int()? as i32,
            b"stop_timeout_ms" => s.stop_timeout_ms = int()?,
            b"restart" => {
                s.restart = match value {
                    b"no" => Restart::No,
                    b"on-failure" => Restart::OnFailure,
                    b"always" => Restart::Always,
                    _ => return Err(bad),
                }
            }
            b"restart_max" => s.restart_max = int()?,
            b"restarts" => s.restarts = int()?,
            b"backoff_ms" => s.backoff_ms = int()?,
            b"lite" => s.lite = value,
            b"arg" => s.args.push(value).then_some(()).ok_or(bad)?,
            b"env" => s.env.push(value).then_some(()).ok_or(bad)?,
            b"cgroup" => s.cgroups.push(value).then_some(()).ok_or(bad)?,
            b"hook" => s.hooks.push(value).then_some(()).ok_or(bad)?,
            b"state" => s.state.push(value).then_some(()).ok_or(bad)?,
            b"oom_file" => s.oom_file = value,
            b"memory_limit" => s.memory_limit = value,
            b"tty_master" => s.tty_master = int()? as i32,
            b"forward_stdin" => s.forward_stdin = flag(value),
            b"termios" => s.termios_len = parse_hex(value, &mut s.termios).ok_or(bad)?,
            b"log_fd" => s.log_fd = int()? as i32,
            b"log_target" => {
                s.log_target = match value {
                    b"inherit" => LogTarget::Inherit,
                    b"file" => LogTarget::File,
                    b"syslog" => LogTarget::Syslog,
                    b"none" => LogTarget::Discard,
                    _ => return Err(bad),
                }
            }
            b"log_size" => s.log_size = int()?,
            b"pending_signal" => s.pending_signal = int()? as i32,
            b"claim_fd" => {
                claim_fd(value).ok_or(bad)?;
                s.claim_fds.push(value).then_some(()).ok_or(bad)?
            }
            b"claim" if value.starts_with(b"/") => {
                s.claim_paths.push(value).then_some(()).ok_or(bad)?
            }
            b"claim" => return Err(bad),
            b"nft_release" => s.nft_release = value,
            b"release" => s.release = value,
            b"health_cmd" => s.health_cmd = value,
            b"health_interval_ms" => s.health_interval_ms = int()?,
            b"health_timeout_ms" => s.health_timeout_ms = int()?,
            b"health_retries" => s.health_retries = int()?,
            b"health_start_period_ms" => s.health_start_period_ms = int()?,
            b"health_on_unhealthy" => {
                s.health_restart = match value {
                    b"none" => false,
                    b"restart" => true,
                    _ => return Err(bad),
                }
            }
            // Unknown keys are ignored: an older monitor can read a newer spec.
            _ => {}
        }
    }
    if s.name.is_empty() {
        return Err(SpecError::Missing("name"));
    }
    if s.state_dir.is_empty() {
        return Err(SpecError::Missing("state_dir"));
    }
    if s.pid <= 0 {
        return Err(SpecError::Missing("pid"));
    }
    Ok(s)
}
