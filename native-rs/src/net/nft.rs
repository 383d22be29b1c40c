//! lite's nf_tables rules over NETLINK_NETFILTER (DESIGN §12), with no `nft` binary.
//!
//! lite owns one table, `ip lite`, with three NAT base chains (prerouting and output
//! at dstnat, postrouting at srcnat). Every rule carries its container's name in
//! NFTA_RULE_USERDATA, encoded as the comment TLV that `nft` itself uses (type 0,
//! length, NUL-terminated text), so `nft list ruleset` shows `comment "NAME"` and the
//! clean-up finds exactly the rules of one container.
//!
//! Changes go in nf_tables batches (NFNL_MSG_BATCH_BEGIN ... END): the kernel applies
//! a batch whole or not at all. Every message inside asks for an ack; after the batch
//! a NLMSG_NOOP with NLM_F_ACK is sent as a fence: the kernel answers in order and
//! synchronously, so once the fence's ack is read every ack of the batch has been.
//!
//! The rules, as `nft` would print them:
//! - masquerade: `ip saddr SOURCE oifname != BRIDGE masquerade` (postrouting)
//! - dnat: `fib daddr type local [ip daddr HOST_IP] meta l4proto P th dport HOST_PORT
//!   dnat to ADDRESS:PORT`, in prerouting and again in output
//! - localnet masquerade: `ip saddr 127.0.0.0/8 ip daddr ADDRESS oifname BRIDGE
//!   masquerade` (postrouting)

use std::collections::BTreeSet;
use std::fmt;
use std::net::Ipv4Addr;

use crate::net::netlink::{
    ack_result, align4, attrs, messages, nla_str, Msg, NlMsg, Socket, MAX_DATAGRAMS, NLMSG_ERROR,
    NLMSG_NOOP, NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE,
};
use crate::sys::Errno;

// --- uapi constants (linux/netfilter/nfnetlink.h, nf_tables.h, netfilter.h) -----------

const NFNL_SUBSYS_NFTABLES: u16 = 10;
const NFNL_MSG_BATCH_BEGIN: u16 = 0x10; // NLMSG_MIN_TYPE
const NFNL_MSG_BATCH_END: u16 = 0x11;
const NFNETLINK_V0: u8 = 0;
/// Echo the change back to the sender (linux/netlink.h): an added rule, with its handle.
const NLM_F_ECHO: u16 = 0x8;

const NFT_MSG_NEWTABLE: u16 = 0;
const NFT_MSG_GETTABLE: u16 = 1;
const NFT_MSG_NEWCHAIN: u16 = 3;
const NFT_MSG_GETCHAIN: u16 = 4;
const NFT_MSG_NEWRULE: u16 = 6;
const NFT_MSG_GETRULE: u16 = 7;
const NFT_MSG_DELRULE: u16 = 8;

const NFPROTO_UNSPEC: u8 = 0;
const NFPROTO_INET: u8 = 1;
const NFPROTO_IPV4: u8 = 2;
const NFPROTO_ARP: u8 = 3;
const NFPROTO_NETDEV: u8 = 5;
const NFPROTO_BRIDGE: u8 = 7;
const NFPROTO_IPV6: u8 = 10;

const NFTA_TABLE_NAME: u16 = 1;

const NFTA_CHAIN_TABLE: u16 = 1;
const NFTA_CHAIN_NAME: u16 = 3;
const NFTA_CHAIN_HOOK: u16 = 4;
const NFTA_CHAIN_POLICY: u16 = 5;
const NFTA_CHAIN_TYPE: u16 = 7;
const NFTA_HOOK_HOOKNUM: u16 = 1;
const NFTA_HOOK_PRIORITY: u16 = 2;

const NFTA_RULE_TABLE: u16 = 1;
const NFTA_RULE_CHAIN: u16 = 2;
const NFTA_RULE_HANDLE: u16 = 3;
const NFTA_RULE_EXPRESSIONS: u16 = 4;
const NFTA_RULE_USERDATA: u16 = 7;

const NFTA_LIST_ELEM: u16 = 1;
const NFTA_EXPR_NAME: u16 = 1;
const NFTA_EXPR_DATA: u16 = 2;
const NFTA_DATA_VALUE: u16 = 1;

const NFTA_IMMEDIATE_DREG: u16 = 1;
const NFTA_IMMEDIATE_DATA: u16 = 2;
const NFTA_CMP_SREG: u16 = 1;
const NFTA_CMP_OP: u16 = 2;
const NFTA_CMP_DATA: u16 = 3;
const NFTA_PAYLOAD_DREG: u16 = 1;
const NFTA_PAYLOAD_BASE: u16 = 2;
const NFTA_PAYLOAD_OFFSET: u16 = 3;
const NFTA_PAYLOAD_LEN: u16 = 4;
const NFTA_META_DREG: u16 = 1;
const NFTA_META_KEY: u16 = 2;
const NFTA_FIB_DREG: u16 = 1;
const NFTA_FIB_RESULT: u16 = 2;
const NFTA_FIB_FLAGS: u16 = 3;
const NFTA_NAT_TYPE: u16 = 1;
const NFTA_NAT_FAMILY: u16 = 2;
const NFTA_NAT_REG_ADDR_MIN: u16 = 3;
const NFTA_NAT_REG_PROTO_MIN: u16 = 5;
const NFTA_NAT_FLAGS: u16 = 7;

const NFT_REG_1: u32 = 1;
const NFT_REG_2: u32 = 2;
const NFT_CMP_EQ: u32 = 0;
const NFT_CMP_NEQ: u32 = 1;
const NFT_PAYLOAD_NETWORK_HEADER: u32 = 1;
const NFT_PAYLOAD_TRANSPORT_HEADER: u32 = 2;
const NFT_META_OIFNAME: u32 = 7;
const NFT_META_L4PROTO: u32 = 16;
const NFT_FIB_RESULT_ADDRTYPE: u32 = 3;
const NFTA_FIB_F_DADDR: u32 = 1 << 1;
const NFT_NAT_DNAT: u32 = 1;
const NF_NAT_RANGE_PROTO_SPECIFIED: u32 = 1 << 1;
const RTN_LOCAL: u32 = 2;

const NF_DROP: u32 = 0;
const NF_ACCEPT: u32 = 1;
const NF_INET_PRE_ROUTING: u32 = 0;
const NF_INET_FORWARD: u32 = 2;
const NF_INET_LOCAL_OUT: u32 = 3;
const NF_INET_POST_ROUTING: u32 = 4;

const IFNAMSIZ: usize = 16;
/// libnftnl's NFTNL_UDATA_RULE_COMMENT: what `nft` shows as `comment "..."`.
const UDATA_RULE_COMMENT: u8 = 0;
/// NFT_USERDATA_MAXLEN: the kernel refuses a rule's userdata longer than this.
const USERDATA_MAX: usize = 256;
/// The longest container name a rule can carry: its comment TLV is 3 bytes more.
pub const TAG_MAX: usize = USERDATA_MAX - 3;

// --- lite's table ---------------------------------------------------------------------

pub const TABLE: &str = "lite";

struct ChainSpec {
    name: &'static str,
    hook: u32,
    priority: i32,
}

const CHAINS: [ChainSpec; 3] = [
    ChainSpec {
        name: "prerouting",
        hook: NF_INET_PRE_ROUTING,
        priority: -100,
    },
    ChainSpec {
        name: "output",
        hook: NF_INET_LOCAL_OUT,
        priority: -100,
    },
    ChainSpec {
        name: "postrouting",
        hook: NF_INET_POST_ROUTING,
        priority: 100,
    },
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    fn number(self) -> u8 {
        match self {
            Proto::Tcp => libc::IPPROTO_TCP as u8,
            Proto::Udp => libc::IPPROTO_UDP as u8,
        }
    }
    fn from_number(n: u8) -> Option<Proto> {
        match n as i32 {
            libc::IPPROTO_TCP => Some(Proto::Tcp),
            libc::IPPROTO_UDP => Some(Proto::Udp),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// One of lite's rules for a container.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// The container's outbound NAT: `ip saddr SOURCE oifname != BRIDGE masquerade`.
    Masquerade { source: Ipv4Addr, bridge: String },
    /// A published port; two kernel rules (prerouting and output).
    Dnat {
        proto: Proto,
        host_ip: Option<Ipv4Addr>,
        host_port: u16,
        address: Ipv4Addr,
        port: u16,
    },
    /// `ip saddr 127.0.0.0/8 ip daddr ADDRESS oifname BRIDGE masquerade`: a connection
    /// from the host's loopback to a published port gets an answerable source.
    LocalnetMasquerade { address: Ipv4Addr, bridge: String },
}

impl Rule {
    fn kind(&self) -> &'static str {
        match self {
            Rule::Masquerade { .. } => "masquerade",
            Rule::Dnat { .. } => "dnat",
            Rule::LocalnetMasquerade { .. } => "localnet-masquerade",
        }
    }

    fn validate(&self) -> Result<(), Errno> {
        match self {
            Rule::Masquerade { bridge, .. } | Rule::LocalnetMasquerade { bridge, .. } => {
                if bridge.is_empty() || bridge.len() >= IFNAMSIZ || bridge.contains('\0') {
                    return Err(Errno(libc::EINVAL));
                }
            }
            Rule::Dnat {
                host_port, port, ..
            } => {
                if *host_port == 0 || *port == 0 {
                    return Err(Errno(libc::EINVAL));
                }
            }
        }
        Ok(())
    }

    /// The kernel rules: (chain, expressions).
    fn kernel_rules(&self) -> Vec<(&'static str, Vec<Expr>)> {
        match self {
            Rule::Masquerade { source, bridge } => vec![(
                "postrouting",
                vec![
                    Expr::payload(NFT_PAYLOAD_NETWORK_HEADER, 12, 4),
                    Expr::cmp(NFT_CMP_EQ, &source.octets()),
                    Expr::Meta {
                        key: NFT_META_OIFNAME,
                    },
                    Expr::cmp(NFT_CMP_NEQ, &ifname_bytes(bridge)),
                    Expr::Masq,
                ],
            )],
            Rule::LocalnetMasquerade { address, bridge } => vec![(
                "postrouting",
                vec![
                    Expr::payload(NFT_PAYLOAD_NETWORK_HEADER, 12, 1),
                    Expr::cmp(NFT_CMP_EQ, &[127]),
                    Expr::payload(NFT_PAYLOAD_NETWORK_HEADER, 16, 4),
                    Expr::cmp(NFT_CMP_EQ, &address.octets()),
                    Expr::Meta {
                        key: NFT_META_OIFNAME,
                    },
                    Expr::cmp(NFT_CMP_EQ, &ifname_bytes(bridge)),
                    Expr::Masq,
                ],
            )],
            Rule::Dnat {
                proto,
                host_ip,
                host_port,
                address,
                port,
            } => {
                let mut e = vec![
                    Expr::Fib {
                        flags: NFTA_FIB_F_DADDR,
                        result: NFT_FIB_RESULT_ADDRTYPE,
                    },
                    // The fib expression stores the address type in host order.
                    Expr::cmp(NFT_CMP_EQ, &RTN_LOCAL.to_ne_bytes()),
                ];
                if let Some(ip) = host_ip {
                    e.push(Expr::payload(NFT_PAYLOAD_NETWORK_HEADER, 16, 4));
                    e.push(Expr::cmp(NFT_CMP_EQ, &ip.octets()));
                }
                e.extend([
                    Expr::Meta {
                        key: NFT_META_L4PROTO,
                    },
                    Expr::cmp(NFT_CMP_EQ, &[proto.number()]),
                    Expr::payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2),
                    Expr::cmp(NFT_CMP_EQ, &host_port.to_be_bytes()),
                    Expr::Immediate {
                        reg: NFT_REG_1,
                        data: address.octets().to_vec(),
                    },
                    Expr::Immediate {
                        reg: NFT_REG_2,
                        data: port.to_be_bytes().to_vec(),
                    },
                    Expr::Nat {
                        kind: NFT_NAT_DNAT,
                        family: NFPROTO_IPV4 as u32,
                        reg_addr: NFT_REG_1,
                        reg_proto: NFT_REG_2,
                        flags: NF_NAT_RANGE_PROTO_SPECIFIED,
                    },
                ]);
                vec![("prerouting", e.clone()), ("output", e)]
            }
        }
    }
}

fn ifname_bytes(name: &str) -> [u8; IFNAMSIZ] {
    let mut b = [0u8; IFNAMSIZ];
    let n = name.len().min(IFNAMSIZ - 1);
    b[..n].copy_from_slice(&name.as_bytes()[..n]);
    b
}

