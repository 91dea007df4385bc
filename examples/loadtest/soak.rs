//! The soak run (`--soak SECS`): mixed traffic on every connection for a
//! long time, with one database outage in the middle, to show what a
//! benchmark's ten seconds cannot: no leak, no wrong answer, recovery.
//!
//! Each worker is its own user with its own session, and loops over a mix:
//! `me` (its own user, or a wrong answer), `mySessions` (its own session
//! among them), `refreshToken` (its own chain, rotated), a second login
//! ended again with `logoutSession`, and now and then `changePassword`
//! (keeping its other sessions). Nothing ends a worker's own session, so a
//! `SESSION_REVOKED`, `UNAUTHENTICATED`, `INVALID_REFRESH_TOKEN` or
//! `REFRESH_TOKEN_REUSED` for it is a wrong answer too. `SERVICE_UNAVAILABLE`
//! and transport errors are counted by kind, not judged: they are what the
//! outage should give.
//!
//! The outage, at half time: `--restart-command` (run with `sh -c`; the
//! outage lasts as long as it runs), such as a MariaDB restart; on SQLite
//! without one, the database file locked by another process for
//! `--outage-secs` (writers wait; the embedded database has no server to
//! restart).
//!
//! It reports, each second, the answers by kind and the server's RSS; and at
//! the end: wrong answers (zero is the pass), how many workers' sessions
//! still work, RSS at the end against RSS after the warm-up (within 10 % is
//! the pass), the longest stretch without a successful answer, and how long
//! after the outage ended the first success and the last failure came.
//!
//! RSS is compared by its floor: the lowest sample of the minute after the
//! warm-up against the lowest of the last minute. Each password hash in
//! flight holds Argon2's 19 MiB for a moment, so single samples swing by
//! that much with the logins that happen to be running; what a leak moves
//! is the floor.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hyper::body::Bytes;
use serde::Deserialize;

use crate::BoxError;
use crate::client::{self, Connection, Failure, GqlRequest};
use crate::scenarios::MeData;
use crate::server::RunningServer;

const ME: &str = "{ me { userName } }";
const MY_SESSIONS: &str = "{ mySessions { id current } }";
const LOGIN: &str = "mutation($input: LoginInput!) { login(input: $input) { accessToken refreshToken session { id } } }";
const REFRESH: &str =
    "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }";
const LOGOUT_SESSION: &str = "mutation($id: ID!) { logoutSession(sessionId: $id) }";
const CHANGE_PASSWORD: &str =
    "mutation($input: ChangePasswordInput!) { changePassword(input: $input) }";

/// The label of an answer that is not what the rules allow.
const WRONG: &str = "WRONG ANSWER";
/// The label of a good answer.
const OK: &str = "OK";
/// Codes that mean a worker's own live session was refused.
const REFUSED_LIVE: [&str; 4] = [
    "GraphQL SESSION_REVOKED",
    "GraphQL UNAUTHENTICATED",
    "GraphQL INVALID_REFRESH_TOKEN",
    "GraphQL REFRESH_TOKEN_REUSED",
];

/// How the database is taken away at half time.
#[derive(Clone)]
pub enum Outage {
    /// A command (a database restart); the outage lasts while it runs.
    Command(String),
    /// The SQLite file locked by another connection for this long.
    SqliteLock { path: PathBuf, hold: Duration },
}

/// Everything the soak needs.
pub struct SoakPlan {
    pub addr: SocketAddr,
    pub duration: Duration,
    /// One user per worker, all with `password`.
    pub users: Vec<String>,
    pub password: String,
    pub outage: Outage,
}

