//! This replica's copy of the user directory: every user's id, creation
//! time, name key and address key, in page order, in memory.
//!
//! `users(query:)` finds users whose name or address *contains* the text,
//! and counts them all. No index seeks to a substring, so in SQL every
//! search read every user (p99 78 ms among 100,000 in the load benchmark);
//! here it is one pass over memory. A trigram index in the database was
//! the other way: 2.5 to 5 KB per user (245 MB on SQLite and 524 MB on
//! MariaDB for 100,000) and still a read of every match to count a common
//! name.
//!
//! The copy is brought up to date before each search from the change log
//! (`store::directory_changes`): where each shard's version stands, what
//! changed since the copy's versions, and those users as they are now. It
//! reads the whole directory again when the log has a gap (pruned, or every
//! shard moved on at once), when more changed than is worth reading change
//! by change, and every [`FULL_READ_EVERY`], which bounds how long a change
//! written without the log (an operator's SQL, a replica of an older
//! version during an upgrade) stays unseen. Written by hand: no crate keeps
//! a set in memory in step with a log in SQL.

use std::collections::HashSet;

use chrono::{NaiveDateTime, TimeDelta};
use memchr::memmem::Finder;
use tokio::sync::Mutex;

use crate::error::{AppError, InternalCause};
use crate::store::directory_changes::{self as changes, Entry, SHARDS};
use crate::store::{DbConn, DbPool};

/// Above this many changes since the copy's versions, the whole directory
/// is read again rather than each user changed.
const MOST_CHANGES_APPLIED: usize = 1_000;

/// How long a copy is used before the whole directory is read again.
pub(crate) const FULL_READ_EVERY: TimeDelta = TimeDelta::minutes(10);

/// A position in the directory's order: after the user created at
/// `created_at` with id `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Position {
    pub created_at: NaiveDateTime,
    pub id: String,
}

/// What a search looks for, as plain text: in the folded name and in the
/// lower-case address.
pub(crate) struct Search {
    name: Finder<'static>,
    email: Finder<'static>,
}

impl Search {
    /// A search for `name_text` in name keys and `email_text` in address
    /// keys.
    pub(crate) fn new(name_text: &str, email_text: &str) -> Search {
        Search {
            name: Finder::new(name_text.as_bytes()).into_owned(),
            email: Finder::new(email_text.as_bytes()).into_owned(),
        }
    }

    fn matches(&self, held: &HeldUser) -> bool {
        self.name.find(held.name_key().as_bytes()).is_some()
            || held
                .email_key()
                .is_some_and(|key| self.email.find(key.as_bytes()).is_some())
    }
}

/// One page of a search, as ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    /// The page's users, in order.
    pub ids: Vec<String>,
    /// Whether more matches follow the last of `ids`.
    pub has_next: bool,
    /// How many users match, on every page together.
    pub total: usize,
}

/// The copy, taken by one search at a time.
#[derive(Default)]
pub(crate) struct DirectoryCopy {
    held: Mutex<Option<HeldDirectory>>,
}

impl DirectoryCopy {
    /// The users matching `search` (everyone without one), oldest first,
    /// at most `first` after `after`, with the count of every match; read
    /// from the copy once it is up to date. The copy is taken before a
    /// connection, so that searches waiting for a full read hold none.
    pub(crate) async fn page(
        &self,
        pool: &DbPool,
        now: NaiveDateTime,
        search: Option<&Search>,
        after: Option<&Position>,
        first: usize,
    ) -> Result<Found, AppError> {
        let mut held = self.held.lock().await;
        let mut conn = pool.get().await?;
        let versions = read_versions(&mut conn).await?;
        let update = match held.as_ref() {
            Some(copy) if now - copy.read_at < FULL_READ_EVERY => {
                copy.changes_up_to(&mut conn, &versions).await?
            }
            _ => None,
        };
        // Each read is done before the copy changes, so a search dropped
        // half-way leaves it whole (or, during a full read, absent).
        let copy = match (held.as_mut(), update) {
            (Some(copy), Some(update)) => {
                copy.apply(update, versions);
                copy
            }
            _ => {
                // The old copy goes first: never two in memory at once.
                *held = None;
                let users = read_every_user(&mut conn).await?;
                held.insert(HeldDirectory::new(versions, users, now))
            }
        };
        Ok(copy.page(search, after, first))
    }
}