fn ifname_from(b: &[u8]) -> Option<String> {
    if b.len() != IFNAMSIZ {
        return None;
    }
    nla_str(b).map(str::to_string)
}

// --- expressions ----------------------------------------------------------------------

/// The expressions lite uses; loads always go to register 1 (128-bit NFT_REG_1).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Expr {
    Payload {
        base: u32,
        offset: u32,
        len: u32,
    },
    Meta {
        key: u32,
    },
    Fib {
        flags: u32,
        result: u32,
    },
    Cmp {
        op: u32,
        data: Vec<u8>,
    },
    Immediate {
        reg: u32,
        data: Vec<u8>,
    },
    Nat {
        kind: u32,
        family: u32,
        reg_addr: u32,
        reg_proto: u32,
        flags: u32,
    },
    Masq,
    /// Anything else found in a dump (not lite's).
    Other(String),
}

impl Expr {
    fn payload(base: u32, offset: u32, len: u32) -> Expr {
        Expr::Payload { base, offset, len }
    }
    fn cmp(op: u32, data: &[u8]) -> Expr {
        Expr::Cmp {
            op,
            data: data.to_vec(),
        }
    }
    /// The kernel's name of the expression; "?" for one lite does not make.
    fn static_name(&self) -> &'static str {
        match self {
            Expr::Payload { .. } => "payload",
            Expr::Meta { .. } => "meta",
            Expr::Fib { .. } => "fib",
            Expr::Cmp { .. } => "cmp",
            Expr::Immediate { .. } => "immediate",
            Expr::Nat { .. } => "nat",
            Expr::Masq => "masq",
            Expr::Other(_) => "?",
        }
    }
    fn name(&self) -> &str {
        match self {
            Expr::Other(n) => n,
            e => e.static_name(),
        }
    }

    /// Appends this expression as one NFTA_LIST_ELEM of an open NFTA_RULE_EXPRESSIONS.
    fn encode(&self, m: &mut NlMsg) {
        let elem = m.nest_start(NFTA_LIST_ELEM);
        m.attr_str(NFTA_EXPR_NAME, self.name());
        let data = m.nest_start(NFTA_EXPR_DATA);
        match self {
            Expr::Payload { base, offset, len } => {
                m.attr_u32_be(NFTA_PAYLOAD_DREG, NFT_REG_1);
                m.attr_u32_be(NFTA_PAYLOAD_BASE, *base);
                m.attr_u32_be(NFTA_PAYLOAD_OFFSET, *offset);
                m.attr_u32_be(NFTA_PAYLOAD_LEN, *len);
            }
            Expr::Meta { key } => {
                m.attr_u32_be(NFTA_META_DREG, NFT_REG_1);
                m.attr_u32_be(NFTA_META_KEY, *key);
            }
            Expr::Fib { flags, result } => {
                m.attr_u32_be(NFTA_FIB_DREG, NFT_REG_1);
                m.attr_u32_be(NFTA_FIB_RESULT, *result);
                m.attr_u32_be(NFTA_FIB_FLAGS, *flags);
            }
            Expr::Cmp { op, data } => {
                m.attr_u32_be(NFTA_CMP_SREG, NFT_REG_1);
                m.attr_u32_be(NFTA_CMP_OP, *op);
                let d = m.nest_start(NFTA_CMP_DATA);
                m.attr(NFTA_DATA_VALUE, data);
                m.nest_end(d);
            }
            Expr::Immediate { reg, data } => {
                m.attr_u32_be(NFTA_IMMEDIATE_DREG, *reg);
                let d = m.nest_start(NFTA_IMMEDIATE_DATA);
                m.attr(NFTA_DATA_VALUE, data);
                m.nest_end(d);
            }
            Expr::Nat {
                kind,
                family,
                reg_addr,
                reg_proto,
                flags,
            } => {
                m.attr_u32_be(NFTA_NAT_TYPE, *kind);
                m.attr_u32_be(NFTA_NAT_FAMILY, *family);
                m.attr_u32_be(NFTA_NAT_REG_ADDR_MIN, *reg_addr);
                m.attr_u32_be(NFTA_NAT_REG_PROTO_MIN, *reg_proto);
                m.attr_u32_be(NFTA_NAT_FLAGS, *flags);
            }
            Expr::Masq | Expr::Other(_) => {}
        }
        m.nest_end(data);
        m.nest_end(elem);
    }

    /// One NFTA_LIST_ELEM payload from a dump.
    fn decode(elem: &[u8]) -> Expr {
        let mut name = "";
        let mut data: &[u8] = &[];
        for (ty, p) in attrs(elem) {
            match ty {
                NFTA_EXPR_NAME => name = nla_str(p).unwrap_or(""),
                NFTA_EXPR_DATA => data = p,
                _ => {}
            }
        }
        let get = |want: u16| attrs(data).find(|(t, _)| *t == want).map(|(_, p)| p);
        let be32 = |want: u16| get(want).and_then(be32);
        let value = |want: u16| {
            get(want).and_then(|p| {
                attrs(p)
                    .find(|(t, _)| *t == NFTA_DATA_VALUE)
                    .map(|(_, v)| v.to_vec())
            })
        };
        let other = || Expr::Other(name.to_string());
        match name {
            "payload" => match (
                be32(NFTA_PAYLOAD_DREG),
                be32(NFTA_PAYLOAD_BASE),
                be32(NFTA_PAYLOAD_OFFSET),
                be32(NFTA_PAYLOAD_LEN),
            ) {
                (Some(NFT_REG_1), Some(base), Some(offset), Some(len)) => {
                    Expr::Payload { base, offset, len }
                }
                _ => other(),
            },
            "meta" => match (be32(NFTA_META_DREG), be32(NFTA_META_KEY)) {
                (Some(NFT_REG_1), Some(key)) => Expr::Meta { key },
                _ => other(),
            },
            "fib" => match (
                be32(NFTA_FIB_DREG),
                be32(NFTA_FIB_RESULT),
                be32(NFTA_FIB_FLAGS),
            ) {
                (Some(NFT_REG_1), Some(result), Some(flags)) => Expr::Fib { flags, result },
                _ => other(),
            },
            "cmp" => match (be32(NFTA_CMP_SREG), be32(NFTA_CMP_OP), value(NFTA_CMP_DATA)) {
                (Some(NFT_REG_1), Some(op), Some(data)) => Expr::Cmp { op, data },
                _ => other(),
            },
            "immediate" => match (be32(NFTA_IMMEDIATE_DREG), value(NFTA_IMMEDIATE_DATA)) {
                (Some(reg), Some(data)) => Expr::Immediate { reg, data },
                _ => other(),
            },
            "nat" => match (
                be32(NFTA_NAT_TYPE),
                be32(NFTA_NAT_FAMILY),
                be32(NFTA_NAT_REG_ADDR_MIN),
                be32(NFTA_NAT_REG_PROTO_MIN),
            ) {
                (Some(kind), Some(family), Some(reg_addr), Some(reg_proto)) => Expr::Nat {
                    kind,
                    family,
                    reg_addr,
                    reg_proto,
                    flags: be32(NFTA_NAT_FLAGS).unwrap_or(0),
                },
                _ => other(),
            },
            "masq" if data.is_empty() => Expr::Masq,
            _ => other(),
        }
    }
}

fn be32(p: &[u8]) -> Option<u32> {
    p.get(0..4)
        .map(|b| u32::from_be_bytes(b.try_into().unwrap()))
}

fn be64(p: &[u8]) -> Option<u64> {
    p.get(0..8)
        .map(|b| u64::from_be_bytes(b.try_into().unwrap()))
}

fn ipv4(b: &[u8]) -> Option<Ipv4Addr> {
    <[u8; 4]>::try_from(b).ok().map(Ipv4Addr::from)
}

fn port(b: &[u8]) -> Option<u16> {
    <[u8; 2]>::try_from(b).ok().map(u16::from_be_bytes)
}

/// The inverse of `Rule::kernel_rules` for one kernel rule; None for anything else.
fn rule_from_exprs(chain: &str, e: &[Expr]) -> Option<Rule> {
    use Expr::*;
    let net = NFT_PAYLOAD_NETWORK_HEADER;
    match (chain, e) {
        (
            "postrouting",
            [Payload {
                base,
                offset: 12,
                len: 4,
            }, Cmp {
                op: NFT_CMP_EQ,
                data: src,
            }, Meta {
                key: NFT_META_OIFNAME,
            }, Cmp {
                op: NFT_CMP_NEQ,
                data: ifn,
            }, Masq],
        ) if *base == net => Some(Rule::Masquerade {
            source: ipv4(src)?,
            bridge: ifname_from(ifn)?,
        }),
        (
            "postrouting",
            [Payload {
                base: b1,
                offset: 12,
                len: 1,
            }, Cmp {
                op: NFT_CMP_EQ,
                data: lo,
            }, Payload {
                base: b2,
                offset: 16,
                len: 4,
            }, Cmp {
                op: NFT_CMP_EQ,
                data: dst,
            }, Meta {
                key: NFT_META_OIFNAME,
            }, Cmp {
                op: NFT_CMP_EQ,
                data: ifn,
            }, Masq],
        ) if *b1 == net && *b2 == net && lo[..] == [127] => Some(Rule::LocalnetMasquerade {
            address: ipv4(dst)?,
            bridge: ifname_from(ifn)?,
        }),
        (
            "prerouting" | "output",
            [Fib {
                flags: NFTA_FIB_F_DADDR,
                result: NFT_FIB_RESULT_ADDRTYPE,
            }, Cmp {
                op: NFT_CMP_EQ,
                data: local,
            }, rest @ ..],
        ) if local[..] == RTN_LOCAL.to_ne_bytes() => {
            let (host_ip, rest) = match rest {
                [Payload {
                    base,
                    offset: 16,
                    len: 4,
                }, Cmp {
                    op: NFT_CMP_EQ,
                    data: ip,
                }, rest @ ..]
                    if *base == net =>
                {
                    (Some(ipv4(ip)?), rest)
                }
                _ => (None, rest),
            };
            match rest {
                [Meta {
                    key: NFT_META_L4PROTO,
                }, Cmp {
                    op: NFT_CMP_EQ,
                    data: p,
                }, Payload {
                    base,
                    offset: 2,
                    len: 2,
                }, Cmp {
                    op: NFT_CMP_EQ,
                    data: hp,
                }, Immediate {
                    reg: NFT_REG_1,
                    data: a,
                }, Immediate {
                    reg: NFT_REG_2,
                    data: cp,
                }, Nat {
                    kind: NFT_NAT_DNAT,
                    reg_addr: NFT_REG_1,
                    reg_proto: NFT_REG_2,
                    ..
                }] if *base == NFT_PAYLOAD_TRANSPORT_HEADER && p.len() == 1 => Some(Rule::Dnat {
                    proto: Proto::from_number(p[0])?,
                    host_ip,
                    host_port: port(hp)?,
                    address: ipv4(a)?,
                    port: port(cp)?,
                }),
                _ => None,
            }
        }
        _ => None,
    }
}

// --- loosely typed input --------------------------------------------------------------

/// One of lite's rules for a container, as the planner sends it.
// Loosely typed (the JS object, camelCase names in the messages): `parse` checks it and
// names the bad field. To JS it is `NftRule`.
#[cfg_attr(feature = "napi-addon", napi_derive::napi(object, js_name = "NftRule"))]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleFields {
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

impl From<&Rule> for RuleFields {
    /// The inverse of `parse`: what the planner would have sent for `rule`.
    fn from(rule: &Rule) -> RuleFields {
        let kind = rule.kind().to_string();
        match rule {
            Rule::Masquerade { source, bridge } => RuleFields {
                kind,
                source: Some(source.to_string()),
                bridge: Some(bridge.clone()),
                ..Default::default()
            },
            Rule::LocalnetMasquerade { address, bridge } => RuleFields {
                kind,
                address: Some(address.to_string()),
                bridge: Some(bridge.clone()),
                ..Default::default()
            },
            Rule::Dnat {
                proto,
                host_ip,
                host_port,
                address,
                port,
            } => RuleFields {
                kind,
                proto: Some(proto.name().into()),
                host_ip: host_ip.map(|ip| ip.to_string()),
                host_port: Some((*host_port).into()),
                address: Some(address.to_string()),
                port: Some((*port).into()),
                ..Default::default()
            },
        }
    }
}

