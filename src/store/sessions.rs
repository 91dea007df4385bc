//! The `user_login_sessions` table: one row per login, holding the session's
//! refresh-token state. Every state change is a single conditional UPDATE, so
//! concurrent requests and replicas cannot both win the same change.
//!
//! Two rules of the sessions are written once, for every caller: what "open
//! at `now`" means (`SessionState::is_open` on a row read, `open_at` in a
//! statement's filter, in `session_ends`), and how sessions end
//! (`session_ends::end_statement`, the one UPDATE that stamps `ended_at` and
//! `end_reason`, shared by plain ends and the transactions that end sessions
//! along with another change).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::store::accounts::NewAccountToken;
use crate::store::outbox::NewOutboxMail;
use crate::store::passkeys::PasskeyUse;
use crate::store::schema::{account_tokens, user_login_sessions as sessions, users};
use crate::store::security_events::NewSecurityEvent;
pub(crate) use crate::store::session_ends::{Ending, end, open_at};
use crate::store::users::UserRecord;
use crate::store::{DbConn, expect_key};
use crate::vocabulary::{EndReason, UserStatus};
use crate::with_conn;

/// A session row.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = sessions)]
#[diesel(check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
pub struct SessionRecord {
    pub id: String,
    pub user_id: String,
    pub device_info: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_active_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
    pub end_reason: Option<EndReason>,
    pub refresh_secret: String,
    pub refresh_generation: i64,
    pub refreshed_at: Option<NaiveDateTime>,
    pub aal: i32,
    pub amr: String,
    pub authenticated_at: NaiveDateTime,
    pub device_name: String,
}

impl SessionRecord {
    /// The part of the row that says whether the session is live.
    pub fn state(&self) -> SessionState {
        SessionState {
            id: self.id.clone(),
            user_id: self.user_id.clone(),
            last_active_at: self.last_active_at,
            expires_at: self.expires_at,
            ended_at: self.ended_at,
            aal: self.aal,
        }
    }

    /// The part of the row a client may see.
    pub fn view(&self) -> SessionView {
        SessionView {
            id: self.id.clone(),
            user_id: self.user_id.clone(),
            device_info: self.device_info.clone(),
            ip_address: self.ip_address.clone(),
            user_agent: self.user_agent.clone(),
            created_at: self.created_at,
            last_active_at: self.last_active_at,
            expires_at: self.expires_at,
            aal: self.aal,
            amr: self.amr.clone(),
            authenticated_at: self.authenticated_at,
            device_name: self.device_name.clone(),
        }
    }
}

/// What the bearer guard reads on every request: no device details, no
/// refresh-token state.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = sessions)]
#[diesel(check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
pub struct SessionState {
    pub id: String,
    pub user_id: String,
    pub last_active_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
    /// The assurance level as it is now (`X-Auth-AAL`).
    pub aal: i32,
}

impl SessionState {
    /// Open at `now`: neither ended nor past its expiry. The one Rust form of
    /// the rule; `open_at` is its SQL form, and the two must say the same.
    pub fn is_open(&self, now: NaiveDateTime) -> bool {
        self.ended_at.is_none() && self.expires_at > now
    }

    /// Past its expiry without an end stamped yet: the audit trail still
    /// needs one.
    pub fn expired_unstamped(&self, now: NaiveDateTime) -> bool {
        self.ended_at.is_none() && !self.is_open(now)
    }
}

/// A session as `Session` shows it to its owner.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = sessions)]
#[diesel(check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
pub struct SessionView {
    pub id: String,
    pub user_id: String,
    pub device_info: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_active_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub aal: i32,
    pub amr: String,
    pub authenticated_at: NaiveDateTime,
    pub device_name: String,
}

/// A row to insert at login.
#[derive(Insertable)]
#[diesel(table_name = sessions)]
pub(crate) struct NewSession<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub device_info: Option<&'a str>,
    pub ip_address: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub last_active_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub refresh_secret: &'a str,
    pub refresh_generation: i64,
    pub aal: i32,
    pub amr: &'a str,
    pub authenticated_at: NaiveDateTime,
    pub device_name: &'a str,
}

