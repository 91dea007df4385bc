//! The client's address: the TCP peer, or, only when the peer is a trusted
//! proxy, the right-most `X-Forwarded-For` entry that is not itself trusted.
//!
//! Proxies do not agree on how they write an entry: some add the client's
//! port (`203.0.113.9:4711`, `[2001:db8::1]:443`), some put brackets around
//! an IPv6 address (`[2001:db8::1]`). The address is what counts; an entry
//! read as unreadable would fall back to the proxy's own address and put
//! every client behind that proxy in one throttle bucket.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use ipnet::IpNet;

use crate::core::devices::cookie::DeviceCookie;

/// What the server knows about the device making a request.
#[derive(Clone, Debug, Default)]
pub(crate) struct ClientInfo {
    pub ip_address: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// The device id of its `authql_device` cookie (see `devices::known`).
    pub device_cookie: DeviceCookie,
    /// `Sec-CH-UA` as sent: the browser's brands (see `core::devices`).
    pub brands_hint: Option<String>,
    /// `Sec-CH-UA-Platform` as sent: the browser's operating system.
    pub platform_hint: Option<String>,
}

/// The client's address as the contract defines it.
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted_proxies: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer.map(canonical)?;
    let is_trusted = |ip: &IpAddr| trusted_proxies.iter().any(|net| net.contains(ip));
    let Some(forwarded_for) = forwarded_for.filter(|_| is_trusted_proxy(peer, trusted_proxies))
    else {
        return Some(peer);
    };
    let mut nearest = peer;
    for entry in forwarded_for.rsplit(',') {
        // An entry we cannot read was written by someone we do not trust;
        // the last trusted hop is the best we know.
        let Some(ip) = forwarded_address(entry).map(canonical) else {
            return Some(nearest);
        };
        if !is_trusted(&ip) {
            return Some(ip);
        }
        nearest = ip;
    }
    Some(nearest)
}

/// The address of one `X-Forwarded-For` entry: a bare address, an address
/// with a port, or a bracketed IPv6 address with or without a port.
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(with_port) = entry.parse::<SocketAddr>() {
        return Some(with_port.ip());
    }
    let bracketed = entry.strip_prefix('[')?.strip_suffix(']')?;
    bracketed.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
}

/// Whether the TCP peer is one of `TRUSTED_PROXIES`, whose forwarding
/// headers are believed.
pub fn is_trusted_proxy(peer: IpAddr, trusted_proxies: &[IpNet]) -> bool {
    let peer = canonical(peer);
    trusted_proxies.iter().any(|net| net.contains(&peer))
}

/// The address the login limits count a client under: an IPv6 address as
/// the first address of its /64 (the allotment of one host or site, which
/// can pick any address in it), an IPv4-mapped one as its IPv4 address,
/// another IPv4 address as itself.
pub(crate) fn throttle_bucket(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(network))
        }
        v4 @ IpAddr::V4(_) => v4,
    }
}

/// The network the new-device rule compares (the contract's "Devices"): an
/// IPv4 address's /24, an IPv6 address's /48 (a site's usual allotment,
/// where a /64 would change with every network of one home or office), an
/// IPv4-mapped one as its IPv4 address.
pub(crate) fn alert_network(ip: IpAddr) -> IpNet {
    let prefix = match canonical(ip) {
        IpAddr::V4(_) => 24,
        IpAddr::V6(_) => 48,
    };
    // Both prefixes are within their family's length, so `new` cannot fail.
    IpNet::new(canonical(ip), prefix).map_or(IpNet::from(canonical(ip)), |net| net.trunc())
}

