//! The fast entry: everything a warm plain `lite run FILE` does on the host, resolved
//! by the TypeScript side (runtime/lifecycle/fast-entry.ts) on a run that found its
//! plan-cache entry valid, and written beside that entry. The native fast run reads it,
//! checks it against the host (check.rs) and runs it (mod.rs).
//!
//! The format: the line `lite-fast 1`, then records `KEY LEN\n` followed by LEN bytes
//! and `\n`. Keys may repeat (lists); a pair is `A\0B`. An unknown key, a missing one,
//! or a malformed record makes the whole entry unusable: the run then takes the full
//! path, which rewrites the entry.

use serde_json::Value;

use crate::plan::{FsOp, Plan, RlimitOp};

pub const MAGIC: &[u8] = b"lite-fast 1\n";
/// An entry larger than this is not lite's (plan-cache.ts has the same bound).
pub const ENTRY_LIMIT: usize = 4 << 20;

#[derive(Debug, Default)]
pub struct FastEntry {
    /// lite's build id (scripts/build): the entry is only for the lite that wrote it
    pub build: String,
    /// the config's absolute path
    pub config: String,
    pub state_root: String,
    /// uname -r when it was written
    pub kernel: String,
    /// check::host_fingerprint() when it was written
    pub host: String,
    /// every file the validation and the plan read, with plan-cache.ts's signature
    pub inputs: Vec<(String, String)>,
    pub name: String,
    pub state_dir: String,
    pub plan: Plan,
    /// the cgroup2 directory (clone3 places the child there)
    pub v2: Option<String>,
    /// the container's cgroup directories, made in this order (their parents exist)
    pub cgroups: Vec<String>,
    /// those in a v1 cpuset hierarchy: an empty cpuset.cpus/mems is copied from the parent
    pub cpusets: Vec<String>,
    /// (dir, controller): a v2 controller the writes need, enabled in dir's subtree_control
    pub subtree: Vec<(String, String)>,
    /// (file, value): the limits and device rules, in order
    pub writes: Vec<(String, String)>,
    /// a cgroup v2 device program is attached to `v2`, allowing `devices` (v1 rule syntax)
    pub device_program: bool,
    pub devices: Vec<String>,
    /// host directories to make (the root's mount point)
    pub dirs: Vec<String>,
    /// (path, content): the /etc files lite makes for the container
    pub files: Vec<(String, String)>,
    /// the state file of the running container (state-file.ts); mod.rs fills in this run's values
    pub state: String,
    /// the monitor's spec (monitor/spec.ts); mod.rs fills in this run's values
    pub spec: String,
}

pub const EXEC_MAGIC: &[u8] = b"lite-fast-exec 1\n";

/// The fast exec entry of a running container (runtime/lifecycle/fast-exec-entry.ts):
/// what a plain `lite exec NAME CMD...` into it does, but for the command. It lies in
/// the container's state dir and holds for that container's first process only.
#[derive(Debug, Default)]
pub struct ExecEntry {
    pub build: String,
    pub kernel: String,
    pub host: String,
    pub inputs: Vec<(String, String)>,
    pub name: String,
    pub state_dir: String,
    /// the container's first process, and its start time (/proc/PID/stat field 22)
    pub pid: libc::pid_t,
    pub pid_start: u64,
    /// the join plan; its argv and exec candidates are this exec's command's
    pub plan: Plan,
    /// the container's cgroup2 directory
    pub v2: Option<String>,
    /// the exec monitor's spec; its `lite` line is this lite's
    pub spec: String,
}

/// The exec entry, or why it can't be used.
pub fn parse_exec(bytes: &[u8]) -> Result<ExecEntry, String> {
    let mut e = ExecEntry::default();
    let mut plan = None;
    let number = |v: &str, what: &str| -> Result<u64, String> {
        v.parse().map_err(|_| format!("{what} is not a number"))
    };
    for (key, value) in records(bytes, EXEC_MAGIC)? {
        match key.as_str() {
            "build" => e.build = value,
            "kernel" => e.kernel = value,
            "host" => e.host = value,
            "input" => e.inputs.push(pair(&value)?),
            "name" => e.name = value,
            "state_dir" => e.state_dir = value,
            "pid" => {
                e.pid = libc::pid_t::try_from(number(&value, "pid")?)
                    .map_err(|_| "pid is out of range")?
            }
            "pid_start" => e.pid_start = number(&value, "pid_start")?,
            "plan" => plan = Some(plan_record(&value)?),
            "v2" => e.v2 = Some(value),
            "spec" => e.spec = value,
            other => return Err(format!("unknown record {other}")),
        }
    }
    e.plan = plan.ok_or("no plan")?;
    required(&[
        ("build", &e.build),
        ("kernel", &e.kernel),
        ("host", &e.host),
        ("name", &e.name),
        ("state_dir", &e.state_dir),
        ("spec", &e.spec),
    ])?;
    if e.pid <= 0 || e.pid_start == 0 {
        return Err("no pid".into());
    }
    // An exec joins the container's first process, and makes nothing of its own.
    if e.plan.join_pid != Some(e.pid) {
        return Err("the plan joins another process".into());
    }
    if !e.plan.ops.is_empty() || e.plan.stub_init || e.plan.hostname.is_some() || e.plan.loopback_up
    {
        return Err("the plan makes a container".into());
    }
    Ok(e)
}

