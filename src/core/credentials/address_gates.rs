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
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::core::client::throttle_bucket;

/// Password checks one client address may have in flight at once.
pub(crate) const CHECKS_PER_ADDRESS: usize = 2;
/// Checks of one address that may wait for its turn; past these, a check is
/// refused at once. Each waiting check holds one of the places of requests
/// running at once (`http::detached`): without this bound, one address
/// sending thousands of logins and hanging up would hold them all for the
/// whole wait. 32 waiting behind 2 running wait about a second for their
/// hashes, which leaves room for many people behind one NAT signing in at
/// once.
pub(crate) const WAITING_PER_ADDRESS: usize = 32;

type GateMap = Arc<Mutex<HashMap<IpAddr, Gate>>>;

/// The gates of the addresses with checks in flight or waiting.
#[derive(Default)]
pub(crate) struct AddressGates {
    gates: GateMap,
}

/// One address's gate.
struct Gate {
    turns: Arc<Semaphore>,
    /// Checks holding or awaiting a turn (changed under the map's lock).
    checks: usize,
}

/// The gate did not open before the deadline, or too many checks of the
/// address already wait.
#[derive(Debug)]
pub(crate) struct GateClosed;

/// A check's place at one address's gate; dropping it lets the next check
/// through, and forgets the gate when it was the last.
pub(crate) struct AddressTurn {
    permit: Option<OwnedSemaphorePermit>,
    bucket: IpAddr,
    gates: GateMap,
}

impl AddressGates {
    /// Waits, until `deadline` at most, for a turn of `ip`'s gate; refused at
    /// once when [`WAITING_PER_ADDRESS`] checks already wait there.
    pub(crate) async fn enter(
        &self,
        ip: IpAddr,
        deadline: Instant,
    ) -> Result<AddressTurn, GateClosed> {
        let bucket = throttle_bucket(ip);
        let turns = {
            let mut gates = self.gates.lock();
            let gate = gates.entry(bucket).or_insert_with(|| Gate {
                turns: Arc::new(Semaphore::new(CHECKS_PER_ADDRESS)),
                checks: 0,
            });
            if gate.checks >= CHECKS_PER_ADDRESS + WAITING_PER_ADDRESS {
                return Err(GateClosed);
            }
            gate.checks += 1;
            gate.turns.clone()
        };
        // The place exists before the wait, so that a wait cut short (the
        // deadline, or a dropped future) gives it back too.
        let mut turn = AddressTurn {
            permit: None,
            bucket,
            gates: self.gates.clone(),
        };
        match tokio::time::timeout_at(deadline, turns.acquire_owned()).await {
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
        self.gates.lock().len()
    }
}

impl Drop for AddressTurn {
    fn drop(&mut self) {
        drop(self.permit.take());
        let mut gates = self.gates.lock();
        if let Some(gate) = gates.get_mut(&self.bucket) {
            gate.checks = gate.checks.saturating_sub(1);
            if gate.checks == 0 {
                gates.remove(&self.bucket);
            }
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

    #[tokio::test]
    async fn past_the_waiting_bound_a_check_is_refused_at_once() {
        let gates = Arc::new(AddressGates::default());
        let later = Instant::now() + Duration::from_secs(60);
        let mut held = Vec::new();
        for _ in 0..CHECKS_PER_ADDRESS {
            held.push(gates.enter(ip("192.0.2.1"), later).await.unwrap());
        }
        let mut waiting = Vec::new();
        for _ in 0..WAITING_PER_ADDRESS {
            let gates = gates.clone();
            waiting.push(tokio::spawn(async move {
                gates.enter(ip("192.0.2.1"), later).await.is_ok()
            }));
        }
        while gates.gates.lock()[&ip("192.0.2.1")].checks < CHECKS_PER_ADDRESS + WAITING_PER_ADDRESS
        {
            tokio::task::yield_now().await;
        }
        let refused =
            tokio::time::timeout(Duration::from_secs(5), gates.enter(ip("192.0.2.1"), later))
                .await
                .expect("refused at once, not after the deadline");
        assert!(refused.is_err());
        assert!(
            gates.enter(ip("192.0.2.2"), later).await.is_ok(),
            "another address is not affected"
        );
        drop(held);
        for each in waiting {
            assert!(each.await.unwrap(), "the waiting ones get their turn");
        }
        assert_eq!(gates.open_gates(), 0);
    }
}
