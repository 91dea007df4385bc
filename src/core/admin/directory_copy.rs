//! This replica's copy of the user directory: every user's id, creation
//! time, name key and address key, in page order, in memory.
//!
//! `users(query:)` finds users whose name or address *contains* the text,
//! and counts them all. No index seeks to a substring, so in SQL every
//! search read every user (25 to 75 ms among 100,000 on the machine of the
//! benchmark); here it is one pass over memory (about 2 ms). A trigram
//! index in the database was the other way: about 2.5 KB per user (250 MB
//! for 100,000) and still a read of every match to count a common name.
//!
//! The copy is brought up to date before each search from the change log
//! (`store::directory_changes`): where each shard's version stands, what
//! changed since the copy's versions, and those users as they are now. A
//! gap in the log (pruned, or every shard moved on at once) or a great many
//! changes make the replica read the whole directory again. Written by
//! hand: no crate keeps a set in memory in step with a log in SQL.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::QueryResult;
use memchr::memmem::Finder;
use tokio::sync::Mutex;

use crate::store::DbConn;
use crate::store::directory_changes::{self as log, Entry, SHARDS};

/// Above this many users changed since the copy's versions, the whole
/// directory is read again rather than each of them.
const MOST_CHANGES_APPLIED: usize = 1_000;

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

    fn matches(&self, entry: &Entry) -> bool {
        self.name.find(entry.user_name_key.as_bytes()).is_some()
            || entry
                .email_key
                .as_deref()
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
    held: Mutex<Option<Copy>>,
}

impl DirectoryCopy {
    /// The users matching `search` (everyone without one), oldest first,
    /// at most `first` after `after`, with the count of every match; read
    /// from the copy once it is up to date.
    pub(crate) async fn page(
        &self,
        conn: &mut DbConn,
        search: Option<&Search>,
        after: Option<&Position>,
        first: usize,
    ) -> QueryResult<Found> {
        let mut held = self.held.lock().await;
        let versions = read_versions(conn).await?;
        let fresh = match held.as_ref() {
            Some(copy) => copy.changes_up_to(conn, &versions).await?,
            None => None,
        };
        // Every read is done before the copy changes, so a search dropped
        // half-way leaves it whole.
        match (held.as_mut(), fresh) {
            (Some(copy), Some(update)) => copy.apply(update, versions),
            _ => {
                let entries = log::entries(conn, None).await?;
                *held = Some(Copy::new(versions, entries));
            }
        }
        let copy = held.as_ref().ok_or(diesel::result::Error::NotFound)?;
        Ok(copy.page(search, after, first))
    }
}

/// Each shard's version, by shard.
async fn read_versions(conn: &mut DbConn) -> QueryResult<Vec<i64>> {
    let rows = log::shard_versions(conn).await?;
    let in_order = rows.len() == SHARDS
        && rows
            .iter()
            .enumerate()
            .all(|(at, (shard, _))| usize::try_from(*shard) == Ok(at));
    if !in_order {
        return Err(diesel::result::Error::DeserializationError(
            format!(
                "directory_shards holds {} rows, not 0 to {}",
                rows.len(),
                SHARDS - 1
            )
            .into(),
        ));
    }
    Ok(rows.into_iter().map(|(_, version)| version).collect())
}

/// What changed since a copy's versions: the users touched, as they are
/// now (those deleted are absent from `now`).
struct Update {
    touched: HashSet<String>,
    now: Vec<Entry>,
}

struct Copy {
    /// Each shard's version the copy holds, by shard.
    versions: Vec<i64>,
    /// Every user, by (creation time, id).
    entries: Vec<Entry>,
    /// Each user's creation time, to find their entry.
    created: HashMap<String, NaiveDateTime>,
}

