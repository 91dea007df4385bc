//! The accounts' transactions: a sign-up, an accepted invitation, a
//! verified address, a password reset, and the tokens with the mails that
//! carry them. Each change is queued with its mail (`queue_mail!`) in one
//! transaction: the mail exists exactly when the change does. Tokens are
//! spent with a compare-and-set on `used_at`, so that of two requests with
//! one token (on any replica or Galera node) at most one wins.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::store::audit_log::AdminAction;
use crate::store::outbox::{NewOutboxMail, recipient_lock};
use crate::store::schema::{account_tokens as tokens, login_throttle, users};
use crate::store::security_events::NewSecurityEvent;
use crate::store::session_ends::Ending;
use crate::store::users::{NewUser, UserRecord};
use crate::store::{DbConn, expect_key};
use crate::vocabulary::{EndReason, SecurityEventKind, UserStatus};
use crate::{lock_key, queue_mail, with_conn};

/// Unused and unexpired at `now`, as a statement's filter: the one rule of
/// a usable token, for every lookup and every spend.
#[diesel::dsl::auto_type]
pub(crate) fn usable_at(now: NaiveDateTime) -> _ {
    tokens::used_at.is_null().and(tokens::expires_at.gt(now))
}

/// A token to store.
#[derive(Insertable, Clone, Copy)]
#[diesel(table_name = tokens)]
pub(crate) struct NewAccountToken<'a> {
    pub token_hash: &'a str,
    pub kind: &'a str,
    pub user_id: Option<&'a str>,
    pub email: Option<&'a str>,
    pub role: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    /// A report token's session (see `core::devices::alerts`).
    pub session_id: Option<&'a str>,
}

/// A stored token that is still usable.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = tokens)]
#[diesel(check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
pub(crate) struct AccountToken {
    pub token_hash: String,
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub role: Option<String>,
}

/// The token whose hash is `token_hash`, of `kind`, unused and unexpired.
pub(crate) async fn find_usable(
    conn: &mut DbConn,
    token_hash: &str,
    kind: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<AccountToken>> {
    with_conn!(conn, |c| {
        let found = tokens::table
            .filter(tokens::token_hash.eq(token_hash))
            .filter(tokens::kind.eq(kind))
            .filter(usable_at(now))
            .select(AccountToken::as_select())
            .first::<AccountToken>(c)
            .await
            .optional()?;
        if let Some(token) = &found {
            expect_key("token", token_hash, &token.token_hash)?;
        }
        Ok(found)
    })
}

/// The user whose address folds to `email_key`.
pub(crate) async fn find_by_email_key(
    conn: &mut DbConn,
    email_key: &str,
) -> QueryResult<Option<UserRecord>> {
    with_conn!(conn, |c| {
        let found = users::table
            .filter(users::email_key.eq(email_key))
            .select((UserRecord::as_select(), users::email_key))
            .first::<(UserRecord, Option<String>)>(c)
            .await
            .optional()?;
        let Some((user, found_key)) = found else {
            return Ok(None);
        };
        expect_key("email", email_key, found_key.as_deref().unwrap_or(""))?;
        Ok(Some(user))
    })
}

/// Stores `token` and queues `mail` (which carries it) in one transaction,
/// unless the address had its most mails of that kind already: then
/// neither is stored. Returns whether they were. An admin's request is
/// audited (`action`) in the same transaction, whether or not the mail
/// was queued.
pub(crate) async fn store_token_with_mail(
    conn: &mut DbConn,
    token: &NewAccountToken<'_>,
    mail: &NewOutboxMail,
    action: Option<&AdminAction>,
) -> QueryResult<bool> {
    with_conn!(conn, |c| {
        c.transaction(async |c| {
            let queued = queue_mail!(c, mail)?;
            if let Some(action) = action {
                crate::record_admin_action!(c, action);
            }
            if !queued {
                return Ok(false);
            }
            diesel::insert_into(tokens::table)
                .values(token)
                .execute(c)
                .await?;
            Ok(true)
        })
        .await
    })
}

/// What a new account's transaction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Creation {
    /// The account is stored (and its mail queued, when it has one).
    Created,
    /// An account already has this name: nothing was stored.
    NameTaken,
    /// An account already has this address: the account was not stored;
    /// the notice was queued to the address (unless past its limits).
    AddressInUse,
    /// The invitation is unknown, used or expired: nothing was stored.
    InvalidToken,
}

