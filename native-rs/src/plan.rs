//! The launch plan (built and origin-tracked in TypeScript) and its prepared form.
//!
//! `prepare` turns the plan into owned C data *before* clone: every CString, the
//! NULL-terminated argv/envp arrays, the capability mask, the clone flags. After clone
//! the child only reads this memory (its copy-on-write copy), so it never allocates.

use std::ffi::CString;

use crate::error::{Error, Result};
use crate::seccomp;

/// One filesystem step of the child. Before pivot_root, paths are host paths as seen
/// inside the child's new mount namespace (the new root is a prefix of the targets);
/// ops with `after_pivot` come last and use paths inside the container.
#[cfg_attr(feature = "napi-addon", napi_derive::napi(object))]
#[derive(Clone, Debug, Default)]
pub struct FsOp {
    /// "mount" | "mkdir" | "mknod" | "symlink" | "mask" | "write".
    /// "mask" hides `target`: /dev/null bound over a file, or an empty read-only tmpfs
    /// over a directory (the bind fails with ENOTDIR on a directory, as in runc).
    /// "write" writes `data` into the existing file `target` (a sysctl).
    pub kind: String,
    /// mount source; "@loop" stands for the loop device of `Plan.loop_image`.
    /// For "symlink", the link's content.
    pub source: Option<String>,
    pub target: String,
    pub fstype: Option<String>,
    /// MS_* flags for "mount"
    pub flags: u32,
    pub data: Option<String>,
    /// "dir" | "file": create the mount target (and its parents) when missing.
    pub create: Option<String>,
    /// Skip this op when its source or target does not exist (ENOENT).
    pub optional: bool,
    /// Permission bits for "mkdir" and "mknod" (mknod: with the S_IFCHR bit).
    pub mode: u32,
    pub major: u32,
    pub minor: u32,
    /// Run after pivot_root (sysctls, masked and read-only paths), in plan order.
    pub after_pivot: bool,
    /// Where `target` lives: "host" (the default: lite's own state paths, before the
    /// root exists), "root" (a path inside the container's root, symlinks followed as
    /// if the root were "/"), or "strict" (inside the root, and no symlink on the way:
    /// lite's own mount points, masks and sysctls). A mount with no source and MS_BIND
    /// binds the target onto itself.
    pub resolve: Option<String>,
    /// "mask" of a path on any filesystem (an OCI config's maskedPaths); lite's own
    /// masks are refused anywhere but procfs and sysfs.
    pub mask_anywhere: Option<bool>,
    /// "mknod" inside the root: the node's owner (OCI linux.devices uid/gid); absent: root.
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// A bind "mount" (or the `@loop` image) made by lite before GO as a detached mount
    /// id-mapped to the container's user namespace, then moved onto `target` by the
    /// child: the files keep their owners on disk and show them as such inside.
    pub idmap: Option<bool>,
}

/// One line of uid_map / gid_map.
#[cfg_attr(feature = "napi-addon", napi_derive::napi(object))]
#[derive(Clone, Debug, Default)]
pub struct IdMapping {
    pub container_id: u32,
    pub host_id: u32,
    pub size: u32,
}

/// The container's own user namespace: its maps, written by lite between clone and GO.
#[cfg_attr(feature = "napi-addon", napi_derive::napi(object))]
#[derive(Clone, Debug, Default)]
pub struct UserNsPlan {
    pub uid_map: Vec<IdMapping>,
    pub gid_map: Vec<IdMapping>,
    /// Write "deny" to setgroups before gid_map (needed when lite itself is not root in
    /// the parent namespace: rootless).
    pub deny_setgroups: Option<bool>,
    /// Rootless with subordinate ids: newuidmap and newgidmap (setuid helpers) write the
    /// maps, run by lite between create and start; lite writes none itself.
    pub maps_by_helper: Option<bool>,
}

/// One rule of a seccomp profile already resolved for this container (arch, caps,
/// kernel): the first rule whose comparisons all hold decides a syscall's action.
#[cfg_attr(feature = "napi-addon", napi_derive::napi(object))]
#[derive(Clone, Debug, Default)]
pub struct SeccompRuleSpec {
    pub names: Vec<String>,
    /// "allow" | "errno" | "kill_thread" | "kill_process" | "trap" | "trace" | "log"
    pub action: String,
    /// The errno for "errno" (EPERM when absent), the message for "trace".
    pub errno_ret: Option<u32>,
    pub args: Vec<SeccompArgSpec>,
}

#[cfg_attr(feature = "napi-addon", napi_derive::napi(object))]
#[derive(Clone, Debug, Default)]
pub struct SeccompArgSpec {
    /// 0..=5
    pub index: u32,
    /// "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "masked_eq"
    pub op: String,
    /// Decimal u64 (64-bit values do not fit a JS number). For masked_eq, the mask.
    pub value: String,
    /// For masked_eq: what (arg & mask) must equal.
    pub value_two: Option<String>,
}

#[cfg_attr(feature = "napi-addon", napi_derive::napi(object))]
#[derive(Clone, Debug, Default)]
pub struct SeccompSpec {
    /// "x86_64" | "aarch64": must be the arch lite runs on.
    pub arch: String,
    pub default_action: String,
    pub default_errno_ret: Option<u32>,
    pub rules: Vec<SeccompRuleSpec>,
}

#[cfg_attr(feature = "napi-addon", napi_derive::napi(object))]
#[derive(Clone, Debug)]
pub struct RlimitOp {
    /// RLIMIT_* number
    pub resource: u32,
    /// -1 = RLIM_INFINITY
    pub soft: i64,
    pub hard: i64,
}

/// The five capability sets of an OCI process, as capability numbers; they replace
/// `caps` when given. Numbers above the kernel's last capability are left out.
#[cfg_attr(feature = "napi-addon", napi_derive::napi(object))]
#[derive(Clone, Debug, Default)]
pub struct CapSets {
    /// Kept in the bounding set; every other capability is dropped from it.
    pub bounding: Vec<u32>,
    pub effective: Vec<u32>,
    pub permitted: Vec<u32>,
    pub inheritable: Vec<u32>,
    /// Raised with PR_CAP_AMBIENT_RAISE after the id change (each must be permitted and
    /// inheritable); a failure is the report {step "caps", index 4 + i}.
    pub ambient: Vec<u32>,
}