/// Users read at a time when the whole directory is read: the rows as
/// loaded take several times the memory of the copy, so a few at a time.
const USERS_PER_READ: i64 = 5_000;

/// Every user, in the directory's order, a page at a time. A user changed
/// during the pages is in the log too, and read again at the next search.
async fn read_every_user(conn: &mut DbConn) -> Result<Vec<HeldUser>, AppError> {
    let mut users: Vec<HeldUser> = Vec::new();
    loop {
        let after = users.last().map(|held| (held.created_at, held.id()));
        let reading = changes::Reading::Page {
            after,
            limit: USERS_PER_READ,
        };
        let page = changes::entries(conn, reading).await?;
        let read = page.len();
        users.extend(page.into_iter().map(HeldUser::new));
        if i64::try_from(read).unwrap_or(i64::MAX) < USERS_PER_READ {
            return Ok(users);
        }
    }
}

/// Each shard's version, by shard.
async fn read_versions(conn: &mut DbConn) -> Result<Vec<i64>, AppError> {
    let rows = changes::shard_versions(conn).await?;
    let in_order = rows.len() == SHARDS
        && rows
            .iter()
            .enumerate()
            .all(|(at, (shard, _))| usize::try_from(*shard) == Ok(at));
    if !in_order {
        return Err(AppError::Internal(InternalCause::Invariant(
            "directory_shards does not hold one row per shard",
        )));
    }
    Ok(rows.into_iter().map(|(_, version)| version).collect())
}

/// What changed since a copy's versions: the users touched, and those of
/// them that still exist, as they are now.
struct Update {
    touched: HashSet<String>,
    current: Vec<Entry>,
}

/// A user as the copy holds it: the three texts in one allocation (a
/// tenth of the memory of three `String`s and a map from ids).
struct HeldUser {
    created_at: NaiveDateTime,
    /// The id, the name key, then the address key.
    text: Box<str>,
    /// Where the name key begins in `text`.
    name_at: u32,
    /// Where the address key begins in `text`; `u32::MAX` without one.
    email_at: u32,
}

impl HeldUser {
    fn new(entry: Entry) -> HeldUser {
        let mut text = entry.id;
        // Keys are at most a few hundred bytes (names and addresses are
        // bounded on input), far below `u32::MAX`.
        let name_at = u32::try_from(text.len()).unwrap_or(u32::MAX);
        text.push_str(&entry.user_name_key);
        let email_at = match &entry.email_key {
            Some(key) => {
                let at = u32::try_from(text.len()).unwrap_or(u32::MAX);
                text.push_str(key);
                at
            }
            None => u32::MAX,
        };
        HeldUser {
            created_at: entry.created_at,
            text: text.into_boxed_str(),
            name_at,
            email_at,
        }
    }

    fn id(&self) -> &str {
        self.text.get(..self.name_at as usize).unwrap_or("")
    }

    fn name_key(&self) -> &str {
        let end = if self.email_at == u32::MAX {
            self.text.len()
        } else {
            self.email_at as usize
        };
        self.text.get(self.name_at as usize..end).unwrap_or("")
    }

    fn email_key(&self) -> Option<&str> {
        (self.email_at != u32::MAX).then(|| self.text.get(self.email_at as usize..).unwrap_or(""))
    }
}

/// The directory as this replica holds it.
struct HeldDirectory {
    /// Each shard's version the copy holds, by shard.
    versions: Vec<i64>,
    /// Every user, by (creation time, id).
    users: Vec<HeldUser>,
    /// When the whole directory was last read.
    read_at: NaiveDateTime,
}

