//! The `login_throttle` table: failures counted per key in a window, and the
//! password checks under way per user name key. Every change is one atomic
//! statement, so concurrent requests and replicas each see a consistent
//! count without holding a lock across the password check.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamp};
use diesel_async::RunQueryDsl;

use crate::store::schema::login_throttle as throttle;
use crate::store::{DbConn, expect_key};
use crate::with_conn;

/// A key's row: failures in the window that began at `started_at` (with the
/// first of them), and the checks under way (`checking`, the last begun at
/// `checking_since`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable)]
pub struct Window {
    pub failure_count: i32,
    pub started_at: NaiveDateTime,
    pub checking: i32,
    pub checking_since: Option<NaiveDateTime>,
}

/// The moments that decide whether counts still hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cutoffs {
    pub now: NaiveDateTime,
    /// A window that began at or before this is over: its failures are forgotten.
    pub window: NaiveDateTime,
    /// Checks counted when the last one began at or before this are forgotten:
    /// none can take that long, so their server died mid-check.
    pub stale_checks: NaiveDateTime,
}

/// The statement that makes a key's row (empty, its window starting now)
/// unless it exists, in each backend's form: every count then changes the
/// row with one conditional UPDATE.
fn ensure_row_sql(is_mysql: bool) -> &'static str {
    if is_mysql {
        "INSERT INTO login_throttle (throttle_key, failure_count, window_started_at, checking) \
             VALUES (?, 0, ?, 0) ON DUPLICATE KEY UPDATE throttle_key = throttle_key"
    } else {
        "INSERT INTO login_throttle (throttle_key, failure_count, window_started_at, checking) \
             VALUES (?, 0, ?, 0) ON CONFLICT (throttle_key) DO NOTHING"
    }
}

/// Begins a password check for `key` if the failures of the window and the
/// checks under way leave room below `limit`; returns whether it began.
/// Expired windows and stale checks are forgotten in the same statement.
pub(crate) async fn begin_check(
    conn: &mut DbConn,
    key: &str,
    cutoffs: Cutoffs,
    limit: u32,
) -> QueryResult<bool> {
    let insert = ensure_row_sql(conn.is_mysql());
    // MySQL evaluates SET assignments left to right, each seeing the values
    // assigned before it; SQLite sees the old row throughout. No expression
    // here reads a column assigned earlier in the list, so both agree.
    let take = "UPDATE login_throttle SET \
         failure_count = CASE WHEN window_started_at <= ? THEN 0 ELSE failure_count END, \
         checking = CASE WHEN checking_since IS NULL OR checking_since <= ? THEN 1 ELSE checking + 1 END, \
         checking_since = ? \
         WHERE throttle_key = ? \
         AND (CASE WHEN window_started_at <= ? THEN 0 ELSE failure_count END) \
           + (CASE WHEN checking_since IS NULL OR checking_since <= ? THEN 0 ELSE checking END) < ?";
    let limit = i32::try_from(limit).unwrap_or(i32::MAX);
    with_conn!(conn, |c| {
        diesel::sql_query(insert)
            .bind::<Text, _>(key)
            .bind::<Timestamp, _>(cutoffs.now)
            .execute(c)
            .await?;
        diesel::sql_query(take)
            .bind::<Timestamp, _>(cutoffs.window)
            .bind::<Timestamp, _>(cutoffs.stale_checks)
            .bind::<Timestamp, _>(cutoffs.now)
            .bind::<Text, _>(key)
            .bind::<Timestamp, _>(cutoffs.window)
            .bind::<Timestamp, _>(cutoffs.stale_checks)
            .bind::<Integer, _>(limit)
            .execute(c)
            .await
            .map(|matched| matched == 1)
    })
}

/// How a password check ended, for [`end_check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CheckEnd {
    /// A wrong password (or no such user): one more failure in the window.
    Failed,
    /// The right password: the window's failures are cleared.
    Succeeded,
    /// Neither (the account is disabled, or the check could not finish).
    Abandoned,
}