/// A namespace to join by fd (OCI `linux.namespaces[].path`, opened by the caller).
#[cfg_attr(feature = "napi-addon", napi_derive::napi(object))]
#[derive(Clone, Debug, Default)]
pub struct NamespaceJoin {
    /// "mount" | "pid" | "uts" | "ipc" | "net" | "cgroup"
    pub kind: String,
    /// An fd of the namespace (/proc/PID/ns/X or a bind-mounted nsfs file), above stdio.
    pub fd: i32,
}

#[cfg_attr(feature = "napi-addon", napi_derive::napi(object))]
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// New namespaces: "mount" "pid" "uts" "ipc" "net" "cgroup".
    pub namespaces: Vec<String>,
    pub ops: Vec<FsOp>,
    /// The directory the child pivots into (its own mount, made by `ops`).
    pub new_root: String,
    /// A squashfs/erofs image attached to a loop device (autoclear) before clone.
    pub loop_image: Option<String>,
    pub hostname: Option<String>,
    /// Bring `lo` up (a new network namespace starts with it down).
    pub loopback_up: bool,
    /// Absolute paths to try in order with execve (PATH resolved before clone).
    pub exec_candidates: Vec<String>,
    pub argv: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
    /// Capability numbers kept in the bounding, permitted and effective sets.
    pub caps: Vec<u32>,
    pub no_new_privs: bool,
    /// A seccomp filter, compiled to BPF by `prepare`; none: unconfined.
    pub seccomp: Option<SeccompSpec>,
    /// The filter compiled already (`compileSeccomp`, seccomp::to_words): used instead of
    /// `seccomp`, after a check of its shape. lite's compiled-plan cache carries it.
    pub seccomp_filter: Option<Vec<u32>>,
    pub rlimits: Vec<RlimitOp>,
    pub oom_score_adj: Option<i32>,
    /// A stub PID 1 reaps zombies and forwards signals; the app runs as PID 2.
    pub stub_init: bool,
    /// Allocate a pty from the container's devpts and send the master back.
    pub tty: bool,
    /// Keep the inherited stdin; otherwise fd 0 is /dev/null.
    pub stdin: bool,
    /// The monitor image (a sealed memfd): with `stub_init`, PID 1 execs it in init
    /// mode, so the stub is a few KiB instead of a copy of lite.
    pub init_exe_fd: Option<i32>,
    /// Detached: stdout and stderr go to this fd (the log pipe the monitor reads).
    pub output_fd: Option<i32>,
    /// `lite exec`: join the namespaces (`namespaces`) of this running container's
    /// init instead of making new ones; `ops` must be empty.
    pub join_pid: Option<i32>,
    /// `lite exec` into a rootless container: its user namespace denies setgroups, so
    /// the process keeps the (unmapped) groups it has, as the container's init did.
    pub join_setgroups_denied: Option<bool>,
    /// cgroup v1: the `tasks` file of each hierarchy; the child writes "0" to each.
    pub cgroup_tasks: Vec<String>,
    /// cgroup v2: the `cgroup.procs` file, written by the child unless clone3 placed it.
    pub cgroup_v2_procs: Option<String>,
    /// Before waiting for GO, open a NETLINK_ROUTE socket in the new network namespace
    /// and send it to lite (report::NET_TAG), which sets up eth0 through it.
    pub net_socket: bool,
    /// `[net] type = container:NAME | netns:PATH`: an fd of the network namespace to
    /// join (setns) first thing; the plan then makes no new "net" namespace.
    pub net_join_fd: Option<i32>,
    /// OCI `create`: no PR_SET_PDEATHSIG, so the container outlives the lite process
    /// that created it (the engine's shim is the subreaper).
    pub no_parent_death: Option<bool>,
    /// OCI `create`/`start`: an fd (a FIFO the caller opened O_RDONLY|O_NONBLOCK|
    /// O_CLOEXEC) that the child waits on once set-up is done and the exec candidate is
    /// found: it sends READY (start() then returns `ready: true`), waits for one byte
    /// (`start` writes it) and execs; a writer that closes without writing makes it
    /// exit 0. An exec failure after READY is written to the app's stderr (exit 127 for
    /// ENOENT, else 126).
    pub ready_wait_fd: Option<i32>,
    /// OCI `process.capabilities`: the five sets as given, instead of `caps`.
    pub cap_sets: Option<CapSets>,
    /// The app's umask (0o022 by default).
    pub umask: Option<u32>,
    /// setdomainname, right after the hostname (OCI `domainname`).
    pub domainname: Option<String>,
    /// Apply the rlimits before the capabilities are dropped (so that raises work where
    /// lite holds CAP_SYS_RESOURCE; OCI applies them as given), not just before exec.
    pub rlimits_early: Option<bool>,
    /// Namespaces to join by fd (OCI `linux.namespaces[].path`), in this order, first
    /// thing after clone; none of these kinds may be in `namespaces` too. A joined
    /// "pid" namespace holds only children: the child clones once more and the
    /// Container's pid is that process's. A failed setns is the report {step
    /// "join-ns", index 200 + i}.
    pub join_ns: Option<Vec<NamespaceJoin>>,
    /// Change the propagation of "/" in the container's mount namespace (default true).
    /// Must be false when the container has no mount namespace of its own (no "mount"
    /// in `namespaces` or `joinNs`), so that the host's is never touched.
    pub mount_private: Option<bool>,
    /// The MS_* flags applied to "/" when `mountPrivate` (default MS_REC|MS_PRIVATE;
    /// OCI's default rootfsPropagation is MS_REC|MS_SLAVE).
    pub root_propagation: Option<u32>,
    /// How the child enters `newRoot`: "pivot" (default: pivot_root(".", ".") and the
    /// old root detached), "move" (runc --no-pivot: MS_MOVE onto "/", then chroot), or
    /// "chroot" (the only one allowed without a mount namespace of the container's own).
    pub root_entry: Option<String>,
    /// An fd dup'd onto the app's fd 0 (a pipe holding the OCI state for a hook); not
    /// with `tty`; it wins over `stdin`.
    pub stdin_fd: Option<i32>,
    /// OCI `--preserve-fds N`: the caller's fds 3..3+N reach the app open (not
    /// close-on-exec); lite's own fds must all be above them.
    pub preserve_fds: Option<u32>,
    /// With "user" in `namespaces`: the maps of the new user namespace. With
    /// `joinPid`: "user" in `namespaces` joins the container's user namespace first.
    pub user_ns: Option<UserNsPlan>,
}