/// Answers by kind, per second since the start.
struct Tally {
    start: Instant,
    seconds: Mutex<Vec<BTreeMap<&'static str, u64>>>,
    others: Mutex<BTreeMap<String, u64>>,
    /// Milliseconds since `start` of the latest success, and the longest
    /// gap between two successes seen so far.
    last_success_ms: AtomicU64,
    longest_gap_ms: AtomicU64,
    /// Milliseconds since `start` of the latest failure.
    last_failure_ms: AtomicU64,
    /// The first success after the outage ended (`u64::MAX`: none yet).
    outage_ended_ms: AtomicU64,
    first_success_after_ms: AtomicU64,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            start: Instant::now(),
            seconds: Mutex::new(Vec::new()),
            others: Mutex::new(BTreeMap::new()),
            last_success_ms: AtomicU64::new(0),
            longest_gap_ms: AtomicU64::new(0),
            last_failure_ms: AtomicU64::new(0),
            outage_ended_ms: AtomicU64::new(u64::MAX),
            first_success_after_ms: AtomicU64::new(u64::MAX),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn record(&self, outcome: Result<(), Failure>) {
        let now = self.now_ms();
        let label: &'static str = match &outcome {
            Ok(()) => OK,
            Err(kind) if kind == WRONG => WRONG,
            Err(kind) => {
                *self
                    .others
                    .lock()
                    .expect("tally")
                    .entry(kind.clone())
                    .or_default() += 1;
                "failed"
            }
        };
        if outcome.is_ok() {
            let previous = self.last_success_ms.fetch_max(now, Ordering::Relaxed);
            self.longest_gap_ms
                .fetch_max(now.saturating_sub(previous), Ordering::Relaxed);
            if now >= self.outage_ended_ms.load(Ordering::Relaxed) {
                self.first_success_after_ms
                    .fetch_min(now, Ordering::Relaxed);
            }
        } else {
            self.last_failure_ms.fetch_max(now, Ordering::Relaxed);
        }
        let second = usize::try_from(now / 1000).unwrap_or(usize::MAX);
        let mut seconds = self.seconds.lock().expect("tally");
        if seconds.len() <= second {
            seconds.resize_with(second + 1, BTreeMap::new);
        }
        *seconds[second].entry(label).or_default() += 1;
    }
}

/// What the soak found.
pub struct SoakReport {
    lines: Vec<String>,
    pub wrong_answers: u64,
    pub sessions_alive: usize,
    pub sessions: usize,
    pub rss_after_warmup_mb: f64,
    pub rss_end_mb: f64,
}

impl SoakReport {
    pub fn passed(&self) -> bool {
        self.wrong_answers == 0
            && self.sessions_alive == self.sessions
            && self.rss_end_mb <= self.rss_after_warmup_mb * 1.10
    }

    pub fn text(&self) -> String {
        let mut text = self.lines.join("\n");
        text.push('\n');
        text
    }
}

