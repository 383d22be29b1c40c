//! Signals that reach `lite run` while it sets the container up, before the monitor
//! takes them from a signalfd. A plain C handler notes them (on whichever of Bun's
//! threads the kernel picks; Bun's own handlers would only run on its event loop, which
//! never turns again once lite execs into the monitor). A stop request before clone
//! ends the run cleanly; after it, the monitor gets the last signal in its spec.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

static LAST: AtomicI32 = AtomicI32::new(0);
static STOP: AtomicBool = AtomicBool::new(false);

const WATCHED: [libc::c_int; 6] = [
    libc::SIGTERM,
    libc::SIGINT,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
];

extern "C" fn note(sig: libc::c_int) {
    LAST.store(sig, Ordering::SeqCst);
    if sig == libc::SIGTERM || sig == libc::SIGINT {
        STOP.store(true, Ordering::SeqCst);
    }
}

/// Replaces the handlers of the watched signals with `note`.
pub fn watch() {
    for sig in WATCHED {
        let mut act: libc::sigaction = unsafe { std::mem::zeroed() };
        act.sa_sigaction = note as *const () as usize;
        act.sa_flags = libc::SA_RESTART;
        unsafe {
            libc::sigemptyset(&mut act.sa_mask);
            libc::sigaction(sig, &act, std::ptr::null_mut());
        }
    }
}

pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// What the monitor should act on first: a stop request wins over a later signal.
pub fn pending() -> Option<libc::c_int> {
    if stop_requested() {
        return Some(libc::SIGTERM);
    }
    match LAST.load(Ordering::SeqCst) {
        0 => None,
        sig => Some(sig),
    }
}
