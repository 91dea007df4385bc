//! The flood scenarios: one client address attacks while a login with the
//! right password from another address measures what everyone else sees.
//! Each runs on a server of its own (started for it, on the same database)
//! that trusts the loopback proxy, so that `X-Forwarded-For` names the
//! client: the flood comes from [`ATTACKER_ADDRESS`], the right logins from
//! [`RIGHT_LOGIN_ADDRESS`].
//!
//! - `login_amplification`: one connection sends a batch of
//!   [`AMPLIFICATION_OPERATIONS`] operations, each with as many aliased
//!   `login` fields of the attacker's own account as the 64 KiB body allows
//!   (about 1,800 logins in one request). Reported too: the sessions the
//!   attacker's account gained, counted once the server's work settles. A
//!   refusal with `GRAPHQL_VALIDATION_FAILED` is the expected answer.
//! - `login_junk_flood`: [`JUNK_LOGINS_AT_ONCE`] connections send logins of
//!   made-up names with wrong passwords, each as soon as the last is
//!   answered. `INVALID_CREDENTIALS` and `TOO_MANY_ATTEMPTS` are expected.
//!   The server's `LOGIN_IP_MAX_FAILURES` is the benchmark's (a million), so
//!   what is measured is how password checks are shared, not the lockout
//!   that would end this flood after a hundred failures.
//! - `socket_flood`: [`FLOOD_SOCKETS`] openers hold WebSockets open
//!   (`graphql-transport-ws`, never a `connection_init`) against a server
//!   with `HTTP_MAX_CONNECTIONS` = [`SOCKET_FLOOD_MAX_CONNECTIONS`], opening
//!   another whenever one is closed or refused.
//!
//! The right login's row counts every login started in the window, however
//! long it waited and however it ended (an empty 503 after 30 s is a 30 s
//! wait and an error). Beside it: the server's RSS and open descriptors
//! (`/proc/<pid>/fd`), sampled through the flood and until its work ends.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use hyper::body::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::BoxError;
use crate::client::{self, Connection, FORWARDED_FOR, Failure, GqlRequest};
use crate::scenarios::{Job, Plan, finish, login_request, open_sessions, spawn_workers};
use crate::server::{descriptors_of, memory_of};
use crate::stats::{Recorder, Summary, Window};

/// Where every flood comes from (TEST-NET-3).
pub const ATTACKER_ADDRESS: &str = "203.0.113.66";
/// Where the measuring right logins come from (TEST-NET-2).
pub const RIGHT_LOGIN_ADDRESS: &str = "198.51.100.7";
/// Operations in the amplification batch, as in the request.
const AMPLIFICATION_OPERATIONS: usize = 10;
/// Connections sending the amplification request. One: a single request
/// already asks for about 1,800 password checks, which on the code before
/// the fix keep the server hashing for half a minute or more after the
/// window; more would only lengthen that.
const AMPLIFICATION_FLOODERS: usize = 1;
/// The body bound of `POST /graphql` (64 KiB), which the batch must fit.
const MAX_BODY_BYTES: usize = 64 * 1024;
/// The complexity bound (one point per field): `login { __typename }`
/// costs one, so at most this many fit one operation.
const MAX_LOGINS_PER_OPERATION: usize = 256;
/// Concurrent junk logins from one address, as in the issue.
const JUNK_LOGINS_AT_ONCE: usize = 190;
/// Sockets the socket flood holds open, or tries to: ten times the cap.
const FLOOD_SOCKETS: usize = 640;
/// `HTTP_MAX_CONNECTIONS` of the socket flood's server.
pub const SOCKET_FLOOD_MAX_CONNECTIONS: usize = 64;
/// How long an opener waits for its handshake before trying again.
const HANDSHAKE_PATIENCE: Duration = Duration::from_secs(5);
/// Pause after a refused handshake: the flood stays a flood without
/// spending the shared cores on reconnects alone.
const REOPEN_PAUSE: Duration = Duration::from_secs(1);
/// How often RSS and descriptors are read.
const SAMPLE_INTERVAL: Duration = Duration::from_millis(50);
/// How often the attacker's sessions are counted after the flood, and how
/// many equal counts in a row mean the server's work has settled.
const SETTLE_POLL: Duration = Duration::from_secs(1);
const SETTLED_AFTER_EQUAL_COUNTS: usize = 3;
/// Longest wait for the attacker's session count to settle.
const SETTLE_PATIENCE: Duration = Duration::from_secs(180);
/// Descriptors a server may add beside its client connections: its
/// database pool growing to `DB_POOL_SIZE` (10) connections, three files
/// each on SQLite, and the runtime's own.
pub const DESCRIPTOR_SLACK: u64 = 32;

