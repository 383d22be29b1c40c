//! The restart policy: whether an ended container starts again, and after how long.
//! Pure, so it is unit-tested in the library.

use crate::spec::Restart;

/// The first back-off; it doubles with each quick failure up to `MAX_BACKOFF_MS`.
pub const FIRST_BACKOFF_MS: i64 = 100;
pub const MAX_BACKOFF_MS: i64 = 10_000;
/// A run that lasted this long was not a crash loop: the back-off starts over.
pub const STABLE_RUN_MS: i64 = 10_000;

pub struct Ended {
    pub exit_code: i32,
    /// A stop request (lite stop, SIGTERM to lite) came before the end.
    pub stop_requested: bool,
    /// A restart request (RESTART_REQUEST: lite restart, lite update) stopped it.
    pub restart_requested: bool,
    pub ran_ms: i64,
}

/// Some(delay in ms) to restart after, or None to stay stopped.
pub fn next_restart(
    policy: Restart,
    max: i64,
    restarts: i64,
    last_backoff_ms: i64,
    ended: &Ended,
) -> Option<i64> {
    if ended.stop_requested {
        return None;
    }
    // Asked for: at once, whatever the policy and its limit say.
    if ended.restart_requested {
        return Some(0);
    }
    match policy {
        Restart::No => return None,
        Restart::OnFailure if ended.exit_code == 0 => return None,
        _ => {}
    }
    if max > 0 && restarts >= max {
        return None;
    }
    if ended.ran_ms >= STABLE_RUN_MS || last_backoff_ms <= 0 {
        return Some(FIRST_BACKOFF_MS);
    }
    Some((last_backoff_ms * 2).min(MAX_BACKOFF_MS))
}

/// What a restart request does to a running container.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Request {
    /// Nothing: a stop request came first (it wins), or a restart is already asked for.
    Ignore,
    /// Stop it as a stop request would (stop_signal, SIGKILL after stop_timeout); it
    /// starts again at once once it has ended.
    Stop,
    /// Already being stopped to start again (unhealthy): that restart comes at once.
    Join,
}

pub fn restart_request(
    stop_requested: bool,
    restart_requested: bool,
    stopping_unhealthy: bool,
) -> Request {
    if stop_requested || restart_requested {
        Request::Ignore
    } else if stopping_unhealthy {
        Request::Join
    } else {
        Request::Stop
    }
}
