//! `[exec] init = yes`: the container's PID 1. lite's child forks the app, then execs
//! this with every signal still blocked; signals are taken synchronously: SIGCHLD
//! reaps (orphans included), anything else goes to the app. Exits with the app's
//! status, 128 + signal when it was killed.

use crate::sys;
use crate::text::parse_int;
use crate::CStrs;

pub fn run(args: &CStrs) -> i32 {
    let app = match args.get(1).and_then(parse_int) {
        Some(p) if p > 0 => p as i32,
        _ => {
            sys::write_all(2, b"lite-init: usage: lite-init APP_PID\n");
            return 125;
        }
    };
    // Every signal but KILL and STOP (which cannot be caught anyway).
    let all: u64 = !0;
    loop {
        match sys::sigwait(all) {
            Ok(sys::SIGCHLD) => loop {
                match sys::wait4(-1, sys::WNOHANG | sys::WALL) {
                    Ok((0, _)) => break,
                    Ok((pid, status)) if pid == app => return exit_code(status),
                    Ok(_) => continue,
                    Err(sys::EINTR) => continue,
                    Err(_) => break,
                }
            },
            Ok(sig) => {
                let _ = sys::kill(app, sig);
            }
            Err(_) => {}
        }
    }
}

/// A wait status as a shell reports it.
pub fn exit_code(status: i32) -> i32 {
    let sig = status & 0x7f;
    if sig == 0 {
        (status >> 8) & 0xff
    } else if sig != 0x7f {
        128 + sig
    } else {
        125
    }
}

/// The signal that ended a wait status, or 0.
pub fn exit_signal(status: i32) -> i32 {
    let sig = status & 0x7f;
    if sig != 0 && sig != 0x7f {
        sig
    } else {
        0
    }
}
