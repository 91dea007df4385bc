//! The live-events check (`--sockets N`): N WebSockets open on one server,
//! [`SOCKETS_PER_SESSION`] per session and one session per user, each with
//! `sessionEvents` subscribed. Then, while they sit idle, what they cost the
//! database (statements and event reads per second, from `/metrics`) and the
//! server's RSS; then, `--socket-repeats` times, one session ended with
//! `logout`: the time from the logout's answer until each of its sockets has
//! its close frame. The budget: every close within 2 s at p99, and at most
//! one read per poll interval, whatever N.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::BoxError;
use crate::client::{Connection, GqlRequest};
use crate::scenarios::{Plan, open_sessions};
use crate::server::RunningServer;

/// Sockets per session: the server's default `MAX_SOCKETS_PER_USER`.
pub const SOCKETS_PER_SESSION: usize = 16;
/// Sockets being opened at once.
const OPENING_AT_ONCE: usize = 64;
/// How long the sockets sit idle while their cost is read.
const IDLE_WINDOW: Duration = Duration::from_secs(10);
/// Longest wait for a close before it counts as missing.
const CLOSE_PATIENCE: Duration = Duration::from_secs(10);
const EVENTS: &str = "subscription { sessionEvents { kind sessionId current reason } }";

/// What the check measured.
#[derive(Debug, serde::Serialize)]
pub struct SocketsReport {
    pub sockets: usize,
    pub rss_mb: f64,
    pub idle_secs: f64,
    pub statements_per_sec: f64,
    pub event_reads_per_sec: f64,
    pub poll_interval_ms: u64,
    pub repeats: usize,
    pub closes_measured: usize,
    pub closes_missing: usize,
    pub close_p50_ms: f64,
    pub close_p99_ms: f64,
    pub close_max_ms: f64,
}

impl SocketsReport {
    /// Every close arrived, within 2 s at p99; idle reads at most one per
    /// poll interval.
    pub fn passed(&self) -> bool {
        let reads_allowed = 1000.0 / self.poll_interval_ms as f64 * 1.05;
        self.closes_missing == 0
            && self.close_p99_ms <= 2000.0
            && self.event_reads_per_sec <= reads_allowed
    }

    pub fn text(&self) -> String {
        format!(
            "authql live-events check: {} sockets open ({} per session), RSS {:.1} MB\n\
             idle for {:.0} s: {:.2} statements/s, {:.2} event reads/s (poll interval {} ms: budget {:.2}/s)\n\
             {} sessions ended one at a time: {} closes measured, {} missing; \
             from the logout's answer to the close frame p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms (budget p99 <= 2000 ms)\n\
             {}\n",
            self.sockets,
            SOCKETS_PER_SESSION,
            self.rss_mb,
            self.idle_secs,
            self.statements_per_sec,
            self.event_reads_per_sec,
            self.poll_interval_ms,
            1000.0 / self.poll_interval_ms as f64,
            self.repeats,
            self.closes_measured,
            self.closes_missing,
            self.close_p50_ms,
            self.close_p99_ms,
            self.close_max_ms,
            if self.passed() { "ok" } else { "MISSED" }
        )
    }
}

/// One open socket: a task reads it (answering pings) and reports when its
/// close frame came.
struct OpenSocket {
    closed: tokio::sync::oneshot::Receiver<Instant>,
}

async fn open_one(addr: SocketAddr, access_token: &str) -> Result<OpenSocket, BoxError> {
    let mut request = format!("ws://{addr}/graphql").into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let init = json!({ "type": "connection_init",
        "payload": { "Authorization": format!("Bearer {access_token}") } });
    socket.send(Message::Text(init.to_string().into())).await?;
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) if text.contains("connection_ack") => break,
            Some(Ok(Message::Text(_) | Message::Ping(_) | Message::Pong(_))) => continue,
            other => return Err(format!("no connection_ack: {other:?}").into()),
        }
    }
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": EVENTS } });
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await?;
    let (tell, closed) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        while let Some(frame) = socket.next().await {
            if matches!(frame, Ok(Message::Close(_)) | Err(_)) {
                break;
            }
        }
        let _ = tell.send(Instant::now());
    });
    Ok(OpenSocket { closed })
}

