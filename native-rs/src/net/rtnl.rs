//! rtnetlink (NETLINK_ROUTE) for the links, addresses and routes of container
//! networking, IPv4 only: the bridge on the host, the veth pair or macvlan/ipvlan link
//! whose container end is created directly in the container's network namespace, and
//! eth0's address and default route, set through a socket the child opened in that
//! namespace (DESIGN §12).
//!
//! Message builders are pure (tested byte for byte without root); the functions that
//! run them take a `&Socket`, so the same code acts on the host's namespace or the
//! container's depending on where the socket was opened.

use std::net::Ipv4Addr;
use std::os::fd::RawFd;

use super::netlink::{attrs, nla_str, nla_u32, Msg, NlMsg, Socket, NLM_F_CREATE, NLM_F_EXCL};
use crate::sys::Errno;

// Message types (linux/rtnetlink.h).
pub const RTM_NEWLINK: u16 = 16;
pub const RTM_DELLINK: u16 = 17;
pub const RTM_GETLINK: u16 = 18;
pub const RTM_NEWADDR: u16 = 20;
pub const RTM_NEWROUTE: u16 = 24;
pub const RTM_GETROUTE: u16 = 26;

// Link attributes (linux/if_link.h).
const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_LINK: u16 = 5;
const IFLA_MASTER: u16 = 10;
const IFLA_LINKINFO: u16 = 18;
const IFLA_NET_NS_FD: u16 = 28;
const IFLA_INFO_KIND: u16 = 1;
const IFLA_INFO_DATA: u16 = 2;
const VETH_INFO_PEER: u16 = 1;
const IFLA_MACVLAN_MODE: u16 = 1;
const MACVLAN_MODE_BRIDGE: u32 = 4;
const IFLA_IPVLAN_MODE: u16 = 1;
const IPVLAN_MODE_L2: u16 = 0;

// Address and route attributes (linux/if_addr.h, linux/rtnetlink.h).
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const RTA_DST: u16 = 1;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const RTA_TABLE: u16 = 15;
const RT_TABLE_MAIN: u8 = 254;
const RTPROT_BOOT: u8 = 3;
const RT_SCOPE_UNIVERSE: u8 = 0;
const RTN_UNICAST: u8 = 1;

const IFF_UP: u32 = 1;
const AF_INET: u8 = libc::AF_INET as u8;
/// IFNAMSIZ - 1: the longest interface name the kernel takes.
pub const IFNAME_MAX: usize = 15;

/// What lite needs to know of a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkInfo {
    pub index: u32,
    pub mtu: u32,
    /// IFLA_INFO_KIND ("bridge", "veth", ...); None for a physical device or lo.
    pub kind: Option<String>,
    pub up: bool,
    /// The bridge it is a port of.
    pub master: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BridgeState {
    pub index: u32,
    pub mtu: u32,
    /// This call created it (rather than finding it).
    pub created: bool,
}

/// An IPv4 route of the main table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub dst: Ipv4Addr,
    pub prefix: u8,
    /// The output interface; 0 for a route without one (multipath, blackhole).
    pub oif: u32,
}

/// The kernel option a link kind needs, for the message when creating one fails with
/// EOPNOTSUPP (no such link type: the driver is neither built in nor loadable).
pub fn kind_missing_option(kind: &str) -> &'static str {
    match kind {
        "bridge" => "CONFIG_BRIDGE",
        "veth" => "CONFIG_VETH",
        "macvlan" => "CONFIG_MACVLAN",
        "ipvlan" => "CONFIG_IPVLAN",
        _ => "",
    }
}

/// Whether an errno from creating a link means "this kernel has no such link type".
/// EOPNOTSUPP is what rtnl_newlink answers when no rtnl_link_ops match the kind after
/// trying to load the module; some kernels answer ENOENT or EINVAL.
pub fn is_kind_missing(e: Errno) -> bool {
    matches!(e.0, libc::EOPNOTSUPP | libc::ENOENT | libc::EINVAL)
}

// ---- Family headers ----

/// struct ifinfomsg: family, pad, type, index, flags, change (16 bytes).
fn ifinfomsg(index: u32, flags: u32, change: u32) -> [u8; 16] {
    let mut h = [0u8; 16];
    h[4..8].copy_from_slice(&index.to_ne_bytes());
    h[8..12].copy_from_slice(&flags.to_ne_bytes());
    h[12..16].copy_from_slice(&change.to_ne_bytes());
    h
}