/// How [`open`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Opening {
    /// The session is stored; these sessions of the user were ended
    /// (`EVICTED`) to keep within the cap; the new-device alert given was
    /// queued (`alerted`), or none was given, or its address had the most
    /// alerts the limits allow.
    Opened { evicted: Vec<String>, alerted: bool },
    /// A sign-in of the user was reported as not theirs since the password
    /// was checked (`reportSignIn`): nothing was stored.
    PasswordResetRequired,
    /// The stored hash is no longer the one the login verified (the password
    /// changed, or the user is gone): nothing was stored.
    PasswordChangedSince,
    /// The hash is still the one verified, but the user is disabled now:
    /// nothing was stored.
    UserDisabled,
    /// The passkey is no longer the user's, or its counter did not rise
    /// (another sign-in with the same counter, or a cloned authenticator):
    /// nothing was stored.
    PasskeyRefused,
}

/// A new-device alert, queued with the opening of the session it is about
/// (see `core::devices::alerts`): its mail, the report token its link
/// carries (stored as its hash, of `token_kind`, naming the session), and
/// its `NEW_DEVICE_ALERT_SENT` event.
pub(crate) struct NewDeviceAlert {
    pub mail: NewOutboxMail,
    pub token_hash: String,
    pub token_kind: &'static str,
    pub token_expires_at: NaiveDateTime,
    pub event: NewSecurityEvent,
}

