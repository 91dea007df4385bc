//! The client's address: the TCP peer, or, only when the peer is a trusted
//! proxy, the right-most `X-Forwarded-For` entry that is not itself trusted.

use std::net::IpAddr;

use ipnet::IpNet;

/// What the server knows about the device making a request.
#[derive(Clone, Debug, Default)]
pub(crate) struct ClientInfo {
    pub ip_address: Option<IpAddr>,
    pub user_agent: Option<String>,
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
        let Ok(ip) = entry.trim().parse::<IpAddr>().map(canonical) else {
            return Some(nearest);
        };
        if !is_trusted(&ip) {
            return Some(ip);
        }
        nearest = ip;
    }
    Some(nearest)
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
