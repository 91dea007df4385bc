//! The benchmark's scenarios, their setup (users' sessions opened by real
//! logins) and the workers that drive them: one task and one keep-alive
//! connection per worker, sending its next request as soon as the previous
//! answer is in, until the scenario's window closes.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use hyper::body::Bytes;
use serde::Deserialize;
use serde::de::IgnoredAny;
use tokio::task::JoinHandle;

use crate::BoxError;
use crate::client::{self, Connection, Failure, GqlRequest};
use crate::complete_login::{self, CompleteLoginSetup};
use crate::costs::{Costs, Probe, Sample};
use crate::directory::{self, DirectoryCheck, DirectorySetup};
use crate::floods::{self, FloodNumbers};
use crate::mailbox::MailCheck;
use crate::passkey::{self, PasskeySetup};
use crate::reset::{self, ResetSetup};
use crate::security_events::{self, PageCheck};
use crate::stats::{Recorder, Summary, Window};

const BASELINE: &str = "{ __typename }";
const ME: &str = "{ me { id userName } }";
const MY_SESSIONS: &str = "{ mySessions { id current lastActiveAt } }";
const REFRESH: &str = "mutation($t: String!) { refreshToken(refreshToken: $t) { refreshToken } }";
const LOGIN: &str =
    "mutation($input: LoginInput!) { login(input: $input) { accessToken refreshToken } }";

/// Sessions the `mySessions` user holds.
pub const MY_SESSIONS_COUNT: usize = 10;
/// Sessions each `refresh` worker rotates in turn.
const REFRESH_SESSIONS_PER_WORKER: usize = 2;
/// Logins at once while sessions are set up: at most this many per user name,
/// below the per-name throttle (attempts are counted before the hash).
const SETUP_LOGINS_AT_ONCE: usize = 4;
/// Most workers that log in as one user name at once, for the same reason.
pub const LOGIN_WORKERS_PER_USER: usize = 4;

/// A scenario of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// `{ __typename }` without a token: HTTP and GraphQL, no database.
    #[value(name = "baseline")]
    Baseline,
    /// `me` with a bearer token, each worker its own session.
    #[value(name = "me")]
    Me,
    /// `GET /auth/verify` with a bearer token, each worker its own session:
    /// the check a reverse proxy makes, the same guard as `me`.
    #[value(name = "verify")]
    Verify,
    /// `mySessions` of a user holding 10 sessions.
    #[value(name = "mySessions")]
    MySessions,
    /// The first page of `mySecurityEvents` of a user holding 10,000
    /// events (see `security_events.rs`).
    #[value(name = "mySecurityEvents")]
    MySecurityEvents,
    /// An admin's `users` searches over a directory of 100,000 users, on
    /// two connections (see `directory.rs`).
    #[value(name = "users")]
    Users,
    /// `refreshToken`, each worker rotating its own sessions' tokens.
    #[value(name = "refresh")]
    Refresh,
    /// `login` with the right password, spread over several user names.
    #[value(name = "login")]
    Login,
    /// `completeLogin` with an `mfaToken` and a recovery code, each pair
    /// once: the second step of a TOTP sign-in (see `complete_login.rs`).
    #[value(name = "completeLogin")]
    CompleteLogin,
    /// `beginPasskeyLogin` then `finishPasskeyLogin`, counted as one
    /// sign-in, each worker one user's passkey (see `passkey.rs`).
    #[value(name = "passkey")]
    Passkey,
    /// `me` while other workers flood `login`.
    #[value(name = "me_during_login_flood")]
    MeDuringLoginFlood,
    /// `me`, each answer checked to be the caller's own, while other workers
    /// send `mySessions` and hang up without reading the answer.
    #[value(name = "disconnects")]
    Disconnects,
    /// `me` for one session on every worker while, half way through, the
    /// session is ended with `logout`: every answer to a request sent after
    /// the logout was answered must be `SESSION_REVOKED`.
    #[value(name = "revocation")]
    Revocation,
    /// `requestPasswordReset` for known and unknown addresses in turn,
    /// while the SMTP server holds each mail 1 s; every mail owed must
    /// arrive (see `reset.rs`).
    #[value(name = "reset")]
    Reset,
    /// Right logins from one address while another sends batches of aliased
    /// `login` fields of its own account (see `floods.rs`).
    #[value(name = "login_amplification")]
    LoginAmplification,
    /// Right logins from one address while another sends 190 junk logins at
    /// once (see `floods.rs`).
    #[value(name = "login_junk_flood")]
    LoginJunkFlood,
    /// Right logins from one address while another holds hundreds of
    /// WebSockets open without `connection_init` (see `floods.rs`).
    #[value(name = "socket_flood")]
    SocketFlood,
}

