//! At most [`CHECKS_PER_ADDRESS`] password checks from one client address at
//! a time, in this process.
//!
//! The hashing threads take jobs first come, first served. Without a bound
//! per address, one address that sends a flood of junk logins (no account
//! needed) fills the queue, and a right login from anywhere else waits
//! behind all of it. With the bound, the flood holds at most two places in
//! the queue; the rest of it waits here, behind its own checks, and a login
//! from another address waits for no more than the checks already under way.
//! Addresses are keyed as the login limits key them (an IPv6 address by its
//! /64). A gate is forgotten once no check of its address holds or awaits it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::auth::client::throttle_bucket;

/// Password checks one client address may have in flight at once.
pub(crate) const CHECKS_PER_ADDRESS: usize = 2;

/// The gates of the addresses with checks in flight or waiting.
#[derive(Default)]
pub(crate) struct AddressGates {
    gates: Arc<Mutex<HashMap<IpAddr, Arc<Semaphore>>>>,
}

/// The gate did not open before the deadline.
#[derive(Debug)]
pub(crate) struct GateClosed;

/// A turn of one address's gate; dropping it lets the next check through.
pub(crate) struct AddressTurn {
    permit: Option<OwnedSemaphorePermit>,
    gate: Option<Arc<Semaphore>>,
    bucket: IpAddr,
    gates: Arc<Mutex<HashMap<IpAddr, Arc<Semaphore>>>>,
}

impl AddressGates {
    /// Waits, until `deadline` at most, for a turn of `ip`'s gate.
    pub(crate) async fn enter(
        &self,
        ip: IpAddr,
        deadline: Instant,
    ) -> Result<AddressTurn, GateClosed> {
        let bucket = throttle_bucket(ip);
        let gate = self
            .gates
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(bucket)
            .or_insert_with(|| Arc::new(Semaphore::new(CHECKS_PER_ADDRESS)))
            .clone();
        // The turn exists before the wait, so that a wait cut short (the
        // deadline, or a dropped future) forgets an unused gate too.
        let mut turn = AddressTurn {
            permit: None,
            gate: Some(gate.clone()),
            bucket,
            gates: self.gates.clone(),
        };
        match tokio::time::timeout_at(deadline, gate.acquire_owned()).await {
            Ok(Ok(permit)) => {
                turn.permit = Some(permit);
                Ok(turn)
            }
            // Never closed; and past the deadline, refused alike.
            Ok(Err(_)) | Err(_) => Err(GateClosed),
        }
    }

    /// How many addresses have a gate now (for tests).
    #[cfg(test)]
    fn open_gates(&self) -> usize {
        self.gates
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl Drop for AddressTurn {
    fn drop(&mut self) {
        drop(self.permit.take());
        let Some(gate) = self.gate.take() else {
            return;
        };
        let mut gates = self.gates.lock().unwrap_or_else(PoisonError::into_inner);
        // Clones are only made under this lock: the map's and this one left
        // means no one else holds or awaits the gate.
        if Arc::strong_count(&gate) == 2 {
            gates.remove(&self.bucket);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[tokio::test]
    async fn two_turns_per_address_and_others_unaffected() {
        let gates = AddressGates::default();
        let soon = || Instant::now() + Duration::from_millis(50);
        let first = gates.enter(ip("2001:db8::1"), soon()).await.unwrap();
        let second = gates.enter(ip("2001:db8::2"), soon()).await.unwrap();
        // A third from the same /64 waits, and is refused at the deadline.
        assert!(gates.enter(ip("2001:db8::3"), soon()).await.is_err());
        let elsewhere = gates.enter(ip("2001:db8:0:1::1"), soon()).await.unwrap();
        drop(first);
        let third = gates.enter(ip("2001:db8::3"), soon()).await.unwrap();
        drop((second, third, elsewhere));
        assert_eq!(gates.open_gates(), 0, "unused gates are forgotten");
    }
}
