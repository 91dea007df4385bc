//! Second factors in the database: a user's TOTP secret (sealed), the last
//! time step accepted, the recovery codes (hashed), and the second step of
//! logins that answered `MFA_REQUIRED`.
//!
//! Everything that must hold once, on any replica or Galera node, is one
//! conditional UPDATE: a time step is accepted only when it is later than
//! the last one (so a code is never accepted twice, nor an older one after
//! it), a recovery code is spent only while unused, and a login's challenge
//! is used up only once and only while it has wrong codes to spare. The
//! loser of a race matches no row; on Galera its certification conflict is
//! retried by `with_conn!` and then matches none.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::store::schema::{mfa_challenges as challenges, recovery_codes as codes, users};
use crate::store::security_events::NewSecurityEvent;
use crate::store::{DbConn, expect_key};
use crate::with_conn;

/// Deletes the user's recovery codes and inserts `code_hashes`, inside a
/// transaction of either backend (a macro, as `queue_mail!` is, because
/// the two connection types share no trait that diesel-async's statements
/// take).
macro_rules! replace_codes {
    ($c:expr, $user_id:expr, $code_hashes:expr, $now:expr) => {{
        diesel::delete(codes::table.filter(codes::user_id.eq($user_id)))
            .execute($c)
            .await?;
        // One row per statement: SQLite takes no multi-row insert through
        // diesel's batch form, and a set is ten rows.
        for hash in $code_hashes {
            diesel::insert_into(codes::table)
                .values((
                    codes::user_id.eq($user_id),
                    codes::code_hash.eq(hash.as_str()),
                    codes::created_at.eq($now),
                ))
                .execute($c)
                .await?;
        }
    }};
}

/// A user's TOTP state as stored.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = users)]
#[diesel(check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
pub(crate) struct TotpRow {
    pub id: String,
    pub totp_secret: Option<String>,
    pub totp_pending_secret: Option<String>,
    pub totp_enabled_at: Option<NaiveDateTime>,
}

/// The user's TOTP state; None when there is no such user.
pub(crate) async fn totp_of(conn: &mut DbConn, user_id: &str) -> QueryResult<Option<TotpRow>> {
    with_conn!(conn, |c| {
        let found = users::table
            .filter(users::id.eq(user_id))
            .select(TotpRow::as_select())
            .first::<TotpRow>(c)
            .await
            .optional()?;
        if let Some(row) = &found {
            expect_key("user", user_id, &row.id)?;
        }
        Ok(found)
    })
}