/// struct ifaddrmsg: family, prefixlen, flags, scope, index (8 bytes).
fn ifaddrmsg(index: u32, prefix: u8) -> [u8; 8] {
    let mut h = [0u8; 8];
    h[0] = AF_INET;
    h[1] = prefix;
    h[3] = RT_SCOPE_UNIVERSE;
    h[4..8].copy_from_slice(&index.to_ne_bytes());
    h
}

/// struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags.
fn rtmsg(dst_len: u8, table: u8, protocol: u8, scope: u8, ty: u8) -> [u8; 12] {
    [
        AF_INET, dst_len, 0, 0, table, protocol, scope, ty, 0, 0, 0, 0,
    ]
}

/// What the kernel's dev_valid_name takes: 1 to 15 bytes, not "." or "..", no '/',
/// ':', NUL or white space.
fn check_name(name: &str) -> Result<(), Errno> {
    let bad_char = |c: char| matches!(c, '/' | ':' | '\0') || c.is_whitespace();
    if name.is_empty()
        || name.len() > IFNAME_MAX
        || name == "."
        || name == ".."
        || name.contains(bad_char)
    {
        return Err(Errno(libc::EINVAL));
    }
    Ok(())
}

// ---- Message builders (pure) ----

pub fn msg_get_link(name: &str) -> NlMsg {
    let mut m = NlMsg::new(RTM_GETLINK, 0);
    m.push_header(&ifinfomsg(0, 0, 0));
    m.attr_str(IFLA_IFNAME, name);
    m
}

