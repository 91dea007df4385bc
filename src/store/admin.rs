//! The transactions of operators' changes to a user (an admin's mutation
//! or an `authql user` command): status, role, ending sessions, resetting
//! factors. Each writes the change, the sessions it ends (`end_sessions!`,
//! with their `SESSION_ENDED` events) and, for an admin, the audit entry
//! and the user's `ADMIN_ACTION` event ([`record_admin_action!`]), in one
//! transaction: none is stored without the others.
//!
//! # The last active admin
//!
//! A change that could leave no active admin (a disable, a new role) runs
//! [`keep_an_admin`]'s rule inside its transaction: after the change, at
//! least one user with the admin role must be active, else the whole
//! transaction rolls back. Two admins demoting each other at once would
//! each see the other still an admin if they only read, so every such
//! transaction first writes one shared row (`lock_key!` on [`ADMINS_LOCK`]
//! in `login_throttle`):
//!
//! - on MySQL and MariaDB the second transaction waits at that write for
//!   the first to commit, and its count (its first plain read, so InnoDB's
//!   REPEATABLE READ snapshot is taken after the wait) sees the first
//!   one's change;
//! - on Galera, where row locks do not reach other nodes, both write sets
//!   hold that row: one loses certification (error 1213) and `with_conn!`
//!   runs its whole transaction again, which then sees the winner's change;
//! - on SQLite the write takes the database's write lock, so the
//!   transactions run one after the other.
//!
//! Operators' commands (`authql user disable`) are not held to the rule:
//! the shell is the way back in when every admin is locked out.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::store::DbConn;
use crate::store::audit_log::AdminAction;
use crate::store::schema::{passkeys, recovery_codes, users};
use crate::store::session_ends::Ending;
use crate::vocabulary::{EndReason, UserStatus};
use crate::{lock_key, record_admin_action, with_conn};

/// The row every change that could remove the last admin writes first.
pub(crate) const ADMINS_LOCK: &str = "lock:admins";

/// Which user a change is for: by id (the admin API) or by the folded
/// name (`authql user`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum UserKey<'a> {
    Id(&'a str),
    NameKey(&'a str),
}

/// The rule of the last admin, for one change: `admin_role` is the role
/// that counts; None when the change is not held to it (an operator's).
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeepAnAdmin<'a> {
    pub admin_role: &'a str,
}

/// How an operator's change ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome<T> {
    /// Stored, with what it did.
    Done(T),
    /// No user has that key: nothing changed.
    NoSuchUser,
    /// It would have left no active admin: nothing changed.
    LastAdmin,
}

/// What a status change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatusChange {
    pub user_id: String,
    /// How many sessions the change ended.
    pub sessions_ended: usize,
}

/// Why a transaction rolled back on purpose, said through diesel's
/// `RollbackTransaction` (the one error a transaction body may return to
/// undo its writes) and told apart afterwards.
fn undone<T>(
    result: QueryResult<Outcome<T>>,
    when_rolled_back: Outcome<T>,
) -> QueryResult<Outcome<T>> {
    match result {
        Err(diesel::result::Error::RollbackTransaction) => Ok(when_rolled_back),
        other => other,
    }
}

/// How many users with `admin_role` are active, on either backend's
/// connection (a macro: see `with_conn!`).
macro_rules! active_admins {
    ($c:expr, $admin_role:expr) => {
        users::table
            .filter(users::role.eq($admin_role))
            .filter(users::status.eq(UserStatus::Active))
            .count()
            .get_result::<i64>($c)
            .await?
    };
}

/// Sets a user's status: enabling verifies an address never verified (an
/// account signed up and not verified becomes usable, on an operator's
/// word); disabling ends every open session of the user
/// (`USER_DISABLED`). With `keep`, a change that leaves no active admin
/// is refused; with `action`, it is audited.
pub(crate) async fn set_status(
    conn: &mut DbConn,
    user: UserKey<'_>,
    status: UserStatus,
    keep: Option<KeepAnAdmin<'_>>,
    action: Option<&(dyn Fn(&str) -> AdminAction + Sync)>,
    now: NaiveDateTime,
) -> QueryResult<Outcome<StatusChange>> {
    let outcome = with_conn!(conn, |c| {
        c.transaction(async |c| {
            if keep.is_some() {
                lock_key!(c, ADMINS_LOCK, now)?;
            }
            // A write first: SQLite's write lock at once, and the user's
            // row locked on MySQL before its id is read back.
            let set = (users::status.eq(status), users::updated_at.eq(now));
            let matched = match user {
                UserKey::Id(id) => {
                    diesel::update(users::table.filter(users::id.eq(id)))
                        .set(set)
                        .execute(c)
                        .await?
                }
                UserKey::NameKey(key) => {
                    diesel::update(users::table.filter(users::user_name_key.eq(key)))
                        .set(set)
                        .execute(c)
                        .await?
                }
            };
            if matched == 0 {
                return Ok(Outcome::NoSuchUser);
            }
            let user_id = match user {
                UserKey::Id(id) => id.to_owned(),
                UserKey::NameKey(key) => {
                    users::table
                        .filter(users::user_name_key.eq(key))
                        .select(users::id)
                        .first::<String>(c)
                        .await?
                }
            };
            if let Some(keep) = keep
                && active_admins!(c, keep.admin_role) == 0
            {
                return Err(diesel::result::Error::RollbackTransaction);
            }
            if status == UserStatus::Active {
                diesel::update(
                    users::table
                        .filter(users::id.eq(&user_id))
                        .filter(users::email.is_not_null())
                        .filter(users::email_verified_at.is_null()),
                )
                .set(users::email_verified_at.eq(now))
                .execute(c)
                .await?;
            }
            let mut sessions_ended = 0;
            if status == UserStatus::Disabled {
                let ending = Ending::AllOfUser {
                    user_id: &user_id,
                    except: None,
                };
                sessions_ended = crate::end_sessions!(c, ending, EndReason::UserDisabled, now);
            }
            if let Some(action) = action {
                record_admin_action!(c, &action(&user_id));
            }
            Ok(Outcome::Done(StatusChange {
                user_id,
                sessions_ended,
            }))
        })
        .await
    });
    undone(outcome, Outcome::LastAdmin)
}

