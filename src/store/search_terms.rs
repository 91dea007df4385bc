//! The user directory's search index and its count of users (migration
//! 000013): what lets `users(query:)` find users, and count them, through
//! indexes rather than a scan of every user (100,000 users take 20-40 ms to
//! scan here, twice the admin search's target).
//!
//! **Terms.** A user's terms are the suffixes of its folded name
//! (`user_name_key`) and of its lower-case address (`email_key`) that begin
//! a word: at the start, at each character that is not a letter or a digit,
//! and right after one. "bob_smith" gives "bob_smith", "_smith" and "smith";
//! "frank.boss@example.org" gives, among others, "boss@example.org",
//! "@example.org" and "org". A search for a text finds the users with a term
//! that begins with it, which is one range of the table's primary key: so a
//! text is found where a word of the name or address begins with it (or
//! where it begins with a separator), not in the middle of a word. SQL has
//! no such tokenizer on both backends, hence this module.
//!
//! The terms are written in the transaction that writes the name or the
//! address ([`reindex_user!`]), go with the user (`ON DELETE CASCADE`), and
//! are written at start for any user that has none (`backfill_on_*`): the
//! users of a database migrated from before the table, or added by a
//! replica of an older version during a rolling upgrade. A start finds
//! those through the counts: when they do not add up to the users there
//! are, it counts again and looks for users without terms; when they do,
//! it reads nothing else.
//!
//! **Counts.** `user_counts` holds how many users there are in 64 shards by
//! the id's first character ([`count_shard`]), moved in the transaction that
//! adds or deletes a user ([`count_users!`]): the directory's `totalCount`
//! of everyone reads 64 rows instead of counting every user (InnoDB counts
//! by scanning). Shards keep two accounts made at once on two Galera nodes
//! off one row, mostly; a collision is a certification conflict, retried.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::store::schema::user_search_terms;

/// Shards of `user_counts`; the migration makes one row for each.
pub const COUNT_SHARDS: i32 = 64;

/// The shard of `user_counts` a user counts in: its id's first byte,
/// modulo [`COUNT_SHARDS`] (the migration's `ORD(LEFT(id, 1)) % 64`).
pub fn count_shard(user_id: &str) -> i32 {
    user_id
        .bytes()
        .next()
        .map_or(0, |byte| i32::from(byte) % COUNT_SHARDS)
}

/// The suffixes of `text` that begin a word (see the module doc).
fn word_starts(text: &str) -> impl Iterator<Item = &str> {
    let mut previous_is_word = false;
    text.char_indices().filter_map(move |(at, ch)| {
        let is_word = ch.is_alphanumeric();
        let starts = at == 0 || !is_word || !previous_is_word;
        previous_is_word = is_word;
        starts.then(|| &text[at..])
    })
}

/// Every term of a user with the folded name `name_key` and the
/// lower-case address `email_key`, once each.
pub fn terms_of(name_key: &str, email_key: Option<&str>) -> BTreeSet<String> {
    word_starts(name_key)
        .chain(email_key.into_iter().flat_map(word_starts))
        .map(str::to_owned)
        .collect()
}

/// A row of `user_search_terms`.
#[derive(Insertable, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = user_search_terms)]
pub struct SearchTerm {
    pub term: String,
    pub user_id: String,
    pub created_at: NaiveDateTime,
}

/// The rows of a user's terms.
pub fn rows_of(
    user_id: &str,
    created_at: NaiveDateTime,
    name_key: &str,
    email_key: Option<&str>,
) -> Vec<SearchTerm> {
    terms_of(name_key, email_key)
        .into_iter()
        .map(|term| SearchTerm {
            term,
            user_id: user_id.to_owned(),
            created_at,
        })
        .collect()
}

