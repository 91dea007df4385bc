//! The `users` scenario: an admin's searches of the user directory
//! (`users(query:)` with `totalCount`) over 100,000 users.
//!
//! The users are written straight into `users` before the server starts,
//! not made through the API or the CLI: each would cost an Argon2id hash and
//! a transaction of its own, so 100,000 would take many minutes. They are
//! the rows `user add --email` writes (active, role `user`, a verified
//! address), with lower-case ASCII names (so the name key is the name),
//! created one every few minutes over the last year. They never sign in:
//! their password hash is one throwaway hash of a random password.
//!
//! User `i` is `{first}_{last}_{i:06}` with the address
//! `{first}.{last}{i}@{domain}`, the first names, last names and domains
//! taken in turn, so each search below matches a count known in advance:
//! one person by name or by address, one last name (a fiftieth of the
//! users), one domain (a twentieth), one first name (a tenth), nothing,
//! and everyone (the admin page's first page, and its second through the
//! cursor).
//!
//! Two admin connections search in turn (admins are few; the budget line
//! is a latency, which 32 connections on two cores would fill with the wait
//! for the cores). Before the window each search is sent twice, the second
//! time timed alone, and its `totalCount` and page size checked; in the
//! window an answer whose `totalCount` or page size differs is a wrong
//! answer.

use std::time::Instant;

