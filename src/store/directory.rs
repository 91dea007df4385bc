//! The user directory of the admin API: users found by a part of their
//! name or address, a page at a time in the order they were created, and
//! when each last signed in.
//!
//! A search matches the lower-case keys (`user_name_key`, `email_key`)
//! with `LIKE '%part%'`, the part's own `%`, `_` and the escape character
//! escaped, so that what an admin types is plain text on both backends.
//! No B-tree seeks to a substring: the `users_directory` index holds every
//! column a search reads, in page order, so a search scans that narrow
//! index rather than the table (see migration 000012).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::store::schema::{user_login_sessions as sessions, users};
use crate::store::users::UserRecord;
use crate::store::{DbConn, expect_key};
use crate::with_conn;

/// The escape character of search patterns: not a backslash, which MySQL
/// reads as an escape inside the statement's own string literal too.
const ESCAPE: char = '!';

/// `%text%` with the pattern characters of `text` escaped.
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | ESCAPE) {
            pattern.push(ESCAPE);
        }
        pattern.push(ch);
    }
    pattern.push('%');
    pattern
}

/// What a search looks for: the pattern for folded names and the one for
/// lower-case addresses (see [`contains_pattern`]).
#[derive(Debug, Clone)]
pub(crate) struct Search {
    pub name_pattern: String,
    pub email_pattern: String,
}

/// A position in the directory's order: after the user created at `at`
/// with id `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Position {
    pub created_at: NaiveDateTime,
    pub id: String,
}

/// One page of a search.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    pub users: Vec<UserRecord>,
    /// Whether more matches follow the last of `users`.
    pub has_next: bool,
    /// How many users match, on every page together.
    pub total: i64,
}

/// The users matching `search` (everyone without one), oldest first (by
/// `created_at`, then id), at most `first`, after `after` when given, with
/// the count of every match. A user created after the search began sorts after every earlier
/// one, so pages already read never shift.
pub(crate) async fn page(
    conn: &mut DbConn,
    search: Option<&Search>,
    after: Option<&Position>,
    first: i64,
) -> QueryResult<Page> {
    with_conn!(conn, |c| {
        let matching = || {
            let query = users::table.into_boxed();
            match search {
                Some(search) => query.filter(
                    users::user_name_key
                        .like(search.name_pattern.clone())
                        .escape(ESCAPE)
                        .or(users::email_key
                            .like(search.email_pattern.clone())
                            .escape(ESCAPE)
                            .assume_not_null()),
                ),
                None => query,
            }
        };
        let total = matching().count().get_result::<i64>(c).await?;
        // The page's ids first, which the index alone answers (in order,
        // stopping at the page's end), then their rows by key: one query
        // for both would read every matching row of the table to sort.
        let mut ids = matching()
            .select(users::id)
            .order((users::created_at.asc(), users::id.asc()))
            .limit(first.saturating_add(1));
        if let Some(after) = after {
            ids = ids.filter(
                users::created_at.gt(after.created_at).or(users::created_at
                    .eq(after.created_at)
                    .and(users::id.gt(after.id.clone()))),
            );
        }
        let mut ids = ids.load::<String>(c).await?;
        let has_next = ids.len() as i64 > first;
        ids.truncate(usize::try_from(first).unwrap_or(0));
        let mut found = users::table
            .filter(users::id.eq_any(&ids))
            .select(UserRecord::as_select())
            .load::<UserRecord>(c)
            .await?;
        for user in &found {
            // No row the page did not ask for: "" stands in, so that the
            // check fails and names the row.
            let asked = ids.iter().find(|id| **id == user.id);
            expect_key("user", asked.map_or("", String::as_str), &user.id)?;
        }
        // A user deleted between the two reads (an unverified account
        // pruned) is left out; the others keep the page's order.
        found.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(Page {
            users: found,
            has_next,
            total,
        })
    })
}

/// When each of `user_ids` last opened a session (signed in, any way),
/// for those that ever did (within the sessions' retention).
pub(crate) async fn last_sign_ins(
    conn: &mut DbConn,
    user_ids: &[String],
) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    with_conn!(conn, |c| {
        let rows = sessions::table
            .filter(sessions::user_id.eq_any(user_ids))
            .group_by(sessions::user_id)
            .select((sessions::user_id, diesel::dsl::max(sessions::created_at)))
            .load::<(String, Option<NaiveDateTime>)>(c)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(user_id, at)| at.map(|at| (user_id, at)))
            .collect())
    })
}