/// Sets a user's role; a change that leaves no active admin is refused.
/// Audited with `action`.
pub(crate) async fn set_role(
    conn: &mut DbConn,
    user_id: &str,
    role: &str,
    keep: KeepAnAdmin<'_>,
    action: &AdminAction,
    now: NaiveDateTime,
) -> QueryResult<Outcome<()>> {
    let outcome = with_conn!(conn, |c| {
        c.transaction(async |c| {
            lock_key!(c, ADMINS_LOCK, now)?;
            let matched = diesel::update(users::table.filter(users::id.eq(user_id)))
                .set((users::role.eq(role), users::updated_at.eq(now)))
                .execute(c)
                .await?;
            if matched == 0 {
                return Ok(Outcome::NoSuchUser);
            }
            if active_admins!(c, keep.admin_role) == 0 {
                return Err(diesel::result::Error::RollbackTransaction);
            }
            record_admin_action!(c, action);
            Ok(Outcome::Done(()))
        })
        .await
    });
    undone(outcome, Outcome::LastAdmin)
}

/// How an end of a user's sessions went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionsEnded {
    /// This many ended.
    Ended(usize),
    /// The one session named is not an open session of the user: nothing
    /// ended, nothing was recorded.
    NoSuchSession,
}

/// Ends every open session of the user, or the one named
/// (`ENDED_BY_ADMIN`), audited with `action` (made from how many ended).
pub(crate) async fn end_sessions(
    conn: &mut DbConn,
    user_id: &str,
    session_id: Option<&str>,
    action: Option<&(dyn Fn(usize) -> AdminAction + Sync)>,
    now: NaiveDateTime,
) -> QueryResult<Outcome<SessionsEnded>> {
    with_conn!(conn, |c| {
        c.transaction(async |c| {
            let which = match session_id {
                Some(session_id) => Ending::One {
                    session_id,
                    user_id,
                },
                None => Ending::AllOfUser {
                    user_id,
                    except: None,
                },
            };
            // The end first (a write: SQLite's write lock at once).
            let ended = crate::end_sessions!(c, which, EndReason::EndedByAdmin, now);
            if ended == 0 {
                let exists = users::table
                    .filter(users::id.eq(user_id))
                    .select(users::id)
                    .first::<String>(c)
                    .await
                    .optional()?;
                if exists.is_none() {
                    return Ok(Outcome::NoSuchUser);
                }
                if session_id.is_some() {
                    return Ok(Outcome::Done(SessionsEnded::NoSuchSession));
                }
            }
            if let Some(action) = action {
                record_admin_action!(c, &action(ended));
            }
            Ok(Outcome::Done(SessionsEnded::Ended(ended)))
        })
        .await
    })
}

/// Removes the user's TOTP (on or enrolling), recovery codes and passkeys,
/// and ends every session of the user (`ENDED_BY_ADMIN`), audited with
/// `action`; returns how many sessions ended.
pub(crate) async fn reset_factors(
    conn: &mut DbConn,
    user_id: &str,
    action: &AdminAction,
    now: NaiveDateTime,
) -> QueryResult<Outcome<usize>> {
    with_conn!(conn, |c| {
        c.transaction(async |c| {
            // The user's row first, as `disable_totp` does: it locks it
            // against a TOTP confirmation racing this reset.
            let matched = diesel::update(users::table.filter(users::id.eq(user_id)))
                .set((
                    users::totp_secret.eq(None::<String>),
                    users::totp_pending_secret.eq(None::<String>),
                    users::totp_enabled_at.eq(None::<NaiveDateTime>),
                    users::updated_at.eq(now),
                ))
                .execute(c)
                .await?;
            if matched == 0 {
                return Ok(Outcome::NoSuchUser);
            }
            diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
                .execute(c)
                .await?;
            diesel::delete(passkeys::table.filter(passkeys::user_id.eq(user_id)))
                .execute(c)
                .await?;
            let ending = Ending::AllOfUser {
                user_id,
                except: None,
            };
            let ended = crate::end_sessions!(c, ending, EndReason::EndedByAdmin, now);
            record_admin_action!(c, action);
            Ok(Outcome::Done(ended))
        })
        .await
    })
}
