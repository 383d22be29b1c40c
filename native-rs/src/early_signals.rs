//! Signals that reach `lite run` while it sets the container up, before the monitor
//! takes them from a signalfd. A plain C handler notes them (on whichever of Bun's
//! threads the kernel picks; Bun's own handlers would only run on its event loop, which
//! never turns again once lite execs into the monitor). A stop request before clone
//! ends the run cleanly; after it, the monitor gets the noted signal in its spec.
//!
//! No signal may fall between the two. The thread that execs into the monitor blocks
//! every signal, then calls `pending`, which
//! 1. takes what was noted and arms the hand-over in one atomic swap: a handler that
//!    runs later, on another thread, re-sends its signal to the exec thread, where it
//!    stays pending (blocked) through execve and reaches the monitor's signalfd;
//! 2. has every other thread block the watched signals (a barrier signal whose handler
//!    adds them to the thread's mask, and which cannot run before a `note` that thread
//!    has begun returns): execve kills the other threads, and a signal one of them had
//!    already taken from the kernel, with its handler not yet run, would be lost.
//!    After the barrier, a new signal waits in the process's pending set, which
//!    survives execve.
//!
//! So each signal is either in the spec or pending for the monitor, never both and
//! never neither.
//!
//! A restart request (RESTART_REQUEST) is not watched: one that comes before the
//! monitor runs is dropped (`lite restart` sends it only once the state says running,
//! which only the monitor writes). It gets a handler that does nothing, so that it does
//! not end lite (the default of a real-time signal) on any of Bun's threads; a handler,
//! not SIG_IGN, because the exec into the monitor resets ignored signals to their
//! default while other threads still run. The monitor's own restart of lite leaves it
//! ignored until this handler is set (monitor.rs `restart`).

use std::sync::atomic::{AtomicI32, AtomicU64, AtomicUsize, Ordering};

/// Low 32 bits: the watched signals noted (bit `sig - 1`); high 32 bits: the thread
/// that execs into the monitor (0 until `pending` arms the hand-over).
static STATE: AtomicU64 = AtomicU64::new(0);
/// The first stop request (SIGTERM or SIGINT): decides the exit code when both came.
static FIRST_STOP: AtomicI32 = AtomicI32::new(0);
/// The latest signal noted: which one the monitor gets when several came.
static LAST: AtomicI32 = AtomicI32::new(0);

/// The monitor's RESTART_REQUEST (native-rs/monitor/monitor.rs): SIGRTMIN+5 in the
/// kernel's numbering.
pub const RESTART_REQUEST: libc::c_int = 39;

const WATCHED: [libc::c_int; 6] = [
    libc::SIGTERM,
    libc::SIGINT,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
];

fn bit(sig: libc::c_int) -> u64 {
    1u64 << (sig - 1)
}

fn is_stop(sig: libc::c_int) -> bool {
    sig == libc::SIGTERM || sig == libc::SIGINT
}

fn gettid() -> i32 {
    unsafe { libc::syscall(libc::SYS_gettid) as i32 }
}

extern "C" fn note(sig: libc::c_int) {
    if is_stop(sig) {
        let _ = FIRST_STOP.compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst);
    }
    LAST.store(sig, Ordering::SeqCst);
    let before = STATE.fetch_or(bit(sig), Ordering::SeqCst);
    let exec_thread = (before >> 32) as i32;
    // Armed before our bit went in: the hand-over did not take it, so the exec thread
    // gets the signal itself. (On the exec thread itself the hand-over failed and its
    // mask is back: the bit is noted, nothing more to do.)
    if exec_thread != 0 && exec_thread != gettid() {
        unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), exec_thread, sig) };
    }
}

/// A restart request before the monitor runs: dropped (see the header).
extern "C" fn drop_request(_: libc::c_int) {}

/// The real-time signal of the hand-over's barrier (0: none free).
static BARRIER: AtomicI32 = AtomicI32::new(0);
/// Threads that have passed the barrier.
static PASSED: AtomicUsize = AtomicUsize::new(0);

fn watched_mask() -> u64 {
    WATCHED.iter().fold(0, |m, &s| m | bit(s))
}

fn add_watched(set: &mut libc::sigset_t) {
    for sig in WATCHED {
        unsafe { libc::sigaddset(set, sig) };
    }
}

