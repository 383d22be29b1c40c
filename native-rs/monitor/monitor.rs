//! The monitor proper: everything from "the app runs" to "lite exits".

use crate::fs::{self, path};
use crate::health::{HealthState, Transition};
use crate::init::{exit_code, exit_signal};
use crate::logsink::LogSink;
use crate::policy::{next_restart, restart_request, Ended, Request};
use crate::spec::{self, Restart, Spec};
use crate::sys::{self, PollFd};
use crate::nlrelease;
use crate::text::{keyed_value, parse_hex, parse_int, Buf};
use crate::CStrs;
use core::sync::atomic::{AtomicBool, Ordering};

const SPEC_MAX: usize = 32 * 1024;
/// A post-stop hook gets this long before it is killed.
const HOOK_TIMEOUT_MS: i64 = 30_000;
const F_DUPFD: usize = 0;
const F_SETFD: usize = 2;
const F_SETFL: usize = 4;
/// A restart request (`lite restart`, `lite update`: runtime/lifecycle/restart.ts
/// RESTART_REQUEST_SIGNAL): SIGRTMIN+5 in the kernel's numbering (glibc's SIGRTMIN is
/// 34). The container is stopped as for a stop request and started again at once, by
/// this same pid, whatever the restart policy says; a stop request wins. lite blocks it
/// before execveat, so one sent once the state says running waits in the signalfd;
/// before that, early_signals.rs drops it.
pub const RESTART_REQUEST: i32 = 39;

fn bit(sig: i32) -> u64 {
    1u64 << (sig - 1)
}

fn signal_set() -> u64 {
    [sys::SIGTERM, sys::SIGINT, sys::SIGHUP, sys::SIGQUIT, sys::SIGUSR1, sys::SIGUSR2, sys::SIGCHLD, sys::SIGWINCH, RESTART_REQUEST]
        .iter()
        .fold(0, |set, &s| set | bit(s))
}

fn say(parts: &[&[u8]]) {
    let mut b = Buf::<1024>::new();
    b.push(b"lite: ");
    for p in parts {
        b.push(p);
    }
    b.push(b"\n");
    sys::write_all(2, b.as_bytes());
}

struct Container<'a> {
    spec: &'a Spec<'a>,
}

impl Container<'_> {
    /// Through the pidfd where there is one (no pid reuse race), else by pid.
    fn signal(&self, sig: i32) {
        if self.spec.pidfd >= 0 {
            match sys::pidfd_send_signal(self.spec.pidfd, sig) {
                Err(sys::ENOSYS) => {}
                _ => return,
            }
        }
        let _ = sys::kill(self.spec.pid, sig);
    }

    /// Some(wait status) once the container's first process has been reaped.
    fn reap(&self) -> Option<i32> {
        loop {
            match sys::wait4(self.spec.pid, sys::WNOHANG | sys::WALL) {
                Ok((0, _)) => return None,
                Ok((_, status)) => return Some(status),
                Err(sys::EINTR) => continue,
                // Not our child any more (should not happen): treat as gone.
                Err(sys::ECHILD) => return Some(125 << 8),
                Err(_) => return None,
            }
        }
    }
}

/// The stop policy's progress: a stop request, and when SIGKILL follows it.
struct Stop {
    requested: bool,
    /// Stopped by the monitor itself, unhealthy (health_on_unhealthy restart): not a
    /// stop request, so that it starts again.
    unhealthy: bool,
    /// Stopped on a restart request (RESTART_REQUEST): it starts again at once.
    restart: bool,
    /// monotonic ms; -1: no SIGKILL pending
    kill_at: i64,
}

impl Stop {
    /// Being stopped: on request, or by the monitor itself to start it again.
    fn stopping(&self) -> bool {
        self.requested || self.unhealthy || self.restart
    }

    fn on_signal(&mut self, container: &Container, sig: i32, master: i32, health: Option<&HealthState>, sink: &mut LogSink) {
        let spec = container.spec;
        match sig {
            sys::SIGCHLD => {}
            // `lite exec`'s monitor has nothing to restart.
            RESTART_REQUEST if spec.exec_only => {}
            RESTART_REQUEST => {
                let r = restart_request(self.requested, self.restart, self.unhealthy);
                if r == Request::Ignore {
                    return;
                }
                self.restart = true;
                if r == Request::Stop {
                    container.signal(spec.stop_signal);
                    self.kill_at = sys::monotonic_ms() + spec.stop_timeout_ms;
                }
                let mut b = Buf::<128>::new();
                sink.note(b.push(b"lite: ").push(spec.name).push(b": restart requested\n").as_bytes());
                write_state(spec, Status::Stopping, spec.restarts, None, health);
            }
            sys::SIGTERM | sys::SIGINT => {
                // A stop request: the configured stop signal for TERM (an init system or
                // `lite stop`), then SIGKILL after stop_timeout.
                container.signal(if sig == sys::SIGTERM { spec.stop_signal } else { sig });
                if !self.requested {
                    self.requested = true;
                    // An unhealthy container's stop may have set it already.
                    if self.kill_at < 0 {
                        self.kill_at = sys::monotonic_ms() + spec.stop_timeout_ms;
                    }
                    write_state(spec, Status::Stopping, spec.restarts, None, health);
                }
            }
            sys::SIGWINCH => copy_window_size(master),
            _ => container.signal(sig),
        }
    }
}