impl Scenario {
    /// The default list: every scenario but the floods, which run only when
    /// named, since each needs a server of its own and, on a server without
    /// the flood defences, fails and can keep it busy for minutes; and but
    /// `completeLogin`, whose set-up spends a login per `mfaToken` (a minute
    /// or two per round at its default pool).
    pub const ALL: [Scenario; 13] = [
        Scenario::Baseline,
        Scenario::Me,
        Scenario::Verify,
        Scenario::MySessions,
        Scenario::MySecurityEvents,
        Scenario::Users,
        Scenario::Refresh,
        Scenario::Login,
        Scenario::Passkey,
        Scenario::MeDuringLoginFlood,
        Scenario::Disconnects,
        Scenario::Revocation,
        Scenario::Reset,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Baseline => "baseline",
            Scenario::Me => "me",
            Scenario::Verify => "verify",
            Scenario::MySessions => "mySessions",
            Scenario::MySecurityEvents => "mySecurityEvents",
            Scenario::Users => "users",
            Scenario::Refresh => "refresh",
            Scenario::Login => "login",
            Scenario::CompleteLogin => "completeLogin",
            Scenario::Passkey => "passkey",
            Scenario::MeDuringLoginFlood => "me_during_login_flood",
            Scenario::Disconnects => "disconnects",
            Scenario::Revocation => "revocation",
            Scenario::Reset => "reset",
            Scenario::LoginAmplification => "login_amplification",
            Scenario::LoginJunkFlood => "login_junk_flood",
            Scenario::SocketFlood => "socket_flood",
        }
    }

    /// The variables of the server a flood scenario runs on, beyond the
    /// benchmark's own; None for the other scenarios, which share one server.
    pub fn flood_server_vars(self) -> Option<Vec<(&'static str, String)>> {
        let trusted = ("TRUSTED_PROXIES", "127.0.0.1".to_owned());
        match self {
            Scenario::LoginAmplification | Scenario::LoginJunkFlood => Some(vec![trusted]),
            Scenario::SocketFlood => Some(vec![
                trusted,
                (
                    "HTTP_MAX_CONNECTIONS",
                    floods::SOCKET_FLOOD_MAX_CONNECTIONS.to_string(),
                ),
            ]),
            _ => None,
        }
    }
}

/// The users created before the server starts, all with one password.
#[derive(Debug, Clone)]
pub struct Users {
    /// Users for `me`, `refresh` and `login` sessions.
    pub names: Vec<String>,
    /// Users that hold exactly [`MY_SESSIONS_COUNT`] sessions, one per round
    /// (each round opens them anew).
    pub my_sessions_users: Vec<String>,
    /// The account whose sessions `login_amplification` multiplies.
    pub attacker: String,
    pub password: String,
}

/// Everything a scenario needs to run.
pub struct Plan {
    pub addr: SocketAddr,
    pub connections: usize,
    pub flood_connections: usize,
    pub warmup: Duration,
    pub duration: Duration,
    pub users: Users,
    /// Which round runs, from 0.
    pub round: usize,
    /// Where the costs of a request are read.
    pub probe: Probe,
    /// The window the running scenario measures, once it has one.
    pub window_opened: std::sync::Mutex<Option<Window>>,
    /// The SMTP server and known addresses of `reset`, when it runs.
    pub reset: Option<Arc<ResetSetup>>,
    /// The accounts of `completeLogin`, when it runs.
    pub complete_login: Option<Arc<CompleteLoginSetup>>,
    /// The users and authenticators of `passkey`, when it runs.
    pub passkey: Option<Arc<PasskeySetup>>,
    /// The user directory `users` searches, when it runs.
    pub directory: Option<Arc<DirectorySetup>>,
}