impl HeldDirectory {
    /// The directory of `users`, put in order (read in order, they cost
    /// one pass: the order is the copy's own, whatever the database's).
    fn new(versions: Vec<i64>, mut users: Vec<HeldUser>, read_at: NaiveDateTime) -> HeldDirectory {
        users.sort_by(|a, b| order(a).cmp(&order(b)));
        HeldDirectory {
            versions,
            users,
            read_at,
        }
    }

    /// The changes between the copy's versions and `versions`; None when
    /// the whole directory must be read again (a version with no change
    /// logged, a shard gone back, or more changes than are worth reading
    /// one by one).
    async fn changes_up_to(
        &self,
        conn: &mut DbConn,
        versions: &[i64],
    ) -> Result<Option<Update>, AppError> {
        let mut ranges = Vec::new();
        let mut versions_behind: i64 = 0;
        for (shard, (&held, &now)) in (0_i64..).zip(self.versions.iter().zip(versions)) {
            if now < held {
                return Ok(None);
            }
            if now > held {
                ranges.push((shard, held, now));
                versions_behind = versions_behind.saturating_add(now - held);
            }
        }
        let most = i64::try_from(MOST_CHANGES_APPLIED).unwrap_or(i64::MAX);
        // Each version has one row at least: more versions behind than
        // that is more changes, found without reading them.
        if versions_behind > most {
            return Ok(None);
        }
        let logged = changes::changes_since(conn, &ranges, most.saturating_add(1)).await?;
        if logged.len() > MOST_CHANGES_APPLIED {
            return Ok(None);
        }
        let versions_found: HashSet<(i64, i64)> = logged
            .iter()
            .map(|(shard, version, _)| (*shard, *version))
            .collect();
        let every_version_logged = ranges.iter().all(|&(shard, held, now)| {
            (held + 1..=now).all(|version| versions_found.contains(&(shard, version)))
        });
        if !every_version_logged {
            return Ok(None);
        }
        let touched: HashSet<String> = logged.into_iter().map(|(_, _, id)| id).collect();
        let current = if touched.is_empty() {
            Vec::new()
        } else {
            let ids: Vec<String> = touched.iter().cloned().collect();
            changes::entries(conn, changes::Reading::Ids(&ids)).await?
        };
        Ok(Some(Update { touched, current }))
    }

    /// Replaces the touched users by what they are now: one pass, then
    /// the new entries merged in (a stable sort finds the run already in
    /// order, so it costs about a pass too).
    fn apply(&mut self, update: Update, versions: Vec<i64>) {
        if !update.touched.is_empty() {
            self.users
                .retain(|held| !update.touched.contains(held.id()));
        }
        if !update.current.is_empty() {
            self.users
                .extend(update.current.into_iter().map(HeldUser::new));
            self.users.sort_by(|a, b| order(a).cmp(&order(b)));
        }
        self.versions = versions;
    }

    fn page(&self, search: Option<&Search>, after: Option<&Position>, first: usize) -> Found {
        let start = after.map_or(0, |after| {
            self.users
                .partition_point(|held| order(held) <= (after.created_at, after.id.as_str()))
        });
        let wanted = first.saturating_add(1);
        let (mut ids, total) = match search {
            None => (
                self.users
                    .iter()
                    .skip(start)
                    .take(wanted)
                    .map(|held| held.id().to_owned())
                    .collect::<Vec<_>>(),
                self.users.len(),
            ),
            Some(search) => {
                let mut ids = Vec::new();
                let mut total = 0;
                for (at, held) in self.users.iter().enumerate() {
                    if search.matches(held) {
                        total += 1;
                        if at >= start && ids.len() < wanted {
                            ids.push(held.id().to_owned());
                        }
                    }
                }
                (ids, total)
            }
        };
        let has_next = ids.len() > first;
        ids.truncate(first);
        Found {
            ids,
            has_next,
            total,
        }
    }
}