/// Keeps `sealed` as the user's enrolled, unconfirmed secret (replacing
/// any earlier one).
pub(crate) async fn set_pending_secret(
    conn: &mut DbConn,
    user_id: &str,
    sealed: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    with_conn!(conn, |c| {
        let changed = diesel::update(users::table.filter(users::id.eq(user_id)))
            .set((
                users::totp_pending_secret.eq(sealed),
                users::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
        Ok(changed == 1)
    })
}

/// Accepts time step `step` for the user when it is later than the last
/// one accepted; false otherwise (a replay, or an older code after a newer).
pub(crate) async fn accept_step(conn: &mut DbConn, user_id: &str, step: i64) -> QueryResult<bool> {
    with_conn!(conn, |c| {
        let changed = diesel::update(
            users::table
                .filter(users::id.eq(user_id))
                .filter(users::totp_enabled_at.is_not_null())
                .filter(
                    users::totp_last_step
                        .is_null()
                        .or(users::totp_last_step.lt(step)),
                ),
        )
        .set(users::totp_last_step.eq(step))
        .execute(c)
        .await?;
        Ok(changed == 1)
    })
}

/// Turns TOTP on with the enrolled secret `pending` (still the one enrolled),
/// accepting `step`, and replaces the recovery codes with `code_hashes`,
/// in one transaction, with `event` (`TOTP_ENABLED`). False, with nothing
/// changed, when the enrolled secret is no longer `pending` or `step` is
/// not later than the last one.
pub(crate) async fn confirm_totp(
    conn: &mut DbConn,
    user_id: &str,
    pending: &str,
    step: i64,
    code_hashes: &[String],
    event: &NewSecurityEvent,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    with_conn!(conn, |c| {
        c.transaction(async |c| {
            let changed = diesel::update(
                users::table
                    .filter(users::id.eq(user_id))
                    .filter(users::totp_pending_secret.eq(pending))
                    .filter(
                        users::totp_last_step
                            .is_null()
                            .or(users::totp_last_step.lt(step)),
                    ),
            )
            .set((
                users::totp_secret.eq(pending),
                users::totp_pending_secret.eq(None::<String>),
                users::totp_enabled_at.eq(now),
                users::totp_last_step.eq(step),
                users::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
            if changed != 1 {
                return Ok(false);
            }
            replace_codes!(c, user_id, code_hashes, now);
            crate::insert_security_event!(c, event)?;
            Ok(true)
        })
        .await
    })
}

/// Turns TOTP off and deletes the recovery codes, with `event`
/// (`TOTP_DISABLED`); false, with no event, when it was off.
pub(crate) async fn disable_totp(
    conn: &mut DbConn,
    user_id: &str,
    event: &NewSecurityEvent,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    with_conn!(conn, |c| {
        c.transaction(async |c| {
            let changed = diesel::update(
                users::table
                    .filter(users::id.eq(user_id))
                    .filter(users::totp_enabled_at.is_not_null()),
            )
            .set((
                users::totp_secret.eq(None::<String>),
                users::totp_pending_secret.eq(None::<String>),
                users::totp_enabled_at.eq(None::<NaiveDateTime>),
                users::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
            diesel::delete(codes::table.filter(codes::user_id.eq(user_id)))
                .execute(c)
                .await?;
            if changed == 1 {
                crate::insert_security_event!(c, event)?;
            }
            Ok(changed == 1)
        })
        .await
    })
}

/// Replaces the user's recovery codes with `code_hashes` while TOTP is on,
/// with `event` (`RECOVERY_CODES_REGENERATED`); false, with nothing
/// changed, when it is off.
pub(crate) async fn regenerate_codes(
    conn: &mut DbConn,
    user_id: &str,
    code_hashes: &[String],
    event: &NewSecurityEvent,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    with_conn!(conn, |c| {
        c.transaction(async |c| {
            // Writes the user's row first: it locks it (against a disable
            // racing this) and makes Galera certify the two against each
            // other.
            let on = diesel::update(
                users::table
                    .filter(users::id.eq(user_id))
                    .filter(users::totp_enabled_at.is_not_null()),
            )
            .set(users::updated_at.eq(now))
            .execute(c)
            .await?;
            if on != 1 {
                return Ok(false);
            }
            replace_codes!(c, user_id, code_hashes, now);
            crate::insert_security_event!(c, event)?;
            Ok(true)
        })
        .await
    })
}

/// Spends the user's unused recovery code with this hash, with `event`
/// (`RECOVERY_CODE_USED`); false, with no event, when there is none
/// (unknown, or used already).
pub(crate) async fn use_recovery_code(
    conn: &mut DbConn,
    user_id: &str,
    code_hash: &str,
    event: &NewSecurityEvent,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    with_conn!(conn, |c| {
        c.transaction(async |c| {
            let changed = diesel::update(
                codes::table
                    .filter(codes::user_id.eq(user_id))
                    .filter(codes::code_hash.eq(code_hash))
                    .filter(codes::used_at.is_null()),
            )
            .set(codes::used_at.eq(now))
            .execute(c)
            .await?;
            if changed == 1 {
                crate::insert_security_event!(c, event)?;
            }
            Ok(changed == 1)
        })
        .await
    })
}

/// How many of the user's recovery codes are unused.
pub(crate) async fn recovery_codes_left(conn: &mut DbConn, user_id: &str) -> QueryResult<i64> {
    with_conn!(conn, |c| {
        codes::table
            .filter(codes::user_id.eq(user_id))
            .filter(codes::used_at.is_null())
            .count()
            .get_result::<i64>(c)
            .await
    })
}

/// Unused, unexpired at `now` and with fewer than `max_failures` wrong
/// codes, as a statement's filter: the one rule of a usable challenge.
#[diesel::dsl::auto_type]
fn challenge_usable(now: NaiveDateTime, max_failures: i32) -> _ {
    challenges::used_at
        .is_null()
        .and(challenges::expires_at.gt(now))
        .and(challenges::failures.lt(max_failures))
}

/// A login's second step to store.
#[derive(Insertable)]
#[diesel(table_name = challenges)]
pub(crate) struct NewChallenge<'a> {
    pub token_hash: &'a str,
    pub user_id: &'a str,
    pub verified_hash: &'a str,
    pub device_info: Option<&'a str>,
    pub delivery: &'a str,
    pub failures: i32,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// A stored second step that is still usable.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = challenges)]
#[diesel(check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
pub(crate) struct Challenge {
    pub token_hash: String,
    pub user_id: String,
    pub verified_hash: String,
    pub device_info: Option<String>,
    pub delivery: String,
}

/// Stores a login's second step.
pub(crate) async fn insert_challenge(
    conn: &mut DbConn,
    challenge: &NewChallenge<'_>,
) -> QueryResult<()> {
    with_conn!(conn, |c| {
        diesel::insert_into(challenges::table)
            .values(challenge)
            .execute(c)
            .await
            .map(|_| ())
    })
}

/// The challenge with this hash while it is unused, unexpired and has
/// fewer than `max_failures` wrong codes.
pub(crate) async fn find_challenge(
    conn: &mut DbConn,
    token_hash: &str,
    max_failures: i32,
    now: NaiveDateTime,
) -> QueryResult<Option<Challenge>> {
    with_conn!(conn, |c| {
        let found = challenges::table
            .filter(challenges::token_hash.eq(token_hash))
            .filter(challenge_usable(now, max_failures))
            .select(Challenge::as_select())
            .first::<Challenge>(c)
            .await
            .optional()?;
        if let Some(found) = &found {
            expect_key("challenge", token_hash, &found.token_hash)?;
        }
        Ok(found)
    })
}

/// Counts one wrong code against the challenge.
pub(crate) async fn count_challenge_failure(
    conn: &mut DbConn,
    token_hash: &str,
) -> QueryResult<()> {
    with_conn!(conn, |c| {
        diesel::update(challenges::table.filter(challenges::token_hash.eq(token_hash)))
            .set(challenges::failures.eq(challenges::failures + 1))
            .execute(c)
            .await
            .map(|_| ())
    })
}

/// Uses the challenge up, once: false when it was used, expired or dead
/// already (another request won).
pub(crate) async fn use_challenge(
    conn: &mut DbConn,
    token_hash: &str,
    max_failures: i32,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    with_conn!(conn, |c| {
        let changed = diesel::update(
            challenges::table
                .filter(challenges::token_hash.eq(token_hash))
                .filter(challenge_usable(now, max_failures)),
        )
        .set(challenges::used_at.eq(now))
        .execute(c)
        .await?;
        Ok(changed == 1)
    })
}

/// Deletes challenges that expired before `before`; how many.
pub(crate) async fn delete_expired_challenges(
    conn: &mut DbConn,
    before: NaiveDateTime,
) -> QueryResult<usize> {
    with_conn!(conn, |c| {
        diesel::delete(challenges::table.filter(challenges::expires_at.lt(before)))
            .execute(c)
            .await
    })
}