/// What one scenario measured; `beside` is the load that ran beside it (the
/// login flood, the hang-ups), named; `flood` what a flood scenario read of
/// its server.
pub struct Outcome {
    pub scenario: Scenario,
    pub summary: Summary,
    pub beside: Option<(&'static str, Summary)>,
    pub flood: Option<FloodNumbers>,
    /// Per request answered in the window, the load beside included.
    pub costs: Option<Costs>,
    /// What the SMTP server received of the mails `reset` asked for.
    pub mail: Option<MailCheck>,
    /// What `mySecurityEvents` read of its first page before its window.
    pub events_page: Option<PageCheck>,
    /// What `users` read of each search before its window.
    pub directory: Option<DirectoryCheck>,
}

/// Sets up and runs one scenario, reading the costs around its window.
pub async fn run(scenario: Scenario, plan: &Plan) -> Result<Outcome, BoxError> {
    if let Ok(mut window) = plan.window_opened.lock() {
        *window = None;
    }
    let (costs_tx, costs_rx) = tokio::sync::oneshot::channel();
    let probing = async {
        let sampled = sample_window(plan).await;
        let _ = costs_tx.send(sampled);
    };
    let (outcome, ()) = tokio::join!(
        async {
            let outcome = run_scenario(scenario, plan).await;
            // A scenario that failed before its window opened: stop waiting.
            if outcome.is_err()
                && let Ok(mut window) = plan.window_opened.lock()
                && window.is_none()
            {
                *window = Some(Window::after_warmup(Duration::ZERO, Duration::ZERO));
            }
            outcome
        },
        probing
    );
    let mut outcome = outcome?;
    let (before, after) = costs_rx.await.map_err(|_| "the cost probe stopped")??;
    let requests =
        outcome.summary.requests + outcome.beside.as_ref().map_or(0, |(_, b)| b.requests);
    // A flood's requests are mostly answered after the window (or never):
    // per request, its costs would say nothing.
    if outcome.flood.is_none() {
        outcome.costs = Costs::per_request(before, after, requests);
    }
    Ok(outcome)
}

/// The probe's samples at the opening and the close of the scenario's window.
async fn sample_window(plan: &Plan) -> Result<(Sample, Sample), BoxError> {
    let window = loop {
        if let Some(window) = plan.window_opened.lock().ok().and_then(|w| *w) {
            break window;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    tokio::time::sleep_until(window.start.into()).await;
    let before = plan.probe.sample().await?;
    tokio::time::sleep_until(window.end.into()).await;
    let after = plan.probe.sample().await?;
    Ok((before, after))
}

async fn run_scenario(scenario: Scenario, plan: &Plan) -> Result<Outcome, BoxError> {
    let flooded = |what: &'static str, flood: floods::FloodOutcome| {
        (
            flood.right_logins,
            Some((what, flood.flood)),
            Some(flood.numbers),
            None,
        )
    };
    let mut events_page = None;
    let mut directory = None;
    let (summary, beside, flood, mail) = match scenario {
        Scenario::Baseline => (run_baseline(plan).await?, None, None, None),
        Scenario::Me => (run_me(plan).await?, None, None, None),
        Scenario::Verify => (run_verify(plan).await?, None, None, None),
        Scenario::MySessions => (run_my_sessions(plan).await?, None, None, None),
        Scenario::MySecurityEvents => {
            let (summary, page) = security_events::run(plan).await?;
            events_page = Some(page);
            (summary, None, None, None)
        }
        Scenario::Users => {
            let setup = plan
                .directory
                .as_ref()
                .ok_or("the users scenario was not set up")?;
            let (summary, check) = directory::run(plan, setup).await?;
            directory = Some(check);
            (summary, None, None, None)
        }
        Scenario::Refresh => (run_refresh(plan).await?, None, None, None),
        Scenario::Login => (run_login(plan).await?, None, None, None),
        Scenario::CompleteLogin => (complete_login::run(plan).await?, None, None, None),
        Scenario::Passkey => (passkey::run(plan).await?, None, None, None),
        Scenario::MeDuringLoginFlood => {
            let (me, logins) = run_me_during_login_flood(plan).await?;
            (me, Some(("login flood", logins)), None, None)
        }
        Scenario::Disconnects => {
            let (me, hang_ups) = run_disconnects(plan).await?;
            (me, Some(("hang-ups", hang_ups)), None, None)
        }
        Scenario::Revocation => (run_revocation(plan).await?, None, None, None),
        Scenario::Reset => {
            let (asks, mail) = reset::run(plan).await?;
            (asks, None, None, Some(mail))
        }
        Scenario::LoginAmplification => {
            flooded("amplification", floods::amplification(plan).await?)
        }
        Scenario::LoginJunkFlood => flooded("junk logins", floods::junk_logins(plan).await?),
        Scenario::SocketFlood => flooded("socket flood", floods::sockets(plan).await?),
    };
    Ok(Outcome {
        scenario,
        summary,
        beside,
        flood,
        costs: None,
        mail,
        events_page,
        directory,
    })
}

async fn run_baseline(plan: &Plan) -> Result<Summary, BoxError> {
    let request = GqlRequest::new(BASELINE, None, None)?;
    let jobs = (0..plan.connections).map(|_| Fixed(request.clone()));
    finish(spawn_workers(plan.addr, jobs, plan.window())).await
}

async fn run_me(plan: &Plan) -> Result<Summary, BoxError> {
    let jobs = me_jobs(plan).await?;
    finish(spawn_workers(plan.addr, jobs, plan.window())).await
}

async fn run_verify(plan: &Plan) -> Result<Summary, BoxError> {
    let sessions = open_sessions(plan, &plan.users.names, plan.connections).await?;
    let jobs = sessions
        .iter()
        .map(|s| Ok(Granted(GqlRequest::verify(&s.access_token)?)))
        .collect::<Result<Vec<_>, BoxError>>()?;
    finish(spawn_workers(plan.addr, jobs, plan.window())).await
}

async fn run_my_sessions(plan: &Plan) -> Result<Summary, BoxError> {
    let users = &plan.users.my_sessions_users;
    let user = users
        .get(plan.round % users.len().max(1))
        .ok_or("no mySessions user")?;
    let user = std::slice::from_ref(user);
    let sessions = open_sessions(plan, user, MY_SESSIONS_COUNT).await?;
    let requests = sessions
        .iter()
        .map(|s| GqlRequest::new(MY_SESSIONS, None, Some(&s.access_token)))
        .collect::<Result<Vec<_>, _>>()?;
    check_session_count(plan.addr, &requests[0]).await?;
    let jobs = (0..plan.connections).map(|i| Fixed(requests[i % requests.len()].clone()));
    finish(spawn_workers(plan.addr, jobs, plan.window())).await
}

async fn run_refresh(plan: &Plan) -> Result<Summary, BoxError> {
    let count = plan.connections * REFRESH_SESSIONS_PER_WORKER;
    let sessions = open_sessions(plan, &plan.users.names, count).await?;
    let jobs: Vec<Rotate> = sessions
        .chunks(REFRESH_SESSIONS_PER_WORKER)
        .map(|owned| Rotate::new(owned.iter().map(|s| s.refresh_token.clone()).collect()))
        .collect();
    finish(spawn_workers(plan.addr, jobs, plan.window())).await
}

async fn run_login(plan: &Plan) -> Result<Summary, BoxError> {
    let jobs = login_jobs(plan, plan.connections)?;
    finish(spawn_workers(plan.addr, jobs, plan.window())).await
}

async fn run_me_during_login_flood(plan: &Plan) -> Result<(Summary, Summary), BoxError> {
    let me = me_jobs(plan).await?;
    let logins = login_jobs(plan, plan.flood_connections)?;
    let window = plan.window();
    let me = spawn_workers(plan.addr, me, window);
    let logins = spawn_workers(plan.addr, logins, window);
    Ok((finish(me).await?, finish(logins).await?))
}

/// `me` workers whose every answer must be their own user, beside
/// `flood_connections` workers that send `mySessions` and hang up at once.
/// A wrong answer (someone else's user, or an error for a live session) is
/// counted as an error of the `me` side, kind "wrong answer" or the code.
async fn run_disconnects(plan: &Plan) -> Result<(Summary, Summary), BoxError> {
    let names = &plan.users.names;
    let sessions = open_sessions(plan, names, plan.connections).await?;
    let me: Vec<OwnMe> = sessions
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Ok(OwnMe {
                request: GqlRequest::new(ME, None, Some(&s.access_token))?,
                user_name: names[i % names.len()].clone(),
            })
        })
        .collect::<Result<_, BoxError>>()?;
    let hanging_up = open_sessions(plan, &names[..1], 1).await?;
    let hang_up = GqlRequest::new(MY_SESSIONS, None, Some(&hanging_up[0].access_token))?;
    let window = plan.window();
    let me = spawn_workers(plan.addr, me, window);
    let hang_ups: Vec<_> = (0..plan.flood_connections)
        .map(|_| tokio::spawn(hang_up_again(plan.addr, hang_up.clone(), window)))
        .collect();
    Ok((finish(me).await?, finish(hang_ups).await?))
}