/// What a sign-in proved, checked again in the transaction that opens its
/// session.
pub(crate) enum StillProved<'a> {
    /// The stored password hash is still this one (and the user active).
    PasswordHash(&'a str),
    /// This passkey is still the user's and its counter rises (and the user
    /// is active); its use is recorded.
    Passkey(&'a PasskeyUse),
}

/// Opens a login's session: a compare-and-set on what the login proved, in
/// one transaction with the insert, so that no session opened with a
/// password outlives a change of that password (or a disable) that committed
/// while the login hashed.
///
/// The transaction first writes the user's row (`updated_at`) where its hash
/// is still `verified_hash` and the user is still active. MySQL counts
/// matched rows, so the WHERE decides; the write is a real change, so that
/// Galera certifies it against a change or a disable of that row committed
/// on another node (the loser's transaction fails with a conflict and
/// `with_conn!` runs it again, now finding the new row). Nothing else reads
/// `updated_at`: it says when the row last changed, a login's stamp included. It also locks the
/// row first, as `change_password` and `set_status` do (and takes SQLite's
/// write lock at once), so racing logins of one user take turns. Then, with
/// `cap`, the user's least recently active open sessions are ended so that
/// no more than `cap` are open with the new one.
///
/// The evictions are recorded as they happen (`end_sessions!`), then
/// `signed_in`, the new session's `SIGNED_IN` event, with the insert. Last,
/// the device whose cookie hashes to `device_hash` is noted as known for
/// the user, so that a session never opens without its device becoming
/// known, nor the reverse, and `alert`, when given, is queued with its
/// token and event (unless its address had the most alerts the limits
/// allow: the session opens all the same).
///
/// A user whose sign-in was reported (`password_reset_required_at`) opens
/// no session here either: the report's transaction writes the same row,
/// so a sign-in checked before a report commits cannot open after it.
#[expect(
    clippy::too_many_arguments,
    reason = "one transaction's parts, each built by a different rule"
)]
pub(crate) async fn open(
    conn: &mut DbConn,
    new_session: &NewSession<'_>,
    proved: &StillProved<'_>,
    device_hash: &str,
    cap: Option<usize>,
    signed_in: &NewSecurityEvent,
    alert: Option<&NewDeviceAlert>,
    now: NaiveDateTime,
) -> QueryResult<Opening> {
    let user_id = new_session.user_id;
    let is_mysql = conn.is_mysql();
    with_conn!(conn, |c| {
        c.transaction(async |c| {
            let verified_hash = match proved {
                StillProved::PasswordHash(hash) => Some(*hash),
                StillProved::Passkey(_) => None,
            };
            let active = users::table
                .filter(users::id.eq(user_id))
                .filter(users::status.eq(UserStatus::Active))
                .filter(users::password_reset_required_at.is_null());
            let still_proved = match verified_hash {
                Some(hash) => {
                    diesel::update(active.filter(users::password_hash.eq(hash)))
                        .set(users::updated_at.eq(now))
                        .execute(c)
                        .await?
                }
                None => {
                    diesel::update(active)
                        .set(users::updated_at.eq(now))
                        .execute(c)
                        .await?
                }
            };
            if still_proved == 0 {
                // What a login starting now would be told: a changed hash
                // first (the password given is wrong now, and a wrong
                // password for a disabled user is no ACCOUNT_DISABLED).
                let stored = users::table
                    .filter(users::id.eq(user_id))
                    .select((
                        users::password_hash,
                        users::status,
                        users::password_reset_required_at,
                    ))
                    .first::<(String, UserStatus, Option<NaiveDateTime>)>(c)
                    .await
                    .optional()?;
                return Ok(match (stored, verified_hash) {
                    (Some((hash, _, _)), Some(verified)) if hash != verified => {
                        Opening::PasswordChangedSince
                    }
                    (Some((_, UserStatus::Active, Some(_))), _) => Opening::PasswordResetRequired,
                    (Some(_), _) => Opening::UserDisabled,
                    (None, _) => Opening::PasswordChangedSince,
                });
            }
            if let StillProved::Passkey(used) = proved
                && !crate::use_passkey!(c, *used, now)?
            {
                return Ok(Opening::PasskeyRefused);
            }
            let mut evicted = Vec::new();
            if let Some(cap) = cap {
                let open: Vec<String> = sessions::table
                    .filter(sessions::user_id.eq(user_id))
                    .filter(open_at(now))
                    .order((
                        sessions::last_active_at.asc(),
                        sessions::created_at.asc(),
                        sessions::id.asc(),
                    ))
                    .select(sessions::id)
                    .load(c)
                    .await?;
                let surplus = (open.len() + 1).saturating_sub(cap);
                evicted = open.into_iter().take(surplus).collect();
            }
            if !evicted.is_empty() {
                crate::end_sessions!(c, Ending::These(&evicted), EndReason::Evicted, now);
            }
            diesel::insert_into(sessions::table)
                .values(new_session)
                .execute(c)
                .await?;
            // After the evictions' events, in the order they happened.
            let signed_in = NewSecurityEvent {
                seq: crate::store::security_events::next_seq(),
                ..signed_in.clone()
            };
            crate::insert_security_event!(c, &signed_in)?;
            crate::note_known_device!(c, is_mysql, user_id, device_hash, now)?;
            let mut alerted = false;
            if let Some(alert) = alert
                && crate::queue_mail!(c, &alert.mail)?
            {
                let token = NewAccountToken {
                    token_hash: &alert.token_hash,
                    kind: alert.token_kind,
                    user_id: Some(user_id),
                    email: None,
                    role: None,
                    created_at: now,
                    expires_at: alert.token_expires_at,
                    session_id: Some(new_session.id),
                };
                diesel::insert_into(account_tokens::table)
                    .values(&token)
                    .execute(c)
                    .await?;
                let sent = NewSecurityEvent {
                    seq: crate::store::security_events::next_seq(),
                    ..alert.event.clone()
                };
                crate::insert_security_event!(c, &sent)?;
                alerted = true;
            }
            Ok(Opening::Opened { evicted, alerted })
        })
        .await
    })
}