pub fn msg_new_bridge(name: &str) -> NlMsg {
    let mut m = NlMsg::new(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    m.push_header(&ifinfomsg(0, 0, 0));
    m.attr_str(IFLA_IFNAME, name);
    let info = m.nest_start(IFLA_LINKINFO);
    m.attr_str(IFLA_INFO_KIND, "bridge");
    m.nest_end(info);
    m
}

/// A veth pair: `host` on this side, a port of `master` with `mtu`; `peer` created in
/// the namespace of `peer_netns_fd` with the same mtu.
pub fn msg_new_veth(host: &str, peer: &str, peer_netns_fd: RawFd, mtu: u32, master: u32) -> NlMsg {
    let mut m = NlMsg::new(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    m.push_header(&ifinfomsg(0, 0, 0));
    m.attr_str(IFLA_IFNAME, host);
    m.attr_u32(IFLA_MTU, mtu);
    m.attr_u32(IFLA_MASTER, master);
    let info = m.nest_start(IFLA_LINKINFO);
    m.attr_str(IFLA_INFO_KIND, "veth");
    let data = m.nest_start(IFLA_INFO_DATA);
    // The peer is described as a whole link message: its own ifinfomsg, then attrs.
    let p = m.nest_start(VETH_INFO_PEER);
    m.push_header(&ifinfomsg(0, 0, 0));
    m.attr_str(IFLA_IFNAME, peer);
    m.attr_u32(IFLA_MTU, mtu);
    m.attr_u32(IFLA_NET_NS_FD, peer_netns_fd as u32);
    m.nest_end(p);
    m.nest_end(data);
    m.nest_end(info);
    m
}

/// A macvlan (mode bridge) or ipvlan (mode l2) link on `parent`, created in the
/// namespace of `netns_fd` as `name`.
pub fn msg_new_macvlan(kind: &str, parent: u32, name: &str, netns_fd: RawFd) -> NlMsg {
    let mut m = NlMsg::new(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    m.push_header(&ifinfomsg(0, 0, 0));
    m.attr_str(IFLA_IFNAME, name);
    m.attr_u32(IFLA_LINK, parent);
    m.attr_u32(IFLA_NET_NS_FD, netns_fd as u32);
    let info = m.nest_start(IFLA_LINKINFO);
    m.attr_str(IFLA_INFO_KIND, kind);
    let data = m.nest_start(IFLA_INFO_DATA);
    if kind == "ipvlan" {
        m.attr_u16(IFLA_IPVLAN_MODE, IPVLAN_MODE_L2);
    } else {
        m.attr_u32(IFLA_MACVLAN_MODE, MACVLAN_MODE_BRIDGE);
    }
    m.nest_end(data);
    m.nest_end(info);
    m
}

pub fn msg_del_link(name: &str) -> NlMsg {
    let mut m = NlMsg::new(RTM_DELLINK, 0);
    m.push_header(&ifinfomsg(0, 0, 0));
    m.attr_str(IFLA_IFNAME, name);
    m
}

pub fn msg_set_up(index: u32) -> NlMsg {
    let mut m = NlMsg::new(RTM_NEWLINK, 0);
    m.push_header(&ifinfomsg(index, IFF_UP, IFF_UP));
    m
}

pub fn msg_set_mtu(index: u32, mtu: u32) -> NlMsg {
    let mut m = NlMsg::new(RTM_NEWLINK, 0);
    m.push_header(&ifinfomsg(index, 0, 0));
    m.attr_u32(IFLA_MTU, mtu);
    m
}

pub fn msg_add_address(index: u32, addr: Ipv4Addr, prefix: u8) -> NlMsg {
    let mut m = NlMsg::new(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
    m.push_header(&ifaddrmsg(index, prefix));
    m.attr(IFA_LOCAL, &addr.octets());
    m.attr(IFA_ADDRESS, &addr.octets());
    m
}

pub fn msg_add_default_route(gateway: Ipv4Addr) -> NlMsg {
    let mut m = NlMsg::new(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
    m.push_header(&rtmsg(
        0,
        RT_TABLE_MAIN,
        RTPROT_BOOT,
        RT_SCOPE_UNIVERSE,
        RTN_UNICAST,
    ));
    m.attr(RTA_GATEWAY, &gateway.octets());
    m
}

pub fn msg_dump_routes() -> NlMsg {
    let mut m = NlMsg::new(RTM_GETROUTE, 0);
    m.push_header(&rtmsg(0, 0, 0, 0, 0));
    m
}

// ---- Parsers (pure) ----

/// A RTM_NEWLINK message's payload (ifinfomsg + attrs) -> LinkInfo.
pub fn parse_link(payload: &[u8]) -> Option<LinkInfo> {
    let index = nla_u32(payload.get(4..8)?)?;
    let flags = nla_u32(payload.get(8..12)?)?;
    let mut info = LinkInfo {
        index,
        mtu: 0,
        kind: None,
        up: flags & IFF_UP != 0,
        master: None,
    };
    for (ty, p) in attrs(payload.get(16..)?) {
        match ty {
            IFLA_MTU => info.mtu = nla_u32(p).unwrap_or(0),
            IFLA_MASTER => info.master = nla_u32(p).filter(|&m| m != 0),
            IFLA_LINKINFO => {
                for (ity, ip) in attrs(p) {
                    if ity == IFLA_INFO_KIND {
                        info.kind = nla_str(ip).map(str::to_string);
                    }
                }
            }
            _ => {}
        }
    }
    Some(info)
}

/// A RTM_NEWROUTE message's payload -> a main-table IPv4 route, or None.
pub fn parse_route(payload: &[u8]) -> Option<Route> {
    let h = payload.get(0..12)?;
    if h[0] != AF_INET {
        return None;
    }
    let mut table = h[4] as u32;
    let mut route = Route {
        dst: Ipv4Addr::UNSPECIFIED,
        prefix: h[1],
        oif: 0,
    };
    for (ty, p) in attrs(&payload[12..]) {
        match ty {
            RTA_DST => {
                let o: [u8; 4] = p.get(0..4)?.try_into().ok()?;
                route.dst = Ipv4Addr::from(o);
            }
            RTA_OIF => route.oif = nla_u32(p).unwrap_or(0),
            // Tables above 255 live only in RTA_TABLE.
            RTA_TABLE => table = nla_u32(p).unwrap_or(table),
            _ => {}
        }
    }
    (table == RT_TABLE_MAIN as u32).then_some(route)
}

// ---- Operations on a socket ----

/// The link named `name`, or None.
pub fn link_by_name(sock: &Socket, name: &str) -> Result<Option<LinkInfo>, Errno> {
    check_name(name)?;
    let mut found = None;
    let r = sock.request_with(msg_get_link(name), |m: &Msg| {
        if m.ty == RTM_NEWLINK && found.is_none() {
            found = parse_link(m.payload);
        }
    });
    match r {
        Ok(()) => Ok(found),
        Err(Errno(libc::ENODEV)) => Ok(None),
        Err(e) => Err(e),
    }
}

fn require_link(sock: &Socket, name: &str) -> Result<LinkInfo, Errno> {
    link_by_name(sock, name)?.ok_or(Errno(libc::ENODEV))
}

/// The bridge `name` with `gateway/prefix` on it, up. Idempotent; when two lite
/// processes race, the loser of the create finds the winner's bridge. A link of that
/// name that is not a bridge is EEXIST.
pub fn ensure_bridge(
    sock: &Socket,
    name: &str,
    gateway: Ipv4Addr,
    prefix: u8,
) -> Result<BridgeState, Errno> {
    check_name(name)?;
    if prefix > 32 {
        return Err(Errno(libc::EINVAL));
    }
    // 1. Find it, or create it (EEXIST: another process just did).
    let mut created = false;
    let link = match link_by_name(sock, name)? {
        Some(l) => l,
        None => {
            match sock.request(msg_new_bridge(name)) {
                Ok(()) => created = true,
                Err(Errno(libc::EEXIST)) => {}
                Err(e) => return Err(e),
            }
            require_link(sock, name)?
        }
    };
    if link.kind.as_deref() != Some("bridge") {
        return Err(Errno(libc::EEXIST));
    }
    // 2. The gateway address: EEXIST means it is there already.
    match add_address(sock, link.index, gateway, prefix) {
        Ok(()) | Err(Errno(libc::EEXIST)) => {}
        Err(e) => return Err(e),
    }
    // 3. Up.
    if !link.up {
        set_up(sock, link.index)?;
    }
    Ok(BridgeState {
        index: link.index,
        mtu: link.mtu,
        created,
    })
}

/// A veth pair: `host_name` here, a port of `master_index`, up; `peer_name` in the
/// namespace of `peer_netns_fd` (configured later from inside, `configure_inside`).
pub fn create_veth(
    sock: &Socket,
    host_name: &str,
    peer_name: &str,
    peer_netns_fd: RawFd,
    mtu: u32,
    master_index: u32,
) -> Result<(), Errno> {
    check_name(host_name)?;
    check_name(peer_name)?;
    sock.request(msg_new_veth(
        host_name,
        peer_name,
        peer_netns_fd,
        mtu,
        master_index,
    ))?;
    let host = require_link(sock, host_name)?;
    set_up(sock, host.index)
}

/// A macvlan ("macvlan", mode bridge) or ipvlan ("ipvlan", mode l2) link on the host's
/// `parent_index`, created as `name` in the namespace of `netns_fd`.
pub fn create_macvlan(
    sock: &Socket,
    kind: &str,
    parent_index: u32,
    name: &str,
    netns_fd: RawFd,
) -> Result<(), Errno> {
    if kind != "macvlan" && kind != "ipvlan" {
        return Err(Errno(libc::EINVAL));
    }
    check_name(name)?;
    sock.request(msg_new_macvlan(kind, parent_index, name, netns_fd))
}

/// Deletes the link `name`; false when there is none.
pub fn delete_link(sock: &Socket, name: &str) -> Result<bool, Errno> {
    check_name(name)?;
    match sock.request(msg_del_link(name)) {
        Ok(()) => Ok(true),
        Err(Errno(libc::ENODEV)) => Ok(false),
        Err(e) => Err(e),
    }
}

pub fn set_up(sock: &Socket, index: u32) -> Result<(), Errno> {
    sock.request(msg_set_up(index))
}

pub fn set_mtu(sock: &Socket, index: u32, mtu: u32) -> Result<(), Errno> {
    sock.request(msg_set_mtu(index, mtu))
}

pub fn add_address(sock: &Socket, index: u32, addr: Ipv4Addr, prefix: u8) -> Result<(), Errno> {
    if prefix > 32 {
        return Err(Errno(libc::EINVAL));
    }
    sock.request(msg_add_address(index, addr, prefix))
}

pub fn add_default_route(sock: &Socket, gateway: Ipv4Addr) -> Result<(), Errno> {
    sock.request(msg_add_default_route(gateway))
}

/// eth0 inside the container, through the socket the child opened there: lo up, the
/// address, the link up, then the default route (which needs the link up and its
/// subnet's route, made by the address). An address or route already there is fine.
pub fn configure_inside(
    sock: &Socket,
    ifname: &str,
    addr: Ipv4Addr,
    prefix: u8,
    gateway: Option<Ipv4Addr>,
) -> Result<(), Errno> {
    // 1. lo (the child may bring it up too; up twice is harmless).
    if let Some(lo) = link_by_name(sock, "lo")? {
        if !lo.up {
            set_up(sock, lo.index)?;
        }
    }
    // 2. The interface lite created in this namespace.
    let link = require_link(sock, ifname)?;
    // 3. Address, up, route.
    match add_address(sock, link.index, addr, prefix) {
        Ok(()) | Err(Errno(libc::EEXIST)) => {}
        Err(e) => return Err(e),
    }
    set_up(sock, link.index)?;
    if let Some(gw) = gateway {
        match add_default_route(sock, gw) {
            Ok(()) | Err(Errno(libc::EEXIST)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The IPv4 routes of the main table (a new bridge's subnet must not overlap one).
pub fn ipv4_routes(sock: &Socket) -> Result<Vec<Route>, Errno> {
    let mut routes = Vec::new();
    sock.dump(msg_dump_routes(), |m: &Msg| {
        if m.ty == RTM_NEWROUTE {
            if let Some(r) = parse_route(m.payload) {
                routes.push(r);
            }
        }
    })?;
    Ok(routes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::netlink::{NLA_F_NESTED, NLM_F_REQUEST};

    /// Builds expected bytes field by field.
    #[derive(Default)]
    struct Bytes(Vec<u8>);
    impl Bytes {
        fn u8s(mut self, b: &[u8]) -> Self {
            self.0.extend_from_slice(b);
            self
        }
        fn u16(self, v: u16) -> Self {
            self.u8s(&v.to_ne_bytes())
        }
        fn u32(self, v: u32) -> Self {
            self.u8s(&v.to_ne_bytes())
        }
        fn nlhdr(self, len: u32, ty: u16, flags: u16) -> Self {
            self.u32(len)
                .u16(ty)
                .u16(flags | NLM_F_REQUEST)
                .u32(0)
                .u32(0)
        }
        fn nla(self, len: u16, ty: u16) -> Self {
            self.u16(len).u16(ty)
        }
    }

    #[test]
    fn new_bridge_bytes() {
        let m = msg_new_bridge("lite0");
        let want = Bytes::default()
            .nlhdr(16 + 16 + 12 + 16, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL)
            .u8s(&[0; 16])
            .nla(10, IFLA_IFNAME)
            .u8s(b"lite0\0\0\0")
            .nla(16, IFLA_LINKINFO | NLA_F_NESTED)
            .nla(11, IFLA_INFO_KIND)
            .u8s(b"bridge\0\0");
        assert_eq!(m.bytes(), &want.0[..]);
    }

    #[test]
    fn new_veth_bytes() {
        let m = msg_new_veth("lv-abc", "eth0", 9, 1500, 7);
        let peer_len = 4 + 16 + 12 + 8 + 8;
        let data_len = 4 + peer_len;
        let info_len = 4 + 12 + data_len;
        let total = 16 + 16 + 12 + 8 + 8 + info_len;
        let want = Bytes::default()
            .nlhdr(total as u32, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL)
            .u8s(&[0; 16])
            .nla(11, IFLA_IFNAME)
            .u8s(b"lv-abc\0\0")
            .nla(8, IFLA_MTU)
            .u32(1500)
            .nla(8, IFLA_MASTER)
            .u32(7)
            .nla(info_len as u16, IFLA_LINKINFO | NLA_F_NESTED)
            .nla(9, IFLA_INFO_KIND)
            .u8s(b"veth\0\0\0\0")
            .nla(data_len as u16, IFLA_INFO_DATA | NLA_F_NESTED)
            .nla(peer_len as u16, VETH_INFO_PEER | NLA_F_NESTED)
            .u8s(&[0; 16])
            .nla(9, IFLA_IFNAME)
            .u8s(b"eth0\0\0\0\0")
            .nla(8, IFLA_MTU)
            .u32(1500)
            .nla(8, IFLA_NET_NS_FD)
            .u32(9);
        assert_eq!(m.bytes(), &want.0[..]);
    }

    #[test]
    fn macvlan_and_ipvlan_modes() {
        let m = msg_new_macvlan("macvlan", 2, "eth0", 5);
        let b = m.bytes();
        // ... IFLA_INFO_DATA { IFLA_MACVLAN_MODE u32 bridge } closes the message.
        let tail = Bytes::default()
            .nla(12, IFLA_INFO_DATA | NLA_F_NESTED)
            .nla(8, IFLA_MACVLAN_MODE)
            .u32(MACVLAN_MODE_BRIDGE);
        assert!(b.ends_with(&tail.0), "{b:?}");
        let link = Bytes::default()
            .nla(8, IFLA_LINK)
            .u32(2)
            .nla(8, IFLA_NET_NS_FD)
            .u32(5);
        assert_eq!(&b[32 + 12..32 + 12 + 16], &link.0[..]);
        let m = msg_new_macvlan("ipvlan", 2, "eth0", 5);
        let tail = Bytes::default()
            .nla(12, IFLA_INFO_DATA | NLA_F_NESTED)
            .nla(6, IFLA_IPVLAN_MODE)
            .u16(IPVLAN_MODE_L2)
            .u16(0);
        assert!(m.bytes().ends_with(&tail.0));
    }

    #[test]
    fn address_route_and_link_changes() {
        let m = msg_add_address(4, Ipv4Addr::new(10, 88, 0, 2), 16);
        let want = Bytes::default()
            .nlhdr(16 + 8 + 8 + 8, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL)
            .u8s(&[AF_INET, 16, 0, 0])
            .u32(4)
            .nla(8, IFA_LOCAL)
            .u8s(&[10, 88, 0, 2])
            .nla(8, IFA_ADDRESS)
            .u8s(&[10, 88, 0, 2]);
        assert_eq!(m.bytes(), &want.0[..]);

        let m = msg_add_default_route(Ipv4Addr::new(10, 88, 0, 1));
        let want = Bytes::default()
            .nlhdr(16 + 12 + 8, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL)
            .u8s(&[
                AF_INET,
                0,
                0,
                0,
                254,
                RTPROT_BOOT,
                0,
                RTN_UNICAST,
                0,
                0,
                0,
                0,
            ])
            .nla(8, RTA_GATEWAY)
            .u8s(&[10, 88, 0, 1]);
        assert_eq!(m.bytes(), &want.0[..]);

        let m = msg_set_up(3);
        let want = Bytes::default()
            .nlhdr(32, RTM_NEWLINK, 0)
            .u8s(&[0; 4])
            .u32(3)
            .u32(IFF_UP)
            .u32(IFF_UP);
        assert_eq!(m.bytes(), &want.0[..]);

        let m = msg_set_mtu(3, 9000);
        assert!(m
            .bytes()
            .ends_with(&Bytes::default().nla(8, IFLA_MTU).u32(9000).0));
        let m = msg_del_link("lv-abc");
        assert_eq!(m.bytes()[4..6], RTM_DELLINK.to_ne_bytes());
    }

    #[test]
    fn parses_a_link_message() {
        // What the kernel sends back for a bridge port: ifinfomsg + attrs.
        let payload = Bytes::default()
            .u8s(&[0, 0])
            .u16(1) // ARPHRD_ETHER
            .u32(12)
            .u32(IFF_UP | 0x1000)
            .u32(0)
            .nla(8, IFLA_IFNAME)
            .u8s(b"abc\0")
            .nla(8, IFLA_MTU)
            .u32(1400)
            .nla(8, IFLA_MASTER)
            .u32(5)
            .nla(16, IFLA_LINKINFO | NLA_F_NESTED)
            .nla(9, IFLA_INFO_KIND)
            .u8s(b"veth\0\0\0\0");
        assert_eq!(
            parse_link(&payload.0),
            Some(LinkInfo {
                index: 12,
                mtu: 1400,
                kind: Some("veth".into()),
                up: true,
                master: Some(5)
            })
        );
        assert_eq!(parse_link(&[0; 8]), None);
    }

    #[test]
    fn parses_routes_of_the_main_table_only() {
        let route = |table: u8, dst: Option<[u8; 4]>, len: u8| {
            let mut b = Bytes::default().u8s(&[AF_INET, len, 0, 0, table, 3, 0, 1, 0, 0, 0, 0]);
            if let Some(d) = dst {
                b = b.nla(8, RTA_DST).u8s(&d);
            }
            b.nla(8, RTA_TABLE)
                .u32(table as u32)
                .nla(8, RTA_OIF)
                .u32(2)
                .0
        };
        assert_eq!(
            parse_route(&route(254, Some([192, 168, 1, 0]), 24)),
            Some(Route {
                dst: Ipv4Addr::new(192, 168, 1, 0),
                prefix: 24,
                oif: 2
            })
        );
        assert_eq!(
            parse_route(&route(254, None, 0)),
            Some(Route {
                dst: Ipv4Addr::UNSPECIFIED,
                prefix: 0,
                oif: 2
            })
        );
        assert_eq!(parse_route(&route(255, Some([127, 0, 0, 1]), 32)), None);
        let mut v6 = route(254, None, 0);
        v6[0] = libc::AF_INET6 as u8;
        assert_eq!(parse_route(&v6), None);
    }

    #[test]
    fn names_are_checked_before_any_message() {
        assert_eq!(check_name("lite0"), Ok(()));
        assert_eq!(check_name("0123456789abcdef"), Err(Errno(libc::EINVAL)));
        assert_eq!(check_name(""), Err(Errno(libc::EINVAL)));
        assert_eq!(check_name("0123456789abcde"), Ok(()));
        for bad in ["a/b", "a:1", "a b", "a\tb", "a\0", ".", ".."] {
            assert_eq!(check_name(bad), Err(Errno(libc::EINVAL)), "{bad:?}");
        }
        assert_eq!(kind_missing_option("ipvlan"), "CONFIG_IPVLAN");
        assert_eq!(kind_missing_option("bridge"), "CONFIG_BRIDGE");
    }

    // ---- Root tests: in network namespaces of their own threads, never the host's ----

    use std::os::fd::{AsRawFd, OwnedFd};
    use std::sync::mpsc;

    fn is_root() -> bool {
        unsafe { libc::geteuid() == 0 }
    }

    /// Moves the calling thread (only) into a new network namespace.
    fn unshare_net() {
        let r = unsafe { libc::unshare(libc::CLONE_NEWNET) };
        assert_eq!(
            r,
            0,
            "unshare(CLONE_NEWNET): {}",
            std::io::Error::last_os_error()
        );
    }

    /// A thread in a second network namespace: it answers with an fd of its namespace
    /// and then runs `inside` for each job sent, until the sender is dropped.
    type Job = Box<dyn FnOnce() + Send>;
    fn second_netns() -> (OwnedFd, mpsc::Sender<Job>, std::thread::JoinHandle<()>) {
        let (fd_tx, fd_rx) = mpsc::channel();
        let (job_tx, job_rx) = mpsc::channel::<Job>();
        let h = std::thread::spawn(move || {
            unshare_net();
            let f = std::fs::File::open("/proc/thread-self/ns/net").unwrap();
            fd_tx.send(OwnedFd::from(f)).unwrap();
            for job in job_rx {
                job();
            }
        });
        (fd_rx.recv().unwrap(), job_tx, h)
    }

    /// Runs `f` in the second namespace's thread and returns its result.
    fn inside<T: Send + 'static>(
        tx: &mpsc::Sender<Job>,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        let (rtx, rrx) = mpsc::channel();
        tx.send(Box::new(move || {
            let _ = rtx.send(f());
        }))
        .unwrap();
        rrx.recv().unwrap()
    }

    /// As root, runs `f` on a thread of its own in a new network namespace, with a
    /// route socket there; skipped otherwise.
    fn as_root_in_new_netns(f: impl FnOnce(Socket) + Send + 'static) {
        if !is_root() {
            return;
        }
        std::thread::spawn(|| {
            unshare_net();
            f(Socket::open(libc::NETLINK_ROUTE).unwrap())
        })
        .join()
        .unwrap();
    }

    #[test]
    fn root_bridge_veth_and_inside_configuration() {
        as_root_in_new_netns(|sock| {
            let gw = Ipv4Addr::new(10, 213, 0, 1);

            // The bridge: created once, found the second time.
            let b = ensure_bridge(&sock, "ltest0", gw, 24).unwrap();
            assert!(b.created);
            let again = ensure_bridge(&sock, "ltest0", gw, 24).unwrap();
            assert!(!again.created);
            assert_eq!(again.index, b.index);
            let link = link_by_name(&sock, "ltest0").unwrap().unwrap();
            assert_eq!(link.kind.as_deref(), Some("bridge"));
            assert!(link.up);
            let routes = ipv4_routes(&sock).unwrap();
            assert!(
                routes.contains(&Route {
                    dst: Ipv4Addr::new(10, 213, 0, 0),
                    prefix: 24,
                    oif: b.index
                }),
                "{routes:?}"
            );

            // The veth pair, its peer born in the second namespace.
            let (ns, jobs, h) = second_netns();
            create_veth(&sock, "lv-test", "eth0", ns.as_raw_fd(), 1400, b.index).unwrap();
            let host = link_by_name(&sock, "lv-test").unwrap().unwrap();
            assert_eq!(host.master, Some(b.index));
            assert_eq!(host.mtu, 1400);
            assert!(host.up);
            assert_eq!(
                link_by_name(&sock, "eth0").unwrap(),
                None,
                "not on this side"
            );
            // A second veth of the same name: EEXIST.
            assert_eq!(
                create_veth(&sock, "lv-test", "eth1", ns.as_raw_fd(), 1400, b.index),
                Err(Errno(libc::EEXIST))
            );

            // Inside, through a socket opened there (as the child does).
            let (eth0, routes) = inside(&jobs, move || {
                let s = Socket::open(libc::NETLINK_ROUTE).unwrap();
                configure_inside(&s, "eth0", Ipv4Addr::new(10, 213, 0, 2), 24, Some(gw)).unwrap();
                // Twice is fine.
                configure_inside(&s, "eth0", Ipv4Addr::new(10, 213, 0, 2), 24, Some(gw)).unwrap();
                let lo = link_by_name(&s, "lo").unwrap().unwrap();
                assert!(lo.up);
                (
                    link_by_name(&s, "eth0").unwrap().unwrap(),
                    ipv4_routes(&s).unwrap(),
                )
            });
            assert!(eth0.up);
            assert_eq!(eth0.mtu, 1400);
            assert_eq!(eth0.kind.as_deref(), Some("veth"));
            assert!(
                routes.contains(&Route {
                    dst: Ipv4Addr::UNSPECIFIED,
                    prefix: 0,
                    oif: eth0.index
                }),
                "{routes:?}"
            );
            assert!(routes
                .iter()
                .any(|r| r.dst == Ipv4Addr::new(10, 213, 0, 0) && r.prefix == 24));

            // Deleting the host end takes the peer with it.
            assert_eq!(delete_link(&sock, "lv-test"), Ok(true));
            assert_eq!(delete_link(&sock, "lv-test"), Ok(false));
            let gone = inside(&jobs, || {
                let s = Socket::open(libc::NETLINK_ROUTE).unwrap();
                link_by_name(&s, "eth0").unwrap()
            });
            assert_eq!(gone, None);
            drop(jobs);
            h.join().unwrap();

            // A name taken by something else than a bridge.
            assert_eq!(ensure_bridge(&sock, "lo", gw, 24), Err(Errno(libc::EEXIST)));
            assert_eq!(delete_link(&sock, "ltest0"), Ok(true));
        });
    }

    #[test]
    fn root_macvlan_and_a_missing_kind() {
        as_root_in_new_netns(|sock| {
            // A parent for the macvlan: a dummy-free choice, a bridge of this namespace.
            let parent = ensure_bridge(&sock, "ltestp", Ipv4Addr::new(10, 214, 0, 1), 24).unwrap();
            let (ns, jobs, h) = second_netns();
            match create_macvlan(&sock, "macvlan", parent.index, "eth0", ns.as_raw_fd()) {
                Ok(()) => {
                    let l = inside(&jobs, || {
                        let s = Socket::open(libc::NETLINK_ROUTE).unwrap();
                        link_by_name(&s, "eth0").unwrap()
                    });
                    eprintln!("macvlan: created");
                    assert_eq!(l.and_then(|l| l.kind).as_deref(), Some("macvlan"));
                }
                Err(e) => {
                    eprintln!("macvlan: errno {}", e.0);
                    assert!(is_kind_missing(e), "macvlan: {e:?}");
                }
            }
            // ipvlan: this test machine's kernel has none; whatever the answer, a
            // missing driver must be recognised as such.
            match create_macvlan(&sock, "ipvlan", parent.index, "eth1", ns.as_raw_fd()) {
                Ok(()) => {}
                Err(e) => {
                    eprintln!("ipvlan: errno {}", e.0);
                    assert!(is_kind_missing(e), "ipvlan: {e:?}");
                }
            }
            drop(jobs);
            h.join().unwrap();
        });
    }
}