/// Every worker sends `me` for one session; half way through the window the
/// session is logged out on a connection of its own. An answer other than
/// `SESSION_REVOKED` to a request sent after the logout was answered is a
/// wrong answer (the budget allows none); before it, either answer is right.
async fn run_revocation(plan: &Plan) -> Result<Summary, BoxError> {
    let session = open_sessions(plan, &plan.users.names[..1], 1)
        .await?
        .pop()
        .ok_or("no session opened")?;
    let me = GqlRequest::new(ME, None, Some(&session.access_token))?;
    let ended_at = Arc::new(OnceLock::new());
    let jobs = (0..plan.connections).map(|_| MeUntilEnded {
        request: me.clone(),
        ended_at: ended_at.clone(),
        sent_at: Instant::now(),
    });
    let window = plan.window();
    let workers = spawn_workers(plan.addr, jobs, window);
    tokio::time::sleep_until((window.start + (window.end - window.start) / 2).into()).await;
    let logout = GqlRequest::new("mutation { logout }", None, Some(&session.access_token))?;
    let answer = Connection::new(plan.addr)
        .post(&logout)
        .await
        .map_err(|failure| format!("logout: {failure}"))?;
    let _: IgnoredAny = client::data(&answer).map_err(|failure| format!("logout: {failure}"))?;
    let _ = ended_at.set(Instant::now());
    finish(workers).await
}

