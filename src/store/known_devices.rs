//! The `known_devices` table: which devices (by the hash of their
//! `authql_device` cookie) had a successful sign-in of which user, and when
//! last. Written in the transaction that opens a sign-in's session
//! ([`note_known_device!`]), read by the login throttle and the new-device
//! rule, pruned once a device has not been seen within the retention.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::store::DbConn;
use crate::store::schema::{known_devices, users};
use crate::with_conn;

/// The statement that notes a sign-in of a user on a device: a new row, or
/// the row's `last_seen_at` moved to now. Binds: user id, device hash, now
/// (first and last seen), now (last seen again).
pub(crate) fn note_sql(is_mysql: bool) -> &'static str {
    if is_mysql {
        "INSERT INTO known_devices (user_id, device_hash, first_seen_at, last_seen_at) \
         VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE last_seen_at = ?"
    } else {
        "INSERT INTO known_devices (user_id, device_hash, first_seen_at, last_seen_at) \
         VALUES (?, ?, ?, ?) ON CONFLICT (user_id, device_hash) DO UPDATE SET last_seen_at = ?"
    }
}

/// Notes a sign-in of `$user_id` on the device whose cookie hashes to
/// `$device_hash`, on a connection of either backend (for a caller that runs
/// it in its own transaction, as opening a session does). `$is_mysql` picks
/// the statement's dialect ([`note_sql`]).
#[macro_export]
macro_rules! note_known_device {
    ($c:expr, $is_mysql:expr, $user_id:expr, $device_hash:expr, $now:expr) => {{
        use ::diesel::sql_types::{Text, Timestamp};
        use ::diesel_async::RunQueryDsl;
        let now: ::chrono::NaiveDateTime = $now;
        ::diesel::sql_query($crate::store::known_devices::note_sql($is_mysql))
            .bind::<Text, _>($user_id)
            .bind::<Text, _>($device_hash)
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(now)
            .execute($c)
            .await
    }};
}

/// Whether the device whose cookie hashes to `device_hash` had a sign-in of
/// the user `user_id` seen after `seen_after`.
pub(crate) async fn is_known(
    conn: &mut DbConn,
    user_id: &str,
    device_hash: &str,
    seen_after: NaiveDateTime,
) -> QueryResult<bool> {
    with_conn!(conn, |c| {
        diesel::select(diesel::dsl::exists(
            known_devices::table
                .filter(known_devices::user_id.eq(user_id))
                .filter(known_devices::device_hash.eq(device_hash))
                .filter(known_devices::last_seen_at.gt(seen_after)),
        ))
        .get_result::<bool>(c)
        .await
    })
}

/// Whether any device is known for the user `user_id`: whether the user
/// ever signed in (within the rows' retention), for the rule that an
/// account's first sign-in sends no alert.
pub(crate) async fn any_for_user(conn: &mut DbConn, user_id: &str) -> QueryResult<bool> {
    with_conn!(conn, |c| {
        diesel::select(diesel::dsl::exists(
            known_devices::table.filter(known_devices::user_id.eq(user_id)),
        ))
        .get_result::<bool>(c)
        .await
    })
}

/// The id of the user named `user_name_key` when the device whose cookie
/// hashes to `device_hash` had a sign-in of that user seen after
/// `seen_after`; None otherwise (no such user, or not known for it).
pub(crate) async fn user_knowing_device(
    conn: &mut DbConn,
    user_name_key: &str,
    device_hash: &str,
    seen_after: NaiveDateTime,
) -> QueryResult<Option<String>> {
    with_conn!(conn, |c| {
        known_devices::table
            .inner_join(users::table)
            .filter(users::user_name_key.eq(user_name_key))
            .filter(known_devices::device_hash.eq(device_hash))
            .filter(known_devices::last_seen_at.gt(seen_after))
            .select(users::id)
            .first::<String>(c)
            .await
            .optional()
    })
}

/// Deletes up to about `limit` rows last seen before `cutoff`, the oldest
/// first; returns how many went. Rows seen at the same instant go together,
/// so a batch may pass `limit` by those.
pub(crate) async fn delete_unseen_since(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    limit: i64,
) -> QueryResult<usize> {
    with_conn!(conn, |c| {
        // SQLite has no DELETE ... LIMIT: the batch is bounded by the last
        // time among its `limit` oldest rows instead.
        let oldest: Vec<NaiveDateTime> = known_devices::table
            .filter(known_devices::last_seen_at.lt(cutoff))
            .order(known_devices::last_seen_at.asc())
            .select(known_devices::last_seen_at)
            .limit(limit)
            .load(c)
            .await?;
        let Some(batch_end) = oldest.last() else {
            return Ok(0);
        };
        diesel::delete(
            known_devices::table
                .filter(known_devices::last_seen_at.lt(cutoff))
                .filter(known_devices::last_seen_at.le(*batch_end)),
        )
        .execute(c)
        .await
    })
}