/// How the child enters the new root (Plan.root_entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootEntry {
    Pivot,
    Move,
    Chroot,
}

/// A namespace the child joins first thing: setns(fd, nstype); a failure is reported
/// as Step::JoinNs with `index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NsJoin {
    pub fd: libc::c_int,
    pub nstype: libc::c_int,
    pub index: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Mount,
    Mkdir,
    Mknod,
    Symlink,
    Mask,
    Write,
}

/// Where an op's target is looked up (FsOp.resolve).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolve {
    Host,
    InRoot(crate::resolve::Follow),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    None,
    Dir,
    File,
}

#[derive(Debug)]
pub struct PreparedOp {
    pub kind: OpKind,
    pub source: Option<CString>,
    pub uses_loop: bool,
    pub target: CString,
    pub fstype: Option<CString>,
    pub flags: libc::c_ulong,
    pub data: Option<CString>,
    pub create: Create,
    pub optional: bool,
    pub mode: u32,
    pub dev: u64,
    pub after_pivot: bool,
    pub resolve: Resolve,
    pub mask_anywhere: bool,
    /// mknod: the node's owner, when not root
    pub owner: Option<(u32, u32)>,
    /// Moved into place from the next id-mapped mount fd that came with GO.
    pub idmap: bool,
}

#[derive(Debug)]
pub struct PreparedRlimit {
    pub resource: libc::c_int,
    pub soft: u64,
    pub hard: u64,
}

/// Everything the child reads. The pointer arrays point into the CStrings held here.
#[derive(Debug)]
pub struct Prepared {
    pub clone_flags: u64,
    pub new_cgroupns: bool,
    pub ops: Vec<PreparedOp>,
    /// Filled by spawn with the attached loop device ("/dev/loopN").
    pub loop_device: Option<CString>,
    pub new_root: CString,
    pub hostname: Option<Vec<u8>>,
    pub loopback_up: bool,
    pub exec_candidates: Vec<CString>,
    _argv: Vec<CString>,
    _env: Vec<CString>,
    pub argv_ptrs: Vec<*const libc::c_char>,
    pub envp_ptrs: Vec<*const libc::c_char>,
    pub cwd: CString,
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<libc::gid_t>,
    /// The bounding set (the capabilities not in it are dropped).
    pub caps: u64,
    /// capset after the id change.
    pub cap_effective: u64,
    pub cap_permitted: u64,
    pub cap_inheritable: u64,
    /// Raised in this order (numbers above `last_cap` skipped, keeping the indexes).
    pub cap_ambient: Vec<u32>,
    /// The highest capability the running kernel knows (bounding-set drop loop bound).
    pub last_cap: u32,
    pub no_new_privs: bool,
    /// The compiled seccomp filter; the child hands it to the kernel as it is.
    pub seccomp: Option<Vec<seccompiler::sock_filter>>,
    pub rlimits: Vec<PreparedRlimit>,
    /// oom_score_adj as decimal text, formatted here so the child does no formatting.
    pub oom_score_adj: Option<Vec<u8>>,
    pub stub_init: bool,
    pub init_exe_fd: Option<i32>,
    pub output_fd: Option<i32>,
    /// `lite exec`: the namespaces to join, in order ("mount" last), opened by spawn
    /// as (fd of /proc/PID/ns/X, CLONE_NEW* type) into `join`.
    pub join_kinds: Vec<&'static str>,
    pub join_pid: Option<libc::pid_t>,
    pub join: Vec<(libc::c_int, libc::c_int)>,
    pub cgroup_tasks: Vec<CString>,
    pub cgroup_v2_procs: Option<CString>,
    pub tty: bool,
    pub stdin: bool,
    pub net_socket: bool,
    /// Namespaces to join first thing, in order: `net_join_fd` (index 100), then
    /// `join_ns` (index 200 + i).
    pub ns_joins: Vec<NsJoin>,
    /// A "pid" namespace is among `ns_joins`: the child clones a sibling inside it.
    pub join_pid_ns: bool,
    pub pdeathsig: bool,
    pub ready_fd: Option<libc::c_int>,
    pub umask: u32,
    pub domainname: Option<Vec<u8>>,
    pub rlimits_early: bool,
    /// The flags for mount(NULL, "/", NULL, flags, NULL) before the ops; None: left alone.
    pub root_propagation: Option<libc::c_ulong>,
    pub root_entry: RootEntry,
    pub stdin_fd: Option<libc::c_int>,
    /// The first fd that is not passed on: 3 + `preserve_fds`.
    pub first_unpassed_fd: u32,
    /// A new user namespace: its maps, as the text lite writes.
    pub user_ns: Option<PreparedUserNs>,
    /// How many ops are `idmap`: as many fds come with GO, in op order.
    pub idmap_count: usize,
    /// The op that binds the root onto itself, where lite (root) may hand the child that
    /// tree instead (userns::root_tree): two more fds after the id-mapped ones with GO.
    pub root_tree_op: Option<usize>,
    /// A new user namespace: the host (uid, gid) that creates it, its root's (or its
    /// first range's); the first child becomes them and clones the container, whose
    /// namespaces are all new in the sibling (`clone_flags`), the first child's none.
    pub user_ns_owner: Option<(u32, u32)>,
    /// The container's namespaces are made by a sibling that the first child clones
    /// (into none of its own): for a new user namespace (made by `user_ns_owner`), and
    /// after joining one (OCI's user namespace path), so that each new namespace belongs
    /// to that user namespace.
    pub clone_in_sibling: bool,
    /// In a user namespace (new or joined): a bind remount keeps the flags that the
    /// kernel locked on the mount (nosuid, nodev, noexec, ro, atime), or it is EPERM.
    pub in_user_ns: bool,
    /// The user namespace (new or joined) denies setgroups: lite is no root there.
    pub setgroups_denied: bool,
    /// A new user namespace whose maps lite, no root, writes (or has newuidmap write):
    /// the child stays dumpable until GO so that its /proc files stay the user's.
    pub maps_by_unprivileged: bool,
    /// The capabilities lite holds: what the first child keeps while it clones.
    pub all_caps: u64,
}

