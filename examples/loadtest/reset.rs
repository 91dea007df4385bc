//! The `reset` scenario: every worker sends `requestPasswordReset`, a known
//! address (a verified, active account's) and an unknown one in turn, while
//! the SMTP server holds each mail 1 s (see `mailbox.rs`); after the window,
//! every mail owed must arrive.
//!
//! The contract sends at most one mail a minute (and five an hour) of a
//! kind to one address, and answers `true` whether or not the limit let it
//! through, so the benchmark arranges its asks for the count to be known:
//! each worker has known addresses of its own, fresh in every round, and
//! asks the same one for [`KNOWN_TURN`] (45 s, a margin under the minute)
//! before it moves to the next. So each known address asked gets exactly
//! one mail, its first ask's; every later ask of it is a reset the limit
//! refuses, as a flood of resets for one address would be. Unknown
//! addresses are new at every ask. A mail that does not arrive, a second
//! mail to one address, or a mail to an unknown address is an error.
//!
//! The known accounts are made before the server starts, at a throwaway
//! Argon2 cost (they never log in; see `accounts.rs`), so that hundreds of
//! them take a second, not a hash each.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hyper::body::Bytes;
use serde::Deserialize;

use crate::BoxError;
use crate::accounts::{self, NewAccount};
use crate::client::{self, Failure, GqlRequest};
use crate::costs::Probe;
use crate::mailbox::{Asked, MailCheck, Mailbox};
use crate::scenarios::{Job, Plan, WRONG_ANSWER, finish, spawn_workers};
use crate::server::ServerSetup;
use crate::stats::Summary;

pub const REQUEST_PASSWORD_RESET: &str =
    "mutation($email: String!) { requestPasswordReset(email: $email) }";
/// How long a worker asks for one known address before the next: under
/// the contract's minute, with room for a request's own time.
const KNOWN_TURN: Duration = Duration::from_secs(45);
/// The domain of the addresses that have an account.
const KNOWN_DOMAIN: &str = "known.loadtest.example";
/// The domain of the addresses that have none.
const UNKNOWN_DOMAIN: &str = "unknown.loadtest.example";
/// How long the server must send (next to) no statement to count as done
/// with the scenario's writes.
const QUIET: Duration = Duration::from_secs(1);
/// Statements allowed in [`QUIET`]: the mail sender's reads.
const QUIET_STATEMENTS: f64 = 2.0;
/// How long the wait for the writes may last before the run stops.
const MOST_WAIT_FOR_WRITES: Duration = Duration::from_secs(600);

/// The SMTP server and the known addresses of a run.
pub struct ResetSetup {
    pub mailbox: Mailbox,
    /// Per round, per worker, one known address per [`KNOWN_TURN`].
    rounds: Vec<Vec<Vec<String>>>,
    /// The known addresses of the enumeration timing.
    pub enumeration_known: Vec<String>,
}

/// An account made for the scenario, with a verified address.
struct KnownAccount {
    user_name: String,
    email: String,
}

impl KnownAccount {
    /// The account of `local_part@`[`KNOWN_DOMAIN`], named alike.
    fn new(local_part: &str) -> KnownAccount {
        KnownAccount {
            user_name: local_part.replace('-', "_"),
            email: format!("{local_part}@{KNOWN_DOMAIN}"),
        }
    }
}

/// An unknown address: `prefix` and `n`.
pub fn unknown_address(prefix: &str, n: u64) -> String {
    format!("{prefix}{n}@{UNKNOWN_DOMAIN}")
}