#[derive(Clone, Copy)]
enum Status {
    Running,
    Stopping,
    Restarting,
    Exited,
}

struct Outcome {
    code: i32,
    signal: i32,
    oom: bool,
}

/// The state file: TS's fixed lines plus what the monitor knows.
fn write_state(spec: &Spec, status: Status, restarts: i64, outcome: Option<&Outcome>, health: Option<&HealthState>) {
    if spec.exec_only {
        return;
    }
    let mut b = Buf::<4096>::new();
    for line in spec.state.iter() {
        b.push(line).push(b"\n");
    }
    let status_text: &[u8] = match status {
        Status::Running => b"running",
        Status::Stopping => b"stopping",
        Status::Restarting => b"restarting",
        Status::Exited => b"exited",
    };
    b.push(b"status=").push(status_text).push(b"\n");
    b.push(b"pid=").num(spec.pid as i64).push(b"\n");
    b.push(b"monitor_pid=").num(sys::getpid() as i64).push(b"\n");
    b.push(b"restarts=").num(restarts).push(b"\n");
    if let Some(h) = health {
        b.push(b"health=").push(h.status.text()).push(b"\n");
        b.push(b"health_failures=").num(h.streak).push(b"\n");
        b.push(b"health_checks=").num(h.checks).push(b"\n");
        // Only once there is a last check.
        if h.checks > 0 {
            b.push(b"health_last_exit=").num(h.last_exit).push(b"\n");
            b.push(b"health_last_ms=").num(h.last_ms).push(b"\n");
        }
    }
    if let Some(o) = outcome {
        b.push(b"exit_code=").num(o.code as i64).push(b"\n");
        b.push(b"exit_signal=").num(o.signal as i64).push(b"\n");
        b.push(b"oom=").push(if o.oom { b"1" } else { b"0" }).push(b"\n");
        b.push(b"finished=").num(sys::unix_seconds()).push(b"\n");
    }
    if fs::replace_file(spec.state_dir, b"state", b.as_bytes()).is_err() {
        say(&[b"cannot write the state of ", spec.name]);
    }
}

fn read_spec<'a>(args: &CStrs, raw: &'a mut [u8; SPEC_MAX]) -> Result<usize, ()> {
    let fd = args.get(1).and_then(parse_int).ok_or(())? as i32;
    let n = fs::read_all(fd, raw).map_err(|_| ())?;
    sys::close(fd);
    if n == raw.len() {
        return Err(());
    }
    // Each value ends at a NUL from here on, so it can be handed to execve as it is.
    for c in raw[..n].iter_mut() {
        if *c == b'\n' {
            *c = 0;
        }
    }
    Ok(n)
}

pub fn run(args: &CStrs, env: &CStrs) -> i32 {
    sys::set_name(b"lite-monitor\0");
    let mut raw = [0u8; SPEC_MAX];
    let Ok(n) = read_spec(args, &mut raw) else {
        say(&[b"monitor: cannot read its spec"]);
        return 125;
    };
    let spec = match spec::parse(&raw[..n]) {
        Ok(s) => s,
        Err(spec::SpecError::Line(l)) => {
            let mut b = Buf::<32>::new();
            b.num(l as i64);
            say(&[b"monitor: bad spec line ", b.as_bytes()]);
            return 125;
        }
        Err(spec::SpecError::Missing(k)) => {
            say(&[b"monitor: spec without ", k.as_bytes()]);
            return 125;
        }
    };
    supervise(&spec, env)
}

