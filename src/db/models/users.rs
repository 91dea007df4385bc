//! The `users` table: rows, inserts and the queries the services need.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::db::schema::{user_login_sessions, users};
use crate::db::{DbConn, expect_key};
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
}

impl UserRecord {
    /// Whether the user may log in and use its sessions.
    pub fn is_active(&self) -> bool {
        self.status == UserStatus::Active
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
}

/// Inserts a user; a taken name fails with a unique violation.
pub(crate) async fn insert(conn: &mut DbConn, new_user: &NewUser<'_>) -> QueryResult<()> {
    with_conn!(conn, |c| {
        diesel::insert_into(users::table)
            .values(new_user)
            .execute(c)
            .await
            .map(|_| ())
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

/// Replaces a user's password hash (an upgrade to stronger parameters).
pub(crate) async fn update_password_hash(
    conn: &mut DbConn,
    user_id: &str,
    password_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    with_conn!(conn, |c| {
        diesel::update(users::table.filter(users::id.eq(user_id)))
            .set((
                users::password_hash.eq(password_hash),
                users::updated_at.eq(now),
            ))
            .execute(c)
            .await
            .map(|_| ())
    })
}

/// Sets a user's status; when disabling, ends every open session of the user
/// in the same transaction. Returns false when no user has that name.
///
/// Both statements are writes, and the first one is a write, so that a SQLite
/// transaction takes the write lock at once instead of failing on upgrade.
pub(crate) async fn set_status(
    conn: &mut DbConn,
    user_name_key: &str,
    status: UserStatus,
    end_reason: EndReason,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    with_conn!(conn, |c| {
        c.transaction(async |c| {
            let matched =
                diesel::update(users::table.filter(users::user_name_key.eq(user_name_key)))
                    .set((users::status.eq(status), users::updated_at.eq(now)))
                    .execute(c)
                    .await?;
            if matched == 0 {
                return Ok(false);
            }
            if status == UserStatus::Disabled {
                let user_ids = users::table
                    .filter(users::user_name_key.eq(user_name_key))
                    .select(users::id);
                diesel::update(
                    user_login_sessions::table
                        .filter(user_login_sessions::user_id.eq_any(user_ids))
                        .filter(user_login_sessions::ended_at.is_null()),
                )
                .set((
                    user_login_sessions::ended_at.eq(now),
                    user_login_sessions::end_reason.eq(end_reason),
                ))
                .execute(c)
                .await?;
            }
            Ok(true)
        })
        .await
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

/// Which of a user's open sessions a password change ends.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SessionsToEnd<'a> {
    None,
    /// Every one but this (the caller's own).
    AllBut(&'a str),
    All,
}

/// Replaces a user's password hash and ends sessions (`PASSWORD_CHANGED`),
/// in one transaction: either both happen or neither. Returns how many
/// sessions ended.
pub(crate) async fn replace_password(
    conn: &mut DbConn,
    user_id: &str,
    password_hash: &str,
    ending: SessionsToEnd<'_>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    // No session id is "-" (ids are base64url): AllBut("-") ends them all.
    let except = match ending {
        SessionsToEnd::None => None,
        SessionsToEnd::AllBut(session_id) => Some(session_id),
        SessionsToEnd::All => Some("-"),
    };
    with_conn!(conn, |c| {
        c.transaction(async |c| {
            diesel::update(users::table.filter(users::id.eq(user_id)))
                .set((
                    users::password_hash.eq(password_hash),
                    users::updated_at.eq(now),
                ))
                .execute(c)
                .await?;
            let Some(except) = except else {
                return Ok(0);
            };
            diesel::update(
                user_login_sessions::table
                    .filter(user_login_sessions::user_id.eq(user_id))
                    .filter(user_login_sessions::id.ne(except))
                    .filter(user_login_sessions::ended_at.is_null())
                    .filter(user_login_sessions::expires_at.gt(now)),
            )
            .set((
                user_login_sessions::ended_at.eq(now),
                user_login_sessions::end_reason.eq(EndReason::PasswordChanged),
            ))
            .execute(c)
            .await
        })
        .await
    })
}