/// The states and users of several sessions in one statement, for
/// coalesced session checks. Ids not found are simply missing from the
/// answer. The id list is padded (by repeating its last id) to a power of two,
/// so that a connection's statement cache holds a handful of statements
/// rather than one per batch length. Every row must be one that was asked for,
/// with its own user.
pub(crate) async fn find_states_with_users(
    conn: &mut DbConn,
    session_ids: &[&str],
) -> QueryResult<Vec<(SessionState, UserRecord)>> {
    let Some(last) = session_ids.last() else {
        return Ok(Vec::new());
    };
    let padded_len = session_ids.len().next_power_of_two();
    let padded = session_ids
        .iter()
        .chain(std::iter::repeat(last))
        .take(padded_len);
    with_conn!(conn, |c| {
        // `eq_any` would be simpler, but diesel never caches a statement
        // with a list bind; a chain of `OR id = ?` of fixed length is cached.
        let mut query = sessions::table
            .inner_join(users::table)
            .select((SessionState::as_select(), UserRecord::as_select()))
            .into_boxed();
        for id in padded.clone() {
            query = query.or_filter(sessions::id.eq(*id));
        }
        let found = query.load::<(SessionState, UserRecord)>(c).await?;
        for (session, user) in &found {
            // No id asked for matches a row nobody asked for: "" stands in,
            // so that the check fails and names the row.
            let asked = session_ids.iter().copied().find(|id| *id == session.id);
            expect_session_and_user(asked.unwrap_or(""), &session.id, &session.user_id, &user.id)?;
        }
        Ok(found)
    })
}

/// The rows of a session lookup are the session asked for and its own user.
fn expect_session_and_user(
    asked_session_id: &str,
    session_id: &str,
    session_user_id: &str,
    user_id: &str,
) -> QueryResult<()> {
    expect_key("session", asked_session_id, session_id)?;
    expect_key("user", session_user_id, user_id)
}

/// A whole session row and its user, in one round trip.
pub async fn find_with_user(
    conn: &mut DbConn,
    session_id: &str,
) -> QueryResult<Option<(SessionRecord, UserRecord)>> {
    with_conn!(conn, |c| {
        let found = sessions::table
            .inner_join(users::table)
            .filter(sessions::id.eq(session_id))
            .select((SessionRecord::as_select(), UserRecord::as_select()))
            .first::<(SessionRecord, UserRecord)>(c)
            .await
            .optional()?;
        if let Some((session, user)) = &found {
            expect_session_and_user(session_id, &session.id, &session.user_id, &user.id)?;
        }
        Ok(found)
    })
}

