//! Passkeys in the database: users' credentials, and the ceremonies that
//! were finished (or tried), so that each is used once.
//!
//! What must hold on any replica or Galera node is one statement each: a
//! credential id belongs to one passkey (a unique key on its SHA-256), a
//! ceremony is spent by the insert of its hash (the second insert is a
//! unique violation), and a signature counter only rises (a conditional
//! UPDATE, [`use_passkey!`]), so two sign-ins racing with one counter value,
//! or a cloned authenticator behind the real one, match no row.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::store::schema::{passkey_ceremonies_used as ceremonies, passkeys};
use crate::store::security_events::NewSecurityEvent;
use crate::store::{DbConn, expect_key};
use crate::with_conn;

/// A passkey as stored.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = passkeys)]
#[diesel(check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
pub(crate) struct PasskeyRow {
    pub id: String,
    pub user_id: String,
    pub credential_key: String,
    /// The WebAuthn library's credential, as JSON.
    pub credential: String,
    pub label: String,
    pub sign_count: i64,
    pub backed_up: bool,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
}

/// A passkey to store.
#[derive(Insertable)]
#[diesel(table_name = passkeys)]
pub(crate) struct NewPasskey<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub credential_key: &'a str,
    pub credential: &'a str,
    pub label: &'a str,
    pub sign_count: i64,
    pub backed_up: bool,
    pub created_at: NaiveDateTime,
}

/// A sign-in or re-authentication with a passkey, to record: the counter
/// the authenticator sent and whether it says the key is backed up.
#[derive(Debug, Clone)]
pub(crate) struct PasskeyUse {
    pub passkey_id: String,
    pub user_id: String,
    pub sign_count: i64,
    pub backed_up: bool,
}

/// Records `$use` (a [`PasskeyUse`]) at `$now` inside a statement of either
/// backend (a macro, as `queue_mail!` is, so that opening a session can run
/// it in its own transaction): true when the passkey is still the user's
/// and the counter rose (or both it and the stored one are 0, as keys
/// without a counter send); false when it went backwards, stayed, or the
/// passkey is gone.
#[macro_export]
macro_rules! use_passkey {
    ($c:expr, $use:expr, $now:expr) => {{
        use ::diesel::prelude::*;
        use ::diesel_async::RunQueryDsl;
        use $crate::store::schema::passkeys;
        let used: &$crate::store::passkeys::PasskeyUse = $use;
        ::diesel::update(
            passkeys::table
                .filter(passkeys::id.eq(&used.passkey_id))
                .filter(passkeys::user_id.eq(&used.user_id))
                // Below the new count, or 0 and 0.
                .filter(
                    passkeys::sign_count
                        .lt(used.sign_count)
                        .or(passkeys::sign_count
                            .eq(0_i64)
                            .and(passkeys::sign_count.eq(used.sign_count))),
                ),
        )
        .set((
            passkeys::sign_count.eq(used.sign_count),
            passkeys::backed_up.eq(used.backed_up),
            passkeys::last_used_at.eq($now),
        ))
        .execute($c)
        .await
        .map(|changed| changed == 1)
    }};
}

/// Records a passkey's use (see [`use_passkey!`]).
pub(crate) async fn record_use(
    conn: &mut DbConn,
    used: &PasskeyUse,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    with_conn!(conn, |c| use_passkey!(c, used, now))
}

/// Notes that a counter going backwards was refused for this passkey.
pub(crate) async fn record_counter_refused(
    conn: &mut DbConn,
    passkey_id: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    with_conn!(conn, |c| {
        diesel::update(passkeys::table.filter(passkeys::id.eq(passkey_id)))
            .set(passkeys::counter_refused_at.eq(now))
            .execute(c)
            .await?;
        Ok(())
    })
}

/// Stores a new passkey with `event` (`PASSKEY_ADDED`), in one
/// transaction; false, with nothing stored, when its credential is stored
/// already (on this account or another).
pub(crate) async fn insert(
    conn: &mut DbConn,
    passkey: &NewPasskey<'_>,
    event: &NewSecurityEvent,
) -> QueryResult<bool> {
    with_conn!(conn, |c| {
        c.transaction(async |c| {
            match diesel::insert_into(passkeys::table)
                .values(passkey)
                .execute(c)
                .await
            {
                Ok(_) => {}
                Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                    return Ok(false);
                }
                Err(error) => return Err(error),
            }
            crate::insert_security_event!(c, event)?;
            Ok(true)
        })
        .await
    })
}

