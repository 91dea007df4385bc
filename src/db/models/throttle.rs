//! The `login_throttle` table: atomic counting of login attempts per key.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};
use diesel_async::RunQueryDsl;

use crate::db::schema::login_throttle as throttle;
use crate::db::{DbConn, expect_key};
use crate::with_conn;

/// A key's count and when its window began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable)]
pub struct Window {
    pub failure_count: i32,
    pub started_at: NaiveDateTime,
}

/// Counts one attempt for `key` in a single statement, starting a new window
/// when the current one began at or before `window_cutoff`; returns the
/// window as it is afterwards. Concurrent callers each get their own count.
pub async fn count_attempt(
    conn: &mut DbConn,
    key: &str,
    now: NaiveDateTime,
    window_cutoff: NaiveDateTime,
) -> QueryResult<Window> {
    // The upsert is the one statement whose syntax differs between backends.
    // MySQL evaluates the assignments left to right, so the count is set
    // before the window start it depends on changes.
    let upsert = if conn.is_mysql() {
        "INSERT INTO login_throttle (throttle_key, failure_count, window_started_at) VALUES (?, 1, ?) \
             ON DUPLICATE KEY UPDATE \
             failure_count = IF(window_started_at <= ?, 1, failure_count + 1), \
             window_started_at = IF(window_started_at <= ?, ?, window_started_at)"
    } else {
        "INSERT INTO login_throttle (throttle_key, failure_count, window_started_at) VALUES (?, 1, ?) \
             ON CONFLICT (throttle_key) DO UPDATE SET \
             failure_count = CASE WHEN window_started_at <= ? THEN 1 ELSE failure_count + 1 END, \
             window_started_at = CASE WHEN window_started_at <= ? THEN ? ELSE window_started_at END"
    };
    with_conn!(conn, |c| {
        diesel::sql_query(upsert)
            .bind::<Text, _>(key)
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(window_cutoff)
            .bind::<Timestamp, _>(window_cutoff)
            .bind::<Timestamp, _>(now)
            .execute(c)
            .await
    })?;
    // A racing successful login may have cleared the row since: then this
    // attempt is the first of a new window.
    Ok(window(conn, key).await?.unwrap_or(Window {
        failure_count: 1,
        started_at: now,
    }))
}

/// The current window of `key`, if any attempt was counted.
pub async fn window(conn: &mut DbConn, key: &str) -> QueryResult<Option<Window>> {
    with_conn!(conn, |c| {
        let found = throttle::table
            .filter(throttle::throttle_key.eq(key))
            .select((
                throttle::throttle_key,
                (throttle::failure_count, throttle::window_started_at),
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

/// Forgets the attempts of `key`.
pub async fn clear(conn: &mut DbConn, key: &str) -> QueryResult<()> {
    with_conn!(conn, |c| {
        diesel::delete(throttle::table.filter(throttle::throttle_key.eq(key)))
            .execute(c)
            .await
            .map(|_| ())
    })
}

/// Up to `limit` keys whose window began before `cutoff`.
pub async fn stale_keys(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<String>> {
    with_conn!(conn, |c| {
        throttle::table
            .filter(throttle::window_started_at.lt(cutoff))
            .select(throttle::throttle_key)
            .limit(limit)
            .load::<String>(c)
            .await
    })
}

/// Deletes those of `keys` whose window still began before `cutoff`.
pub async fn delete_stale(
    conn: &mut DbConn,
    keys: &[String],
    cutoff: NaiveDateTime,
) -> QueryResult<usize> {
    with_conn!(conn, |c| {
        diesel::delete(
            throttle::table
                .filter(throttle::throttle_key.eq_any(keys))
                .filter(throttle::window_started_at.lt(cutoff)),
        )
        .execute(c)
        .await
    })
}