/// Makes the known accounts of a run: for each of `rounds` rounds, each of
/// `connections` workers gets as many as its asking (`span`, warm-up and
/// window) has turns; and `enumeration` more for the enumeration timing.
pub async fn prepare(
    setup: &ServerSetup,
    mailbox: Mailbox,
    connections: usize,
    rounds: usize,
    span: Duration,
    enumeration: usize,
) -> Result<ResetSetup, BoxError> {
    let turns = (span.as_secs() / KNOWN_TURN.as_secs()) as usize + 1;
    let rounds: Vec<Vec<Vec<KnownAccount>>> = (1..=rounds)
        .map(|round| {
            (0..connections)
                .map(|worker| {
                    (0..turns)
                        .map(|turn| {
                            KnownAccount::new(&format!("reset-r{round}-w{worker:03}-t{turn}"))
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let enumeration: Vec<KnownAccount> = (0..enumeration)
        .map(|i| KnownAccount::new(&format!("enum-{i:03}")))
        .collect();
    let accounts: Vec<&KnownAccount> = rounds
        .iter()
        .flatten()
        .flatten()
        .chain(&enumeration)
        .collect();
    eprintln!("creating {} accounts with known addresses", accounts.len());
    create_accounts(setup, &accounts).await?;
    let addresses = |accounts: &[KnownAccount]| -> Vec<String> {
        accounts
            .iter()
            .map(|account| account.email.clone())
            .collect()
    };
    Ok(ResetSetup {
        mailbox,
        rounds: rounds
            .iter()
            .map(|workers| workers.iter().map(|turns| addresses(turns)).collect())
            .collect(),
        enumeration_known: addresses(&enumeration),
    })
}

/// The accounts, each with its verified address.
async fn create_accounts(setup: &ServerSetup, known: &[&KnownAccount]) -> Result<(), BoxError> {
    let accounts: Vec<NewAccount<'_>> = known
        .iter()
        .map(|account| NewAccount {
            user_name: &account.user_name,
            email: Some(&account.email),
        })
        .collect();
    accounts::create(setup, &accounts).await?;
    Ok(())
}

/// Runs the scenario: the asking, then the wait for the mails it owes.
pub async fn run(plan: &Plan) -> Result<(Summary, MailCheck), BoxError> {
    let setup = plan
        .reset
        .as_deref()
        .ok_or("the reset scenario has no mail server")?;
    let workers = setup
        .rounds
        .get(plan.round)
        .filter(|workers| workers.len() >= plan.connections)
        .ok_or("fewer known addresses than the round's workers")?;
    let round = plan.round + 1;
    let ledgers: Vec<Arc<Mutex<Ledger>>> = workers
        .iter()
        .map(|known| Arc::new(Mutex::new(Ledger::new(known.len()))))
        .collect();
    let began = Instant::now();
    let jobs: Vec<ResetAsks> = workers
        .iter()
        .zip(&ledgers)
        .enumerate()
        .map(|(worker, (known, ledger))| ResetAsks {
            known: known.clone(),
            began,
            unknown_prefix: format!("nobody-r{round}-w{worker:03}-"),
            asks: 0,
            asking: None,
            request: None,
            ledger: ledger.clone(),
        })
        .collect();
    let mut summary = finish(spawn_workers(plan.addr, jobs, plan.window())).await?;
    let mut asked = Asked {
        unknown_prefix: format!("nobody-r{round}-"),
        ..Asked::default()
    };
    for (known, ledger) in workers.iter().zip(&ledgers) {
        let ledger = ledger.lock().map_err(|_| "a reset worker panicked")?;
        for (turn, address) in known.iter().enumerate() {
            if ledger.asked[turn] {
                asked.known.insert(address.to_lowercase());
            }
            if ledger.answered[turn] {
                asked.answered.insert(address.to_lowercase());
            }
        }
    }
    let asking_ended = Instant::now();
    let mut check = setup.mailbox.check(&asked).await;
    check.writes_done_secs = Some(writes_done(&plan.probe, asking_ended).await?);
    check.charge(&mut summary);
    Ok((summary, check))
}

/// Waits until the server has sent no statement for [`QUIET`] (a few
/// allowed: the mail sender's idle read), so that the writes it makes
/// after answering (one per known address's ask) do not run into the next
/// scenario; returns how long after `since` that was.
async fn writes_done(probe: &Probe, since: Instant) -> Result<f64, BoxError> {
    let mut before = (Instant::now(), probe.sample().await?.statements());
    loop {
        tokio::time::sleep(QUIET).await;
        let now = (Instant::now(), probe.sample().await?.statements());
        if now.1 - before.1 <= QUIET_STATEMENTS {
            return Ok(before.0.saturating_duration_since(since).as_secs_f64());
        }
        if since.elapsed() > MOST_WAIT_FOR_WRITES {
            return Err(format!(
                "the server still writes {} s after the resets",
                MOST_WAIT_FOR_WRITES.as_secs()
            )
            .into());
        }
        before = now;
    }
}

/// Which of a worker's known addresses were asked for, and answered.
struct Ledger {
    asked: Vec<bool>,
    answered: Vec<bool>,
}

impl Ledger {
    fn new(turns: usize) -> Ledger {
        Ledger {
            asked: vec![false; turns],
            answered: vec![false; turns],
        }
    }
}

/// A known address and an unknown one in turn; the known one of the
/// current [`KNOWN_TURN`].
struct ResetAsks {
    known: Vec<String>,
    began: Instant,
    unknown_prefix: String,
    asks: u64,
    /// The turn of the known address asked last; None for an unknown one.
    asking: Option<usize>,
    request: Option<GqlRequest>,
    ledger: Arc<Mutex<Ledger>>,
}

impl ResetAsks {
    fn known_turn(&self) -> Option<usize> {
        let turn = (self.began.elapsed().as_secs_f64() / KNOWN_TURN.as_secs_f64()) as usize;
        (turn < self.known.len()).then_some(turn)
    }
}

impl Job for ResetAsks {
    fn next(&mut self) -> Option<&GqlRequest> {
        self.asks += 1;
        self.asking = if self.asks % 2 == 1 {
            self.known_turn()
        } else {
            None
        };
        let email = match self.asking {
            Some(turn) => {
                if let Ok(mut ledger) = self.ledger.lock() {
                    ledger.asked[turn] = true;
                }
                self.known[turn].clone()
            }
            None => unknown_address(&self.unknown_prefix, self.asks),
        };
        self.request = reset_request(&email).ok();
        self.request.as_ref()
    }

    fn finish(&mut self, answer: Result<Bytes, Failure>) -> Result<(), Failure> {
        answered_true(&answer?)?;
        if let (Some(turn), Ok(mut ledger)) = (self.asking, self.ledger.lock()) {
            ledger.answered[turn] = true;
        }
        Ok(())
    }
}

/// `requestPasswordReset` for `email`.
pub fn reset_request(email: &str) -> Result<GqlRequest, BoxError> {
    let variables = serde_json::json!({ "email": email });
    GqlRequest::new(REQUEST_PASSWORD_RESET, Some(variables), None)
}

/// Ok when the answer is `true`, the only answer the contract gives.
pub fn answered_true(body: &[u8]) -> Result<(), Failure> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answered {
        request_password_reset: bool,
    }
    if client::data::<Answered>(body)?.request_password_reset {
        Ok(())
    } else {
        Err(WRONG_ANSWER.to_owned())
    }
}