impl RuleFields {
    pub fn parse(&self) -> Result<Rule, String> {
        let kind = self.kind.as_str();
        let missing = |name: &str| format!("{kind}: `{name}` is missing");
        let addr = |name: &str, v: &Option<String>| -> Result<Ipv4Addr, String> {
            let s = v.as_ref().ok_or_else(|| missing(name))?;
            s.parse()
                .map_err(|_| format!("{kind}: `{name}` is not an IPv4 address: {s:?}"))
        };
        let port = |name: &str, v: Option<u32>| -> Result<u16, String> {
            let p = v.ok_or_else(|| missing(name))?;
            match u16::try_from(p) {
                Ok(p) if p != 0 => Ok(p),
                _ => Err(format!("{kind}: `{name}` is not a port: {p}")),
            }
        };
        let bridge = || -> Result<String, String> {
            let b = self.bridge.as_ref().ok_or_else(|| missing("bridge"))?;
            if b.is_empty() || b.len() >= IFNAMSIZ || b.contains(['\0', '/']) {
                return Err(format!("{kind}: `bridge` is not an interface name: {b:?}"));
            }
            Ok(b.clone())
        };
        match kind {
            "masquerade" => Ok(Rule::Masquerade {
                source: addr("source", &self.source)?,
                bridge: bridge()?,
            }),
            "localnet-masquerade" => Ok(Rule::LocalnetMasquerade {
                address: addr("address", &self.address)?,
                bridge: bridge()?,
            }),
            "dnat" => Ok(Rule::Dnat {
                proto: match self.proto.as_deref() {
                    Some("tcp") => Proto::Tcp,
                    Some("udp") => Proto::Udp,
                    Some(p) => return Err(format!("dnat: `proto` is not tcp or udp: {p:?}")),
                    None => return Err(missing("proto")),
                },
                host_ip: match self.host_ip {
                    Some(_) => Some(addr("hostIp", &self.host_ip)?),
                    None => None,
                },
                host_port: port("hostPort", self.host_port)?,
                address: addr("address", &self.address)?,
                port: port("port", self.port)?,
            }),
            k => Err(format!(
                "`kind` is not masquerade, dnat or localnet-masquerade: {k:?}"
            )),
        }
    }
}

// --- userdata tag ---------------------------------------------------------------------

/// NFTA_RULE_USERDATA for `name`: one comment TLV (type, length, text and NUL).
pub fn tag(name: &str) -> Result<Vec<u8>, Errno> {
    // The TLV's length is a byte and counts the NUL; the whole userdata (type, length,
    // text, NUL) must fit the kernel's NFT_USERDATA_MAXLEN.
    if name.is_empty() || name.len() > TAG_MAX || name.contains('\0') {
        return Err(Errno(libc::EINVAL));
    }
    let mut v = Vec::with_capacity(name.len() + 3);
    v.push(UDATA_RULE_COMMENT);
    v.push((name.len() + 1) as u8);
    v.extend_from_slice(name.as_bytes());
    v.push(0);
    Ok(v)
}

/// The name in a rule's userdata: the text of its comment TLV, if any.
pub fn untag(udata: &[u8]) -> Option<&str> {
    let mut rest = udata;
    while rest.len() >= 2 {
        let (ty, len) = (rest[0], rest[1] as usize);
        let value = rest.get(2..2 + len)?;
        if ty == UDATA_RULE_COMMENT {
            let (last, text) = value.split_last()?;
            return if *last == 0 {
                std::str::from_utf8(text).ok()
            } else {
                None
            };
        }
        rest = &rest[2 + len..];
    }
    None
}

// --- messages -------------------------------------------------------------------------

fn nft_type(msg: u16) -> u16 {
    (NFNL_SUBSYS_NFTABLES << 8) | msg
}

/// nfgenmsg: family, version, res_id (big-endian).
fn nfgenmsg(family: u8, res_id: u16) -> [u8; 4] {
    let r = res_id.to_be_bytes();
    [family, NFNETLINK_V0, r[0], r[1]]
}

fn nft_msg(msg: u16, flags: u16, family: u8) -> NlMsg {
    let mut m = NlMsg::new(nft_type(msg), flags);
    m.push_header(&nfgenmsg(family, 0));
    m
}

/// NEWTABLE (created when missing) of the ip family.
fn table_msg(name: &str) -> NlMsg {
    let mut m = nft_msg(NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_ACK, NFPROTO_IPV4);
    m.attr_str(NFTA_TABLE_NAME, name);
    m
}

fn new_table() -> NlMsg {
    table_msg(TABLE)
}

/// A chain's attributes: table, name, the hook (number, priority) of a base chain,
/// its policy and type.
fn chain_attrs(
    m: &mut NlMsg,
    table: &str,
    name: &str,
    hook: Option<(u32, i32)>,
    policy: Option<u32>,
    ty: &str,
) {
    m.attr_str(NFTA_CHAIN_TABLE, table);
    m.attr_str(NFTA_CHAIN_NAME, name);
    if let Some((num, priority)) = hook {
        let h = m.nest_start(NFTA_CHAIN_HOOK);
        m.attr_u32_be(NFTA_HOOK_HOOKNUM, num);
        m.attr_u32_be(NFTA_HOOK_PRIORITY, priority as u32);
        m.nest_end(h);
    }
    if let Some(p) = policy {
        m.attr_u32_be(NFTA_CHAIN_POLICY, p);
    }
    m.attr_str(NFTA_CHAIN_TYPE, ty);
}

/// NEWCHAIN (created when missing) of an ip-family base chain.
fn chain_msg(table: &str, name: &str, hook: (u32, i32), policy: Option<u32>, ty: &str) -> NlMsg {
    let mut m = nft_msg(NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_ACK, NFPROTO_IPV4);
    chain_attrs(&mut m, table, name, Some(hook), policy, ty);
    m
}

fn new_chain(c: &ChainSpec) -> NlMsg {
    chain_msg(TABLE, c.name, (c.hook, c.priority), Some(NF_ACCEPT), "nat")
}

/// Where each expression lies in the message (from its start), to tell which one an
/// extended ack's NLMSGERR_ATTR_OFFS points into.
type Spans = Vec<(usize, usize, &'static str)>;

fn new_rule_spans(chain: &str, exprs: &[Expr], udata: &[u8]) -> (NlMsg, Spans) {
    let mut spans = Vec::new();
    // ECHO: the kernel sends the rule back as added, with its handle (`release_batch`).
    let mut m = nft_msg(
        NFT_MSG_NEWRULE,
        NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK | NLM_F_ECHO,
        NFPROTO_IPV4,
    );
    m.attr_str(NFTA_RULE_TABLE, TABLE);
    m.attr_str(NFTA_RULE_CHAIN, chain);
    let list = m.nest_start(NFTA_RULE_EXPRESSIONS);
    for e in exprs {
        let start = m.bytes().len();
        e.encode(&mut m);
        spans.push((start, m.bytes().len(), e.static_name()));
    }
    m.nest_end(list);
    m.attr(NFTA_RULE_USERDATA, udata);
    (m, spans)
}

fn del_rule(chain: &str, handle: u64) -> NlMsg {
    let mut m = nft_msg(NFT_MSG_DELRULE, NLM_F_ACK, NFPROTO_IPV4);
    m.attr_str(NFTA_RULE_TABLE, TABLE);
    m.attr_str(NFTA_RULE_CHAIN, chain);
    m.attr_u64_be(NFTA_RULE_HANDLE, handle);
    m
}

/// What a message of a batch does, for error reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Batch,
    Table,
    Chain(&'static str),
    Rule(&'static str),
    DeleteRule,
}

/// A batch being built: BEGIN, the messages, END; seqs are `seq0`, `seq0 + 1`, ...
struct Batch {
    buf: Vec<u8>,
    steps: Vec<Step>,
    /// Per message: its expressions' spans (rules only).
    spans: Vec<Spans>,
    seq0: u32,
}

impl Batch {
    fn new(seq0: u32) -> Batch {
        let mut b = Batch {
            buf: Vec::new(),
            steps: Vec::new(),
            spans: Vec::new(),
            seq0,
        };
        let mut begin = NlMsg::new(NFNL_MSG_BATCH_BEGIN, 0);
        begin.push_header(&nfgenmsg(NFPROTO_UNSPEC, NFNL_SUBSYS_NFTABLES));
        b.push(begin, Step::Batch);
        b
    }
    fn push(&mut self, m: NlMsg, step: Step) {
        self.push_spans(m, step, Vec::new());
    }
    fn push_spans(&mut self, mut m: NlMsg, step: Step, spans: Spans) {
        m.set_seq(self.seq0.wrapping_add(self.steps.len() as u32));
        self.buf.extend_from_slice(m.bytes());
        self.steps.push(step);
        self.spans.push(spans);
    }
    /// The expression of message `seq` that contains byte `offset` of it.
    fn expr_at(&self, seq: u32, offset: usize) -> Option<&'static str> {
        let spans = self.spans.get(seq.wrapping_sub(self.seq0) as usize)?;
        spans
            .iter()
            .find(|(from, to, _)| (*from..*to).contains(&offset))
            .map(|s| s.2)
    }
    fn finish(mut self) -> Batch {
        let mut end = NlMsg::new(NFNL_MSG_BATCH_END, 0);
        end.push_header(&nfgenmsg(NFPROTO_UNSPEC, NFNL_SUBSYS_NFTABLES));
        self.push(end, Step::Batch);
        self
    }
    /// Seqs of the messages that ask for an ack (all but BEGIN and END).
    fn acked(&self) -> impl Iterator<Item = (u32, Step)> + '_ {
        let n = self.steps.len();
        self.steps
            .iter()
            .enumerate()
            .filter(move |(i, _)| *i != 0 && *i != n - 1)
            .map(|(i, s)| (self.seq0.wrapping_add(i as u32), *s))
    }
    #[cfg(test)]
    fn step_of(&self, seq: u32) -> Option<Step> {
        self.steps
            .get(seq.wrapping_sub(self.seq0) as usize)
            .copied()
    }
}

fn add_batch(name: &str, rules: &[Rule], seq0: u32) -> Result<Batch, Errno> {
    let udata = tag(name)?;
    for r in rules {
        r.validate()?;
    }
    let mut b = Batch::new(seq0);
    b.push(new_table(), Step::Table);
    for c in &CHAINS {
        b.push(new_chain(c), Step::Chain(c.name));
    }
    for r in rules {
        for (chain, exprs) in r.kernel_rules() {
            let (m, spans) = new_rule_spans(chain, &exprs, &udata);
            b.push_spans(m, Step::Rule(r.kind()), spans);
        }
    }
    Ok(b.finish())
}

fn delete_batch(rules: &[DumpedRule], seq0: u32) -> Batch {
    delete_batch_of(rules.iter().map(|r| (r.chain.as_str(), r.handle)), seq0)
}

fn delete_batch_of<'a>(rules: impl IntoIterator<Item = (&'a str, u64)>, seq0: u32) -> Batch {
    let mut b = Batch::new(seq0);
    for (chain, handle) in rules {
        b.push(del_rule(chain, handle), Step::DeleteRule);
    }
    b.finish()
}

/// The first seq of a release batch: fixed, as the monitor sends it on a socket of its own.
pub const RELEASE_SEQ0: u32 = 1;

/// One kernel rule of table ip lite: its chain and handle.
pub type RuleHandle = (String, u64);

/// The ready-made netlink messages that delete exactly `rules` (the monitor sends them
/// when the container ends, with no dump): BATCH_BEGIN, one DELRULE (table lite, chain,
/// handle) per rule, BATCH_END, then the fence, a NLMSG_NOOP with NLM_F_ACK. Seqs run
/// from RELEASE_SEQ0; the fence has the last. The batch and the fence go to the kernel
/// in two sends (nfnetlink drops what follows BATCH_END in the same datagram). The
/// batch is atomic: if one rule is already gone, it fails with ENOENT and deletes
/// nothing, and the caller falls back to the delete by tag.
pub fn release_batch(rules: &[RuleHandle]) -> Vec<u8> {
    let b = delete_batch_of(rules.iter().map(|(c, h)| (c.as_str(), *h)), RELEASE_SEQ0);
    let mut fence = NlMsg::new(NLMSG_NOOP, NLM_F_ACK);
    fence.set_seq(RELEASE_SEQ0.wrapping_add(b.steps.len() as u32));
    let mut buf = b.buf;
    buf.extend_from_slice(fence.bytes());
    buf
}

