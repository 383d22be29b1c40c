//! Builds the monitor (monitor/main.rs: no_std, no libc, static) for the same target
//! as the addon, so that the addon can carry it as bytes (DESIGN.md §6). Cross builds
//! follow the addon's target and take the linker from CARGO_TARGET_<TRIPLE>_LINKER.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn linker_for(target: &str) -> Option<String> {
    let var = format!(
        "CARGO_TARGET_{}_LINKER",
        target.to_uppercase().replace('-', "_")
    );
    env::var(var).ok()
}

fn build_monitor() {
    let target = env::var("TARGET").expect("cargo sets TARGET");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("lite-monitor");
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let mut cmd = Command::new(rustc);
    cmd.args([
        "--edition",
        "2021",
        "--crate-type",
        "bin",
        "--crate-name",
        "lite_monitor",
    ])
    .args(["--target", &target])
    .args([
        "-C",
        "panic=abort",
        "-C",
        "opt-level=s",
        "-C",
        "codegen-units=1",
        "-C",
        "lto=fat",
    ])
    .args([
        "-C",
        "relocation-model=static",
        "-C",
        "strip=symbols",
        "-C",
        "debuginfo=0",
    ])
    .args([
        "-C",
        "link-arg=-nostartfiles",
        "-C",
        "link-arg=-nostdlib",
        "-C",
        "link-arg=-static",
    ])
    .args([
        "-C",
        "link-arg=-no-pie",
        "-C",
        "link-arg=-Wl,--gc-sections",
        "-C",
        "link-arg=-Wl,--build-id=none",
    ])
    .args([
        "-C",
        "link-arg=-Wl,-z,noexecstack",
        "-C",
        "link-arg=-Wl,-z,max-page-size=4096",
    ]);
    if let Some(linker) = linker_for(&target) {
        cmd.args(["-C", &format!("linker={linker}")]);
    }
    cmd.arg("monitor/main.rs").arg("-o").arg(&out);
    let status = cmd.status().expect("run rustc for the monitor");
    assert!(status.success(), "building the monitor failed");
    println!("cargo:rustc-env=LITE_MONITOR_PATH={}", out.display());
    println!("cargo:rerun-if-changed=monitor");
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER");
}

fn main() {
    build_monitor();
    // Only the addon needs N-API link arguments; plain `cargo test` does not.
    if env::var_os("CARGO_FEATURE_NAPI_ADDON").is_some() {
        napi_build::setup();
        println!("cargo:rustc-cdylib-link-arg=-Wl,-e,lite_exec_entry");
    }
}
