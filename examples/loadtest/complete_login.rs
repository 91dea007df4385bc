//! The `completeLogin` scenario: what the second step of a TOTP sign-in
//! costs, beside `login`'s first (see the budget line in `report.rs`).
//!
//! Accounts are made before the server starts (`accounts.rs`) and turn TOTP
//! on through the API in the first round (`enrolment.rs`; the server runs
//! with `REAUTH_MAX_AGE_SECS` of a day, so that the session that turned it
//! on may still regenerate the codes rounds later). Each round then, before
//! its window: new recovery codes for every account, and one `login` per
//! code for an `mfaToken`. The window sends only `completeLogin` with a
//! token and a recovery code, each pair once, taken in turn from one pool
//! by every worker; the pool lists the accounts round-robin, so that the
//! requests in flight are for different names (each takes a slot of its
//! name's login throttle, of which there are `LOGIN_MAX_FAILURES`).
//!
//! Every token costs a login, and a login costs an Argon2id verify at the
//! server's cost (the first one upgrades the accounts' throwaway hash), so
//! the pool is bounded by the hashing rate, tens of logins a second on two
//! cores: the scenario measures a window of its own, [`WINDOW`] after
//! [`WARMUP`], whatever `--duration-secs` says, with tokens for
//! [`MOST_PER_SEC`] requests/s over both (45 s to 2.5 minutes of logins
//! per round here, with the machine's load). A pool that runs dry before
//! the window closes would leave workers idle and the rate understated, so
//! it counts as an error of the row.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use hyper::body::Bytes;
use serde::de::IgnoredAny;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::BoxError;
use crate::accounts;
use crate::client::{self, Connection, Failure, GqlRequest};
use crate::enrolment::{self, Enrolled};
use crate::scenarios::{Job, Plan, finish, spawn_workers};
use crate::server::ServerSetup;
use crate::stats::Summary;

const COMPLETE_LOGIN: &str = "mutation($input: CompleteLoginInput!) { completeLogin(input: $input) { accessToken refreshToken } }";

/// What the server is given besides the benchmark's own variables: the
/// session that turned TOTP on stays recent enough for
/// `regenerateRecoveryCodes` through the whole run.
pub const SERVER_VARS: [(&str, &str); 1] = [("REAUTH_MAX_AGE_SECS", "86400")];

/// The scenario's warm-up and measured window (see the module doc).
const WARMUP: Duration = Duration::from_millis(250);
const WINDOW: Duration = Duration::from_secs(1);
/// The rate the token pool is made for: above the 1,500-2,000/s seen here.
const MOST_PER_SEC: f64 = 3_000.0;
/// Recovery codes per account per round: `regenerateRecoveryCodes` gives ten.
const CODES_PER_ACCOUNT: usize = 10;
/// Connections the set-up runs on at once, each with accounts of its own:
/// enough to keep the server's hashing threads busy.
const SETUP_LANES: usize = 4;
/// How long an `mfaToken` may be used (the contract's 5 minutes), less a
/// margin: a round whose set-up takes longer fails rather than meet
/// expired tokens.
const TOKEN_LIFETIME: Duration = Duration::from_secs(4 * 60);
/// The error kind of a pool that ran out before the window closed.
const RAN_DRY: &str = "mfaToken pool ran out in the window";

/// The scenario's accounts, and once enrolled, their sessions.
pub struct CompleteLoginSetup {
    user_names: Vec<String>,
    enrolled: Mutex<Vec<Enrolled>>,
}

/// The pool's default size: enough tokens for `MOST_PER_SEC` through the
/// warm-up and the window (`--mfa-tokens` changes it).
pub fn default_tokens() -> usize {
    (MOST_PER_SEC * (WARMUP + WINDOW).as_secs_f64()).ceil() as usize
}

/// Makes the scenario's accounts, before the server starts: enough for
/// `tokens` tokens a round, one per code, ten codes each.
pub async fn prepare(setup: &ServerSetup, tokens: usize) -> Result<CompleteLoginSetup, BoxError> {
    let user_names: Vec<String> = (0..tokens.div_ceil(CODES_PER_ACCOUNT))
        .map(|i| format!("mfa_user_{i:04}"))
        .collect();
    eprintln!("creating {} accounts for completeLogin", user_names.len());
    accounts::create_named(setup, &user_names).await?;
    Ok(CompleteLoginSetup {
        user_names,
        enrolled: Mutex::new(Vec::new()),
    })
}

/// Runs the scenario: the round's tokens, then the window.
pub async fn run(plan: &Plan) -> Result<Summary, BoxError> {
    let setup = plan
        .complete_login
        .as_deref()
        .ok_or("the completeLogin scenario has no accounts")?;
    let began = Instant::now();
    let pool = setup.token_pool(plan.addr).await?;
    let setup_took = began.elapsed();
    eprintln!(
        "  {} mfaTokens in {:.1} s",
        pool.len(),
        setup_took.as_secs_f64()
    );
    if setup_took + WARMUP + WINDOW > TOKEN_LIFETIME {
        return Err(format!(
            "the completeLogin set-up took {:.0} s: its first mfaTokens would expire",
            setup_took.as_secs_f64()
        )
        .into());
    }
    let pool = Arc::new(pool);
    let taken = Arc::new(AtomicUsize::new(0));
    let ran_dry = Arc::new(OnceLock::new());
    let jobs = (0..plan.connections).map(|_| FromPool {
        pool: pool.clone(),
        taken: taken.clone(),
        ran_dry: ran_dry.clone(),
    });
    let window = plan.window_of(WARMUP, WINDOW);
    let mut summary = finish(spawn_workers(plan.addr, jobs, window)).await?;
    if ran_dry.get().is_some_and(|at| *at < window.end) {
        summary.errors += 1;
        *summary.error_kinds.entry(RAN_DRY.to_owned()).or_default() += 1;
    }
    Ok(summary)
}