fn supervise(spec: &Spec, env: &CStrs) -> i32 {
    let set = signal_set();
    // lite blocked these before execveat; the mask survives exec, so none was lost.
    let _ = sys::sigprocmask(0, set);
    let Ok(sfd) = sys::signalfd(set) else {
        say(&[b"monitor: signalfd failed for ", spec.name]);
        return 125;
    };
    // Inherited fds stay ours: none leaks into a hook or a restarted lite.
    for fd in [spec.pidfd, spec.tty_master, spec.log_fd, spec.lock_fd] {
        if fd >= 0 {
            let _ = sys::fcntl(fd, F_SETFD, 1);
        }
    }
    for fd in spec.claim_fds() {
        let _ = sys::fcntl(fd, F_SETFD, 1);
    }
    for fd in [spec.tty_master, spec.log_fd] {
        if fd >= 0 {
            let _ = sys::fcntl(fd, F_SETFL, sys::O_NONBLOCK);
        }
    }
    let container = Container { spec };
    let began = sys::monotonic_ms();
    let mut checks = Checks::new(spec, began);
    write_state(spec, Status::Running, spec.restarts, None, health(&checks));
    let mut sink = LogSink::new(spec.log_target, spec.state_dir, spec.name, spec.log_size);

    let mut stop = Stop { requested: false, unhealthy: false, restart: false, kill_at: -1 };
    if spec.pending_signal > 0 {
        stop.on_signal(&container, spec.pending_signal, spec.tty_master, health(&checks), &mut sink);
    }
    let mut master = spec.tty_master;
    // A resize after lite's copy but before exec reached no handler (Bun's other threads
    // took and dropped it); from here on, SIGWINCH waits in the signalfd.
    copy_window_size(master);
    let mut stdin_open = spec.forward_stdin && master >= 0;
    let mut log_fd = spec.log_fd;
    let mut io = [0u8; 16 * 1024];
    let mut status = container.reap();

    // Bounded by the container's life; every turn waits in poll.
    while status.is_none() {
        let mut fds = [
            PollFd { fd: sfd, events: sys::POLLIN, revents: 0 },
            PollFd { fd: master, events: sys::POLLIN, revents: 0 },
            PollFd { fd: if stdin_open { 0 } else { -1 }, events: sys::POLLIN, revents: 0 },
            PollFd { fd: log_fd, events: sys::POLLIN, revents: 0 },
        ];
        // Until the stop's SIGKILL or the checks' next step, whichever comes first (-1: none).
        let check_at = checks.as_ref().map_or(-1, |c| c.wake_at(spec, !stop.stopping()));
        let wake = if stop.kill_at < 0 || (0..stop.kill_at).contains(&check_at) { check_at } else { stop.kill_at };
        let timeout = if wake >= 0 { (wake - sys::monotonic_ms()).max(0) } else { -1 };
        let _ = sys::poll(&mut fds, timeout);
        if stop.kill_at >= 0 && sys::monotonic_ms() >= stop.kill_at {
            container.signal(sys::SIGKILL);
            stop.kill_at = -1;
        }
        if fds[0].revents != 0 {
            let mut info = [0u8; 128];
            while let Ok(128) = sys::read(sfd, &mut info) {
                let sig = u32::from_ne_bytes([info[0], info[1], info[2], info[3]]) as i32;
                stop.on_signal(&container, sig, master, health(&checks), &mut sink);
            }
        }
        if fds[1].revents != 0 && relay(master, 1, &mut io, None) == Relayed::Closed {
            master = -1;
        }
        if fds[2].revents != 0 && relay(0, master, &mut io, None) == Relayed::Closed {
            // End of input: passed on as the terminal's EOF character.
            sys::write_all(master, &[4]);
            stdin_open = false;
        }
        if fds[3].revents != 0 && relay(log_fd, -1, &mut io, Some(&mut sink)) == Relayed::Closed {
            sys::close(log_fd);
            log_fd = -1;
        }
        // A finished check's SIGCHLD woke the poll, or a check is due; none starts
        // once the container is being stopped.
        if let Some(c) = checks.as_mut() {
            if let Some(t) = c.step(spec, began, !stop.stopping()) {
                checked(&container, &mut stop, &mut sink, &c.state, t);
            }
        }
        status = container.reap();
    }
    let status = status.unwrap_or(125 << 8);
    // A check of an ended container has nothing to say.
    if let Some(c) = checks.as_mut() {
        c.cancel();
    }
    let ran_ms = sys::monotonic_ms() - began;

    // What the container wrote last is still in the pty or the pipe.
    if master >= 0 {
        for _ in 0..64 {
            if relay(master, 1, &mut io, None) != Relayed::Data {
                break;
            }
        }
    }
    if log_fd >= 0 {
        for _ in 0..64 {
            if relay(log_fd, -1, &mut io, Some(&mut sink)) != Relayed::Data {
                break;
            }
        }
        sys::close(log_fd);
    }
    restore_terminal(spec);

    let signal = exit_signal(status);
    let oom = signal == sys::SIGKILL && !spec.exec_only && oom_killed(spec);
    let outcome = Outcome { code: exit_code(status), signal, oom };
    if outcome.oom {
        let mut b = Buf::<256>::new();
        b.push(b"lite: ").push(spec.name).push(b" was killed by the OOM killer");
        if !spec.memory_limit.is_empty() {
            b.push(b" (memory limit ").push(spec.memory_limit).push(b")");
        }
        b.push(b"\n");
        sink.note(b.as_bytes());
    }
    // The nf_tables socket, closed last: closing it waits for the kernel to free the
    // deleted rules (an RCU grace period, ~10-20 ms), which passes meanwhile.
    let mut nft_sock = -1;
    if !spec.exec_only {
        nft_sock = release_network(spec, sfd, outcome.code);
        remove_cgroups(spec);
        run_hooks(spec, sfd, outcome.code);
    }
    sink.finish();

    // A stop request read while the hooks ran also wins.
    let stop_requested = stop.requested || STOP_AFTER_END.load(Ordering::Relaxed);
    let ended = Ended { exit_code: outcome.code, stop_requested, restart_requested: stop.restart, ran_ms };
    // Stopped for being unhealthy: it starts again whatever the policy says (a stop
    // request meanwhile still wins); restart_max and the back-off still apply. Asked
    // for (a restart request): at once, with neither.
    let policy = if stop.unhealthy { Restart::Always } else { spec.restart };
    if let Some(delay) = next_restart(policy, spec.restart_max, spec.restarts, spec.backoff_ms, &ended) {
        write_state(spec, Status::Restarting, spec.restarts + 1, Some(&outcome), health(&checks));
        if wait_unless_stopped(sfd, delay) {
            restart(spec, env, delay);
        }
    }
    if spec.keep_state {
        write_state(spec, Status::Exited, spec.restarts, Some(&outcome), health(&checks));
    } else if !spec.exec_only {
        let mut dir = path(&[spec.state_dir]);
        let _ = fs::remove_tree(&mut dir, 4);
    }
    if nft_sock >= 0 {
        sys::close(nft_sock);
    }
    outcome.code
}

