//! The `passkey` scenario: sign-ins with a passkey, each worker one user
//! with one software authenticator (the test kit's [`SoftAuthenticator`]),
//! sending `beginPasskeyLogin`, signing its options' challenge, and sending
//! `finishPasskeyLogin` with the assertion, again and again.
//!
//! One sign-in is the two requests, and it is what the row counts: req/s are
//! sign-ins per second, the latencies run from the `begin` sent to the
//! `finish` answered (the load generator's signature between them
//! included), and the costs are per sign-in, beside `login`'s per login.
//!
//! Set-up, before any window: the users are made before the server starts
//! (see `accounts.rs`), one per connection; the first round logs each
//! in with its password and registers a passkey
//! (`beginPasskeyRegistration`, `finishPasskeyRegistration`). The
//! authenticators are kept for the later rounds, their counters moved on:
//! a second registration would need `aal` 2 (the account has a second
//! factor once it has a passkey), and a fresh authenticator's counter
//! would start below the stored one.
//!
//! The load generator signs every assertion (ES256, the pure-Rust `p256`),
//! on the same cores as the server: client CPU that `login` does not spend.
//! Its mean time per signature is printed with each round.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use authql_testkit::documents::{
    BEGIN_PASSKEY_LOGIN, BEGIN_PASSKEY_REGISTRATION, FINISH_PASSKEY_REGISTRATION,
};
use authql_testkit::{Flags, SoftAuthenticator};
use serde::Deserialize;
use serde::de::IgnoredAny;
use tokio::task::JoinHandle;

use crate::BoxError;
use crate::accounts;
use crate::client::{self, Connection, Failure, GqlRequest};
use crate::scenarios::{Plan, WRONG_ANSWER, open_sessions};
use crate::server::ServerSetup;
use crate::stats::{Recorder, Summary, Window};

/// `finishPasskeyLogin` asking for what the `login` scenario asks of `login`.
const FINISH_PASSKEY_LOGIN: &str = "mutation($input: FinishPasskeyLoginInput!) { \
     finishPasskeyLogin(input: $input) { accessToken refreshToken } }";
/// The page the ceremonies run on when `PUBLIC_APP_URL` is not set: the
/// server's default of `WEBAUTHN_ORIGINS` (see `config::passkeys`).
const LOCAL_ORIGIN: &str = "http://localhost:8080";
/// The authenticator's answer: a fingerprint or PIN, so every sign-in opens
/// an `aal` 2 session, and one registered so must verify its user each time.
const GESTURE: Flags = Flags::VERIFIED;

/// The users of the scenario and, once registered, their authenticators.
pub struct PasskeySetup {
    user_names: Vec<String>,
    /// The origin of the page the ceremonies run on.
    origin: String,
    /// One per user, in the users' order, once the first round registered
    /// them; a round's workers take them and give them back.
    authenticators: Mutex<Vec<SoftAuthenticator>>,
}

/// Makes one user per connection, before the server starts.
pub async fn prepare(setup: &ServerSetup, connections: usize) -> Result<PasskeySetup, BoxError> {
    let user_names: Vec<String> = (0..connections)
        .map(|i| format!("bench_passkey_{i:03}"))
        .collect();
    eprintln!("creating {} passkey users", user_names.len());
    accounts::create_named(setup, &user_names).await?;
    // With `PUBLIC_APP_URL` set (the `reset` scenario sets it), the server
    // takes its origin as the only one ceremonies may come from.
    let origin = match setup.var("PUBLIC_APP_URL") {
        Some(app_url) => url::Url::parse(&app_url)?.origin().ascii_serialization(),
        None => LOCAL_ORIGIN.to_owned(),
    };
    Ok(PasskeySetup {
        user_names,
        origin,
        authenticators: Mutex::new(Vec::new()),
    })
}

/// Runs one round: registers the passkeys if no round did, then one worker
/// per user signs in again and again until the window closes.
pub async fn run(plan: &Plan) -> Result<Summary, BoxError> {
    let setup = plan
        .passkey
        .as_deref()
        .ok_or("the passkey scenario was not prepared")?;
    let mut authenticators = std::mem::take(&mut *setup.authenticators.lock().map_err(poisoned)?);
    if authenticators.is_empty() {
        authenticators = register_all(plan, setup).await?;
    }
    let window = plan.window();
    let workers: Vec<JoinHandle<Worker>> = authenticators
        .into_iter()
        .map(|authenticator| {
            let worker = Worker {
                authenticator,
                origin: setup.origin.clone(),
                recorder: Recorder::new(window),
                signatures: 0,
                signing: Duration::ZERO,
            };
            tokio::spawn(worker.sign_in_again(plan.addr, window))
        })
        .collect();
    let mut merged: Option<Recorder> = None;
    let mut kept = Vec::with_capacity(workers.len());
    let (mut signatures, mut signing) = (0u32, Duration::ZERO);
    for worker in workers {
        let worker = worker.await?;
        kept.push(worker.authenticator);
        signatures += worker.signatures;
        signing += worker.signing;
        match merged.as_mut() {
            Some(all) => all.merge(worker.recorder),
            None => merged = Some(worker.recorder),
        }
    }
    *setup.authenticators.lock().map_err(poisoned)? = kept;
    if signatures > 0 {
        eprintln!(
            "  the load generator signed {signatures} assertions, {:.0} µs each (mean wall time)",
            signing.as_secs_f64() * 1e6 / f64::from(signatures)
        );
    }
    Ok(merged.ok_or("a scenario without workers")?.summary())
}

