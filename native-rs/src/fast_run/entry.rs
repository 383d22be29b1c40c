//! The fast entry: everything a warm plain `lite run FILE` does on the host, resolved
//! by the TypeScript side (runtime/lifecycle/fast-entry.ts) on a run that found its
//! plan-cache entry valid, and written beside that entry. The native fast run reads it,
//! checks it against the host (check.rs) and runs it (mod.rs).
//!
//! The format: the line `lite-fast 1`, then records `KEY LEN\n` followed by LEN bytes
//! and `\n`. Keys may repeat (lists); a pair is `A\0B`. An unknown key, a missing one,
//! or a malformed record makes the whole entry unusable: the run then takes the full
//! path, which rewrites the entry.

use serde::Deserialize;

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
            "plan" => plan = Some(plan_from_json(&value)?),
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
            "plan" => plan = Some(plan_from_json(&value)?),
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

/// The plan as plan/types.ts writes it (fields absent or null when unset). A field
/// this mapping does not know refuses the plan: one the planner sets and this side
/// would drop must never run (the full path runs it instead). Deserialized straight
/// into these structs: through a `serde_json::Value` tree the plan took 0.5 ms here.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
struct PlanJson {
    namespaces: Option<Vec<String>>,
    ops: Option<Vec<OpJson>>,
    new_root: Option<String>,
    hostname: Option<String>,
    loopback_up: Option<bool>,
    net_socket: Option<bool>,
    exec_candidates: Option<Vec<String>>,
    argv: Option<Vec<String>>,
    env: Option<Vec<String>>,
    cwd: Option<String>,
    uid: Option<u32>,
    gid: Option<u32>,
    groups: Option<Vec<u32>>,
    caps: Option<Vec<u32>>,
    no_new_privs: Option<bool>,
    seccomp_filter: Option<Vec<u32>>,
    rlimits: Option<Vec<RlimitJson>>,
    oom_score_adj: Option<i32>,
    stub_init: Option<bool>,
    tty: Option<bool>,
    stdin: Option<bool>,
    cgroup_tasks: Option<Vec<String>>,
    cgroup_v2_procs: Option<String>,
    join_pid: Option<i32>,
    join_setgroups_denied: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
struct OpJson {
    kind: Option<String>,
    source: Option<String>,
    target: Option<String>,
    fstype: Option<String>,
    flags: Option<u32>,
    data: Option<String>,
    create: Option<String>,
    optional: Option<bool>,
    mode: Option<u32>,
    major: Option<u32>,
    minor: Option<u32>,
    after_pivot: Option<bool>,
    resolve: Option<String>,
    mask_anywhere: Option<bool>,
    uid: Option<u32>,
    gid: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RlimitJson {
    resource: u32,
    soft: i64,
    hard: i64,
}

impl OpJson {
    fn into_op(self) -> Result<FsOp, String> {
        Ok(FsOp {
            kind: self.kind.ok_or("an op has no kind")?,
            source: self.source,
            target: self.target.ok_or("an op has no target")?,
            fstype: self.fstype,
            flags: self.flags.unwrap_or(0),
            data: self.data,
            create: self.create,
            optional: self.optional.unwrap_or(false),
            mode: self.mode.unwrap_or(0),
            major: self.major.unwrap_or(0),
            minor: self.minor.unwrap_or(0),
            after_pivot: self.after_pivot.unwrap_or(false),
            resolve: self.resolve,
            mask_anywhere: self.mask_anywhere,
            uid: self.uid,
            gid: self.gid,
            idmap: None,
        })
    }
}

/// The plan of an entry's JSON, or why the fast run can't take it.
pub fn plan_from_json(text: &str) -> Result<Plan, String> {
    let p: PlanJson = serde_json::from_str(text).map_err(|err| format!("plan: {err}"))?;
    for (key, set) in [
        ("netSocket", p.net_socket),
        ("tty", p.tty),
        ("stdin", p.stdin),
    ] {
        if set == Some(true) {
            return Err(format!("the plan has {key}"));
        }
    }
    Ok(Plan {
        namespaces: p.namespaces.unwrap_or_default(),
        ops: p
            .ops
            .unwrap_or_default()
            .into_iter()
            .map(OpJson::into_op)
            .collect::<Result<_, _>>()?,
        new_root: p.new_root.ok_or("the plan has no newRoot")?,
        hostname: p.hostname,
        loopback_up: p.loopback_up.unwrap_or(false),
        exec_candidates: p.exec_candidates.unwrap_or_default(),
        argv: p.argv.unwrap_or_default(),
        env: p.env.unwrap_or_default(),
        cwd: p.cwd.ok_or("the plan has no cwd")?,
        uid: p.uid.unwrap_or(0),
        gid: p.gid.unwrap_or(0),
        groups: p.groups.unwrap_or_default(),
        caps: p.caps.unwrap_or_default(),
        no_new_privs: p.no_new_privs.unwrap_or(false),
        seccomp_filter: p.seccomp_filter,
        rlimits: p
            .rlimits
            .unwrap_or_default()
            .into_iter()
            .map(|r| RlimitOp {
                resource: r.resource,
                soft: r.soft,
                hard: r.hard,
            })
            .collect(),
        oom_score_adj: p.oom_score_adj,
        stub_init: p.stub_init.unwrap_or(false),
        cgroup_tasks: p.cgroup_tasks.unwrap_or_default(),
        cgroup_v2_procs: p.cgroup_v2_procs,
        join_pid: p.join_pid,
        join_setgroups_denied: p.join_setgroups_denied,
        ..Plan::default()
    })
}