#[derive(PartialEq, Eq)]
enum Relayed {
    Data,
    /// Nothing to read right now.
    Nothing,
    /// EOF, or EIO from a pty whose other side is closed.
    Closed,
}

/// Copies what `from` has to `to` (or the log sink).
fn relay(from: i32, to: i32, io: &mut [u8], sink: Option<&mut LogSink>) -> Relayed {
    match sys::read(from, io) {
        Ok(0) => Relayed::Closed,
        Ok(n) => {
            match sink {
                Some(s) => s.write(&io[..n]),
                None => {
                    if to >= 0 {
                        sys::write_all(to, &io[..n]);
                    }
                }
            }
            Relayed::Data
        }
        Err(sys::EINTR) | Err(sys::EAGAIN) => Relayed::Nothing,
        Err(_) => Relayed::Closed,
    }
}

fn copy_window_size(master: i32) {
    if master < 0 {
        return;
    }
    let mut ws = [0u16; 4];
    if sys::ioctl(0, sys::TIOCGWINSZ, ws.as_mut_ptr() as usize).is_ok() {
        let _ = sys::ioctl(master, sys::TIOCSWINSZ, ws.as_ptr() as usize);
    }
}

/// The outer terminal's settings exactly as they were before `-t` made it raw.
fn restore_terminal(spec: &Spec) {
    if spec.termios_len > 0 {
        let _ = sys::ioctl(0, sys::TCSETSW, spec.termios.as_ptr() as usize);
    }
}

fn oom_killed(spec: &Spec) -> bool {
    if spec.oom_file.is_empty() {
        return false;
    }
    let mut p = path(&[spec.oom_file]);
    let mut buf = [0u8; 1024];
    match fs::read_file(&mut p, &mut buf) {
        Ok(n) => keyed_value(&buf[..n], b"oom_kill").unwrap_or(0) > 0,
        Err(_) => false,
    }
}

/// Kills what is left in each cgroup (a process that escaped the pid namespace's end,
/// e.g. with a shared pid namespace) and removes it, sub-cgroups first. Parents stay:
/// another container may be starting under one (runtime/cgroup/manager.ts).
fn remove_cgroups(spec: &Spec) {
    for dir in spec.cgroups.iter() {
        // cgroup v2 (5.14): everything at once.
        let mut kill = path(&[dir, b"/cgroup.kill"]);
        if let Ok(fd) = sys::openat(sys::AT_FDCWD, kill.c_str(), sys::O_WRONLY, 0) {
            let _ = sys::write(fd, b"1");
            sys::close(fd);
        }
        for _ in 0..5 {
            let mut procs = path(&[dir, b"/cgroup.procs"]);
            let mut buf = [0u8; 4096];
            let n = match fs::read_file(&mut procs, &mut buf) {
                Ok(n) => n,
                Err(_) => 0,
            };
            let mut any = false;
            for line in buf[..n].split(|&c| c == b'\n') {
                if let Some(pid) = parse_int(line) {
                    any = true;
                    let _ = sys::kill(pid as i32, sys::SIGKILL);
                }
            }
            if !any {
                break;
            }
            sys::sleep_ms(10);
        }
        // A cgroup whose last task just died may be busy for a moment: up to 3 s.
        for _ in 0..300 {
            let mut p = path(&[dir]);
            match fs::remove_tree(&mut p, 8) {
                Ok(()) => break,
                Err(sys::EBUSY) => sys::sleep_ms(10),
                Err(e) => {
                    let mut b = Buf::<32>::new();
                    b.num(e as i64);
                    say(&[b"cannot remove the cgroup ", dir, b" (errno ", b.as_bytes(), b")"]);
                    break;
                }
            }
        }
    }
}