fn pair(value: &str) -> Result<(String, String), String> {
    value
        .split_once('\0')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .ok_or_else(|| "a pair without its NUL".to_string())
}

/// The records of an entry that begins with `magic`: (key, value) in order.
fn records(bytes: &[u8], magic: &[u8]) -> Result<Vec<(String, String)>, String> {
    if bytes.len() > ENTRY_LIMIT {
        return Err("too large".into());
    }
    let mut rest = bytes
        .strip_prefix(magic)
        .ok_or_else(|| "not a fast entry".to_string())?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let nl = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("a record without its line")?;
        let head = std::str::from_utf8(&rest[..nl]).map_err(|_| "a record's line is not UTF-8")?;
        let (key, len) = head
            .split_once(' ')
            .ok_or("a record's line has no length")?;
        let len: usize = len
            .parse()
            .map_err(|_| "a record's length is not a number")?;
        let body = rest
            .get(nl + 1..nl + 1 + len)
            .ok_or("a record is cut short")?;
        if rest.get(nl + 1 + len) != Some(&b'\n') {
            return Err("a record does not end with a newline".into());
        }
        let value = std::str::from_utf8(body)
            .map_err(|_| format!("record {key} is not UTF-8"))?
            .to_string();
        out.push((key.to_string(), value));
        rest = &rest[nl + 2 + len..];
    }
    Ok(out)
}

fn plan_record(value: &str) -> Result<Plan, String> {
    let v: Value = serde_json::from_str(value).map_err(|err| format!("plan: {err}"))?;
    plan_from_json(&v)
}

/// Refuses an entry where one of these is empty (never written, or cut).
fn required(fields: &[(&str, &String)]) -> Result<(), String> {
    match fields.iter().find(|(_, v)| v.is_empty()) {
        Some((what, _)) => Err(format!("no {what}")),
        None => Ok(()),
    }
}

/// The entry, or why it can't be used.
pub fn parse(bytes: &[u8]) -> Result<FastEntry, String> {
    let mut e = FastEntry::default();
    let mut plan = None;
    let mut seen_state = false;
    let mut seen_spec = false;
    for (key, value) in records(bytes, MAGIC)? {
        match key.as_str() {
            "build" => e.build = value,
            "config" => e.config = value,
            "state_root" => e.state_root = value,
            "kernel" => e.kernel = value,
            "host" => e.host = value,
            "input" => e.inputs.push(pair(&value)?),
            "name" => e.name = value,
            "state_dir" => e.state_dir = value,
            "plan" => plan = Some(plan_record(&value)?),
            "v2" => e.v2 = Some(value),
            "cgroup" => e.cgroups.push(value),
            "cpuset" => e.cpusets.push(value),
            "subtree" => e.subtree.push(pair(&value)?),
            "write" => e.writes.push(pair(&value)?),
            "device_program" => e.device_program = true,
            "device" => e.devices.push(value),
            "dir" => e.dirs.push(value),
            "file" => e.files.push(pair(&value)?),
            "state" => {
                e.state = value;
                seen_state = true
            }
            "spec" => {
                e.spec = value;
                seen_spec = true
            }
            other => return Err(format!("unknown record {other}")),
        }
    }
    e.plan = plan.ok_or("no plan")?;
    required(&[
        ("build", &e.build),
        ("config", &e.config),
        ("state_root", &e.state_root),
        ("kernel", &e.kernel),
        ("host", &e.host),
        ("name", &e.name),
        ("state_dir", &e.state_dir),
    ])?;
    // A run's plan makes its container: it joins none (that is an exec's).
    if e.plan.join_pid.is_some() {
        return Err("the plan joins a process".into());
    }
    if !seen_state || !seen_spec {
        return Err("no state or spec".into());
    }
    if e.device_program && e.v2.is_none() {
        return Err("a device program without a cgroup v2 directory".into());
    }
    Ok(e)
}

type Fields<'a> = &'a serde_json::Map<String, Value>;

fn text(o: Fields, key: &str) -> Result<Option<String>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{key} is not a string")),
    }
}

fn flag(o: Fields, key: &str) -> Result<Option<bool>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(format!("{key} is not a boolean")),
    }
}

fn int<T: TryFrom<i64>>(o: Fields, key: &str) -> Result<Option<T>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .and_then(|n| T::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| format!("{key} is not a number in range")),
    }
}

fn list<T>(
    o: Fields,
    key: &str,
    each: impl Fn(&Value) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a.iter().map(each).collect(),
        Some(_) => Err(format!("{key} is not a list")),
    }
}

fn string_item(v: &Value) -> Result<String, String> {
    v.as_str()
        .map(String::from)
        .ok_or_else(|| "a list item is not a string".into())
}

