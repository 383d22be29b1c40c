//! lite's monitor: a tiny static program with no libc, carried inside the addon as
//! bytes, written to a sealed memfd and entered with execveat (DESIGN.md §6).
//!
//! - `lite-monitor FD`: `lite run` execs into it once the container runs (same pid, so
//!   the monitor is the container's parent). FD holds the spec (spec.rs). It waits,
//!   forwards signals, applies the stop and restart policies, relays the terminal or
//!   the detached log, runs post-stop hooks, removes the cgroups and writes the state.
//! - `lite-init`: `[exec] init = yes`, as the container's PID 1: reaps orphans,
//!   forwards signals to the app and exits with its status.

#![no_std]
#![no_main]

mod fs;
mod health;
mod init;
mod logsink;
mod mem;
mod monitor;
mod nlrelease;
mod policy;
mod spec;
mod sys;
mod text;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    sys::write_all(2, b"lite: monitor: internal error\n");
    sys::exit(125)
}

/// The C strings of argv or envp, from the initial stack.
pub struct CStrs {
    ptr: *const *const u8,
    len: usize,
}

impl CStrs {
    pub fn get(&self, i: usize) -> Option<&'static [u8]> {
        if i >= self.len {
            return None;
        }
        // SAFETY: the kernel put NUL-terminated strings and a NULL-terminated array there.
        unsafe {
            let p = *self.ptr.add(i);
            let mut n = 0;
            while *p.add(n) != 0 {
                n += 1;
            }
            Some(core::slice::from_raw_parts(p, n))
        }
    }
    pub fn raw(&self) -> *const *const u8 {
        self.ptr
    }
    pub fn len(&self) -> usize {
        self.len
    }
}

/// Called by `_start` with the initial stack pointer: argc, argv..., NULL, envp..., NULL.
#[no_mangle]
unsafe extern "C" fn monitor_entry(sp: *const usize) -> ! {
    let argc = *sp;
    let argv = sp.add(1) as *const *const u8;
    let envp = argv.add(argc + 1);
    let mut envc = 0;
    while !(*envp.add(envc)).is_null() {
        envc += 1;
    }
    let args = CStrs { ptr: argv, len: argc };
    let env = CStrs { ptr: envp, len: envc };
    let code = match args.get(0) {
        Some(b"lite-init") => init::run(&args),
        _ => monitor::run(&args, &env),
    };
    sys::exit(code)
}

#[cfg(target_arch = "x86_64")]
core::arch::global_asm!(
    ".globl _start",
    "_start:",
    "xor ebp, ebp",
    "mov rdi, rsp",
    "and rsp, -16",
    "call monitor_entry",
    "ud2",
);

#[cfg(target_arch = "aarch64")]
core::arch::global_asm!(
    ".globl _start",
    "_start:",
    "mov x29, #0",
    "mov x30, #0",
    "mov x0, sp",
    "bl monitor_entry",
    "brk #0",
);
