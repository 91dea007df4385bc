//! Security events: what happened to an account, kept for its owner
//! (`mySecurityEvents`) for `SECURITY_EVENT_RETENTION_DAYS`.
//!
//! # Who writes them
//!
//! One table (`crate::store::security_events`), written by the sessions
//! service (a sign-in, every end of a session, a refresh token's reuse) and
//! by the credential flows (password, address, TOTP, recovery codes,
//! passkeys) and by the admin's changes (`ADMIN_ACTION`, with the audit
//! entry: `crate::store::admin`), each in the transaction of the change it
//! records, so that
//! neither is ever stored without the other. A wrong password or code is
//! the one event that records no change of ours; it is written on its own
//! ([`record`]), after the throttle has counted it. `me`, the bearer
//! guard and a normal `refreshToken` write nothing: the table is off the
//! hot path (a reuse ends a session, and is no normal refresh).
//!
//! # The order of a timeline
//!
//! Newest first by (`at`, `seq`, `id`), the three columns of the index
//! that follows `user_id`. `at` is the service's clock (the one tests move,
//! and what the retention counts from). Events of one instant keep the
//! order they happened in through `seq`, which the writing process raises
//! for every event it makes (the wall clock in microseconds, or one more
//! than the last when that is later: see `store::security_events::next_seq`),
//! and `id`, random, settles the rest, so every page boundary is stable on
//! both backends.
//!
//! No AUTO_INCREMENT: on a Galera cluster each node hands out its own
//! series (`auto_increment_increment` = the cluster's size, an offset per
//! node), so ids from two nodes interleave by node rather than by time, and
//! the series shift when a node joins or leaves; SQLite's rowid would order
//! otherwise again. A sequence made by the writer needs no shared counter,
//! no extra write and no round trip, and is the same on both backends.
//!
//! # Where an event came from
//!
//! Each event carries the client's address and device name and, when there
//! is one, the session: for an event about a session (a sign-in, an end, a
//! reuse) the session's own address and device; otherwise the request's
//! ([`Source`]). `detail` never holds anything the user typed.

use chrono::NaiveDateTime;

use crate::core::app::App;
use crate::core::client::ClientInfo;
use crate::core::devices::device_name;
use crate::error::AppError;
use crate::store::security_events::{self as event_rows, NewSecurityEvent, SecurityEventRecord};
use crate::vocabulary::SecurityEventKind;

/// Fewest and most events one `mySecurityEvents` page holds.
pub(crate) const PAGE_SIZES: std::ops::RangeInclusive<i32> = 1..=200;

/// Where an event came from: the client's address, its device's name and
/// the session the request was made in.
#[derive(Clone, Debug, Default)]
pub(crate) struct Source {
    pub ip_address: Option<String>,
    pub device_name: Option<String>,
    pub session_id: Option<String>,
}

impl Source {
    /// A request made outside any session (a sign-in, a mail's link), by a
    /// client that called itself `device_info`, if it said.
    pub(crate) fn request(client: &ClientInfo, device_info: Option<&str>) -> Source {
        Source {
            ip_address: client.ip_address.map(|ip| ip.to_string()),
            device_name: Some(device_name(device_info, client)),
            session_id: None,
        }
    }

    /// A request made in the session `session_id`.
    pub(crate) fn in_session(client: &ClientInfo, session_id: &str) -> Source {
        // The request's device name: the session's own was named by the
        // request that opened it, and this one may come from elsewhere.
        Source {
            session_id: Some(session_id.to_owned()),
            ..Source::request(client, None)
        }
    }

    /// An operator's command: no client, no session.
    pub(crate) fn operator() -> Source {
        Source::default()
    }
}

/// The event of `kind` for `user_id` at `at`, from `source`; to be stored
/// with the change it records, or by [`record`].
///
/// A wrong password or code ([`sign_in_failed`]) is the only event that
/// does not come with a change.
pub(crate) fn event(
    kind: SecurityEventKind,
    user_id: &str,
    at: NaiveDateTime,
    source: &Source,
) -> NewSecurityEvent {
    NewSecurityEvent {
        ip_address: source.ip_address.clone(),
        device_name: source.device_name.clone(),
        session_id: source.session_id.clone(),
        ..NewSecurityEvent::new(kind, user_id, at)
    }
}

/// Stores an event that records no change of ours (a wrong password or
/// code), on a task of its own, after the answer: only a name that has an
/// account gets this write, so waiting for it would let the answer's time
/// tell a known name from an unknown one (which cost the same work
/// otherwise). The tasks are as many as refused checks, which the throttle
/// and the hashing threads bound already. A failure is logged, not
/// answered.
pub(crate) fn record(app: &App, event: NewSecurityEvent) {
    let pool = app.pool.clone();
    tokio::spawn(async move {
        let stored = async {
            let mut conn = pool.get().await?;
            event_rows::insert(&mut conn, &event).await?;
            Ok::<(), AppError>(())
        }
        .await;
        if let Err(error) = stored {
            tracing::warn!(
                user_id = %event.user_id,
                kind = %event.kind,
                error = %error.detail(),
                "cannot record a security event"
            );
        }
    });
}

/// Records a wrong password or code for `user_id` (`SIGN_IN_FAILED`); what
/// was typed is not kept.
pub(crate) fn sign_in_failed(app: &App, user_id: &str, client: &ClientInfo) {
    let source = Source::request(client, None);
    let kind = SecurityEventKind::SignInFailed;
    record(app, event(kind, user_id, app.clock.now(), &source));
}

/// Up to `first` of the user's events, newest first; with `before` (an
/// event id), only those older than it. `BAD_USER_INPUT` for `first` out
/// of [`PAGE_SIZES`] or a `before` that is not one of the user's events.
pub(crate) async fn page(
    app: &App,
    user_id: &str,
    first: i32,
    before: Option<&str>,
) -> Result<Vec<SecurityEventRecord>, AppError> {
    if !PAGE_SIZES.contains(&first) {
        return Err(AppError::BadUserInput(format!(
            "first must be {} to {}",
            PAGE_SIZES.start(),
            PAGE_SIZES.end()
        )));
    }
    let not_an_event = || AppError::BadUserInput("before is not one of your events".into());
    if before.is_some_and(|before| !crate::core::ids::looks_like_id(before)) {
        return Err(not_an_event());
    }
    let mut conn = app.pool.get().await?;
    event_rows::page(&mut conn, user_id, before, i64::from(first))
        .await?
        .ok_or_else(not_an_event)
}