/// What a new account needs stored with it.
pub(crate) struct NewAccount<'a> {
    pub user: NewUser<'a>,
    /// `open` sign-up: the verification token and its mail. Invitation:
    /// None (the address is proved by the invitation's own mail).
    pub verification: Option<(NewAccountToken<'a>, &'a NewOutboxMail)>,
    /// Queued instead when the address already has an account.
    pub address_in_use: Option<&'a NewOutboxMail>,
    /// Accepting an invitation: its token's hash, spent in the transaction.
    pub invitation_hash: Option<&'a str>,
}

/// Creates an account: refused when the name or the address is taken (the
/// address's owner is mailed a notice), or when the invitation it accepts
/// is no longer usable; an invitation is spent only by an account that is
/// created. A race on the name or address between two sign-ups ends in a
/// unique violation here; the caller runs it again, and the loser then
/// finds the winner's row.
pub(crate) async fn create(
    conn: &mut DbConn,
    account: &NewAccount<'_>,
    now: NaiveDateTime,
) -> QueryResult<Creation> {
    let user = &account.user;
    let locks: Vec<String> = account
        .verification
        .iter()
        .map(|(_, mail)| recipient_lock(mail))
        .chain(account.address_in_use.map(recipient_lock))
        .collect();
    with_conn!(conn, |c| {
        c.transaction(async |c| {
            // A write first (see `lock_key!`): SQLite's write lock at once.
            for key in &locks {
                lock_key!(c, key, now)?;
            }
            let name_taken = users::table
                .filter(users::user_name_key.eq(user.user_name_key))
                .select(users::id)
                .first::<String>(c)
                .await
                .optional()?;
            if name_taken.is_some() {
                return Ok(Creation::NameTaken);
            }
            let address_taken = users::table
                .filter(users::email_key.eq(user.email_key))
                .select(users::id)
                .first::<String>(c)
                .await
                .optional()?;
            if address_taken.is_some() {
                if let Some(notice) = account.address_in_use {
                    queue_mail!(c, notice)?;
                }
                return Ok(Creation::AddressInUse);
            }
            if let Some(hash) = account.invitation_hash {
                let spent = diesel::update(
                    tokens::table
                        .filter(tokens::token_hash.eq(hash))
                        .filter(usable_at(now)),
                )
                .set(tokens::used_at.eq(now))
                .execute(c)
                .await?;
                if spent == 0 {
                    return Ok(Creation::InvalidToken);
                }
            }
            diesel::insert_into(users::table)
                .values(user)
                .execute(c)
                .await?;
            crate::note_directory_changes!(c, &[user.id.to_owned()], now)?;
            if let Some((token, mail)) = &account.verification {
                // The first mail to a fresh address is never past its
                // limits, but a stale outbox row of a pruned account could
                // be: the account stands either way, and the user can ask
                // for the mail again.
                if queue_mail!(c, *mail)? {
                    diesel::insert_into(tokens::table)
                        .values(token)
                        .execute(c)
                        .await?;
                }
            }
            Ok(Creation::Created)
        })
        .await
    })
}

/// What following a verification link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verified {
    /// The account's own address is verified (an unverified account is
    /// active now).
    Address { user_id: String },
    /// The account moved to the token's address, verified; the old
    /// address (if it had one) is told by the notice queued.
    Changed { user_id: String },
    /// The token is unknown, used or expired, or its new address was taken
    /// meanwhile: nothing changed.
    InvalidToken,
}

