//! Container networking from the addon: rtnetlink for links, addresses and routes,
//! nf_tables netlink for NAT and published ports. No `ip`, `iptables` or `nft` binary
//! is needed on the board (DESIGN §12).

pub mod netlink;
pub mod nft;
#[cfg(feature = "napi-addon")]
pub mod nft_napi;
pub mod rtnl;