/// Gives back the container's network: its claims (an address, host ports) at once,
/// then its nf_tables rules, with the messages lite made when it added them; if that
/// fails (a rule already gone, no answer), lite removes them by their tag
/// (`lite net-release NAME`, as a hook is run). Returns the nf_tables socket for the
/// caller to close (-1: none).
fn release_network(spec: &Spec, sfd: i32, code: i32) -> i32 {
    // Unlinked while still locked (runtime/net/claims.ts: a claimer checks the inode
    // after its flock), and only if every claim's fd is here to hold it.
    let fds = || spec.claim_fds().filter(|&fd| fd != sfd);
    if fds().count() == spec.claim_paths.count() {
        for p in spec.claim_paths.iter() {
            let mut p = path(&[p]);
            let _ = sys::unlinkat(sys::AT_FDCWD, p.c_str(), 0);
        }
    }
    for fd in fds() {
        sys::close(fd);
    }
    if !spec.nft_release.is_empty() {
        if let Some(sock) = release_rules(spec.nft_release) {
            return sock;
        }
    }
    if !spec.release.is_empty() {
        run_command(spec, sfd, code, spec.name, b": network release: ", spec.release);
    }
    -1
}

/// How long the kernel may take to answer the release.
const NFT_RELEASE_TIMEOUT_MS: i64 = 2_000;

/// Sends the release batch, then its fence; the socket (still open) once the fence's
/// ack came with no error before it.
fn release_rules(hex: &[u8]) -> Option<i32> {
    let mut blob = [0u8; nlrelease::RELEASE_MAX];
    let n = parse_hex(hex, &mut blob)?;
    let (fence_at, fence_seq) = nlrelease::fence_of(&blob[..n])?;
    let fd = sys::netlink_netfilter().ok()?;
    let mut replies = nlrelease::Replies::More;
    if sys::send_to_kernel(fd, &blob[..fence_at]) == Ok(fence_at) && sys::send_to_kernel(fd, &blob[fence_at..n]) == Ok(n - fence_at) {
        let deadline = sys::monotonic_ms() + NFT_RELEASE_TIMEOUT_MS;
        let mut buf = [0u8; 8192];
        // Bounded: one ack per rule and the fence's, by the datagram count and the time.
        for _ in 0..256 {
            let left = deadline - sys::monotonic_ms();
            if left <= 0 {
                break;
            }
            let mut fds = [PollFd { fd, events: sys::POLLIN, revents: 0 }];
            let _ = sys::poll(&mut fds, left);
            match sys::recv(fd, &mut buf) {
                Ok(got) => replies = nlrelease::scan(&buf[..got.min(buf.len())], fence_seq, replies),
                Err(sys::EINTR) | Err(sys::EAGAIN) => continue,
                Err(_) => break,
            }
            if replies != nlrelease::Replies::More {
                break;
            }
        }
    }
    if replies == nlrelease::Replies::Done {
        return Some(fd);
    }
    sys::close(fd);
    None
}

/// Post-stop hooks, in order: host programs with PATH and the LITE_* variables.
/// Each spec entry is "FILE:LINE" then the argv, separated by 0x1f.
fn run_hooks(spec: &Spec, sfd: i32, code: i32) {
    for hook in spec.hooks.iter() {
        let (at, words) = match hook.iter().position(|&c| c == 0x1f) {
            Some(i) => (&hook[..i], &hook[i + 1..]),
            None => (hook, &b""[..]),
        };
        run_command(spec, sfd, code, at, b": [hook] post-stop: ", words);
    }
}