const COUNT_SESSIONS: &str = "{ mySessions { id } }";

/// What a flood scenario read of its server, beside the right logins.
#[derive(Debug, Clone, Serialize)]
pub struct FloodNumbers {
    /// Resident memory of the fresh server before the flood (MB = 10^6 bytes).
    pub rss_idle_mb: f64,
    /// Its highest resident memory (`VmHWM`), flood and aftermath included.
    pub rss_peak_mb: f64,
    pub descriptors_idle: u64,
    /// The most `/proc/<pid>/fd` entries seen at one sampling.
    pub descriptors_peak: u64,
    /// Client connections the server should hold at most: those the
    /// benchmark opens, or `HTTP_MAX_CONNECTIONS` for the socket flood.
    pub connections_allowed: u64,
    /// The flood's answers by kind, expected ones included.
    pub answers: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logins_per_request: Option<usize>,
    /// Sessions the attacker's account gained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attacker_sessions: Option<u64>,
    /// Whether that count had stopped growing when it was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attacker_sessions_settled: Option<bool>,
    /// WebSocket handshakes the server accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sockets_accepted: Option<u64>,
    /// The most flood sockets open at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sockets_open_peak: Option<u64>,
}

impl FloodNumbers {
    /// The descriptor budget: those of the idle server, one per allowed
    /// connection, and [`DESCRIPTOR_SLACK`].
    pub fn descriptors_limit(&self) -> u64 {
        self.descriptors_idle + self.connections_allowed + DESCRIPTOR_SLACK
    }
}

/// What one flood scenario measured: the right logins, the flood, the server.
pub struct FloodOutcome {
    pub right_logins: Summary,
    pub flood: Summary,
    pub numbers: FloodNumbers,
}

/// `login_amplification`: see the module doc.
pub async fn amplification(plan: &Plan) -> Result<FloodOutcome, BoxError> {
    let attacker = &plan.users.attacker;
    let counter = open_sessions(plan, std::slice::from_ref(attacker), 1)
        .await?
        .pop()
        .ok_or("no attacker session")?;
    let count_request = GqlRequest::new(COUNT_SESSIONS, None, Some(&counter.access_token))?;
    let sessions_before = count_sessions(plan.addr, &count_request).await?;
    let (batch, logins_per_request) = amplification_batch(attacker, &plan.users.password)?;
    let watch = ServerWatch::start(plan.probe.authql_pid)?;
    let answers = Tally::default();
    let window = plan.window();
    let right = tokio::spawn(right_logins(plan.addr, right_login(plan)?, window));
    let jobs = (0..AMPLIFICATION_FLOODERS).map(|_| Amplify {
        request: batch.clone(),
        answers: answers.clone(),
    });
    let flood = finish(spawn_workers(plan.addr, jobs, window)).await?;
    let right_logins = right.await?.summary();
    let (sessions_after, settled) = settle_sessions(plan.addr, &count_request).await?;
    let mut numbers = watch.stop(AMPLIFICATION_FLOODERS as u64 + 3, answers)?;
    numbers.logins_per_request = Some(logins_per_request);
    numbers.attacker_sessions = Some(sessions_after.saturating_sub(sessions_before));
    numbers.attacker_sessions_settled = Some(settled);
    Ok(FloodOutcome {
        right_logins,
        flood,
        numbers,
    })
}

/// `login_junk_flood`: see the module doc.
pub async fn junk_logins(plan: &Plan) -> Result<FloodOutcome, BoxError> {
    let watch = ServerWatch::start(plan.probe.authql_pid)?;
    let answers = Tally::default();
    let window = plan.window();
    let right = tokio::spawn(right_logins(plan.addr, right_login(plan)?, window));
    let jobs = (0..JUNK_LOGINS_AT_ONCE).map(|_| Junk {
        request: None,
        answers: answers.clone(),
    });
    let flood = finish(spawn_workers(plan.addr, jobs, window)).await?;
    let right_logins = right.await?.summary();
    let numbers = watch.stop(JUNK_LOGINS_AT_ONCE as u64 + 2, answers)?;
    Ok(FloodOutcome {
        right_logins,
        flood,
        numbers,
    })
}