fn u32_item(v: &Value) -> Result<u32, String> {
    v.as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| "a list item is not a u32".into())
}

fn object<'a>(v: &'a Value, what: &str) -> Result<Fields<'a>, String> {
    v.as_object()
        .ok_or_else(|| format!("{what} is not an object"))
}

/// Refuses keys this mapping does not know: a field the planner sets and this
/// side would drop must never run (the full path runs it instead).
fn only(o: Fields, known: &[&str], what: &str) -> Result<(), String> {
    match o.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(format!("{what} has {k}, which the fast run does not take")),
        None => Ok(()),
    }
}

const OP_KEYS: &[&str] = &[
    "kind",
    "source",
    "target",
    "fstype",
    "flags",
    "data",
    "create",
    "optional",
    "mode",
    "major",
    "minor",
    "afterPivot",
    "resolve",
    "maskAnywhere",
    "uid",
    "gid",
];

fn op_from_json(v: &Value) -> Result<FsOp, String> {
    let o = object(v, "an op")?;
    only(o, OP_KEYS, "an op")?;
    Ok(FsOp {
        kind: text(o, "kind")?.ok_or("an op has no kind")?,
        source: text(o, "source")?,
        target: text(o, "target")?.ok_or("an op has no target")?,
        fstype: text(o, "fstype")?,
        flags: int(o, "flags")?.unwrap_or(0),
        data: text(o, "data")?,
        create: text(o, "create")?,
        optional: flag(o, "optional")?.unwrap_or(false),
        mode: int(o, "mode")?.unwrap_or(0),
        major: int(o, "major")?.unwrap_or(0),
        minor: int(o, "minor")?.unwrap_or(0),
        after_pivot: flag(o, "afterPivot")?.unwrap_or(false),
        resolve: text(o, "resolve")?,
        mask_anywhere: flag(o, "maskAnywhere")?,
        uid: int(o, "uid")?,
        gid: int(o, "gid")?,
        idmap: None,
    })
}

const PLAN_KEYS: &[&str] = &[
    "namespaces",
    "ops",
    "newRoot",
    "hostname",
    "loopbackUp",
    "netSocket",
    "execCandidates",
    "argv",
    "env",
    "cwd",
    "uid",
    "gid",
    "groups",
    "caps",
    "noNewPrivs",
    "seccompFilter",
    "rlimits",
    "oomScoreAdj",
    "stubInit",
    "tty",
    "stdin",
    "cgroupTasks",
    "cgroupV2Procs",
    "joinPid",
    "joinSetgroupsDenied",
];

/// The launch plan of a plain run or exec (ini front end): what `create` gets from JavaScript.
/// A plan with a network socket, a terminal or stdin to forward is not taken.
pub fn plan_from_json(v: &Value) -> Result<Plan, String> {
    let o = object(v, "the plan")?;
    only(o, PLAN_KEYS, "the plan")?;
    for key in ["netSocket", "tty", "stdin"] {
        if flag(o, key)? == Some(true) {
            return Err(format!("the plan has {key}"));
        }
    }
    let rlimit = |v: &Value| -> Result<RlimitOp, String> {
        let r = object(v, "an rlimit")?;
        only(r, &["resource", "soft", "hard"], "an rlimit")?;
        Ok(RlimitOp {
            resource: int(r, "resource")?.ok_or("an rlimit has no resource")?,
            soft: int(r, "soft")?.ok_or("an rlimit has no soft limit")?,
            hard: int(r, "hard")?.ok_or("an rlimit has no hard limit")?,
        })
    };
    Ok(Plan {
        namespaces: list(o, "namespaces", string_item)?,
        ops: list(o, "ops", op_from_json)?,
        new_root: text(o, "newRoot")?.ok_or("the plan has no newRoot")?,
        hostname: text(o, "hostname")?,
        loopback_up: flag(o, "loopbackUp")?.unwrap_or(false),
        exec_candidates: list(o, "execCandidates", string_item)?,
        argv: list(o, "argv", string_item)?,
        env: list(o, "env", string_item)?,
        cwd: text(o, "cwd")?.ok_or("the plan has no cwd")?,
        uid: int(o, "uid")?.unwrap_or(0),
        gid: int(o, "gid")?.unwrap_or(0),
        groups: list(o, "groups", u32_item)?,
        caps: list(o, "caps", u32_item)?,
        no_new_privs: flag(o, "noNewPrivs")?.unwrap_or(false),
        seccomp_filter: match o.get("seccompFilter") {
            None | Some(Value::Null) => None,
            Some(_) => Some(list(o, "seccompFilter", u32_item)?),
        },
        rlimits: list(o, "rlimits", rlimit)?,
        oom_score_adj: int(o, "oomScoreAdj")?,
        stub_init: flag(o, "stubInit")?.unwrap_or(false),
        cgroup_tasks: list(o, "cgroupTasks", string_item)?,
        cgroup_v2_procs: text(o, "cgroupV2Procs")?,
        join_pid: int(o, "joinPid")?,
        join_setgroups_denied: flag(o, "joinSetgroupsDenied")?,
        ..Plan::default()
    })
}
