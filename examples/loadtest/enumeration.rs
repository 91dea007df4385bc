//! Whether `requestPasswordReset`'s answer time tells an address with an
//! account from one without. Part of the `reset` scenario, once per run,
//! after the rounds: 200 known and 200 unknown addresses (by default),
//! asked one at a time on one keep-alive connection, interleaved (the pairs
//! alternate which kind goes first, so that neither always follows the
//! other), in two passes; the first warms the server, the second is
//! measured. The report prints the median and p90 of each kind: a
//! measurement, not a budget line (the contract asks them to be within
//! noise of each other).
//!
//! The second pass asks the same known addresses again within the minute,
//! so the limit refuses their mails; the first pass's mails are owed and
//! checked as the scenario's are. The answer does the same work either
//! way: a known address's token and mail are written after the answer.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::BoxError;
use crate::client::{Connection, Failure};
use crate::mailbox::{Asked, MailCheck};
use crate::reset::{ResetSetup, answered_true, reset_request, unknown_address};

/// Passes over the addresses; the last one is measured.
const PASSES: usize = 2;
/// How the unknown addresses of the timing begin.
const UNKNOWN_PREFIX: &str = "enum-nobody-";

/// The timing, the errors and the mail of the enumeration check.
#[derive(Debug, Serialize)]
pub struct Enumeration {
    /// Known addresses, and as many unknown ones, per pass.
    pub addresses: usize,
    pub passes: usize,
    /// The measured pass's answers to known addresses.
    pub known: Timing,
    /// The measured pass's answers to unknown addresses.
    pub unknown: Timing,
    /// Answers other than `true`, of both passes.
    pub errors: u64,
    pub error_kinds: BTreeMap<Failure, u64>,
    pub mail: MailCheck,
}

impl Enumeration {
    /// Failed answers, and mails lost or sent where none was due.
    pub fn failures(&self) -> u64 {
        self.errors + self.mail.errors()
    }
}

/// Answer times of one kind of address.
#[derive(Debug, Serialize)]
pub struct Timing {
    pub answers: usize,
    pub median_ms: f64,
    pub p90_ms: f64,
}

impl Timing {
    fn of(mut times: Vec<Duration>) -> Timing {
        times.sort();
        let at = |quantile: f64| {
            // Nearest rank: the smallest time at least `quantile` of them reach.
            let rank = ((quantile * times.len() as f64).ceil() as usize).max(1);
            times
                .get(rank - 1)
                .map_or(0.0, |time| time.as_secs_f64() * 1000.0)
        };
        Timing {
            answers: times.len(),
            median_ms: at(0.5),
            p90_ms: at(0.9),
        }
    }
}

/// Runs the check against the server at `addr`.
pub async fn measure(addr: SocketAddr, setup: &ResetSetup) -> Result<Enumeration, BoxError> {
    let known = &setup.enumeration_known;
    let mut connection = Connection::new(addr);
    let mut answered = BTreeSet::new();
    let mut error_kinds: BTreeMap<Failure, u64> = BTreeMap::new();
    let mut measured = (Vec::new(), Vec::new());
    for pass in 1..=PASSES {
        let mut known_times = Vec::with_capacity(known.len());
        let mut unknown_times = Vec::with_capacity(known.len());
        for (i, known_address) in known.iter().enumerate() {
            let unknown = unknown_address(&format!("{UNKNOWN_PREFIX}p{pass}-"), i as u64);
            let mut pair = [(known_address.as_str(), true), (unknown.as_str(), false)];
            if i % 2 == 1 {
                pair.reverse();
            }
            for (email, is_known) in pair {
                let request = reset_request(email)?;
                let started = Instant::now();
                let answer = connection.post(&request).await;
                let took = started.elapsed();
                match answer.and_then(|body| answered_true(&body)) {
                    Ok(()) if is_known => {
                        answered.insert(email.to_lowercase());
                        known_times.push(took);
                    }
                    Ok(()) => unknown_times.push(took),
                    Err(failure) => *error_kinds.entry(failure).or_default() += 1,
                }
            }
        }
        measured = (known_times, unknown_times);
    }
    let asked = Asked {
        known: known.iter().map(|address| address.to_lowercase()).collect(),
        answered,
        unknown_prefix: UNKNOWN_PREFIX.to_owned(),
    };
    let mail = setup.mailbox.check(&asked).await;
    Ok(Enumeration {
        addresses: known.len(),
        passes: PASSES,
        known: Timing::of(measured.0),
        unknown: Timing::of(measured.1),
        errors: error_kinds.values().sum(),
        error_kinds,
        mail,
    })
}
