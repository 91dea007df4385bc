//! The `security_events` table: one row per thing that happened to an
//! account, written by the sessions service and the credential flows, read
//! by `mySecurityEvents`, deleted by the pruning after
//! `SECURITY_EVENT_RETENTION_DAYS`.
//!
//! Rows are written with [`insert_security_event!`] inside the transaction
//! of the change they record (so an event is never stored for a change that
//! did not commit, nor a change without its event), or with [`insert`] on
//! their own where the change is no transaction of ours (a wrong password).
//! Why the timeline is ordered by (`at`, `seq`, `id`) is said in
//! `crate::core::security_events`.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::store::schema::security_events as events;
use crate::store::{DbConn, expect_key};
use crate::vocabulary::{EndReason, SecurityEventKind};
use crate::with_conn;

/// A security event to store; built by `crate::core::security_events`.
#[derive(Insertable, Clone, Debug)]
#[diesel(table_name = events)]
pub(crate) struct NewSecurityEvent {
    pub id: String,
    pub user_id: String,
    pub kind: SecurityEventKind,
    pub at: NaiveDateTime,
    pub seq: i64,
    pub ip_address: Option<String>,
    pub device_name: Option<String>,
    pub session_id: Option<String>,
    pub end_reason: Option<EndReason>,
    pub detail: Option<String>,
}

impl NewSecurityEvent {
    /// An event of `kind` for `user_id` at `at`, with a fresh id and the
    /// next [`next_seq`]; the other fields are the caller's to fill.
    pub(crate) fn new(kind: SecurityEventKind, user_id: &str, at: NaiveDateTime) -> Self {
        NewSecurityEvent {
            id: crate::ids::new_id(),
            user_id: user_id.to_owned(),
            kind,
            at,
            seq: next_seq(),
            ip_address: None,
            device_name: None,
            session_id: None,
            end_reason: None,
            detail: None,
        }
    }
}

/// A stored security event, as `SecurityEvent` shows it to its owner.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = events)]
#[diesel(check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
pub(crate) struct SecurityEventRecord {
    pub id: String,
    pub user_id: String,
    pub kind: SecurityEventKind,
    pub at: NaiveDateTime,
    pub ip_address: Option<String>,
    pub device_name: Option<String>,
    pub session_id: Option<String>,
    pub end_reason: Option<EndReason>,
    pub detail: Option<String>,
}

/// The last `seq` this process handed out.
static LAST_SEQ: AtomicI64 = AtomicI64::new(0);

/// The next `seq`: the wall clock in microseconds since the epoch, or one
/// more than the last one handed out when that is later. It always rises
/// within a process (so the events one process writes in one instant keep
/// their order), and follows real time across processes and Galera nodes
/// (so two replicas' events of one instant sort about as they happened),
/// with no coordination and no write to share.
pub(crate) fn next_seq() -> i64 {
    let wall = chrono::Utc::now().timestamp_micros();
    let after = |last: i64| wall.max(last.saturating_add(1));
    // The closure never refuses, so both arms hold the value it was given.
    match LAST_SEQ.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
        Some(after(last))
    }) {
        Ok(last) | Err(last) => after(last),
    }
}

/// Inserts one [`NewSecurityEvent`] on a connection of either backend,
/// inside the caller's transaction (a macro, as `queue_mail!` is, because
/// the two connection types share no trait that diesel-async's statements
/// take). Evaluates to the statement's `QueryResult<usize>`.
#[macro_export]
macro_rules! insert_security_event {
    ($c:expr, $event:expr) => {{
        let event: &$crate::store::security_events::NewSecurityEvent = $event;
        // Fully qualified: the caller may have either `RunQueryDsl` in scope.
        ::diesel_async::RunQueryDsl::execute(
            ::diesel::insert_into($crate::store::schema::security_events::table).values(event),
            $c,
        )
        .await
    }};
}

/// Stores `event` on its own, for an event that records no change of ours
/// (a wrong password).
pub(crate) async fn insert(conn: &mut DbConn, event: &NewSecurityEvent) -> QueryResult<()> {
    with_conn!(conn, |c| insert_security_event!(c, event).map(|_| ()))
}