/// `me` for a session that is ended while it runs (see [`run_revocation`]).
struct MeUntilEnded {
    request: GqlRequest,
    ended_at: Arc<OnceLock<Instant>>,
    sent_at: Instant,
}

impl Job for MeUntilEnded {
    fn next(&mut self) -> Option<&GqlRequest> {
        self.sent_at = Instant::now();
        Some(&self.request)
    }

    fn finish(&mut self, answer: Result<Bytes, Failure>) -> Result<(), Failure> {
        let sent_after_end = self.ended_at.get().is_some_and(|end| self.sent_at > *end);
        match client::data::<IgnoredAny>(&answer?) {
            Err(failure) if failure == REVOKED => Ok(()),
            Ok(_) if sent_after_end => Err(WRONG_ANSWER.to_owned()),
            Ok(_) => Ok(()),
            Err(failure) => Err(failure),
        }
    }
}

/// How [`client::data`] reports a `SESSION_REVOKED` answer.
const REVOKED: &str = "GraphQL SESSION_REVOKED";

/// Sends the request on a new connection and closes it at once, again and
/// again until the window ends; each send counts as one request.
async fn hang_up_again(addr: SocketAddr, request: GqlRequest, window: Window) -> Recorder {
    let mut recorder = Recorder::new(window);
    while Instant::now() < window.end {
        let started = Instant::now();
        let sent = client::send_and_hang_up(addr, &request).await;
        recorder.record(started, Instant::now(), sent);
    }
    recorder
}

/// `me` again and again; an answer is good only when it is the caller's.
struct OwnMe {
    request: GqlRequest,
    user_name: String,
}

/// The `data` of `{ me { userName } }`, for checking whose answer it is.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeData {
    pub me: Me,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub user_name: String,
}

impl Job for OwnMe {
    fn next(&mut self) -> Option<&GqlRequest> {
        Some(&self.request)
    }

    fn finish(&mut self, answer: Result<Bytes, Failure>) -> Result<(), Failure> {
        let me = client::data::<MeData>(&answer?)?.me;
        if me.user_name == self.user_name {
            Ok(())
        } else {
            Err(WRONG_ANSWER.to_owned())
        }
    }
}

/// The error kind of an answer that belongs to another user.
pub const WRONG_ANSWER: &str = "wrong answer";