/// Runs one command (its words separated by 0x1f: fork, exec, a bounded wait) with the
/// hook environment; a failure is said as AT WHAT CMD ...
fn run_command(spec: &Spec, sfd: i32, code: i32, at: &[u8], what: &[u8], words: &[u8]) {
    let Some(cmd) = Command::new(spec, words, Some(code)) else {
        say(&[at, what, b"no command, or too long a one"]);
        return;
    };
    let pid = match sys::fork() {
        Ok(0) => cmd.exec(spec),
        Ok(pid) => pid as i32,
        Err(_) => {
            say(&[at, what, b"cannot fork"]);
            return;
        }
    };
    let status = wait_child(pid, sfd, HOOK_TIMEOUT_MS);
    let name = cmd.name();
    match status {
        Some(0) => {}
        Some(s) if exit_signal(s) != 0 => say(&[at, what, name, b" was killed by a signal"]),
        Some(s) if exit_code(s) == 127 => say(&[at, what, name, b" could not be run"]),
        Some(s) => {
            let mut b = Buf::<16>::new();
            b.num(exit_code(s) as i64);
            say(&[at, what, name, b" exited with ", b.as_bytes()]);
        }
        None => say(&[at, what, name, b" took too long and was killed"]),
    }
}

const MAX_ARGS: usize = 63;

/// A host command (a post-stop hook, the network release, the health check) and the
/// hook environment's own variables, made before fork; the child makes the pointers.
struct Command {
    /// The words, each ending at a NUL.
    argv: Buf<4096>,
    argc: usize,
    /// LITE_PID and, once the container has ended, LITE_EXIT_CODE, each ending at a NUL.
    vars: Buf<64>,
}

impl Command {
    /// From words separated by 0x1f; None if empty, or if more than fits (a cut word
    /// would lose its NUL).
    fn new(spec: &Spec, words: &[u8], code: Option<i32>) -> Option<Command> {
        let mut c = Command { argv: Buf::new(), argc: 1, vars: Buf::new() };
        for b in words {
            if *b == 0x1f {
                c.argc += 1;
            }
            c.argv.push(if *b == 0x1f { b"\0" } else { core::slice::from_ref(b) });
        }
        c.argv.push(b"\0");
        c.vars.push(b"LITE_PID=").num(spec.pid as i64).push(b"\0");
        if let Some(code) = code {
            c.vars.push(b"LITE_EXIT_CODE=").num(code as i64).push(b"\0");
        }
        (!words.is_empty() && c.argc <= MAX_ARGS && !c.argv.overflowed).then_some(c)
    }

    fn name(&self) -> &[u8] {
        self.argv.as_bytes().split(|&c| c == 0).next().unwrap_or(b"")
    }

    /// In the child: execs it with every signal unblocked and the environment
    /// spec.env plus the variables; exits 127 if it cannot.
    fn exec(&self, spec: &Spec) -> ! {
        let _ = sys::sigprocmask(2, 0);
        let mut argv = [core::ptr::null::<u8>(); MAX_ARGS + 1];
        for (p, w) in argv.iter_mut().zip(self.argv.as_bytes().split(|&c| c == 0).take(self.argc)) {
            *p = w.as_ptr();
        }
        // Spec values end at a NUL (read_spec made the newlines NULs), as the variables do.
        let vars = self.vars.as_bytes().split(|&c| c == 0).filter(|v| !v.is_empty());
        let mut envp = [core::ptr::null::<u8>(); spec::MAX_LIST + 3];
        for (p, e) in envp.iter_mut().zip(spec.env.iter().chain(vars)) {
            *p = e.as_ptr();
        }
        let cmd = self.name();
        if cmd.contains(&b'/') {
            sys::execve(argv[0], argv.as_ptr(), envp.as_ptr());
        } else {
            // PATH from the hook environment, as spawnSync would search it.
            let path_var = spec.env.iter().find(|e| e.starts_with(b"PATH=")).map(|e| &e[5..]).unwrap_or(b"/usr/sbin:/usr/bin:/sbin:/bin");
            for dir in path_var.split(|&c| c == b':') {
                let mut p = path(&[dir, b"/", cmd]);
                sys::execve(p.c_str().as_ptr(), argv.as_ptr(), envp.as_ptr());
            }
        }
        sys::exit(127)
    }
}

/// The health checks (spec.health_cmd): the one that runs, or when the next starts.
struct Checks {
    cmd: Command,
    state: HealthState,
    /// The running check; -1: none runs.
    pid: i32,
    /// monotonic ms: when the running check started, or when the next one may.
    at: i64,
}

fn health(checks: &Option<Checks>) -> Option<&HealthState> {
    checks.as_ref().map(|c| &c.state)
}

impl Checks {
    /// None without a health check (then nothing of health is in the state either).
    fn new(spec: &Spec, began: i64) -> Option<Checks> {
        if spec.health_cmd.is_empty() || spec.exec_only {
            return None;
        }
        let Some(cmd) = Command::new(spec, spec.health_cmd, None) else {
            say(&[b"the health check of ", spec.name, b" is too long to run"]);
            return None;
        };
        Some(Checks { cmd, state: HealthState::new(), pid: -1, at: began + spec.health_interval_ms })
    }

