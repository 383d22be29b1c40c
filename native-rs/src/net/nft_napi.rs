//! The N-API surface of nft.rs: JS objects in, typed rules to the core, errors out
//! with a JS `error.code` ("InvalidPlan" for a malformed rule object, "Os" for what the
//! kernel refused) and the errno in the message.

use napi_derive::napi;

use crate::napi_api::Code;
use crate::net::nft::{self, RuleFields};
use crate::sys::Errno;

type Result<T> = napi::Result<T, Code>;

fn invalid(msg: String) -> napi::Error<Code> {
    napi::Error::new(Code("InvalidPlan"), msg)
}

fn os(e: impl std::fmt::Display) -> napi::Error<Code> {
    napi::Error::new(Code("Os"), e.to_string())
}

/// "what: strerror (errno N)".
fn os_errno(what: &str, errno: Errno) -> napi::Error<Code> {
    let text = std::io::Error::from_raw_os_error(errno.0).to_string();
    let text = text.split(" (os error").next().unwrap_or("");
    os(format!("{what}: {text} (errno {})", errno.0))
}

/// One of lite's rules for a container, as the planner sends it: the core's
/// `RuleFields`, checked there.
pub type NftRule = RuleFields;

fn check_name(name: &str) -> Result<()> {
    nft::tag(name).map(|_| ()).map_err(|_| {
        invalid(format!(
            "nf_tables: container name {name:?} cannot tag a rule (empty, NUL or over {} bytes)",
            nft::TAG_MAX
        ))
    })
}

/// What adding a container's rules leaves for its end.
#[napi(object)]
pub struct NftAdded {
    /// Hex (lower case) of the netlink messages that delete exactly these rules
    /// (`nft::release_batch`: the batch, then its fence), for the monitor to send.
    pub release: String,
}

/// Adds the container's rules to table ip lite in one atomic batch (creating the table
/// and its chains when missing). A kernel without a needed module fails with a message
/// naming the CONFIG_ option.
#[napi]
pub fn nft_add_container_rules(name: String, rules: Vec<NftRule>) -> Result<NftAdded> {
    check_name(&name)?;
    let rules = rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            r.parse()
                .map_err(|m| invalid(format!("nf_tables rule {i}: {m}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let added = nft::add_container_rules_detailed(&name, &rules).map_err(os)?;
    let release = nft::release_batch(&added)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(NftAdded { release })
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
        .iter()
        .map(|(name, rule)| NftPublished {
            name: name.clone(),
            rule: rule.into(),
        })
        .collect())
}
