//! The `users` table: rows, inserts and the queries the services need.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::store::schema::{user_login_sessions, users};
use crate::store::security_events::NewSecurityEvent;
use crate::store::session_ends::{Ending, open_at};
use crate::store::{DbConn, expect_key};
use crate::vocabulary::{EndReason, UserStatus};
use crate::with_conn;

/// A user as requests see it. The password hash is read only by login
/// ([`find_credentials`]), so no other request carries it around.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = users)]
#[diesel(check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
pub struct UserRecord {
    pub id: String,
    pub user_name: String,
    pub role: String,
    pub status: UserStatus,
    pub created_at: NaiveDateTime,
    /// As given; None for an account made without one.
    pub email: Option<String>,
    pub email_verified_at: Option<NaiveDateTime>,
    /// When TOTP was turned on; None while it is off.
    pub totp_enabled_at: Option<NaiveDateTime>,
    /// When a sign-in was reported as not the user's; None otherwise.
    pub password_reset_required_at: Option<NaiveDateTime>,
}

impl UserRecord {
    /// Whether the user may log in and use its sessions.
    pub fn is_active(&self) -> bool {
        self.status == UserStatus::Active
    }

    /// Whether signing in needs a second factor.
    pub fn has_totp(&self) -> bool {
        self.totp_enabled_at.is_some()
    }

    /// Whether the password must be reset before it signs in again (a
    /// sign-in was reported as not the user's).
    pub fn must_reset_password(&self) -> bool {
        self.password_reset_required_at.is_some()
    }
}

/// A row to insert into `users`.
#[derive(Insertable)]
#[diesel(table_name = users)]
pub(crate) struct NewUser<'a> {
    pub id: &'a str,
    pub user_name: &'a str,
    pub user_name_key: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub status: UserStatus,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub email: Option<&'a str>,
    pub email_key: Option<&'a str>,
    pub email_verified_at: Option<NaiveDateTime>,
}

/// Inserts a user, noted in the directory's log; a taken name fails with a
/// unique violation.
pub(crate) async fn insert(conn: &mut DbConn, new_user: &NewUser<'_>) -> QueryResult<()> {
    let ids = [new_user.id.to_owned()];
    with_conn!(conn, |c| {
        c.transaction(async |c| {
            diesel::insert_into(users::table)
                .values(new_user)
                .execute(c)
                .await?;
            crate::note_directory_changes!(c, &ids, new_user.created_at)
        })
        .await
    })
}

/// The user whose folded name is `user_name_key`, with its password hash.
pub async fn find_credentials(
    conn: &mut DbConn,
    user_name_key: &str,
) -> QueryResult<Option<(UserRecord, String)>> {
    with_conn!(conn, |c| {
        let found = users::table
            .filter(users::user_name_key.eq(user_name_key))
            .select((
                UserRecord::as_select(),
                users::password_hash,
                users::user_name_key,
            ))
            .first::<(UserRecord, String, String)>(c)
            .await
            .optional()?;
        let Some((user, password_hash, found_key)) = found else {
            return Ok(None);
        };
        expect_key("user name", user_name_key, &found_key)?;
        Ok(Some((user, password_hash)))
    })
}

/// Replaces the password hash that a login just verified with one of
/// stronger parameters, and only that one (a compare-and-set on the old
/// hash): a login racing a password change never writes the old password
/// back over the new one. Returns whether the hash was replaced.
pub(crate) async fn upgrade_password_hash(
    conn: &mut DbConn,
    user_id: &str,
    verified_hash: &str,
    stronger_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    with_conn!(conn, |c| {
        // MySQL counts matched rows: the old value in the WHERE is what
        // makes the count say whether this write won.
        diesel::update(
            users::table
                .filter(users::id.eq(user_id))
                .filter(users::password_hash.eq(verified_hash)),
        )
        .set((
            users::password_hash.eq(stronger_hash),
            users::updated_at.eq(now),
        ))
        .execute(c)
        .await
        .map(|matched| matched == 1)
    })
}

/// The user whose name folds to `user_name_key`.
pub(crate) async fn find_by_name_key(
    conn: &mut DbConn,
    user_name_key: &str,
) -> QueryResult<Option<UserRecord>> {
    with_conn!(conn, |c| {
        let found = users::table
            .filter(users::user_name_key.eq(user_name_key))
            .select((UserRecord::as_select(), users::user_name_key))
            .first::<(UserRecord, String)>(c)
            .await
            .optional()?;
        let Some((user, found_key)) = found else {
            return Ok(None);
        };
        expect_key("user name", user_name_key, &found_key)?;
        Ok(Some(user))
    })
}