fn poisoned<T>(_: T) -> BoxError {
    "a passkey worker panicked holding the authenticators".into()
}

/// Logs each user in with its password and registers a passkey made by an
/// authenticator of its own; any failure is fatal.
async fn register_all(
    plan: &Plan,
    setup: &PasskeySetup,
) -> Result<Vec<SoftAuthenticator>, BoxError> {
    eprintln!(
        "  registering {} passkeys (log in, beginPasskeyRegistration, finishPasskeyRegistration)",
        setup.user_names.len()
    );
    let sessions = open_sessions(plan, &setup.user_names, setup.user_names.len()).await?;
    let mut connection = Connection::new(plan.addr);
    let mut authenticators = Vec::with_capacity(sessions.len());
    for session in &sessions {
        let token = Some(session.access_token.as_str());
        let begin = GqlRequest::new(BEGIN_PASSKEY_REGISTRATION, None, token)?;
        let body = connection
            .post(&begin)
            .await
            .map_err(|f| format!("beginPasskeyRegistration: {f}"))?;
        let options = client::data::<BeginRegistration>(&body)
            .map_err(|f| format!("beginPasskeyRegistration: {f}"))?
            .begin_passkey_registration;
        let mut authenticator = SoftAuthenticator::new();
        let credential = authenticator.register(&options.options, &setup.origin, GESTURE)?;
        let variables = serde_json::json!({ "input": {
            "challengeId": options.challenge_id,
            "credential": credential,
            "label": "loadtest",
        }});
        let finish = GqlRequest::new(FINISH_PASSKEY_REGISTRATION, Some(variables), token)?;
        let body = connection
            .post(&finish)
            .await
            .map_err(|f| format!("finishPasskeyRegistration: {f}"))?;
        client::data::<IgnoredAny>(&body).map_err(|f| format!("finishPasskeyRegistration: {f}"))?;
        authenticators.push(authenticator);
    }
    Ok(authenticators)
}

/// A ceremony's start: its id and the options JSON for the authenticator.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Options {
    challenge_id: String,
    options: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BeginRegistration {
    begin_passkey_registration: Options,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BeginLogin {
    begin_passkey_login: Options,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FinishLogin {
    finish_passkey_login: SignedIn,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignedIn {
    access_token: String,
}

/// A failure labelled with the step it happened at.
fn at(step: &'static str) -> impl Fn(Failure) -> Failure {
    move |failure| format!("{step}: {failure}")
}

/// One connection signing one user in with its passkey.
struct Worker {
    authenticator: SoftAuthenticator,
    origin: String,
    recorder: Recorder,
    /// Assertions signed, and the time spent signing them.
    signatures: u32,
    signing: Duration,
}

impl Worker {
    /// Sign-in after sign-in on one connection until the window ends; each
    /// is recorded once, from its `begin` sent to its `finish` answered.
    async fn sign_in_again(mut self, addr: SocketAddr, window: Window) -> Worker {
        let mut connection = Connection::new(addr);
        let begin = GqlRequest::new(BEGIN_PASSKEY_LOGIN, None, None);
        while Instant::now() < window.end {
            let started = Instant::now();
            let outcome = match &begin {
                Ok(begin) => self.sign_in(&mut connection, begin).await,
                Err(_) => Err("build request".to_owned()),
            };
            self.recorder.record(started, Instant::now(), outcome);
        }
        self
    }

    async fn sign_in(
        &mut self,
        connection: &mut Connection,
        begin: &GqlRequest,
    ) -> Result<(), Failure> {
        let body = connection
            .post(begin)
            .await
            .map_err(at("beginPasskeyLogin"))?;
        let options = client::data::<BeginLogin>(&body)
            .map_err(at("beginPasskeyLogin"))?
            .begin_passkey_login;
        let signing = Instant::now();
        let assertion = self
            .authenticator
            .sign_in(&options.options, &self.origin, GESTURE)
            .map_err(|error| format!("authenticator: {error}"))?;
        self.signing += signing.elapsed();
        self.signatures += 1;
        let variables = serde_json::json!({ "input": {
            "challengeId": options.challenge_id,
            "credential": assertion,
            "deviceInfo": "loadtest",
        }});
        let finish = GqlRequest::new(FINISH_PASSKEY_LOGIN, Some(variables), None)
            .map_err(|_| "build request".to_owned())?;
        let body = connection
            .post(&finish)
            .await
            .map_err(at("finishPasskeyLogin"))?;
        let signed_in = client::data::<FinishLogin>(&body)
            .map_err(at("finishPasskeyLogin"))?
            .finish_passkey_login;
        if signed_in.access_token.is_empty() {
            return Err(WRONG_ANSWER.to_owned());
        }
        Ok(())
    }
}