/// The user's passkeys, newest first.
pub(crate) async fn of_user(conn: &mut DbConn, user_id: &str) -> QueryResult<Vec<PasskeyRow>> {
    with_conn!(conn, |c| {
        let rows = passkeys::table
            .filter(passkeys::user_id.eq(user_id))
            .order((passkeys::created_at.desc(), passkeys::id.desc()))
            .select(PasskeyRow::as_select())
            .load::<PasskeyRow>(c)
            .await?;
        for row in &rows {
            expect_key("passkey's user", user_id, &row.user_id)?;
        }
        Ok(rows)
    })
}

/// How many passkeys the user has.
pub(crate) async fn count_of_user(conn: &mut DbConn, user_id: &str) -> QueryResult<i64> {
    with_conn!(conn, |c| {
        passkeys::table
            .filter(passkeys::user_id.eq(user_id))
            .count()
            .get_result::<i64>(c)
            .await
    })
}

/// The passkey of a credential, by the SHA-256 of its id.
pub(crate) async fn find_by_credential(
    conn: &mut DbConn,
    credential_key: &str,
) -> QueryResult<Option<PasskeyRow>> {
    with_conn!(conn, |c| {
        let found = passkeys::table
            .filter(passkeys::credential_key.eq(credential_key))
            .select(PasskeyRow::as_select())
            .first::<PasskeyRow>(c)
            .await
            .optional()?;
        if let Some(row) = &found {
            expect_key("passkey credential", credential_key, &row.credential_key)?;
        }
        Ok(found)
    })
}

/// Renames one of the user's passkeys; None when it is not one of theirs.
pub(crate) async fn rename(
    conn: &mut DbConn,
    user_id: &str,
    passkey_id: &str,
    label: &str,
) -> QueryResult<Option<PasskeyRow>> {
    with_conn!(conn, |c| {
        // Read back rather than trust the count: MySQL counts a row given
        // the label it had as unchanged.
        diesel::update(
            passkeys::table
                .filter(passkeys::id.eq(passkey_id))
                .filter(passkeys::user_id.eq(user_id)),
        )
        .set(passkeys::label.eq(label))
        .execute(c)
        .await?;
        let found = passkeys::table
            .filter(passkeys::id.eq(passkey_id))
            .filter(passkeys::user_id.eq(user_id))
            .select(PasskeyRow::as_select())
            .first::<PasskeyRow>(c)
            .await
            .optional()?;
        Ok(found)
    })
}

/// Deletes one of the user's passkeys with `event` (`PASSKEY_REMOVED`), in
/// one transaction; false, with no event, when it is not one of theirs.
pub(crate) async fn remove(
    conn: &mut DbConn,
    user_id: &str,
    passkey_id: &str,
    event: &NewSecurityEvent,
) -> QueryResult<bool> {
    with_conn!(conn, |c| {
        c.transaction(async |c| {
            let deleted = diesel::delete(
                passkeys::table
                    .filter(passkeys::id.eq(passkey_id))
                    .filter(passkeys::user_id.eq(user_id)),
            )
            .execute(c)
            .await?;
            if deleted == 1 {
                crate::insert_security_event!(c, event)?;
            }
            Ok(deleted == 1)
        })
        .await
    })
}

/// Spends a ceremony: true the first time its hash is recorded, false when
/// it was already (a replay, on any replica).
pub(crate) async fn spend_ceremony(
    conn: &mut DbConn,
    ceremony_hash: &str,
    expires_at: NaiveDateTime,
) -> QueryResult<bool> {
    with_conn!(conn, |c| {
        match diesel::insert_into(ceremonies::table)
            .values((
                ceremonies::ceremony_hash.eq(ceremony_hash),
                ceremonies::expires_at.eq(expires_at),
            ))
            .execute(c)
            .await
        {
            Ok(_) => Ok(true),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
            Err(error) => Err(error),
        }
    })
}

/// Forgets ceremonies that expired before `cutoff` (they can no longer be
/// finished, spent or not). Returns how many.
pub(crate) async fn delete_spent_ceremonies(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
) -> QueryResult<usize> {
    with_conn!(conn, |c| {
        diesel::delete(ceremonies::table.filter(ceremonies::expires_at.lt(cutoff)))
            .execute(c)
            .await
    })
}
