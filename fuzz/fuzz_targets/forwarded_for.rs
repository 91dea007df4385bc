//! `X-Forwarded-For` as a client (or a proxy) sends it: no panic, and the
//! address chosen is the peer or one written in the header (bare, with a
//! port, or in brackets).
#![no_main]

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use authql::core::client::client_address;
use ipnet::IpNet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(forwarded_for) = std::str::from_utf8(data) else {
        return;
    };
    let peer: IpAddr = "10.0.0.1".parse().expect("an address");
    let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("a net")];
    let chosen = client_address(Some(peer), Some(forwarded_for), &trusted).expect("an address");
    let written = forwarded_for
        .split(',')
        .filter_map(|entry| written_address(entry.trim()))
        .any(|ip| ip == chosen || ip.to_canonical() == chosen);
    assert!(chosen == peer || written, "{chosen} from {forwarded_for:?}");
});

/// The address an entry names, by the standard library's parsers.
fn written_address(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|with_port| with_port.ip()))
        .or_else(|| {
            let bracketed = entry.strip_prefix('[')?.strip_suffix(']')?;
            bracketed.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
        })
}