/// One account's part of a round: its session, and its codes each with the
/// token of a login.
struct AccountRound {
    enrolled: Enrolled,
    pairs: Vec<(String, String)>,
}

impl CompleteLoginSetup {
    /// The round's `completeLogin` requests: every account enrolled (first
    /// round), its codes regenerated and a login per code, on
    /// [`SETUP_LANES`] connections; then the accounts taken in turn.
    async fn token_pool(&self, addr: SocketAddr) -> Result<Vec<GqlRequest>, BoxError> {
        let mut enrolled = self.enrolled.lock().await;
        let mut accounts: Vec<Option<Enrolled>> = std::mem::take(&mut *enrolled)
            .into_iter()
            .map(Some)
            .collect();
        accounts.resize_with(self.user_names.len(), || None);
        let mut lanes: Vec<Vec<(usize, Option<Enrolled>)>> =
            (0..SETUP_LANES).map(|_| Vec::new()).collect();
        for (index, account) in accounts.into_iter().enumerate() {
            lanes[index % SETUP_LANES].push((index, account));
        }
        let running: Vec<JoinHandle<Result<Numbered, Failure>>> = lanes
            .into_iter()
            .map(|lane| {
                let names = self.user_names.clone();
                tokio::spawn(async move { run_lane(addr, &names, lane).await })
            })
            .collect();
        let mut rounds: Numbered = Vec::with_capacity(self.user_names.len());
        for lane in running {
            rounds.extend(
                lane.await?
                    .map_err(|f| format!("completeLogin set-up failed: {f}"))?,
            );
        }
        rounds.sort_by_key(|(index, _)| *index);
        let mut pairs: Vec<std::vec::IntoIter<(String, String)>> = Vec::new();
        for (_, round) in rounds {
            enrolled.push(round.enrolled);
            pairs.push(round.pairs.into_iter());
        }
        let mut pool = Vec::with_capacity(pairs.len() * CODES_PER_ACCOUNT);
        for _ in 0..CODES_PER_ACCOUNT {
            for (mfa_token, recovery_code) in pairs.iter_mut().filter_map(Iterator::next) {
                pool.push(complete_login_request(&mfa_token, &recovery_code)?);
            }
        }
        Ok(pool)
    }
}

/// Accounts' rounds, each with its place in the accounts' order.
type Numbered = Vec<(usize, AccountRound)>;

/// One connection's accounts, one after the other: enrolled when they are
/// not yet, new codes, a login per code.
async fn run_lane(
    addr: SocketAddr,
    user_names: &[String],
    accounts: Vec<(usize, Option<Enrolled>)>,
) -> Result<Numbered, Failure> {
    let mut connection = Connection::new(addr);
    let mut done = Vec::with_capacity(accounts.len());
    for (index, account) in accounts {
        let user_name = &user_names[index];
        let mut enrolled = match account {
            Some(enrolled) => enrolled,
            None => enrolment::enrol(&mut connection, user_name, crate::PASSWORD).await?,
        };
        let codes = enrolment::fresh_recovery_codes(&mut connection, &mut enrolled).await?;
        let mut pairs = Vec::with_capacity(codes.len());
        for code in codes {
            let token = enrolment::mfa_token(&mut connection, user_name, crate::PASSWORD).await?;
            pairs.push((token, code));
        }
        done.push((index, AccountRound { enrolled, pairs }));
    }
    Ok(done)
}

fn complete_login_request(mfa_token: &str, recovery_code: &str) -> Result<GqlRequest, BoxError> {
    let variables = serde_json::json!({
        "input": { "mfaToken": mfa_token, "recoveryCode": recovery_code }
    });
    GqlRequest::new(COMPLETE_LOGIN, Some(variables), None)
}

/// The next unused request of the shared pool; none once it is used up
/// (and when, for the error it makes in the window).
struct FromPool {
    pool: Arc<Vec<GqlRequest>>,
    taken: Arc<AtomicUsize>,
    ran_dry: Arc<OnceLock<Instant>>,
}

impl Job for FromPool {
    fn next(&mut self) -> Option<&GqlRequest> {
        let next = self.pool.get(self.taken.fetch_add(1, Ordering::Relaxed));
        if next.is_none() {
            let _ = self.ran_dry.set(Instant::now());
        }
        next
    }

    fn finish(&mut self, answer: Result<Bytes, Failure>) -> Result<(), Failure> {
        client::data::<IgnoredAny>(&answer?).map(drop)
    }
}