/// The directory's order: oldest first, then by id.
fn order(held: &HeldUser) -> (NaiveDateTime, &str) {
    (held.created_at, held.id())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, minute: u32, name: &str, email: Option<&str>) -> Entry {
        Entry {
            id: id.to_owned(),
            created_at: chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
                .and_then(|day| day.and_hms_opt(0, minute, 0))
                .expect("a valid time"),
            user_name_key: name.to_owned(),
            email_key: email.map(str::to_owned),
        }
    }

    fn directory() -> HeldDirectory {
        HeldDirectory::new(
            vec![0; SHARDS],
            [
                entry("c", 2, "carol", Some("carol@example.com")),
                entry("a", 1, "ann", None),
                entry("b", 2, "bob", Some("robert@example.com")),
                entry("d", 3, "dora", Some("dora@corp.example")),
            ]
            .into_iter()
            .map(HeldUser::new)
            .collect(),
            NaiveDateTime::default(),
        )
    }

    #[test]
    fn held_entries_give_back_their_texts() {
        for entry in [
            entry("id1", 0, "ann", Some("ann@example.com")),
            entry("id2", 0, "bob", None),
            entry("id3", 0, "z\u{eb}", Some("")),
        ] {
            let held = HeldUser::new(entry.clone());
            assert_eq!(held.id(), entry.id);
            assert_eq!(held.name_key(), entry.user_name_key);
            assert_eq!(held.email_key(), entry.email_key.as_deref());
        }
    }

    #[test]
    fn pages_are_oldest_first_then_by_id_and_count_every_match() {
        let copy = directory();
        let everyone = copy.page(None, None, 3);
        assert_eq!(everyone.ids, ["a", "b", "c"]);
        assert!(everyone.has_next);
        assert_eq!(everyone.total, 4);
        let after = Position {
            created_at: copy.users[1].created_at,
            id: "b".into(),
        };
        let rest = copy.page(None, Some(&after), 3);
        assert_eq!(rest.ids, ["c", "d"]);
        assert!(!rest.has_next);
    }

    #[test]
    fn a_search_matches_a_part_of_the_name_or_of_the_address() {
        let copy = directory();
        let example = Search::new("example.com", "example.com");
        let found = copy.page(Some(&example), None, 1);
        assert_eq!(
            (found.ids, found.has_next, found.total),
            (vec!["b".into()], true, 2)
        );
        let rob = Search::new("rob", "rob");
        assert_eq!(copy.page(Some(&rob), None, 10).ids, ["b"]);
        let after_b = Position {
            created_at: copy.users[1].created_at,
            id: "b".into(),
        };
        let found = copy.page(Some(&example), Some(&after_b), 10);
        assert_eq!((found.ids, found.total), (vec!["c".into()], 2));
        assert_eq!(
            copy.page(Some(&Search::new("zed", "zed")), None, 10).total,
            0
        );
    }

    #[test]
    fn changes_replace_delete_and_add_entries_in_order() {
        let mut copy = directory();
        let update = Update {
            touched: ["b", "c", "e"].map(String::from).into(),
            current: vec![
                entry("b", 2, "bob", Some("bob@new.example")),
                entry("e", 0, "eve", None),
            ],
        };
        copy.apply(update, vec![1; SHARDS]);
        let everyone = copy.page(None, None, 10);
        assert_eq!(everyone.ids, ["e", "a", "b", "d"]);
        assert_eq!(copy.versions, vec![1; SHARDS]);
        assert_eq!(
            copy.page(Some(&Search::new("new.ex", "new.ex")), None, 10)
                .ids,
            ["b"]
        );
        assert_eq!(
            copy.page(Some(&Search::new("robert", "robert")), None, 10)
                .total,
            0
        );
    }
}
