//! The user directory's change log (migration 000013): what each replica
//! reads to keep its copy of the directory current (see
//! `core::admin::directory_copy`).
//!
//! A transaction that adds a user, deletes one, or changes a name key or an
//! address key calls [`note_directory_changes!`] with those users' ids. It
//! takes the next version of each user's shard, under the shard row's lock,
//! and writes a row per user: versions of a shard commit in order, so a
//! replica that has read a shard's version finds every change up to it
//! here. [`shard_versions`] reads where each shard is, [`changes_since`]
//! what came after a replica's copy, and [`entries`] those users as they
//! are now. A change made without the macro (the start-up rewrite of names)
//! moves every shard on instead: a version without rows makes every
//! replica read the whole directory again.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::store::DbConn;
use crate::store::schema::{directory_changes as changes, directory_shards as shards, users};
use crate::with_conn;

/// How many shards the log has (the rows of `directory_shards`).
pub(crate) const SHARDS: usize = 16;

/// The shard of `user_id`: any fixed spread will do, so that concurrent
/// sign-ups mostly take different rows.
pub(crate) fn shard_of(user_id: &str) -> i64 {
    let sum = user_id.bytes().fold(0u32, |sum, byte| {
        sum.wrapping_mul(31).wrapping_add(u32::from(byte))
    });
    i64::from(sum % SHARDS as u32)
}

/// Notes, in the caller's transaction, that the users `$user_ids` (a
/// `&[String]`) were added, deleted, or had their name or address key
/// changed: one version per shard touched, one row per user. Evaluates to a
/// `QueryResult<()>`.
#[macro_export]
macro_rules! note_directory_changes {
    ($c:expr, $user_ids:expr, $now:expr) => {{
        use ::diesel::prelude::*;
        use $crate::store::schema::{directory_changes, directory_shards};
        let user_ids: &[String] = $user_ids;
        let now: ::chrono::NaiveDateTime = $now;
        let mut by_shard: ::std::collections::BTreeMap<i64, Vec<&String>> = Default::default();
        for user_id in user_ids {
            by_shard
                .entry($crate::store::directory_changes::shard_of(user_id))
                .or_default()
                .push(user_id);
        }
        // Fully qualified: the caller may have either `RunQueryDsl` in scope.
        let noted = async {
            // In shard order, so that two transactions touching the same
            // two shards take their locks in the same order.
            for (shard, ids) in by_shard {
                // The write first: it locks the shard's row until the
                // caller's transaction ends, so the version read next is
                // this transaction's own.
                ::diesel_async::RunQueryDsl::execute(
                    ::diesel::update(directory_shards::table.find(shard))
                        .set(directory_shards::version.eq(directory_shards::version + 1)),
                    $c,
                )
                .await?;
                let version: i64 = ::diesel_async::RunQueryDsl::get_result(
                    directory_shards::table
                        .find(shard)
                        .select(directory_shards::version),
                    $c,
                )
                .await?;
                for user_id in ids {
                    ::diesel_async::RunQueryDsl::execute(
                        ::diesel::insert_into(directory_changes::table).values((
                            directory_changes::shard.eq(shard),
                            directory_changes::version.eq(version),
                            directory_changes::user_id.eq(user_id),
                            directory_changes::at.eq(now),
                        )),
                        $c,
                    )
                    .await?;
                }
            }
            ::diesel::QueryResult::Ok(())
        };
        noted.await
    }};
}

/// Where each shard is: `(shard, version)`, by shard.
pub(crate) async fn shard_versions(conn: &mut DbConn) -> QueryResult<Vec<(i64, i64)>> {
    with_conn!(conn, |c| {
        shards::table
            .select((shards::shard, shards::version))
            .order(shards::shard)
            .load(c)
            .await
    })
}

/// The changes of each `(shard, after, up_to)`: rows with a version above
/// `after` and at most `up_to`, as `(shard, version, user_id)`; `limit` of
/// them at most.
pub(crate) async fn changes_since(
    conn: &mut DbConn,
    ranges: &[(i64, i64, i64)],
    limit: i64,
) -> QueryResult<Vec<(i64, i64, String)>> {
    if ranges.is_empty() {
        return Ok(Vec::new());
    }
    with_conn!(conn, |c| {
        let mut query = changes::table
            .select((changes::shard, changes::version, changes::user_id))
            .into_boxed();
        for &(shard, after, up_to) in ranges {
            query = query.or_filter(
                changes::shard
                    .eq(shard)
                    .and(changes::version.gt(after))
                    .and(changes::version.le(up_to)),
            );
        }
        query.limit(limit).load(c).await
    })
}

/// A user as the directory holds it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub(crate) struct Entry {
    pub id: String,
    pub created_at: NaiveDateTime,
    pub user_name_key: String,
    pub email_key: Option<String>,
}

/// Which users [`entries`] reads.
pub(crate) enum Reading<'a> {
    /// Those of these ids that still exist.
    Ids(&'a [String]),
    /// Up to `limit` users in the directory's order (creation time, then
    /// id), after the user created at `.0` with id `.1` when given.
    Page {
        after: Option<(NaiveDateTime, &'a str)>,
        limit: i64,
    },
}

/// The users `reading` names, as the directory holds them.
pub(crate) async fn entries(conn: &mut DbConn, reading: Reading<'_>) -> QueryResult<Vec<Entry>> {
    with_conn!(conn, |c| {
        let query = users::table
            .select((
                users::id,
                users::created_at,
                users::user_name_key,
                users::email_key,
            ))
            .into_boxed();
        match reading {
            Reading::Ids(ids) => query.filter(users::id.eq_any(ids)).load(c).await,
            Reading::Page { after, limit } => {
                let query = match after {
                    Some((created_at, id)) => query.filter(
                        users::created_at
                            .gt(created_at)
                            .or(users::created_at.eq(created_at).and(users::id.gt(id))),
                    ),
                    None => query,
                };
                query
                    .order((users::created_at.asc(), users::id.asc()))
                    .limit(limit)
                    .load(c)
                    .await
            }
        }
    })
}

/// Deletes log rows written before `cutoff`: those of up to `batch` rows
/// found first, and the older rows of their shards. Returns how many went.
pub(crate) async fn prune(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    batch: i64,
) -> QueryResult<usize> {
    with_conn!(conn, |c| {
        let old: Vec<(i64, i64)> = changes::table
            .filter(changes::at.lt(cutoff))
            .select((changes::shard, changes::version))
            .limit(batch)
            .load(c)
            .await?;
        let mut newest_by_shard = std::collections::BTreeMap::new();
        for (shard, version) in old {
            let newest = newest_by_shard.entry(shard).or_insert(version);
            *newest = version.max(*newest);
        }
        let mut deleted = 0;
        for (shard, newest) in newest_by_shard {
            deleted += diesel::delete(
                changes::table
                    .filter(changes::shard.eq(shard))
                    .filter(changes::version.le(newest))
                    .filter(changes::at.lt(cutoff)),
            )
            .execute(c)
            .await?;
        }
        Ok(deleted)
    })
}
