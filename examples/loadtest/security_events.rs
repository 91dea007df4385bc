//! The `mySecurityEvents` scenario: the first page (50 events) of the
//! timeline of a user with 10,000 security events, with a bearer token,
//! each answer checked to hold a full page.
//!
//! The events are written straight into `security_events` before the server
//! starts, not made through the API: each would cost a sign-in (an Argon2id
//! verify) or a failed one (throttled per name), so 10,000 would take the
//! better part of an hour. The rows are the kinds of rows the server
//! writes: sign-ins with their `amr`, failures, ends of sessions with their
//! reasons, now and then a password change, from a few devices and
//! addresses, one every 11.5 minutes over the last 80 days (inside the
//! default `SECURITY_EVENT_RETENTION_DAYS` of 90, so the pruning leaves
//! them), `seq` the microsecond of `at` as `next_seq` makes it. Each round's
//! logins add their own `SIGNED_IN` events on top, the newest of all.
//!
//! Before the first window of each round one request checks the page: 50
//! events, newest first, no id twice. A wrong page stops the run; in the
//! window, an answer with fewer than 50 events counts as a wrong answer.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Instant;

use authql::config::Config;
use authql::store::DbPool;
use authql::store::schema::security_events as events;
use authql::vocabulary::{EndReason, SecurityEventKind};
use chrono::{DateTime, NaiveDateTime, SubsecRound, TimeDelta, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use hyper::body::Bytes;
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::BoxError;
use crate::accounts;
use crate::client::{self, Connection, Failure, GqlRequest};
use crate::scenarios::{Job, Plan, WRONG_ANSWER, finish, open_sessions, spawn_workers};
use crate::server::ServerSetup;
use crate::stats::Summary;

/// The query measured: the first page, the fields a timeline shows.
const FIRST_PAGE: &str =
    "{ mySecurityEvents(first: 50) { id kind at ipAddress deviceName detail } }";
/// Events in that page.
pub const PAGE: usize = 50;
/// Events the user holds before the benchmark's own sign-ins.
pub const EVENTS: usize = 10_000;
/// The user whose timeline is read.
const USER: &str = "bench_events";
/// Sessions of that user the workers share, opened anew each round: no
/// more than open at once (below the per-name throttle).
const SESSIONS: usize = 4;
/// How far back the oldest seeded event lies, in days: inside the default
/// retention of 90, so the server's pruning keeps every one.
const SPREAD_DAYS: i64 = 80;
/// Rows per transaction. One INSERT per row: diesel-async's SQLite
/// connection takes no multi-row INSERT, and in one transaction a row costs
/// a round trip, not a commit (the 10,000 take a second or two).
const ROWS_PER_TRANSACTION: usize = 500;

/// Where the seeded events come from (the devices and addresses a user
/// signs in from, in turn).
const DEVICES: [(&str, &str); 5] = [
    ("Firefox on Linux", "203.0.113.7"),
    ("Chrome on Windows", "198.51.100.23"),
    ("Safari on iOS", "2001:db8::42"),
    ("Chrome on Android", "203.0.113.80"),
    ("Edge on Windows", "198.51.100.5"),
];

/// One seeded row of `security_events`.
#[derive(Insertable)]
#[diesel(table_name = events)]
struct SeededEvent {
    id: String,
    user_id: String,
    kind: SecurityEventKind,
    at: NaiveDateTime,
    seq: i64,
    ip_address: Option<String>,
    device_name: Option<String>,
    session_id: Option<String>,
    end_reason: Option<EndReason>,
    detail: Option<String>,
}

/// Makes the user, before the server starts, and writes its [`EVENTS`]
/// events on the server's database.
pub async fn prepare(setup: &ServerSetup) -> Result<(), BoxError> {
    eprintln!("creating {USER} with {EVENTS} security events");
    let ids = accounts::create_named(setup, &[USER.to_owned()]).await?;
    let [user_id] = ids.as_slice() else {
        return Err("the events user was not made".into());
    };
    // Microseconds, as the server's clock stores them (`DATETIME(6)`).
    let seeded = seeded_events(user_id, Utc::now().naive_utc().trunc_subsecs(6));
    let config = Config::from_lookup(|name| setup.var(name))?;
    let pool = DbPool::new(&config.database_url, config.pool)?;
    let started = Instant::now();
    let written = write(&pool, &seeded).await;
    pool.close();
    written?;
    eprintln!(
        "  {EVENTS} events written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn write(pool: &DbPool, seeded: &[SeededEvent]) -> Result<(), BoxError> {
    let mut conn = pool.get().await?;
    for rows in seeded.chunks(ROWS_PER_TRANSACTION) {
        insert_in_one_transaction!(&mut conn, events::table, rows)?;
    }
    Ok(())
}

/// The [`EVENTS`] events of `user_id`, oldest first, the newest a step
/// before `now`: sign-ins and the ends of their sessions in turn, a wrong
/// password before every fifth sign-in, a password change every 500th event.
fn seeded_events(user_id: &str, now: NaiveDateTime) -> Vec<SeededEvent> {
    let step = TimeDelta::days(SPREAD_DAYS) / EVENTS as i32;
    let mut session_id = authql::ids::new_id();
    (0..EVENTS)
        .map(|i| {
            let at = now - step * (EVENTS - i) as i32;
            let (device, address) = DEVICES[(i / 10) % DEVICES.len()];
            let (kind, detail, end_reason) = match i % 10 {
                _ if i % 500 == 499 => (SecurityEventKind::PasswordChanged, None, None),
                0 | 4 | 8 => {
                    session_id = authql::ids::new_id();
                    (SecurityEventKind::SignedIn, Some("pwd"), None)
                }
                2 => {
                    session_id = authql::ids::new_id();
                    (SecurityEventKind::SignedIn, Some("pwd otp"), None)
                }
                6 => {
                    session_id = authql::ids::new_id();
                    (SecurityEventKind::SignedIn, Some("hwk"), None)
                }
                1 | 5 => (
                    SecurityEventKind::SessionEnded,
                    None,
                    Some(EndReason::Logout),
                ),
                3 => (
                    SecurityEventKind::SessionEnded,
                    None,
                    Some(EndReason::Expired),
                ),
                7 => (
                    SecurityEventKind::SessionEnded,
                    None,
                    Some(EndReason::EndedByOtherSession),
                ),
                _ => (SecurityEventKind::SignInFailed, None, None),
            };
            let in_session = matches!(
                kind,
                SecurityEventKind::SignedIn | SecurityEventKind::SessionEnded
            );
            SeededEvent {
                id: authql::ids::new_id(),
                user_id: user_id.to_owned(),
                kind,
                at,
                seq: at.and_utc().timestamp_micros(),
                ip_address: Some(address.to_owned()),
                device_name: Some(device.to_owned()),
                session_id: in_session.then(|| session_id.clone()),
                end_reason,
                detail: detail.map(str::to_owned),
            }
        })
        .collect()
}

/// Opens the user's sessions, checks the first page once, and measures it.
pub async fn run(plan: &Plan) -> Result<(Summary, PageCheck), BoxError> {
    let sessions = open_sessions(plan, &[USER.to_owned()], SESSIONS).await?;
    let requests = sessions
        .iter()
        .map(|s| GqlRequest::new(FIRST_PAGE, None, Some(&s.access_token)))
        .collect::<Result<Vec<_>, _>>()?;
    let check = check_first_page(plan.addr, &requests[0]).await?;
    let jobs = (0..plan.connections).map(|i| FullPage(requests[i % requests.len()].clone()));
    let summary = finish(spawn_workers(plan.addr, jobs, plan.window())).await?;
    Ok((summary, check))
}

/// What the check before the window read of the first page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PageCheck {
    /// Events in the page.
    pub events: usize,
    /// Events the user was given before the benchmark's sign-ins.
    pub seeded: usize,
    /// The newest and the oldest event's `at`, as the server wrote them.
    pub newest_at: String,
    pub oldest_at: String,
}

impl PageCheck {
    /// The line under the scenario's row.
    pub fn text(&self) -> String {
        format!(
            "first page: {} of {}+ events, newest first ({} .. {})",
            self.events, self.seeded, self.newest_at, self.oldest_at
        )
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page<T> {
    my_security_events: Vec<T>,
}

#[derive(Deserialize)]
struct Event {
    id: String,
    at: String,
}

/// Reads the first page once: [`PAGE`] events, no id twice, each `at` no
/// later than the one before. Anything else stops the run.
async fn check_first_page(addr: SocketAddr, request: &GqlRequest) -> Result<PageCheck, BoxError> {
    let body = Connection::new(addr).post(request).await?;
    let page = client::data::<Page<Event>>(&body)?.my_security_events;
    if page.len() != PAGE {
        return Err(format!("mySecurityEvents gave {} events, not {PAGE}", page.len()).into());
    }
    let ids: HashSet<&str> = page.iter().map(|event| event.id.as_str()).collect();
    if ids.len() != page.len() {
        return Err("mySecurityEvents gave an event twice".into());
    }
    let times = page
        .iter()
        .map(|event| DateTime::parse_from_rfc3339(&event.at))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("mySecurityEvents: an `at` that is no RFC 3339 time: {e}"))?;
    if times.windows(2).any(|pair| pair[0] < pair[1]) {
        return Err("mySecurityEvents: the page is not newest first".into());
    }
    Ok(PageCheck {
        events: page.len(),
        seeded: EVENTS,
        newest_at: page[0].at.clone(),
        oldest_at: page[page.len() - 1].at.clone(),
    })
}

/// The first page again and again; an answer is good when it holds a full
/// page.
struct FullPage(GqlRequest);

impl Job for FullPage {
    fn next(&mut self) -> Option<&GqlRequest> {
        Some(&self.0)
    }

    fn finish(&mut self, answer: Result<Bytes, Failure>) -> Result<(), Failure> {
        let page = client::data::<Page<IgnoredAny>>(&answer?)?.my_security_events;
        if page.len() == PAGE {
            Ok(())
        } else {
            Err(WRONG_ANSWER.to_owned())
        }
    }
}