    /// When the poll must wake for the checks (monotonic ms; -1: no need): the running
    /// check's deadline, else the next one's start if one may start.
    fn wake_at(&self, spec: &Spec, may_start: bool) -> i64 {
        if self.pid >= 0 {
            self.at + spec.health_timeout_ms
        } else if may_start {
            self.at
        } else {
            -1
        }
    }

    /// Starts a check when one is due, or takes the running one's result; what the
    /// result changed once a check has completed.
    fn step(&mut self, spec: &Spec, began: i64, may_start: bool) -> Option<Transition> {
        let now = sys::monotonic_ms();
        let exit = if self.pid < 0 {
            if !may_start || now < self.at {
                return None;
            }
            self.at = now;
            match sys::fork() {
                Ok(0) => {
                    check_stdio(spec);
                    self.cmd.exec(spec)
                }
                Ok(pid) => {
                    self.pid = pid as i32;
                    return None;
                }
                // Not run: a failure, as an exec's would be.
                Err(_) => 127,
            }
        } else {
            // Its own pid only: the container's first process is reaped by pid too.
            match sys::wait4(self.pid, sys::WNOHANG) {
                Ok((p, s)) if p == self.pid => exit_code(s) as i64,
                _ if now >= self.at + spec.health_timeout_ms => {
                    self.cancel();
                    -1
                }
                _ => return None,
            }
        };
        self.pid = -1;
        let t = self.state.on_result(exit == 0, exit, now - self.at, self.at - began, spec.health_start_period_ms, spec.health_retries);
        self.at = now + spec.health_interval_ms;
        Some(t)
    }

    /// Kills the running check, if any, and reaps it.
    fn cancel(&mut self) {
        if self.pid >= 0 {
            let _ = sys::kill(self.pid, sys::SIGKILL);
            let _ = sys::wait4(self.pid, 0);
            self.pid = -1;
        }
    }
}

/// In a check's child: stdin from /dev/null, stdout and stderr to the state dir's
/// health.log, emptied first, so that it holds the last check's output.
fn check_stdio(spec: &Spec) {
    let null = sys::openat(sys::AT_FDCWD, b"/dev/null\0", sys::O_RDONLY, 0).unwrap_or(-1);
    let mut p = path(&[spec.state_dir, b"/health.log"]);
    let out = sys::openat(sys::AT_FDCWD, p.c_str(), sys::O_WRONLY | sys::O_CREAT | sys::O_TRUNC | sys::O_NOFOLLOW, 0o644).unwrap_or(null);
    // In this order: an fd opened at 0, 1 or 2 (one was closed) is taken before it is replaced.
    for (fd, to) in [(null, 0), (out, 1), (out, 2)] {
        if fd == to {
            // openat set close-on-exec.
            let _ = sys::fcntl(fd, F_SETFD, 0);
        } else if fd >= 0 {
            sys::close(to);
            // The lowest free fd from `to` is `to`; a dup is open across exec.
            let _ = sys::fcntl(fd, F_DUPFD, to as usize);
        }
    }
}

/// A completed check: a line in the log when the health changed (but not for the usual
/// start), the stop of an unhealthy container that is to start again, and the state.
fn checked(container: &Container, stop: &mut Stop, sink: &mut LogSink, h: &HealthState, t: Transition) {
    let spec = container.spec;
    let restart = t == Transition::BecameUnhealthy && spec.health_restart && !stop.stopping();
    if restart {
        // As a stop request, but not one: the restart follows.
        stop.unhealthy = true;
        container.signal(spec.stop_signal);
        stop.kill_at = sys::monotonic_ms() + spec.stop_timeout_ms;
    }
    if t == Transition::BecameUnhealthy || t == Transition::Recovered {
        let mut b = Buf::<256>::new();
        b.push(b"lite: ").push(spec.name);
        if t == Transition::Recovered {
            b.push(b" is healthy");
        } else {
            b.push(b" is unhealthy: ").num(h.streak).push(b" checks failed in a row");
        }
        if restart {
            b.push(b"; restarting it");
        }
        sink.note(b.push(b"\n").as_bytes());
    }
    // Every check, so that health_checks counts them.
    let status = if stop.stopping() { Status::Stopping } else { Status::Running };
    write_state(spec, status, spec.restarts, None, Some(h));
}