/// Spends a verification token and verifies what it names. `old_address_notice`
/// makes the notice for the old address of a change (from the address);
/// `event` makes the security event stored with the change (from its kind,
/// `EMAIL_VERIFIED` or `EMAIL_CHANGED`, and the user's id).
pub(crate) async fn verify(
    conn: &mut DbConn,
    token_hash: &str,
    kind: &str,
    now: NaiveDateTime,
    old_address_notice: &(dyn Fn(&str) -> NewOutboxMail + Sync),
    event: &(dyn Fn(SecurityEventKind, &str) -> NewSecurityEvent + Sync),
) -> QueryResult<Verified> {
    with_conn!(conn, |c| {
        c.transaction(async |c| {
            // The spend first: a compare-and-set, and the write that takes
            // SQLite's write lock before anything is read.
            let spent = diesel::update(
                tokens::table
                    .filter(tokens::token_hash.eq(token_hash))
                    .filter(tokens::kind.eq(kind))
                    .filter(usable_at(now)),
            )
            .set(tokens::used_at.eq(now))
            .execute(c)
            .await?;
            if spent == 0 {
                return Ok(Verified::InvalidToken);
            }
            let found = tokens::table
                .filter(tokens::token_hash.eq(token_hash))
                .select(AccountToken::as_select())
                .first::<AccountToken>(c)
                .await?;
            expect_key("token", token_hash, &found.token_hash)?;
            let AccountToken {
                user_id: Some(user_id),
                email: Some(address),
                ..
            } = found
            else {
                return Err(diesel::result::Error::RollbackTransaction);
            };
            let current = users::table
                .filter(users::id.eq(&user_id))
                .select((users::email, users::email_key, users::email_verified_at))
                .first::<(Option<String>, Option<String>, Option<NaiveDateTime>)>(c)
                .await
                .optional()?;
            let Some((old_address, old_key, old_verified_at)) = current else {
                return Ok(Verified::InvalidToken);
            };
            let new_key = address.to_lowercase();
            // An unverified account becomes active; others keep their status.
            diesel::update(
                users::table
                    .filter(users::id.eq(&user_id))
                    .filter(users::status.eq(UserStatus::Unverified)),
            )
            .set(users::status.eq(UserStatus::Active))
            .execute(c)
            .await?;
            if old_key.as_deref() == Some(new_key.as_str()) {
                diesel::update(users::table.filter(users::id.eq(&user_id)))
                    .set((
                        users::email_verified_at.eq(old_verified_at.unwrap_or(now)),
                        users::updated_at.eq(now),
                    ))
                    .execute(c)
                    .await?;
                crate::insert_security_event!(
                    c,
                    &event(SecurityEventKind::EmailVerified, &user_id)
                )?;
                return Ok(Verified::Address { user_id });
            }
            let taken = users::table
                .filter(users::email_key.eq(&new_key))
                .select(users::id)
                .first::<String>(c)
                .await
                .optional()?;
            if taken.is_some() {
                return Err(diesel::result::Error::RollbackTransaction);
            }
            diesel::update(users::table.filter(users::id.eq(&user_id)))
                .set((
                    users::email.eq(&address),
                    users::email_key.eq(&new_key),
                    users::email_verified_at.eq(now),
                    users::updated_at.eq(now),
                ))
                .execute(c)
                .await?;
            crate::note_directory_changes!(c, std::slice::from_ref(&user_id), now)?;
            if let (Some(old), Some(_)) = (old_address, old_verified_at) {
                let notice = old_address_notice(&old);
                queue_mail!(c, &notice)?;
            }
            crate::insert_security_event!(c, &event(SecurityEventKind::EmailChanged, &user_id))?;
            Ok(Verified::Changed { user_id })
        })
        .await
    })
    .or_else(|error| match error {
        diesel::result::Error::RollbackTransaction => Ok(Verified::InvalidToken),
        other => Err(other),
    })
}

/// What a password reset did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reset {
    /// The new hash is stored, every session of the user ended (this many),
    /// every reset token spent, the name's login throttle cleared.
    Done { user_id: String, ended: usize },
    /// The token is unknown, used or expired: nothing changed.
    InvalidToken,
}

