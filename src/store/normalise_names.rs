//! A start-up step after the SQL migrations: user names stored before names
//! were kept in Unicode NFC are brought to it, with their lookup keys, so that
//! every spelling of a name finds its account (see `crate::user_name`).
//!
//! Two stored accounts whose names become one name this way cannot both keep
//! it, and which one should is the operator's call: the step then changes
//! nothing and refuses to start, naming both accounts.
//!
//! It runs at every start (`serve`, `migrate` and the other commands that
//! migrate): one read of every user's id, name and key, and writes only for
//! names not yet in NFC, which after the first run there are none of unless
//! an older replica still writes them. It is not a diesel migration because
//! diesel records a migration as done even when a later step of the same
//! start fails, and because names are normalised by this program's Unicode
//! tables, which SQL has not.

use std::collections::HashMap;
use std::fmt;

use diesel::prelude::*;

use crate::store::schema::{directory_shards, users};
use crate::user_name;

/// One stored account, for the message of a clash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub user_name: String,
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Debug escapes combining marks and invisible characters, so two
        // spellings of one name read differently.
        write!(f, "{} ({:?})", self.id, self.user_name)
    }
}

/// Why the step did not complete.
#[derive(Debug, thiserror::Error)]
pub enum NormaliseError {
    #[error(
        "the user names of accounts {first} and {second} are one name in Unicode NFC; \
         rename one of them and start again"
    )]
    Clash { first: Account, second: Account },
    #[error("{0}")]
    Database(#[from] diesel::result::Error),
}

/// A stored name to rewrite, with its new key.
#[derive(Debug, PartialEq, Eq)]
struct Rewrite {
    id: String,
    user_name: String,
    user_name_key: String,
}

/// What to rewrite among stored `(id, name, key)` rows, or the first clash.
fn plan(rows: Vec<(String, String, String)>) -> Result<Vec<Rewrite>, NormaliseError> {
    let mut holders: HashMap<String, Account> = HashMap::with_capacity(rows.len());
    let mut rewrites = Vec::new();
    for (id, stored_name, stored_key) in rows {
        let new_name = user_name::written_form(&stored_name);
        let new_key = user_name::match_key(&new_name);
        if new_name != stored_name || new_key != stored_key {
            rewrites.push(Rewrite {
                id: id.clone(),
                user_name: new_name,
                user_name_key: new_key.clone(),
            });
        }
        let account = Account {
            id,
            user_name: stored_name,
        };
        if let Some(first) = holders.get(&new_key) {
            return Err(NormaliseError::Clash {
                first: first.clone(),
                second: account,
            });
        }
        holders.insert(new_key, account);
    }
    Ok(rewrites)
}

/// The step's body, the same for both backends' synchronous connections.
macro_rules! normalise_on {
    ($conn:expr) => {{
        $conn.transaction(|conn| {
            let rows = users::table
                .select((users::id, users::user_name, users::user_name_key))
                .order(users::id)
                .load::<(String, String, String)>(conn)?;
            let rewrites = plan(rows)?;
            // Keys first to a value no key has, then to their own: a new key
            // may be one that another rewritten row still holds.
            for rewrite in &rewrites {
                diesel::update(users::table.filter(users::id.eq(&rewrite.id)))
                    .set(users::user_name_key.eq(format!("\u{0}{}", rewrite.id)))
                    .execute(conn)?;
            }
            for rewrite in &rewrites {
                diesel::update(users::table.filter(users::id.eq(&rewrite.id)))
                    .set((
                        users::user_name.eq(&rewrite.user_name),
                        users::user_name_key.eq(&rewrite.user_name_key),
                    ))
                    .execute(conn)?;
            }
            if !rewrites.is_empty() {
                // Every replica reads the whole directory again (see
                // `store::directory_changes`).
                diesel::update(directory_shards::table)
                    .set(directory_shards::version.eq(directory_shards::version + 1))
                    .execute(conn)?;
            }
            Ok::<usize, NormaliseError>(rewrites.len())
        })
    }};
}

/// Normalises stored names on SQLite; returns how many were rewritten.
pub(super) fn on_sqlite(conn: &mut diesel::SqliteConnection) -> Result<usize, NormaliseError> {
    normalise_on!(conn)
}

/// Normalises stored names on MySQL; returns how many were rewritten.
pub(super) fn on_mysql(
    conn: &mut diesel_async::async_connection_wrapper::AsyncConnectionWrapper<
        diesel_async::AsyncMysqlConnection,
    >,
) -> Result<usize, NormaliseError> {
    normalise_on!(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, name: &str, key: &str) -> (String, String, String) {
        (id.into(), name.into(), key.into())
    }

    #[test]
    fn names_not_in_nfc_are_rewritten_with_their_keys() {
        let planned = plan(vec![
            row("a", "Zoe\u{308}", "zoe\u{308}"),
            row("b", "June_Doe", "june_doe"),
        ])
        .unwrap();
        assert_eq!(
            planned,
            vec![Rewrite {
                id: "a".into(),
                user_name: "Zo\u{eb}".into(),
                user_name_key: "zo\u{eb}".into(),
            }]
        );
    }

    #[test]
    fn a_clash_names_both_accounts_so_that_they_read_apart() {
        let Err(clash) = plan(vec![
            row("a", "Zo\u{eb}", "zo\u{eb}"),
            row("b", "ZOE\u{308}", "zoe\u{308}"),
        ]) else {
            panic!("a clash");
        };
        assert_eq!(
            clash.to_string(),
            "the user names of accounts a (\"Zo\u{eb}\") and b (\"ZOE\\u{308}\") are one name \
             in Unicode NFC; rename one of them and start again"
        );
    }
}