/// A failed nf_tables operation: errno, the batch step it failed at, and the kernel
/// option its absence points to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NftError {
    pub errno: Errno,
    pub step: Step,
    /// The expression the kernel pointed at (extended ack), for rules.
    pub expr: Option<&'static str>,
    pub missing: Option<&'static str>,
}

impl fmt::Display for NftError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.step {
            Step::Batch => write!(f, "nf_tables batch")?,
            Step::Table => write!(f, "nf_tables: creating table ip {TABLE}")?,
            Step::Chain(c) => write!(f, "nf_tables: creating chain ip {TABLE} {c}")?,
            Step::Rule(k) => match self.expr {
                Some(e) => write!(f, "nf_tables: adding a {k} rule (its {e} expression)")?,
                None => write!(f, "nf_tables: adding a {k} rule")?,
            },
            Step::DeleteRule => write!(f, "nf_tables: deleting a rule")?,
        }
        let text = std::io::Error::from_raw_os_error(self.errno.0).to_string();
        let text = text.split(" (os error").next().unwrap_or("");
        write!(f, ": {text} (errno {})", self.errno.0)?;
        // A chain of that name that is not what lite makes (another type, hook or
        // priority) is refused with EEXIST, EBUSY or EOPNOTSUPP.
        let clash = matches!(self.step, Step::Chain(_))
            && matches!(self.errno.0, libc::EEXIST | libc::EBUSY | libc::EOPNOTSUPP);
        match (clash, self.missing) {
            (true, Some(opt)) => write!(
                f,
                "; the chain exists with another type or hook, or the kernel lacks {opt}"
            ),
            (true, None) => write!(f, "; the chain exists with another type or hook"),
            (false, Some(opt)) => write!(f, "; the kernel lacks {opt}"),
            (false, None) => Ok(()),
        }
    }
}

impl std::error::Error for NftError {}

/// The kernel option whose absence an errno of an nf_tables request points to.
/// ENOENT: a chain type or expression module was not found (after the kernel's own
/// request_module); EOPNOTSUPP: the nf_tables subsystem (batch) or family is missing;
/// EPROTONOSUPPORT: no NETLINK_NETFILTER at all.
pub fn missing_option_for(errno: Errno) -> Option<&'static str> {
    match errno.0 {
        libc::EPROTONOSUPPORT => Some("CONFIG_NF_TABLES (no NETLINK_NETFILTER: CONFIG_NETFILTER_NETLINK)"),
        libc::EOPNOTSUPP => Some("CONFIG_NF_TABLES or CONFIG_NF_TABLES_IPV4"),
        libc::ENOENT => Some(
            "CONFIG_NFT_NAT (nft_chain_nat, nft_nat), CONFIG_NFT_MASQ (nft_masq) or CONFIG_NFT_FIB_IPV4 (nft_fib_ipv4)",
        ),
        _ => None,
    }
}

/// As `missing_option_for`, narrowed by the step that failed.
fn missing_option_at(errno: Errno, step: Step, expr: Option<&str>) -> Option<&'static str> {
    match (errno.0, step, expr) {
        (libc::ENOENT, Step::Rule(_), Some("masq")) => {
            return Some("CONFIG_NFT_MASQ (the masq expression, nft_masq)")
        }
        (libc::ENOENT, Step::Rule(_), Some("fib")) => {
            return Some("CONFIG_NFT_FIB_IPV4 (the fib expression, nft_fib_ipv4)")
        }
        (libc::ENOENT, Step::Rule(_), Some("nat")) => {
            return Some("CONFIG_NFT_NAT (the nat expression, nft_nat)")
        }
        _ => {}
    }
    match (errno.0, step) {
        (libc::EOPNOTSUPP, Step::Batch) => Some("CONFIG_NF_TABLES"),
        (libc::EOPNOTSUPP, Step::Table | Step::Chain(_)) => Some("CONFIG_NF_TABLES_IPV4"),
        (libc::ENOENT, Step::Chain(_)) => Some("CONFIG_NFT_NAT (the nat chain type, nft_chain_nat)"),
        (libc::ENOENT, Step::Rule("masquerade" | "localnet-masquerade")) => {
            Some("CONFIG_NFT_MASQ (the masq expression, nft_masq)")
        }
        (libc::ENOENT, Step::Rule("dnat")) => Some(
            "CONFIG_NFT_FIB_IPV4 (the fib expression, nft_fib_ipv4) or CONFIG_NFT_NAT (the nat expression, nft_nat)",
        ),
        (_, Step::DeleteRule) => None,
        _ => missing_option_for(errno),
    }
}

fn open() -> Result<Socket, NftError> {
    Socket::open(libc::NETLINK_NETFILTER).map_err(|errno| NftError {
        errno,
        step: Step::Batch,
        expr: None,
        missing: if errno.0 == libc::EPROTONOSUPPORT {
            missing_option_for(errno)
        } else {
            None
        },
    })
}

/// Sends a batch and reads every ack; the first error (in batch order) wins.
fn run_batch(sock: &Socket, batch: &Batch) -> Result<(), NftError> {
    run_batch_seeing(sock, batch, |_| {})
}

/// As `run_batch`; `seen` gets every other message answering the batch (the echoes).
fn run_batch_seeing(
    sock: &Socket,
    batch: &Batch,
    mut seen: impl FnMut(&Msg),
) -> Result<(), NftError> {
    let fail = |errno: Errno, step: Step, expr: Option<&'static str>| NftError {
        errno,
        step,
        expr,
        missing: missing_option_at(errno, step, expr),
    };
    sock.send(&batch.buf)
        .map_err(|e| fail(e, Step::Batch, None))?;
    // The fence: processed after the batch, so its ack comes after all of the batch's.
    let fence_seq = batch.seq0.wrapping_add(batch.steps.len() as u32);
    // The batch took seqs seq0..=fence_seq: the socket's next request must not reuse
    // one, or an answer to this batch could pass for that request's.
    sock.seqs_used_through(fence_seq);
    let mut fence = NlMsg::new(NLMSG_NOOP, NLM_F_ACK);
    fence.set_seq(fence_seq);
    sock.send(fence.bytes())
        .map_err(|e| fail(e, Step::Batch, None))?;

    let mut acked = vec![false; batch.steps.len()];
    // (index in the batch, errno, the bad attribute's offset)
    let mut first_err: Option<(usize, Errno, Option<usize>)> = None;
    let mut buf = vec![0u8; 64 * 1024];
    let mut fenced = false;
    // Bounded: each receive by the socket's timeout, the whole by a datagram count.
    'outer: for _ in 0..MAX_DATAGRAMS {
        let n = sock
            .recv(&mut buf)
            .map_err(|e| fail(e, Step::Batch, None))?;
        for m in messages(&buf[..n]) {
            if m.ty != NLMSG_ERROR {
                if m.seq.wrapping_sub(batch.seq0) < batch.steps.len() as u32 {
                    seen(&m);
                }
                continue;
            }
            if m.seq == fence_seq {
                fenced = true;
                break 'outer;
            }
            let idx = m.seq.wrapping_sub(batch.seq0) as usize;
            if idx >= acked.len() {
                continue; // not ours
            }
            acked[idx] = true;
            if let Err(errno) = ack_result(&m) {
                if first_err.is_none_or(|(i, _, _)| idx < i) {
                    first_err = Some((idx, errno, bad_attr_offset(&m)));
                }
            }
        }
    }
    if !fenced {
        return Err(fail(Errno(libc::EMSGSIZE), Step::Batch, None));
    }
    if let Some((idx, errno, offset)) = first_err {
        let seq = batch.seq0.wrapping_add(idx as u32);
        let expr = offset.and_then(|o| batch.expr_at(seq, o));
        return Err(fail(errno, batch.steps[idx], expr));
    }
    // Without errors the kernel acks every message that asked; a missing ack means the
    // batch was not processed as sent.
    if let Some((_, step)) = batch
        .acked()
        .find(|(s, _)| !acked[s.wrapping_sub(batch.seq0) as usize])
    {
        return Err(fail(Errno(libc::EPROTO), step, None));
    }
    Ok(())
}

const NLM_F_CAPPED: u16 = 0x100;
const NLM_F_ACK_TLVS: u16 = 0x200;
const NLMSGERR_ATTR_OFFS: u16 = 2;

/// The extended ack's offset of the offending attribute in the request (NETLINK_EXT_ACK,
/// which the socket turns on): after the error code and the echoed request (its header
/// alone when capped) come TLVs.
fn bad_attr_offset(m: &Msg) -> Option<usize> {
    if m.flags & NLM_F_ACK_TLVS == 0 {
        return None;
    }
    let echoed = m
        .payload
        .get(4..8)
        .map(|b| u32::from_ne_bytes(b.try_into().unwrap()))? as usize;
    let skip = 4 + if m.flags & NLM_F_CAPPED != 0 {
        16
    } else {
        align4(echoed)
    };
    let tlvs = m.payload.get(skip..)?;
    attrs(tlvs)
        .find(|(t, _)| *t == NLMSGERR_ATTR_OFFS)
        .and_then(|(_, p)| p.get(0..4))
        .map(|b| u32::from_ne_bytes(b.try_into().unwrap()) as usize)
}

// --- dumps ----------------------------------------------------------------------------

/// One rule of table lite as dumped.
#[derive(Clone, Debug, PartialEq, Eq)]
struct DumpedRule {
    chain: String,
    handle: u64,
    name: Option<String>,
    exprs: Vec<Expr>,
}

/// The family (from the nfgenmsg) and the attributes of a dumped message of type `msg`.
fn dumped<'a>(m: &Msg<'a>, msg: u16) -> Option<(u8, &'a [u8])> {
    if m.ty != nft_type(msg) {
        return None;
    }
    let (genmsg, rest) = m.payload.split_at_checked(4)?;
    Some((genmsg[0], rest))
}

fn parse_rule(m: &Msg) -> Option<DumpedRule> {
    let (family, attributes) = dumped(m, NFT_MSG_NEWRULE)?;
    let (mut table, mut chain, mut handle, mut name, mut exprs) =
        (None, None, None, None, Vec::new());
    for (ty, p) in attrs(attributes) {
        match ty {
            NFTA_RULE_TABLE => table = nla_str(p),
            NFTA_RULE_CHAIN => chain = nla_str(p),
            NFTA_RULE_HANDLE => handle = be64(p),
            NFTA_RULE_USERDATA => name = untag(p).map(str::to_string),
            NFTA_RULE_EXPRESSIONS => {
                exprs = attrs(p)
                    .filter(|(t, _)| *t == NFTA_LIST_ELEM)
                    .map(|(_, e)| Expr::decode(e))
                    .collect()
            }
            _ => {}
        }
    }
    if table != Some(TABLE) || family != NFPROTO_IPV4 {
        return None;
    }
    Some(DumpedRule {
        chain: chain?.to_string(),
        handle: handle?,
        name,
        exprs,
    })
}

fn dump_rules(sock: &Socket) -> Result<Vec<DumpedRule>, Errno> {
    let mut req = nft_msg(NFT_MSG_GETRULE, 0, NFPROTO_IPV4);
    req.attr_str(NFTA_RULE_TABLE, TABLE);
    let mut out = Vec::new();
    match sock.dump(req, |m| out.extend(parse_rule(m))) {
        Ok(()) => Ok(out),
        Err(Errno(libc::ENOENT)) => Ok(Vec::new()), // no table lite
        Err(e) => Err(e),
    }
}

/// One chain of any table as dumped.
#[derive(Clone, Debug, PartialEq, Eq)]
struct DumpedChain {
    family: u8,
    table: String,
    name: String,
    hook: Option<u32>,
    policy: Option<u32>,
}

fn parse_chain(m: &Msg) -> Option<DumpedChain> {
    let (family, attributes) = dumped(m, NFT_MSG_NEWCHAIN)?;
    let (mut table, mut name, mut hook, mut policy) = (None, None, None, None);
    for (ty, p) in attrs(attributes) {
        match ty {
            NFTA_CHAIN_TABLE => table = nla_str(p),
            NFTA_CHAIN_NAME => name = nla_str(p),
            NFTA_CHAIN_HOOK => {
                hook = attrs(p)
                    .find(|(t, _)| *t == NFTA_HOOK_HOOKNUM)
                    .and_then(|(_, v)| be32(v))
            }
            NFTA_CHAIN_POLICY => policy = be32(p),
            _ => {}
        }
    }
    Some(DumpedChain {
        family,
        table: table?.to_string(),
        name: name?.to_string(),
        hook,
        policy,
    })
}