/// One `me` worker per connection, each with a session of its own.
async fn me_jobs(plan: &Plan) -> Result<Vec<Fixed>, BoxError> {
    let sessions = open_sessions(plan, &plan.users.names, plan.connections).await?;
    sessions
        .iter()
        .map(|s| Ok(Fixed(GqlRequest::new(ME, None, Some(&s.access_token))?)))
        .collect()
}

/// `workers` login workers, each logging in as one user name, at most
/// [`LOGIN_WORKERS_PER_USER`] per name.
fn login_jobs(plan: &Plan, workers: usize) -> Result<Vec<Fixed>, BoxError> {
    let names = &plan.users.names;
    if workers > names.len() * LOGIN_WORKERS_PER_USER {
        return Err("more login workers than the users allow".into());
    }
    (0..workers)
        .map(|i| {
            Ok(Fixed(login_request(
                &names[i % names.len()],
                &plan.users.password,
            )?))
        })
        .collect()
}

pub fn login_request(user_name: &str, password: &str) -> Result<GqlRequest, BoxError> {
    let variables = serde_json::json!({
        "input": { "userName": user_name, "password": password, "deviceInfo": "loadtest" }
    });
    GqlRequest::new(LOGIN, Some(variables), None)
}

impl Plan {
    /// The measured window of a scenario, announced to the cost probe.
    pub fn window(&self) -> Window {
        self.window_of(self.warmup, self.duration)
    }

    /// A window of a scenario's own length (one whose requests are made
    /// before it, a pool that bounds it), announced to the cost probe.
    pub fn window_of(&self, warmup: Duration, duration: Duration) -> Window {
        let window = Window::after_warmup(warmup, duration);
        if let Ok(mut opened) = self.window_opened.lock() {
            *opened = Some(window);
        }
        window
    }
}

/// The tokens of a session opened for the benchmark.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tokens {
    pub access_token: String,
    refresh_token: String,
}

#[derive(Deserialize)]
struct LoginData {
    login: Tokens,
}

/// Opens `count` sessions by logging in, the user names taken in turn, at
/// most [`SETUP_LOGINS_AT_ONCE`] logins at once. Any failure is fatal.
pub async fn open_sessions(
    plan: &Plan,
    user_names: &[String],
    count: usize,
) -> Result<Vec<Tokens>, BoxError> {
    let requests = (0..count)
        .map(|i| login_request(&user_names[i % user_names.len()], &plan.users.password))
        .collect::<Result<Vec<_>, _>>()?;
    let lanes: Vec<JoinHandle<Result<Numbered, Failure>>> = (0..SETUP_LOGINS_AT_ONCE)
        .map(|lane| {
            let mine: Vec<(usize, GqlRequest)> = requests
                .iter()
                .enumerate()
                .skip(lane)
                .step_by(SETUP_LOGINS_AT_ONCE)
                .map(|(i, r)| (i, r.clone()))
                .collect();
            tokio::spawn(log_in_each(plan.addr, mine))
        })
        .collect();
    let mut sessions = Vec::with_capacity(count);
    for lane in lanes {
        sessions.extend(
            lane.await?
                .map_err(|f| format!("setup login failed: {f}"))?,
        );
    }
    sessions.sort_by_key(|(i, _)| *i);
    Ok(sessions.into_iter().map(|(_, tokens)| tokens).collect())
}

/// Sessions' tokens, each with its place in the order asked for.
type Numbered = Vec<(usize, Tokens)>;

async fn log_in_each(
    addr: SocketAddr,
    requests: Vec<(usize, GqlRequest)>,
) -> Result<Numbered, Failure> {
    let mut connection = Connection::new(addr);
    let mut sessions = Vec::with_capacity(requests.len());
    for (i, request) in requests {
        let body = connection.post(&request).await?;
        sessions.push((i, client::data::<LoginData>(&body)?.login));
    }
    Ok(sessions)
}

/// Makes sure the `mySessions` user really lists its 10 sessions.
async fn check_session_count(addr: SocketAddr, request: &GqlRequest) -> Result<(), BoxError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Listed {
        my_sessions: Vec<IgnoredAny>,
    }
    let body = Connection::new(addr).post(request).await?;
    let listed = client::data::<Listed>(&body)?.my_sessions.len();
    if listed != MY_SESSIONS_COUNT {
        return Err(format!("mySessions lists {listed} sessions, not {MY_SESSIONS_COUNT}").into());
    }
    Ok(())
}

