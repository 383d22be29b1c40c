//! The N-API surface of nft.rs: JS objects in, typed rules to the core, errors out
//! with a JS `error.code` ("InvalidPlan" for a malformed rule object, "Os" for what the
//! kernel refused) and the errno in the message.

use napi_derive::napi;

use crate::net::nft::{self, Rule, RuleFields};
use crate::sys::Errno;

pub struct NftCode(&'static str);
impl AsRef<str> for NftCode {
    fn as_ref(&self) -> &str {
        self.0
    }
}

type Result<T> = napi::Result<T, NftCode>;

fn invalid(msg: String) -> napi::Error<NftCode> {
    napi::Error::new(NftCode("InvalidPlan"), msg)
}

fn os(e: impl std::fmt::Display) -> napi::Error<NftCode> {
    napi::Error::new(NftCode("Os"), e.to_string())
}

/// "what: strerror (errno N)".
fn os_errno(what: &str, errno: Errno) -> napi::Error<NftCode> {
    let text = std::io::Error::from_raw_os_error(errno.0).to_string();
    let text = text.split(" (os error").next().unwrap_or("");
    os(format!("{what}: {text} (errno {})", errno.0))
}

/// One of lite's rules for a container, as the planner sends it.
#[napi(object)]
pub struct NftRule {
    /// "masquerade" | "dnat" | "localnet-masquerade".
    pub kind: String,
    /// masquerade: the container's address.
    pub source: Option<String>,
    /// dnat, localnet-masquerade: the container's address.
    pub address: Option<String>,
    /// masquerade, localnet-masquerade: the bridge's name.
    pub bridge: Option<String>,
    /// dnat: "tcp" | "udp".
    pub proto: Option<String>,
    /// dnat: only connections to this host address (absent: any local address).
    pub host_ip: Option<String>,
    pub host_port: Option<u32>,
    /// dnat: the container's port.
    pub port: Option<u32>,
}

fn to_rule(i: usize, r: NftRule) -> Result<Rule> {
    let fields = RuleFields {
        kind: r.kind,
        source: r.source,
        address: r.address,
        bridge: r.bridge,
        proto: r.proto,
        host_ip: r.host_ip,
        host_port: r.host_port,
        port: r.port,
    };
    fields
        .parse()
        .map_err(|m| invalid(format!("nf_tables rule {i}: {m}")))
}

fn check_name(name: &str) -> Result<()> {
    nft::tag(name).map(|_| ()).map_err(|_| {
        invalid(format!(
            "nf_tables: container name {name:?} cannot tag a rule (empty, NUL or over 254 bytes)"
        ))
    })
}

/// Adds the container's rules to table ip lite in one atomic batch (creating the table
/// and its chains when missing). A kernel without a needed module fails with a message
/// naming the CONFIG_ option.
#[napi]
pub fn nft_add_container_rules(name: String, rules: Vec<NftRule>) -> Result<()> {
    check_name(&name)?;
    let rules = rules
        .into_iter()
        .enumerate()
        .map(|(i, r)| to_rule(i, r))
        .collect::<Result<Vec<_>>>()?;
    nft::add_container_rules_detailed(&name, &rules).map_err(os)
}

/// Deletes every rule tagged with the container's name; returns how many (a published
/// port is two kernel rules). No table is 0.
#[napi]
pub fn nft_delete_container_rules(name: String) -> Result<u32> {
    check_name(&name)?;
    nft::delete_container_rules_detailed(&name)
        .map(|n| n as u32)
        .map_err(os)
}

/// The names of the containers that have rules (for the stale-state clean-up).
#[napi]
pub fn nft_tagged_names() -> Result<Vec<String>> {
    nft::tagged_names().map_err(|e| os_errno("nf_tables: listing the rules of table ip lite", e))
}

/// "FAMILY TABLE CHAIN" of another program's forward base chain with policy drop
/// (Docker's iptables-nft `FORWARD DROP`), or null.
#[napi]
pub fn nft_forward_drop() -> Result<Option<String>> {
    nft::foreign_forward_drop().map_err(|e| os_errno("nf_tables: listing the chains", e))
}

/// null when nf_tables answers; else why not, naming the missing kernel option where
/// that is the cause.
#[napi]
pub fn nft_available() -> Option<String> {
    nft::nf_tables_available()
        .err()
        .map(nft::unavailable_reason)
}

/// A published port found in table ip lite.
#[napi(object)]
pub struct NftPublished {
    /// The container's name.
    pub name: String,
    /// kind "dnat", as it was added.
    pub rule: NftRule,
}

/// The published ports of all containers (read back from the prerouting rules), so
/// that a new container can refuse a host port that is taken.
#[napi]
pub fn nft_published() -> Result<Vec<NftPublished>> {
    let list = nft::published()
        .map_err(|e| os_errno("nf_tables: listing the rules of table ip lite", e))?;
    Ok(list
        .into_iter()
        .filter_map(|(name, r)| match r {
            Rule::Dnat {
                proto,
                host_ip,
                host_port,
                address,
                port,
            } => Some(NftPublished {
                name,
                rule: NftRule {
                    kind: "dnat".into(),
                    source: None,
                    address: Some(address.to_string()),
                    bridge: None,
                    proto: Some(proto.name().into()),
                    host_ip: host_ip.map(|ip| ip.to_string()),
                    host_port: Some(host_port.into()),
                    port: Some(port.into()),
                },
            }),
            _ => None,
        })
        .collect())
}