fn family_name(f: u8) -> &'static str {
    match f {
        NFPROTO_INET => "inet",
        NFPROTO_IPV4 => "ip",
        NFPROTO_ARP => "arp",
        NFPROTO_NETDEV => "netdev",
        NFPROTO_BRIDGE => "bridge",
        NFPROTO_IPV6 => "ip6",
        _ => "unknown",
    }
}

/// A base chain that drops forwarded IPv4 traffic by policy (ip, inet or bridge family;
/// their forward hooks are all number 2), other than lite's own.
fn is_foreign_forward_drop(c: &DumpedChain) -> bool {
    matches!(c.family, NFPROTO_IPV4 | NFPROTO_INET | NFPROTO_BRIDGE)
        && c.hook == Some(NF_INET_FORWARD)
        && c.policy == Some(NF_DROP)
        && !(c.family == NFPROTO_IPV4 && c.table == TABLE)
}

// --- the API --------------------------------------------------------------------------

/// Adds `rules` for container `name` in one atomic batch, creating table ip lite and
/// its chains when missing; returns the added kernel rules (chain, handle), for
/// `release_batch`. The error names the missing kernel option where it can.
pub fn add_container_rules_detailed(
    name: &str,
    rules: &[Rule],
) -> Result<Vec<RuleHandle>, NftError> {
    let plain = |errno| NftError {
        errno,
        step: Step::Batch,
        expr: None,
        missing: None,
    };
    let sock = open()?;
    let batch = add_batch(name, rules, sock.next_seq()).map_err(plain)?;
    let mut added: Vec<RuleHandle> = Vec::new();
    run_batch_seeing(&sock, &batch, |m| {
        if let Some(r) = parse_rule(m).filter(|r| r.name.as_deref() == Some(name)) {
            if !added.iter().any(|(_, h)| *h == r.handle) {
                added.push((r.chain, r.handle));
            }
        }
    })?;
    let want = batch
        .steps
        .iter()
        .filter(|s| matches!(s, Step::Rule(_)))
        .count();
    if added.len() != want {
        // No echo (or not all of it): read the container's rules back.
        added = dump_rules(&sock)
            .map_err(plain)?
            .into_iter()
            .filter(|r| r.name.as_deref() == Some(name))
            .map(|r| (r.chain, r.handle))
            .collect();
    }
    park(sock);
    Ok(added)
}

/// The last socket that committed a change, kept open a while: closing a
/// NETLINK_NETFILTER socket waits for the kernel to finish the commit's deferred clean-up
/// (an RCU grace period, ~10 ms), which `lite run` need not wait for; the socket is
/// closed by the next one parked, or by the exec into the monitor (close-on-exec), when
/// the grace period has passed.
fn park(sock: Socket) {
    static PARKED: std::sync::Mutex<Option<Socket>> = std::sync::Mutex::new(None);
    if let Ok(mut p) = PARKED.lock() {
        *p = Some(sock);
    }
}

/// As `add_container_rules_detailed`, with the errno alone.
pub fn add_container_rules(name: &str, rules: &[Rule]) -> Result<Vec<RuleHandle>, Errno> {
    add_container_rules_detailed(name, rules).map_err(|e| e.errno)
}

/// Deletes every rule tagged `name` in one batch; returns how many kernel rules went
/// (a published port counts twice). A missing table is 0.
pub fn delete_container_rules_detailed(name: &str) -> Result<usize, NftError> {
    let sock = open()?;
    let dump_err = |errno| NftError {
        errno,
        step: Step::Batch,
        expr: None,
        missing: None,
    };
    // A rule deleted by someone else between the dump and the batch fails the batch
    // with ENOENT: dump again.
    let mut tries = 0;
    loop {
        let mine: Vec<DumpedRule> = dump_rules(&sock)
            .map_err(dump_err)?
            .into_iter()
            .filter(|r| r.name.as_deref() == Some(name))
            .collect();
        if mine.is_empty() {
            return Ok(0);
        }
        let batch = delete_batch(&mine, sock.next_seq());
        match run_batch(&sock, &batch) {
            Ok(()) => return Ok(mine.len()),
            Err(e) if e.errno.0 == libc::ENOENT && tries < 3 => tries += 1,
            Err(e) => return Err(e),
        }
    }
}

pub fn delete_container_rules(name: &str) -> Result<usize, Errno> {
    delete_container_rules_detailed(name).map_err(|e| e.errno)
}

/// The distinct container names that have rules in table lite.
pub fn tagged_names() -> Result<Vec<String>, Errno> {
    let sock = Socket::open(libc::NETLINK_NETFILTER)?;
    let names: BTreeSet<String> = dump_rules(&sock)?
        .into_iter()
        .filter_map(|r| r.name)
        .collect();
    Ok(names.into_iter().collect())
}

/// The published ports (Dnat rules, read back from prerouting), with their container.
pub fn published() -> Result<Vec<(String, Rule)>, Errno> {
    let sock = Socket::open(libc::NETLINK_NETFILTER)?;
    Ok(dump_rules(&sock)?
        .into_iter()
        .filter(|r| r.chain == "prerouting")
        .filter_map(|r| Some((r.name?, rule_from_exprs(&r.chain, &r.exprs)?)))
        .filter(|(_, rule)| matches!(rule, Rule::Dnat { .. }))
        .collect())
}

/// `"FAMILY TABLE CHAIN"` of the first base chain outside table lite that hooks forward
/// with policy drop (iptables-nft's `FORWARD DROP`, as Docker sets it).
pub fn foreign_forward_drop() -> Result<Option<String>, Errno> {
    let sock = Socket::open(libc::NETLINK_NETFILTER)?;
    let req = nft_msg(NFT_MSG_GETCHAIN, 0, NFPROTO_UNSPEC);
    let mut found = None;
    sock.dump(req, |m| {
        if found.is_none() {
            if let Some(c) = parse_chain(m).filter(is_foreign_forward_drop) {
                found = Some(format!("{} {} {}", family_name(c.family), c.table, c.name));
            }
        }
    })?;
    Ok(found)
}

/// Ok when the kernel answers nf_tables requests; the errno otherwise (see
/// `missing_option_for`: EPROTONOSUPPORT without nfnetlink, EINVAL or EOPNOTSUPP
/// without the nf_tables subsystem).
pub fn nf_tables_available() -> Result<(), Errno> {
    let sock = Socket::open(libc::NETLINK_NETFILTER)?;
    let req = nft_msg(NFT_MSG_GETTABLE, 0, NFPROTO_UNSPEC);
    sock.dump(req, |_| {})
}