/// Runs the soak against `server`, sampling its memory each second.
pub async fn run(plan: SoakPlan, server: &RunningServer) -> Result<SoakReport, BoxError> {
    let tally = Arc::new(Tally::new());
    let end = tally.start + plan.duration;
    let workers: Vec<_> = plan
        .users
        .iter()
        .enumerate()
        .map(|(index, user)| {
            tokio::spawn(worker(
                plan.addr,
                index,
                user.clone(),
                plan.password.clone(),
                tally.clone(),
                end,
            ))
        })
        .collect();
    let warmup = (plan.duration / 10).min(Duration::from_secs(30));
    let outage_at = plan.duration / 2;
    let mut rss = Vec::new();
    let mut outage: Option<tokio::task::JoinHandle<Result<Duration, BoxError>>> = None;
    let mut outage_window = None;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    while Instant::now() < end {
        tick.tick().await;
        let elapsed = tally.start.elapsed();
        rss.push((elapsed, server.memory()?.rss_kib));
        if outage.is_none() && elapsed >= outage_at {
            eprintln!("[{:>4} s] outage begins", elapsed.as_secs());
            outage = Some(tokio::spawn(take_away(plan.outage.clone())));
        }
        if let Some(running) = &outage
            && running.is_finished()
            && outage_window.is_none()
        {
            let began = outage_at;
            let ended = tally.start.elapsed();
            tally.outage_ended_ms.store(
                u64::try_from(ended.as_millis()).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
            eprintln!("[{:>4} s] outage over", ended.as_secs());
            outage_window = Some((began, ended));
        }
    }
    if let Some(running) = outage {
        running.await??;
    }
    let mut sessions_alive = 0;
    for worker in workers {
        if worker.await? {
            sessions_alive += 1;
        }
    }
    let floor = |from: Duration, to: Duration| {
        rss.iter()
            .filter(|(at, _)| *at >= from && *at < to)
            .map(|(_, kib)| *kib)
            .min()
    };
    let minute = Duration::from_secs(60).min(plan.duration / 5);
    let rss_end = floor(plan.duration.saturating_sub(minute), plan.duration + minute)
        .unwrap_or(server.memory()?.rss_kib);
    let rss_after_warmup = floor(warmup, warmup + minute).unwrap_or(rss_end);
    Ok(summarize(
        &tally,
        &rss,
        outage_window,
        sessions_alive,
        plan.users.len(),
        (rss_after_warmup, rss_end),
    ))
}

/// Takes the database away and gives it back; how long that took.
async fn take_away(outage: Outage) -> Result<Duration, BoxError> {
    let began = Instant::now();
    tokio::task::spawn_blocking(move || -> Result<(), BoxError> {
        match outage {
            Outage::Command(command) => {
                let status = std::process::Command::new("sh")
                    .args(["-c", &command])
                    .status()?;
                if !status.success() {
                    return Err(format!("the restart command failed: {status}").into());
                }
            }
            Outage::SqliteLock { path, hold } => {
                use diesel::{Connection, RunQueryDsl};
                let mut conn = diesel::SqliteConnection::establish(&path.display().to_string())?;
                diesel::sql_query("BEGIN EXCLUSIVE").execute(&mut conn)?;
                std::thread::sleep(hold);
                diesel::sql_query("COMMIT").execute(&mut conn)?;
            }
        }
        Ok(())
    })
    .await??;
    Ok(began.elapsed())
}

fn summarize(
    tally: &Tally,
    rss: &[(Duration, u64)],
    outage: Option<(Duration, Duration)>,
    sessions_alive: usize,
    sessions: usize,
    (rss_after_warmup, rss_end): (u64, u64),
) -> SoakReport {
    let seconds = tally.seconds.lock().expect("tally");
    let mut lines = vec!["second        ok    failed  wrong   rss MB".to_owned()];
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    for (second, counts) in seconds.iter().enumerate() {
        for (label, count) in counts {
            *totals.entry(label).or_default() += count;
        }
        let rss_mb = rss
            .iter()
            .find(|(at, _)| at.as_secs() >= second as u64)
            .map_or("-".to_owned(), |(_, kib)| format!("{:.1}", mb(*kib)));
        lines.push(format!(
            "{second:>6} {:>9} {:>9} {:>6} {rss_mb:>8}",
            counts.get(OK).unwrap_or(&0),
            counts.get("failed").unwrap_or(&0),
            counts.get(WRONG).unwrap_or(&0),
        ));
    }
    let wrong_answers = *totals.get(WRONG).unwrap_or(&0);
    lines.push(String::new());
    lines.push(format!(
        "answers: {} ok, {} failed, {wrong_answers} wrong",
        totals.get(OK).unwrap_or(&0),
        totals.get("failed").unwrap_or(&0),
    ));
    for (kind, count) in tally.others.lock().expect("tally").iter() {
        lines.push(format!("  failed as {kind}: {count}"));
    }
    let ms = |atomic: &AtomicU64| atomic.load(Ordering::Relaxed);
    if let Some((began, ended)) = outage {
        let ended_ms = u64::try_from(ended.as_millis()).unwrap_or(u64::MAX);
        let first_success = ms(&tally.first_success_after_ms);
        let last_failure = ms(&tally.last_failure_ms);
        lines.push(format!(
            "outage: {:.1} s to {:.1} s ({:.1} s); first success {} after it ended; last failure {}",
            began.as_secs_f64(),
            ended.as_secs_f64(),
            (ended - began).as_secs_f64(),
            after(first_success, ended_ms),
            after(last_failure, ended_ms),
        ));
    }
    lines.push(format!(
        "longest stretch without a successful answer: {:.2} s",
        ms(&tally.longest_gap_ms) as f64 / 1000.0
    ));
    lines.push(format!(
        "sessions still working at the end: {sessions_alive} of {sessions}"
    ));
    lines.push(format!(
        "RSS floor in the minute after warm-up {:.1} MB, in the last minute {:.1} MB ({:+.1} %)",
        mb(rss_after_warmup),
        mb(rss_end),
        (rss_end as f64 / rss_after_warmup.max(1) as f64 - 1.0) * 100.0
    ));
    SoakReport {
        lines,
        wrong_answers,
        sessions_alive,
        sessions,
        rss_after_warmup_mb: mb(rss_after_warmup),
        rss_end_mb: mb(rss_end),
    }
}

fn after(at_ms: u64, ended_ms: u64) -> String {
    if at_ms == u64::MAX {
        "never".to_owned()
    } else if at_ms < ended_ms {
        "before it ended".to_owned()
    } else {
        format!("{:.2} s", (at_ms - ended_ms) as f64 / 1000.0)
    }
}

fn mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Opened {
    access_token: String,
    refresh_token: String,
    session: Id,
}

#[derive(Deserialize)]
struct Id {
    id: String,
}

#[derive(Deserialize)]
struct LoginData {
    login: Opened,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rotated {
    access_token: String,
    refresh_token: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefreshData {
    refresh_token: Rotated,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionsData {
    my_sessions: Vec<Listed>,
}

#[derive(Deserialize)]
struct Listed {
    current: bool,
}

/// One worker's user and session.
struct Worker {
    connection: Connection,
    user: String,
    password: String,
    /// A changePassword whose answer was lost: either password may hold.
    password_unsure: bool,
    access_token: String,
    refresh_token: String,
}

/// Runs one worker until `end`; whether its session still works then.
async fn worker(
    addr: SocketAddr,
    index: usize,
    user: String,
    password: String,
    tally: Arc<Tally>,
    end: Instant,
) -> bool {
    let mut connection = Connection::new(addr);
    let opened = loop {
        match send(&mut connection, login(&user, &password)).await {
            Ok(body) => match client::data::<LoginData>(&body) {
                Ok(data) => break data.login,
                Err(failure) => tally.record(Err(failure)),
            },
            Err(failure) => tally.record(Err(failure)),
        }
        if Instant::now() >= end {
            return false;
        }
    };
    let mut me = Worker {
        connection,
        user,
        password,
        password_unsure: false,
        access_token: opened.access_token,
        refresh_token: opened.refresh_token,
    };
    // Each worker starts its round at another turn, so that the password
    // hashes of logins and changes are spread out, not all at once.
    let mut turn = (index as u64).wrapping_mul(37);
    while Instant::now() < end {
        turn += 1;
        let outcome = match turn % 200 {
            0 => me.change_password().await,
            1 | 101 => me.second_session().await,
            n if n % 10 == 2 => me.refresh().await,
            n if n % 10 == 3 => me.my_sessions().await,
            _ => me.me().await,
        };
        tally.record(outcome);
    }
    // The last word: the session still answers as its own user (a refresh
    // first, in case the access token ran out during a long soak).
    for _ in 0..5 {
        let _ = me.refresh().await;
        if me.me().await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    false
}

fn login(user: &str, password: &str) -> Result<GqlRequest, BoxError> {
    GqlRequest::new(
        LOGIN,
        Some(
            serde_json::json!({ "input": { "userName": user, "password": password, "deviceInfo": "soak" } }),
        ),
        None,
    )
}

async fn send(
    connection: &mut Connection,
    request: Result<GqlRequest, BoxError>,
) -> Result<Bytes, Failure> {
    let request = request.map_err(|_| "build request".to_owned())?;
    connection.post(&request).await
}

/// A failure on the worker's own live session is a wrong answer.
fn judged(failure: Failure) -> Failure {
    if REFUSED_LIVE.contains(&failure.as_str()) {
        WRONG.to_owned()
    } else {
        failure
    }
}

impl Worker {
    async fn me(&mut self) -> Result<(), Failure> {
        let request = GqlRequest::new(ME, None, Some(&self.access_token));
        let body = send(&mut self.connection, request).await?;
        let data = client::data::<MeData>(&body).map_err(judged)?;
        if data.me.user_name != self.user {
            return Err(WRONG.to_owned());
        }
        Ok(())
    }

    async fn my_sessions(&mut self) -> Result<(), Failure> {
        let request = GqlRequest::new(MY_SESSIONS, None, Some(&self.access_token));
        let body = send(&mut self.connection, request).await?;
        let data = client::data::<SessionsData>(&body).map_err(judged)?;
        if !data.my_sessions.iter().any(|s| s.current) {
            return Err(WRONG.to_owned());
        }
        Ok(())
    }

    async fn refresh(&mut self) -> Result<(), Failure> {
        let variables = serde_json::json!({ "t": self.refresh_token });
        let request = GqlRequest::new(REFRESH, Some(variables), None);
        let body = send(&mut self.connection, request).await?;
        let rotated = client::data::<RefreshData>(&body)
            .map_err(judged)?
            .refresh_token;
        self.access_token = rotated.access_token;
        self.refresh_token = rotated.refresh_token;
        Ok(())
    }

    /// Opens a second session and ends it from the first.
    async fn second_session(&mut self) -> Result<(), Failure> {
        let body = send(&mut self.connection, login(&self.user, &self.password)).await?;
        let opened = match client::data::<LoginData>(&body) {
            Ok(data) => data.login,
            Err(failure) if failure == "GraphQL INVALID_CREDENTIALS" && self.password_unsure => {
                self.flip_password();
                return Ok(());
            }
            Err(failure) => return Err(failure),
        };
        let variables = serde_json::json!({ "id": opened.session.id });
        let request = GqlRequest::new(LOGOUT_SESSION, Some(variables), Some(&self.access_token));
        let body = send(&mut self.connection, request).await?;
        client::data::<serde::de::IgnoredAny>(&body).map_err(judged)?;
        Ok(())
    }

    /// Changes the password to its other spelling, keeping other sessions.
    async fn change_password(&mut self) -> Result<(), Failure> {
        let next = self.other_password();
        let variables = serde_json::json!({ "input": {
            "currentPassword": self.password, "newPassword": next, "endOtherSessions": false } });
        let request = GqlRequest::new(CHANGE_PASSWORD, Some(variables), Some(&self.access_token));
        let answer = send(&mut self.connection, request).await;
        match answer.and_then(|body| client::data::<serde::de::IgnoredAny>(&body)) {
            Ok(_) => {
                self.password = next;
                self.password_unsure = false;
                Ok(())
            }
            Err(failure) if failure == "GraphQL INVALID_CREDENTIALS" && self.password_unsure => {
                self.flip_password();
                Ok(())
            }
            Err(failure) => {
                // Done or not done; the next login tells which.
                self.password_unsure = true;
                Err(judged(failure))
            }
        }
    }

    fn other_password(&self) -> String {
        match self.password.strip_suffix('!') {
            Some(base) => base.to_owned(),
            None => format!("{}!", self.password),
        }
    }

    fn flip_password(&mut self) {
        self.password = self.other_password();
        self.password_unsure = false;
    }
}