/// Ends one check of `key` begun by [`begin_check`], counting its result.
pub(crate) async fn end_check(
    conn: &mut DbConn,
    key: &str,
    end: CheckEnd,
    cutoffs: Cutoffs,
) -> QueryResult<()> {
    record_end(conn, key, end, cutoffs, Slot::Release).await
}

/// Counts the result of a check of `key` that held no slot of it (a known
/// device's login, which counts against the user name too): a failure
/// makes the key's row if needed, a success clears its failures.
pub(crate) async fn count_unslotted(
    conn: &mut DbConn,
    key: &str,
    end: CheckEnd,
    cutoffs: Cutoffs,
) -> QueryResult<()> {
    if end == CheckEnd::Failed {
        let insert = ensure_row_sql(conn.is_mysql());
        with_conn!(conn, |c| {
            diesel::sql_query(insert)
                .bind::<Text, _>(key)
                .bind::<Timestamp, _>(cutoffs.now)
                .execute(c)
                .await
                .map(drop)
        })?;
    }
    record_end(conn, key, end, cutoffs, Slot::NoneHeld).await
}

/// Whether the check whose end is recorded holds a slot of the key.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Release,
    NoneHeld,
}

async fn record_end(
    conn: &mut DbConn,
    key: &str,
    end: CheckEnd,
    cutoffs: Cutoffs,
    slot: Slot,
) -> QueryResult<()> {
    let is_mysql = conn.is_mysql();
    let release = match slot {
        Slot::Release => "checking = CASE WHEN checking > 0 THEN checking - 1 ELSE 0 END",
        Slot::NoneHeld => "checking = checking",
    };
    // The first failure of a window (the last one is over, or a success
    // cleared the count) starts a new window now. MySQL's SET sees the
    // failure count just assigned (1 exactly when this one is the first);
    // SQLite's sees the old row, so it repeats the condition.
    let restart = if is_mysql {
        "failure_count = 1"
    } else {
        "window_started_at <= ? OR failure_count = 0"
    };
    let sql = match end {
        CheckEnd::Failed => format!(
            "UPDATE login_throttle SET \
             failure_count = CASE WHEN window_started_at <= ? OR failure_count = 0 THEN 1 \
                             ELSE failure_count + 1 END, \
             window_started_at = CASE WHEN {restart} THEN ? ELSE window_started_at END, \
             {release} WHERE throttle_key = ?"
        ),
        CheckEnd::Succeeded => {
            format!("UPDATE login_throttle SET failure_count = 0, {release} WHERE throttle_key = ?")
        }
        CheckEnd::Abandoned if slot == Slot::NoneHeld => return Ok(()),
        CheckEnd::Abandoned => {
            format!("UPDATE login_throttle SET {release} WHERE throttle_key = ?")
        }
    };
    with_conn!(conn, |c| {
        let query = diesel::sql_query(sql.as_str());
        let executed = if end != CheckEnd::Failed {
            query.bind::<Text, _>(key).execute(c).await
        } else if is_mysql {
            query
                .bind::<Timestamp, _>(cutoffs.window)
                .bind::<Timestamp, _>(cutoffs.now)
                .bind::<Text, _>(key)
                .execute(c)
                .await
        } else {
            query
                .bind::<Timestamp, _>(cutoffs.window)
                .bind::<Timestamp, _>(cutoffs.window)
                .bind::<Timestamp, _>(cutoffs.now)
                .bind::<Text, _>(key)
                .execute(c)
                .await
        };
        executed.map(drop)
    })
}

/// The current row of `key`, if it has one.
pub async fn window(conn: &mut DbConn, key: &str) -> QueryResult<Option<Window>> {
    with_conn!(conn, |c| {
        let found = throttle::table
            .filter(throttle::throttle_key.eq(key))
            .select((
                throttle::throttle_key,
                (
                    throttle::failure_count,
                    throttle::window_started_at,
                    throttle::checking,
                    throttle::checking_since,
                ),
            ))
            .first::<(String, Window)>(c)
            .await
            .optional()?;
        let Some((found_key, window)) = found else {
            return Ok(None);
        };
        expect_key("throttle key", key, &found_key)?;
        Ok(Some(window))
    })
}