impl Copy {
    fn new(versions: Vec<i64>, mut entries: Vec<Entry>) -> Copy {
        entries.sort_by(|a, b| order(a).cmp(&order(b)));
        let created = entries
            .iter()
            .map(|entry| (entry.id.clone(), entry.created_at))
            .collect();
        Copy {
            versions,
            entries,
            created,
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
    ) -> QueryResult<Option<Update>> {
        let mut ranges = Vec::new();
        for (shard, (&held, &now)) in self.versions.iter().zip(versions).enumerate() {
            if now < held {
                return Ok(None);
            }
            if now > held {
                ranges.push((shard as i64, held, now));
            }
        }
        if ranges.is_empty() {
            return Ok(Some(Update {
                touched: HashSet::new(),
                now: Vec::new(),
            }));
        }
        let changes = log::changes_since(conn, &ranges).await?;
        let versions_found: HashSet<(i64, i64)> = changes
            .iter()
            .map(|(shard, version, _)| (*shard, *version))
            .collect();
        let every_version_logged = ranges.iter().all(|&(shard, held, now)| {
            (held + 1..=now).all(|version| versions_found.contains(&(shard, version)))
        });
        let touched: HashSet<String> = changes.into_iter().map(|(_, _, id)| id).collect();
        if !every_version_logged || touched.len() > MOST_CHANGES_APPLIED {
            return Ok(None);
        }
        let ids: Vec<String> = touched.iter().cloned().collect();
        let now = log::entries(conn, Some(&ids)).await?;
        Ok(Some(Update { touched, now }))
    }

    fn apply(&mut self, update: Update, versions: Vec<i64>) {
        for id in &update.touched {
            if let Some(created_at) = self.created.remove(id) {
                let at = self
                    .entries
                    .binary_search_by(|entry| order(entry).cmp(&(created_at, id.as_str())));
                if let Ok(at) = at {
                    self.entries.remove(at);
                }
            }
        }
        for entry in update.now {
            let at = self
                .entries
                .partition_point(|held| order(held) < order(&entry));
            self.created.insert(entry.id.clone(), entry.created_at);
            self.entries.insert(at, entry);
        }
        self.versions = versions;
    }

    fn page(&self, search: Option<&Search>, after: Option<&Position>, first: usize) -> Found {
        let start = after.map_or(0, |after| {
            self.entries
                .partition_point(|entry| order(entry) <= (after.created_at, after.id.as_str()))
        });
        let wanted = first.saturating_add(1);
        let (mut ids, total) = match search {
            None => (
                self.entries[start..]
                    .iter()
                    .take(wanted)
                    .map(|entry| entry.id.clone())
                    .collect::<Vec<_>>(),
                self.entries.len(),
            ),
            Some(search) => {
                let mut ids = Vec::new();
                let mut total = 0;
                for (at, entry) in self.entries.iter().enumerate() {
                    if search.matches(entry) {
                        total += 1;
                        if at >= start && ids.len() < wanted {
                            ids.push(entry.id.clone());
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
fn order(entry: &Entry) -> (NaiveDateTime, &str) {
    (entry.created_at, entry.id.as_str())
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

    fn directory() -> Copy {
        Copy::new(
            vec![0; SHARDS],
            vec![
                entry("c", 2, "carol", Some("carol@example.com")),
                entry("a", 1, "ann", None),
                entry("b", 2, "bob", Some("robert@example.com")),
                entry("d", 3, "dora", Some("dora@corp.example")),
            ],
        )
    }

    #[test]
    fn pages_are_oldest_first_then_by_id_and_count_every_match() {
        let copy = directory();
        let everyone = copy.page(None, None, 3);
        assert_eq!(everyone.ids, ["a", "b", "c"]);
        assert!(everyone.has_next);
        assert_eq!(everyone.total, 4);
        let after = Position {
            created_at: copy.entries[1].created_at,
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
            created_at: copy.entries[1].created_at,
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
            now: vec![
                entry("b", 2, "bob", Some("bob@new.example")),
                entry("e", 0, "eve", None),
            ],
        };
        copy.apply(update, vec![1; SHARDS]);
        let everyone = copy.page(None, None, 10);
        assert_eq!(everyone.ids, ["e", "a", "b", "d"]);
        assert_eq!(copy.versions, vec![1; SHARDS]);
        assert_eq!(copy.created.len(), 4);
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