/// The message for `nf_tables_available`'s errno; names the kernel option if one is
/// missing.
pub fn unavailable_reason(errno: Errno) -> String {
    let missing = match errno.0 {
        // nfnetlink answers EINVAL to a request for a subsystem it does not have.
        libc::EINVAL | libc::EOPNOTSUPP | libc::EPROTONOSUPPORT => Some("CONFIG_NF_TABLES"),
        _ => None,
    };
    let e = NftError {
        errno,
        step: Step::Batch,
        expr: None,
        missing,
    };
    let s = e.to_string();
    s.replacen("nf_tables batch", "nf_tables", 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::netlink::NLM_F_MULTI;

    fn masq(source: Ipv4Addr, bridge: &str) -> Rule {
        Rule::Masquerade {
            source,
            bridge: bridge.into(),
        }
    }
    fn localnet(address: Ipv4Addr, bridge: &str) -> Rule {
        Rule::LocalnetMasquerade {
            address,
            bridge: bridge.into(),
        }
    }
    fn dnat(
        proto: Proto,
        host_ip: Option<Ipv4Addr>,
        host_port: u16,
        address: Ipv4Addr,
        port: u16,
    ) -> Rule {
        Rule::Dnat {
            proto,
            host_ip,
            host_port,
            address,
            port,
        }
    }

    // A second, hand-written encoder with the uapi numbers as literals: the expected
    // bytes do not come from NlMsg or Expr::encode.
    fn a(ty: u16, p: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&((4 + p.len()) as u16).to_ne_bytes());
        v.extend_from_slice(&ty.to_ne_bytes());
        v.extend_from_slice(p);
        while v.len() % 4 != 0 {
            v.push(0);
        }
        v
    }
    fn nest(ty: u16, kids: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = kids.concat();
        let mut v = Vec::new();
        v.extend_from_slice(&((4 + body.len()) as u16).to_ne_bytes());
        v.extend_from_slice(&(ty | 0x8000).to_ne_bytes());
        v.extend_from_slice(&body);
        v
    }
    fn s(ty: u16, text: &str) -> Vec<u8> {
        let mut p = text.as_bytes().to_vec();
        p.push(0);
        a(ty, &p)
    }
    fn u(ty: u16, v: u32) -> Vec<u8> {
        a(ty, &v.to_be_bytes())
    }
    fn msg(ty: u16, flags: u16, seq: u32, genmsg: [u8; 4], attrs: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = attrs.concat();
        let mut v = Vec::new();
        v.extend_from_slice(&((16 + 4 + body.len()) as u32).to_ne_bytes());
        v.extend_from_slice(&ty.to_ne_bytes());
        v.extend_from_slice(&flags.to_ne_bytes());
        v.extend_from_slice(&seq.to_ne_bytes());
        v.extend_from_slice(&0u32.to_ne_bytes());
        v.extend_from_slice(&genmsg);
        v.extend_from_slice(&body);
        v
    }
    /// NFTA_LIST_ELEM { NFTA_EXPR_NAME, NFTA_EXPR_DATA { ... } }
    fn ex(name: &str, data: &[Vec<u8>]) -> Vec<u8> {
        nest(1, &[s(1, name), nest(2, data)])
    }
    /// cmp reg 1 OP DATA: SREG 1, OP 2, DATA 3 { VALUE 1 }
    fn cmp(op: u32, data: &[u8]) -> Vec<u8> {
        ex("cmp", &[u(1, 1), u(2, op), nest(3, &[a(1, data)])])
    }
    /// payload load LEN @ BASE + OFF => reg 1: DREG 1, BASE 2, OFFSET 3, LEN 4
    fn payload(base: u32, off: u32, len: u32) -> Vec<u8> {
        ex("payload", &[u(1, 1), u(2, base), u(3, off), u(4, len)])
    }
    /// meta load KEY => reg 1: DREG 1, KEY 2
    fn meta(key: u32) -> Vec<u8> {
        ex("meta", &[u(1, 1), u(2, key)])
    }
    fn ifname(n: &str) -> Vec<u8> {
        let mut v = n.as_bytes().to_vec();
        v.resize(16, 0);
        v
    }

    const REQ: u16 = 0x1;
    const ACK: u16 = 0x4;
    const CREATE: u16 = 0x400;
    const APPEND: u16 = 0x800;
    const ECHO: u16 = 0x8;

    /// BEGIN, table, the three chains; `rules` are (chain, expression list elements).
    fn expected_batch(seq0: u32, name: &str, rules: &[(&str, Vec<Vec<u8>>)]) -> Vec<u8> {
        let mut udata = vec![0u8, (name.len() + 1) as u8];
        udata.extend_from_slice(name.as_bytes());
        udata.push(0);
        let ip = [2, 0, 0, 0];
        let mut out = Vec::new();
        let mut seq = seq0;
        let mut next = || {
            seq = seq.wrapping_add(1);
            seq.wrapping_sub(1)
        };
        // NFNL_MSG_BATCH_BEGIN, AF_UNSPEC, res_id = htons(NFNL_SUBSYS_NFTABLES)
        out.extend(msg(0x10, REQ, next(), [0, 0, 0, 10], &[]));
        // NFT_MSG_NEWTABLE = 0: NFTA_TABLE_NAME 1
        out.extend(msg(0x0a00, REQ | ACK | CREATE, next(), ip, &[s(1, "lite")]));
        // NFT_MSG_NEWCHAIN = 3: TABLE 1, NAME 3, HOOK 4 { HOOKNUM 1, PRIORITY 2 }, POLICY 5, TYPE 7
        for (chain, hook, prio) in [
            ("prerouting", 0u32, -100i32),
            ("output", 3, -100),
            ("postrouting", 4, 100),
        ] {
            out.extend(msg(
                0x0a03,
                REQ | ACK | CREATE,
                next(),
                ip,
                &[
                    s(1, "lite"),
                    s(3, chain),
                    nest(4, &[u(1, hook), u(2, prio as u32)]),
                    u(5, 1),
                    s(7, "nat"),
                ],
            ));
        }
        // NFT_MSG_NEWRULE = 6: TABLE 1, CHAIN 2, EXPRESSIONS 4, USERDATA 7
        for (chain, exprs) in rules {
            out.extend(msg(
                0x0a06,
                REQ | ACK | CREATE | APPEND | ECHO,
                next(),
                ip,
                &[s(1, "lite"), s(2, chain), nest(4, exprs), a(7, &udata)],
            ));
        }
        out.extend(msg(0x11, REQ, next(), [0, 0, 0, 10], &[]));
        out
    }

    #[test]
    fn masquerade_batch_is_byte_exact() {
        let rule = masq(Ipv4Addr::new(10, 88, 0, 2), "lite0");
        let b = add_batch("web", &[rule], 100).unwrap();
        // nft --debug=netlink: payload load 4b @ network header + 12 => reg 1;
        // cmp eq reg 1 0x0200580a; meta load oifname => reg 1;
        // cmp neq reg 1 0x6574696c 0x00000030 0x00000000 0x00000000; masq
        let exprs = vec![
            payload(1, 12, 4),
            cmp(0, &[10, 88, 0, 2]),
            meta(7),
            cmp(1, &ifname("lite0")),
            ex("masq", &[]),
        ];
        assert_eq!(b.buf, expected_batch(100, "web", &[("postrouting", exprs)]));
        assert_eq!(b.steps.len(), 7);
        assert_eq!(b.step_of(105), Some(Step::Rule("masquerade")));
        assert_eq!(b.step_of(102), Some(Step::Chain("prerouting")));
    }

    fn dnat_exprs(host_ip: Option<[u8; 4]>) -> Vec<Vec<u8>> {
        // fib daddr type => reg 1 (DREG 1, RESULT 2 = ADDRTYPE 3, FLAGS 3 = DADDR 2);
        // cmp eq reg 1 0x00000002 (RTN_LOCAL, host order)
        let mut v = vec![
            ex("fib", &[u(1, 1), u(2, 3), u(3, 2)]),
            cmp(0, &2u32.to_ne_bytes()),
        ];
        if let Some(ip) = host_ip {
            v.push(payload(1, 16, 4));
            v.push(cmp(0, &ip));
        }
        v.extend([
            meta(16),     // l4proto
            cmp(0, &[6]), // tcp
            payload(2, 2, 2),
            cmp(0, &[0x1f, 0x90]), // 8080
            // immediate reg 1 10.88.0.2; immediate reg 2 80: DREG 1, DATA 2 { VALUE 1 }
            ex("immediate", &[u(1, 1), nest(2, &[a(1, &[10, 88, 0, 2])])]),
            ex("immediate", &[u(1, 2), nest(2, &[a(1, &[0, 80])])]),
            // nat dnat ip addr_min reg 1 proto_min reg 2 flags 0x2:
            // TYPE 1, FAMILY 2, REG_ADDR_MIN 3, REG_PROTO_MIN 5, FLAGS 7
            ex("nat", &[u(1, 1), u(2, 2), u(3, 1), u(5, 2), u(7, 2)]),
        ]);
        v
    }

    #[test]
    fn dnat_batch_is_byte_exact_in_both_chains() {
        for host_ip in [None, Some([1, 2, 3, 4])] {
            let rule = dnat(
                Proto::Tcp,
                host_ip.map(Ipv4Addr::from),
                8080,
                Ipv4Addr::new(10, 88, 0, 2),
                80,
            );
            let b = add_batch("web", &[rule], 7).unwrap();
            let e = dnat_exprs(host_ip);
            assert_eq!(
                b.buf,
                expected_batch(7, "web", &[("prerouting", e.clone()), ("output", e)])
            );
        }
    }

    #[test]
    fn localnet_masquerade_batch_is_byte_exact() {
        let rule = localnet(Ipv4Addr::new(10, 88, 0, 2), "lite0");
        let b = add_batch("db-1", &[rule], u32::MAX - 2).unwrap(); // seqs wrap
                                                                   // ip saddr 127.0.0.0/8: payload load 1b @ network header + 12; cmp eq 0x7f
        let exprs = vec![
            payload(1, 12, 1),
            cmp(0, &[127]),
            payload(1, 16, 4),
            cmp(0, &[10, 88, 0, 2]),
            meta(7),
            cmp(0, &ifname("lite0")),
            ex("masq", &[]),
        ];
        assert_eq!(
            b.buf,
            expected_batch(u32::MAX - 2, "db-1", &[("postrouting", exprs)])
        );
        assert_eq!(b.step_of(2), Some(Step::Rule("localnet-masquerade")));
        assert_eq!(b.step_of(3), Some(Step::Batch)); // END
        let acked: Vec<u32> = b.acked().map(|(s, _)| s).collect();
        assert_eq!(acked, vec![u32::MAX - 1, u32::MAX, 0, 1, 2]);
    }

    #[test]
    fn delete_batch_is_byte_exact() {
        let r = DumpedRule {
            chain: "output".into(),
            handle: 0x0102,
            name: None,
            exprs: vec![],
        };
        let b = delete_batch(&[r], 1);
        let mut want = msg(0x10, REQ, 1, [0, 0, 0, 10], &[]);
        // NFT_MSG_DELRULE = 8: TABLE 1, CHAIN 2, HANDLE 3 (be64)
        want.extend(msg(
            0x0a08,
            REQ | ACK,
            2,
            [2, 0, 0, 0],
            &[s(1, "lite"), s(2, "output"), a(3, &0x0102u64.to_be_bytes())],
        ));
        want.extend(msg(0x11, REQ, 3, [0, 0, 0, 10], &[]));
        assert_eq!(b.buf, want);
    }

    #[test]
    fn release_batch_is_byte_exact() {
        let b = release_batch(&[("postrouting".into(), 7), ("output".into(), 0x0102)]);
        let mut want = msg(0x10, REQ, 1, [0, 0, 0, 10], &[]);
        for (seq, chain, handle) in [(2, "postrouting", 7u64), (3, "output", 0x0102)] {
            want.extend(msg(
                0x0a08,
                REQ | ACK,
                seq,
                [2, 0, 0, 0],
                &[s(1, "lite"), s(2, chain), a(3, &handle.to_be_bytes())],
            ));
        }
        want.extend(msg(0x11, REQ, 4, [0, 0, 0, 10], &[]));
        let fence_at = want.len();
        // NLMSG_NOOP (1) with ACK, no payload, seq 5.
        want.extend(16u32.to_ne_bytes());
        want.extend(1u16.to_ne_bytes());
        want.extend((REQ | ACK).to_ne_bytes());
        want.extend(5u32.to_ne_bytes());
        want.extend(0u32.to_ne_bytes());
        assert_eq!(b, want);
        // What the monitor reads of it: the fence's place and seq.
        assert_eq!(crate::nlrelease::fence_of(&b), Some((fence_at, 5)));
        assert_eq!(crate::nlrelease::fence_of(&b[..b.len() - 1]), None);
        assert_eq!(crate::nlrelease::fence_of(&b[fence_at..]), None);
    }

    /// An NLMSG_ERROR reply: errno (0: an ack) for `seq`, echoing a bare header.
    fn ack(seq: u32, errno: i32) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend(36u32.to_ne_bytes());
        v.extend(2u16.to_ne_bytes());
        v.extend(0x100u16.to_ne_bytes()); // capped
        v.extend(seq.to_ne_bytes());
        v.extend(0u32.to_ne_bytes());
        v.extend((-errno).to_ne_bytes());
        v.extend([0u8; 16]);
        v
    }

    #[test]
    fn the_monitor_reads_replies_up_to_the_fence() {
        use crate::nlrelease::{scan, Replies};
        let all = [ack(2, 0), ack(3, 0), ack(5, 0)].concat();
        assert_eq!(scan(&all, 5, Replies::More), Replies::Done);
        // Over two datagrams; a partial message at the end is not read.
        assert_eq!(scan(&ack(2, 0), 5, Replies::More), Replies::More);
        assert_eq!(scan(&ack(5, 0)[..20], 5, Replies::More), Replies::More);
        assert_eq!(scan(&ack(5, 0), 5, Replies::More), Replies::Done);
        // An error sticks, through the fence.
        let failed = [ack(2, libc::ENOENT), ack(5, 0)].concat();
        assert_eq!(
            scan(&failed, 5, Replies::More),
            Replies::Failed(libc::ENOENT)
        );
        assert_eq!(scan(&ack(5, 0), 5, Replies::Failed(2)), Replies::Failed(2));
        assert_eq!(
            scan(&ack(5, libc::EPERM), 5, Replies::More),
            Replies::Failed(libc::EPERM)
        );
        // Garbage ends the datagram.
        assert_eq!(scan(&[1, 0, 0, 0, 2, 0], 5, Replies::More), Replies::More);
    }

    #[test]
    fn bad_names_and_rules_are_refused() {
        assert_eq!(tag("").unwrap_err(), Errno(libc::EINVAL));
        assert_eq!(tag("a\0b").unwrap_err(), Errno(libc::EINVAL));
        assert_eq!(tag(&"x".repeat(254)).unwrap_err(), Errno(libc::EINVAL));
        assert_eq!(tag(&"x".repeat(TAG_MAX)).unwrap().len(), USERDATA_MAX);
        let long = masq(Ipv4Addr::LOCALHOST, "a-very-long-name");
        assert!(add_batch("c", &[long], 1).is_err());
        let zero = dnat(Proto::Udp, None, 0, Ipv4Addr::LOCALHOST, 1);
        assert!(add_batch("c", &[zero], 1).is_err());
    }

    #[test]
    fn fields_become_rules_or_name_the_bad_field() {
        let mut d = RuleFields {
            kind: "dnat".into(),
            proto: Some("udp".into()),
            address: Some("10.0.0.2".into()),
            host_port: Some(53),
            port: Some(5353),
            ..Default::default()
        };
        assert_eq!(
            d.parse(),
            Ok(dnat(Proto::Udp, None, 53, Ipv4Addr::new(10, 0, 0, 2), 5353))
        );
        d.host_ip = Some("::1".into());
        assert!(d.parse().unwrap_err().contains("`hostIp` is not an IPv4"));
        d.host_ip = Some("127.0.0.1".into());
        assert!(d.parse().is_ok());
        d.port = Some(70000);
        assert!(d.parse().unwrap_err().contains("`port` is not a port"));
        d.port = Some(0);
        assert!(d.parse().unwrap_err().contains("`port`"));
        d.port = Some(1);
        d.proto = Some("sctp".into());
        assert!(d.parse().unwrap_err().contains("`proto`"));
        d.proto = None;
        assert_eq!(d.parse().unwrap_err(), "dnat: `proto` is missing");
        let mut m = RuleFields {
            kind: "masquerade".into(),
            source: Some("10.0.0.2".into()),
            ..Default::default()
        };
        assert_eq!(m.parse().unwrap_err(), "masquerade: `bridge` is missing");
        m.bridge = Some("a-sixteen-chars!".into());
        assert!(m
            .parse()
            .unwrap_err()
            .contains("`bridge` is not an interface name"));
        m.bridge = Some("lite0".into());
        assert!(m.parse().is_ok());
        let l = RuleFields {
            kind: "localnet-masquerade".into(),
            bridge: Some("b".into()),
            ..Default::default()
        };
        assert_eq!(
            l.parse().unwrap_err(),
            "localnet-masquerade: `address` is missing"
        );
        let k = RuleFields {
            kind: "snat".into(),
            ..Default::default()
        };
        assert!(k.parse().unwrap_err().contains("`kind`"));
    }

    #[test]
    fn rules_round_trip_through_fields() {
        for r in all_kinds() {
            assert_eq!(RuleFields::from(&r).parse(), Ok(r));
        }
    }

    #[test]
    fn tag_round_trips_and_reads_nfts_comment() {
        for name in ["web", "a", &"n".repeat(TAG_MAX), "ünïcode-名"] {
            assert_eq!(untag(&tag(name).unwrap()), Some(name));
        }
        // What nft writes for `comment "web"` (nft --debug=netlink: \x00\x04web\x00).
        assert_eq!(tag("web").unwrap(), b"\x00\x04web\x00");
        // Another TLV first is skipped; truncated or unterminated ones are not names.
        assert_eq!(untag(b"\x05\x02xy\x00\x03ab\x00"), Some("ab"));
        assert_eq!(untag(b"\x00\x09web\x00"), None);
        assert_eq!(untag(b"\x00\x03web"), None);
        assert_eq!(untag(b""), None);
    }

    fn all_kinds() -> Vec<Rule> {
        vec![
            masq(Ipv4Addr::new(10, 88, 0, 2), "lite0"),
            dnat(Proto::Tcp, None, 8080, Ipv4Addr::new(10, 88, 0, 2), 80),
            dnat(
                Proto::Udp,
                Some(Ipv4Addr::new(192, 0, 2, 1)),
                53,
                Ipv4Addr::new(10, 88, 0, 3),
                5353,
            ),
            localnet(Ipv4Addr::new(10, 88, 0, 2), "br-x"),
        ]
    }

    /// A NEWRULE message as the kernel dumps it: NLM_F_MULTI, with the rule's handle,
    /// extra attributes lite ignores, and expressions built by `new_rule`.
    fn kernel_rule(chain: &str, handle: u64, exprs: &[Expr], udata: &[u8]) -> Vec<u8> {
        let mut m = NlMsg::new(0x0a06, NLM_F_MULTI);
        m.push_header(&[2, 0, 0, 5]);
        m.attr_str(NFTA_RULE_TABLE, TABLE);
        m.attr_str(NFTA_RULE_CHAIN, chain);
        m.attr_u64_be(NFTA_RULE_HANDLE, handle);
        let l = m.nest_start(NFTA_RULE_EXPRESSIONS);
        for e in exprs {
            e.encode(&mut m);
        }
        m.nest_end(l);
        m.attr(NFTA_RULE_USERDATA, udata);
        m.attr_u64_be(6, 3); // NFTA_RULE_POSITION
        m.bytes().to_vec()
    }

    #[test]
    fn dumped_rules_parse_back_into_rules() {
        let mut buf = Vec::new();
        let mut handle = 10;
        let mut want = Vec::new();
        for (i, r) in all_kinds().into_iter().enumerate() {
            let name = format!("c{i}");
            for (chain, exprs) in r.kernel_rules() {
                buf.extend(kernel_rule(chain, handle, &exprs, &tag(&name).unwrap()));
                want.push((chain.to_string(), handle, name.clone(), r.clone()));
                handle += 1;
            }
        }
        let got: Vec<DumpedRule> = messages(&buf).filter_map(|m| parse_rule(&m)).collect();
        assert_eq!(got.len(), want.len());
        for (d, (chain, handle, name, rule)) in got.iter().zip(&want) {
            assert_eq!(&d.chain, chain);
            assert_eq!(d.handle, *handle);
            assert_eq!(d.name.as_deref(), Some(name.as_str()));
            assert_eq!(rule_from_exprs(&d.chain, &d.exprs).as_ref(), Some(rule));
        }
    }

    #[test]
    fn foreign_rules_and_expressions_are_not_taken_for_lites() {
        // Another table, another family, or an unknown expression.
        let exprs = masq(Ipv4Addr::LOCALHOST, "b").kernel_rules().remove(0).1;
        let mut other_table = NlMsg::new(0x0a06, NLM_F_MULTI);
        other_table.push_header(&[2, 0, 0, 0]);
        other_table.attr_str(NFTA_RULE_TABLE, "filter");
        other_table.attr_str(NFTA_RULE_CHAIN, "postrouting");
        other_table.attr_u64_be(NFTA_RULE_HANDLE, 1);
        assert_eq!(
            messages(other_table.bytes())
                .filter_map(|m| parse_rule(&m))
                .count(),
            0
        );
        let mut v = kernel_rule("postrouting", 1, &exprs, b"");
        v[16] = 10; // family ip6
        assert_eq!(messages(&v).filter_map(|m| parse_rule(&m)).count(), 0);

        let mut with_counter = exprs.clone();
        with_counter.insert(4, Expr::Other("counter".into()));
        let v = kernel_rule("postrouting", 1, &with_counter, b"");
        let d = messages(&v).find_map(|m| parse_rule(&m)).unwrap();
        assert_eq!(d.name, None);
        assert_eq!(d.exprs[4], Expr::Other("counter".into()));
        assert_eq!(rule_from_exprs("postrouting", &d.exprs), None);
        assert_eq!(rule_from_exprs("prerouting", &exprs), None);
    }

    fn kernel_chain(
        family: u8,
        table: &str,
        name: &str,
        hook: Option<(u32, i32)>,
        policy: Option<u32>,
    ) -> Vec<u8> {
        let mut m = NlMsg::new(0x0a03, NLM_F_MULTI);
        m.push_header(&[family, 0, 0, 9]);
        m.attr_u64_be(2, 1); // NFTA_CHAIN_HANDLE, which lite ignores
        chain_attrs(&mut m, table, name, hook, policy, "filter");
        m.bytes().to_vec()
    }

    #[test]
    fn forward_drop_chains_are_recognised() {
        let cases = [
            (
                kernel_chain(2, "filter", "FORWARD", Some((2, 0)), Some(0)),
                true,
            ),
            (kernel_chain(1, "fw", "fwd", Some((2, 0)), Some(0)), true),
            (kernel_chain(7, "br", "fwd", Some((2, 0)), Some(0)), true),
            (
                kernel_chain(2, "filter", "FORWARD", Some((2, 0)), Some(1)),
                false,
            ), // accept
            (
                kernel_chain(2, "filter", "INPUT", Some((1, 0)), Some(0)),
                false,
            ),
            (
                kernel_chain(10, "filter", "FORWARD", Some((2, 0)), Some(0)),
                false,
            ), // ip6
            (kernel_chain(2, "lite", "fwd", Some((2, 0)), Some(0)), false), // ours
            (kernel_chain(2, "filter", "DOCKER", None, None), false),       // not a base chain
        ];
        for (bytes, want) in cases {
            let c = messages(&bytes).find_map(|m| parse_chain(&m)).unwrap();
            assert_eq!(is_foreign_forward_drop(&c), want, "{c:?}");
        }
        let c = messages(&cases_first())
            .find_map(|m| parse_chain(&m))
            .unwrap();
        assert_eq!(
            format!("{} {} {}", family_name(c.family), c.table, c.name),
            "ip filter FORWARD"
        );
    }
    fn cases_first() -> Vec<u8> {
        kernel_chain(2, "filter", "FORWARD", Some((2, 0)), Some(0))
    }

    #[test]
    fn extended_acks_point_at_an_expression() {
        let exprs = dnat(Proto::Tcp, None, 1, Ipv4Addr::LOCALHOST, 2)
            .kernel_rules()
            .remove(0)
            .1;
        let (m, spans) = new_rule_spans("prerouting", &exprs, &tag("x").unwrap());
        let mut b = Batch::new(40);
        b.push_spans(m.clone(), Step::Rule("dnat"), spans.clone());
        let fib = spans[0];
        assert_eq!(fib.2, "fib");
        // The kernel's error: code, the echoed request, then NLMSGERR_ATTR_OFFS.
        for capped in [false, true] {
            let mut payload = (-libc::ENOENT).to_ne_bytes().to_vec();
            let echoed = if capped { &m.bytes()[..16] } else { m.bytes() };
            payload.extend_from_slice(echoed);
            payload.extend(a(2, &((fib.0 + 4) as u32).to_ne_bytes()));
            let flags = NLM_F_ACK_TLVS | if capped { NLM_F_CAPPED } else { 0 };
            let mut err = NlMsg::new(NLMSG_ERROR, flags);
            err.push_header(&payload);
            let msg = messages(err.bytes()).next().unwrap();
            let off = bad_attr_offset(&msg).unwrap();
            assert_eq!(off, fib.0 + 4);
            assert_eq!(b.expr_at(41, off), Some("fib"));
            assert_eq!(
                missing_option_at(Errno(libc::ENOENT), Step::Rule("dnat"), Some("fib")),
                Some("CONFIG_NFT_FIB_IPV4 (the fib expression, nft_fib_ipv4)")
            );
        }
        assert_eq!(b.expr_at(41, 20), None); // the table name, not an expression
        let nat = spans.last().unwrap();
        assert_eq!(b.expr_at(41, nat.1 - 1), Some("nat"));
    }

    #[test]
    fn errors_name_the_missing_option() {
        let e = NftError {
            errno: Errno(libc::ENOENT),
            step: Step::Chain("prerouting"),
            expr: None,
            missing: missing_option_at(Errno(libc::ENOENT), Step::Chain("prerouting"), None),
        };
        let s = e.to_string();
        assert!(
            s.contains("CONFIG_NFT_NAT") && s.contains("errno 2") && s.contains("prerouting"),
            "{s}"
        );
        assert!(
            missing_option_at(Errno(libc::ENOENT), Step::Rule("masquerade"), None)
                .unwrap()
                .contains("CONFIG_NFT_MASQ")
        );
        assert!(
            missing_option_at(Errno(libc::ENOENT), Step::Rule("dnat"), None)
                .unwrap()
                .contains("CONFIG_NFT_FIB_IPV4")
        );
        assert_eq!(
            missing_option_at(Errno(libc::EOPNOTSUPP), Step::Batch, None),
            Some("CONFIG_NF_TABLES")
        );
        assert_eq!(
            missing_option_at(Errno(libc::EPERM), Step::Batch, None),
            None
        );
        assert!(missing_option_for(Errno(libc::EPROTONOSUPPORT))
            .unwrap()
            .contains("CONFIG_NF_TABLES"));
        assert!(unavailable_reason(Errno(libc::EINVAL)).contains("lacks CONFIG_NF_TABLES"));
        assert!(!unavailable_reason(Errno(libc::EPERM)).contains("lacks"));
    }

    // --- with root, in a private network namespace ----------------------------------

    fn is_root() -> bool {
        unsafe { libc::geteuid() == 0 }
    }

    /// As root, runs `f` on a thread of its own in a new network namespace: nf_tables
    /// state is per netns, so the host's firewall is never touched. Skipped without
    /// root, and (with a note) where the namespace cannot be made or the kernel has no
    /// nf_tables.
    fn in_new_netns(f: impl FnOnce() + Send + 'static) {
        if !is_root() {
            return;
        }
        std::thread::spawn(move || {
            if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
                eprintln!(
                    "skipped: unshare(CLONE_NEWNET): {}",
                    std::io::Error::last_os_error()
                );
                return;
            }
            if let Err(e) = nf_tables_available() {
                eprintln!("skipped: {}", unavailable_reason(e));
                return;
            }
            f()
        })
        .join()
        .unwrap();
    }

    /// `cmd` runs (`nft -v`, `ip -V`).
    fn have(cmd: &str, version_flag: &str) -> bool {
        std::process::Command::new(cmd)
            .arg(version_flag)
            .output()
            .is_ok_and(|o| o.status.success())
    }

    /// `nft list ruleset` of this thread's netns (children inherit the thread's).
    fn nft_list() -> Option<String> {
        if !have("nft", "-v") {
            return None;
        }
        let o = std::process::Command::new("nft")
            .args(["list", "ruleset"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        Some(String::from_utf8(o.stdout).unwrap())
    }

    #[test]
    fn root_add_list_and_delete_by_name() {
        in_new_netns(|| {
            nf_tables_available().unwrap();
            assert_eq!(tagged_names().unwrap(), Vec::<String>::new());
            assert_eq!(delete_container_rules("web").unwrap(), 0); // no table yet
            assert_eq!(foreign_forward_drop().unwrap(), None);

            let web = vec![
                masq(Ipv4Addr::new(10, 88, 0, 2), "lite0"),
                dnat(Proto::Tcp, None, 8080, Ipv4Addr::new(10, 88, 0, 2), 80),
                localnet(Ipv4Addr::new(10, 88, 0, 2), "lite0"),
            ];
            let db = vec![
                masq(Ipv4Addr::new(10, 88, 0, 3), "lite0"),
                dnat(
                    Proto::Udp,
                    Some(Ipv4Addr::new(127, 0, 0, 1)),
                    5353,
                    Ipv4Addr::new(10, 88, 0, 3),
                    53,
                ),
            ];
            add_container_rules("web", &web).unwrap();
            add_container_rules("db", &db).unwrap();
            // Adding again (table and chains exist) works and appends.
            add_container_rules("db", &db[..1]).unwrap();
            assert_eq!(
                tagged_names().unwrap(),
                vec!["db".to_string(), "web".to_string()]
            );

            let mut pubs = published().unwrap();
            pubs.sort_by_key(|(n, _)| n.clone());
            assert_eq!(
                pubs,
                vec![
                    ("db".to_string(), db[1].clone()),
                    ("web".to_string(), web[1].clone())
                ]
            );

            if let Some(text) = nft_list() {
                for want in [
                    "type nat hook prerouting priority dstnat; policy accept;",
                    "type nat hook output priority -100; policy accept;",
                    "type nat hook postrouting priority srcnat; policy accept;",
                    r#"ip saddr 10.88.0.2 oifname != "lite0" masquerade comment "web""#,
                    r#"fib daddr type local tcp dport 8080 dnat to 10.88.0.2:80 comment "web""#,
                    r#"ip saddr 127.0.0.0/8 ip daddr 10.88.0.2 oifname "lite0" masquerade comment "web""#,
                    r#"fib daddr type local ip daddr 127.0.0.1 udp dport 5353 dnat to 10.88.0.3:53 comment "db""#,
                ] {
                    assert!(text.contains(want), "missing {want:?} in\n{text}");
                }
                assert_eq!(text.matches("dnat to 10.88.0.2:80").count(), 2, "{text}");
            }

            // web: 1 + 2 + 1 kernel rules.
            assert_eq!(delete_container_rules("web").unwrap(), 4);
            assert_eq!(delete_container_rules("web").unwrap(), 0);
            assert_eq!(tagged_names().unwrap(), vec!["db".to_string()]);
            let left = dump_rules(&Socket::open(libc::NETLINK_NETFILTER).unwrap()).unwrap();
            assert_eq!(left.len(), 4, "{left:?}");
            assert!(left.iter().all(|r| r.name.as_deref() == Some("db")));
            if let Some(text) = nft_list() {
                assert!(!text.contains("\"web\""), "{text}");
            }
            assert_eq!(delete_container_rules("db").unwrap(), 4);
            assert_eq!(tagged_names().unwrap(), Vec::<String>::new());
        });
    }

    /// Sends a release as the monitor does (nlrelease.rs), from a plain socket.
    fn send_release(blob: &[u8]) -> crate::nlrelease::Replies {
        use crate::nlrelease::{fence_of, scan, Replies};
        let (fence_at, fence_seq) = fence_of(blob).unwrap();
        let sock = Socket::open(libc::NETLINK_NETFILTER).unwrap();
        sock.send(&blob[..fence_at]).unwrap();
        sock.send(&blob[fence_at..]).unwrap();
        let mut replies = Replies::More;
        let mut buf = vec![0u8; 8192];
        for _ in 0..256 {
            let n = sock.recv(&mut buf).unwrap();
            replies = scan(&buf[..n], fence_seq, replies);
            if replies != Replies::More {
                break;
            }
        }
        replies
    }

    #[test]
    fn root_the_release_batch_deletes_exactly_the_added_rules() {
        in_new_netns(|| {
            let web = vec![
                masq(Ipv4Addr::new(10, 88, 0, 2), "lite0"),
                dnat(Proto::Tcp, None, 8080, Ipv4Addr::new(10, 88, 0, 2), 80),
                localnet(Ipv4Addr::new(10, 88, 0, 2), "lite0"),
            ];
            let db = vec![masq(Ipv4Addr::new(10, 88, 0, 3), "lite0")];
            let added = add_container_rules("web", &web).unwrap();
            add_container_rules("db", &db).unwrap();
            // The echoed handles are those a dump finds.
            let sock = Socket::open(libc::NETLINK_NETFILTER).unwrap();
            let mut dumped: Vec<RuleHandle> = dump_rules(&sock)
                .unwrap()
                .into_iter()
                .filter(|r| r.name.as_deref() == Some("web"))
                .map(|r| (r.chain, r.handle))
                .collect();
            let mut got = added.clone();
            got.sort();
            dumped.sort();
            assert_eq!(got, dumped);
            assert_eq!(got.len(), 4);

            let blob = release_batch(&added);
            assert_eq!(send_release(&blob), crate::nlrelease::Replies::Done);
            assert_eq!(tagged_names().unwrap(), vec!["db".to_string()]);
            assert_eq!(delete_container_rules("web").unwrap(), 0);
            assert_eq!(delete_container_rules("db").unwrap(), 1);
        });
    }

    #[test]
    fn root_a_release_whose_rule_is_gone_fails_whole_and_falls_back() {
        in_new_netns(|| {
            let web = vec![
                masq(Ipv4Addr::new(10, 88, 0, 2), "lite0"),
                dnat(Proto::Tcp, None, 8080, Ipv4Addr::new(10, 88, 0, 2), 80),
            ];
            let added = add_container_rules("web", &web).unwrap();
            assert_eq!(added.len(), 3);
            // One of them deleted by someone else first.
            let sock = Socket::open(libc::NETLINK_NETFILTER).unwrap();
            let one = delete_batch_of([(added[1].0.as_str(), added[1].1)], sock.next_seq());
            run_batch(&sock, &one).unwrap();

            let blob = release_batch(&added);
            assert_eq!(
                send_release(&blob),
                crate::nlrelease::Replies::Failed(libc::ENOENT)
            );
            // Atomic: the others are still there, for the fallback (delete by tag).
            assert_eq!(tagged_names().unwrap(), vec!["web".to_string()]);
            assert_eq!(delete_container_rules("web").unwrap(), 2);
            // And once all are gone, the release fails again, harmlessly.
            assert_eq!(
                send_release(&blob),
                crate::nlrelease::Replies::Failed(libc::ENOENT)
            );
        });
    }

    #[test]
    fn root_the_longest_tag_is_the_kernels_longest_userdata() {
        in_new_netns(|| {
            let name = "n".repeat(TAG_MAX);
            add_container_rules(&name, &[masq(Ipv4Addr::new(10, 0, 0, 2), "b0")]).unwrap();
            assert_eq!(tagged_names().unwrap(), vec![name.clone()]);
            assert_eq!(delete_container_rules(&name).unwrap(), 1);
            // One byte more is refused by the kernel, so `tag` refuses it first.
            let sock = Socket::open(libc::NETLINK_NETFILTER).unwrap();
            let mut udata = tag(&name).unwrap();
            udata.insert(2, b'n');
            udata[1] += 1;
            let exprs = masq(Ipv4Addr::new(10, 0, 0, 2), "b0")
                .kernel_rules()
                .remove(0)
                .1;
            let mut b = Batch::new(sock.next_seq());
            let (m, spans) = new_rule_spans("postrouting", &exprs, &udata);
            b.push_spans(m, Step::Rule("masquerade"), spans);
            let e = run_batch(&sock, &b.finish()).unwrap_err();
            assert_eq!(e.step, Step::Rule("masquerade"), "{e}");
            assert!(matches!(e.errno.0, libc::ERANGE | libc::EINVAL), "{e}");
        });
    }

    #[test]
    fn root_failed_batch_changes_nothing() {
        in_new_netns(|| {
            // A chain of the same name with another hook makes the batch fail (EEXIST
            // or EBUSY) at the chain step; the table the batch would create is not made.
            let mut b = Batch::new(1);
            b.push(new_table(), Step::Table);
            let c = chain_msg(TABLE, "prerouting", (NF_INET_FORWARD, 0), None, "filter");
            b.push(c, Step::Chain("prerouting"));
            let b = b.finish();
            let sock = Socket::open(libc::NETLINK_NETFILTER).unwrap();
            run_batch(&sock, &b).unwrap();

            let rule = masq(Ipv4Addr::new(10, 0, 0, 2), "b0");
            let e = add_container_rules_detailed("x", &[rule]).unwrap_err();
            assert_eq!(e.step, Step::Chain("prerouting"), "{e}");
            assert!(
                e.to_string()
                    .contains("the chain exists with another type or hook"),
                "{e}"
            );
            assert_eq!(tagged_names().unwrap(), Vec::<String>::new());
        });
    }

    #[test]
    fn root_missing_modules_are_named() {
        in_new_netns(|| {
            // An unknown chain type or expression fails as a missing module does (the
            // kernel's lookup, after request_module, finds nothing): ENOENT.
            let sock = Socket::open(libc::NETLINK_NETFILTER).unwrap();
            let mut b = Batch::new(sock.next_seq());
            b.push(new_table(), Step::Table);
            let hook = (NF_INET_POST_ROUTING, 100);
            let c = chain_msg(TABLE, "postrouting", hook, None, "lite-no-such-type");
            b.push(c, Step::Chain("postrouting"));
            let e = run_batch(&sock, &b.finish()).unwrap_err();
            assert_eq!(
                (e.errno, e.step),
                (Errno(libc::ENOENT), Step::Chain("postrouting"))
            );
            assert!(
                e.to_string().contains("the kernel lacks CONFIG_NFT_NAT"),
                "{e}"
            );

            let mut b = Batch::new(sock.next_seq());
            b.push(new_table(), Step::Table);
            for c in &CHAINS {
                b.push(new_chain(c), Step::Chain(c.name));
            }
            let exprs = [
                Expr::payload(NFT_PAYLOAD_NETWORK_HEADER, 12, 4),
                Expr::cmp(NFT_CMP_EQ, &[10, 0, 0, 1]),
                Expr::Other("lite-no-such-expr".into()),
                Expr::Masq,
            ];
            let (m, spans) = new_rule_spans("postrouting", &exprs, &tag("x").unwrap());
            b.push_spans(m, Step::Rule("masquerade"), spans);
            let e = run_batch(&sock, &b.finish()).unwrap_err();
            assert_eq!(
                (e.errno, e.step),
                (Errno(libc::ENOENT), Step::Rule("masquerade"))
            );
            // The extended ack pointed at the third expression.
            assert_eq!(e.expr, Some("?"), "{e}");
            assert!(
                e.to_string().contains("the kernel lacks CONFIG_NFT_MASQ"),
                "{e}"
            );
            // Nothing of either batch stayed.
            assert_eq!(dump_rules(&sock).unwrap(), vec![]);
            let mut tables = 0;
            sock.dump(nft_msg(NFT_MSG_GETTABLE, 0, NFPROTO_UNSPEC), |_| {
                tables += 1
            })
            .unwrap();
            assert_eq!(tables, 0);
        });
    }

    #[test]
    fn root_forward_drop_of_another_table_is_found() {
        in_new_netns(|| {
            // iptables-nft's `-P FORWARD DROP`: table ip filter, chain FORWARD.
            let sock = Socket::open(libc::NETLINK_NETFILTER).unwrap();
            let mut b = Batch::new(sock.next_seq());
            b.push(table_msg("filter"), Step::Table);
            for (name, hook, policy) in
                [("INPUT", 1, NF_DROP), ("FORWARD", NF_INET_FORWARD, NF_DROP)]
            {
                let c = chain_msg("filter", name, (hook, 0), Some(policy), "filter");
                b.push(c, Step::Chain("x"));
            }
            run_batch(&sock, &b.finish()).unwrap();
            assert_eq!(
                foreign_forward_drop().unwrap().as_deref(),
                Some("ip filter FORWARD")
            );
            // lite's own rules leave it alone.
            add_container_rules("c", &[masq(Ipv4Addr::new(10, 0, 0, 2), "b0")]).unwrap();
            assert_eq!(delete_container_rules("c").unwrap(), 1);
            assert_eq!(
                foreign_forward_drop().unwrap().as_deref(),
                Some("ip filter FORWARD")
            );
        });
    }

    #[test]
    fn root_published_port_answers_on_loopback() {
        if !have("ip", "-V") {
            return;
        }
        in_new_netns(|| {
            use std::io::{Read, Write};
            use std::net::{TcpListener, TcpStream};
            let ip = |args: &[&str]| {
                let o = std::process::Command::new("ip")
                    .args(args)
                    .output()
                    .unwrap();
                assert!(
                    o.status.success(),
                    "ip {args:?}: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
            };
            ip(&["link", "set", "lo", "up"]);
            ip(&["addr", "add", "10.88.0.2/32", "dev", "lo"]);
            let listener = TcpListener::bind("10.88.0.2:5000").unwrap();
            assert!(TcpStream::connect("127.0.0.1:8080").is_err());
            let rule = dnat(Proto::Tcp, None, 8080, Ipv4Addr::new(10, 88, 0, 2), 5000);
            add_container_rules("web", &[rule]).unwrap();
            let server = std::thread::spawn(move || {
                let (mut s, _) = listener.accept().unwrap();
                s.write_all(b"hello").unwrap();
                listener
            });
            let mut c = TcpStream::connect("127.0.0.1:8080").unwrap();
            let mut got = String::new();
            c.read_to_string(&mut got).unwrap();
            assert_eq!(got, "hello");
            let _listener = server.join().unwrap();
            assert_eq!(delete_container_rules("web").unwrap(), 2);
            assert!(TcpStream::connect("127.0.0.1:8080").is_err());
        });
    }
}