/// Keys of counters with a window of an hour (sign-ups, the per-recipient
/// mail locks): judged stale by the longer cutoff of [`stale_keys`].
const HOUR_WINDOW_KEYS: [&str; 2] = ["signup:%", "mail:%"];

/// Stale, as a statement's filter: the window began before `cutoff` (before
/// `hour_cutoff` for keys of [`HOUR_WINDOW_KEYS`]) and no check is under
/// way since `cutoff`. The one rule of [`stale_keys`] and [`delete_stale`].
#[diesel::dsl::auto_type]
fn stale(cutoff: NaiveDateTime, hour_cutoff: NaiveDateTime) -> _ {
    let hour_keys_a: &'static str = HOUR_WINDOW_KEYS[0];
    let hour_keys_b: &'static str = HOUR_WINDOW_KEYS[1];
    throttle::window_started_at
        .lt(hour_cutoff)
        .or(throttle::window_started_at
            .lt(cutoff)
            .and(throttle::throttle_key.not_like(hour_keys_a))
            .and(throttle::throttle_key.not_like(hour_keys_b)))
        .and(
            throttle::checking
                .eq(0_i32)
                .or(throttle::checking_since.lt(cutoff)),
        )
}

/// Up to `limit` keys whose window began before `cutoff` (before
/// `hour_cutoff` for keys of [`HOUR_WINDOW_KEYS`]), with no check under way
/// since then.
pub(crate) async fn stale_keys(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    hour_cutoff: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<String>> {
    with_conn!(conn, |c| {
        throttle::table
            .filter(stale(cutoff, hour_cutoff))
            .select(throttle::throttle_key)
            .limit(limit)
            .load::<String>(c)
            .await
    })
}

/// Deletes those of `keys` that are still stale (see [`stale_keys`]).
pub(crate) async fn delete_stale(
    conn: &mut DbConn,
    keys: &[String],
    cutoff: NaiveDateTime,
    hour_cutoff: NaiveDateTime,
) -> QueryResult<usize> {
    with_conn!(conn, |c| {
        diesel::delete(
            throttle::table
                .filter(throttle::throttle_key.eq_any(keys))
                .filter(stale(cutoff, hour_cutoff)),
        )
        .execute(c)
        .await
    })
}

/// Counts one attempt for `key` in a fixed window that begins with its
/// first attempt, when fewer than `limit` were counted in the window (a
/// window that began at or before `window_cutoff` is over and starts again
/// now); returns whether it was counted. One statement after the row
/// exists, so concurrent attempts on any replica never count past `limit`.
/// For limits on attempts that are not password checks (sign-ups).
pub(crate) async fn take_attempt(
    conn: &mut DbConn,
    key: &str,
    now: NaiveDateTime,
    window_cutoff: NaiveDateTime,
    limit: u32,
) -> QueryResult<bool> {
    let insert = ensure_row_sql(conn.is_mysql());
    // No assignment reads a column assigned before it (see begin_check):
    // `window_started_at` is read by the first and assigned by the second.
    let take = "UPDATE login_throttle SET \
         failure_count = CASE WHEN window_started_at <= ? THEN 1 ELSE failure_count + 1 END, \
         window_started_at = CASE WHEN window_started_at <= ? THEN ? ELSE window_started_at END \
         WHERE throttle_key = ? \
         AND (CASE WHEN window_started_at <= ? THEN 0 ELSE failure_count END) < ?";
    let limit = i32::try_from(limit).unwrap_or(i32::MAX);
    with_conn!(conn, |c| {
        diesel::sql_query(insert)
            .bind::<Text, _>(key)
            .bind::<Timestamp, _>(now)
            .execute(c)
            .await?;
        diesel::sql_query(take)
            .bind::<Timestamp, _>(window_cutoff)
            .bind::<Timestamp, _>(window_cutoff)
            .bind::<Timestamp, _>(now)
            .bind::<Text, _>(key)
            .bind::<Timestamp, _>(window_cutoff)
            .bind::<Integer, _>(limit)
            .execute(c)
            .await
            .map(|matched| matched == 1)
    })
}