/// Up to `first` of the user's events, newest first; with `before`, only
/// those older than that event. None when `before` is not one of the user's
/// events.
pub(crate) async fn page(
    conn: &mut DbConn,
    user_id: &str,
    before: Option<&str>,
    first: i64,
) -> QueryResult<Option<Vec<SecurityEventRecord>>> {
    with_conn!(conn, |c| {
        let mut query = events::table
            .filter(events::user_id.eq(user_id))
            .select(SecurityEventRecord::as_select())
            .order((events::at.desc(), events::seq.desc(), events::id.desc()))
            .limit(first)
            .into_boxed();
        if let Some(before) = before {
            let cursor = events::table
                .filter(events::id.eq(before))
                .filter(events::user_id.eq(user_id))
                .select((events::id, events::at, events::seq))
                .first::<(String, NaiveDateTime, i64)>(c)
                .await
                .optional()?;
            let Some((id, at, seq)) = cursor else {
                return Ok(None);
            };
            expect_key("security event", before, &id)?;
            query = query.filter(
                events::at.lt(at).or(events::at.eq(at).and(
                    events::seq
                        .lt(seq)
                        .or(events::seq.eq(seq).and(events::id.lt(id))),
                )),
            );
        }
        let listed = query.load::<SecurityEventRecord>(c).await?;
        for event in &listed {
            expect_key("security event owner", user_id, &event.user_id)?;
        }
        Ok(Some(listed))
    })
}

/// Most addresses [`sign_in_addresses`] reads: the user's sign-ins from one
/// device name within the retention come from a handful of networks; past
/// this many, the rest are not compared (and the device may count as new).
pub(crate) const SIGN_IN_ADDRESSES_READ: i64 = 256;

/// The client addresses of the user's sign-ins (`SIGNED_IN`: one per
/// session opened) named `device_name` and recorded after `since`, each
/// once, for the new-device rule.
pub(crate) async fn sign_in_addresses(
    conn: &mut DbConn,
    user_id: &str,
    device_name: &str,
    since: NaiveDateTime,
) -> QueryResult<Vec<Option<String>>> {
    with_conn!(conn, |c| {
        events::table
            .filter(events::user_id.eq(user_id))
            .filter(events::at.gt(since))
            .filter(events::kind.eq(SecurityEventKind::SignedIn))
            .filter(events::device_name.eq(device_name))
            .select(events::ip_address)
            .distinct()
            .limit(SIGN_IN_ADDRESSES_READ)
            .load::<Option<String>>(c)
            .await
    })
}

/// How many events are stored, whoever's: for tests and operators' checks
/// (an event must never be written for a name without an account).
pub async fn count_all(conn: &mut DbConn) -> QueryResult<i64> {
    with_conn!(conn, |c| events::table.count().get_result::<i64>(c).await)
}

/// Every event recorded at `since` or later, whoever's, oldest first: for
/// the live feed's read (`core::live::feed`), through the index on `at`.
/// `now` is the read's own time: an event stamped later by a replica whose
/// clock runs ahead is left to the next read, as session changes are.
pub(crate) async fn recorded_between(
    conn: &mut DbConn,
    since: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<Vec<SecurityEventRecord>> {
    with_conn!(conn, |c| {
        events::table
            .filter(events::at.ge(since))
            .filter(events::at.le(now))
            .order((events::at.asc(), events::seq.asc(), events::id.asc()))
            .select(SecurityEventRecord::as_select())
            .load::<SecurityEventRecord>(c)
            .await
    })
}

/// Up to `limit` ids of events recorded before `cutoff`.
pub(crate) async fn recorded_before(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<String>> {
    with_conn!(conn, |c| {
        events::table
            .filter(events::at.lt(cutoff))
            .select(events::id)
            .limit(limit)
            .load::<String>(c)
            .await
    })
}

/// Deletes those of `ids` recorded before `cutoff`; how many.
pub(crate) async fn delete_recorded_before(
    conn: &mut DbConn,
    ids: &[String],
    cutoff: NaiveDateTime,
) -> QueryResult<usize> {
    with_conn!(conn, |c| {
        diesel::delete(
            events::table
                .filter(events::id.eq_any(ids))
                .filter(events::at.lt(cutoff)),
        )
        .execute(c)
        .await
    })
}