#[derive(Debug, Clone)]
pub struct PreparedUserNs {
    pub uid_map: Vec<u8>,
    pub gid_map: Vec<u8>,
    pub deny_setgroups: bool,
    /// The maps are written already (newuidmap/newgidmap): nothing to write.
    pub maps_by_helper: bool,
    /// Container uid 0 and gid 0 are mapped: the child becomes root in the namespace
    /// right after GO, so that what it makes (tmpfs roots, the upper) is owned by it.
    pub root_mapped: bool,
}

impl PreparedUserNs {
    /// lite is no root: it (or a setuid helper for it) writes the maps as the user.
    pub fn unprivileged_writer(&self) -> bool {
        self.deny_setgroups || self.maps_by_helper
    }
}

/// The most id-mapped mounts one plan may pass with GO (the child's fixed array).
pub const MAX_IDMAPS: usize = 16;

impl Prepared {
    /// argv[0] (prepare checks that argv is not empty).
    pub fn argv0(&self) -> &std::ffi::CStr {
        self._argv.first().map_or(c"", |a| a.as_c_str())
    }
}

fn cstring(what: &str, s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::InvalidPlan(format!("{what} contains a NUL byte: {s:?}")))
}

fn abs_cstring(what: &str, s: &str) -> Result<CString> {
    if !s.starts_with('/') {
        return Err(Error::InvalidPlan(format!(
            "{what} is not an absolute path: {s:?}"
        )));
    }
    cstring(what, s)
}

pub fn namespace_flag(name: &str) -> Option<u64> {
    Some(match name {
        "mount" => libc::CLONE_NEWNS,
        "pid" => libc::CLONE_NEWPID,
        "uts" => libc::CLONE_NEWUTS,
        "ipc" => libc::CLONE_NEWIPC,
        "net" => libc::CLONE_NEWNET,
        "cgroup" => libc::CLONE_NEWCGROUP,
        "user" => libc::CLONE_NEWUSER,
        _ => return None,
    } as u64)
}

fn prepare_op(i: usize, op: &FsOp) -> Result<PreparedOp> {
    let what = |field: &str| format!("ops[{i}].{field}");
    let kind = match op.kind.as_str() {
        "mount" => OpKind::Mount,
        "mkdir" => OpKind::Mkdir,
        "mknod" => OpKind::Mknod,
        "symlink" => OpKind::Symlink,
        "mask" => OpKind::Mask,
        "write" => OpKind::Write,
        other => {
            return Err(Error::InvalidPlan(format!(
                "{}: unknown kind {other:?}",
                what("kind")
            )))
        }
    };
    let create = match op.create.as_deref() {
        None | Some("none") => Create::None,
        Some("dir") => Create::Dir,
        Some("file") => Create::File,
        Some(other) => {
            return Err(Error::InvalidPlan(format!(
                "{}: unknown create {other:?}",
                what("create")
            )))
        }
    };
    let resolve = match op.resolve.as_deref() {
        None | Some("host") => Resolve::Host,
        Some("root") => Resolve::InRoot(crate::resolve::Follow::InRoot),
        Some("strict") => Resolve::InRoot(crate::resolve::Follow::Never),
        Some(other) => {
            return Err(Error::InvalidPlan(format!(
                "{}: unknown resolve {other:?}",
                what("resolve")
            )))
        }
    };
    // After pivot_root there is no host left to resolve against.
    if op.after_pivot && resolve == Resolve::Host {
        return Err(Error::InvalidPlan(format!(
            "{}: an op after pivot_root must resolve inside the root",
            what("resolve")
        )));
    }
    let uses_loop = op.source.as_deref() == Some("@loop");
    let source = match (&op.source, uses_loop) {
        (Some(s), false) => Some(cstring(&what("source"), s)?),
        _ => None,
    };
    if kind == OpKind::Symlink && source.is_none() {
        return Err(Error::InvalidPlan(format!(
            "{}: a symlink needs a source",
            what("source")
        )));
    }
    if kind == OpKind::Write && op.data.is_none() {
        return Err(Error::InvalidPlan(format!(
            "{}: a write needs data",
            what("data")
        )));
    }
    let idmap = op.idmap.unwrap_or(false);
    if idmap
        && (kind != OpKind::Mount
            || op.after_pivot
            || op.flags & libc::MS_REMOUNT as u32 != 0
            || !(uses_loop || op.flags & libc::MS_BIND as u32 != 0 && source.is_some()))
    {
        return Err(Error::InvalidPlan(format!(
            "{}: only a bind with a source or the @loop image, before pivot_root, can be id-mapped",
            what("idmap")
        )));
    }
    if op.after_pivot && uses_loop {
        return Err(Error::InvalidPlan(format!(
            "{}: @loop after pivot_root",
            what("source")
        )));
    }
    Ok(PreparedOp {
        kind,
        source,
        uses_loop,
        target: abs_cstring(&what("target"), &op.target)?,
        fstype: op
            .fstype
            .as_deref()
            .map(|s| cstring(&what("fstype"), s))
            .transpose()?,
        flags: op.flags as libc::c_ulong,
        data: op
            .data
            .as_deref()
            .map(|s| cstring(&what("data"), s))
            .transpose()?,
        create,
        optional: op.optional,
        mode: op.mode,
        dev: libc::makedev(op.major, op.minor),
        after_pivot: op.after_pivot,
        resolve,
        mask_anywhere: op.mask_anywhere.unwrap_or(false),
        owner: match (op.uid.unwrap_or(0), op.gid.unwrap_or(0)) {
            (0, 0) => None,
            ids => Some(ids),
        },
        idmap,
    })
}

fn rlim(v: i64) -> u64 {
    if v < 0 {
        libc::RLIM_INFINITY
    } else {
        v as u64
    }
}

/// This process's permitted capabilities (CapPrm of /proc/self/status): what a child
/// may keep effective while it changes its ids. lite may run without some (a container
/// host often takes CAP_SYS_RESOURCE away).
fn permitted_caps() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("CapPrm:"))
                .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        })
        .unwrap_or(0)
}

/// Reads the kernel's highest capability number; 4.19 knows 37, newer kernels 40 and up.
pub fn read_last_cap() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(40)
}