/// Replaces a user's password hash and ends every session of the user
/// (`PASSWORD_CHANGED`), in one transaction: either both happen or neither.
/// Returns how many sessions ended, and lifts a reported sign-in's lock.
/// `event` (its `PASSWORD_CHANGED`) is stored with it. Unconditional: for an operator's `user set-password`; a
/// user's own change is [`change_password`].
pub(crate) async fn replace_password(
    conn: &mut DbConn,
    user_id: &str,
    password_hash: &str,
    event: &NewSecurityEvent,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    with_conn!(conn, |c| {
        c.transaction(async |c| {
            diesel::update(users::table.filter(users::id.eq(user_id)))
                .set((
                    users::password_hash.eq(password_hash),
                    users::updated_at.eq(now),
                    // An operator's new password lifts a reported
                    // sign-in's lock, as a reset does.
                    users::password_reset_required_at.eq(None::<NaiveDateTime>),
                ))
                .execute(c)
                .await?;
            crate::insert_security_event!(c, event)?;
            let ending = Ending::AllOfUser {
                user_id,
                except: None,
            };
            Ok(crate::end_sessions!(
                c,
                ending,
                EndReason::PasswordChanged,
                now
            ))
        })
        .await
    })
}

/// A user's own password change, as its request proved it: the session it
/// came from and the stored hash its current password was verified against.
/// No `Debug`: it holds password hashes, which no log line should.
#[derive(Clone, Copy)]
pub(crate) struct PasswordSwap<'a> {
    pub user_id: &'a str,
    pub session_id: &'a str,
    pub verified_hash: &'a str,
    pub new_hash: &'a str,
    /// End every other open session of the user (`PASSWORD_CHANGED`).
    pub end_other_sessions: bool,
    /// Its `PASSWORD_CHANGED` event, stored when the change is.
    pub event: &'a NewSecurityEvent,
}

/// How a [`change_password`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SwapOutcome {
    /// The new hash is stored; this many other sessions ended.
    Swapped { ended: usize },
    /// The caller's session ended (or expired) before the change could
    /// commit: nothing changed.
    CallerSessionEnded,
    /// The stored hash is no longer the one verified (another change won):
    /// nothing changed.
    HashChangedSince,
}

/// Replaces the hash `swap.verified_hash` with `swap.new_hash` while the
/// caller's session is still open, and ends the user's other sessions if
/// asked, in one transaction: a compare-and-set on both the hash and the
/// session, so that a change whose session ended while it waited for its
/// hash, or that lost a race with another change from the same current
/// password, changes nothing.
///
/// The user's row is written first, as logins and `set_status` do (the same
/// lock order, and SQLite's write lock at once); the caller's session row is
/// then written too (`last_active_at`), so that an end of that session on
/// another connection or Galera node either committed before (no match),
/// waits for this transaction, or loses a certification conflict with it
/// (and `with_conn!` runs the whole transaction again).
pub(crate) async fn change_password(
    conn: &mut DbConn,
    swap: PasswordSwap<'_>,
    now: NaiveDateTime,
) -> QueryResult<SwapOutcome> {
    let PasswordSwap {
        user_id,
        session_id,
        verified_hash,
        new_hash,
        end_other_sessions,
        event,
    } = swap;
    let outcome = with_conn!(conn, |c| {
        c.transaction(async |c| {
            // MySQL counts matched rows: the old hash in the WHERE is what
            // makes the count say whether this change won.
            let swapped = diesel::update(
                users::table
                    .filter(users::id.eq(user_id))
                    .filter(users::password_hash.eq(verified_hash))
                    .filter(users::status.eq(UserStatus::Active)),
            )
            .set((users::password_hash.eq(new_hash), users::updated_at.eq(now)))
            .execute(c)
            .await?;
            let caller_session = user_login_sessions::table
                .filter(user_login_sessions::id.eq(session_id))
                .filter(user_login_sessions::user_id.eq(user_id))
                .filter(open_at(now));
            if swapped == 0 {
                // Nothing was written; which refusal to give: an ended
                // session says so first.
                let open = caller_session
                    .select(user_login_sessions::id)
                    .first::<String>(c)
                    .await
                    .optional()?;
                return Ok(match open {
                    Some(_) => SwapOutcome::HashChangedSince,
                    None => SwapOutcome::CallerSessionEnded,
                });
            }
            let caller_open = diesel::update(caller_session)
                .set(user_login_sessions::last_active_at.eq(now))
                .execute(c)
                .await?;
            if caller_open == 0 {
                // Undoes the new hash.
                return Err(diesel::result::Error::RollbackTransaction);
            }
            crate::insert_security_event!(c, event)?;
            if !end_other_sessions {
                return Ok(SwapOutcome::Swapped { ended: 0 });
            }
            let others = Ending::AllOfUser {
                user_id,
                except: Some(session_id),
            };
            let ended = crate::end_sessions!(c, others, EndReason::PasswordChanged, now);
            Ok(SwapOutcome::Swapped { ended })
        })
        .await
    });
    match outcome {
        Err(diesel::result::Error::RollbackTransaction) => Ok(SwapOutcome::CallerSessionEnded),
        outcome => outcome,
    }
}

/// The user with this id.
pub(crate) async fn find_by_id(
    conn: &mut DbConn,
    user_id: &str,
) -> QueryResult<Option<UserRecord>> {
    with_conn!(conn, |c| {
        let found = users::table
            .filter(users::id.eq(user_id))
            .select(UserRecord::as_select())
            .first::<UserRecord>(c)
            .await
            .optional()?;
        if let Some(user) = &found {
            expect_key("user", user_id, &user.id)?;
        }
        Ok(found)
    })
}