/// Waits for a child of the monitor, killing it after `timeout_ms`; None on timeout.
fn wait_child(pid: i32, sfd: i32, timeout_ms: i64) -> Option<i32> {
    let deadline = sys::monotonic_ms() + timeout_ms;
    loop {
        if let Ok((p, status)) = sys::wait4(pid, sys::WNOHANG) {
            if p == pid {
                return Some(status);
            }
        }
        let left = deadline - sys::monotonic_ms();
        if left <= 0 {
            let _ = sys::kill(pid, sys::SIGKILL);
            let _ = sys::wait4(pid, 0);
            return None;
        }
        let mut fds = [PollFd { fd: sfd, events: sys::POLLIN, revents: 0 }];
        let _ = sys::poll(&mut fds, left.min(100));
        drain(sfd);
    }
}

/// A stop request taken from the signalfd once the container had ended: no restart.
static STOP_AFTER_END: AtomicBool = AtomicBool::new(false);

/// Takes what the signalfd holds once the container has ended (only a stop request
/// still matters); true if a stop request came since.
fn drain(sfd: i32) -> bool {
    let mut info = [0u8; 128];
    while let Ok(128) = sys::read(sfd, &mut info) {
        let sig = u32::from_ne_bytes([info[0], info[1], info[2], info[3]]) as i32;
        if sig == sys::SIGTERM || sig == sys::SIGINT {
            STOP_AFTER_END.store(true, Ordering::Relaxed);
        }
    }
    STOP_AFTER_END.load(Ordering::Relaxed)
}

/// Sleeps the back-off (none: only looks); false if a stop request came meanwhile.
fn wait_unless_stopped(sfd: i32, ms: i64) -> bool {
    let deadline = sys::monotonic_ms() + ms;
    loop {
        if drain(sfd) {
            return false;
        }
        let left = deadline - sys::monotonic_ms();
        if left <= 0 {
            return true;
        }
        let mut fds = [PollFd { fd: sfd, events: sys::POLLIN, revents: 0 }];
        let _ = sys::poll(&mut fds, left);
    }
}

const RESTART_VARS: [&[u8]; 3] = [b"LITE_RESTARTS=", b"LITE_BACKOFF_MS=", b"LITE_STATE_LOCK_FD="];

/// Starts the container again: exec lite itself (same pid, so a supervisor sees no
/// change) with the restart count, the back-off and the state lock to adopt.
fn restart(spec: &Spec, env: &CStrs, delay: i64) {
    let mut lite = path(&[spec.lite]);
    let mut argv_buf = Buf::<8192>::new();
    let mut starts = [0usize; spec::MAX_LIST + 2];
    let mut argc = 0;
    for a in core::iter::once(spec.lite).chain(spec.args.iter()) {
        starts[argc] = argv_buf.len();
        argv_buf.push(a).push(b"\0");
        argc += 1;
    }
    let mut vars = Buf::<256>::new();
    let var_starts = [0, {
        vars.push(RESTART_VARS[0]).num(spec.restarts + 1).push(b"\0");
        vars.len()
    }, {
        vars.push(RESTART_VARS[1]).num(delay).push(b"\0");
        vars.len()
    }];
    vars.push(RESTART_VARS[2]).num(spec.lock_fd as i64).push(b"\0");
    if argv_buf.overflowed || vars.overflowed {
        say(&[b"cannot restart ", spec.name, b": arguments too long"]);
        return;
    }
    let mut argv = [core::ptr::null::<u8>(); spec::MAX_LIST + 2];
    for (i, &s) in starts[..argc].iter().enumerate() {
        argv[i] = unsafe { argv_buf.as_bytes().as_ptr().add(s) };
    }
    let mut envp = [core::ptr::null::<u8>(); 512];
    let mut envc = 0;
    for i in 0..env.len() {
        let Some(e) = env.get(i) else { break };
        if RESTART_VARS.iter().any(|v| e.starts_with(v)) || envc >= envp.len() - 4 {
            continue;
        }
        envp[envc] = unsafe { *env.raw().add(i) };
        envc += 1;
    }
    for s in var_starts {
        envp[envc] = unsafe { vars.as_bytes().as_ptr().add(s) };
        envc += 1;
    }
    // The lock goes to the new lite, open; everything else of ours closes on exec.
    let _ = sys::fcntl(spec.lock_fd, F_SETFD, 0);
    // A restart request that comes before the new lite takes it (early_signals.rs)
    // must not end this pid (an RT signal's default): pending ones go, later ones are
    // ignored through execve.
    let _ = sys::ignore_signal(RESTART_REQUEST);
    let _ = sys::sigprocmask(2, 0);
    let e = sys::execve(lite.c_str().as_ptr(), argv.as_ptr(), envp.as_ptr());
    let _ = sys::sigprocmask(0, signal_set());
    let _ = sys::fcntl(spec.lock_fd, F_SETFD, 1);
    let mut b = Buf::<16>::new();
    b.num(e as i64);
    say(&[b"cannot restart ", spec.name, b": exec ", spec.lite, b" failed (errno ", b.as_bytes(), b")"]);
}

