//! `X-Forwarded-For` as a client (or a proxy) sends it: no panic, and the
//! address chosen is the peer or one written in the header.
#![no_main]

use std::net::IpAddr;

use authql::auth::client::client_address;
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
        .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
        .any(|ip| ip == chosen || ip.to_canonical() == chosen);
    assert!(chosen == peer || written, "{chosen} from {forwarded_for:?}");
});
