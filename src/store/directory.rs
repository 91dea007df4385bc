//! The user directory of the admin API: users found by the beginning of a
//! word of their name or address, a page at a time in the order they were
//! created, and when each last signed in.
//!
//! A search reads the `user_search_terms` index (see `store::search_terms`):
//! the users with a term in the range of the searched text, on its primary
//! key, counted first. A few thousand of them are read whole, and sorted
//! and paged here; when more match, the page is found by walking the users
//! in order, each looked up in the terms, until a page is found (see
//! [`read_every_match`]). The count of everyone is the sum of
//! `user_counts`.

use chrono::NaiveDateTime;
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::store::schema::{
    user_counts, user_login_sessions as sessions, user_search_terms, users,
};
use crate::store::search_terms::prefix_end;
use crate::store::users::UserRecord;
use crate::store::{DbConn, expect_key};
use crate::with_conn;

/// How much dearer a user looked up in the terms by its id is than a term
/// read in a range (measured on both backends: about five times).
const LOOKUP_VS_READ: i64 = 5;

/// Whether a page of `wanted` among `matches` of `everyone` users is found
/// sooner by reading every match and sorting (a cost of `matches` reads)
/// than by walking the users in order, each looked up (about `wanted *
/// everyone / matches` lookups, the matches spread over the order): at
/// 100,000 users, up to about 5,000 matches.
fn read_every_match(matches: i64, wanted: i64, everyone: i64) -> bool {
    matches.saturating_mul(matches)
        <= wanted
            .saturating_mul(everyone)
            .saturating_mul(LOOKUP_VS_READ)
}

/// What a search looks for: the text folded as user names are, and in
/// lower case as addresses are (the forms the terms were made from).
#[derive(Debug, Clone)]
pub(crate) struct Search {
    pub name_text: String,
    pub email_text: String,
}

/// The range of terms that begin with `text`: from it to the least text
/// after all of them. A text of nothing but U+10FFFF (a noncharacter, in
/// no name or address) ends at itself followed by one more.
fn term_range(text: &str) -> (String, String) {
    let end = prefix_end(text).unwrap_or_else(|| format!("{text}\u{10FFFF}"));
    (text.to_owned(), end)
}

/// A position in the directory's order: after the user created at `at`
/// with id `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Position {
    pub created_at: NaiveDateTime,
    pub id: String,
}

impl Position {
    fn is_before(&self, created_at: NaiveDateTime, id: &str) -> bool {
        (self.created_at, self.id.as_str()) < (created_at, id)
    }
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
/// the count of every match. A user created after the search began sorts
/// after every earlier one, so pages already read never shift.
pub(crate) async fn page(
    conn: &mut DbConn,
    search: Option<&Search>,
    after: Option<&Position>,
    first: i64,
) -> QueryResult<Page> {
    let wanted = first.saturating_add(1);
    let ranges = search.map(|search| {
        (
            term_range(&search.name_text),
            term_range(&search.email_text),
        )
    });
    with_conn!(conn, |c| {
        // Users in the directory's order, after the cursor, a page and one.
        let in_order = || {
            let mut ids = users::table
                .select(users::id)
                .order((users::created_at.asc(), users::id.asc()))
                .limit(wanted)
                .into_boxed();
            if let Some(after) = after {
                ids = ids.filter(
                    users::created_at.gt(after.created_at).or(users::created_at
                        .eq(after.created_at)
                        .and(users::id.gt(after.id.clone()))),
                );
            }
            ids
        };
        let everyone: i64 = user_counts::table
            .select(user_counts::users)
            .load::<i64>(c)
            .await?
            .into_iter()
            .sum();
        let (total, mut ids) = match &ranges {
            None => (everyone, in_order().load::<String>(c).await?),
            Some(((name_from, name_to), (email_from, email_to))) => {
                // As a filter of one user's terms: either range.
                let in_ranges = || {
                    user_search_terms::term
                        .ge(name_from.clone())
                        .and(user_search_terms::term.lt(name_to.clone()))
                        .or(user_search_terms::term
                            .ge(email_from.clone())
                            .and(user_search_terms::term.lt(email_to.clone())))
                };
                // As a read of the index: one range, or both when the two
                // forms of the text differ (an OR of two equal ranges makes
                // SQLite read the range twice).
                let matching = || {
                    let terms = user_search_terms::table
                        .filter(
                            user_search_terms::term
                                .ge(name_from.clone())
                                .and(user_search_terms::term.lt(name_to.clone())),
                        )
                        .into_boxed();
                    if name_from == email_from {
                        terms
                    } else {
                        terms.or_filter(
                            user_search_terms::term
                                .ge(email_from.clone())
                                .and(user_search_terms::term.lt(email_to.clone())),
                        )
                    }
                };
                let total = matching()
                    .select(diesel::dsl::count(user_search_terms::user_id).aggregate_distinct())
                    .get_result::<i64>(c)
                    .await?;
                if read_every_match(total, wanted, everyone) {
                    let mut found = matching()
                        .select((user_search_terms::created_at, user_search_terms::user_id))
                        .distinct()
                        .load::<(NaiveDateTime, String)>(c)
                        .await?;
                    found.sort();
                    found.dedup();
                    let ids = found
                        .into_iter()
                        .filter(|(at, id)| after.is_none_or(|after| after.is_before(*at, id)))
                        .take(usize::try_from(wanted).unwrap_or(usize::MAX))
                        .map(|(_, id)| id)
                        .collect();
                    (total, ids)
                } else {
                    // Many matches: the users in order, each looked up in
                    // the terms by its id, until a page is found, rather
                    // than every match sorted.
                    let ids = in_order()
                        .filter(exists(
                            user_search_terms::table
                                .filter(user_search_terms::user_id.eq(users::id))
                                .filter(in_ranges()),
                        ))
                        .load::<String>(c)
                        .await?;
                    (total, ids)
                }
            }
        };
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

#[cfg(test)]
mod tests {
    use super::read_every_match;

    #[test]
    fn a_few_thousand_matches_are_read_and_more_are_walked() {
        assert!(read_every_match(2_000, 51, 100_000));
        assert!(read_every_match(5_000, 51, 100_000));
        assert!(!read_every_match(10_000, 51, 100_000));
        // When nearly everyone matches, the walk finds a page at once.
        assert!(!read_every_match(1_000, 51, 1_000));
        // A larger directory reads more matches before it walks.
        assert!(read_every_match(30_000, 51, 10_000_000));
        assert!(!read_every_match(30_000, 51, 1_000_000));
    }
}