/// The barrier's handler: the watched signals stay blocked in this thread once the
/// handler returns (the mask the kernel restores is the one in the context).
extern "C" fn block_watched(_: libc::c_int, _: *mut libc::siginfo_t, context: *mut libc::c_void) {
    let context = context as *mut libc::ucontext_t;
    if !context.is_null() {
        add_watched(unsafe { &mut (*context).uc_sigmask });
    }
    PASSED.fetch_add(1, Ordering::SeqCst);
}

/// A real-time signal nobody handles (glibc keeps the first ones for itself).
fn free_realtime_signal() -> libc::c_int {
    for sig in libc::SIGRTMIN() + 4..=libc::SIGRTMAX() {
        if sig == RESTART_REQUEST {
            continue;
        }
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        if unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) } == 0
            && old.sa_sigaction == libc::SIG_DFL
        {
            return sig;
        }
    }
    0
}

/// Replaces the handlers of the watched signals with `note`, drops restart requests,
/// and sets up the barrier.
pub fn watch() {
    let mut act: libc::sigaction = unsafe { std::mem::zeroed() };
    act.sa_sigaction = drop_request as *const () as usize;
    act.sa_flags = libc::SA_RESTART;
    unsafe {
        libc::sigemptyset(&mut act.sa_mask);
        libc::sigaction(RESTART_REQUEST, &act, std::ptr::null_mut());
    }
    let barrier = match BARRIER.load(Ordering::SeqCst) {
        0 => free_realtime_signal(),
        sig => sig,
    };
    if barrier > 0 {
        let mut act: libc::sigaction = unsafe { std::mem::zeroed() };
        act.sa_sigaction = block_watched as *const () as usize;
        act.sa_flags = libc::SA_RESTART | libc::SA_SIGINFO;
        unsafe {
            libc::sigemptyset(&mut act.sa_mask);
            add_watched(&mut act.sa_mask);
            libc::sigaction(barrier, &act, std::ptr::null_mut());
        }
        BARRIER.store(barrier, Ordering::SeqCst);
    }
    for sig in WATCHED {
        let mut act: libc::sigaction = unsafe { std::mem::zeroed() };
        act.sa_sigaction = note as *const () as usize;
        act.sa_flags = libc::SA_RESTART;
        unsafe {
            libc::sigemptyset(&mut act.sa_mask);
            // A barrier that reaches a thread running `note` waits until it returns.
            if barrier > 0 {
                libc::sigaddset(&mut act.sa_mask, barrier);
            }
            libc::sigaction(sig, &act, std::ptr::null_mut());
        }
    }
}

/// A thread of this process, as the barrier sees it.
struct Straggler {
    tid: i32,
    /// It blocks the barrier signal itself (glibc starts a new thread with every signal
    /// blocked and restores its creator's mask a moment later; or it is in `note`): the
    /// barrier signal is queued for it, to run as soon as it unblocks, but not waited for.
    deferred: bool,
}

fn status_mask(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
}

/// The other threads of this process that may still take a watched signal.
fn threads_taking_watched(me: i32, barrier: libc::c_int) -> Vec<Straggler> {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    let barrier_bit = bit(barrier);
    let mut out = Vec::new();
    for entry in dir.flatten() {
        let Some(tid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        if tid == me {
            continue;
        }
        let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
        // Gone meanwhile (no status): nothing to do.
        let Some(blocked) = status_mask(&status, "SigBlk:") else {
            continue;
        };
        let queued = status_mask(&status, "SigPnd:").unwrap_or(0) & barrier_bit != 0;
        if blocked & barrier_bit != 0 {
            if !queued {
                out.push(Straggler {
                    tid,
                    deferred: true,
                });
            }
        } else if blocked & watched_mask() != watched_mask() {
            out.push(Straggler {
                tid,
                deferred: false,
            });
        }
    }
    out
}

/// Rounds of the barrier, and how long one round waits for the threads it signalled.
/// A round ends early only on the threads' own word (/proc/self/task/*/status): a
/// handler counted in PASSED may be one sent in an earlier round, and a thread may
/// start another before it blocks. At most 50 x 20 ms; one round when all is well.
const BARRIER_ROUNDS: usize = 50;
const BARRIER_WAIT_US: u64 = 20_000;

/// Has every other thread block the watched signals (see the header).
fn barrier(me: i32) {
    let sig = BARRIER.load(Ordering::SeqCst);
    if sig <= 0 {
        return;
    }
    let pid = unsafe { libc::getpid() };
    for _ in 0..BARRIER_ROUNDS {
        let threads = threads_taking_watched(me, sig);
        if threads.is_empty() {
            return;
        }
        let start = PASSED.load(Ordering::SeqCst);
        let sent = threads
            .iter()
            .filter(|t| unsafe { libc::syscall(libc::SYS_tgkill, pid, t.tid, sig) } == 0)
            .filter(|t| !t.deferred)
            .count();
        let deadline =
            std::time::Instant::now() + std::time::Duration::from_micros(BARRIER_WAIT_US);
        while PASSED.load(Ordering::SeqCst) < start + sent && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_micros(20));
        }
    }
}