/// `socket_flood`: see the module doc.
pub async fn sockets(plan: &Plan) -> Result<FloodOutcome, BoxError> {
    let watch = ServerWatch::start(plan.probe.authql_pid)?;
    let answers = Tally::default();
    let gauge = Arc::new(SocketGauge::default());
    let window = plan.window();
    let right = tokio::spawn(right_logins(plan.addr, right_login(plan)?, window));
    let openers: Vec<_> = (0..FLOOD_SOCKETS)
        .map(|_| {
            tokio::spawn(hold_sockets(
                plan.addr,
                window,
                answers.clone(),
                gauge.clone(),
            ))
        })
        .collect();
    let flood = finish(openers).await?;
    let right_logins = right.await?.summary();
    let mut numbers = watch.stop(SOCKET_FLOOD_MAX_CONNECTIONS as u64, answers)?;
    numbers.sockets_accepted = Some(gauge.accepted.load(Ordering::Relaxed));
    numbers.sockets_open_peak = Some(gauge.open_peak.load(Ordering::Relaxed));
    Ok(FloodOutcome {
        right_logins,
        flood,
        numbers,
    })
}

/// The measuring login: the first benchmark user, right password, from
/// [`RIGHT_LOGIN_ADDRESS`].
fn right_login(plan: &Plan) -> Result<GqlRequest, BoxError> {
    let name = plan.users.names.first().ok_or("no benchmark user")?;
    login_request(name, &plan.users.password)?.forwarded_for(RIGHT_LOGIN_ADDRESS)
}

/// Right logins one after the other until the window ends, each on a new
/// connection (a client arriving), each waited for to its end.
async fn right_logins(addr: SocketAddr, request: GqlRequest, window: Window) -> Recorder {
    let mut recorder = Recorder::new(window);
    while Instant::now() < window.end {
        let started = Instant::now();
        let answer = Connection::new(addr).post(&request).await;
        let judged = answer.and_then(|body| client::data::<serde::de::IgnoredAny>(&body).map(drop));
        recorder.record_waited(started, Instant::now(), judged);
    }
    recorder
}

/// The flood's answers by kind, shared by its workers.
#[derive(Clone, Default)]
struct Tally(Arc<Mutex<BTreeMap<String, u64>>>);

impl Tally {
    fn count(&self, kind: &str) {
        if let Ok(mut kinds) = self.0.lock() {
            *kinds.entry(kind.to_owned()).or_default() += 1;
        }
    }

    fn take(&self) -> BTreeMap<String, u64> {
        self.0.lock().map(|kinds| kinds.clone()).unwrap_or_default()
    }
}

/// The amplification batch for `user_name`: [`AMPLIFICATION_OPERATIONS`]
/// operations of as many aliased `login` fields as fit the body bound, and
/// how many logins it asks for in all.
fn amplification_batch(user_name: &str, password: &str) -> Result<(GqlRequest, usize), BoxError> {
    let variables = json!({ "i": { "userName": user_name, "password": password } });
    let batch = |per_operation: usize| -> Value {
        let fields: String = (0..per_operation)
            .map(|n| format!("a{n}:login(input:$i){{__typename}} "))
            .collect();
        let operation = json!({
            "query": format!("mutation($i:LoginInput!){{{fields}}}"),
            "variables": variables,
        });
        Value::Array(vec![operation; AMPLIFICATION_OPERATIONS])
    };
    let mut per_operation = MAX_LOGINS_PER_OPERATION;
    loop {
        let body = batch(per_operation);
        let request = GqlRequest::raw(&body)?.forwarded_for(ATTACKER_ADDRESS)?;
        if request.body_len() <= MAX_BODY_BYTES || per_operation == 1 {
            return Ok((request, per_operation * AMPLIFICATION_OPERATIONS));
        }
        per_operation -= 1;
    }
}

/// The amplification request again and again. Expected: a refusal with
/// `GRAPHQL_VALIDATION_FAILED`; an answer in which the logins ran is an
/// error ("logins ran"), as is any other.
struct Amplify {
    request: GqlRequest,
    answers: Tally,
}

impl Job for Amplify {
    fn next(&mut self) -> Option<&GqlRequest> {
        Some(&self.request)
    }

