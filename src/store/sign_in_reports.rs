//! Reporting a sign-in as not the user's (`reportSignIn`): one transaction
//! spends the alert's token, locks the account's password until a reset,
//! ends the reported session and those opened since from the same device
//! name and network, and records the report. Of two requests with one
//! token (on any replica or Galera node) one wins: the token's spend is a
//! compare-and-set on `used_at`, as every mail token's is.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::store::accounts::usable_at;
use crate::store::schema::{account_tokens as tokens, user_login_sessions as sessions, users};
use crate::store::security_events::{NewSecurityEvent, next_seq};
use crate::store::session_ends::open_at;
use crate::store::{DbConn, expect_key};
use crate::vocabulary::EndReason;
use crate::with_conn;

/// What a report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reported {
    /// The token is spent, the password locked, and this many sessions of
    /// the user ended (`REPORTED_BY_USER`).
    Done { user_id: String, ended: usize },
    /// The token is unknown, used or expired: nothing changed.
    InvalidToken,
}

/// The rule of what a report ends, from the rule's owner: whether a
/// session's stored address is in the reported session's network.
pub(crate) type SameNetwork = dyn Fn(Option<&str>, Option<&str>) -> bool + Sync;

/// Reports the sign-in of the alert token `token_hash` (of `kind`): spends
/// the token, sets the user's `password_reset_required_at`, ends the
/// reported session and every open session of the user opened at or after
/// it with the same device name whose address `same_network` puts in the
/// reported one's network (`REPORTED_BY_USER`), and stores `event(user_id)`
/// (its `SIGN_IN_REPORTED`) after those ends. A reported session already
/// pruned ends nothing, and the password is locked all the same.
pub(crate) async fn report(
    conn: &mut DbConn,
    token_hash: &str,
    kind: &str,
    same_network: &SameNetwork,
    event: &(dyn Fn(&str) -> NewSecurityEvent + Sync),
    now: NaiveDateTime,
) -> QueryResult<Reported> {
    with_conn!(conn, |c| {
        c.transaction(async |c| {
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
                return Ok(Reported::InvalidToken);
            }
            let (found_hash, user_id, session_id) = tokens::table
                .filter(tokens::token_hash.eq(token_hash))
                .select((tokens::token_hash, tokens::user_id, tokens::session_id))
                .first::<(String, Option<String>, Option<String>)>(c)
                .await?;
            expect_key("token", token_hash, &found_hash)?;
            let Some(user_id) = user_id else {
                return Err(diesel::result::Error::RollbackTransaction);
            };
            // The user's row first: a sign-in opening a session writes it
            // too (`sessions::open`), so the two take turns, and one that
            // checked the password before this commits opens nothing after.
            diesel::update(users::table.filter(users::id.eq(&user_id)))
                .set((
                    users::password_reset_required_at.eq(now),
                    users::updated_at.eq(now),
                ))
                .execute(c)
                .await?;
            let reported = match &session_id {
                Some(session_id) => sessions::table
                    .filter(sessions::id.eq(session_id))
                    .filter(sessions::user_id.eq(&user_id))
                    .select((
                        sessions::device_name,
                        sessions::ip_address,
                        sessions::created_at,
                    ))
                    .first::<(String, Option<String>, NaiveDateTime)>(c)
                    .await
                    .optional()?,
                None => None,
            };
            let mut ended = 0;
            if let Some((device_name, ip_address, opened_at)) = reported {
                let since: Vec<(String, Option<String>)> = sessions::table
                    .filter(sessions::user_id.eq(&user_id))
                    .filter(open_at(now))
                    .filter(sessions::created_at.ge(opened_at))
                    .filter(sessions::device_name.eq(&device_name))
                    .select((sessions::id, sessions::ip_address))
                    .load(c)
                    .await?;
                let to_end: Vec<String> = since
                    .into_iter()
                    .filter(|(_, ip)| same_network(ip.as_deref(), ip_address.as_deref()))
                    .map(|(id, _)| id)
                    .collect();
                if !to_end.is_empty() {
                    ended = crate::end_sessions!(
                        c,
                        Ending::These(&to_end),
                        EndReason::ReportedByUser,
                        now
                    );
                }
            }
            // After the ends' events, in the order they happened.
            let reported_event = NewSecurityEvent {
                seq: next_seq(),
                ..event(&user_id)
            };
            crate::insert_security_event!(c, &reported_event)?;
            Ok(Reported::Done { user_id, ended })
        })
        .await
    })
    .or_else(|error| match error {
        diesel::result::Error::RollbackTransaction => Ok(Reported::InvalidToken),
        other => Err(other),
    })
}