/// What a worker sends, and how it judges each answer.
pub trait Job: Send + 'static {
    /// The next request, or None when the worker has nothing left to send.
    fn next(&mut self) -> Option<&GqlRequest>;
    /// Judges the answer to the request `next` returned last.
    fn finish(&mut self, answer: Result<Bytes, Failure>) -> Result<(), Failure>;
}

/// The same request again and again; an answer is good when it has data and
/// no errors.
struct Fixed(GqlRequest);

impl Job for Fixed {
    fn next(&mut self) -> Option<&GqlRequest> {
        Some(&self.0)
    }

    fn finish(&mut self, answer: Result<Bytes, Failure>) -> Result<(), Failure> {
        client::data::<IgnoredAny>(&answer?).map(drop)
    }
}

/// The same forward-auth check again and again; an answer is good when it
/// is a 200 naming a user.
struct Granted(GqlRequest);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GrantedBody {
    user_id: String,
}

impl Job for Granted {
    fn next(&mut self) -> Option<&GqlRequest> {
        Some(&self.0)
    }

    fn finish(&mut self, answer: Result<Bytes, Failure>) -> Result<(), Failure> {
        let granted: GrantedBody =
            serde_json::from_slice(&answer?).map_err(|_| "unexpected answer".to_owned())?;
        if granted.user_id.is_empty() {
            return Err(WRONG_ANSWER.to_owned());
        }
        Ok(())
    }
}

/// Refresh-token rotation over a few sessions, taken in turn; each answer's
/// new token replaces the one just used. A session whose refresh failed is
/// dropped (its token chain is lost).
struct Rotate {
    refresh_tokens: Vec<String>,
    turn: usize,
    request: Option<GqlRequest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefreshData {
    refresh_token: Rotated,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rotated {
    refresh_token: String,
}

impl Rotate {
    fn new(refresh_tokens: Vec<String>) -> Rotate {
        Rotate {
            refresh_tokens,
            turn: 0,
            request: None,
        }
    }
}

impl Job for Rotate {
    fn next(&mut self) -> Option<&GqlRequest> {
        if self.refresh_tokens.is_empty() {
            return None;
        }
        self.turn %= self.refresh_tokens.len();
        let variables = serde_json::json!({ "t": self.refresh_tokens[self.turn] });
        self.request = GqlRequest::new(REFRESH, Some(variables), None).ok();
        self.request.as_ref()
    }

    fn finish(&mut self, answer: Result<Bytes, Failure>) -> Result<(), Failure> {
        match answer.and_then(|body| client::data::<RefreshData>(&body)) {
            Ok(data) => {
                self.refresh_tokens[self.turn] = data.refresh_token.refresh_token;
                self.turn += 1;
                Ok(())
            }
            Err(failure) => {
                self.refresh_tokens.remove(self.turn);
                Err(failure)
            }
        }
    }
}

/// Starts one worker task per job, all measured over `window`.
pub fn spawn_workers<J: Job>(
    addr: SocketAddr,
    jobs: impl IntoIterator<Item = J>,
    window: Window,
) -> Vec<JoinHandle<Recorder>> {
    jobs.into_iter()
        .map(|job| tokio::spawn(drive(addr, job, window)))
        .collect()
}

/// Waits for the workers and merges what they recorded.
pub async fn finish(workers: Vec<JoinHandle<Recorder>>) -> Result<Summary, BoxError> {
    let mut merged: Option<Recorder> = None;
    for worker in workers {
        let recorder = worker.await?;
        match merged.as_mut() {
            Some(all) => all.merge(recorder),
            None => merged = Some(recorder),
        }
    }
    Ok(merged.ok_or("a scenario without workers")?.summary())
}

/// One worker: request after request on one connection until the window ends.
async fn drive(addr: SocketAddr, mut job: impl Job, window: Window) -> Recorder {
    let mut connection = Connection::new(addr);
    let mut recorder = Recorder::new(window);
    while Instant::now() < window.end {
        let Some(request) = job.next() else { break };
        let started = Instant::now();
        let answer = connection.post(request).await;
        let finished = Instant::now();
        recorder.record(started, finished, job.finish(answer));
    }
    recorder
}