/// Resets a password with a reset token: spends it (a compare-and-set)
/// and every other reset token of the account, stores the new hash, ends
/// every session (`PASSWORD_RESET`), and clears the name's throttle row
/// (`name_throttle_key`), in one transaction, with its `PASSWORD_RESET`
/// event (`event` makes it from the user's id).
pub(crate) async fn reset_password(
    conn: &mut DbConn,
    token_hash: &str,
    kind: &str,
    new_hash: &str,
    name_throttle_key: &(dyn Fn(&str) -> String + Sync),
    event: &(dyn Fn(&str) -> NewSecurityEvent + Sync),
    now: NaiveDateTime,
) -> QueryResult<Reset> {
    with_conn!(conn, |c| {
        c.transaction(async |c| {
            // The spend first, as in `verify`.
            let spent = diesel::update(
                tokens::table
                    .filter(tokens::token_hash.eq(token_hash))
                    .filter(tokens::kind.eq(kind))
                    .filter(usable_at(now)),
            )
            .set(tokens::used_at.eq(now))
            .execute(c)
            .await?;
            if spent == 0 {
                return Ok(Reset::InvalidToken);
            }
            let (found_hash, user_id) = tokens::table
                .filter(tokens::token_hash.eq(token_hash))
                .select((tokens::token_hash, tokens::user_id))
                .first::<(String, Option<String>)>(c)
                .await?;
            expect_key("token", token_hash, &found_hash)?;
            let Some(user_id) = user_id else {
                return Err(diesel::result::Error::RollbackTransaction);
            };
            diesel::update(
                tokens::table
                    .filter(tokens::user_id.eq(&user_id))
                    .filter(tokens::kind.eq(kind))
                    .filter(tokens::used_at.is_null()),
            )
            .set(tokens::used_at.eq(now))
            .execute(c)
            .await?;
            // A new password lifts a reported sign-in's lock.
            diesel::update(users::table.filter(users::id.eq(&user_id)))
                .set((
                    users::password_hash.eq(new_hash),
                    users::updated_at.eq(now),
                    users::password_reset_required_at.eq(None::<NaiveDateTime>),
                ))
                .execute(c)
                .await?;
            let name_key = users::table
                .filter(users::id.eq(&user_id))
                .select(users::user_name_key)
                .first::<String>(c)
                .await?;
            let ending = Ending::AllOfUser {
                user_id: &user_id,
                except: None,
            };
            crate::insert_security_event!(c, &event(&user_id))?;
            let ended = crate::end_sessions!(c, ending, EndReason::PasswordReset, now);
            diesel::delete(
                login_throttle::table
                    .filter(login_throttle::throttle_key.eq(name_throttle_key(&name_key))),
            )
            .execute(c)
            .await?;
            Ok(Reset::Done { user_id, ended })
        })
        .await
    })
    .or_else(|error| match error {
        diesel::result::Error::RollbackTransaction => Ok(Reset::InvalidToken),
        other => Err(other),
    })
}

/// Deletes accounts still unverified that signed up before `cutoff` (their
/// tokens go with them), and tokens spent or expired before `token_cutoff`.
/// At most `batch` of each; returns how many accounts and tokens went.
pub(crate) async fn prune(
    conn: &mut DbConn,
    now: NaiveDateTime,
    cutoff: NaiveDateTime,
    token_cutoff: NaiveDateTime,
    batch: i64,
) -> QueryResult<(usize, usize)> {
    with_conn!(conn, |c| {
        c.transaction(async |c| {
            let stale: Vec<String> = users::table
                .filter(users::status.eq(UserStatus::Unverified))
                .filter(users::created_at.lt(cutoff))
                .select(users::id)
                .limit(batch)
                .load(c)
                .await?;
            diesel::delete(tokens::table.filter(tokens::user_id.eq_any(&stale)))
                .execute(c)
                .await?;
            let accounts = diesel::delete(
                users::table
                    .filter(users::id.eq_any(&stale))
                    .filter(users::status.eq(UserStatus::Unverified)),
            )
            .execute(c)
            .await?;
            let spent_hashes: Vec<String> = tokens::table
                .filter(
                    tokens::used_at
                        .lt(token_cutoff)
                        .or(tokens::expires_at.lt(token_cutoff)),
                )
                .select(tokens::token_hash)
                .limit(batch)
                .load(c)
                .await?;
            let spent =
                diesel::delete(tokens::table.filter(tokens::token_hash.eq_any(&spent_hashes)))
                    .execute(c)
                    .await?;
            if accounts > 0 {
                // Last, so that the shards' rows are held only until the
                // commit. The ids still unverified were deleted; noting one
                // verified meanwhile only makes replicas read its row again.
                crate::note_directory_changes!(c, &stale, now)?;
            }
            Ok((accounts, spent))
        })
        .await
    })
}
