//! Sockets that are open but have not yet sent `connection_init`: bounded
//! on the replica and per client address, so that unauthenticated sockets
//! (which cost a descriptor and a task each for up to
//! `WS_INIT_TIMEOUT_SECS`) can neither exhaust the process nor let one
//! client crowd out everyone else's handshakes. Past either bound the
//! handshake is answered 503 before it becomes a socket.
//!
//! The address is the client address of the contract (`TRUSTED_PROXIES`
//! rules); IPv6 clients count by their /64, which one client usually holds
//! whole.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

use parking_lot::{Mutex, MutexGuard};

/// Sockets waiting for `connection_init` on one replica, at most.
pub(crate) const MAX_WAITING: usize = 1024;
/// Sockets waiting for `connection_init` from one client address, at most.
pub(crate) const MAX_WAITING_PER_ADDRESS: usize = 64;

/// The sockets waiting for `connection_init`, counted.
#[derive(Clone, Default)]
pub(crate) struct InitWaiting {
    counts: Arc<Mutex<Counts>>,
}

#[derive(Default)]
struct Counts {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// One socket's place among the waiting; dropping it (at its
/// `connection_init` or its close) gives the place back.
pub(crate) struct Waiting {
    counts: Arc<Mutex<Counts>>,
    address: Option<IpAddr>,
}

/// A bound is reached: the handshake is refused.
#[derive(Debug)]
pub(crate) struct TooManyWaiting;

impl InitWaiting {
    /// Takes a place for a socket from `address` (None when the server
    /// cannot tell, which counts toward the replica's bound only).
    pub(crate) fn enter(&self, address: Option<IpAddr>) -> Result<Waiting, TooManyWaiting> {
        let address = address.map(bucket);
        let mut counts = lock(&self.counts);
        if counts.total >= MAX_WAITING {
            return Err(TooManyWaiting);
        }
        if let Some(address) = address {
            let from_there = counts.by_address.entry(address).or_default();
            if *from_there >= MAX_WAITING_PER_ADDRESS {
                return Err(TooManyWaiting);
            }
            *from_there += 1;
        }
        counts.total += 1;
        Ok(Waiting {
            counts: self.counts.clone(),
            address,
        })
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let mut counts = lock(&self.counts);
        counts.total = counts.total.saturating_sub(1);
        if let Some(address) = self.address
            && let Some(from_there) = counts.by_address.get_mut(&address)
        {
            *from_there = from_there.saturating_sub(1);
            if *from_there == 0 {
                counts.by_address.remove(&address);
            }
        }
    }
}

fn lock(counts: &Mutex<Counts>) -> MutexGuard<'_, Counts> {
    counts.lock()
}

/// What an address counts as: itself for IPv4, its /64 for IPv6.
fn bucket(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn one_address_is_bounded_and_places_come_back() {
        let waiting = InitWaiting::default();
        let held: Vec<Waiting> = (0..MAX_WAITING_PER_ADDRESS)
            .map(|_| waiting.enter(Some(ip("203.0.113.9"))).expect("room"))
            .collect();
        assert!(waiting.enter(Some(ip("203.0.113.9"))).is_err());
        assert!(waiting.enter(Some(ip("203.0.113.10"))).is_ok());
        drop(held);
        assert!(waiting.enter(Some(ip("203.0.113.9"))).is_ok());
    }

    #[test]
    fn an_ipv6_client_counts_by_its_64() {
        let waiting = InitWaiting::default();
        let _held: Vec<Waiting> = (0..MAX_WAITING_PER_ADDRESS)
            .map(|n| {
                waiting
                    .enter(Some(ip(&format!("2001:db8::{n:x}"))))
                    .expect("room")
            })
            .collect();
        assert!(waiting.enter(Some(ip("2001:db8::ffff:1"))).is_err());
        assert!(waiting.enter(Some(ip("2001:db8:0:1::1"))).is_ok());
    }

    #[test]
    fn the_replica_is_bounded() {
        let waiting = InitWaiting::default();
        let _held: Vec<Waiting> = (0..MAX_WAITING)
            .map(|_| waiting.enter(None).expect("room"))
            .collect();
        assert!(waiting.enter(Some(ip("198.51.100.1"))).is_err());
    }
}