use argon2::password_hash::{PasswordHasher, SaltString};
use authql::config::Config;
use authql::store::DbPool;
use authql::store::schema::users;
use authql::vocabulary::UserStatus;
use chrono::{NaiveDateTime, SubsecRound, TimeDelta, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use hyper::body::Bytes;
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::BoxError;
use crate::accounts;
use crate::client::{self, Connection, Failure, GqlRequest};
use crate::scenarios::{Job, Plan, WRONG_ANSWER, finish, open_sessions, spawn_workers};
use crate::server::ServerSetup;
use crate::stats::Summary;

/// The query measured: a page of 50, the fields the admin page lists.
const SEARCH: &str = "query($q: String, $after: String) { users(query: $q, first: 50, after: $after) \
    { totalCount hasNextPage endCursor nodes { id userName email status role lastSignInAt } } }";
/// Users in a page.
const PAGE: usize = 50;
/// Users in the directory by default, besides the benchmark's own.
pub const DEFAULT_USERS: usize = 100_000;
/// The admin who searches.
const ADMIN: &str = "bench_admin";
/// Connections searching at once, each with a session of the admin.
const ADMIN_CONNECTIONS: usize = 2;
/// Rows per transaction when seeding. One INSERT per row: diesel-async's
/// SQLite connection takes no multi-row INSERT, and in one transaction a
/// row costs a round trip, not a commit.
const ROWS_PER_TRANSACTION: usize = 1_000;
/// How far back the oldest seeded user was created, in days.
const SPREAD_DAYS: i64 = 365;

const FIRST_NAMES: [&str; 10] = [
    "amara", "bjorn", "chen", "dalia", "emeka", "farah", "goran", "hana", "ivan", "jonas",
];
const LAST_NAMES: [&str; 50] = [
    "okafor",
    "lindqvist",
    "nakamura",
    "haddad",
    "moreau",
    "kowalski",
    "silva",
    "novak",
    "ferreira",
    "jansen",
    "rossi",
    "muller",
    "petrov",
    "tanaka",
    "garcia",
    "nguyen",
    "osei",
    "larsen",
    "horvat",
    "dubois",
    "khan",
    "berg",
    "santos",
    "ivanova",
    "kim",
    "mensah",
    "popescu",
    "lopez",
    "schmidt",
    "yilmaz",
    "costa",
    "hughes",
    "wojcik",
    "sato",
    "adeyemi",
    "fischer",
    "marino",
    "bauer",
    "rahman",
    "quinn",
    "varga",
    "ortiz",
    "eriksen",
    "abe",
    "conti",
    "dimitrov",
    "weber",
    "olsen",
    "patel",
    "zhou",
];
const DOMAINS: [&str; 20] = [
    "mail.example",
    "post.example",
    "inbox.example",
    "corp.example",
    "acme.example",
    "globex.example",
    "initech.example",
    "umbrella.example",
    "hooli.example",
    "stark.example",
    "wayne.example",
    "wonka.example",
    "tyrell.example",
    "cyberdyne.example",
    "soylent.example",
    "aperture.example",
    "vandelay.example",
    "oscorp.example",
    "massive.example",
    "dunder.example",
];

/// One seeded row of `users`.
#[derive(Insertable)]
#[diesel(table_name = users)]
struct SeededUser {
    id: String,
    user_name: String,
    user_name_key: String,
    password_hash: String,
    role: &'static str,
    status: UserStatus,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    email: String,
    email_key: String,
    email_verified_at: NaiveDateTime,
}

/// User `i`'s name and address.
fn person(i: usize) -> (String, String) {
    let first = FIRST_NAMES[i % FIRST_NAMES.len()];
    let last = LAST_NAMES[(i / FIRST_NAMES.len()) % LAST_NAMES.len()];
    let domain = DOMAINS[i % DOMAINS.len()];
    (
        format!("{first}_{last}_{i:06}"),
        format!("{first}.{last}{i}@{domain}"),
    )
}

/// What the directory holds: how many users were seeded.
pub struct DirectorySetup {
    users: usize,
}

/// Makes the admin, before the server starts, and writes `count` users on
/// the server's database.
pub async fn prepare(setup: &ServerSetup, count: usize) -> Result<DirectorySetup, BoxError> {
    eprintln!("creating {ADMIN} and a directory of {count} users");
    accounts::create_admin(setup, ADMIN).await?;
    let config = Config::from_lookup(|name| setup.var(name))?;
    let pool = DbPool::new(&config.database_url, config.pool)?;
    let started = Instant::now();
    let written = write(&pool, count).await;
    pool.close();
    written?;
    eprintln!(
        "  {count} users written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(DirectorySetup { users: count })
}

async fn write(pool: &DbPool, count: usize) -> Result<(), BoxError> {
    // Any salt will do: the password is random and never given.
    let salt =
        SaltString::from_b64("ZGlyZWN0b3J5LXNhbHQ").map_err(|e| format!("argon2 salt: {e}"))?;
    let never_given = authql::ids::new_id();
    let password_hash = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(8, 1, 1, None).map_err(|e| format!("argon2 params: {e}"))?,
    )
    .hash_password(never_given.as_bytes(), &salt)
    .map_err(|e| format!("argon2: {e}"))?
    .to_string();
    // Microseconds, as the server's clock stores them (`DATETIME(6)`).
    let now = Utc::now().naive_utc().trunc_subsecs(6);
    let step = TimeDelta::days(SPREAD_DAYS) / i32::try_from(count.max(1))?;
    let mut conn = pool.get().await?;
    for chunk in (0..count).collect::<Vec<_>>().chunks(ROWS_PER_TRANSACTION) {
        let rows: Vec<SeededUser> = chunk
            .iter()
            .map(|&i| {
                let (name, email) = person(i);
                let created_at = now - TimeDelta::days(SPREAD_DAYS) + step * i32::try_from(i)?;
                Ok(SeededUser {
                    id: authql::ids::new_id(),
                    user_name_key: name.clone(),
                    user_name: name,
                    password_hash: password_hash.clone(),
                    role: "user",
                    status: UserStatus::Active,
                    created_at,
                    updated_at: created_at,
                    email_key: email.clone(),
                    email,
                    email_verified_at: created_at,
                })
            })
            .collect::<Result<_, BoxError>>()?;
        insert_in_one_transaction!(&mut conn, users::table, &rows)?;
    }
    Ok(())
}

/// One search the admin makes, with the `totalCount` and page size its
/// answer must have.
#[derive(Clone)]
struct Search {
    what: &'static str,
    request: GqlRequest,
    total: usize,
    page: usize,
}

/// The searches, with their expected answers. `everyone` is the count of
/// every user (the seeded ones and the benchmark's own), read before.
fn searches(
    seeded: usize,
    everyone: usize,
    second_page_cursor: &str,
    token: &str,
) -> Result<Vec<Search>, BoxError> {
    let people = (0..seeded).map(person).collect::<Vec<_>>();
    let matching = |text: &str| {
        people
            .iter()
            .filter(|(name, email)| name.contains(text) || email.contains(text))
            .count()
    };
    let someone = seeded / 2;
    let (name, email) = person(someone);
    let first_name = FIRST_NAMES[someone % FIRST_NAMES.len()];
    let last_name = LAST_NAMES[(someone / FIRST_NAMES.len()) % LAST_NAMES.len()];
    let domain = format!("@{}", DOMAINS[someone % DOMAINS.len()]);
    let search = |what: &'static str, query: Option<&str>, after: Option<&str>, total: usize| {
        let variables = serde_json::json!({ "q": query, "after": after });
        let already = if after.is_some() { PAGE } else { 0 };
        Ok::<_, BoxError>(Search {
            what,
            request: GqlRequest::new(SEARCH, Some(variables), Some(token))?,
            total,
            page: total.saturating_sub(already).min(PAGE),
        })
    };
    Ok(vec![
        search("everyone", None, None, everyone)?,
        search("a name", Some(&name), None, matching(&name))?,
        search("a last name", Some(last_name), None, matching(last_name))?,
        search("an address", Some(&email), None, matching(&email))?,
        search("a domain", Some(&domain), None, matching(&domain))?,
        search("a first name", Some(first_name), None, matching(first_name))?,
        search("no one", Some("no-such-person"), None, 0)?,
        search("everyone, page 2", None, Some(second_page_cursor), everyone)?,
    ])
}