fn percentile(sorted: &[f64], quantile: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (quantile * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Runs the check against `server`, whose users are `plan.users.names`.
pub async fn run(
    plan: &Plan,
    server: &RunningServer,
    sockets: usize,
    repeats: usize,
    poll_interval_ms: u64,
) -> Result<SocketsReport, BoxError> {
    let sessions_needed = sockets.div_ceil(SOCKETS_PER_SESSION);
    eprintln!("logging in {sessions_needed} users");
    let sessions = open_sessions(plan, &plan.users.names, sessions_needed).await?;
    eprintln!("opening {sockets} sockets");
    let mut by_session: Vec<Vec<OpenSocket>> = Vec::with_capacity(sessions.len());
    let mut left = sockets;
    for session in &sessions {
        let here = left.min(SOCKETS_PER_SESSION);
        left -= here;
        let mut opened = Vec::with_capacity(here);
        for chunk in (0..here).collect::<Vec<_>>().chunks(OPENING_AT_ONCE) {
            let batch = chunk
                .iter()
                .map(|_| open_one(plan.addr, &session.access_token));
            for socket in futures::future::join_all(batch).await {
                opened.push(socket?);
            }
        }
        by_session.push(opened);
    }

    eprintln!("idle for {} s", IDLE_WINDOW.as_secs());
    let before = counters(plan.addr).await?;
    let began = Instant::now();
    tokio::time::sleep(IDLE_WINDOW).await;
    let after = counters(plan.addr).await?;
    let idle_secs = began.elapsed().as_secs_f64();
    let rss_mb = server.memory()?.rss_kib as f64 * 1024.0 / 1e6;

    let repeats = repeats.min(by_session.len());
    eprintln!("ending {repeats} sessions one at a time");
    let mut closes_ms = Vec::new();
    let mut missing = 0;
    for (session, sockets) in sessions.iter().zip(by_session.iter_mut()).take(repeats) {
        let logout = GqlRequest::new("mutation { logout }", None, Some(&session.access_token))?;
        Connection::new(plan.addr)
            .post(&logout)
            .await
            .map_err(|failure| format!("logout: {failure}"))?;
        let answered = Instant::now();
        for socket in sockets.iter_mut() {
            match tokio::time::timeout(CLOSE_PATIENCE, &mut socket.closed).await {
                Ok(Ok(at)) => {
                    closes_ms.push(at.saturating_duration_since(answered).as_secs_f64() * 1000.0)
                }
                _ => missing += 1,
            }
        }
    }
    closes_ms.sort_by(f64::total_cmp);
    Ok(SocketsReport {
        sockets,
        rss_mb,
        idle_secs,
        statements_per_sec: (after.0 - before.0) / idle_secs,
        event_reads_per_sec: (after.1 - before.1) / idle_secs,
        poll_interval_ms,
        repeats,
        closes_measured: closes_ms.len(),
        closes_missing: missing,
        close_p50_ms: percentile(&closes_ms, 0.50),
        close_p99_ms: percentile(&closes_ms, 0.99),
        close_max_ms: closes_ms.last().copied().unwrap_or(0.0),
    })
}

/// `authql_db_statements_total` and `authql_session_event_polls_total`.
async fn counters(addr: SocketAddr) -> Result<(f64, f64), BoxError> {
    let body = Connection::new(addr)
        .post(&GqlRequest::metrics())
        .await
        .map_err(|failure| format!("GET /metrics: {failure}"))?;
    let text = String::from_utf8_lossy(&body);
    let read = |name: &str| -> Result<f64, BoxError> {
        text.lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().parse().ok())
            .ok_or_else(|| format!("/metrics has no {name}").into())
    };
    Ok((
        read("authql_db_statements_total ")?,
        read("authql_session_event_polls_total ")?,
    ))
}