/// The user's open sessions, the most recently active first.
pub async fn list_open(
    conn: &mut DbConn,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<SessionView>> {
    with_conn!(conn, |c| {
        let listed = sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(open_at(now))
            .order((
                sessions::last_active_at.desc(),
                sessions::created_at.desc(),
                sessions::id.asc(),
            ))
            .select(SessionView::as_select())
            .load::<SessionView>(c)
            .await?;
        for session in &listed {
            expect_key("session owner", user_id, &session.user_id)?;
        }
        Ok(listed)
    })
}

/// One open session, whoever's, and its user: what `node(id:)` shows.
pub(crate) async fn find_open_with_user(
    conn: &mut DbConn,
    session_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(SessionView, UserRecord)>> {
    with_conn!(conn, |c| {
        let found = sessions::table
            .inner_join(users::table)
            .filter(sessions::id.eq(session_id))
            .filter(open_at(now))
            .select((SessionView::as_select(), UserRecord::as_select()))
            .first::<(SessionView, UserRecord)>(c)
            .await
            .optional()?;
        if let Some((session, user)) = &found {
            expect_session_and_user(session_id, &session.id, &session.user_id, &user.id)?;
        }
        Ok(found)
    })
}

/// A session row as live session events read it: what `Session` shows,
/// and how it ended.
#[derive(Clone, Debug)]
pub struct SessionChange {
    pub view: SessionView,
    pub ended_at: Option<NaiveDateTime>,
    pub end_reason: Option<EndReason>,
}

/// Every session opened or ended at `since` or later, or whose expiry
/// passed between `since` and `now` without an end, whoever's: the one read
/// a replica makes per poll of live session events (the three columns are
/// indexed).
pub(crate) async fn changed_since(
    conn: &mut DbConn,
    since: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<Vec<SessionChange>> {
    with_conn!(conn, |c| {
        let rows = sessions::table
            .filter(
                sessions::created_at
                    .ge(since)
                    .or(sessions::ended_at.ge(since))
                    .or(sessions::ended_at
                        .is_null()
                        .and(sessions::expires_at.ge(since))
                        .and(sessions::expires_at.le(now))),
            )
            .select((
                SessionView::as_select(),
                sessions::ended_at,
                sessions::end_reason,
            ))
            .load::<(SessionView, Option<NaiveDateTime>, Option<EndReason>)>(c)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(view, ended_at, end_reason)| SessionChange {
                view,
                ended_at,
                end_reason,
            })
            .collect())
    })
}

/// Moves `last_active_at` to `now` unless it is already later than
/// `stale_before`, so that a burst of requests writes once.
pub(crate) async fn touch(
    conn: &mut DbConn,
    session_id: &str,
    now: NaiveDateTime,
    stale_before: NaiveDateTime,
) -> QueryResult<()> {
    with_conn!(conn, |c| {
        diesel::update(
            sessions::table
                .filter(sessions::id.eq(session_id))
                .filter(sessions::last_active_at.lt(stale_before))
                .filter(sessions::ended_at.is_null()),
        )
        .set(sessions::last_active_at.eq(now))
        .execute(c)
        .await
        .map(|_| ())
    })
}

/// Rotates the refresh token from `from_generation` to the next one: a
/// compare-and-set that only one of any number of concurrent callers wins.
/// Returns whether this caller won.
pub(crate) async fn rotate(
    conn: &mut DbConn,
    session_id: &str,
    from_generation: i64,
    now: NaiveDateTime,
    new_expires_at: NaiveDateTime,
) -> QueryResult<bool> {
    with_conn!(conn, |c| {
        diesel::update(
            sessions::table
                .filter(sessions::id.eq(session_id))
                .filter(sessions::refresh_generation.eq(from_generation))
                .filter(open_at(now)),
        )
        .set((
            sessions::refresh_generation.eq(from_generation + 1),
            sessions::refreshed_at.eq(now),
            sessions::last_active_at.eq(now),
            sessions::expires_at.eq(new_expires_at),
        ))
        .execute(c)
        .await
        .map(|matched| matched == 1)
    })
}

/// Up to `limit` ids of sessions that ended, or expired, before `cutoff`.
pub(crate) async fn finished_before(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<String>> {
    with_conn!(conn, |c| {
        sessions::table
            .filter(
                sessions::ended_at.lt(cutoff).or(sessions::ended_at
                    .is_null()
                    .and(sessions::expires_at.lt(cutoff))),
            )
            .select(sessions::id)
            .limit(limit)
            .load::<String>(c)
            .await
    })
}

/// Deletes those of `ids` that still ended or expired before `cutoff`; the
/// re-check keeps concurrent prunes (several replicas) harmless.
pub(crate) async fn delete_finished(
    conn: &mut DbConn,
    ids: &[String],
    cutoff: NaiveDateTime,
) -> QueryResult<usize> {
    with_conn!(conn, |c| {
        diesel::delete(
            sessions::table.filter(sessions::id.eq_any(ids)).filter(
                sessions::ended_at.lt(cutoff).or(sessions::ended_at
                    .is_null()
                    .and(sessions::expires_at.lt(cutoff))),
            ),
        )
        .execute(c)
        .await
    })
}

/// Records a credential proved again in an open session: `authenticated_at`
/// becomes `at`, and `aal`/`amr` become the raised ones, but only while the
/// stored `amr` is still `read_amr` (so two raises racing do not drop
/// each other's methods: the loser reads again). False when the session is
/// no longer open or its `amr` changed since it was read.
pub(crate) async fn raise_assurance(
    conn: &mut DbConn,
    session_id: &str,
    read_amr: &str,
    amr: &str,
    aal: i32,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    with_conn!(conn, |c| {
        let changed = diesel::update(
            sessions::table
                .filter(sessions::id.eq(session_id))
                .filter(sessions::amr.eq(read_amr))
                .filter(open_at(at)),
        )
        .set((
            sessions::amr.eq(amr),
            sessions::aal.eq(aal),
            sessions::authenticated_at.eq(at),
        ))
        .execute(c)
        .await?;
        Ok(changed == 1)
    })
}
