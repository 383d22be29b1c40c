//! lite's native core: what only native code can do (clone with namespaces, mounts,
//! pivot_root, ids and caps, exec, wait). Everything else, planning included, is
//! TypeScript. The core modules know nothing of N-API; `napi_api` is a thin layer over
//! them, built only with the `napi-addon` feature.

pub mod child;
pub mod console;
pub mod device_bpf;
pub mod early_signals;
pub mod error;
pub mod fast_run;
pub mod image;
pub mod lockfile;
pub mod loopdev;
pub mod monitor;
pub mod net;
pub mod plan;
pub mod probe;
pub mod report;
pub mod resolve;
pub mod seccomp;
pub mod spawn;
pub mod sys;
pub mod tty;
pub mod userns;
pub mod wait;

// The monitor's pure parts (monitor/: no_std, its own binary), tested here with std.
#[cfg(test)]
#[path = "../monitor/health.rs"]
mod health;
#[cfg(test)]
mod monitor_tests;
#[cfg(test)]
#[path = "../monitor/nlrelease.rs"]
mod nlrelease;
#[cfg(test)]
#[path = "../monitor/policy.rs"]
mod policy;
#[cfg(test)]
#[path = "../monitor/spec.rs"]
mod spec;
#[cfg(test)]
#[allow(dead_code)] // used by the monitor binary
#[path = "../monitor/text.rs"]
mod text;

#[cfg(test)]
mod child_oci_tests;
#[cfg(test)]
mod child_tests;
#[cfg(test)]
pub mod fake;
#[cfg(test)]
mod seccomp_tests;
#[cfg(test)]
mod userns_tests;

#[cfg(feature = "napi-addon")]
mod exec_entry;
#[cfg(feature = "napi-addon")]
mod napi_api;