/// The signal a set of noted signals stands for: a stop request wins (the one that came
/// first, so that the exit code is 128 + that signal), else the latest signal.
fn chosen(noted: u32, first_stop: i32, last: i32) -> Option<libc::c_int> {
    let has = |sig: libc::c_int| noted as u64 & bit(sig) != 0;
    match (has(libc::SIGTERM), has(libc::SIGINT)) {
        (true, true) if is_stop(first_stop) => return Some(first_stop),
        (true, _) => return Some(libc::SIGTERM),
        (false, true) => return Some(libc::SIGINT),
        (false, false) => {}
    }
    if last > 0 && has(last) {
        return Some(last);
    }
    WATCHED.into_iter().find(|&s| has(s))
}

/// The stop request noted so far (before clone: the run ends with 128 + it).
pub fn stop_signal() -> Option<libc::c_int> {
    let noted = STATE.load(Ordering::SeqCst) as u32;
    chosen(noted, FIRST_STOP.load(Ordering::SeqCst), 0).filter(|&s| is_stop(s))
}

/// What the monitor should act on first, taken for its spec. The caller is the thread
/// that execs into the monitor, with every signal blocked until the exec: from this call
/// on, every later signal waits for the monitor (see the header).
pub fn pending() -> Option<libc::c_int> {
    let me = gettid();
    let noted = STATE.swap((me as u32 as u64) << 32, Ordering::SeqCst) as u32;
    barrier(me);
    chosen(
        noted,
        FIRST_STOP.load(Ordering::SeqCst),
        LAST.load(Ordering::SeqCst),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// The statics are process-wide: one test at a time touches them.
    static SERIAL: Mutex<()> = Mutex::new(());

    fn reset() {
        STATE.store(0, Ordering::SeqCst);
        FIRST_STOP.store(0, Ordering::SeqCst);
        LAST.store(0, Ordering::SeqCst);
    }

    #[test]
    fn a_stop_request_keeps_its_own_signal() {
        let b = |s: &[i32]| s.iter().fold(0u32, |m, &x| m | bit(x) as u32);
        assert_eq!(
            chosen(b(&[libc::SIGINT]), libc::SIGINT, libc::SIGINT),
            Some(libc::SIGINT)
        );
        assert_eq!(
            chosen(b(&[libc::SIGTERM]), libc::SIGTERM, libc::SIGUSR1),
            Some(libc::SIGTERM)
        );
        // Both: the first one decides.
        assert_eq!(
            chosen(
                b(&[libc::SIGINT, libc::SIGTERM]),
                libc::SIGINT,
                libc::SIGTERM
            ),
            Some(libc::SIGINT)
        );
        assert_eq!(
            chosen(
                b(&[libc::SIGINT, libc::SIGTERM]),
                libc::SIGTERM,
                libc::SIGINT
            ),
            Some(libc::SIGTERM)
        );
        // A stop request wins over a later signal of another kind.
        assert_eq!(
            chosen(b(&[libc::SIGINT, libc::SIGHUP]), libc::SIGINT, libc::SIGHUP),
            Some(libc::SIGINT)
        );
        assert_eq!(
            chosen(b(&[libc::SIGHUP, libc::SIGUSR2]), 0, libc::SIGUSR2),
            Some(libc::SIGUSR2)
        );
        assert_eq!(chosen(0, 0, 0), None);
    }

    #[test]
    fn stop_signal_does_not_take_what_was_noted() {
        let _g = SERIAL.lock().unwrap();
        reset();
        note(libc::SIGINT);
        assert_eq!(stop_signal(), Some(libc::SIGINT));
        assert_eq!(stop_signal(), Some(libc::SIGINT), "still there");
        assert_eq!(pending(), Some(libc::SIGINT));
        reset();
        note(libc::SIGUSR1);
        assert_eq!(stop_signal(), None, "not a stop request");
        reset();
    }

    /// A signal noted after the hand-over was armed is re-sent to the exec thread,
    /// where it waits, blocked, for the monitor's signalfd: never lost, never twice.
    #[test]
    fn after_the_hand_over_a_signal_goes_to_the_exec_thread() {
        let _g = SERIAL.lock().unwrap();
        reset();
        let (tx, rx) = std::sync::mpsc::channel();
        let exec_thread = std::thread::spawn(move || unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            libc::pthread_sigmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
            note(libc::SIGHUP);
            let handed = pending();
            tx.send(handed).unwrap();
            // Wait (bounded) for the signal that another thread notes from now on.
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGUSR2);
            let timeout = libc::timespec {
                tv_sec: 5,
                tv_nsec: 0,
            };
            let got = libc::sigtimedwait(&set, std::ptr::null_mut(), &timeout);
            let mut left: libc::sigset_t = std::mem::zeroed();
            libc::sigpending(&mut left);
            (got, libc::sigismember(&left, libc::SIGUSR2))
        });
        assert_eq!(
            rx.recv().unwrap(),
            Some(libc::SIGHUP),
            "noted before: in the spec"
        );
        // The handler as it runs on another thread, after the hand-over was armed.
        note(libc::SIGUSR2);
        let (got, still_pending) = exec_thread.join().unwrap();
        assert_eq!(got, libc::SIGUSR2, "pending on the exec thread");
        assert_eq!(still_pending, 0, "once");
        reset();
    }

    /// A restart request while lite sets the container up does not end it (the default
    /// of a real-time signal); it is dropped, and the barrier never takes its number.
    #[test]
    fn a_restart_request_before_the_monitor_is_dropped() {
        let _g = SERIAL.lock().unwrap();
        reset();
        watch();
        assert_ne!(BARRIER.load(Ordering::SeqCst), RESTART_REQUEST);
        assert_eq!(unsafe { libc::raise(RESTART_REQUEST) }, 0);
        assert_eq!(STATE.load(Ordering::SeqCst), 0, "not noted");
        assert_eq!(pending(), None, "nothing for the monitor's spec");
        reset();
    }

    /// At the hand-over every other thread blocks the watched signals, so that execve
    /// cannot kill one that took a signal and has not noted it yet: a signal sent to
    /// the process then waits in its pending set (which survives execve).
    #[test]
    fn the_barrier_leaves_new_signals_pending_for_the_monitor() {
        let _g = SERIAL.lock().unwrap();
        reset();
        watch();
        assert!(
            BARRIER.load(Ordering::SeqCst) > 0,
            "a free real-time signal"
        );
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let helpers: Vec<_> = (0..3)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                    let mut mask: libc::sigset_t = unsafe { std::mem::zeroed() };
                    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut mask) };
                    unsafe { libc::sigismember(&mask, libc::SIGUSR2) }
                })
            })
            .collect();
        let (tx, rx) = std::sync::mpsc::channel();
        let exec_thread = std::thread::spawn(move || unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            libc::pthread_sigmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
            tx.send(pending()).unwrap();
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGUSR2);
            let timeout = libc::timespec {
                tv_sec: 5,
                tv_nsec: 0,
            };
            libc::sigtimedwait(&set, std::ptr::null_mut(), &timeout)
        });
        assert_eq!(rx.recv().unwrap(), None);
        unsafe { libc::kill(libc::getpid(), libc::SIGUSR2) };
        assert_eq!(
            exec_thread.join().unwrap(),
            libc::SIGUSR2,
            "pending for the exec thread"
        );
        assert_eq!(
            STATE.load(Ordering::SeqCst) as u32,
            0,
            "no other thread took it"
        );
        stop.store(true, Ordering::SeqCst);
        for h in helpers {
            assert_eq!(
                h.join().unwrap(),
                1,
                "each thread blocks the watched signals"
            );
        }
        reset();
    }
}