    fn finish(&mut self, answer: Result<Bytes, Failure>) -> Result<(), Failure> {
        let judged = answer.and_then(|body| {
            let answer: Value =
                serde_json::from_slice(&body).map_err(|_| "unexpected answer".to_owned())?;
            let codes = error_codes(&answer);
            if codes.iter().any(|code| code == "GRAPHQL_VALIDATION_FAILED") {
                Ok(())
            } else if let Some(code) = codes.first() {
                Err(format!("GraphQL {code}"))
            } else {
                Err("logins ran".to_owned())
            }
        });
        self.answers.count(match &judged {
            Ok(()) => "GraphQL GRAPHQL_VALIDATION_FAILED",
            Err(failure) => failure,
        });
        judged
    }
}

/// Every `extensions.code` of an answer or of a batch's answers.
fn error_codes(answer: &Value) -> Vec<String> {
    let answers = match answer {
        Value::Array(each) => each.iter().collect(),
        one => vec![one],
    };
    answers
        .into_iter()
        .filter_map(|answer| answer.get("errors").and_then(Value::as_array))
        .flatten()
        .filter_map(|error| error.pointer("/extensions/code").and_then(Value::as_str))
        .map(str::to_owned)
        .collect()
}

/// Logins of made-up names with wrong passwords, from the attacker's
/// address. Expected: `INVALID_CREDENTIALS` or `TOO_MANY_ATTEMPTS`.
struct Junk {
    request: Option<GqlRequest>,
    answers: Tally,
}

impl Job for Junk {
    fn next(&mut self) -> Option<&GqlRequest> {
        let name = format!("junk_{:016x}", rand::random::<u64>());
        let password = format!("wrong-{:016x}", rand::random::<u64>());
        self.request = login_request(&name, &password)
            .and_then(|request| request.forwarded_for(ATTACKER_ADDRESS))
            .ok();
        self.request.as_ref()
    }

    fn finish(&mut self, answer: Result<Bytes, Failure>) -> Result<(), Failure> {
        let failure = match answer.and_then(|body| client::data::<serde::de::IgnoredAny>(&body)) {
            Ok(_) => "logged in".to_owned(),
            Err(failure) => failure,
        };
        self.answers.count(&failure);
        if JUNK_EXPECTED.contains(&failure.as_str()) {
            Ok(())
        } else {
            Err(failure)
        }
    }
}

/// The answers a junk login should get.
const JUNK_EXPECTED: [&str; 2] = ["GraphQL INVALID_CREDENTIALS", "GraphQL TOO_MANY_ATTEMPTS"];

/// The socket flood's count of sockets.
#[derive(Default)]
struct SocketGauge {
    accepted: AtomicU64,
    open: AtomicU64,
    open_peak: AtomicU64,
}

/// One opener: a socket held open without `connection_init` until the
/// server closes it or the window ends, then another. Each accepted
/// handshake is a request of the flood's row; refusals are tallied, not
/// counted as errors (refusing the flood is the server's right).
async fn hold_sockets(
    addr: SocketAddr,
    window: Window,
    answers: Tally,
    gauge: Arc<SocketGauge>,
) -> Recorder {
    let mut recorder = Recorder::new(window);
    while Instant::now() < window.end {
        let started = Instant::now();
        let opened = tokio::time::timeout(HANDSHAKE_PATIENCE, open_uninitialised(addr)).await;
        let mut socket = match opened {
            Ok(Ok(socket)) => socket,
            Ok(Err(refused)) => {
                answers.count(&refused);
                tokio::time::sleep(REOPEN_PAUSE).await;
                continue;
            }
            Err(_) => {
                answers.count("handshake not answered in 5 s");
                continue;
            }
        };
        recorder.record(started, Instant::now(), Ok(()));
        answers.count("accepted");
        gauge.accepted.fetch_add(1, Ordering::Relaxed);
        let open = gauge.open.fetch_add(1, Ordering::Relaxed) + 1;
        gauge.open_peak.fetch_max(open, Ordering::Relaxed);
        let closed = tokio::time::timeout_at(window.end.into(), async {
            while let Some(frame) = socket.next().await {
                match frame {
                    Ok(Message::Close(frame)) => {
                        return frame.map_or_else(
                            || "closed by the server".to_owned(),
                            |frame| format!("closed by the server ({})", u16::from(frame.code)),
                        );
                    }
                    Err(_) => return "dropped by the server".to_owned(),
                    Ok(_) => {}
                }
            }
            "dropped by the server".to_owned()
        })
        .await;
        gauge.open.fetch_sub(1, Ordering::Relaxed);
        if let Ok(how) = closed {
            answers.count(&how);
        }
    }
    recorder
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A `graphql-transport-ws` handshake from the attacker's address; why it
/// failed, as a label, when it did.
async fn open_uninitialised(addr: SocketAddr) -> Result<Socket, String> {
    let mut request = format!("ws://{addr}/graphql")
        .into_client_request()
        .map_err(|_| "handshake request".to_owned())?;
    let headers = request.headers_mut();
    headers.insert(
        "sec-websocket-protocol",
        hyper::header::HeaderValue::from_static("graphql-transport-ws"),
    );
    headers.insert(
        FORWARDED_FOR,
        hyper::header::HeaderValue::from_static(ATTACKER_ADDRESS),
    );
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(tungstenite::Error::Http(response)) => {
            Err(format!("handshake HTTP {}", response.status().as_u16()))
        }
        Err(tungstenite::Error::Io(_)) => Err("connect".to_owned()),
        Err(_) => Err("handshake failed".to_owned()),
    }
}