/// Whether two stored client addresses are in one network
/// ([`alert_network`]). Two unknown addresses count as one network (a
/// server that is told no addresses compares device names only); an
/// unknown and a known one, or text that is no address, do not.
pub(crate) fn same_network(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => match (a.parse::<IpAddr>(), b.parse::<IpAddr>()) {
            (Ok(a), Ok(b)) => alert_network(a) == alert_network(b),
            _ => false,
        },
        _ => false,
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) shown as plain IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_are_ipv4_slash_24_and_ipv6_slash_48() {
        let same = |a, b| same_network(Some(a), Some(b));
        assert!(same("203.0.113.7", "203.0.113.250"));
        assert!(!same("203.0.113.7", "203.0.114.7"));
        assert!(same("::ffff:203.0.113.7", "203.0.113.9"));
        assert!(same("2001:db8:1:aaaa::1", "2001:db8:1:bbbb::2"));
        assert!(!same("2001:db8:1::1", "2001:db8:2::1"));
        assert!(!same("203.0.113.7", "2001:db8::1"));
        assert!(!same("203.0.113.7", "not an address"));
        assert!(same_network(None, None));
        assert!(!same_network(Some("203.0.113.7"), None));
        assert_eq!(
            alert_network(ip("198.51.100.77")).to_string(),
            "198.51.100.0/24"
        );
        assert_eq!(
            alert_network(ip("2001:db8:5:6::7")).to_string(),
            "2001:db8:5::/48"
        );
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn untrusted_peer_is_taken_as_is() {
        let got = client_address(
            Some(ip("203.0.113.9")),
            Some("1.2.3.4"),
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(got, Some(ip("203.0.113.9")));
    }

    #[test]
    fn trusted_peer_yields_rightmost_untrusted_entry() {
        let trusted = nets(&["10.0.0.0/8"]);
        let got = client_address(
            Some(ip("10.0.0.2")),
            Some("6.6.6.6, 198.51.100.7, 10.0.0.5"),
            &trusted,
        );
        assert_eq!(got, Some(ip("198.51.100.7")));
    }

    #[test]
    fn garbage_entry_stops_at_the_last_trusted_hop() {
        let trusted = nets(&["10.0.0.0/8"]);
        let got = client_address(
            Some(ip("10.0.0.2")),
            Some("1.1.1.1, nonsense, 10.0.0.5"),
            &trusted,
        );
        assert_eq!(got, Some(ip("10.0.0.5")));
    }

    #[test]
    fn entries_with_a_port_or_brackets_are_their_address() {
        let trusted = nets(&["10.0.0.0/8"]);
        for (entry, client) in [
            ("203.0.113.9:4711", "203.0.113.9"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("[2001:db8::1]", "2001:db8::1"),
            (" [::ffff:192.0.2.1]:80 ", "192.0.2.1"),
        ] {
            let got = client_address(Some(ip("10.0.0.2")), Some(entry), &trusted);
            assert_eq!(got, Some(ip(client)), "{entry}");
        }
        // A trusted hop written with a port is still skipped.
        let got = client_address(
            Some(ip("10.0.0.2")),
            Some("198.51.100.7:5000, 10.0.0.5:8080"),
            &trusted,
        );
        assert_eq!(got, Some(ip("198.51.100.7")));
    }

    #[test]
    fn malformed_ports_and_brackets_are_unreadable() {
        let trusted = nets(&["10.0.0.0/8"]);
        for entry in [
            "203.0.113.9:",
            "203.0.113.9:99999",
            "[203.0.113.9]",
            "[2001:db8::1",
            "2001:db8::1]:443",
            "[2001:db8::1]:x",
            "[]",
        ] {
            let got = client_address(Some(ip("10.0.0.2")), Some(entry), &trusted);
            assert_eq!(got, Some(ip("10.0.0.2")), "{entry}");
        }
    }

    #[test]
    fn limits_count_ipv6_by_its_64() {
        assert_eq!(
            throttle_bucket(ip("2001:db8:1:2:aaaa::9")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(
            throttle_bucket(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")),
            ip("2001:db8:1:2::")
        );
        assert_ne!(
            throttle_bucket(ip("2001:db8:1:3::1")),
            throttle_bucket(ip("2001:db8:1:2::1"))
        );
        assert_eq!(throttle_bucket(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(throttle_bucket(ip("192.0.2.1")), ip("192.0.2.1"));
    }

    #[test]
    fn mapped_ipv6_is_shown_as_ipv4() {
        assert_eq!(
            client_address(Some(ip("::ffff:192.0.2.1")), None, &[]),
            Some(ip("192.0.2.1"))
        );
    }
}
