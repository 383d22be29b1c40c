//! The addon as a program: lite's compiled binary execs this file (the addon it
//! unpacked) for a warm plain `lite run FILE` or `lite exec NAME CMD...`
//! (runtime/fast-front.ts), so that the fast run and exec (fast_run/) are the same
//! compiled code as the addon's, not a second copy.
//!
//! The library gets an entry point and an interpreter (build.rs, `.interp` below), as
//! glibc's libc.so does. The dynamic loader maps it and its libraries and runs their
//! initialisers, but not this object's own (that is the C runtime's job for a main
//! program, and there is none): nothing here relies on one, and the arguments are
//! read from the initial stack. The N-API symbols are looked up at load time only when
//! a JavaScript runtime loads the addon (napi's dyn-symbols), so none is missing here.

#[used]
#[link_section = ".interp"]
#[cfg(target_arch = "x86_64")]
static INTERP: [u8; 28] = *b"/lib64/ld-linux-x86-64.so.2\0";

#[used]
#[link_section = ".interp"]
#[cfg(target_arch = "aarch64")]
static INTERP: [u8; 27] = *b"/lib/ld-linux-aarch64.so.1\0";

// The kernel's initial stack holds argc, argv[], NULL, envp[], NULL. The entry clears
// the frame pointer, aligns the stack as a call expects and passes its address on.
#[cfg(target_arch = "x86_64")]
core::arch::global_asm!(
    ".globl lite_exec_entry",
    ".type lite_exec_entry,@function",
    "lite_exec_entry:",
    "xor ebp, ebp",
    "mov rdi, rsp",
    "and rsp, -16",
    "call {main}",
    "ud2",
    main = sym exec_main,
);

#[cfg(target_arch = "aarch64")]
core::arch::global_asm!(
    ".globl lite_exec_entry",
    ".type lite_exec_entry,%function",
    "lite_exec_entry:",
    "mov x29, #0",
    "mov x30, #0",
    "mov x0, sp",
    "bl {main}",
    "brk #0",
    main = sym exec_main,
);

/// The arguments, from the initial stack.
fn args(sp: *const usize) -> Vec<String> {
    // SAFETY: the kernel laid out argc and argc valid C strings at sp.
    unsafe {
        let argc = *sp;
        let argv = sp.add(1) as *const *const libc::c_char;
        (0..argc)
            .map(|i| {
                std::ffi::CStr::from_ptr(*argv.add(i))
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    }
}

fn usage() -> ! {
    crate::fast_run::say("error: this is lite's native addon; lite runs it");
    std::process::exit(125)
}

fn trace_from_env(path: &'static str) -> Option<crate::fast_run::Trace> {
    (std::env::var("LITE_TRACE").as_deref() == Ok("1"))
        .then(|| crate::fast_run::Trace::new(std::env::var("LITE_TRACE_T0").ok().as_deref(), path))
}

extern "C" fn exec_main(sp: *const usize) -> ! {
    let argv = args(sp);
    match argv.get(1).map(String::as_str) {
        Some("fast-run") => fast_run(&argv),
        Some("fast-exec") => fast_exec(&argv),
        _ => usage(),
    }
}

/// Ends as lite run and lite exec end when the fast path did not take the command: a
/// miss execs the full path with `full` (it says what is wrong, or runs it).
fn finish(not_run: crate::fast_run::NotRun, traced: bool, lite: &str, full: &[&str]) -> ! {
    match not_run {
        // run.ts says the same and ends so.
        crate::fast_run::NotRun::Stop { signal, name } => {
            crate::fast_run::say(&format!(
                "error: {name}: a stop request came before the container started; nothing was started"
            ));
            std::process::exit(128 + signal)
        }
        crate::fast_run::NotRun::Failed(why) => {
            crate::fast_run::say(&format!("error: {why}"));
            std::process::exit(125)
        }
        crate::fast_run::NotRun::Miss(why) => {
            if traced {
                crate::fast_run::say(&format!("trace: fast path: miss ({why})"));
            }
            let err = crate::fast_run::exec_full_path(lite, full);
            crate::fast_run::say(&format!("error: cannot exec {lite}: {err}"));
            std::process::exit(125)
        }
    }
}

fn addon_dir(addon: &str) -> String {
    addon[..addon.rfind('/').unwrap_or(0)].to_string()
}

fn fast_run(argv: &[String]) -> ! {
    // [addon, "fast-run", lite, build, entry, FILE, FILE's absolute path]
    let [addon, _, lite, build, entry, config_arg, config] = argv else {
        usage()
    };
    let a = crate::fast_run::Args {
        lite: lite.clone(),
        build: build.clone(),
        entry: entry.clone(),
        config_arg: config_arg.clone(),
        config: config.clone(),
        addon_dir: addon_dir(addon),
        path_env: std::env::var("PATH").ok(),
        trace: trace_from_env("fast run"),
    };
    let not_run = crate::fast_run::run(&a);
    finish(not_run, a.trace.is_some(), lite, &["run", config_arg])
}

fn fast_exec(argv: &[String]) -> ! {
    // [addon, "fast-exec", lite, build, entry, NAME, CMD...]
    let [addon, _, lite, build, entry, name, cmd @ ..] = argv else {
        usage()
    };
    if cmd.is_empty() {
        usage()
    }
    let a = crate::fast_run::exec::ExecArgs {
        lite: lite.clone(),
        build: build.clone(),
        entry: entry.clone(),
        name: name.clone(),
        cmd: cmd.to_vec(),
        addon_dir: addon_dir(addon),
        trace: trace_from_env("fast exec"),
    };
    let not_run = crate::fast_run::exec::exec(&a);
    let full: Vec<&str> = ["exec", name.as_str(), "--"]
        .into_iter()
        .chain(cmd.iter().map(String::as_str))
        .collect();
    finish(not_run, a.trace.is_some(), lite, &full)
}