/// The least text greater than every text that begins with `prefix`: the
/// prefix with its last character raised by one code point (code-point
/// order is UTF-8's byte order, which both backends compare by). None when
/// no character follows the last one.
pub(crate) fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match u32::from(last) + 1 {
            // The surrogates are no characters: the next one is U+E000.
            0xD800 => Some('\u{E000}'),
            code => char::from_u32(code),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Rewrites the search terms of user `$user_id` from its stored name and
/// address, inside the caller's transaction: after a user is inserted or its
/// name or address changes. Evaluates to a `QueryResult<()>`.
#[macro_export]
macro_rules! reindex_user {
    ($c:expr, $user_id:expr) => {{
        use $crate::store::schema::{user_search_terms as terms, users as indexed};
        let user_id: &str = $user_id;
        async {
            let (name_key, email_key, created_at) = ::diesel_async::RunQueryDsl::get_result::<(
                String,
                Option<String>,
                ::chrono::NaiveDateTime,
            )>(
                ::diesel::QueryDsl::select(
                    ::diesel::QueryDsl::filter(
                        indexed::table,
                        ::diesel::ExpressionMethods::eq(indexed::id, user_id),
                    ),
                    (
                        indexed::user_name_key,
                        indexed::email_key,
                        indexed::created_at,
                    ),
                ),
                $c,
            )
            .await?;
            ::diesel_async::RunQueryDsl::execute(
                ::diesel::delete(::diesel::QueryDsl::filter(
                    terms::table,
                    ::diesel::ExpressionMethods::eq(terms::user_id, user_id),
                )),
                $c,
            )
            .await?;
            // One INSERT per term: diesel-async's SQLite connection takes no
            // multi-row INSERT. A user has a handful.
            for row in $crate::store::search_terms::rows_of(
                user_id,
                created_at,
                &name_key,
                email_key.as_deref(),
            ) {
                ::diesel_async::RunQueryDsl::execute(
                    ::diesel::insert_into(terms::table).values(&row),
                    $c,
                )
                .await?;
            }
            ::diesel::QueryResult::Ok(())
        }
        .await
    }};
}

/// Moves the count of users by `$change` (1 for a user added, -1 for one
/// deleted) in the shard of `$user_id`, inside the caller's transaction.
/// Evaluates to a `QueryResult<()>`.
#[macro_export]
macro_rules! count_users {
    ($c:expr, $user_id:expr, $change:expr) => {{
        use $crate::store::schema::user_counts as counts;
        let shard = $crate::store::search_terms::count_shard($user_id);
        let change: i64 = $change;
        ::diesel_async::RunQueryDsl::execute(
            ::diesel::update(::diesel::QueryDsl::filter(
                counts::table,
                ::diesel::ExpressionMethods::eq(counts::shard, shard),
            ))
            .set(::diesel::ExpressionMethods::eq(
                counts::users,
                counts::users + change,
            )),
            $c,
        )
        .await
        .map(|_| ())
    }};
}

/// Users given terms per transaction at start.
const BACKFILL_BATCH: i64 = 1_000;
/// Terms per INSERT at start.
const BACKFILL_ROWS_PER_INSERT: usize = 500;

/// The start's check and repair, on a synchronous connection (the
/// migrations'): when the counts add up to the users there are (one read of
/// 64 rows and one count), nothing more; otherwise users were added or
/// removed by a replica that keeps no counts (an older version during a
/// rolling upgrade, or this migration's first run): the counts are taken
/// again with `$recount` (the backend's SQL for a user's shard), and every
/// user without terms is given them, walking the users by id a batch at a
/// time. Evaluates to how many users got terms.
macro_rules! backfill_on {
    ($conn:expr, $recount:expr) => {{
        use diesel::dsl::{exists, not};
        use $crate::store::schema::{user_counts, users};
        let counted: i64 = user_counts::table
            .select(user_counts::users)
            .load::<i64>($conn)?
            .into_iter()
            .sum();
        let there_are: i64 = users::table.count().get_result($conn)?;
        if counted == there_are {
            return Ok(0);
        }
        diesel::sql_query($recount).execute($conn)?;
        let mut done = 0;
        let mut after = String::new();
        loop {
            let missing = $conn.transaction(|conn| {
                let batch = users::table
                    .filter(users::id.gt(&after))
                    .order(users::id)
                    .limit(BACKFILL_BATCH)
                    .select((
                        users::id,
                        users::created_at,
                        users::user_name_key,
                        users::email_key,
                        not(exists(
                            user_search_terms::table
                                .filter(user_search_terms::user_id.eq(users::id)),
                        )),
                    ))
                    .load::<(String, NaiveDateTime, String, Option<String>, bool)>(conn)?;
                let rows: Vec<SearchTerm> = batch
                    .iter()
                    .filter(|(.., missing)| *missing)
                    .flat_map(|(id, created_at, name_key, email_key, _)| {
                        rows_of(id, *created_at, name_key, email_key.as_deref())
                    })
                    .collect();
                // Many rows a statement where the backend takes them
                // (MySQL; diesel runs SQLite's one at a time, which costs
                // no round trip there).
                for chunk in rows.chunks(BACKFILL_ROWS_PER_INSERT) {
                    diesel::insert_into(user_search_terms::table)
                        .values(chunk)
                        .execute(conn)?;
                }
                let given = batch.iter().filter(|(.., missing)| *missing).count();
                QueryResult::Ok((batch.last().map(|row| row.0.clone()), given))
            })?;
            match missing {
                (Some(last), given) => {
                    done += given;
                    after = last;
                }
                (None, _) => break QueryResult::Ok(done),
            }
        }
    }};
}

/// The start's check and repair on SQLite; returns for how many users
/// terms were written.
pub(super) fn backfill_on_sqlite(conn: &mut diesel::SqliteConnection) -> QueryResult<usize> {
    backfill_on!(
        conn,
        "UPDATE user_counts SET users = (SELECT COUNT(*) FROM users \
         WHERE unicode(substr(users.id, 1, 1)) % 64 = user_counts.shard)"
    )
}

/// The start's check and repair on MySQL; returns for how many users terms
/// were written.
pub(super) fn backfill_on_mysql(
    conn: &mut diesel_async::async_connection_wrapper::AsyncConnectionWrapper<
        diesel_async::AsyncMysqlConnection,
    >,
) -> QueryResult<usize> {
    backfill_on!(
        conn,
        "UPDATE user_counts SET users = (SELECT COUNT(*) FROM users \
         WHERE ORD(LEFT(users.id, 1)) % 64 = user_counts.shard)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(name: &str, email: Option<&str>) -> Vec<String> {
        terms_of(name, email).into_iter().collect()
    }

    #[test]
    fn terms_begin_at_word_starts_and_separators() {
        assert_eq!(terms("bob_smith", None), ["_smith", "bob_smith", "smith"]);
        assert_eq!(terms("eve", None), ["eve"]);
        assert_eq!(
            terms("frank", Some("f.boss@example.org")),
            [
                ".boss@example.org",
                ".org",
                "@example.org",
                "boss@example.org",
                "example.org",
                "f.boss@example.org",
                "frank",
                "org"
            ]
        );
        // Letters and digits of any script are a word; "ß" and "ü" do not
        // break one.
        assert_eq!(terms("jürgen_groß", None), ["_groß", "groß", "jürgen_groß"]);
        // Separators in a row each begin a term.
        assert_eq!(terms("a!!b", None), ["!!b", "!b", "a!!b", "b"]);
    }

    #[test]
    fn a_prefix_ends_before_its_next_code_point() {
        assert_eq!(prefix_end("abc").as_deref(), Some("abd"));
        assert_eq!(prefix_end("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
        assert_eq!(prefix_end(""), None);
    }

    #[test]
    fn shards_follow_the_first_byte_as_the_migration_does() {
        assert_eq!(count_shard("A"), 65 % 64);
        assert_eq!(count_shard("z0"), 122 % 64);
        assert_eq!(count_shard(""), 0);
        assert!((0..COUNT_SHARDS).contains(&count_shard("_x")));
    }
}