/// The server's RSS and descriptors, sampled from the start of a flood until
/// its work is over.
struct ServerWatch {
    pid: u32,
    rss_idle_kib: u64,
    descriptors_idle: u64,
    done: Arc<AtomicBool>,
    sampler: std::thread::JoinHandle<u64>,
}

impl ServerWatch {
    fn start(pid: u32) -> Result<ServerWatch, BoxError> {
        let rss_idle_kib = memory_of(pid)?.rss_kib;
        let descriptors_idle = descriptors_of(pid)?;
        let done = Arc::new(AtomicBool::new(false));
        let stop = done.clone();
        // A thread of its own, so that a busy runtime does not thin the samples.
        let sampler = std::thread::spawn(move || {
            let mut peak = descriptors_idle;
            while !stop.load(Ordering::Relaxed) {
                if let Ok(now) = descriptors_of(pid) {
                    peak = peak.max(now);
                }
                std::thread::sleep(SAMPLE_INTERVAL);
            }
            peak
        });
        Ok(ServerWatch {
            pid,
            rss_idle_kib,
            descriptors_idle,
            done,
            sampler,
        })
    }

    /// Stops sampling: the numbers read, with the flood's answers.
    fn stop(self, connections_allowed: u64, answers: Tally) -> Result<FloodNumbers, BoxError> {
        self.done.store(true, Ordering::Relaxed);
        let descriptors_peak = self
            .sampler
            .join()
            .map_err(|_| "the descriptor sampler failed")?;
        let memory = memory_of(self.pid)?;
        Ok(FloodNumbers {
            rss_idle_mb: crate::megabytes(self.rss_idle_kib),
            rss_peak_mb: crate::megabytes(memory.peak_kib),
            descriptors_idle: self.descriptors_idle,
            descriptors_peak,
            connections_allowed,
            answers: answers.take(),
            logins_per_request: None,
            attacker_sessions: None,
            attacker_sessions_settled: None,
            sockets_accepted: None,
            sockets_open_peak: None,
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    my_sessions: Vec<serde::de::IgnoredAny>,
}

async fn count_sessions(addr: SocketAddr, request: &GqlRequest) -> Result<u64, BoxError> {
    let body = Connection::new(addr)
        .post(request)
        .await
        .map_err(|failure| format!("counting sessions: {failure}"))?;
    let listed =
        client::data::<Listed>(&body).map_err(|failure| format!("counting sessions: {failure}"))?;
    Ok(listed.my_sessions.len() as u64)
}

/// The attacker's session count once it stops growing (the server may go on
/// with logins after their request was answered or given up), and whether
/// it did stop within [`SETTLE_PATIENCE`].
async fn settle_sessions(addr: SocketAddr, request: &GqlRequest) -> Result<(u64, bool), BoxError> {
    let deadline = Instant::now() + SETTLE_PATIENCE;
    let mut last = count_sessions(addr, request).await?;
    let mut equal = 1;
    eprintln!("  counting the attacker's sessions until they stop growing: {last}");
    while Instant::now() < deadline {
        tokio::time::sleep(SETTLE_POLL).await;
        let now = count_sessions(addr, request).await?;
        if now == last {
            equal += 1;
            if equal >= SETTLED_AFTER_EQUAL_COUNTS {
                return Ok((now, true));
            }
        } else {
            eprintln!("  the attacker's sessions: {now}");
            equal = 1;
            last = now;
        }
    }
    Ok((last, false))
}