#[derive(Deserialize)]
struct Answer {
    users: UserPage,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserPage {
    total_count: usize,
    end_cursor: Option<String>,
    nodes: Vec<IgnoredAny>,
}

/// What the check before the window read.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DirectoryCheck {
    /// Users seeded, besides the benchmark's own.
    pub seeded: usize,
    /// The ms the round's first search took: in the first round, the
    /// server's first, which reads the whole directory into its copy.
    pub first_search_ms: f64,
    /// Each search, the `totalCount` it answered, and the ms its answer
    /// took (one request, before the window: the cost of each kind apart
    /// from the others').
    pub totals: Vec<(String, usize, f64)>,
}

impl DirectoryCheck {
    /// The line under the scenario's row.
    pub fn text(&self) -> String {
        let totals = self
            .totals
            .iter()
            .map(|(what, total, ms)| format!("{what} {total} ({ms:.1} ms)"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "directory: {} seeded users; the round's first search {:.1} ms (the \
             server's first reads the whole directory); totalCount checked: {totals}",
            self.seeded, self.first_search_ms
        )
    }
}

/// Opens the admin's sessions, checks every search once, and measures them
/// in turn.
pub async fn run(
    plan: &Plan,
    setup: &DirectorySetup,
) -> Result<(Summary, DirectoryCheck), BoxError> {
    let sessions = open_sessions(plan, &[ADMIN.to_owned()], ADMIN_CONNECTIONS).await?;
    let token = &sessions[0].access_token;
    let first = GqlRequest::new(SEARCH, Some(serde_json::json!({})), Some(token))?;
    let mut connection = Connection::new(plan.addr);
    let started = Instant::now();
    let body = connection.post(&first).await?;
    let first_search_ms = started.elapsed().as_secs_f64() * 1000.0;
    let page = client::data::<Answer>(&body)?.users;
    let cursor = page
        .end_cursor
        .ok_or("users gave no cursor for its first page")?;
    if page.total_count < setup.users {
        return Err(format!(
            "users counts {} users, fewer than the {} seeded",
            page.total_count, setup.users
        )
        .into());
    }
    let mut checked = Vec::new();
    let mut jobs: Vec<Vec<Search>> = vec![Vec::new(); ADMIN_CONNECTIONS];
    for (lane, session) in sessions.iter().enumerate() {
        jobs[lane] = searches(
            setup.users,
            page.total_count,
            &cursor,
            &session.access_token,
        )?;
    }
    for search in &jobs[0] {
        // Once unmeasured, so that the timed answer finds the server's
        // caches and the database's pages as the window will.
        connection.post(&search.request).await?;
        let started = Instant::now();
        let body = connection.post(&search.request).await?;
        let took_ms = started.elapsed().as_secs_f64() * 1000.0;
        let answer = client::data::<Answer>(&body)?.users;
        if answer.total_count != search.total || answer.nodes.len() != search.page {
            return Err(format!(
                "users, {}: totalCount {} and {} users, not {} and {}",
                search.what,
                answer.total_count,
                answer.nodes.len(),
                search.total,
                search.page
            )
            .into());
        }
        checked.push((search.what.to_owned(), answer.total_count, took_ms));
    }
    // Each connection starts at another search, so both are not always
    // making the same one.
    let jobs = jobs.into_iter().enumerate().map(|(lane, searches)| InTurn {
        turn: lane * searches.len() / ADMIN_CONNECTIONS,
        searches,
    });
    let summary = finish(spawn_workers(plan.addr, jobs, plan.window())).await?;
    Ok((
        summary,
        DirectoryCheck {
            seeded: setup.users,
            first_search_ms,
            totals: checked,
        },
    ))
}

/// The searches in turn; an answer is good when its `totalCount` and page
/// size are the search's.
struct InTurn {
    searches: Vec<Search>,
    turn: usize,
}

impl Job for InTurn {
    fn next(&mut self) -> Option<&GqlRequest> {
        self.turn = (self.turn + 1) % self.searches.len();
        self.searches.get(self.turn).map(|search| &search.request)
    }

    fn finish(&mut self, answer: Result<Bytes, Failure>) -> Result<(), Failure> {
        let page = client::data::<Answer>(&answer?)?.users;
        let expected = &self.searches[self.turn];
        if page.total_count == expected.total && page.nodes.len() == expected.page {
            Ok(())
        } else {
            Err(WRONG_ANSWER.to_owned())
        }
    }
}