fn seccomp_action(what: &str, name: &str, errno_ret: Option<u32>) -> Result<seccomp::Action> {
    let data = |default: u32| -> Result<u16> {
        let v = errno_ret.unwrap_or(default);
        u16::try_from(v)
            .ok()
            .filter(|v| *v <= 0xfff)
            .ok_or_else(|| Error::InvalidPlan(format!("{what}: errnoRet {v} is out of range")))
    };
    Ok(match name {
        "allow" => seccomp::Action::Allow,
        "errno" => seccomp::Action::Errno(data(libc::EPERM as u32)?),
        "kill_thread" => seccomp::Action::KillThread,
        "kill_process" => seccomp::Action::KillProcess,
        "trap" => seccomp::Action::Trap,
        "trace" => seccomp::Action::Trace(data(0)?),
        "log" => seccomp::Action::Log,
        other => {
            return Err(Error::InvalidPlan(format!(
                "{what}: unknown seccomp action {other:?}"
            )))
        }
    })
}

fn seccomp_u64(what: &str, s: &str) -> Result<u64> {
    s.parse::<u64>()
        .map_err(|_| Error::InvalidPlan(format!("{what}: {s:?} is not a u64")))
}

/// The plan's rule list -> the typed profile -> BPF (seccomp.rs), before clone.
pub fn compile_seccomp(spec: &SeccompSpec) -> Result<Vec<seccompiler::sock_filter>> {
    let arch = seccomp::Arch::parse(&spec.arch)
        .ok_or_else(|| Error::InvalidPlan(format!("seccomp: unknown arch {:?}", spec.arch)))?;
    if Some(arch) != seccomp::Arch::native() {
        return Err(Error::InvalidPlan(format!(
            "seccomp: the filter is for {} but lite runs on {}",
            spec.arch,
            std::env::consts::ARCH
        )));
    }
    seccomp_profile(spec, arch).and_then(|p| {
        seccomp::compile(&p)
            .map(|c| c.program)
            .map_err(|e| Error::InvalidPlan(e.to_string()))
    })
}

/// The typed profile, for any arch (tests compile for both).
pub fn seccomp_profile(spec: &SeccompSpec, arch: seccomp::Arch) -> Result<seccomp::Profile> {
    let default_action = seccomp_action(
        "seccomp default",
        &spec.default_action,
        spec.default_errno_ret,
    )?;
    let mut rules = Vec::with_capacity(spec.rules.len());
    for (i, r) in spec.rules.iter().enumerate() {
        let what = format!("seccomp rules[{i}]");
        let action = seccomp_action(&what, &r.action, r.errno_ret)?;
        let mut args = Vec::with_capacity(r.args.len());
        for a in &r.args {
            if a.index > 5 {
                return Err(Error::InvalidPlan(format!(
                    "{what}: argument index {} (0..5)",
                    a.index
                )));
            }
            let value = seccomp_u64(&what, &a.value)?;
            let two = a
                .value_two
                .as_deref()
                .map(|v| seccomp_u64(&what, v))
                .transpose()?
                .unwrap_or(0);
            let (op, value) = match a.op.as_str() {
                "eq" => (seccomp::Op::Eq, value),
                "ne" => (seccomp::Op::Ne, value),
                "lt" => (seccomp::Op::Lt, value),
                "le" => (seccomp::Op::Le, value),
                "gt" => (seccomp::Op::Gt, value),
                "ge" => (seccomp::Op::Ge, value),
                "masked_eq" => (seccomp::Op::MaskedEq { mask: value }, two),
                other => {
                    return Err(Error::InvalidPlan(format!(
                        "{what}: unknown comparison {other:?}"
                    )))
                }
            };
            args.push(seccomp::ArgCmp {
                index: a.index as u8,
                op,
                value,
            });
        }
        rules.push(seccomp::Rule {
            names: r.names.clone(),
            action,
            args,
        });
    }
    Ok(seccomp::Profile {
        arch,
        default_action,
        rules,
    })
}

pub fn prepare(plan: &Plan, last_cap: u32) -> Result<Prepared> {
    let mut clone_flags = 0u64;
    let mut new_cgroupns = false;
    for ns in &plan.namespaces {
        let flag = namespace_flag(ns)
            .ok_or_else(|| Error::InvalidPlan(format!("unknown namespace {ns:?}")))?;
        // The cgroup namespace is unshared by the child after the parent has attached it
        // to its cgroups, so that the namespace's root is the container's own cgroup.
        if flag == libc::CLONE_NEWCGROUP as u64 {
            new_cgroupns = true;
        } else {
            clone_flags |= flag;
        }
    }
    // Namespaces joined by fd: never one of the kinds the container makes.
    let mut ns_joins = Vec::new();
    if let Some(fd) = plan.net_join_fd {
        ns_joins.push(NsJoin {
            fd,
            nstype: libc::CLONE_NEWNET,
            index: 100,
        });
    }
    let mut joined_kinds = Vec::new();
    for (i, j) in plan.join_ns.iter().flatten().enumerate() {
        let flag = namespace_flag(&j.kind).ok_or_else(|| {
            Error::InvalidPlan(format!("joinNs[{i}]: unknown namespace {:?}", j.kind))
        })?;
        if plan.namespaces.contains(&j.kind) || joined_kinds.contains(&j.kind.as_str()) {
            return Err(Error::InvalidPlan(format!(
                "joinNs[{i}]: the {:?} namespace is made or joined twice",
                j.kind
            )));
        }
        if j.fd < 3 {
            return Err(Error::InvalidPlan(format!(
                "joinNs[{i}]: fd {} is not above stdio",
                j.fd
            )));
        }
        joined_kinds.push(j.kind.as_str());
        ns_joins.push(NsJoin {
            fd: j.fd,
            nstype: flag as libc::c_int,
            index: 200 + i as u16,
        });
    }
    // A joined user namespace first: it owns the others, and joining it is what gives
    // the right to join them.
    ns_joins.sort_by_key(|j| j.nstype != libc::CLONE_NEWUSER);
    if plan.net_join_fd.is_some() && joined_kinds.contains(&"net") {
        return Err(Error::InvalidPlan(
            "netJoinFd and a \"net\" entry in joinNs".into(),
        ));
    }
    if !ns_joins.is_empty() && plan.join_pid.is_some() {
        return Err(Error::InvalidPlan("joinNs with joinPid".into()));
    }
    let root_entry = match plan.root_entry.as_deref() {
        None | Some("pivot") => RootEntry::Pivot,
        Some("move") => RootEntry::Move,
        Some("chroot") => RootEntry::Chroot,
        Some(other) => {
            return Err(Error::InvalidPlan(format!("unknown rootEntry {other:?}")));
        }
    };
    let mount_private = plan.mount_private.unwrap_or(true);
    if plan.root_propagation.is_some() && !mount_private {
        return Err(Error::InvalidPlan(
            "rootPropagation with mountPrivate false".into(),
        ));
    }
    // Without a mount namespace of its own (made or joined), every mount would land in
    // the host's: only a chroot, no mounts, and the host's propagation left alone.
    // (`joinPid` runs no filesystem step at all: without "mount" it stays in lite's
    // mount namespace, as an OCI createContainer hook does.)
    if clone_flags & libc::CLONE_NEWNS as u64 == 0
        && !joined_kinds.contains(&"mount")
        && plan.join_pid.is_none()
    {
        let mounts = plan
            .ops
            .iter()
            .any(|op| op.kind == "mount" || op.kind == "mask");
        if mount_private || root_entry != RootEntry::Chroot || mounts {
            return Err(Error::InvalidPlan(
                "a container without a mount namespace of its own needs rootEntry \"chroot\", mountPrivate false and no mount or mask ops".into(),
            ));
        }
    }
    // `lite exec` joins the namespaces the container made; it makes none and mounts
    // nothing.
    let mut join_kinds = Vec::new();
    if plan.join_pid.is_some() {
        if !plan.ops.is_empty() || plan.loop_image.is_some() || plan.stub_init {
            return Err(Error::InvalidPlan(
                "joining a container takes no filesystem ops, image or stub init".into(),
            ));
        }
        // The user namespace first: it owns the others, and joining it is what gives
        // the right to join them (nsenter's order).
        for name in ["user", "cgroup", "ipc", "uts", "net", "pid", "mount"] {
            if plan.namespaces.iter().any(|n| n == name) {
                join_kinds.push(name);
            }
        }
        clone_flags = 0;
        new_cgroupns = false;
    }
    if let Some(fd) = plan.net_join_fd {
        if fd < 3 || clone_flags & libc::CLONE_NEWNET as u64 != 0 {
            return Err(Error::InvalidPlan(
                "netJoinFd needs an fd above stdio, no new \"net\" namespace and no joinPid".into(),
            ));
        }
    }
    if plan.argv.is_empty() {
        return Err(Error::InvalidPlan("argv is empty".into()));
    }
    if plan.exec_candidates.is_empty() {
        return Err(Error::InvalidPlan("no exec candidates".into()));
    }
    let ops = plan
        .ops
        .iter()
        .enumerate()
        .map(|(i, op)| prepare_op(i, op))
        .collect::<Result<Vec<_>>>()?;
    // The child runs the ops in two passes around pivot_root; keeping the list in that
    // order keeps an op's index (which failure reports name) in execution order too.
    if let Some(first_late) = ops.iter().position(|op| op.after_pivot) {
        if ops[first_late..].iter().any(|op| !op.after_pivot) {
            return Err(Error::InvalidPlan(
                "ops after pivot_root must come after all the others".into(),
            ));
        }
    }
    if ops.iter().any(|op| op.uses_loop) && plan.loop_image.is_none() {
        return Err(Error::InvalidPlan(
            "an op uses @loop but the plan has no loop_image".into(),
        ));
    }
    let user_ns = prepare_user_ns(plan)?;
    if user_ns.is_some() && joined_kinds.contains(&"pid") {
        return Err(Error::InvalidPlan(
            "a new user namespace with a joined pid namespace".into(),
        ));
    }
    let idmap_count = ops.iter().filter(|op| op.idmap).count();
    if idmap_count > 0 && (user_ns.is_none() || plan.join_pid.is_some()) {
        return Err(Error::InvalidPlan(
            "an id-mapped mount needs a new user namespace".into(),
        ));
    }
    if idmap_count > MAX_IDMAPS {
        return Err(Error::InvalidPlan(format!(
            "{idmap_count} id-mapped mounts; at most {MAX_IDMAPS}"
        )));
    }
    let argv = plan
        .argv
        .iter()
        .map(|a| cstring("argv", a))
        .collect::<Result<Vec<_>>>()?;
    let env = plan
        .env
        .iter()
        .map(|e| cstring("env", e))
        .collect::<Result<Vec<_>>>()?;
    let argv_ptrs = argv
        .iter()
        .map(|c| c.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect();
    let envp_ptrs = env
        .iter()
        .map(|c| c.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect();
    // Capabilities this kernel does not know cannot be granted (capset would refuse the
    // whole set): an older kernel simply lacks them.
    let known = if last_cap < 63 {
        (1u64 << (last_cap + 1)) - 1
    } else {
        u64::MAX
    };
    let mask = |what: &str, list: &[u32]| -> Result<u64> {
        let mut set = 0u64;
        for &cap in list {
            if cap > 63 {
                return Err(Error::InvalidPlan(format!(
                    "{what}: capability number {cap} is out of range"
                )));
            }
            set |= 1u64 << cap;
        }
        Ok(set & known)
    };
    let (caps, cap_effective, cap_permitted, cap_inheritable, cap_ambient) = match &plan.cap_sets {
        None => {
            let caps = mask("caps", &plan.caps)?;
            (caps, caps, caps, 0, Vec::new())
        }
        Some(sets) => {
            mask("capSets.ambient", &sets.ambient)?;
            (
                mask("capSets.bounding", &sets.bounding)?,
                mask("capSets.effective", &sets.effective)?,
                mask("capSets.permitted", &sets.permitted)?,
                mask("capSets.inheritable", &sets.inheritable)?,
                sets.ambient.clone(),
            )
        }
    };
    for (what, fd) in [
        ("readyWaitFd", plan.ready_wait_fd),
        ("stdinFd", plan.stdin_fd),
    ] {
        if fd.is_some_and(|fd| fd < 3) {
            return Err(Error::InvalidPlan(format!("{what} is not above stdio")));
        }
    }
    if plan.stdin_fd.is_some() && plan.tty {
        return Err(Error::InvalidPlan("stdinFd with tty".into()));
    }
    let first_unpassed = 3 + plan.preserve_fds.unwrap_or(0).min(1 << 20);
    for (what, fd) in [
        ("readyWaitFd", plan.ready_wait_fd),
        ("stdinFd", plan.stdin_fd),
        ("outputFd", plan.output_fd),
        ("initExeFd", plan.init_exe_fd),
        ("netJoinFd", plan.net_join_fd),
    ] {
        if fd.is_some_and(|fd| (fd as u32) < first_unpassed) {
            return Err(Error::InvalidPlan(format!(
                "{what} is among the preserved fds"
            )));
        }
    }
    let umask = plan.umask.unwrap_or(0o022);
    if umask > 0o777 {
        return Err(Error::InvalidPlan(format!(
            "umask {umask:o} is out of range"
        )));
    }
    let seccomp = match (&plan.seccomp_filter, &plan.seccomp) {
        (Some(words), _) => Some(
            seccomp::from_words(words)
                .map_err(|e| Error::InvalidPlan(format!("seccomp filter: {e}")))?,
        ),
        (None, Some(spec)) => Some(compile_seccomp(spec)?),
        (None, None) => None,
    };
    let rlimits = plan
        .rlimits
        .iter()
        .map(|r| {
            if r.resource >= 16 {
                return Err(Error::InvalidPlan(format!(
                    "unknown rlimit resource {}",
                    r.resource
                )));
            }
            Ok(PreparedRlimit {
                resource: r.resource as libc::c_int,
                soft: rlim(r.soft),
                hard: rlim(r.hard),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if let Some(h) = &plan.hostname {
        if h.len() > 64 || h.as_bytes().contains(&0) {
            return Err(Error::InvalidPlan(format!("invalid hostname {h:?}")));
        }
    }
    if let Some(d) = &plan.domainname {
        if d.len() > 64 || d.as_bytes().contains(&0) {
            return Err(Error::InvalidPlan(format!("invalid domainname {d:?}")));
        }
    }
    let new_root = abs_cstring("new_root", &plan.new_root)?;
    let root_tree_op = root_tree_op(
        &ops,
        &new_root,
        user_ns.as_ref(),
        plan.join_pid.is_some(),
        root_entry,
    );
    Ok(Prepared {
        clone_flags,
        new_cgroupns,
        root_tree_op,
        ops,
        loop_device: None,
        new_root,
        hostname: plan.hostname.as_ref().map(|h| h.as_bytes().to_vec()),
        loopback_up: plan.loopback_up,
        exec_candidates: plan
            .exec_candidates
            .iter()
            .map(|c| abs_cstring("exec candidate", c))
            .collect::<Result<Vec<_>>>()?,
        _argv: argv,
        _env: env,
        argv_ptrs,
        envp_ptrs,
        cwd: abs_cstring("cwd", &plan.cwd)?,
        uid: plan.uid,
        gid: plan.gid,
        groups: plan.groups.clone(),
        caps,
        cap_effective,
        cap_permitted,
        cap_inheritable,
        cap_ambient,
        last_cap,
        no_new_privs: plan.no_new_privs,
        seccomp,
        rlimits,
        oom_score_adj: plan.oom_score_adj.map(|v| v.to_string().into_bytes()),
        stub_init: plan.stub_init,
        init_exe_fd: plan.init_exe_fd,
        output_fd: plan.output_fd,
        join_kinds,
        join_pid: plan.join_pid,
        join: Vec::new(),
        cgroup_tasks: plan
            .cgroup_tasks
            .iter()
            .map(|t| abs_cstring("cgroup tasks file", t))
            .collect::<Result<Vec<_>>>()?,
        cgroup_v2_procs: plan
            .cgroup_v2_procs
            .as_deref()
            .map(|t| abs_cstring("cgroup.procs file", t))
            .transpose()?,
        tty: plan.tty,
        stdin: plan.stdin,
        net_socket: plan.net_socket,
        join_pid_ns: joined_kinds.contains(&"pid"),
        ns_joins,
        pdeathsig: !plan.no_parent_death.unwrap_or(false),
        ready_fd: plan.ready_wait_fd,
        umask,
        domainname: plan.domainname.as_ref().map(|d| d.as_bytes().to_vec()),
        rlimits_early: plan.rlimits_early.unwrap_or(false),
        root_propagation: mount_private.then(|| {
            plan.root_propagation
                .map_or((libc::MS_REC | libc::MS_PRIVATE) as libc::c_ulong, |f| {
                    f as libc::c_ulong
                })
        }),
        root_entry,
        stdin_fd: plan.stdin_fd,
        first_unpassed_fd: 3 + plan.preserve_fds.unwrap_or(0).min(1 << 20),
        // Rootless (lite is no root), lite itself is the owner.
        user_ns_owner: plan
            .user_ns
            .as_ref()
            .filter(|_| user_ns.as_ref().is_some_and(|u| !u.unprivileged_writer()))
            .map(|u| {
                let host_of = |map: &[IdMapping]| {
                    map.iter()
                        .find(|m| m.container_id == 0)
                        .or(map.first())
                        .map_or(0, |m| m.host_id)
                };
                (host_of(&u.uid_map), host_of(&u.gid_map))
            }),
        all_caps: known & permitted_caps(),
        clone_in_sibling: user_ns.as_ref().is_some_and(|u| !u.unprivileged_writer())
            || (joined_kinds.contains(&"user") && clone_flags != 0),
        in_user_ns: user_ns.is_some() || joined_kinds.contains(&"user"),
        maps_by_unprivileged: user_ns.as_ref().is_some_and(|u| u.unprivileged_writer()),
        setgroups_denied: user_ns.as_ref().is_some_and(|u| u.deny_setgroups)
            || plan.join_setgroups_denied.unwrap_or(false),
        user_ns,
        idmap_count,
    })
}

/// In a new user namespace, the container's root may sit below a directory that its
/// mapped root can't search (runtime-tools' bundles are in a 0700 temp dir): lite, host
/// root, clones the root's tree for the child instead of the child binding it by path.
/// Only where lite is root and the root is entered with pivot_root; the op is the bind
/// of the root onto itself.
fn root_tree_op(
    ops: &[PreparedOp],
    new_root: &std::ffi::CStr,
    user_ns: Option<&PreparedUserNs>,
    joins_pid: bool,
    entry: RootEntry,
) -> Option<usize> {
    let lite_is_root = user_ns.is_some_and(|u| !u.unprivileged_writer());
    if !lite_is_root || joins_pid || entry != RootEntry::Pivot {
        return None;
    }
    let self_bind = |op: &PreparedOp| {
        op.kind == OpKind::Mount
            && op.resolve == Resolve::Host
            && op.source.is_none()
            && !op.uses_loop
            && !op.idmap
            && !op.after_pivot
            && op.flags & libc::MS_BIND != 0
            && op.flags & libc::MS_REMOUNT == 0
            && op.target.as_c_str() == new_root
    };
    ops.iter().position(self_bind)
}

/// The kernel takes at most 340 lines per map (5 before 4.15).
const MAX_MAP_LINES: usize = 340;

fn map_text(what: &str, map: &[IdMapping]) -> Result<(Vec<u8>, bool)> {
    if map.is_empty() || map.len() > MAX_MAP_LINES {
        return Err(Error::InvalidPlan(format!(
            "userNs.{what}: {} lines; 1 to {MAX_MAP_LINES}",
            map.len()
        )));
    }
    let mut text = String::new();
    let mut root = false;
    for (i, m) in map.iter().enumerate() {
        let fits = |start: u32| (start as u64) + (m.size as u64) <= u32::MAX as u64;
        if m.size == 0 || !fits(m.container_id) || !fits(m.host_id) {
            return Err(Error::InvalidPlan(format!(
                "userNs.{what}[{i}]: {} {} {} is out of range",
                m.container_id, m.host_id, m.size
            )));
        }
        root |= m.container_id == 0;
        text.push_str(&format!("{} {} {}\n", m.container_id, m.host_id, m.size));
    }
    Ok((text.into_bytes(), root))
}

fn prepare_user_ns(plan: &Plan) -> Result<Option<PreparedUserNs>> {
    let wants = plan.namespaces.iter().any(|n| n == "user");
    match (&plan.user_ns, wants, plan.join_pid.is_some()) {
        (_, false, _) | (_, true, true) => {
            if plan.user_ns.is_some() && !wants {
                return Err(Error::InvalidPlan(
                    "userNs without \"user\" in namespaces".into(),
                ));
            }
            Ok(None)
        }
        (None, true, false) => Err(Error::InvalidPlan(
            "a new user namespace needs userNs with its maps".into(),
        )),
        (Some(u), true, false) => {
            let (uid_map, uid_root) = map_text("uidMap", &u.uid_map)?;
            let (gid_map, gid_root) = map_text("gidMap", &u.gid_map)?;
            Ok(Some(PreparedUserNs {
                uid_map,
                gid_map,
                deny_setgroups: u.deny_setgroups.unwrap_or(false),
                maps_by_helper: u.maps_by_helper.unwrap_or(false),
                root_mapped: uid_root && gid_root,
            }))
        }
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    pub fn sample_plan() -> Plan {
        Plan {
            namespaces: ["mount", "pid", "uts", "ipc", "net", "cgroup"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            ops: vec![
                FsOp {
                    kind: "mount".into(),
                    source: Some("tmpfs".into()),
                    target: "/run/lite/t/layers".into(),
                    fstype: Some("tmpfs".into()),
                    data: Some("size=16m".into()),
                    ..Default::default()
                },
                FsOp {
                    kind: "mkdir".into(),
                    target: "/run/lite/t/layers/upper".into(),
                    mode: 0o755,
                    ..Default::default()
                },
                FsOp {
                    kind: "mount".into(),
                    source: Some("/data".into()),
                    target: "/run/lite/t/root/data".into(),
                    flags: libc::MS_BIND as u32,
                    create: Some("dir".into()),
                    ..Default::default()
                },
            ],
            new_root: "/run/lite/t/root".into(),
            hostname: Some("box".into()),
            loopback_up: true,
            exec_candidates: vec!["/usr/bin/app".into(), "/bin/app".into()],
            argv: vec!["app".into(), "--flag".into()],
            env: vec!["PATH=/bin".into()],
            cwd: "/".into(),
            uid: 1000,
            gid: 1000,
            groups: vec![5],
            caps: vec![0, 5],
            no_new_privs: true,
            rlimits: vec![RlimitOp {
                resource: libc::RLIMIT_NOFILE,
                soft: 64,
                hard: -1,
            }],
            oom_score_adj: Some(-5),
            ..Default::default()
        }
    }

    #[test]
    fn prepares_flags_arrays_and_masks() {
        let p = prepare(&sample_plan(), 40).unwrap();
        let want = (libc::CLONE_NEWNS
            | libc::CLONE_NEWPID
            | libc::CLONE_NEWUTS
            | libc::CLONE_NEWIPC
            | libc::CLONE_NEWNET) as u64;
        assert_eq!(p.clone_flags, want, "cgroup ns is left to the child");
        assert!(p.new_cgroupns);
        assert_eq!(p.argv_ptrs.len(), 3);
        assert!(p.argv_ptrs[2].is_null());
        assert_eq!(p.envp_ptrs.len(), 2);
        assert_eq!(p.caps, 0b100001);
        assert_eq!(p.rlimits[0].hard, libc::RLIM_INFINITY);
        assert_eq!(p.oom_score_adj.as_deref(), Some(&b"-5"[..]));
        assert_eq!(p.ops[2].create, Create::Dir);
    }

    #[test]
    fn rejects_bad_plans() {
        let mut p = sample_plan();
        p.argv.push("a\0b".into());
        assert!(matches!(prepare(&p, 40), Err(Error::InvalidPlan(m)) if m.contains("NUL")));
        let mut p = sample_plan();
        p.cwd = "relative".into();
        assert!(prepare(&p, 40).is_err());
        let mut p = sample_plan();
        p.namespaces.retain(|n| n != "mount");
        assert!(prepare(&p, 40).is_err());
        let mut p = sample_plan();
        p.namespaces.push("time".into());
        assert!(prepare(&p, 40).is_err());
        let mut p = sample_plan();
        p.ops[0].source = Some("@loop".into());
        assert!(prepare(&p, 40).is_err(), "@loop without an image");
        let mut p = sample_plan();
        p.caps.push(64);
        assert!(prepare(&p, 40).is_err());
        let mut p = sample_plan();
        p.ops[1].kind = "chmod".into();
        assert!(prepare(&p, 40).is_err());
        // Joining a network namespace excludes making one.
        let mut p = sample_plan();
        p.net_join_fd = Some(9);
        assert!(prepare(&p, 40).is_err());
        p.namespaces.retain(|n| n != "net");
        assert_eq!(
            prepare(&p, 40).unwrap().ns_joins,
            vec![NsJoin {
                fd: 9,
                nstype: libc::CLONE_NEWNET,
                index: 100
            }]
        );
        p.net_join_fd = Some(1);
        assert!(prepare(&p, 40).is_err());
    }
}
